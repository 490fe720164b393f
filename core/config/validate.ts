/**
 * Turns raw `bulwark:` values into a validated stack and its resolved profile, or a
 * StackConfigError listing every problem at once. Each section is parsed on its own, so a
 * broken node does not hide a broken tenant; cross-field rules then run on whatever parsed.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { lifetimeProblem } from '../auth/break-glass';
import { checkGroupRef, checkIssuers, groupNameOf, prefixedGroup } from '../auth/groups';
import type { Control } from '../controls/types';
import { PINNED_FIRST_APPLY } from '../controls/catalogue/os';
import { POOL_LABEL_PREFIX, isPoolLabel } from '../controls/catalogue/node-pools';
import { strictEgress } from '../controls/catalogue/tenancy';
import { applyOverlay, ProfileSet } from '../profiles/resolve';
import type { Profile } from '../profiles/schema';
import { ConfigProblem, StackConfigError, keyPath, brief, quote, suggest } from './errors';
import { zodProblems } from './issues';
import { overlaps } from './fields';
import { checkNetworks } from './network-checks';
import { checkFirewall } from './firewall-checks';
import { checkAllowances } from './allowances';
import { deadNodeProblems } from './membership';
import { mergeNetwork, networkLayers } from './network';
import { NodeConfig, StackConfig, TOP_LEVEL_KEYS, TenantConfig, stackSchema } from './schema';
import { TALOS_KUBERNETES_SUPPORT, compareMinor, minorOf } from './versions';

export interface ValidStack {
  name: string;
  stack: StackConfig;
  profile: Profile;
  /** Inputs that are accepted but change nothing (e.g. a node's site): said, not refused. */
  warnings?: ConfigProblem[];
}

export interface ValidateOptions {
  profiles: ProfileSet;
  catalogue: readonly Control[];
  /** YYYY-MM-DD; waivers expiring before it fail. */
  today: string;
}

