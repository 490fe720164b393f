/**
 * The stack configuration: keys under `bulwark:` in stacks/Pulumi.<stack>.yaml.
 * This zod schema is the single source of truth for the config and its TypeScript types;
 * Pulumi.yaml's `config:` block describes the same top-level keys for `pulumi config`.
 * Cross-field rules (quorum, overlaps, profile-dependent checks) live in validate.ts.
 */
import { z } from 'zod';
import {
  address, cidr, dnsLabel, duration, groupName, httpsUrl, ipAddress, isoDate, labelKey, labels, labelValue, quantity, version,
} from './fields';
import { discoverySchema, registriesSchema } from './airgap';
import { backupSchema } from './backup';
import { caRotationSchema } from './ca-rotation';
import { networkSchema, roleNetworkSchema } from './network';
import { patchListSchema, patchesSchema } from './patches';
import { allowancesSchema } from './allowances';
import { schematicSchema } from './schematic';

const diskSelector = z
  .strictObject({
    size: z.string().regex(/^(<=|>=|<|>|==)?\s?\d+\s?(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/, {
      error: 'is not a size match; write e.g. ">= 100GB" or "<= 2TB"',
    }).optional(),
    model: z.string().regex(/^[A-Za-z0-9 _.*-]+$/, { error: 'is not a disk model pattern; use letters, digits, space, "_", ".", "-" and "*"' }).optional(),
    serial: z.string().regex(/^[A-Za-z0-9_.*-]+$/, { error: 'is not a disk serial pattern; use letters, digits, "_", ".", "-" and "*"' }).optional(),
    wwid: z.string().regex(/^[A-Za-z0-9_.:*-]+$/, { error: 'is not a WWID pattern' }).optional(),
    type: z.enum(['ssd', 'hdd', 'nvme', 'sd']).optional(),
    busPath: z.string().regex(/^[A-Za-z0-9_./:*-]+$/, { error: 'is not a bus path pattern, e.g. /pci0000:00/*' }).optional(),
  })
  .refine((s) => Object.keys(s).length > 0, { error: 'is empty; give at least one of size, model, serial, wwid, type, busPath' });

const taint = z.strictObject({
  key: labelKey,
  value: labelValue.optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

export const nodeSchema = z
  .strictObject({
    name: dnsLabel('node name'),
    address,
    role: z.enum(['controlplane', 'worker']),
    installDisk: z.string().regex(/^\/dev\/[a-z0-9][a-z0-9/_-]*$/, { error: 'is not a device path; write e.g. /dev/sda or /dev/nvme0n1' }).optional(),
    diskSelector: diskSelector.optional(),
    mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, { error: 'is not a MAC address; write six lower-case hex pairs, e.g. 0c:c4:7a:12:34:56' }).optional(),
    labels: labels.default({}),
    taints: z.array(taint).default([]),
    site: dnsLabel('site name').optional(),
    /** Can run sandboxed pods (gVisor/Kata): gets the runtime extension, a label and a taint. */
    sandbox: z.boolean().default(false),
    /**
     * The node's maintenance-mode certificate fingerprint (talosctl apply-config --cert-fingerprint):
     * base64 SHA-256 of the certificate's public key, as the node's console prints it at boot.
     */
    certFingerprint: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, {
        error: 'is not a Talos certificate fingerprint; copy the 44-character base64 value ending in "=" that the node\'s console prints in maintenance mode ("--cert-fingerprint \'…\'")',
      })
      .optional(),
    /** Static addresses, bonds, VLANs, DNS, NTP, hostname (core/config/network.ts), laid over bulwark:network. */
    network: networkSchema.optional(),
    /** Talos config patches for this node, after bulwark:patches' all and role patches (core/config/patches.ts). */
    patches: patchListSchema,
    /** Extensions and kernel arguments for this node's schematic, beside bulwark:schematic's. */
    schematic: schematicSchema.optional(),
  })
  .refine((n) => !(n.installDisk && n.diskSelector), { error: 'has both installDisk and diskSelector; give exactly one', path: ['installDisk'] })
  .refine((n) => n.installDisk || n.diskSelector, { error: 'has neither installDisk nor diskSelector; give one, e.g. installDisk: /dev/sda', path: ['installDisk'] });

export const clusterSchema = z.strictObject({
  name: dnsLabel('cluster name'),
  /** https URL of the API server: a layer-2 VIP, a DNS name or a load balancer. */
  endpoint: httpsUrl('the cluster endpoint'),
  talosVersion: version('Talos', 'v1.13.9'),
  kubernetesVersion: version('Kubernetes', 'v1.36.4'),
  /** The Talos machine-config contract: 1.13 renders one v1alpha1 document, 1.14 the multi-document form. */
  contract: z.enum(['1.13', '1.14'], { error: 'must be "1.13" or "1.14" (quote it in YAML so it stays a string)' }),
  podSubnets: z.array(cidr).min(1).default(['10.244.0.0/16']),
  serviceSubnets: z.array(cidr).min(1).default(['10.96.0.0/12']),
  dnsDomain: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: 'is not a DNS domain, e.g. cluster.local' }).default('cluster.local'),
  /** Optional shared layer-2 VIP for the API server, held by one control plane at a time. */
  vip: z.strictObject({ address: ipAddress, link: z.string().regex(/^[a-z][a-z0-9_.-]{0,14}$/, { error: 'is not a link name, e.g. eth0 or enp1s0' }) }).optional(),
  /**
   * The CNI: flannel (Talos's own, with kube-network-policies where a control needs NetworkPolicy),
   * cilium (installed by the program, Talos's documented values) or none (bring your own).
   */
  cni: z.enum(['flannel', 'cilium', 'none'], { error: 'must be flannel, cilium or none' }).default('flannel'),
  /**
   * With cni: none or an existing cluster: the CNI you run that enforces NetworkPolicy (e.g. "calico v3.30").
   * Your statement, shown as such in the posture report; without it NetworkPolicy controls are not "enforced".
   */
  networkPolicyEnforcer: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9 ._:/@+-]+$/, { error: 'is not a CNI name and version, e.g. "calico v3.30"' }).optional(),
  /** WireGuard mesh between nodes (needed when nodes sit behind NAT; forced on by the edge overlay). */
  kubespan: z.boolean().default(false),
  /** etcd needs an odd member count for quorum; set this only if you know why you want an even one. */
  allowEvenControlPlanes: z.boolean().default(false),
  /** Lifetime of the break-glass client-certificate admin kubeconfig that Talos issues. */
  breakGlassCertLifetime: duration.default('1h'),
});

