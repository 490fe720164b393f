#!/usr/bin/env bash
# Builds talosctl of each Talos line Bulwark renders for (the judge of `test/talos/validate.test.ts`) into
# the e2e cache. Called by install.sh; runs on its own too: `bash e2e/tools/talosctl.sh`.
#
# Recipe (upstream's own flags, from the Go module proxy, no ldflags: versions come embedded from machinery):
#   copy github.com/siderolabs/talos@<v> to a writable folder, copy github.com/siderolabs/talos/pkg/machinery@<v>
#   into ./pkg/machinery (the module zip lacks the nested module), apply the substitutions below for versions the
#   proxy refuses (403), then GOWORK=off CGO_ENABLED=0 GOFIPS140=off go build -tags grpcnotrace -ldflags '-s -w'.
#
# Environment: BULWARK_E2E_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e), BULWARK_E2E_FORCE=1,
#   BULWARK_E2E_GOCACHE (GOCACHE for the build), BULWARK_TALOSCTL_ONLY=v1.14.1 (one version; two such runs may go at once).
set -euo pipefail

TALOSCTL_VERSIONS=(v1.13.9 v1.14.1) # newest patch of each line on the Go module proxy
RECIPE="1"                           # bump when the recipe or a substitution changes: invalidates the stamps

# Substitutions, one per line: "<module path> <pinned by Talos> -> <built with>". Every line becomes a
# `replace` of the module (all versions) by the served one; "-> (dropped)" drops Talos's own replace.
substitutions() {
  case "$1" in
    v1.13.9) cat <<'EOF'
github.com/siderolabs/go-kubernetes v0.2.38 -> github.com/siderolabs/go-kubernetes v0.2.39
go.etcd.io/etcd/etcdutl/v3 v3.6.12 -> go.etcd.io/etcd/etcdutl/v3 v3.6.14
github.com/containerd/containerd/v2 github.com/smira/containerd/v2@v2.2.3-0.20260521103442-e05d8ca25f89 -> github.com/containerd/containerd/v2 v2.2.4
EOF
    ;;
    v1.14.1) cat <<'EOF'
github.com/cosi-project/runtime v1.16.3 -> github.com/cosi-project/runtime v1.16.2
github.com/jsimonetti/rtnetlink/v2 v2.2.1-0.20260802200809-43bafec815b3 -> github.com/jsimonetti/rtnetlink/v2 v2.3.0
github.com/mdlayher/ethtool github.com/siderolabs/ethtool@v0.6.0-sidero -> github.com/mdlayher/ethtool v0.6.1
github.com/secure-io/siv-go github.com/smira/siv-go@v0.0.0-20260706144621-2093d2730928 -> (dropped)
EOF
    ;;
    *) echo "no substitution list for talosctl $1" >&2; return 1 ;;
  esac
}

CACHE="${BULWARK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e}"
FORCE="${BULWARK_E2E_FORCE:-0}"
OS="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in x86_64|amd64) ARCH=amd64 ;; aarch64|arm64) ARCH=arm64 ;; *) ARCH="$(uname -m)" ;; esac
log() { printf '[e2e-tools] %s\n' "$*"; }
err() { printf '[e2e-tools] ERROR: %s\n' "$*" >&2; }
now() { date +%s; }
with_lock() { local f="$1"; shift; if command -v flock >/dev/null 2>&1; then flock "$f" "$@"; else "$@"; fi; }

mkdir -p "$CACHE/bin" "$CACHE/logs" "$CACHE/build"

