/**
 * The Bulwark stack program (Pulumi.yaml `main: index.ts`). Everything happens in
 * components/program.ts; the resolved value becomes the stack's outputs.
 *
 * The export is the program function, which Pulumi's Node runtime calls, not its promise: a
 * promise created while the module loads and rejected by invalid config would be handled only
 * once the runtime awaits it, and Node then prints PromiseRejectionHandledWarning.
 */
import { bulwarkProgram } from './components/program';

export = bulwarkProgram;
