/**
 * One `pulumi preview` of a stack in its own Node process, printing {"error": "..."} as JSON: for
 * programs the engine stops midway (provisioned mode, no command plugin), whose registrations
 * still in flight fail once the CLI has exited. In the language host the program's process ends
 * with the CLI; here this process does. Usage: preview-child.ts <project dir> <stack> <base>
 * (previewInOwnProcess in engine.ts runs it); a program of its own: a file whose main is
 * previewAndExit(program), as membership-program.ts.
 */
import { bulwarkInline, engine, openStack } from './engine';

export async function previewAndExit(program: () => Promise<Record<string, unknown> | void> = bulwarkInline): Promise<void> {
  const [project, name, base] = process.argv.slice(2);
  const stack = await openStack(engine(base), project, name, program);
  let error = '';
  try {
    await stack.preview({ color: 'never' });
  } catch (e) {
    error = String((e as { stderr?: string }).stderr || (e as Error).message);
  }
  process.stdout.write(`${JSON.stringify({ error })}\n`);
  process.exit(0);
}

if (require.main === module) void previewAndExit();
