/**
 * `pulumi preview --diff` output on stdin → the nodes' configuration changes as Markdown on stdout
 * (core/ops/config-preview.ts previewNodeChanges; nothing when no node's configuration changes).
 * scripts/ci-preview.sh puts it at the top of each stack's preview in the pull-request comment.
 */
import { readFileSync } from 'node:fs';
import { previewNodeChanges } from '../core/ops/config-preview';

process.stdout.write(previewNodeChanges(readFileSync(0, 'utf8')));
