/**
 * bulwark rotate-ca --stack <name> --ca kubernetes|talos --phase accept|switch|drop [--out <dir>] [--secrets <file>]
 * Moves a CA of the stack's secrets file to the next phase of its rotation (core/secrets/ca-rotation.ts), as
 * `bulwark:caRotation` moves the bundle in Pulumi state; the next render carries it. Exit codes: 0 done, 2 invalid
 * input (a phase out of order included), 1 anything else.
 */
import { join, resolve } from 'node:path';
import { CA_PHASES, type CaPhase, caPhase, rotationStep, advanceCaRotation } from '../core/secrets/ca-rotation';
import { stackNameProblem } from '../core/stack';
import { GlobalOptions, InputError, Io } from './io';
import { readSecretsFile, writeSecretsFile } from './secrets-file';

export interface RotateCaArgs {
  stack?: string;
  ca?: string;
  phase?: string;
  out?: string;
  secrets?: string;
}

const CAS = { kubernetes: 'k8s', talos: 'os' } as const;
const NEXT_STEP: Record<CaPhase, string> = {
  accept: 'render and apply to every node, fetch the kubeconfig and talosconfig again (they trust both CAs), then --phase switch',
  switch: 'render and apply to every node (certificates now come from the new CA), then --phase drop',
  drop: 'render and apply to every node: the old CA is no longer accepted',
};

export async function rotateCaCommand(a: RotateCaArgs, io: Io, g: GlobalOptions): Promise<number> {
  const problems = [
    ...(a.stack ? [] : ['--stack is missing; name the stack whose secrets file to edit (e.g. --stack prod)']),
    ...(a.ca && a.ca in CAS ? [] : [`--ca is ${a.ca === undefined ? 'missing' : JSON.stringify(a.ca)}; give kubernetes (the Kubernetes CA) or talos (the Talos API CA)`]),
    ...(a.phase && (CA_PHASES as string[]).includes(a.phase) ? [] : [`--phase is ${a.phase === undefined ? 'missing' : JSON.stringify(a.phase)}; give accept, switch or drop (in that order, one apply each)`]),
  ];
  const bad = a.stack && !a.secrets ? stackNameProblem(a.stack) : undefined;
  if (bad) problems.push(`--stack: ${bad}`); // the name becomes <out>/<stack>/secrets.yaml, which this command rewrites
  if (problems.length) throw new InputError(problems.join('\n'));
  const ca = CAS[a.ca as keyof typeof CAS];
  const phase = a.phase as CaPhase;
  const file = resolve(io.cwd, a.secrets ?? join(a.out ?? 'out', a.stack!, 'secrets.yaml'));
  const bundle = readSecretsFile(file);
  const step = rotationStep(bundle, ca, phase);
  if ('refused' in step) throw new InputError(`--phase ${step.refused}`);
  const next = await advanceCaRotation(bundle, ca, phase);
  if (next !== bundle) writeSecretsFile(file, next);
  const now = caPhase(next, ca);
  if (g.output === 'json') {
    io.out(`${JSON.stringify({ stack: a.stack, file, ca: a.ca, phase, changed: next !== bundle, rotation: now }, null, 2)}\n`);
    return 0;
  }
  io.out(`${next === bundle ? 'nothing to do: ' : ''}the ${a.ca} CA is ${now === 'none' ? 'no longer being rotated' : `in phase ${now}`}.\nNext: ${NEXT_STEP[phase]}.\n`);
  return 0;
}
