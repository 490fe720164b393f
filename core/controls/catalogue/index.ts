/**
 * The controls catalogue: every hardening control Bulwark knows, one object each.
 * To add a control, add it to the file of its layer; the renderer and the posture report
 * pick it up from here.
 */
import type { Control } from '../types';
import { admissionPolicyControls } from './admission-policies';
import { apiPolicyControls } from './api-policy';
import { authControls } from './auth';
import { backupControls } from './backup';
import { controlPlaneControls } from './control-plane';
import { kubeletControls } from './kubelet';
import { nodePoolControls } from './node-pools';
import { osControls } from './os';
import { runtimeControls } from './runtime';
import { tenancyControls } from './tenancy';

export const CATALOGUE: readonly Control[] = [
  ...osControls,
  ...runtimeControls,
  ...controlPlaneControls,
  ...kubeletControls,
  ...apiPolicyControls,
  ...backupControls,
  ...tenancyControls,
  ...nodePoolControls,
  ...admissionPolicyControls,
  ...authControls,
];

