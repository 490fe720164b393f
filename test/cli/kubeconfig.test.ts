/**
 * The people's kubeconfig: the browser flow (current context), kubelogin's device-code flow for
 * headless users, and a context per tenant namespace. kubectl reads it (the real client, from the
 * e2e toolchain), so the contexts are what kubectl sees, not what this test assumes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findJudge } from '../../e2e/harness/tools';
import { renderStack } from '../../core/render/index';
import { PLACEHOLDER_SECRETS } from '../../core/ops/placeholder';
import { example } from '../helpers';
import { judgesRequired } from '../talos/talosctl';

const kubectl = findJudge('kubectl');

test('two users: the browser flow and --grant-type=device-code, otherwise the same kubelogin arguments', () => {
  const kc = parse(renderStack(example('prod'), PLACEHOLDER_SECRETS).kubeconfig!);
  const [browser, device] = kc.users.map((u: { user: { exec: { args: string[] } } }) => u.user.exec);
  expect(kc.users.map((u: { name: string }) => u.name)).toEqual(['oidc@prod', 'oidc-device-code@prod']);
  expect(device.args).toEqual([...browser.args, '--grant-type=device-code']);
  expect(browser.args).not.toContain('--grant-type=device-code');
  expect(device.interactiveMode).toBe('Never');
});

const maybe = 'absent' in kubectl && !judgesRequired ? test.skip : test;
maybe(`kubectl sees a context per tenant with its namespace, and the device-code context (${'absent' in kubectl ? kubectl.absent : 'kubectl'})`, () => {
  if ('absent' in kubectl) throw new Error(kubectl.absent);
  const v = example('prod');
  const file = join(mkdtempSync(join(tmpdir(), 'bulwark-kubeconfig-')), 'kubeconfig');
  writeFileSync(file, renderStack(v, PLACEHOLDER_SECRETS).kubeconfig!);
  const k = (...args: string[]) => execFileSync(kubectl.path, ['--kubeconfig', file, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmpdir() } }).trim();
  const tenants = v.stack.tenants.map((t) => t.name);
  expect(k('config', 'get-contexts', '-o', 'name').split('\n').sort()).toEqual(['prod', 'prod-device-code', ...tenants.map((t) => `prod/${t}`)].sort());
  expect(k('config', 'current-context')).toBe('prod');
  for (const t of tenants) expect(k('config', 'view', '--minify', '--context', `prod/${t}`, '-o', 'jsonpath={.contexts[0].context.namespace}')).toBe(t);
  expect(k('config', 'view', '--minify', '--context', 'prod-device-code', '-o', 'jsonpath={.users[0].user.exec.args}')).toContain('--grant-type=device-code');
});