const RESERVED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function validateStack(name: string, raw: Record<string, unknown>, opts: ValidateOptions, earlier: ConfigProblem[] = []): ValidStack {
  const problems: ConfigProblem[] = [...earlier];
  const warnings: ConfigProblem[] = [];
  const add = (path: PropertyKey[], message: string) => problems.push({ path: keyPath(path), message });
  const warn = (path: PropertyKey[], message: string) => warnings.push({ path: keyPath(path), message });

  for (const key of Object.keys(raw))
    if (!(TOP_LEVEL_KEYS as string[]).includes(key)) {
      const near = suggest(key, TOP_LEVEL_KEYS.filter((k) => !(k in raw)));
      add([key], `is not a Bulwark setting${near.length ? ` (did you mean bulwark:${near[0]}?)` : ''}; known keys: ${TOP_LEVEL_KEYS.map((k) => `bulwark:${k}`).join(', ')}`);
    }
  checkControlCharacters(raw, [], add);

  // Parse section by section (and node by node, tenant by tenant) so one mistake hides no other.
  const shape = stackSchema.shape;
  const parsed: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_KEYS) {
    const field = shape[key] as z.ZodType;
    const value = raw[key];
    if (Array.isArray(value) && (key === 'nodes' || key === 'tenants' || key === 'waivers')) {
      const items: unknown[] = [];
      value.forEach((item, i) => {
        const elem = ((field as unknown as z.ZodDefault<z.ZodArray<z.ZodType>>).unwrap() as z.ZodArray<z.ZodType>).element;
        // reportInput: without it zod's issues carry no input, and every wrong type read as "missing"
        const r = elem.safeParse(item, { reportInput: true });
        // Failed items keep their place (as holes) so later messages name the right index.
        items.push(r.success ? r.data : undefined);
        if (!r.success) problems.push(...zodProblems(r.error, [key, i], elem));
      });
      parsed[key] = items;
      continue;
    }
    const r = field.safeParse(value, { reportInput: true });
    if (r.success) parsed[key] = r.data;
    else problems.push(...zodProblems(r.error, [key], field));
  }
  const stack = parsed as Partial<StackConfig>;
  const nodes = (stack.nodes ?? []) as (NodeConfig | undefined)[];
  const tenants = (stack.tenants ?? []) as (TenantConfig | undefined)[];

  // Profile (and the edge overlay).
  let profile: Profile | undefined;
  if (typeof stack.profile === 'string') {
    const base = opts.profiles.get(stack.profile);
    const known = [...opts.profiles.values()].filter((p) => !p.overlay).map((p) => p.name).sort();
    const near = suggest(stack.profile, known);
    if (!base || base.overlay) add(['profile'], `is ${quote(stack.profile)}, which is not a known profile${near.length ? ` (did you mean ${near[0]}?)` : ''}; known: ${known.join(', ')}`);
    else if (stack.site === 'edge') {
      const edge = opts.profiles.get('edge');
      if (!edge) add(['site'], 'is edge, but no "edge" overlay profile is installed in profiles/');
      else profile = applyOverlay(base, edge);
    } else profile = base;
  }

  const cluster = stack.cluster;
  if (cluster) checkCluster(cluster, nodes, stack, add);
  if (stack.existingCluster && stack.caRotation) add(['caRotation'], 'is set for an existing cluster, whose CAs Bulwark does not hold; rotate them with the tools that built that cluster');
  if (!stack.existingCluster) checkNodes(nodes, Array.isArray(raw.nodes) ? raw.nodes : [], cluster?.allowEvenControlPlanes ?? false, add);
  else if (nodes.length) add(['existingCluster'], 'is set together with nodes; a stack either provisions nodes or targets an existing cluster, not both');
  if (stack.operations && nodes.every((n) => !!n)) problems.push(...deadNodeProblems({ nodes: nodes as NodeConfig[], operations: stack.operations }));
  // a bulwark:network that failed to parse would make every node's VLAN on its bond look orphaned: its own problems suffice
  if (!stack.existingCluster && (raw.network === undefined || stack.network)) checkNetworks(stack, nodes, add);
  if (stack.site === 'edge' && nodes.length > 1 && !nodes.some((n) => n?.role === 'worker'))
    add(['nodes'], 'has several nodes but no worker; at an edge site control planes run no workloads once there is more than one node. Make one node a worker, or run a single node');
  checkTenants(tenants, nodes, stack, profile, add);
  checkAllowances(tenants, stack, add);
  checkOidc(stack, tenants, profile, add, raw.oidc !== undefined);
  checkPinnedFirstApply(nodes, stack, profile, opts, add);
  checkFirewall(nodes, stack, profile, opts.catalogue, add);
  const breakGlass = cluster && profile && lifetimeProblem(cluster.breakGlassCertLifetime, profile.settings.breakGlassMaxLifetime, profile.name);
  if (breakGlass) add(['cluster', 'breakGlassCertLifetime'], breakGlass);
  checkWaivers(stack, profile, opts, add);
  checkIgnoredInputs(stack, nodes, tenants, profile, opts, add, warn);
  if (stack.nodes) stack.nodes = (stack.nodes as (NodeConfig | undefined)[]).filter((n): n is NodeConfig => !!n);
  if (stack.tenants) stack.tenants = (stack.tenants as (TenantConfig | undefined)[]).filter((t): t is TenantConfig => !!t);
  if (stack.waivers) stack.waivers = stack.waivers.filter((w) => !!w);

  if (problems.length) throw new StackConfigError(name, problems);
  return { name, stack: stack as StackConfig, profile: profile!, warnings };
}

/** Whether the profile requires a control and neither it nor the stack waives it. */
function inForce(id: string, stack: Partial<StackConfig>, profile: Profile, opts: ValidateOptions): boolean {
  const control = opts.catalogue.find((c) => c.id === id);
  if (!control) return false;
  const required = control.requiredBy.some((p) => profile.lineage.includes(p)) || profile.require.includes(id);
  const waived = profile.waive.some((w) => w.control === id) || (stack.waivers ?? []).some((w) => w?.control === id);
  return required && !waived;
}

/**
 * Inputs that would be accepted and change nothing: a node's mac where no link is selected by it
 * is refused (whoever wrote it believes it picks the NIC); tenant quotas, limits and dedicated
 * nodes where the profile renders none (they take effect again under a stricter profile) and a
 * node's site (Bulwark reads nothing from it yet) are warned about.
 */