export const waiverSchema = z.strictObject({
  control: z.string().min(1),
  reason: z.string({ error: 'is missing; every waiver needs a reason a reviewer can judge' }).trim().min(10, { error: 'is too short; say why this control does not apply (at least 10 characters)' }),
  expires: isoDate.optional(),
});

const claimMapping = z.strictObject({
  claim: groupName,
  prefix: z.string().max(64).regex(/^[A-Za-z0-9:._@/-]*$/, { error: 'may hold only letters, digits and : . _ @ / -' }).optional(),
});

/**
 * A group: a plain name belongs to the first (only) issuer; with several issuers each group
 * names the issuer that emits it, and is bound only under that issuer's groups prefix.
 */
export const groupRefSchema = z.union([groupName, z.strictObject({ issuer: dnsLabel('issuer name'), group: groupName })], {
  error: 'is neither a group name nor {issuer: <issuer name>, group: <group name>}',
});

export const issuerSchema = z.strictObject({
  /** What group references call this issuer ({issuer: <name>, group: ...}); needed once there are two. */
  name: dnsLabel('issuer name').optional(),
  url: httpsUrl('an OIDC issuer URL'),
  discoveryURL: httpsUrl('a discovery URL').optional(),
  audiences: z.array(z.string().min(1).regex(/^[A-Za-z0-9:._@/-]+$/, { error: 'is not an audience; use letters, digits and : . _ @ / -' })).min(1),
  certificateAuthority: z.string().optional(),
  claims: z.strictObject({ username: claimMapping.default({ claim: 'email' }), groups: claimMapping.optional() }).default({ username: { claim: 'email' } }),
  requiredClaims: z.record(groupName, z.string()).default({}),
  claimValidationRules: z.array(z.strictObject({ expression: z.string().min(1), message: z.string().min(1) })).default([]),
});

export const oidcSchema = z.strictObject({
  issuers: z.array(issuerSchema).min(1),
  /** The client id kubectl (kubelogin) uses; must be one of the first issuer's audiences. */
  clientId: z.string().min(1).regex(/^[A-Za-z0-9:._@/-]+$/, { error: 'is not a client id; use letters, digits and : . _ @ / -' }),
  extraScopes: z.array(z.string().regex(/^[A-Za-z0-9:._/-]+$/, { error: 'is not a scope name' })).default(['email', 'groups']),
  platformAdminGroups: z.array(groupRefSchema).min(1),
  auditorGroups: z.array(groupRefSchema).default([]),
});

const quotaSchema = z.record(z.string().regex(/^[a-z0-9./-]+$/, { error: 'is not a ResourceQuota resource name, e.g. requests.cpu or count/pods' }), quantity);
const limitsSchema = z.strictObject({
  defaultRequest: z.record(z.enum(['cpu', 'memory', 'ephemeral-storage']), quantity).optional(),
  default: z.record(z.enum(['cpu', 'memory', 'ephemeral-storage']), quantity).optional(),
  max: z.record(z.enum(['cpu', 'memory', 'ephemeral-storage']), quantity).optional(),
});

