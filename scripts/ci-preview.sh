#!/usr/bin/env bash
# Backticks in single quotes are Markdown, not command substitution:
# shellcheck disable=SC2016
# Bulwark pull-request preview for any CI system: for every stack the change touches, the posture
# diff and `pulumi preview --diff` (with the policy pack), written as one Markdown comment; each
# stack's preview starts with its nodes' configuration changes, one setting per line, secrets redacted.
# .github/workflows/bulwark-preview.yml runs this same script. See docs/ci.md.
#
# Run from the repository root after `npm ci`, with the Pulumi CLI on PATH. Settings (environment only):
#   BASE_REF                  required: the target branch's commit (e.g. origin/main, or the PR's base SHA)
#   HEAD_REF                  the change's commit (default HEAD)
#   PULUMI_BACKEND_URL        the state backend, e.g. file:///var/lib/bulwark/state (secret)
#   PULUMI_CONFIG_PASSPHRASE  the passphrase secrets provider's passphrase (secret)
#   BULWARK_CI_OUT            where results go (default .bulwark-ci): comment.md, posture.md,
#                             preview-<stack>.txt, stacks.txt
#   POLICY_PACK               policy pack folder (default policy; empty: none)
#   BULWARK_SKIP_PREVIEW      1: posture diff only (no Pulumi CLI or backend needed)
#   BULWARK_KUBE_BENCH_CFG    kube-bench's cfg folder; unset: kube-bench KUBE_BENCH_VERSION (default
#                             v0.15.6) is cloned and checked against KUBE_BENCH_COMMIT; KUBE_BENCH_VERSION
#                             empty: CIS results are not compared
#   PREVIEW_MAX_CHARS         per-stack preview output kept in the comment (default 12000)
#   PR_NUMBER, GH_REPO        both set (and gh authenticated, e.g. GH_TOKEN): post the comment with the
#                             gh CLI, updating the earlier one (found by its marker) instead of adding one
#   COMMENT_AUTHOR            with gh: only a comment by this login is updated
# Exit status: 0 when every preview and the posture diff ran cleanly, 1 otherwise (the comment is
# written either way), 2 for bad settings.
set -euo pipefail

MARKER='<!-- bulwark-preview -->'
HEAD_REF="${HEAD_REF:-HEAD}"
OUT="${BULWARK_CI_OUT:-.bulwark-ci}"
POLICY_PACK="${POLICY_PACK-policy}"
SKIP_PREVIEW="${BULWARK_SKIP_PREVIEW:-0}"
KUBE_BENCH_VERSION="${KUBE_BENCH_VERSION-v0.15.6}"
KUBE_BENCH_COMMIT="${KUBE_BENCH_COMMIT-92e522b9ac82d4253e8b7582de1e75f5dae1f4b5}"
PREVIEW_MAX_CHARS="${PREVIEW_MAX_CHARS:-12000}"

die() { printf 'ci-preview: %s\n' "$*" >&2; exit 2; }
log() { printf 'ci-preview: %s\n' "$*" >&2; }

[[ -f package.json && -d stacks ]] || die "run from the repository root (package.json and stacks/ not found)"
[[ -n "${BASE_REF:-}" ]] || die "set BASE_REF to the target branch's commit (e.g. origin/main)"
[[ "$PREVIEW_MAX_CHARS" =~ ^[0-9]+$ ]] || die "PREVIEW_MAX_CHARS must be a number"
if [[ "$SKIP_PREVIEW" != 1 ]]; then
  command -v pulumi >/dev/null || die "the Pulumi CLI is not on PATH (or set BULWARK_SKIP_PREVIEW=1)"
  [[ -n "${PULUMI_BACKEND_URL:-}" ]] || die "PULUMI_BACKEND_URL is not set"
  [[ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ]] || die "PULUMI_CONFIG_PASSPHRASE is not set"
