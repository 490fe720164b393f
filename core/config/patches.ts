/**
 * `bulwark:patches` ({all, controlplane, worker}) and `bulwark:nodes[i].patches`: the escape hatch for
 * a Talos setting Bulwark does not model. Each patch is what one document of a `talosctl machineconfig
 * patch` file holds: a Talos document to merge (strategic merge) or a list of RFC 6902 operations on
 * the v1alpha1 document. They are applied last (core/render/patches.ts), and the posture is computed
 * from the patched configuration (core/render/patch-effects.ts).
 */
import { z } from 'zod';

const jsonPointer = z.string().regex(/^(\/([^~/]|~[01])*)*$/, { error: 'is not a JSON pointer, e.g. /machine/sysctls/vm.max_map_count' });

const jsonPatchOp = z.strictObject({
  op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test'], { error: 'must be one of add, remove, replace, move, copy, test (RFC 6902)' }),
  path: jsonPointer,
  value: z.unknown().optional(),
  from: jsonPointer.optional(),
}).refine((o) => !['add', 'replace', 'test'].includes(o.op) || o.value !== undefined, { error: 'needs a value for this op', path: ['value'] })
  .refine((o) => !['move', 'copy'].includes(o.op) || o.from !== undefined, { error: 'needs from for this op', path: ['from'] });

/** A null in a strategic merge patch means nothing to Talos (it skips it); `$patch: delete` removes a key. */
function firstNull(v: unknown, path: PropertyKey[] = []): PropertyKey[] | undefined {
  if (v === null) return path;
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) { const p = firstNull(v[i], [...path, i]); if (p) return p; }
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { const p = firstNull(x, [...path, k]); if (p) return p; }
  return undefined;
}

const strategicPatch = z
  .record(z.string(), z.unknown())
  .superRefine((doc, ctx) => {
    if (doc.kind !== undefined && (typeof doc.kind !== 'string' || typeof doc.apiVersion !== 'string'))
      ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: 'is missing; a document with a kind needs its apiVersion (v1alpha1), as Talos matches documents by apiVersion, kind and name' });
    if (doc.kind === undefined && doc.apiVersion !== undefined)
      ctx.addIssue({ code: 'custom', path: ['kind'], message: 'is missing; give the kind of the Talos document to patch, or leave apiVersion out to patch the v1alpha1 document' });
    if (doc.kind === undefined && doc.version !== undefined && doc.version !== 'v1alpha1')
      ctx.addIssue({ code: 'custom', path: ['version'], message: 'must be v1alpha1 (the only version of the machine config document)' });
    const nul = firstNull(doc);
    if (nul) ctx.addIssue({ code: 'custom', path: nul, message: 'is null, which Talos ignores in a patch; to remove the key write {"$patch": "delete"} in its place' });
  });

export const patchSchema = z.union([z.array(jsonPatchOp).min(1), strategicPatch], {
  error: 'is neither a Talos document to merge (a map) nor a JSON patch (a list of {op, path, value})',
});

export const patchListSchema = z.array(patchSchema).default([]);

export const patchesSchema = z.strictObject({
  /** Every node. */
  all: patchListSchema,
  controlplane: patchListSchema,
  worker: patchListSchema,
});

export type PatchesConfig = z.infer<typeof patchesSchema>;
