/**
 * `bulwark:schematic` and `bulwark:nodes[i].schematic`: official Image Factory system extensions and kernel
 * arguments the stack chooses, merged with the controls' (core/render/schematic-user.ts reports conflicts).
 */
import { z } from 'zod';

export const schematicSchema = z.strictObject({
  /** Official extensions, as the factory names them, e.g. siderolabs/iscsi-tools. */
  extensions: z.array(z.string().regex(/^siderolabs\/[a-z0-9][a-z0-9-]*$/, { error: 'is not an official extension name; write e.g. siderolabs/iscsi-tools' })).default([]),
  /** Kernel arguments, e.g. console=ttyS0,115200. */
  kernelArgs: z.array(z.string().regex(/^[A-Za-z0-9_.,:/@+-]+(=[A-Za-z0-9_.,:/@+=-]*)?$/, { error: 'is not a kernel argument; write key=value or a bare flag, without spaces' })).default([]),
});

export type SchematicConfig = z.infer<typeof schematicSchema>;
