/**
 * Talos judges Talos configs: every node config of every example stack and of its contract variants
 * (test/talos/variants.ts) passes `talosctl validate --strict` of its Talos line, built from upstream by
 * `npm run e2e:tools`. A warning is either fixed in the renderer or listed in ACCEPTED with its reason.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { renderStack } from '../../core/render/index';
import { testSecrets } from '../helpers';
import { absentJudges, judgesRequired, validate } from './talosctl';
import { type Variant, backupVariants, variants } from './variants';

interface Accepted {
  warning: string;
  applies: (v: Variant, role: string) => boolean;
  reason: string;
}

const ACCEPTED: Accepted[] = [
  {
    warning: '.machine.files is deprecated; use dedicated configuration documents instead',
    applies: (v, role) => v.line === '1.14' && v.contract === '1.13' && role === 'controlplane',
    reason:
      'The upgrade step only (docs/operations.md, "Upgrading Talos or Kubernetes"): contract 1.13 writes the API server\'s ' +
      'AuthenticationConfiguration as a machine file, which Talos 1.14 still writes at boot. The next step, contract 1.14, ' +
      'renders KubeAuthenticationConfig instead. Non-strict validation (what apply-config does) must still pass.',
  },
];

/** talosctl's runtime modes (internal/app/machined/pkg/runtime/mode.go). Bulwark installs on bare metal. */
const MODES = ['metal', 'metal-agent', 'cloud', 'container'] as const;
/** Every config is judged for `metal`; the single-node edge stack also for every other mode talosctl knows. */
const modesOf = (v: Variant) => (v.valid.stack.site === 'edge' ? MODES : (['metal'] as const));

const all = [...variants(), ...backupVariants()];
const used = new Set<Accepted>();

if (absentJudges.length && !judgesRequired) {
  const why = `talosctl validate SKIPPED: ${[...new Set(absentJudges)].join('; ')}`;
  // eslint-disable-next-line no-console
  console.warn(why);
  it.skip(why, () => undefined);
} else {
  it('the Talos judges are built', () => expect(absentJudges).toEqual([]));

  describe.each(all.map((v) => [v.label, v] as const))('%s', (_label, v) => {
    it.each([...modesOf(v)])(`every node config passes talosctl ${v.line} validate --strict --mode %s`, async (mode) => {
      const r = renderStack(v.valid, await testSecrets());
      const problems: string[] = [];
      for (const node of r.nodes) {
        const strict = validate(v.line, node.config, mode, true);
        if (strict.errors.length) problems.push(`${node.name}: ${strict.errors.join('; ')}`);
        for (const w of strict.warnings) {
          const a = ACCEPTED.find((x) => x.warning === w && x.applies(v, node.role));
          if (a) used.add(a);
          else problems.push(`${node.name}: warning not accepted: ${w}`);
        }
        if (!strict.ok && !problems.length) {
          // only accepted warnings: the node must still take this config as Talos applies it (not strict)
          const loose = validate(v.line, node.config, mode, false);
          if (!loose.ok) problems.push(`${node.name}: fails even without --strict: ${loose.errors.join('; ')}`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  it.each(['1.13', '1.14'] as const)('talosctl %s is no rubber stamp: an unknown key in a rendered config is refused', async (line) => {
    const v = all.find((x) => x.line === line && x.contract === line)!;
    const docs = parseAllDocuments(renderStack(v.valid, await testSecrets()).nodes[0].config).map((d) => d.toJS());
    docs[0].machine.bogusKey = 1;
    const verdict = validate(line, docs.map((d) => stringify(d)).join('---\n'), 'metal', true);
    expect(verdict.ok).toBe(false);
    expect(verdict.errors.join('\n')).toMatch(/unknown keys found[\s\S]*bogusKey/);
  });

  // runs after the cases above (jest keeps definition order): a listed warning no config produces is stale
  it('every accepted warning is still produced by some config (else drop it from ACCEPTED)', () => {
    expect(ACCEPTED.filter((a) => !used.has(a)).map((a) => a.warning)).toEqual([]);
  });
}

it('every stack has its contract-1.13, contract-1.14 and upgrade-step variant', () => {
  // the example stacks' own variants (the bulwark:backup ones are extra prod variants on top)
  const own = variants();
  const stacks = new Set(own.map((v) => v.stack));
  for (const s of stacks) expect(own.filter((v) => v.stack === s).map((v) => `${v.line}/${v.contract}`).sort()).toEqual(['1.13/1.13', '1.14/1.13', '1.14/1.14']);
});
