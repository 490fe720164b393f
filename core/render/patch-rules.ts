/**
 * The fields Talos does not merge the default way (maps key by key, lists appended), read from the
 * Go types of machinery v1.13.9 and v1.14.1: `merge:"replace"` struct tags, and the types with their
 * own Merge method (meta.Args / v1alpha1.Args: key by key, each value replaced; NetworkDeviceList by
 * interface name or device selector; VlanList by VLAN id; AdmissionPluginConfigList by plugin name).
 * Not modelled (Bulwark renders none of them): ExtensionServiceConfig configFiles and
 * ImageVerificationConfig rules; patch those with a full value.
 */
export type MergeRule = 'replace' | 'args' | { keyedBy: (el: Record<string, unknown>) => string | undefined };

interface Rule {
  kind: string;
  /** Field path in the document; `*` is any element of a list. */
  path: string[];
  rule: MergeRule;
  /** The first Talos line with the rule. */
  since?: '1.14';
}

const byKey = (key: string): MergeRule => ({ keyedBy: (el) => (el[key] === undefined ? undefined : String(el[key])) });
const args = (kind: string, path: string[], since?: '1.14'): Rule => ({ kind, path, rule: 'args', since });
const replace = (kind: string, path: string[], since?: '1.14'): Rule => ({ kind, path, rule: 'replace', since });

const RULES: Rule[] = [
  replace('v1alpha1', ['cluster', 'apiServer', 'auditPolicy']),
  replace('v1alpha1', ['cluster', 'network', 'podSubnets']),
  replace('v1alpha1', ['cluster', 'network', 'serviceSubnets']),
  args('v1alpha1', ['machine', 'kubelet', 'extraArgs']),
  ...['apiServer', 'controllerManager', 'scheduler', 'proxy', 'etcd'].map((c) => args('v1alpha1', ['cluster', c, 'extraArgs'])),
  {
    kind: 'v1alpha1',
    path: ['machine', 'network', 'interfaces'],
    // by interface name, else by an equal device selector
    rule: { keyedBy: (el) => (typeof el.interface === 'string' && el.interface ? `i:${el.interface}` : el.deviceSelector ? `s:${stable(el.deviceSelector)}` : undefined) },
  },
  { kind: 'v1alpha1', path: ['machine', 'network', 'interfaces', '*', 'vlans'], rule: byKey('vlanId') },
  { kind: 'v1alpha1', path: ['cluster', 'apiServer', 'admissionControl'], rule: byKey('name') },
  replace('NetworkRuleConfig', ['ingress']),
  replace('NetworkRuleConfig', ['portSelector', 'ports']),
  ...['KubeletConfig', 'KubeAPIServerConfig', 'KubeControllerManagerConfig', 'KubeSchedulerConfig', 'KubeProxyConfig'].map((k) => args(k, ['extraArgs'], '1.14')),
  ...['KubeAuditPolicyConfig', 'KubeAuthenticationConfig', 'KubeCredentialProviderConfig'].map((k) => replace(k, ['configuration'], '1.14')),
  replace('KubeNetworkConfig', ['podSubnets'], '1.14'),
  replace('KubeNetworkConfig', ['serviceSubnets'], '1.14'),
  replace('KubeStaticPodConfig', ['pod'], '1.14'),
  replace('ResolverConfig', ['searchDomains', 'domains'], '1.14'),
  replace('CRIBaseRuntimeSpecConfig', ['overrides'], '1.14'),
  ...['advertise', 'importRoutes', 'neighbors'].map((f) => replace('BGPInstanceConfig', [f], '1.14')),
];

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** The rule of the field at `path` (list indices as `*`) of a document of `kind`, on a Talos line. */
export function mergeRuleAt(kind: string, path: string[], line: '1.13' | '1.14'): MergeRule | undefined {
  for (const r of RULES)
    if (r.kind === kind && (!r.since || line === '1.14') && r.path.length === path.length && r.path.every((p, i) => p === path[i])) return r.rule;
  return undefined;
}