function checkIgnoredInputs(stack: Partial<StackConfig>, nodes: (NodeConfig | undefined)[], tenants: (TenantConfig | undefined)[], profile: Profile | undefined, opts: ValidateOptions, add: Add, warn: Add): void {
  if (profile) {
    const byControl: [keyof TenantConfig, string, string][] = [
      ['quota', 'tenancy.quota.defaults', 'a ResourceQuota'],
      ['limits', 'tenancy.quota.defaults', 'a LimitRange'],
      ['dedicatedNodes', 'tenancy.admission.dedicated-nodes', 'the admission policy that pins its pods'],
    ];
    for (const [key, id, what] of byControl) {
      if (inForce(id, stack, profile, opts)) continue;
      const why = profile.waive.some((w) => w.control === id) || (stack.waivers ?? []).some((w) => w?.control === id) ? `waives ${id}` : `does not require ${id}`;
      tenants.forEach((t, i) => {
        if (t && t[key] !== undefined)
          warn(['tenants', i, key], `is set, but profile ${profile.name} ${why}, so no tenant gets ${what} and this value is ignored; remove it, or use a profile that requires the control (multi-team or stricter)`);
      });
    }
  }
  nodes.forEach((n, i) => {
    if (!n) return;
    if (n.site !== undefined)
      warn(['nodes', i, 'site'], `is ${quote(n.site)}, but Bulwark configures nothing from a node's site yet; it is kept for your inventory only. To make it take effect, label the node (labels: {topology.kubernetes.io/zone: ${n.site}})`);
    if (n.mac !== undefined && !stack.existingCluster) {
      const net = mergeNetwork(networkLayers(n.role, stack.network, n.network, i));
      const only = net.links.length === 1 ? net.links[0] : undefined;
      if (!only || only.mac || only.busPath)
        add(['nodes', i, 'mac'], `is set, but it selects a NIC only when the node's network declares exactly one link without its own mac or busPath; here ${net.links.length === 1 ? `link ${quote(only!.name)} names its own selector` : `the network declares ${net.links.length} links`}, so it would be ignored. Remove it, or give the link a network (network: {links: [{name: lan0, addresses: [...]}]})`);
    }
  });
}

type Add = (path: PropertyKey[], message: string) => void;

function checkCluster(cluster: StackConfig['cluster'], nodes: (NodeConfig | undefined)[], stack: Partial<StackConfig>, add: Add): void {
  const talos = minorOf(cluster.talosVersion);
  const k8s = minorOf(cluster.kubernetesVersion);
  const support = TALOS_KUBERNETES_SUPPORT[talos];
  if (!support) add(['cluster', 'talosVersion'], `is Talos ${brief(cluster.talosVersion)}; Bulwark supports the Talos ${Object.keys(TALOS_KUBERNETES_SUPPORT).join(' and ')} lines (e.g. v1.13.9, v1.14.1)`);
  else if (compareMinor(k8s, support.min) < 0 || compareMinor(k8s, support.max) > 0)
    add(['cluster', 'kubernetesVersion'], `is ${brief(cluster.kubernetesVersion)}, which Talos ${talos} does not support; Talos ${talos} runs Kubernetes ${support.min} to ${support.max}`);
  if (support && compareMinor(cluster.contract, talos) > 0)
    add(['cluster', 'contract'], `is ${cluster.contract}, newer than Talos ${brief(cluster.talosVersion)} understands; use contract ${talos} or upgrade Talos first`);

  const subnets = [
    ...cluster.podSubnets.map((c, i) => ({ c, path: ['cluster', 'podSubnets', i] as PropertyKey[], what: 'pod subnet' })),
    ...cluster.serviceSubnets.map((c, i) => ({ c, path: ['cluster', 'serviceSubnets', i] as PropertyKey[], what: 'service subnet' })),
  ];
  for (let a = 0; a < subnets.length; a++)
    for (let b = a + 1; b < subnets.length; b++)
      if (overlaps(subnets[a].c, subnets[b].c))
        add(subnets[b].path, `${subnets[b].c} overlaps the ${subnets[a].what} ${subnets[a].c} (${keyPath(subnets[a].path)}); pod and service subnets must be disjoint`);
  const addresses = [
    ...nodes.flatMap((n, i) => (n ? [{ a: n.address, path: ['nodes', i, 'address'] as PropertyKey[] }] : [])),
    ...(cluster.vip ? [{ a: cluster.vip.address, path: ['cluster', 'vip', 'address'] as PropertyKey[] }] : []),
  ].filter((x) => isIP(x.a));
  for (const x of addresses)
    for (const s of subnets) if (overlaps(s.c, x.a)) add(x.path, `${x.a} lies inside the ${s.what} ${s.c}; node addresses must be outside pod and service subnets`);
  if (cluster.vip && nodes.some((n) => n?.address === cluster.vip!.address))
    add(['cluster', 'vip', 'address'], `${cluster.vip.address} is also a node's address; the VIP must be a free address on the control planes' network`);
  // The statement of a bring-your-own enforcer only means something where Bulwark does not install the CNI.
  if (cluster.networkPolicyEnforcer && cluster.cni !== 'none' && !stack.existingCluster)
    add(['cluster', 'networkPolicyEnforcer'], `is set, but cluster.cni is ${cluster.cni}, which Bulwark installs and configures itself; set it only with cni: none (your own CNI) or in existing-cluster mode`);
}

