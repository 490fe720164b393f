/**
 * bulwark:talos:ClusterSecrets — the cluster's CAs, keys and tokens, generated once and kept in
 * Pulumi state as a secret. The one update is a CA rotation's next phase (bulwark:caRotation).
 *
 * Persistence: a dynamic resource. Its create() runs core/secrets/generate.ts once (on the
 * first `pulumi up`); the bundle is its only output, marked secret (additionalSecretOutputs),
 * so state holds it encrypted with the stack's secrets provider. Its diff() answers "no changes"
 * unless the input `caRotation` (the stack key) names a CA's next phase: then update() moves the
 * bundle in place (core/secrets/ca-rotation.ts), and a phase out of order fails the preview. No
 * other edit of the program, the config or the provider code can make Pulumi update it, and it
 * is never replaced, so the secrets live exactly as long as the resource does. The
 * resource's URN is fixed (type token and name never derive from config): renaming either
 * would create a new bundle, so both are frozen. Rotation is a deliberate operation
 * (docs/operations.md), never a side effect.
 *
 * Pulumi serializes a dynamic provider's code into state and runs it in a separate Node
 * process, so the provider is self-contained: it captures only two path strings and loads the
 * generator there (through ts-node, a dependency of this project; Pulumi itself runs the
 * TypeScript program with it). The paths are relative to the project directory, which is the
 * provider process's working directory: an absolute path would put the operator's checkout
 * location into state, and break `pulumi up` from any other checkout.
 */
import * as pulumi from '@pulumi/pulumi';
import type { CaRotationConfig } from '../core/config/ca-rotation';
import { SecretsBundle, checkSecrets } from '../core/secrets/bundle';

const GENERATOR = 'core/secrets/generate.ts';
const ROTATION = 'core/secrets/ca-rotation.ts';
const TSCONFIG = 'tsconfig.json';

/** The provider Pulumi serializes. Nothing outside this object literal is referenced except the two paths. */
export const secretsProvider: pulumi.dynamic.ResourceProvider = {
  async create() {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { resolve } = require('node:path') as typeof import('node:path');
    const loaded = require.extensions['.ts'] !== undefined;
    if (!loaded) require('ts-node').register({ transpileOnly: true, project: resolve(TSCONFIG) });
    const generator = require(resolve(GENERATOR)) as { generateSecrets: () => Promise<unknown> };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const bundle = await generator.generateSecrets();
    return { id: 'cluster-secrets', outs: { bundle } };
  },
  async diff(_id: string, olds: { bundle?: unknown }, news: { caRotation?: unknown }) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { resolve } = require('node:path') as typeof import('node:path');
    if (require.extensions['.ts'] === undefined) require('ts-node').register({ transpileOnly: true, project: resolve(TSCONFIG) });
    const rotation = require(resolve(ROTATION)) as typeof import('../core/secrets/ca-rotation');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const changes = rotation.rotationChanges(olds.bundle as never, news.caRotation as never);
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
  async update(_id: string, olds: { bundle?: unknown }, news: { caRotation?: unknown }) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { resolve } = require('node:path') as typeof import('node:path');
    if (require.extensions['.ts'] === undefined) require('ts-node').register({ transpileOnly: true, project: resolve(TSCONFIG) });
    const rotation = require(resolve(ROTATION)) as typeof import('../core/secrets/ca-rotation');
    /* eslint-enable @typescript-eslint/no-require-imports */
    return { outs: { bundle: await rotation.applyCaRotation(olds.bundle as never, news.caRotation as never) } };
  },
};

class SecretsBundleResource extends pulumi.dynamic.Resource {
  declare readonly bundle: pulumi.Output<SecretsBundle>;
  constructor(name: string, caRotation: CaRotationConfig | undefined, opts: pulumi.CustomResourceOptions) {
    // caRotation only when set: a stack that never rotates keeps the inputs it always had
    super(secretsProvider, name, { bundle: undefined, ...(caRotation ? { caRotation } : {}) }, { ...opts, additionalSecretOutputs: ['bundle'] }, 'bulwark', 'ClusterSecretsBundle');
  }
}

export interface ClusterSecretsArgs {
  /** bulwark:caRotation: the phase each CA's rotation should be in. */
  caRotation?: CaRotationConfig;
}

export class ClusterSecrets extends pulumi.ComponentResource {
  /** The bundle, always secret. */
  readonly bundle: pulumi.Output<SecretsBundle>;

  constructor(name: string, args: ClusterSecretsArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:talos:ClusterSecrets', name, {}, opts);
    const res = new SecretsBundleResource(`${name}-bundle`, args.caRotation, { parent: this });
    this.bundle = pulumi.secret(
      res.bundle.apply((raw) => {
        const { bundle, problems } = checkSecrets(raw);
        if (!bundle) throw new Error(`the cluster secrets in state are damaged: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
        return bundle;
      }),
    );
    this.registerOutputs({ bundle: this.bundle });
  }
}
