/**
 * Talos judges each phase of a CA rotation (core/secrets/ca-rotation.ts), on both contracts: `talosctl validate
 * --strict` accepts every node's configuration, and Talos's own controllers (talos-compute) make of it what the
 * phase means. Kubernetes CA: the API server's client-CA file (RenderSecretsStaticPodController's ca.crt, from
 * cluster.acceptedCAs / KubeAPIServerCAConfig) holds the old and the new CA in accept and switch and only the new
 * after drop; the serving certificate and the controller manager's signing CA come from the issuing CA. Talos API
 * CA: RootOSController accepts client certificates from both in accept and switch, and issues from the new one
 * from the switch on. The Talos JSON schema is not a judge here: it describes acceptedCAs as one object, while
 * Talos's Go type (and talosctl) take a list.
 */
import { X509Certificate } from 'node:crypto';
import { renderStack } from '../../core/render/index';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { PHASE_NAMES, type PhaseName, fingerprints, fp, rotationPhases, signedBy } from '../ca-phases';
import { testSecrets } from '../helpers';
import { absentComputeJudges, absentJudges, computeWithSecretFiles, flagsOf, judgesRequired, validate } from './talosctl';
import { variants } from './variants';

const labs = variants().filter((v) => v.stack === 'lab' && v.line === v.contract);
let phases: Record<PhaseName, SecretsBundle>;
beforeAll(async () => {
  phases = await rotationPhases(await testSecrets());
});
const oldNew = (ca: 'k8s' | 'os') => [phases.before.certs[ca].crt, phases.switch.certs[ca].crt].map(fp);
/** The CAs a phase accepts, as [old, new] fingerprints select them. */
const accepted = (phase: PhaseName, ca: 'k8s' | 'os') => {
  const [o, n] = oldNew(ca);
  return { before: [o], accept: [o, n], switch: [n, o], drop: [n] }[phase];
};

const skipped = [...new Set([...absentJudges, ...absentComputeJudges])];
if (skipped.length && !judgesRequired) {
  const why = `CA rotation judges SKIPPED: ${skipped.join('; ')}`;
  // eslint-disable-next-line no-console
  console.warn(why);
  it.skip(why, () => undefined);
} else {
  describe.each(labs.map((v) => [v.label, v] as const))('%s', (_label, v) => {
    it.each([...PHASE_NAMES])(`phase %s: every node config passes talosctl ${v.line} validate --strict`, (phase) => {
      const problems: string[] = [];
      for (const n of renderStack(v.valid, phases[phase]).nodes) {
        const r = validate(v.line, n.config, 'metal', true);
        if (!r.ok || r.warnings.length) problems.push(`${n.name}: ${[...r.errors, ...r.warnings].join('; ')}`);
      }
      expect(problems).toEqual([]);
    });

    it.each([...PHASE_NAMES])('phase %s: Talos\'s controllers accept and issue from the CAs of the phase', (phase) => {
      const b = phases[phase];
      const cp = renderStack(v.valid, b).nodes.find((n) => n.role === 'controlplane')!;
      const { computed, secretFiles } = computeWithSecretFiles(v.line, cp.config, cp.name, cp.address.split('/')[0]);
      const flag = (pod: string, f: string) => {
        const vs = flagsOf(computed.staticPods[pod].spec.containers[0].command)[f];
        if (vs?.length !== 1) throw new Error(`${pod} --${f}: ${vs?.length ?? 0} values`);
        return secretFiles[vs[0]];
      };
      // Kubernetes CA
      // (in the order each contract lists them: 1.13 puts acceptedCAs before the issuing CA)
      expect(fingerprints(flag('kube-apiserver', 'client-ca-file')).sort()).toEqual(accepted(phase, 'k8s').sort());
      expect(signedBy(flag('kube-apiserver', 'tls-cert-file'), b.certs.k8s.crt)).toBe(true);
      expect(fingerprints(flag('kube-controller-manager', 'cluster-signing-cert-file'))).toEqual([fp(b.certs.k8s.crt)]);
      // what pods get as the cluster's CA (kube-root-ca.crt): Talos gives the issuing one only, which signs what the API server serves
      expect(fingerprints(flag('kube-controller-manager', 'root-ca-file'))).toEqual([fp(b.certs.k8s.crt)]);
      // Talos API CA (apid and trustd verify client certificates against acceptedCAs; Talos adds the issuing one last)
      const os = computed.osRoot;
      expect(new X509Certificate(os.issuingCA).fingerprint256).toBe(fp(b.certs.os.crt));
      expect(os.acceptedCAs.map((c) => new X509Certificate(c).fingerprint256).sort()).toEqual(accepted(phase, 'os').sort());
    });
  });
}