/** The role a node that failed to parse still states, if it states a valid one. */
function rawRole(item: unknown): NodeConfig['role'] | undefined {
  const role = item && typeof item === 'object' ? (item as { role?: unknown }).role : undefined;
  return role === 'controlplane' || role === 'worker' ? role : undefined;
}

function checkNodes(nodes: (NodeConfig | undefined)[], rawNodes: unknown[], allowEven: boolean, add: Add): void {
  // A node with a typo elsewhere is still the control plane it says it is: its own problem is
  // reported, and quorum is judged on every node's stated role (or not at all when one is unknown).
  const roles = nodes.map((n, i) => n?.role ?? rawRole(rawNodes[i]));
  const cps = roles.filter((r) => r === 'controlplane');
  if (roles.some((r) => r === undefined)) {
    // some node's role is unreadable: its own problem says so, quorum cannot be judged
  } else if (!cps.length) add(['nodes'], 'has no node with role controlplane; a cluster needs one (or three, or five) control-plane nodes');
  else if (cps.length % 2 === 0 && !allowEven)
    add(['nodes'], `has ${cps.length} control-plane nodes; etcd needs an odd number for quorum (an even count tolerates no more failures than one fewer). Use ${cps.length - 1} or ${cps.length + 1}, or set bulwark:cluster.allowEvenControlPlanes: true`);
  const seen = new Map<string, number>();
  const seenAddr = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (!n) return;
    if (seen.has(n.name)) add(['nodes', i, 'name'], `${quote(n.name)} is already the name of bulwark:nodes[${seen.get(n.name)}]; node names must be unique`);
    else seen.set(n.name, i);
    if (seenAddr.has(n.address)) add(['nodes', i, 'address'], `${n.address} is already the address of bulwark:nodes[${seenAddr.get(n.address)}]; node addresses must be unique`);
    else seenAddr.set(n.address, i);
  });
}

function checkTenants(tenants: (TenantConfig | undefined)[], nodeList: (NodeConfig | undefined)[], stack: Partial<StackConfig>, profile: Profile | undefined, add: Add): void {
  const seen = new Map<string, number>();
  const nodes = nodeList.filter((n): n is NodeConfig => !!n);
  tenants.forEach((t, i) => {
    if (!t) return;
    if (seen.has(t.name)) add(['tenants', i, 'name'], `${quote(t.name)} is already bulwark:tenants[${seen.get(t.name)}]; tenant names must be unique`);
    else seen.set(t.name, i);
    if (RESERVED_NAMESPACES.includes(t.name) || t.name.startsWith('kube-'))
      add(['tenants', i, 'name'], `${quote(t.name)} is a Kubernetes system namespace; choose a tenant name that is not default or kube-*`);
    t.groups.forEach((g, j) => {
      if (groupNameOf(g).startsWith('system:')) add(['tenants', i, 'groups', j], `${quote(groupNameOf(g))} begins with system:, the space Kubernetes reserves for its own identities; use the identity provider's group name`);
    });
    if (t.dedicatedNodes) checkDedicatedNodes(t, i, tenants, nodeList, stack, add);
    if (t.selfService && profile && strictEgress(profile.settings))
      add(['tenants', i, 'selfService'], `is true, but profile ${profile.name} requires strict egress: tenant admins who may write NetworkPolicies can allow any egress themselves (policies only ever add allowed traffic), which undoes it; remove selfService and let the platform team add the tenant's allow rules`);
    if (t.allowServiceTypes.length && profile && !profile.settings.tenantServiceTypesAllowed)
      add(['tenants', i, 'allowServiceTypes'], `asks for ${t.allowServiceTypes.join(', ')}, which profile ${profile.name} never allows tenants; remove it, or expose the service through an ingress the platform team runs`);
  });
  if (profile && profile.settings.sandboxRuntime !== 'none' && nodes.length && !nodes.some((n) => n.sandbox))
    add(['nodes'], `has no sandbox-capable node, but profile ${profile.name} runs tenant pods in ${profile.settings.sandboxRuntime}; set sandbox: true on the workers that should run them`);
}

