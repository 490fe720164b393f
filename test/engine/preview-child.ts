/**
 * One `pulumi preview` of a stack in its own Node process, printing {"error": "..."} as JSON: for
 * programs the engine stops midway (provisioned mode, no command plugin), whose registrations
 * still in flight fail once the CLI has exited. In the language host the program's process ends
 * with the CLI; here this process does. Usage: preview-child.ts <project dir> <stack>
 */
import { engine, openStack } from './engine';

async function main(): Promise<void> {
  const [project, name, base] = process.argv.slice(2);
  const stack = await openStack(engine(base), project, name);
  let error = '';
  try {
    await stack.preview({ color: 'never' });
  } catch (e) {
    error = String((e as { stderr?: string }).stderr || (e as Error).message);
  }
  process.stdout.write(`${JSON.stringify({ error })}\n`);
  process.exit(0);
}

void main();