fi
if [[ -n "${PR_NUMBER:-}" || -n "${GH_REPO:-}" ]]; then
  [[ "${PR_NUMBER:-}" =~ ^[0-9]+$ ]] || die "PR_NUMBER must be a pull-request number"
  [[ "${GH_REPO:-}" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "GH_REPO must be owner/name"
  command -v gh >/dev/null || die "PR_NUMBER and GH_REPO are set but the gh CLI is not on PATH"
fi

rm -rf -- "$OUT"
mkdir -p -- "$OUT"
: >"$OUT/stacks.txt"

# 1. The stacks this change touches (removed ones too: the posture diff reports them).
stack_list="$(npx --no-install ts-node --transpile-only cli/ci-stacks.ts --base "$BASE_REF" --head "$HEAD_REF")"
stacks=()
reason=""
while IFS= read -r s; do
  if [[ "$s" == "# "* ]]; then reason="${s#\# }"; elif [[ -n "$s" ]]; then stacks+=("$s"); fi
done <<<"$stack_list"
printf '%s\n' "${stacks[@]+"${stacks[@]}"}" | sed '/^$/d' >"$OUT/stacks.txt"

base_short="$(git rev-parse --short=12 --verify --end-of-options "${BASE_REF}^{commit}")"
head_short="$(git rev-parse --short=12 --verify --end-of-options "${HEAD_REF}^{commit}")"

status=0
{
  printf '%s\n## Bulwark preview\n\n' "$MARKER"
  printf 'Base `%s` → head `%s`. Stacks: %s (%s).\n' "$base_short" "$head_short" "$(printf '`%s` ' "${stacks[@]+"${stacks[@]}"}" | sed 's/ $//; s/ /, /g; s/^``$/none/')" "$reason"
  case "$reason" in
    core/* | components/* | policy/* | index.ts* | package* | tsconfig*)
      printf '\nBoth sides of the posture diff are rendered by this change'"'"'s code, so what a code change does to the controls themselves shows in the preview, not in the posture diff.\n'
      ;;
  esac
} >"$OUT/comment.md"

run_checks() {
  # 2. kube-bench's CIS definitions, so the posture diff can compare CIS results.
  if [[ -z "${BULWARK_KUBE_BENCH_CFG:-}" && -n "$KUBE_BENCH_VERSION" ]]; then
    if git clone --quiet --depth 1 --branch "$KUBE_BENCH_VERSION" -- https://github.com/aquasecurity/kube-bench.git "$OUT/kube-bench" 2>/dev/null; then
      got="$(git -C "$OUT/kube-bench" rev-parse HEAD)"
      if [[ -z "$KUBE_BENCH_COMMIT" || "$got" == "$KUBE_BENCH_COMMIT"* ]]; then
        export BULWARK_KUBE_BENCH_CFG="$OUT/kube-bench/cfg"
      else
        log "kube-bench $KUBE_BENCH_VERSION is commit $got, not $KUBE_BENCH_COMMIT: not used; CIS results are not compared"
      fi
    else
      log "could not fetch kube-bench $KUBE_BENCH_VERSION; CIS results are not compared"
    fi
  fi

  # 3. The posture diff, every touched stack at once.
  stack_args=()
  for s in "${stacks[@]}"; do stack_args+=(--stack "$s"); done
  if npm run --silent posture:diff -- --base "$BASE_REF" --head "$HEAD_REF" "${stack_args[@]}" >"$OUT/posture.md" 2>"$OUT/posture.err"; then
    { printf '\n'; cat -- "$OUT/posture.md"; } >>"$OUT/comment.md"
    if grep -q '^### `[^`]*`: fails' "$OUT/posture.md"; then status=1; fi
  else
    status=1
    cat -- "$OUT/posture.err" >&2
    printf '\n## Bulwark posture diff\n\nThe posture diff failed; see the job log.\n' >>"$OUT/comment.md"
  fi

  # 4. pulumi preview --diff per stack still present at head.
  html_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
  if [[ "$SKIP_PREVIEW" != 1 ]]; then
    printf '\n## Pulumi preview\n' >>"$OUT/comment.md"
    policy_args=()
    [[ -n "$POLICY_PACK" ]] && policy_args=(--policy-pack "$POLICY_PACK")
    for s in "${stacks[@]}"; do
      if [[ ! -f "stacks/Pulumi.$s.yaml" ]]; then
        printf '\n- `%s`: stack file removed; CI does not destroy its resources (run `pulumi destroy --stack %s` deliberately).\n' "$s" "$s" >>"$OUT/comment.md"
        continue
      fi
      file="$OUT/preview-$s.txt"
      rc=0
      {
        pulumi stack select --create --secrets-provider passphrase --non-interactive "$s" &&
          # A preview persists no state, yet the CLI re-serializes the whole snapshot after every step
          # unless told to skip checkpoints: quadratic in the stack's resources (docs/operations.md).
          PULUMI_SKIP_CHECKPOINTS=true pulumi preview --diff --non-interactive --color never --stack "$s" "${policy_args[@]+"${policy_args[@]}"}"
      } >"$file" 2>&1 || rc=$?
      if [[ $rc -eq 0 ]]; then summary="preview succeeded"; else summary="<b>preview failed</b> (exit $rc)"; status=1; fi
      withheld=0 changes=""
      grep -qE 'PRIVATE KEY|LS0tLS1CRUdJTi|\b[a-z0-9]{6}\.[a-z0-9]{16}\b' "$file" && withheld=1
      {
        # Each node's configuration change, by setting (the program redacts its secrets), shown open.
        # (ts-node only when some node's machineConfig changes: it costs seconds per start)
        if [[ $withheld == 0 ]] && grep -q 'machineConfig:' "$file"; then
          changes="$(npx --no-install ts-node --transpile-only cli/preview-node-changes.ts <"$file")" || log "$s: could not summarise the node configuration changes"
          [[ -n "${changes:-}" ]] && printf '\n`%s`: %s\n' "$s" "$changes"
        fi
        printf '\n<details><summary><code>%s</code>: %s</summary>\n\n' "$s" "$summary"
        if [[ $withheld == 1 ]]; then
          # Neither in the comment nor in the job log: both are readable by everyone with read access.
          log "$s: preview output looks like it contains key material or a token; withheld (reproduce with pulumi preview --diff locally)"
          printf 'Output withheld from this comment and the job log: it contains what looks like key material or a token. Mark the value secret in the program, and run `pulumi preview --diff --stack %s` locally to see it.\n' "$s"
        else
          cat -- "$file" >&2
          printf '<pre>\n'
          head -c "$PREVIEW_MAX_CHARS" -- "$file" | html_escape
          if [[ $(wc -c <"$file") -gt $PREVIEW_MAX_CHARS ]]; then printf '\n… (truncated; the full output is in the job log)\n'; fi
          printf '</pre>\n'
        fi
        printf '</details>\n'
      } >>"$OUT/comment.md"
    done
  fi
}

if [[ ${#stacks[@]} -eq 0 ]]; then
  printf '\nNo stack is touched by this change (no stack file, profile, core, component or program change).\n' >>"$OUT/comment.md"
  log "no stack touched"
else
  run_checks
fi

# GitHub refuses comments over 65536 characters.
if [[ $(wc -c <"$OUT/comment.md") -gt 65000 ]]; then
  head -c 64000 -- "$OUT/comment.md" >"$OUT/comment.tmp"
  printf '\n\n… (comment truncated; the full report is in the job log)\n' >>"$OUT/comment.tmp"
  mv -- "$OUT/comment.tmp" "$OUT/comment.md"
fi

# 5. Optionally post it with the gh CLI: one comment per pull request, updated in place.
if [[ -n "${PR_NUMBER:-}" ]]; then
  filter='.[] | select(.body | startswith("<!-- bulwark-preview -->"))'
  if [[ -n "${COMMENT_AUTHOR:-}" ]]; then
    filter="$filter | select(.user.login == \$ENV.COMMENT_AUTHOR)"
  fi
  id="$(gh api --paginate "repos/$GH_REPO/issues/$PR_NUMBER/comments" --jq "$filter | .id" | head -n 1)"
  if [[ -n "$id" ]]; then
    gh api --method PATCH "repos/$GH_REPO/issues/comments/$id" -F body=@"$OUT/comment.md" >/dev/null
    log "updated comment $id on $GH_REPO#$PR_NUMBER"
  elif [[ -s "$OUT/stacks.txt" ]]; then
    gh api --method POST "repos/$GH_REPO/issues/$PR_NUMBER/comments" -F body=@"$OUT/comment.md" >/dev/null
    log "commented on $GH_REPO#$PR_NUMBER"
  else
    log "no stack touched and no earlier comment: nothing to post"
  fi
fi

exit "$status"