/**
 * A dedicated pool must be exclusive: labelled under node-restriction.kubernetes.io/ (no kubelet
 * can give itself that label, catalogue/node-pools.ts), tainted so other tenants' pods are not
 * scheduled there, and no other tenant's.
 */
function checkDedicatedNodes(t: TenantConfig, i: number, tenants: (TenantConfig | undefined)[], nodeList: (NodeConfig | undefined)[], stack: Partial<StackConfig>, add: Add): void {
  const want = Object.entries(t.dedicatedNodes ?? {});
  const path = ['tenants', i, 'dedicatedNodes'];
  if (!want.length) return add(path, `is empty; name the pool's label, e.g. { ${POOL_LABEL_PREFIX}pool: ${t.name} }, or leave dedicatedNodes out`);
  for (const [k] of want)
    if (!isPoolLabel(k))
      add([...path, k], `is a label key outside ${POOL_LABEL_PREFIX}: any kubelet may set it on its own node, so a compromised node could join the pool and draw this tenant's pods; use ${POOL_LABEL_PREFIX}${k.split('/').pop()} (NodeRestriction forbids kubelets that prefix) here and on the pool's nodes`);
  // In existing-cluster mode the nodes are not in the stack, so there is nothing to check against.
  if (stack.existingCluster) return;
  const inPool = (n: NodeConfig, pool: [string, string][]) => pool.every(([k, v]) => n.labels[k] === v);
  const members = nodeList.map((n, j) => ({ n, j })).filter((x): x is { n: NodeConfig; j: number } => !!x.n && inPool(x.n, want));
  const selects = want.map(([k, v]) => `${k}=${v}`).join(',');
  if (!members.length) add(path, `selects ${selects}, which no node in bulwark:nodes carries; add those labels to the tenant's nodes`);
  for (const { n, j } of members) {
    if (!n.taints.some((x) => x.effect !== 'PreferNoSchedule' && isPoolLabel(x.key) && t.dedicatedNodes![x.key] === x.value))
      add(['nodes', j, 'taints'], `has no NoSchedule or NoExecute taint for tenant ${t.name}'s dedicated pool (${selects}) on node ${n.name}, so the scheduler puts other tenants' pods there; add { key: ${want[0][0]}, value: ${want[0][1]}, effect: NoSchedule }`);
    tenants.forEach((o, k) => {
      if (o && k < i && o.dedicatedNodes && Object.keys(o.dedicatedNodes).length && inPool(n, Object.entries(o.dedicatedNodes)))
        add(path, `selects node ${n.name}, which tenant ${o.name} (bulwark:tenants[${k}]) has as a dedicated node too; a dedicated pool belongs to one tenant`);
    });
  }
}

/** Where the profile requires a pinned first apply (and nobody waived it), every node names its fingerprint. */
function checkPinnedFirstApply(nodes: (NodeConfig | undefined)[], stack: Partial<StackConfig>, profile: Profile | undefined, opts: ValidateOptions, add: Add): void {
  const control = opts.catalogue.find((c) => c.id === PINNED_FIRST_APPLY);
  if (!control || !profile || stack.existingCluster) return;
  const required = control.requiredBy.some((p) => profile.lineage.includes(p)) || profile.require.includes(control.id);
  const waived = profile.waive.some((w) => w.control === control.id) || (stack.waivers ?? []).some((w) => w?.control === control.id);
  if (!required || waived) return;
  nodes.forEach((n, i) => {
    if (n && !n.certFingerprint)
      add(
        ['nodes', i, 'certFingerprint'],
        `is missing; profile ${profile.name} sends a node its configuration (with every CA key) only after checking the node's maintenance-mode certificate (control ${control.id}). Boot ${n.name} into maintenance mode and copy the fingerprint its console prints (talosctl apply-config --insecure ... --cert-fingerprint '<44 characters>'), or waive the control with a reason`,
      );
  });
}

