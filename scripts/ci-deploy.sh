#!/usr/bin/env bash
# Bulwark deploy on merge, for any CI system: `pulumi up` (with the policy pack) for every stack
# the merged change touches that opts in with `bulwark:operations.autoDeploy: true`.
# .github/workflows/bulwark-preview.yml runs this same script on pushes to main. See docs/ci.md.
#
# Run from the repository root after `npm ci`, with the Pulumi CLI (and talosctl, which the
# program's commands run) on PATH, on a machine that reaches the nodes. Settings (environment only):
#   BASE_REF                  the commit before the merge (empty or all zeros: every opted-in stack)
#   HEAD_REF                  the merged commit (default HEAD)
#   PULUMI_BACKEND_URL        the state backend (secret)
#   PULUMI_CONFIG_PASSPHRASE  the passphrase secrets provider's passphrase (secret)
#   POLICY_PACK               policy pack folder (default policy; empty: none)
# Exit status: 0 when every `pulumi up` succeeded (or none was due), 1 when one failed, 2 for bad settings.
set -euo pipefail

BASE_REF="${BASE_REF-}"
HEAD_REF="${HEAD_REF:-HEAD}"
POLICY_PACK="${POLICY_PACK-policy}"

die() { printf 'ci-deploy: %s\n' "$*" >&2; exit 2; }
log() { printf 'ci-deploy: %s\n' "$*" >&2; }

[[ -f package.json && -d stacks ]] || die "run from the repository root (package.json and stacks/ not found)"
command -v pulumi >/dev/null || die "the Pulumi CLI is not on PATH"
[[ -n "${PULUMI_BACKEND_URL:-}" ]] || die "PULUMI_BACKEND_URL is not set"
[[ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ]] || die "PULUMI_CONFIG_PASSPHRASE is not set"
[[ "$(git rev-parse HEAD)" == "$(git rev-parse --verify --end-of-options "${HEAD_REF}^{commit}")" ]] ||
  die "HEAD_REF is not the checked-out commit; deploy what is checked out"

stack_list="$(npx --no-install ts-node --transpile-only cli/ci-stacks.ts --base "$BASE_REF" --head "$HEAD_REF" --auto-deploy)"
stacks=()
while IFS= read -r s; do
  [[ -n "$s" && "$s" != "# "* ]] && stacks+=("$s")
done <<<"$stack_list"
if [[ ${#stacks[@]} -eq 0 ]]; then
  log "no opted-in stack is touched; nothing to deploy"
  exit 0
fi

policy_args=()
[[ -n "$POLICY_PACK" ]] && policy_args=(--policy-pack "$POLICY_PACK")
status=0
for s in "${stacks[@]}"; do
  log "pulumi up --stack $s"
  if pulumi stack select --create --secrets-provider passphrase --non-interactive "$s" &&
    pulumi up --yes --diff --non-interactive --color never --stack "$s" "${policy_args[@]+"${policy_args[@]}"}"; then
    log "$s deployed"
  else
    log "$s failed; continuing with the other stacks"
    status=1
  fi
done
exit "$status"
