/**
 * The Bulwark stack program (Pulumi.yaml `main: index.ts`). Everything happens in
 * components/program.ts; the resolved value becomes the stack's outputs.
 */
import { bulwarkProgram } from './components/program';

export = bulwarkProgram();