function checkOidc(stack: Partial<StackConfig>, tenants: (TenantConfig | undefined)[], profile: Profile | undefined, add: Add, given: boolean): void {
  const oidc = stack.oidc;
  if (!oidc) {
    // given but unparsable: its own problems are reported, it is not also "missing"
    if (!given && stack.oidc === undefined && !('oidc' in stack && stack.oidc === null))
      add(['oidc'], 'is missing; every Bulwark cluster authenticates people through the organisation\'s identity provider (see docs/oidc.md)');
    return;
  }
  const seen = new Map<string, number>();
  oidc.issuers.forEach((iss, i) => {
    const p = (...rest: PropertyKey[]) => ['oidc', 'issuers', i, ...rest];
    if (seen.has(iss.url)) add(p('url'), `${brief(iss.url)} is already bulwark:oidc.issuers[${seen.get(iss.url)}]; each issuer appears once`);
    else seen.set(iss.url, i);
    if (stack.cluster && sameUrl(iss.url, stack.cluster.endpoint))
      add(p('url'), `${brief(iss.url)} is the cluster's service-account issuer (the cluster endpoint); the API server refuses a JWT issuer equal to it`);
    if (iss.discoveryURL && sameUrl(iss.discoveryURL, iss.url)) add(p('discoveryURL'), 'equals the issuer URL; leave it out unless discovery lives elsewhere');
    const u = iss.claims.username;
    if (!u.prefix) add(p('claims', 'username', 'prefix'), `is missing; set a prefix such as "oidc:" so identity-provider users can never collide with Kubernetes' own users`);
    if (iss.claims.groups && !iss.claims.groups.prefix)
      add(p('claims', 'groups', 'prefix'), `is missing for groups claim ${quote(iss.claims.groups.claim)}; set a prefix such as "oidc:" so identity-provider groups can never be system: groups`);
    for (const which of ['username', 'groups'] as const) {
      const pre = iss.claims[which]?.prefix;
      if (pre && pre.startsWith('system:')) add(p('claims', which, 'prefix'), `${quote(pre)} starts with system:, the space Kubernetes reserves for itself; use e.g. "oidc:"`);
    }
    if (iss.certificateAuthority !== undefined && !isPemBundle(iss.certificateAuthority))
      add(p('certificateAuthority'), 'is not a PEM certificate bundle; paste the CA certificate(s) starting with -----BEGIN CERTIFICATE-----');
    if (profile?.settings.oidc.pinnedAudiencesAndRequiredClaims && !Object.keys(iss.requiredClaims).length)
      add(p('requiredClaims'), `is empty; profile ${profile.name} requires every issuer to pin required claims (e.g. email_verified: "true")`);
  });
  if (!oidc.issuers[0]?.audiences.includes(oidc.clientId))
    add(['oidc', 'clientId'], `${quote(oidc.clientId)} is not among bulwark:oidc.issuers[0].audiences; kubectl's tokens would be rejected. Add it to the audiences`);
  if (profile && oidc.issuers.length > profile.settings.oidc.maxIssuers)
    add(['oidc', 'issuers'], `has ${oidc.issuers.length} issuers; profile ${profile.name} allows at most ${profile.settings.oidc.maxIssuers}`);
  checkIssuers(oidc, add);
  const refs = (key: 'platformAdminGroups' | 'auditorGroups') => oidc[key].forEach((g, j) => checkGroupRef(oidc, g, ['oidc', key, j], add));
  refs('platformAdminGroups');
  refs('auditorGroups');
  tenants.forEach((t, i) => t?.groups.forEach((g, j) => checkGroupRef(oidc, g, ['tenants', i, 'groups', j], add)));
  // Groups are compared as the API server sees them: one name from two issuers is two groups.
  const subject = (g: Parameters<typeof groupNameOf>[0]) => prefixedGroup(oidc, g) ?? groupNameOf(g);
  const hasGroupsClaim = oidc.issuers.some((i) => i.claims.groups);
  if (!hasGroupsClaim) add(['oidc', 'issuers'], 'no issuer maps a groups claim; Bulwark grants access by group, so map one (claims.groups: {claim: groups, prefix: "oidc:"})');
  const tenantGroups = new Map<string, string>();
  tenants.forEach((t, i) =>
    t?.groups.forEach((g, j) => {
      const other = tenantGroups.get(subject(g));
      if (other && other !== t.name && profile?.settings.oidc.perTenantGroups)
        add(['tenants', i, 'groups', j], `${quote(groupNameOf(g))} is also a group of tenant ${other}; profile ${profile.name} requires each tenant to have its own groups`);
      tenantGroups.set(subject(g), t.name);
    }),
  );
  oidc.platformAdminGroups.forEach((g, j) => {
    if (tenantGroups.has(subject(g))) add(['oidc', 'platformAdminGroups', j], `${quote(groupNameOf(g))} is also a group of tenant ${tenantGroups.get(subject(g))}; admins and tenants must be different groups`);
    if (groupNameOf(g).startsWith('system:')) add(['oidc', 'platformAdminGroups', j], `${quote(groupNameOf(g))} begins with system:; use the identity provider's group name`);
  });
}