mod_dir() { # module@version -> its folder in the module cache
  (cd "$CACHE/build" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1") \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1
}

build_one() { # version dir
  local v="$1" dir="$2" b="$CACHE/build/talosctl-$1"
  local src mach; src="$(mod_dir "github.com/siderolabs/talos@$v")"; mach="$(mod_dir "github.com/siderolabs/talos/pkg/machinery@$v")"
  [ -d "$src/cmd/talosctl" ] && [ -f "$mach/go.mod" ] || { echo "cannot download talos/machinery $v from the Go module proxy"; return 1; }
  rm -rf "$b"; cp -R "$src" "$b"; chmod -R u+w "$b"
  rm -rf "$b/pkg/machinery"; cp -R "$mach" "$b/pkg/machinery"; chmod -R u+w "$b/pkg/machinery"
  local mod from arrow to tov
  while read -r mod from arrow to tov; do
    [ -n "$mod" ] || continue
    (cd "$b" && go mod edit -dropreplace "$mod")
    if [ "$to" != "(dropped)" ]; then (cd "$b" && go mod edit -replace "$mod=$to@$tov"); fi
    echo "substituted $mod $from -> $to ${tov:-}"
  done < <(substitutions "$v")
  # (an expansion is never an assignment word: `${X:+GOCACHE=..} go build` ran "GOCACHE=.." as the command)
  if [ -n "${BULWARK_E2E_GOCACHE:-}" ]; then export GOCACHE="$BULWARK_E2E_GOCACHE"; fi
  (cd "$b" && GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOFIPS140=off \
    go build -tags grpcnotrace -ldflags '-s -w' -o "$dir/talosctl.tmp" ./cmd/talosctl)
  mv -f "$dir/talosctl.tmp" "$dir/talosctl"
  substitutions "$v" >"$dir/substitutions.txt"
  local got; got="$("$dir/talosctl" version --client --short 2>&1 || true)"
  case "$got" in *"$v"*) echo "talosctl version: $got" ;; *) echo "built talosctl says '$got', expected $v"; return 1 ;; esac
  rm -rf "$b" # 200+ MB of sources; the module cache keeps the originals
}

FAILED=()
for v in "${TALOSCTL_VERSIONS[@]}"; do
  [ -z "${BULWARK_TALOSCTL_ONLY:-}" ] || [ "$v" = "$BULWARK_TALOSCTL_ONLY" ] || continue
  line="${v%.*}"; line="${line#v}"          # v1.14.1 -> 1.14
  # a lock per version (install.sh holds <cache>/.lock while it calls this script)
  if command -v flock >/dev/null 2>&1; then exec 8>"$CACHE/.lock-talosctl-$v"; flock 8; fi
  dir="$CACHE/talosctl/$v"; key="talosctl $v recipe=$RECIPE $OS/$ARCH"
  mkdir -p "$dir"
  if [ "$FORCE" != 1 ] && [ -x "$dir/talosctl" ] && [ "$(head -n1 "$dir/.stamp" 2>/dev/null)" = "$key" ]; then
    log "talosctl $v: cached -> $dir"
  else
    log "building talosctl $v with $(go env GOVERSION) (log: $CACHE/logs/talosctl-$v.log) ..."
    t0=$(now)
    # not under `if`: that would switch errexit off inside the subshell
    set +e; ( set -euo pipefail; build_one "$v" "$dir" ) >"$CACHE/logs/talosctl-$v.log" 2>&1; rc=$?; set -e
    if [ $rc -eq 0 ]; then
      printf '%s\nsource=go\nseconds=%s\ndate=%s\n' "$key" "$(( $(now) - t0 ))" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$dir/.stamp"
      log "talosctl $v ready in $(( $(now) - t0 ))s -> $dir"
    else
      err "talosctl $v failed after $(( $(now) - t0 ))s; last lines of $CACHE/logs/talosctl-$v.log:"
      tail -n 25 "$CACHE/logs/talosctl-$v.log" | sed 's/^/    /' >&2
      FAILED+=("talosctl-$line"); continue
    fi
  fi
  ln -sfn "$dir/talosctl" "$CACHE/bin/talosctl-$line"
done

# Merge talosctl-<line> entries into manifest.json (install.sh rewrites it whole, then calls this script).
BULWARK_M_CACHE="$CACHE" BULWARK_M_VERSIONS="${TALOSCTL_VERSIONS[*]}" BULWARK_M_FAILED="${FAILED[*]:-}" \
  with_lock "$CACHE/.lock-manifest" node "$(dirname "${BASH_SOURCE[0]}")/manifest-merge.cjs" talosctl
[ ${#FAILED[@]} -eq 0 ] || { err "missing: ${FAILED[*]}"; exit 1; }
