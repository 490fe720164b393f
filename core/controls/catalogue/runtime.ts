/** Container runtime layer: seccomp by default, sandboxed runtimes, user namespaces. */
import type { NodeConfig } from '../../config/schema';
import type { Control, ControlContext } from '../types';
import { MANAGED_BY } from '../../render/k8s';

export const SANDBOX_LABEL = 'bulwark.dev/sandbox';

/** The official Talos extension and containerd handler behind each sandbox runtime. */
export const SANDBOX_RUNTIMES = {
  gvisor: { extension: 'siderolabs/gvisor', handler: 'runsc', runtimeClass: 'gvisor' },
  kata: { extension: 'siderolabs/kata-containers', handler: 'kata', runtimeClass: 'kata' },
} as const;

export function sandboxOf(ctx: ControlContext) {
  const r = ctx.profile.settings.sandboxRuntime;
  return r === 'none' ? undefined : SANDBOX_RUNTIMES[r];
}

const isSandboxNode = (n: NodeConfig) => n.sandbox;

/** Raised from Talos's 0 on nodes that run tenant pods; the value Talos's user-namespace guide uses. */
export const USER_NAMESPACES_LIMIT = '11255';

export const runtimeControls: Control[] = [
  {
    id: 'runtime.seccomp.default',
    layer: 'runtime',
    title: 'RuntimeDefault seccomp profile for every container on the shared-kernel runtime (runc)',
    threat: 'Containers without a seccomp profile can call every syscall, including the rarely used ones most kernel exploits go through.',
    references: { cis: ['4.2.14'], pss: ['restricted: Seccomp'], nsa: ['Kubernetes Pod security: seccomp'] },
    requiredBy: ['single-team', 'multi-team', 'hostile-multi-tenant'],
    contribute: (ctx) => ({
      machine: { defaultRuntimeSeccomp: true },
      talosProvides: ['kubelet seccompDefault=true (from defaultRuntimeSeccompProfileEnabled)'],
      // runsc applies a pod's OCI seccomp profile only when run with --oci-seccomp; the Talos gvisor
      // extension ships a fixed /etc/cri/conf.d/runsc.toml without it, and machine config cannot change it.
      ...(sandboxOf(ctx)?.handler === 'runsc'
        ? {
            notes: [
              'Not for sandboxed pods: gVisor (runsc) ignores the OCI seccomp profile unless runsc runs with --oci-seccomp, which the Talos gvisor extension does not set (its runsc.toml sets only ignore-cgroups). Their syscalls reach gVisor\'s user-space kernel, and gVisor filters the host syscalls of that kernel with its own seccomp filter; the RuntimeDefault profile itself does not apply to them.',
            ],
          }
        : {}),
    }),
  },
  {
    id: 'runtime.sandbox.runtime-class',
    layer: 'runtime',
    title: 'Sandboxed runtime (gVisor or Kata): Talos extension on sandbox nodes, RuntimeClass, node label and taint',
    threat: 'Hostile code in a normal container shares the host kernel: one kernel bug is a node compromise and a path to every other tenant.',
    references: { nsa: ['Kubernetes Pod security: hardening container environments (sandboxes)'], other: ['gVisor', 'Kata Containers'] },
    requiredBy: ['hostile-multi-tenant'],
    appliesTo: (ctx) => sandboxOf(ctx) !== undefined,
    contribute: (ctx) => {
      const rt = sandboxOf(ctx)!;
      return {
        nodes: [
          {
            select: 'nodes with sandbox: true',
            match: isSandboxNode,
            machine: {
              extensions: [rt.extension],
              nodeLabels: { [SANDBOX_LABEL]: rt.runtimeClass },
              nodeTaints: [{ key: SANDBOX_LABEL, value: rt.runtimeClass, effect: 'NoSchedule' }],
            },
          },
        ],
        objects: [
          {
            apiVersion: 'node.k8s.io/v1',
            kind: 'RuntimeClass',
            metadata: { name: rt.runtimeClass, labels: { ...MANAGED_BY } },
            handler: rt.handler,
            scheduling: {
              nodeSelector: { [SANDBOX_LABEL]: rt.runtimeClass },
              tolerations: [{ key: SANDBOX_LABEL, operator: 'Equal', value: rt.runtimeClass, effect: 'NoSchedule' }],
            },
          },
        ],
      };
    },
  },
  {
    id: 'runtime.userns.enabled',
    layer: 'runtime',
    title: 'User namespaces available to pods on worker nodes (hostUsers: false)',
    threat: 'Root in a container is root on the host when user namespaces are off: an escape lands with full privileges over host files and devices.',
    references: { pss: ['restricted (hostUsers: false relaxes runAsNonRoot checks)'], other: ['KEP-127 user namespaces'] },
    requiredBy: ['hostile-multi-tenant'],
    contribute: () => ({
      nodes: [
        {
          select: 'worker nodes',
          match: (n) => n.role === 'worker',
          machine: { sysctls: { 'user.max_user_namespaces': USER_NAMESPACES_LIMIT } },
        },
      ],
      notes: [
        `Talos sets user.max_user_namespaces=0, which blocks pods with hostUsers: false. Chosen: raise it to ${USER_NAMESPACES_LIMIT} on worker nodes only, ` +
          'and require hostUsers: false for tenant pods on the shared-kernel runtime (admission policy tenancy.admission.user-namespaces). Sandboxed pods ' +
          '(gVisor) must not set it: runsc has no user-namespace support, so the kubelet refuses such a pod (google/gvisor#13303); gVisor\'s user-space kernel ' +
          'is their isolation, and with a sandbox required for every tenant pod, this control protects the pods of tenants without one and of other workloads. Why: Talos runs no host users or shells, so ' +
          'the only creators of user namespaces are containers, and mapping container root to an unprivileged host user removes far more risk than the extra ' +
          'kernel surface of unprivileged user namespaces adds. Control planes keep 0: they run no tenant pods.',
      ],
    }),
  },
];