function checkWaivers(stack: Partial<StackConfig>, profile: Profile | undefined, opts: ValidateOptions, add: Add): void {
  const seen = new Set<string>();
  (stack.waivers ?? []).forEach((w, i) => {
    if (!w) return;
    const control = opts.catalogue.find((c) => c.id === w.control);
    if (!control) {
      const near = suggest(w.control, opts.catalogue.map((c) => c.id));
      add(['waivers', i, 'control'], `${quote(w.control)} is not a control id; ${near.length ? `did you mean ${near.join(' or ')}?` : 'list the ids with `bulwark controls`'}`);
      return;
    }
    if (seen.has(w.control)) add(['waivers', i, 'control'], `${quote(w.control)} is waived twice; keep one waiver per control`);
    seen.add(w.control);
    if (w.expires && w.expires < opts.today)
      add(['waivers', i, 'expires'], `waiver of ${w.control} expired on ${w.expires}; renew it with a new date and reason, or remove it so the control applies again`);
    if (profile && !control.requiredBy.some((p) => profile.lineage.includes(p)) && !profile.require.includes(control.id))
      add(['waivers', i, 'control'], `${quote(w.control)} is not required by profile ${profile.name}, so there is nothing to waive; remove the waiver`);
  });
  if (profile && stack.cluster?.contract === '1.13') {
    const cm = opts.catalogue.find((c) => c.id === 'k8s.etcd.encryption-configmaps');
    if (cm && cm.requiredBy.some((p) => profile.lineage.includes(p)) && !seen.has(cm.id))
      add(['cluster', 'contract'], `is 1.13, where Talos generates the encryption config itself (secrets only) and refuses a custom one, but profile ${profile.name} also encrypts ConfigMaps; use contract "1.14" or waive k8s.etcd.encryption-configmaps`);
  }
}

function sameUrl(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.host === y.host && x.pathname.replace(/\/$/, '') === y.pathname.replace(/\/$/, '');
  } catch {
    return false;
  }
}

function isPemBundle(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.join('').replace(/\s/g, '').length < pem.replace(/\s/g, '').length) return false;
  try {
    for (const b of blocks) new X509Certificate(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Control characters (other than tab and line breaks), DEL, C1, the Unicode line separators,
 * a BOM and unpaired surrogates are refused in every string of the stack: YAML writers pass
 * some of them raw and YAML 1.1 readers (go-yaml: Talos, kubectl) fold or refuse them, so the
 * value a node reads would differ from the one reviewed.
 */
const UNSAFE_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

function checkControlCharacters(v: unknown, path: PropertyKey[], add: Add): void {
  if (typeof v === 'string') {
    const m = UNSAFE_CHAR.exec(v);
    if (m) {
      const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      add(path, `holds the control character ${code} at position ${m.index + 1}; remove it (YAML readers disagree on it, so a node could read a different value)`);
    }
  } else if (Array.isArray(v)) v.forEach((x, i) => checkControlCharacters(x, [...path, i], add));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (UNSAFE_CHAR.test(k)) add(path, `has a key holding a control character; remove it`);
      checkControlCharacters(x, [...path, k], add);
    }
}
