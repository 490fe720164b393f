/**
 * Validation warnings under the real CLI: `pulumi preview` of a stack with inputs accepted and
 * ignored (a tenant quota under single-team, a node's site) prints each as a warning with its key
 * path, once. Provisioned mode stops at its first Talos command here (no command plugin,
 * provisioned.test.ts), after the program has logged its warnings; the preview runs in its own
 * process for that reason (preview-child.ts), whose error carries the CLI's whole output.
 */
import { exampleValues } from '../helpers';
import { engineFile, previewInOwnProcess, writeStackFile } from './engine';

const { base, project } = engineFile(__filename);

test('pulumi preview prints each ignored input once, as a warning naming its key path', async () => {
  const v = exampleValues('lab');
  (v.tenants as Record<string, unknown>[])[0].quota = { pods: '10' };
  (v.nodes as Record<string, unknown>[])[1].site = 'rack-7';
  writeStackFile(project, 'lab', v);
  const child = await previewInOwnProcess('lab with ignored inputs: stack init + preview (own process)', { base, project }, 'lab');
  expect(child.status).toBe(0);
  const { error } = child;
  // the CLI prints a warning inline under its resource and again in the Diagnostics section (and the
  // error message carries the output more than once): each is counted in one Diagnostics section, all of its
  // blocks (the command provider's missing-plugin error may come first, then the Stack's warnings)
  const diagnostics = /\nDiagnostics:\n([\s\S]*?)\nResources:/.exec(error)?.[1] ?? '';
  const count = (re: RegExp) => diagnostics.match(re)?.length ?? 0;
  expect(count(/warning: bulwark:tenants\[0\]\.quota: is set, but profile single-team does not require tenancy\.quota\.defaults/g)).toBe(1);
  expect(count(/warning: bulwark:nodes\[1\]\.site: is "rack-7", but Bulwark configures nothing from a node's site/g)).toBe(1);
  expect(count(/warning: bulwark:/g)).toBe(2);
}, 300_000);
