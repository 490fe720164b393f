/**
 * A fixed stand-in for the cluster secrets. The Pulumi program renders the stack twice: once
 * with this bundle, synchronously, for everything that does not depend on secrets (nodes and
 * their installer images, reboot digests, Kubernetes objects, posture), so those are plain and
 * known at preview; and once with the real bundle, inside an Output, for what does (machine
 * configurations, the talosconfig, the CA in kubeconfigs). A test checks that everything
 * taken from the placeholder render is identical under a real bundle.
 */
import type { SecretsBundle } from '../secrets/bundle';

const P = Buffer.from('bulwark placeholder: never a real secret').toString('base64');

export const PLACEHOLDER_SECRETS: SecretsBundle = Object.freeze({
  cluster: { id: 'placeholder-cluster-id-placeholder-cluster-id=', secret: 'placeholder-cluster-secret-placeholder-secret=' },
  secrets: { bootstraptoken: 'aaaaaa.aaaaaaaaaaaaaaaa', secretboxencryptionsecret: P },
  trustdinfo: { token: 'aaaaaa.aaaaaaaaaaaaaaaa' },
  certs: { etcd: { crt: P, key: P }, k8s: { crt: P, key: P }, k8saggregator: { crt: P, key: P }, k8sserviceaccount: { key: P }, os: { crt: P, key: P } },
  clients: { talosAdmin: { crt: P, key: P } },
}) as SecretsBundle;

const NEXT = Buffer.from('bulwark placeholder: the other CA of a rotation').toString('base64');

/**
 * The placeholder during a CA rotation (bulwark:caRotation): in accept and switch, each rotating CA has a second,
 * accepted CA, so the nodes' redacted configuration preview shows the acceptedCAs that phase adds or drop removes.
 */
export function placeholderSecrets(caRotation: { kubernetes?: string; talos?: string } | undefined): SecretsBundle {
  const rec = (phase?: string) => (phase === 'accept' ? { phase: 'accept' as const, next: { crt: NEXT, key: NEXT } } : phase === 'switch' ? { phase: 'switch' as const, previous: { crt: NEXT } } : undefined);
  const k8s = rec(caRotation?.kubernetes);
  const os = rec(caRotation?.talos);
  if (!k8s && !os) return PLACEHOLDER_SECRETS;
  return Object.freeze({ ...PLACEHOLDER_SECRETS, caRotation: { ...(k8s ? { k8s } : {}), ...(os ? { os } : {}) } }) as SecretsBundle;
}
