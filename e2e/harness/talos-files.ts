/**
 * The control plane Talos would run for a rendered machine config: the etcd, kube-apiserver, controller manager and
 * scheduler command lines and the files Talos writes for them (every certificate, key, kubeconfig and the encryption
 * config under /system/secrets included), as Talos's own controllers and etcd service compute them
 * (e2e/tools/talos-compute, via test/talos/talosctl.ts). Nothing here translates Talos by hand; one input comes from
 * the rendered YAML itself: on contract 1.13, the authentication config, a machine file Talos writes as given.
 */
import { parse, parseAllDocuments } from 'yaml';
import type { ComponentFlags } from '../../core/cis/model';
import type { TalosLine } from '../../core/talos/defaults';
import { computeWithSecretFiles, flagsOf } from '../../test/talos/talosctl';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

export interface TalosApiServerFiles {
  admission: Doc;
  auditPolicy: Doc;
  encryption: Doc;
  authentication: Doc;
  authorization: Doc;
  /** The KubeSchedulerConfiguration Talos writes (its kubeconfig path is a Talos path). */
  schedulerConfig: Doc;
  /** etcd's command line after the binary, exactly as machined's etcd service builds it (node addresses in it). */
  etcdArgs: string[];
  /**
   * Talos path -> content of every file Talos writes under /system/secrets: the etcd PKI, the control plane's
   * certificates and keys, the controllers' kubeconfigs (server: Talos's KubePrism endpoint), the encryption config.
   */
  secretFiles: Record<string, string>;
}

export function machineDocs(config: string): Doc[] {
  return parseAllDocuments(config).map((d) => d.toJSON() as Doc).filter(Boolean);
}

/** One value per flag: Talos passes some twice with the same meaning (bare and =true). */
function single(command: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(flagsOf(command)).map(([k, vs]) => {
    if (new Set(vs).size > 1) throw new Error(`Talos passes --${k} with different values: ${vs.join(', ')}`);
    return [k, vs[0]];
  }));
}

export function talosControlPlane(
  config: string, contract: string, line: TalosLine, node: { name: string; address: string }, model: ComponentFlags,
): { flags: ComponentFlags; files: TalosApiServerFiles } {
  const { computed, secretFiles } = computeWithSecretFiles(line, config, node.name, node.address.split('/')[0]);
  const cmd = (pod: string) => {
    const p = computed.staticPods[pod];
    if (!p) throw new Error(`Talos computed no ${pod} static pod`);
    return single(p.spec.containers[0].command);
  };
  // etcd merges a repeated flag (Talos 1.14 passes --feature-gates twice): one comma-joined value, as the model has it
  const etcd = Object.fromEntries(Object.entries(flagsOf(['etcd', ...computed.etcd.args])).map(([k, vs]) => [k, vs.join(',')]));
  const flags: ComponentFlags = {
    ...model, apiserver: cmd('kube-apiserver'), controllermanager: cmd('kube-controller-manager'), scheduler: cmd('kube-scheduler'), etcd,
  };
  const file = (name: string): Doc => {
    const f = computed.files[name];
    if (f === undefined) throw new Error(`Talos wrote no ${name}`);
    return parse(f) as Doc;
  };
  const docs = machineDocs(config);
  const encryptionPath = flags.apiserver['encryption-provider-config'];
  if (!secretFiles[encryptionPath]) throw new Error(`Talos wrote no ${encryptionPath} (--encryption-provider-config)`);
  const encryption = parse(secretFiles[encryptionPath]) as Doc;
  let authentication: Doc = {};
  const authnFlag = flags.apiserver['authentication-config'];
  if (contract === '1.14') authentication = file('kube-apiserver/authentication-config.yaml');
  else if (authnFlag) {
    const v1 = docs.find((d) => d.machine && d.cluster);
    const mf = (v1?.machine.files ?? []).find((f: Doc) => authnFlag.endsWith(String(f.path).replace(/^\/var/, '')) || f.path === authnFlag);
    if (!mf) throw new Error(`no machine file backs --authentication-config=${authnFlag}`);
    authentication = parse(mf.content) as Doc;
  }
  return {
    flags,
    files: {
      admission: file('kube-apiserver/admission-control-config.yaml'),
      auditPolicy: file('kube-apiserver/auditpolicy.yaml'),
      encryption,
      authentication,
      authorization: file('kube-apiserver/authorization-config.yaml'),
      schedulerConfig: file('kube-scheduler/scheduler-config.yaml'),
      etcdArgs: computed.etcd.args,
      secretFiles,
    },
  };
}
