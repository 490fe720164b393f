/**
 * Contract 1.14: Talos runs kube-proxy with `--config` (siderolabs/talos v1.14.1 control_plane.go
 * manageProxyConfigArgs) and kube-proxy ignores its other flags, so a control's kube-proxy setting must be in
 * the KubeProxyConfiguration (talosctl 1.14 also warns "extra arguments for kube-proxy may not work as expected").
 */
import { parseAllDocuments } from 'yaml';
import { kubeProxyConfiguration } from '../../core/render/machine/multidoc';
import { renderStack } from '../../core/render/index';
import { example, testSecrets } from '../helpers';

it('1.14 control planes carry kube-proxy settings as configuration, not flags', async () => {
  const r = renderStack(example('lab'), await testSecrets());
  const cp = r.nodes.find((n) => n.role === 'controlplane')!;
  const proxy = parseAllDocuments(cp.config).map((d) => d.toJS()).find((d) => d.kind === 'KubeProxyConfig');
  expect(proxy.extraArgs).toBeUndefined();
  expect(proxy.config).toEqual({ metricsBindAddress: '127.0.0.1:10249' }); // control-plane.ts: metrics on loopback only
});

it('a kube-proxy flag without a known configuration field is an error, not a silently ignored flag', () => {
  expect(() => kubeProxyConfiguration({ 'healthz-bind-address': '0.0.0.0:10256' })).toThrow(/--healthz-bind-address has no KubeProxyConfiguration field/);
});
