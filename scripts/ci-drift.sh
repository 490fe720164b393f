#!/usr/bin/env bash
# Scheduled drift check for any CI system: for each stack, `npm run drift` against its live cluster
# with the secrets bundle read from the stack's state (never written to disk), one JSON report per
# stack and a Markdown summary. See docs/operations.md "Drift detection" (and a scheduled GitHub
# Actions job there).
#
# Run from the repository root after `npm ci`, with the Pulumi CLI and talosctl on PATH. Settings (environment only):
#   STACKS                    required: the stacks to check, separated by spaces
#   PULUMI_BACKEND_URL        the state backend (secret)
#   PULUMI_CONFIG_PASSPHRASE  the passphrase secrets provider's passphrase (secret)
#   BULWARK_CI_OUT            where results go (default .bulwark-drift): drift-<stack>.json, summary.md
#   BULWARK_DRIFT_SERVER      the API server's URL as this runner reaches it (default: the stack's endpoint)
#   BULWARK_DRIFT_NO_NODES    1: Kubernetes objects only (no talosctl)
# Exit status: 0 no drift anywhere, 3 drift in some stack, 4 something could not be read (and no drift),
# 1 a check failed to run, 2 bad settings. The highest-priority status wins: 1 over 3 over 4 over 0.
set -euo pipefail

OUT="${BULWARK_CI_OUT:-.bulwark-drift}"
die() { printf 'ci-drift: %s\n' "$*" >&2; exit 2; }

[[ -f package.json && -d stacks ]] || die "run from the repository root (package.json and stacks/ not found)"
[[ -n "${STACKS:-}" ]] || die "STACKS is empty; name the stacks to check (e.g. STACKS='prod edge-store')"
command -v pulumi >/dev/null || die "the Pulumi CLI is not on PATH"
mkdir -p "$OUT"

args=(--state - --format json)
[[ -n "${BULWARK_DRIFT_SERVER:-}" ]] && args+=(--server "$BULWARK_DRIFT_SERVER")
[[ "${BULWARK_DRIFT_NO_NODES:-0}" == 1 ]] && args+=(--no-nodes)

worst=0
rank() { case "$1" in 0) echo 0 ;; 4) echo 1 ;; 3) echo 2 ;; *) echo 3 ;; esac; }
printf '# Drift\n\n| stack | result |\n|---|---|\n' > "$OUT/summary.md"
read -r -a stacks <<< "$STACKS"
for stack in "${stacks[@]}"; do
  [[ "$stack" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "STACKS: \"$stack\" is not a stack name"
  set +e
  # the bundle travels on a pipe only; the report holds paths and control names, never values
  pulumi stack export --show-secrets --stack "$stack" \
    | npx --no-install ts-node --transpile-only cli/drift.ts --stack "$stack" "${args[@]}" > "$OUT/drift-$stack.json"
  codes=("${PIPESTATUS[@]}")
  set -e
  code=${codes[1]}
  [[ ${codes[0]} -eq 0 ]] || code=1
  case "$code" in
    0) what='no drift' ;;
    3) what="drift: $(grep -c '"control":' "$OUT/drift-$stack.json" || true) findings" ;;
    4) what='incomplete: something could not be read' ;;
    *) what="check failed (exit $code)"; code=1 ;;
  esac
  printf '| %s | %s |\n' "$stack" "$what" >> "$OUT/summary.md"
  [[ $(rank "$code") -gt $(rank "$worst") ]] && worst=$code
done
cat "$OUT/summary.md"
exit "$worst"
