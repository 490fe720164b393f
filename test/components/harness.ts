/**
 * Runs the Bulwark program under Pulumi's mock runtime and records every registration as the
 * engine would receive it: type, name, URN, parent, dependencies, provider, the raw inputs (with
 * Pulumi's secret markers intact), additionalSecretOutputs and ignoreChanges.
 */
import * as pulumi from '@pulumi/pulumi';
import { K8sObject, objectKey } from '../../core/render/k8s';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { TODAY, exampleValues, testSecrets } from '../helpers';

/** Pulumi's wire marker for a secret value. */
export const SECRET_SIG = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG_VALUE = '1b47061264138c4ac30d75fd1eb44270';

export interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  custom: boolean;
  dependencies: string[];
  provider?: string;
  /** Providers by package, as a component passes them to its children. */
  providers: Record<string, string>;
  /** Inputs as sent, secrets wrapped as { [SECRET_SIG]: SECRET_SIG_VALUE, value }. */
  raw: Record<string, unknown>;
  additionalSecretOutputs: string[];
  ignoreChanges: string[];
  /** Where the program constructed the resource, as Pulumi records it (file URI and line). */
  sourcePosition?: { uri: string; line: number };
  deleteBeforeReplace: boolean;
}

export interface Run {
  registrations: Registration[];
  byName: Map<string, Registration>;
  outputs: Record<string, pulumi.Output<unknown> | unknown>;
  /** The stack's outputs as registered (raw, secret markers intact). */
  stackOutputs: Record<string, unknown>;
  error?: unknown;
}

export const FAKE_ADMIN_KUBECONFIG = 'apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: ZmFrZS1hZG1pbi1rZXk=\n';

export interface RunOptions {
  stack?: string;
  preview?: boolean;
  secretKeys?: string[];
  secrets?: SecretsBundle;
  /** Call the program without a root stack resource (a rejected stack would crash the test process). */
  bare?: boolean;
  /** The date the program runs on (YYYY-MM-DD); the tests' fixed day by default. */
  today?: string;
  /** The stack's outputs from its last `up`, as the program's StackReference to itself reads them (none by default). */
  previousOutputs?: Record<string, unknown>;
}

/** Raw config values → the PULUMI_CONFIG map Pulumi would pass (structured values as JSON text). */
export function configMap(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`bulwark:${k}`, typeof v === 'string' ? v : JSON.stringify(v)]));
}

export async function runProgram(values: Record<string, unknown>, opts: RunOptions = {}): Promise<Run> {
  process.env.BULWARK_TODAY = opts.today ?? TODAY;
  const bundle = opts.secrets ?? (await testSecrets());
  const registrations: Registration[] = [];
  let stackOutputs: Record<string, unknown> = {};
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        const state: Record<string, unknown> = { ...a.inputs };
        if (a.type.startsWith('pulumi-nodejs:dynamic')) state.bundle = bundle;
        if (a.type === 'pulumi:pulumi:StackReference') return { id: String(a.inputs.name), state: { ...state, outputs: opts.previousOutputs ?? {}, secretOutputNames: [] } };
        if (a.type === 'command:local:Command') {
          state.stdout = a.name.endsWith('-kubeconfig') ? FAKE_ADMIN_KUBECONFIG : '';
          state.stderr = '';
        }
        return { id: `${a.name}-id`, state };
      },
      call: (a) => a.inputs,
    },
    'bulwark',
    opts.stack ?? 'test',
    opts.preview ?? false,
    'organization', // what the diy backend calls every stack's organization; the program references itself by it
  );
  const monitor = (pulumi.runtime as unknown as { getMonitor(): Record<string, (req: any, cb: any) => unknown> }).getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, cb: any) =>
    register(req, (err: unknown, resp: any) => {
      if (!err)
        registrations.push({
          type: req.getType(),
          name: req.getName(),
          urn: resp.getUrn(),
          parent: req.getParent(),
          custom: req.getCustom(),
          dependencies: req.getDependenciesList(),
          provider: req.getProvider() || undefined,
          providers: Object.fromEntries(req.getProvidersMap().toArray() as [string, string][]),
          raw: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          ignoreChanges: req.getIgnorechangesList(),
          sourcePosition: req.getSourceposition() ? { uri: req.getSourceposition().getUri(), line: req.getSourceposition().getLine() } : undefined,
          deleteBeforeReplace: req.getDeletebeforereplace(),
        });
      cb(err, resp);
    });
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, cb: any) => {
    if (String(req.getUrn()).split('::')[2] === 'pulumi:pulumi:Stack') stackOutputs = (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
    return registerOutputs(req, cb);
  };
  pulumi.runtime.setAllConfig(configMap(values), opts.secretKeys ?? []);

  // Imported here so each run gets a fresh module graph under the current mocks.
  const { bulwarkProgram } = await import('../../components/program');
  const { loadValidStack } = await import('../../components/config');
  let outputs: Record<string, unknown> = {};
  let error: unknown;
  // A program that throws inside a root stack resource takes the test process down with it:
  // check the configuration first (the program does the same, before any registration).
  if (!opts.bare)
    try {
      loadValidStack();
    } catch (e) {
      return { registrations, byName: new Map(), outputs, stackOutputs, error: e };
    }
  try {
    if (opts.bare) outputs = (await bulwarkProgram()) as unknown as Record<string, unknown>;
    else
      await pulumi.runtime.runInPulumiStack(async () => {
        outputs = (await bulwarkProgram()) as unknown as Record<string, unknown>;
        return outputs;
      });
  } catch (e) {
    error = e;
  }
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return { registrations, byName: new Map(registrations.map((r) => [r.name, r])), outputs, stackOutputs, error };
}

