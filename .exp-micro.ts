import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { local } from '@pulumi/command';
const kind = process.argv[2]; const N = Number(process.argv[3]);
(async () => {
  await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name + '-id', state: a.inputs }), call: (a) => a.inputs }, 'p', 's', false);
  class C extends pulumi.ComponentResource { constructor(n: string) { super('x:y:Z', n, {}, {}); this.registerOutputs({}); } }
  const t0 = Date.now();
  await pulumi.runtime.runInPulumiStack(async () => {
    const p = kind === 'ns' ? new k8s.Provider('p', { kubeconfig: 'x' }) : undefined;
    for (let i = 0; i < N; i++) {
      if (kind === 'ns') new k8s.core.v1.Namespace(`ns-${i}`, { metadata: { name: `ns-${i}` } }, { provider: p });
      else if (kind === 'cmd') new local.Command(`c-${i}`, { create: 'echo', environment: { A: 'b' }, stdin: 'x' });
      else new C(`c-${i}`);
    }
    return {};
  });
  await (pulumi.runtime as any).waitForRPCs();
  console.log(kind, N, Date.now() - t0, 'ms', ((Date.now() - t0) / N).toFixed(2), 'ms/res', (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0), 'MB');
})();