export const tenantSchema = z.strictObject({
  name: dnsLabel('tenant name'),
  /** OIDC groups (without the issuer's groups prefix) whose members administer the tenant's namespace. */
  groups: z.array(groupRefSchema).min(1),
  quota: quotaSchema.optional(),
  limits: limitsSchema.optional(),
  /** Pin the tenant's pods to nodes carrying these labels (dedicated nodes). */
  dedicatedNodes: z.record(labelKey, labelValue).optional(),
  /** Tenant admins may manage their own NetworkPolicies. */
  selfService: z.boolean().default(false),
  /** Service types beyond ClusterIP the tenant may create (the profile decides whether this is allowed). */
  allowServiceTypes: z.array(z.enum(['NodePort', 'LoadBalancer'])).default([]),
  /** Traffic beyond the default-deny, declared by the platform team (core/config/allowances.ts). */
  allow: allowancesSchema.optional(),
});

export const operationsSchema = z.strictObject({
  /** Bound on waiting for cluster health after bootstrap and after each upgrade step. */
  healthTimeout: duration.default('10m'),
  /** Workers upgraded together in one step (control planes always go one at a time). */
  workerBatchSize: z.number().int().min(1).max(50).default(1),
  /** Reset nodes (graceful; wipes STATE and EPHEMERAL) when the stack is destroyed. */
  resetOnDestroy: z.boolean().default(false),
  /** Environment tier, read by the policy pack to hold stacks to a minimum profile. */
  environment: z.enum(['development', 'staging', 'production']).default('development'),
  /** Run `pulumi up` on merge to main when the merge touches this stack (scripts/ci-deploy.sh). */
  autoDeploy: z.boolean().default(false),
  /**
   * Nodes whose Talos API no longer answers (docs/operations.md, "Replacing a dead control plane"): never
   * contacted; a control plane's etcd member is removed from a healthy peer instead (core/config/membership.ts).
   */
  deadNodes: z.array(dnsLabel('node name')).default([]),
});

/** The top-level `bulwark:` keys, each described in Pulumi.yaml. */
export const stackSchema = z.strictObject({
  cluster: clusterSchema,
  nodes: z.array(nodeSchema).default([]),
  profile: z.string().min(1),
  waivers: z.array(waiverSchema).default([]),
  site: z.enum(['datacenter', 'edge']).default('datacenter'),
  oidc: oidcSchema.optional(),
  tenants: z.array(tenantSchema).default([]),
  operations: operationsSchema.default({ healthTimeout: '10m', workerBatchSize: 1, resetOnDestroy: false, environment: 'development', autoDeploy: false, deadNodes: [] }),
  /** Existing-cluster mode: no nodes; the Kubernetes layers go to this cluster (kubeconfig is a secret). */
  /** The Image Factory that builds the nodes' boot media and installers (a site's own, or the public one). */
  imageFactory: httpsUrl('the Image Factory URL')
    .refine((v) => new URL(v).pathname === '/', { error: (iss) => `${JSON.stringify(iss.input)} has a path; give the factory's origin only, e.g. https://factory.example.com (its registry serves installers at that host)` })
    .default('https://factory.talos.dev'),
  /** Registry mirrors (a site's pull-through cache) for every image the nodes pull (core/config/airgap.ts). */
  registries: registriesSchema.default({ mirrors: [] }),
  /** The discovery service the nodes use, or none (enabled: false). */
  discovery: discoverySchema.default({ enabled: true, endpoint: 'https://discovery.talos.dev/' }),
  /** Networking every node, or every node of a role, shares: {all, controlplane, worker} (core/config/network.ts). */
  network: roleNetworkSchema.optional(),
  /** Networks people and CI reach the Talos API and the API server from, through the host firewall (render/machine/firewall.ts). */
  adminNetworks: z.array(cidr).default([]),
  /** The namespace the platform's ingress controller runs in (tenants' allow.fromIngress opens their pods to it). */
  ingressNamespace: dnsLabel('namespace name').optional(),
  /** Extensions and kernel arguments every node's schematic gets, beside the controls' (core/config/schematic.ts). */
  schematic: schematicSchema.default({ extensions: [], kernelArgs: [] }),
  /** Talos config patches, applied last: {all, controlplane, worker} (core/config/patches.ts). */
  patches: patchesSchema.default({ all: [], controlplane: [], worker: [] }),
  existingCluster: z.strictObject({ kubeconfig: z.union([z.string().min(1), z.strictObject({ secure: z.string() })]) }).optional(),
  /** Scheduled, age-encrypted etcd snapshots to S3 (core/config/backup.ts, core/render/backup.ts). */
  backup: backupSchema.optional(),
  /** The phase of an in-place CA rotation: {kubernetes, talos} each accept | switch | drop (core/config/ca-rotation.ts). */
  caRotation: caRotationSchema.optional(),
});

export type StackConfig = z.infer<typeof stackSchema>;
export type StackInput = z.input<typeof stackSchema>;
export type NodeConfig = z.infer<typeof nodeSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;
export type OidcConfig = z.infer<typeof oidcSchema>;
export type IssuerConfig = z.infer<typeof issuerSchema>;
export type GroupRef = z.infer<typeof groupRefSchema>;
export type Waiver = z.infer<typeof waiverSchema>;

export const TOP_LEVEL_KEYS = Object.keys(stackSchema.shape) as (keyof StackConfig)[];
