/**
 * `npm run images`: the images a stack's nodes pull. Talos's own defaults are judged by Talos
 * (`talosctl images default` of each judge); an air-gapped stack mirrors every one of them.
 */
import { main } from '../cli/images';
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { TALOS_DEFAULT_IMAGES, stackImages } from '../core/render/images';
import { renderStack } from '../core/render/index';
import { example } from './helpers';
import { absentJudges, runTalosctl } from './talos/talosctl';
import { TALOS_OF_LINE } from './talos/variants';

const K8S = /\/(kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|kubelet):/;

(absentJudges.length ? it.skip : it).each(['1.13', '1.14'] as const)('the pinned defaults of Talos %s are what its talosctl says', (line) => {
  const r = runTalosctl(line, ['images', 'default']);
  expect(r.status).toBe(0);
  const talos = r.stdout.trim().split('\n').filter((l) => !K8S.test(l)).sort();
  expect(Object.values(TALOS_DEFAULT_IMAGES[TALOS_OF_LINE[line]]).sort()).toEqual(talos);
});

it('lists the installers, what the configs name and what Talos runs by default, for the stack\'s versions', () => {
  const v = example('lab');
  const r = renderStack(v, PLACEHOLDER_SECRETS);
  const { images, notes } = stackImages(v.stack, r);
  expect(notes).toEqual([]);
  expect(images).toEqual(expect.arrayContaining([r.nodes[0].installer, 'ghcr.io/siderolabs/kubelet:v1.36.3', 'registry.k8s.io/kube-apiserver:v1.36.3', 'registry.k8s.io/etcd:3.7.1', 'registry.k8s.io/pause:3.10.2']));
  expect(images).toEqual([...new Set(images)].sort());
});

it('every image of the airgap stack comes from the site or a registry mirrored without fallback', () => {
  const v = example('airgap');
  const { images } = stackImages(v.stack, renderStack(v, PLACEHOLDER_SECRETS));
  const mirrored = new Set(v.stack.registries.mirrors.filter((m) => m.skipFallback).map((m) => m.registry));
  expect(images.filter((i) => !mirrored.has(i.split('/')[0]) && !i.startsWith('factory.vault.example.com/'))).toEqual([]);
});

it('the command prints one image a line; bad input exits 2', () => {
  let out = '';
  let err = '';
  expect(main(['--stack', 'airgap'], (s) => (out += s), (s) => (err += s))).toBe(0);
  expect(out.trim().split('\n')).toContain('registry.k8s.io/coredns/coredns:v1.14.7');
  expect(err).toBe('');
  expect(main([], () => undefined, (s) => (err += s))).toBe(2);
  expect(err).toMatch(/give exactly one of --stack or --stack-file/);
  expect(main(['--stack', 'no-such-stack'], () => undefined, () => undefined)).toBe(2);
});