/** Runs an example stack (stacks/Pulumi.<name>.yaml) with optional changes to its raw values. */
export function runExample(name: string, change: (v: Record<string, unknown>) => void = () => {}, opts: RunOptions = {}): Promise<Run> {
  const values = exampleValues(name);
  change(values);
  return runProgram(values, { stack: name, ...opts });
}

/** Whether a raw input value is a Pulumi secret. */
export function isSecretValue(v: unknown): boolean {
  return !!v && typeof v === 'object' && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_SIG_VALUE;
}

/** Longest dependency chain (dependencies, provider and parent edges) ending at each URN. */
export function depths(regs: Registration[]): Map<string, number> {
  const byUrn = new Map(regs.map((r) => [r.urn, r]));
  const memo = new Map<string, number>();
  const depth = (urn: string): number => {
    const known = memo.get(urn);
    if (known !== undefined) return known;
    memo.set(urn, 0);
    const r = byUrn.get(urn);
    if (!r) return 0;
    const edges = [...r.dependencies, ...(r.provider ? [r.provider.split('::').slice(0, -1).join('::')] : [])].filter((u) => byUrn.has(u));
    const d = edges.length ? 1 + Math.max(...edges.map(depth)) : 0;
    memo.set(urn, d);
    return d;
  };
  for (const r of regs) depth(r.urn);
  return memo;
}

/** Every URN `urn` depends on, transitively. */
export function ancestors(regs: Registration[], urn: string): Set<string> {
  const byUrn = new Map(regs.map((r) => [r.urn, r]));
  const out = new Set<string>();
  const walk = (u: string) => {
    const r = byUrn.get(u);
    if (!r) return;
    for (const d of [...r.dependencies, ...(r.provider ? [r.provider.split('::').slice(0, -1).join('::')] : [])])
      if (!out.has(d)) {
        out.add(d);
        walk(d);
      }
  };
  walk(urn);
  return out;
}

/** A Kubernetes object the program registers: one typed resource (or CustomResource) per rendered object. */
export interface AppliedObject {
  /** kind/namespace/name (core/render/k8s objectKey). */
  key: string;
  object: Record<string, unknown>;
  registration: Registration;
}

/**
 * Every Kubernetes object a run applies: the program registers each as its own resource, so this
 * is what the engine (and a policy pack) sees too; nothing here stands in for the engine.
 */
export function appliedObjects(run: Run): AppliedObject[] {
  return run.registrations
    .filter((r) => r.type.startsWith('kubernetes:') && r.custom)
    .map((r) => ({ key: objectKey(r.raw as unknown as K8sObject), object: r.raw, registration: r }));
}
