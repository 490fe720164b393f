/**
 * One control is one object: the threat it answers, its references, the profiles that
 * require it, and its contribution to the rendered configuration. The renderer builds every
 * machine configuration and cluster object from contributions, and the posture report lists
 * the same contributions as evidence, so what Bulwark claims and what it configures come from
 * one place.
 */
import type { NodeConfig, StackConfig, TenantConfig } from '../config/schema';
import type { Profile } from '../profiles/schema';
import type { K8sObject } from '../render/k8s';
import type { TalosLine } from '../talos/defaults';

export type Layer = 'os' | 'runtime' | 'kubernetes' | 'tenancy' | 'auth';
export const LAYERS: Layer[] = ['os', 'runtime', 'kubernetes', 'tenancy', 'auth'];

/** The built-in profiles a control may name in `requiredBy`. */
export type BuiltinProfile = 'single-team' | 'multi-team' | 'hostile-multi-tenant' | 'edge';

export interface References {
  /** CIS Kubernetes Benchmark 1.12 check ids, e.g. "1.2.15". */
  cis?: string[];
  /** Pod Security Standards controls, e.g. "restricted: Seccomp". */
  pss?: string[];
  /** NSA/CISA Kubernetes Hardening Guide (v1.2) sections. */
  nsa?: string[];
  /** Kernel Self Protection Project recommended settings. */
  kspp?: string[];
  /** Anything else worth citing (CVE ids, upstream docs). */
  other?: string[];
}

/** What a control adds to a node's Talos machine configuration. */
export interface MachineContribution {
  sysctls?: Record<string, string>;
  kernelArgs?: string[];
  /** Official Talos system extensions for the node's Image Factory schematic, e.g. siderolabs/gvisor. */
  extensions?: string[];
  secureboot?: boolean;
  /** Fields of the kubelet's KubeletConfiguration. */
  kubelet?: Record<string, unknown>;
  kubeletArgs?: Record<string, string>;
  /** TPM-sealed encryption of Talos system volumes. */
  diskEncryption?: { volumes: ('STATE' | 'EPHEMERAL')[]; key: 'tpm' };
  kubespan?: boolean;
  nodeLabels?: Record<string, string>;
  nodeTaints?: { key: string; value?: string; effect: string }[];
  /** Talos: the runtime seccomp profile as the default for every container. */
  defaultRuntimeSeccomp?: boolean;
  /** Talos's host firewall: ingress blocked but for the cluster's ports from its subnets and admin networks (render/machine/firewall.ts). */
  hostFirewall?: boolean;
}

/** What a control adds to the control plane (rendered only into control-plane configs). */
export interface ControlPlaneContribution {
  apiServerArgs?: Record<string, string>;
  /** Merged into --enable-admission-plugins. */
  admissionPlugins?: string[];
  controllerManagerArgs?: Record<string, string>;
  schedulerArgs?: Record<string, string>;
  etcdArgs?: Record<string, string>;
  /** kube-proxy runs on every node but is configured once for the cluster. */
  kubeProxyArgs?: Record<string, string>;
  /** An AdmissionConfiguration plugin entry, e.g. PodSecurity defaults. */
  admissionConfig?: { name: string; configuration: Record<string, unknown> }[];
  /** The audit policy (audit.k8s.io/v1 Policy); one control owns it. */
  auditPolicy?: Record<string, unknown>;
  /** Resources encrypted at rest with secretbox. */
  encryptedResources?: string[];
  /** The structured AuthenticationConfiguration (apiserver.config.k8s.io/v1); one control owns it. */
  authentication?: Record<string, unknown>;
  /** Lifetime of the admin kubeconfig Talos issues (`talosctl kubeconfig`, to whoever holds the talosconfig). */
  adminKubeconfigCertLifetime?: string;
  /**
   * Objects Talos itself creates at bootstrap (inline manifests; Talos creates what is missing,
   * never updates or deletes): only what must exist before the program can apply anything.
   */
  inlineManifests?: { name: string; objects: K8sObject[] }[];
  /** Flannel (cluster.cni: flannel) runs with kube-network-policies, which enforces NetworkPolicy. */
  kubeNetworkPolicies?: boolean;
  /** Talos API access from Kubernetes (talos.dev ServiceAccounts): these roles, from these namespaces only; one control owns it. */
  talosApiAccess?: { allowedRoles: string[]; allowedKubernetesNamespaces: string[] };
}

export interface Contribution {
  /** Every node. */
  machine?: MachineContribution;
  /** Only nodes selected by `match` (e.g. sandbox-capable nodes). */
  nodes?: { match: (node: NodeConfig) => boolean; select: string; machine: MachineContribution }[];
  controlPlane?: ControlPlaneContribution;
  /** Cluster-layer Kubernetes objects (applied by @pulumi/kubernetes after bootstrap). */
  objects?: K8sObject[];
  /** Per-tenant objects; kept apart so a change to one tenant touches only its objects. */
  tenantObjects?: (tenant: TenantConfig) => K8sObject[];
  /** Limits on how changes roll out (the edge overlay makes upgrades conservative). */
  operations?: { maxWorkerBatchSize?: number; minHealthTimeoutMinutes?: number };
  /** Decisions the posture report must state (e.g. why a default was overridden). */
  notes?: string[];
  /**
   * Settings Talos itself enforces that this control relies on (and that Talos refuses to let
   * a config change): stated as evidence, judged against Talos's computed output by test/talos/computed.test.ts.
   */
  talosProvides?: string[];
}

export interface ControlContext {
  stack: StackConfig;
  profile: Profile;
  /** e.g. "1.36" */
  kubernetesMinor: string;
  /** The Talos release line the nodes run: what Talos itself sets and denies differs by line. */
  talosLine: TalosLine;
}

/**
 * One link of the chain a control's effect depends on beyond its own contribution: a CNI that
 * enforces NetworkPolicy, a node with the runtime handler, a mode in which Bulwark owns the
 * nodes. A control with an unmet dependency is configured but never reported "enforced".
 */
export interface Dependency {
  /** What must hold, e.g. "a CNI that enforces NetworkPolicy". */
  what: string;
  met: boolean;
  /** How this stack meets it (stated as evidence), or why it does not. */
  detail: string;
}

/**
 * A place in a node's rendered Talos documents: the document (`v1alpha1`, a kind, or `kind/name`) and the
 * path in it; a `{key, value}` step picks the list element whose `key` is `value`. An empty path is the
 * whole document.
 */
export interface ConfigPath {
  doc: string;
  path: (string | { key: string; value: string })[];
}

export interface Control {
  /** Stable id, `<layer>.<area>.<what>`, used by waivers and reports. */
  id: string;
  layer: Layer;
  title: string;
  /** The attack or failure this control prevents, in a sentence or two. */
  threat: string;
  references: References;
  requiredBy: BuiltinProfile[];
  /** Whether the control is relevant to this stack at all (e.g. OIDC controls need an `oidc` block). */
  appliesTo?: (ctx: ControlContext) => boolean;
  contribute: (ctx: ControlContext) => Contribution;
  /** What else the control needs to take effect; any unmet dependency withholds "enforced". */
  dependsOn?: (ctx: ControlContext) => Dependency[];
  /**
   * Paths of a node's config this control owns beyond those its contribution's slots land in (which
   * core/render/patch-effects.ts derives): a config patch that changes one undoes the control.
   */
  ownsPaths?: (ctx: ControlContext, node: NodeConfig) => ConfigPath[];
}
