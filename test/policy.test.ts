/**
 * The policy pack without the Pulumi CLI: each rule on passing and failing inputs, the facts read
 * from stack config, and each policy fed recorded resources the way the policy server would.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from '@pulumi/policy';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackFacts, stackFacts, valuesFromPulumiConfig, valuesFromStackFile } from '../policy/facts';
import { COMMAND_TYPE, NAMESPACE_TYPE, bulwarkPolicies } from '../policy/policies';
import {
  appliesInsecurely, bootstraps, checkAuthWaiverExpiry, checkEnvironmentProfile, checkInsecureApplyAfterBootstrap, checkInsecureReapply,
  checkInsecureCreateRerun, checkNamespacePodSecurity, isTenantNamespace,
} from '../policy/rules';
import { renderStack } from '../core/render/index';
import { REPO_ROOT } from '../core/stack';
import * as pulumi from '@pulumi/pulumi';
import { EXAMPLES, example, exampleValues, testSecrets } from './helpers';
import { SECRET_SIG, SECRET_SIG_VALUE, runExample } from './components/harness';

const RESTRICTED = { enforce: 'restricted', audit: 'restricted', warn: 'restricted' } as const;
const SINGLE_TEAM = { enforce: 'baseline', audit: 'restricted', warn: 'restricted' } as const;
const psLabels = (enforce: string, audit = enforce, warn = enforce) => ({
  'pod-security.kubernetes.io/enforce': enforce,
  'pod-security.kubernetes.io/audit': audit,
  'pod-security.kubernetes.io/warn': warn,
});

describe('rule: production needs multi-team or stricter', () => {
  test('passes multi-team, hostile-multi-tenant and profiles extending multi-team in production', () => {
    expect(checkEnvironmentProfile({ environment: 'production', profile: 'multi-team', lineage: ['multi-team', 'single-team'] })).toEqual([]);
    expect(checkEnvironmentProfile({ environment: 'production', profile: 'hostile-multi-tenant', lineage: ['hostile-multi-tenant', 'multi-team', 'single-team'] })).toEqual([]);
    expect(checkEnvironmentProfile({ environment: 'production', profile: 'bank', lineage: ['bank', 'multi-team', 'single-team'] })).toEqual([]);
  });

  test('passes any profile outside production', () => {
    expect(checkEnvironmentProfile({ environment: 'development', profile: 'single-team', lineage: ['single-team'] })).toEqual([]);
    expect(checkEnvironmentProfile({ environment: 'staging', profile: 'single-team', lineage: ['single-team'] })).toEqual([]);
  });

  test('fails single-team (and single-team at the edge) in production', () => {
    expect(checkEnvironmentProfile({ environment: 'production', profile: 'single-team', lineage: ['single-team'] })).toEqual([
      { message: 'bulwark:operations.environment is production, which requires profile multi-team or a stricter one extending it (e.g. hostile-multi-tenant); bulwark:profile is single-team' },
    ]);
    expect(checkEnvironmentProfile({ environment: 'production', profile: 'single-team', lineage: ['single-team', 'edge'] })[0].message).toContain(
      'bulwark:profile is single-team (single-team → edge)',
    );
  });

  test('fails a profile that is not in profiles/; minimums are configurable per environment', () => {
    expect(checkEnvironmentProfile({ environment: 'production', profile: 'nope', lineage: [] })).toEqual([
      { message: 'bulwark:profile "nope" is not a profile in profiles/, so it cannot be shown to meet the production minimum (multi-team)' },
    ]);
    const staging = { staging: 'multi-team', production: 'hostile-multi-tenant' };
    expect(checkEnvironmentProfile({ environment: 'staging', profile: 'single-team', lineage: ['single-team'] }, staging)).toHaveLength(1);
    expect(checkEnvironmentProfile({ environment: 'production', profile: 'multi-team', lineage: ['multi-team', 'single-team'] }, staging)).toHaveLength(1);
  });
});

describe('rule: auth-layer waivers expire', () => {
  test('passes auth waivers with an expiry and other layers without one', () => {
    expect(
      checkAuthWaiverExpiry([
        { control: 'auth.rbac.auditors', layer: 'auth', expires: '2027-01-31' },
        { control: 'k8s.kubelet.pod-pids-limit', layer: 'kubernetes' },
      ]),
    ).toEqual([]);
  });

  test('fails an auth waiver without an expiry, naming it and its index', () => {
    expect(checkAuthWaiverExpiry([{ control: 'k8s.kubelet.pod-pids-limit' }, { control: 'auth.breakglass.short-lived-admin', layer: 'auth' }])).toEqual([
      {
        message:
          'bulwark:waivers[1] waives auth.breakglass.short-lived-admin, an auth-layer control, without an expiry; add expires: YYYY-MM-DD so the waiver is reviewed again',
      },
    ]);
  });

  test('the catalogue layer wins over the id prefix', () => {
    expect(checkAuthWaiverExpiry([{ control: 'auth.something', layer: 'kubernetes' }])).toEqual([]);
    expect(checkAuthWaiverExpiry([{ control: 'x.y.z', layer: 'auth' }])).toHaveLength(1);
    expect(checkAuthWaiverExpiry([{ control: 'auth.rbac.auditors' }])).toHaveLength(1);
  });
});

describe('rule: tenant namespaces at the profile\'s Pod Security levels', () => {
  const profile = { name: 'multi-team', podSecurity: RESTRICTED };

  test('passes a namespace at or above every level', () => {
    expect(checkNamespacePodSecurity({ name: 'team-a', labels: psLabels('restricted') }, profile)).toEqual([]);
    expect(checkNamespacePodSecurity({ name: 'apps', labels: psLabels('restricted') }, { name: 'single-team', podSecurity: SINGLE_TEAM })).toEqual([]);
  });

  test('fails a namespace below a level, with a missing label, or with a made-up level', () => {
    expect(checkNamespacePodSecurity({ urn: 'u', name: 'team-a', labels: psLabels('baseline', 'restricted', 'restricted') }, profile)).toEqual([
      { urn: 'u', message: "tenant namespace team-a has pod-security.kubernetes.io/enforce=baseline, below profile multi-team's restricted" },
    ]);
    const { 'pod-security.kubernetes.io/warn': _warn, ...noWarn } = psLabels('restricted');
    void _warn;
    expect(checkNamespacePodSecurity({ name: 'team-a', labels: noWarn }, profile)).toEqual([
      { urn: undefined, message: 'tenant namespace team-a has no pod-security.kubernetes.io/warn label; profile multi-team requires restricted or stricter' },
    ]);
    expect(checkNamespacePodSecurity({ name: 'team-a', labels: psLabels('strict') }, profile)).toHaveLength(3);
    expect(checkNamespacePodSecurity({ name: 'apps', labels: psLabels('privileged') }, { name: 'single-team', podSecurity: SINGLE_TEAM })).toHaveLength(3);
  });

  test('a tenant namespace is one with the tenant label or a tenant\'s name', () => {
    expect(isTenantNamespace({ name: 'x', labels: { 'bulwark.dev/tenant': 'x' } }, [])).toBe(true);
    expect(isTenantNamespace({ name: 'team-a', labels: {} }, ['team-a'])).toBe(true);
    expect(isTenantNamespace({ name: 'kube-system', labels: {} }, ['team-a'])).toBe(false);
  });

  test('every namespace Bulwark renders for an example tenant passes', async () => {
    const secrets = await testSecrets();
    for (const name of EXAMPLES) {
      const v = example(name);
      const facts = stackFacts(exampleValues(name));
      for (const objects of renderStack(v, secrets).tenantObjects.values())
        for (const o of objects.filter((x) => x.kind === 'Namespace')) {
          const ns = { name: o.metadata.name, labels: o.metadata.labels ?? {} };
          expect(isTenantNamespace(ns, facts.tenants)).toBe(true);
          expect(checkNamespacePodSecurity(ns, { name: facts.profile, podSecurity: facts.podSecurity! })).toEqual([]);
        }
    }
  });
});

describe('rule: no insecure apply once bootstrapped', () => {
  const secure = 'talosctl apply-config --talosconfig ./talosconfig --nodes 10.0.0.11 --file ./cp-1.yaml';
  const insecure = 'talosctl apply-config --insecure --nodes 10.0.0.11 --file ./cp-1.yaml';

  test('recognises talosctl apply-config with --insecure or -i, not other commands', () => {
    expect(appliesInsecurely(insecure)).toBe(true);
    expect(appliesInsecurely('/usr/local/bin/talosctl apply-config -i -n 10.0.0.11 -f cp.yaml')).toBe(true);
    expect(appliesInsecurely('set -e; TALOSCONFIG=x talosctl apply-config --insecure=true -n n -f f')).toBe(true);
    expect(appliesInsecurely(secure)).toBe(false);
    expect(appliesInsecurely("sed -i 's/a/b/' f && talosctl apply-config -n n -f f")).toBe(false);
    expect(appliesInsecurely('curl --insecure https://example.com/apply')).toBe(false);
    expect(appliesInsecurely(undefined)).toBe(false);
    expect(bootstraps('talosctl --talosconfig tc bootstrap --nodes 10.0.0.11')).toBe(true);
    expect(bootstraps(secure)).toBe(false);
  });

  test('passes an insecure first apply with a secure update, before bootstrap', () => {
    const a = { name: 'cp-1-config', create: insecure, update: secure, afterBootstrap: false };
    expect(checkInsecureReapply(a)).toEqual([]);
    expect(checkInsecureApplyAfterBootstrap(a)).toEqual([]);
    expect(checkInsecureApplyAfterBootstrap({ ...a, create: secure, afterBootstrap: true })).toEqual([]);
  });

  test('fails an insecure update', () => {
    expect(checkInsecureReapply({ urn: 'u', name: 'cp-1-config', create: secure, update: insecure, afterBootstrap: false })).toEqual([
      {
        urn: 'u',
        message:
          'cp-1-config re-applies the machine configuration with --insecure when it changes; a configured node is reached through the authenticated Talos API (talosconfig), never the maintenance API',
      },
    ]);
  });

  test('an insecure create without an update command runs again on change (advisory)', () => {
    expect(checkInsecureCreateRerun({ name: 'cp-1-apply', create: insecure, update: 'cat > /dev/null', afterBootstrap: false })).toEqual([]);
    expect(checkInsecureCreateRerun({ name: 'cp-1-config', create: secure, afterBootstrap: false })).toEqual([]);
    expect(checkInsecureCreateRerun({ urn: 'u', name: 'cp-1-apply', create: insecure, afterBootstrap: false })).toEqual([
      {
        urn: 'u',
        message:
          'cp-1-apply has no update command, so a change to its inputs (its script, its node address) runs the insecure first apply again; give it an update command that does not apply (later configuration goes through the authenticated apply)',
      },
    ]);
  });

  test('fails an insecure create that runs after bootstrap', () => {
    expect(checkInsecureApplyAfterBootstrap({ urn: 'u', name: 'worker-4-config', create: insecure, update: secure, afterBootstrap: true })).toEqual([
      {
        urn: 'u',
        message:
          'worker-4-config applies a machine configuration with --insecure after the cluster is bootstrapped; once bootstrapped, configuration goes through the authenticated Talos API (talosconfig)',
      },
    ]);
  });
});

describe('stack facts from config', () => {
  test('from a stack file: environment, profile lineage and levels, waivers with layers, tenants', () => {
    const { controls, ...prod } = stackFacts(exampleValues('prod'));
    expect(controls.find((c) => c.id === 'tenancy.network.default-deny')).toEqual({ id: 'tenancy.network.default-deny', status: 'enforced' });
    expect(prod).toEqual<Omit<StackFacts, 'controls'>>({
      environment: 'production',
      profile: 'multi-team',
      site: 'datacenter',
      lineage: ['multi-team', 'single-team'],
      podSecurity: RESTRICTED,
      waivers: [],
      tenants: ['team-a', 'team-b', 'team-c'],
    });
    const edge = stackFacts(exampleValues('edge-store'));
    expect(edge).toMatchObject({ environment: 'development', profile: 'single-team', site: 'edge', lineage: ['single-team', 'edge'], podSecurity: SINGLE_TEAM });
    const waived = stackFacts({ ...exampleValues('lab'), waivers: [{ control: 'auth.rbac.auditors', reason: 'x'.repeat(12) }, { control: 'k8s.kubelet.pod-pids-limit', reason: 'y'.repeat(12), expires: '2027-01-01' }] });
    expect(waived.waivers).toEqual([
      { control: 'auth.rbac.auditors', layer: 'auth' },
      { control: 'k8s.kubelet.pod-pids-limit', layer: 'kubernetes', expires: '2027-01-01' },
    ]);
    expect(stackFacts({ profile: 'nope' })).toMatchObject({ lineage: [], podSecurity: undefined, environment: 'development' });
  });

  test('from Pulumi\'s config map (objects as JSON text) and from stack file text', () => {
    const values = valuesFromPulumiConfig({
      'bulwark:profile': 'multi-team',
      'bulwark:operations': '{"environment":"production","workerBatchSize":1}',
      'bulwark:tenants': '[{"name":"team-a","groups":["team-a"]}]',
      'kubernetes:context': 'prod',
    });
    expect(values).toEqual({ profile: 'multi-team', operations: { environment: 'production', workerBatchSize: 1 }, tenants: [{ name: 'team-a', groups: ['team-a'] }] });
    expect(stackFacts(values)).toMatchObject({ environment: 'production', lineage: ['multi-team', 'single-team'], tenants: ['team-a'] });
    const text = readFileSync(join(REPO_ROOT, 'stacks', 'Pulumi.saas.yaml'), 'utf8');
    expect(stackFacts(valuesFromStackFile(text, 'saas')!)).toMatchObject({ environment: 'production', profile: 'hostile-multi-tenant' });
    expect(valuesFromStackFile('config: {}\n', 'x')).toBeUndefined();
  });

  test('every example stack meets the stack-wide policies', () => {
    for (const name of EXAMPLES) {
      const f = stackFacts(exampleValues(name));
      expect(checkEnvironmentProfile(f)).toEqual([]);
      expect(checkAuthWaiverExpiry(f.waivers)).toEqual([]);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// The policies as the policy server calls them.

type Recorded = { message: string; urn?: string };
const recorder = (): [Recorded[], ReportViolation] => {
  const got: Recorded[] = [];
  return [got, (message: string, urn?: string) => void got.push(urn ? { message, urn } : { message })];
};

const policy = (facts: StackFacts | { error: string }, name: string) => {
  const p = bulwarkPolicies(() => facts).find((x) => x.name === name);
  if (!p) throw new Error(`no policy ${name}`);
  return p;
};

function resourceArgs(type: string, name: string, props: Record<string, unknown>): ResourceValidationArgs {
  return {
    type,
    name,
    props,
    urn: `urn:pulumi:prod::bulwark::${type}::${name}`,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: () => {
      throw new Error('not applicable');
    },
  } as unknown as ResourceValidationArgs;
}

function validateResource(p: ResourceValidationPolicy | StackValidationPolicy, args: ResourceValidationArgs): Recorded[] {
  const [got, report] = recorder();
  const v = (p as ResourceValidationPolicy).validateResource;
  for (const fn of Array.isArray(v) ? v : [v!]) void fn(args, report);
  return got;
}

function stackResource(type: string, name: string, props: Record<string, unknown>, dependencies: PolicyResource[] = []): PolicyResource {
  const a = resourceArgs(type, name, props);
  return { type, name, props, urn: a.urn, opts: a.opts, dependencies, propertyDependencies: {}, isType: () => false, asType: () => undefined } as unknown as PolicyResource;
}

function validateStack(p: ResourceValidationPolicy | StackValidationPolicy, resources: PolicyResource[], config: object = {}): Recorded[] {
  const [got, report] = recorder();
  const args = {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: () => {
      throw new Error('not applicable');
    },
  } as unknown as StackValidationArgs;
  void (p as StackValidationPolicy).validateStack(args, report);
  return got;
}

describe('the policies on recorded resources and config', () => {
  const prod = stackFacts(exampleValues('prod'));
  const singleTeamProd = stackFacts({ ...exampleValues('prod'), profile: 'single-team' });

  test('the policies, their names and enforcement levels', () => {
    const ps = bulwarkPolicies(() => prod);
    expect(ps.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ['bulwark-environment-minimum-profile', 'mandatory'],
      ['bulwark-production-controls-hold', 'mandatory'],
      ['bulwark-existing-cluster-not-applied', 'advisory'],
      ['bulwark-auth-waiver-expiry', 'mandatory'],
      ['bulwark-tenant-pod-security', 'mandatory'],
      ['bulwark-no-insecure-reapply', 'mandatory'],
      ['bulwark-insecure-apply-reruns-on-change', 'advisory'],
      ['bulwark-no-insecure-apply-after-bootstrap', 'mandatory'],
    ]);
  });

  test('environment minimum: passes prod, fails prod on single-team, honours the policy config', () => {
    expect(validateStack(policy(prod, 'bulwark-environment-minimum-profile'), [])).toEqual([]);
    expect(validateStack(policy(singleTeamProd, 'bulwark-environment-minimum-profile'), [])).toEqual([
      { message: 'bulwark:operations.environment is production, which requires profile multi-team or a stricter one extending it (e.g. hostile-multi-tenant); bulwark:profile is single-team' },
    ]);
    expect(validateStack(policy(prod, 'bulwark-environment-minimum-profile'), [], { minimums: { production: 'hostile-multi-tenant' } })).toHaveLength(1);
  });

  test('unreadable config is a violation, not a pass', () => {
    expect(validateStack(policy({ error: 'no config' }, 'bulwark-auth-waiver-expiry'), [])).toEqual([
      { message: "Bulwark policies cannot read the stack's bulwark: config: no config" },
    ]);
  });

  test('auth waiver expiry: passes with an expiry, fails without', () => {
    const withWaiver = (expires?: string) => stackFacts({ ...exampleValues('prod'), waivers: [{ control: 'auth.rbac.auditors', reason: 'not yet in the IdP', ...(expires ? { expires } : {}) }] });
    expect(validateStack(policy(withWaiver('2027-01-31'), 'bulwark-auth-waiver-expiry'), [])).toEqual([]);
    expect(validateStack(policy(withWaiver(), 'bulwark-auth-waiver-expiry'), [])).toEqual([
      { message: 'bulwark:waivers[0] waives auth.rbac.auditors, an auth-layer control, without an expiry; add expires: YYYY-MM-DD so the waiver is reviewed again' },
    ]);
  });

  test('tenant pod security: passes restricted tenant namespaces, fails a baseline one, ignores system namespaces', () => {
    const p = policy(prod, 'bulwark-tenant-pod-security');
    const ns = (name: string, labels: Record<string, string>) => resourceArgs(NAMESPACE_TYPE, name, { metadata: { name, labels } });
    expect(validateResource(p, ns('team-a', { 'bulwark.dev/tenant': 'team-a', ...psLabels('restricted') }))).toEqual([]);
    expect(validateResource(p, ns('bulwark-system', psLabels('privileged')))).toEqual([]);
    expect(validateResource(p, resourceArgs('kubernetes:core/v1:ConfigMap', 'team-a', { metadata: { name: 'team-a' } }))).toEqual([]);
    const bad = validateResource(p, ns('team-b', psLabels('baseline')));
    expect(bad).toEqual([
      { message: "tenant namespace team-b has pod-security.kubernetes.io/enforce=baseline, below profile multi-team's restricted", urn: 'urn:pulumi:prod::bulwark::kubernetes:core/v1:Namespace::team-b' },
      { message: "tenant namespace team-b has pod-security.kubernetes.io/audit=baseline, below profile multi-team's restricted", urn: 'urn:pulumi:prod::bulwark::kubernetes:core/v1:Namespace::team-b' },
      { message: "tenant namespace team-b has pod-security.kubernetes.io/warn=baseline, below profile multi-team's restricted", urn: 'urn:pulumi:prod::bulwark::kubernetes:core/v1:Namespace::team-b' },
    ]);
    expect(validateResource(p, ns('team-c', {}))).toHaveLength(3);
  });

  test('insecure re-apply: passes a secure update, fails an insecure one before it runs', () => {
    const p = policy(prod, 'bulwark-no-insecure-reapply');
    const cmd = (create: string, update?: string) => resourceArgs(COMMAND_TYPE, 'prod-cp-1-apply', { create, ...(update ? { update } : {}) });
    expect(validateResource(p, cmd('talosctl apply-config --insecure -n 10.20.0.11 -f cp.yaml', 'talosctl --talosconfig tc apply-config -n 10.20.0.11 -f cp.yaml'))).toEqual([]);
    expect(validateResource(p, cmd('talosctl apply-config -n 10.20.0.11 -f cp.yaml', 'talosctl apply-config -i -n 10.20.0.11 -f cp.yaml'))).toHaveLength(1);
    const rerun = policy(prod, 'bulwark-insecure-apply-reruns-on-change');
    expect(validateResource(p, cmd('talosctl apply-config --insecure -n 10.20.0.11 -f cp.yaml'))).toEqual([]);
    expect(validateResource(rerun, cmd('talosctl apply-config --insecure -n 10.20.0.11 -f cp.yaml'))).toHaveLength(1);
  });

  test('insecure apply after bootstrap: found through the dependency graph', () => {
    const p = policy(prod, 'bulwark-no-insecure-apply-after-bootstrap');
    const secure = 'talosctl --talosconfig tc apply-config -n {} -f cfg.yaml';
    const apply = (name: string, deps: PolicyResource[] = []) =>
      stackResource(COMMAND_TYPE, name, { create: `talosctl apply-config --insecure -n ${name} -f cfg.yaml`, update: secure }, deps);
    const cp = apply('cp-1');
    const boot = stackResource(COMMAND_TYPE, 'bootstrap', { create: 'talosctl --talosconfig tc bootstrap -n 10.20.0.11' }, [cp]);
    const health = stackResource('bulwark:cluster:Health', 'health', {}, [boot]);
    const earlyWorker = apply('worker-1', [cp]);
    expect(validateStack(p, [cp, boot, health, earlyWorker])).toEqual([]);
    const lateWorker = apply('worker-2', [health]);
    expect(validateStack(p, [cp, boot, health, earlyWorker, lateWorker])).toEqual([
      {
        message:
          'worker-2 applies a machine configuration with --insecure after the cluster is bootstrapped; once bootstrapped, configuration goes through the authenticated Talos API (talosconfig)',
        urn: lateWorker.urn,
      },
    ]);
    const secureLate = stackResource(COMMAND_TYPE, 'worker-3', { create: secure }, [boot]);
    expect(validateStack(p, [cp, boot, health, secureLate])).toEqual([]);
    // No bootstrap step in the stack (e.g. existing-cluster mode): nothing to order against.
    expect(validateStack(p, [apply('x', [health])])).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------
// The policies on what the Bulwark program really registers (Pulumi's mock runtime), with the
// stack config read the way policy/index.ts reads it.

describe('the policies on the program\'s registered resources', () => {
  /** Pulumi's secret wrappers removed, as the policy server hands props to policies. */
  const unwrap = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o[SECRET_SIG] === SECRET_SIG_VALUE) return unwrap(o.value);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
  };

  async function evaluate(name: string, change: (v: Record<string, unknown>) => void = () => {}) {
    const run = await runExample(name, change);
    if (run.error) throw run.error;
    const facts = stackFacts(valuesFromPulumiConfig(pulumi.runtime.allConfig()));
    // every Kubernetes object, tenants' too, is its own registration: the policy pack sees what the program registers
    const registrations = run.registrations;
    const resources = registrations.map((r) => stackResource(r.type, r.name, unwrap(r.raw) as Record<string, unknown>));
    const byUrn = new Map(resources.map((r, i) => [registrations[i].urn, r]));
    resources.forEach((r, i) => {
      (r as { urn: string }).urn = registrations[i].urn;
      r.dependencies.push(...registrations[i].dependencies.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x));
    });
    const found: Record<string, Recorded[]> = {};
    for (const p of bulwarkPolicies(() => facts)) {
      const got: Recorded[] = [];
      if ('validateStack' in p) got.push(...validateStack(p, resources));
      else for (const r of registrations) got.push(...validateResource(p, resourceArgs(r.type, r.name, unwrap(r.raw) as Record<string, unknown>)));
      if (got.length) found[p.name] = got;
    }
    return { run, registrations, found };
  }

  const prod0 = stackFacts(exampleValues('prod'));

  test.each(EXAMPLES)('%s: no mandatory violation; tenant namespaces and node applies were inspected', async (name) => {
    const { run, registrations, found } = await evaluate(name);
    const mandatory = Object.keys(found).filter((n) => bulwarkPolicies(() => prod0).find((p) => p.name === n)!.enforcementLevel === 'mandatory');
    expect(mandatory).toEqual([]);
    const namespaces = registrations.filter((r) => r.type === NAMESPACE_TYPE);
    expect(namespaces.length).toBe(exampleValues(name).tenants ? (exampleValues(name).tenants as unknown[]).length : 0);
    const applies = run.registrations.filter((r) => r.type === COMMAND_TYPE && appliesInsecurely(String((unwrap(r.raw) as { create?: string }).create ?? '')));
    expect(applies.length).toBe((exampleValues(name).nodes as unknown[] | undefined)?.length ?? 0);
  });

  test('prod on single-team with an auth waiver without expiry: both stack policies fail', async () => {
    const { found } = await evaluate('prod', (v) => {
      v.profile = 'single-team';
      v.waivers = [{ control: 'auth.rbac.auditors', reason: 'the auditors group is not provisioned yet' }];
    });
    expect(found['bulwark-environment-minimum-profile']).toHaveLength(1);
    expect(found['bulwark-auth-waiver-expiry']).toEqual([
      { message: 'bulwark:waivers[0] waives auth.rbac.auditors, an auth-layer control, without an expiry; add expires: YYYY-MM-DD so the waiver is reviewed again' },
    ]);
  });
});
