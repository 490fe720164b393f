/**
 * The stack's own schematic choices (bulwark:schematic, bulwark:nodes[i].schematic): official extensions and
 * kernel arguments merged with the controls'; a kernel argument against a control's value is refused with its
 * key path, never applied over the control.
 */
import { parse } from 'yaml';
import { StackConfigError } from '../core/config/errors';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, configProblems, exampleValues, testSecrets } from './helpers';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function schematics(v: Values) {
  const r = renderStack(validateValues('prod', v, { today: TODAY }), await testSecrets());
  return Object.fromEntries(r.nodes.map((n) => [n.name, parse(r.schematics.get(n.schematicId)!).customization]));
}

describe('schematic choices', () => {
  it('merges the stack\'s and the node\'s extensions and kernel arguments with the controls\'', async () => {
    const v = exampleValues('prod') as Values;
    const before = await schematics(v);
    v.schematic = { extensions: ['siderolabs/iscsi-tools'], kernelArgs: ['console=ttyS0,115200', 'debugfs=off'] };
    v.nodes[0].schematic = { extensions: ['siderolabs/qemu-guest-agent'], kernelArgs: ['net.ifnames=0'] };
    const after = await schematics(v);
    const cp = after['prod-cp-1'];
    expect(before['prod-cp-1'].extraKernelArgs).toContain('debugfs=off'); // os.kernel.kspp-boot-args (multi-team)
    expect(cp.systemExtensions.officialExtensions).toEqual(['siderolabs/iscsi-tools', 'siderolabs/qemu-guest-agent']);
    // the controls' arguments first and kept; debugfs=off equals a control's, so it is not repeated
    expect(cp.extraKernelArgs).toEqual([...before['prod-cp-1'].extraKernelArgs, 'console=ttyS0,115200', 'net.ifnames=0']);
    expect(after['prod-worker-1'].systemExtensions.officialExtensions).toEqual(['siderolabs/iscsi-tools']);
    expect(after['prod-worker-1'].extraKernelArgs).not.toContain('net.ifnames=0');
  });

  it('refuses a kernel argument against a control\'s, and one against the stack\'s, each at its key path', async () => {
    const v = exampleValues('prod') as Values;
    v.schematic = { kernelArgs: ['debugfs=on', 'console=ttyS0'] };
    v.nodes[1].schematic = { kernelArgs: ['console=tty0'] };
    let problems: { path: string; message: string }[] = [];
    try {
      await schematics(v);
    } catch (e) {
      if (!(e instanceof StackConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([
      { path: 'bulwark:schematic.kernelArgs[0]', message: expect.stringMatching(/^"debugfs=on" conflicts with "debugfs=off" set by control os\.kernel\.[a-z-]+; remove it, or waive os\.kernel\.[a-z-]+ with a reason$/) },
      { path: 'bulwark:nodes[1].schematic.kernelArgs[0]', message: '"console=tty0" conflicts with "console=ttyS0" set by bulwark:schematic.kernelArgs[1]; remove it' },
    ]);
  });

  it('refuses what is not an official extension or a kernel argument', () => {
    const v = exampleValues('prod') as Values;
    v.schematic = { extensions: ['ghcr.io/me/ext:1'], kernelArgs: ['a b'] };
    expect(configProblems(v, { name: 'prod' }).map((p) => p.path)).toEqual(['bulwark:schematic.extensions[0]', 'bulwark:schematic.kernelArgs[0]']);
  });
});
