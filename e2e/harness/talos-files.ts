/**
 * The API-server configuration files Talos writes on a control-plane node, built from exactly what
 * Bulwark rendered into the machine config (contract 1.14 multi-document, or 1.13 v1alpha1).
 */
import { parseAllDocuments } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

export interface TalosApiServerFiles {
  admission: Doc;
  auditPolicy: Doc;
  encryption: Doc;
  authentication: Doc;
  authorization: Doc;
  /** Extra KubeSchedulerConfiguration fields Bulwark rendered (usually none). */
  schedulerConfig: Doc;
}

export function machineDocs(config: string): Doc[] {
  return parseAllDocuments(config).map((d) => d.toJSON() as Doc).filter(Boolean);
}

const admissionConfiguration = (plugins: { name: string; configuration: unknown }[]) => ({
  apiVersion: 'apiserver.config.k8s.io/v1',
  kind: 'AdmissionConfiguration',
  plugins: plugins.map((p) => ({ name: p.name, configuration: p.configuration })),
});

const authorizationConfiguration = (authorizers: { type: string; name: string }[]) => ({
  apiVersion: 'apiserver.config.k8s.io/v1',
  kind: 'AuthorizationConfiguration',
  authorizers: authorizers.map((a) => ({ type: a.type, name: a.name })),
});

export function talosApiServerFiles(config: string, contract: string, authenticationFlag: string): TalosApiServerFiles {
  const docs = machineDocs(config);
  if (contract === '1.14') {
    const of = (kind: string) => docs.filter((d) => d.kind === kind);
    const one = (kind: string) => {
      const d = of(kind);
      if (d.length !== 1) throw new Error(`expected one ${kind} document, found ${d.length}`);
      return d[0];
    };
    const authorizers = of('KubeAuthorizerConfig');
    return {
      admission: admissionConfiguration(of('KubeAdmissionControlConfig') as { name: string; configuration: unknown }[]),
      auditPolicy: one('KubeAuditPolicyConfig').configuration,
      encryption: { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', ...one('KubeEtcdEncryptionConfig').config },
      authentication: { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AuthenticationConfiguration', ...one('KubeAuthenticationConfig').configuration },
      // Talos 1.14: the KubeAuthorizerConfig documents; without any, its default Node + RBAC.
      authorization: authorizationConfiguration(authorizers.length ? (authorizers as { type: string; name: string }[]) : [{ type: 'Node', name: 'node' }, { type: 'RBAC', name: 'rbac' }]),
      schedulerConfig: of('KubeSchedulerConfig')[0]?.config ?? {},
    };
  }
  const v1 = docs.find((d) => d.machine && d.cluster);
  if (!v1) throw new Error('no v1alpha1 document in the machine config');
  const api = v1.cluster.apiServer ?? {};
  const file = (v1.machine.files ?? []).find((f: Doc) => authenticationFlag.endsWith(String(f.path).replace(/^\/var/, '')) || f.path === authenticationFlag);
  if (!file) throw new Error(`no machine file backs --authentication-config=${authenticationFlag}`);
  const { parse } = require('yaml') as typeof import('yaml');
  return {
    admission: admissionConfiguration(api.admissionControl ?? []),
    auditPolicy: api.auditPolicy,
    // Talos 1.13 generates this from cluster.secretboxEncryptionSecret (secrets only; key name key2).
    encryption: {
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'key2', secret: v1.cluster.secretboxEncryptionSecret }] } }, { identity: {} }] }],
    },
    authentication: parse(file.content),
    // Talos 1.13 always runs Node + RBAC through --authorization-config.
    authorization: authorizationConfiguration([{ type: 'Node', name: 'node' }, { type: 'RBAC', name: 'rbac' }]),
    schedulerConfig: v1.cluster.scheduler?.config ?? {},
  };
}
