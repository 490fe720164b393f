/**
 * `bulwark:caRotation`: the phase of an in-place rotation of the Kubernetes CA (`kubernetes`) or the Talos API CA
 * (`talos`), one `pulumi up` per phase: accept, then switch, then drop (core/secrets/ca-rotation.ts; docs/operations.md,
 * "Rotating a CA after a leak"). The program moves the secrets bundle in state to the phase; absent: no rotation.
 */
import { z } from 'zod';

const phase = z.enum(['accept', 'switch', 'drop'], {
  error: (iss) => `${JSON.stringify(iss.input)} is not a rotation phase; write accept (new CA accepted beside the old), switch (the new CA issues) or drop (the old CA no longer accepted), one \`pulumi up\` each in that order`,
});

export const caRotationSchema = z.strictObject({
  kubernetes: phase.optional(),
  talos: phase.optional(),
});

export type CaRotationConfig = z.infer<typeof caRotationSchema>;
