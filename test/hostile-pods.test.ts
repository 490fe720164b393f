/**
 * Issue 11, item 4: a hostile tenant's pod must be one the kubelet will run. The kubelet refuses
 * a pod with hostUsers: false whose RuntimeClass handler lacks user-namespace support ("RuntimeClass
 * handler runsc does not support user namespaces"; runsc has none: google/gvisor#13303) — mirrored
 * here as KUBELET_REFUSES, since no kubelet runs in the tests. The admission policies' CEL is judged
 * by the real API server in test/e2e/hardening.test.ts (the sandbox claim: gvisor without hostUsers
 * admitted, gvisor with hostUsers: false refused naming google/gvisor#13303).
 */
import { renderStack } from '../core/render/index';
import { example, testSecrets } from './helpers';

/** Runtime handlers without user-namespace support (CRI RuntimeHandlerFeatures.user_namespaces false). */
const NO_USERNS_HANDLERS = new Set(['runsc']);
const KUBELET_REFUSES = (handler: string | undefined, pod: { hostUsers?: boolean }) => !!handler && NO_USERNS_HANDLERS.has(handler) && pod.hostUsers === false;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

describe('hostile-multi-tenant pods are satisfiable', () => {
  it('no rendered policy requires hostUsers: false of a pod in the sandbox RuntimeClass, and one refuses the combination with the reason', async () => {
    const r = renderStack(example('saas'), await testSecrets(), {});
    const objects = r.objects as Obj[];
    const rc = objects.find((o) => o.kind === 'RuntimeClass')!;
    expect(rc.handler).toBe('runsc');
    const userns = objects.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'bulwark-user-namespaces')!;
    const validations = userns.spec.validations as { expression: string; message: string }[];
    // a bare "hostUsers must be false" rule would bind sandboxed pods too: the kubelet then refuses every tenant pod
    expect(validations.map((v) => v.expression)).not.toContain('has(object.spec.hostUsers) && object.spec.hostUsers == false');
    const sandboxedRule = `object.spec.runtimeClassName == '${rc.metadata.name}'`;
    expect(validations.every((v) => v.expression.includes(sandboxedRule))).toBe(true);
    expect(validations.find((v) => v.message.includes('must not set hostUsers: false'))?.message).toContain('google/gvisor#13303');
    // the pod a hostile tenant must use (sandbox-required): runtimeClassName gvisor, no hostUsers: false
    const sandbox = objects.find((o) => o.metadata.name === 'bulwark-sandbox-required')!;
    expect(sandbox.spec.validations[0].expression).toContain(`'${rc.metadata.name}'`);
    expect(KUBELET_REFUSES(rc.handler, { hostUsers: undefined })).toBe(false);
    expect(KUBELET_REFUSES(rc.handler, { hostUsers: false })).toBe(true);
  });

  it('the posture report claims RuntimeDefault seccomp only where it applies', async () => {
    const r = renderStack(example('saas'), await testSecrets(), {});
    const seccomp = r.posture.controls.find((c) => c.id === 'runtime.seccomp.default')! as unknown as Obj;
    expect(seccomp.title).toContain('shared-kernel runtime (runc)');
    expect(JSON.stringify(seccomp)).toContain('--oci-seccomp');
  });
});
