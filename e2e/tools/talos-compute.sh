#!/usr/bin/env bash
# Builds talos-compute (e2e/tools/talos-compute/: Talos's own controllers run in memory on a machine config; the
# judge of test/talos/computed.test.ts) for each Talos line into the e2e cache. Called by install.sh; runs on its
# own too: `bash e2e/tools/talos-compute.sh`.
#
# Recipe: talosctl.sh's (copy github.com/siderolabs/talos@<v>, its pkg/machinery@<v> into ./pkg/machinery, the same
# substitutions for versions the proxy refuses), then our sources go into the copy, under the controllers' package
# (internal packages are importable only from there) plus one shim file in that package exporting the config-file
# renderers and one in the etcd service's package exporting its args builder, and `go build` of that folder. Never written to Talos's repository.
#
# Environment: BULWARK_E2E_CACHE, BULWARK_E2E_FORCE=1, BULWARK_E2E_GOCACHE (as talosctl.sh),
#   BULWARK_TALOS_COMPUTE_ONLY=v1.14.1 (one version), BULWARK_TALOS_COMPUTE_KEEP=1 (keep and reuse the module copy:
#   for working on the sources).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSIONS=(v1.13.9 v1.14.1) # the talosctl versions (talosctl.sh)
RECIPE="1"                  # bump when the recipe changes; the sources' hash is in the stamp too
# the substitution list is talosctl.sh's own, so both judges build against the same modules
eval "$(sed -n '/^substitutions() {/,/^}/p' "$HERE/talosctl.sh")"

CACHE="${BULWARK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e}"
FORCE="${BULWARK_E2E_FORCE:-0}"
OS="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in x86_64|amd64) ARCH=amd64 ;; aarch64|arm64) ARCH=arm64 ;; *) ARCH="$(uname -m)" ;; esac
log() { printf '[e2e-tools] %s\n' "$*"; }
err() { printf '[e2e-tools] ERROR: %s\n' "$*" >&2; }
now() { date +%s; }
with_lock() { local f="$1"; shift; if command -v flock >/dev/null 2>&1; then flock "$f" "$@"; else "$@"; fi; }
SRC_HASH="$(cat "$HERE"/talos-compute/*.go "$HERE"/talos-compute/shim-*.go.txt "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)"

mkdir -p "$CACHE/bin" "$CACHE/logs" "$CACHE/build"

mod_dir() { # module@version -> its folder in the module cache
  (cd "$CACHE/build" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1") \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1
}

build_one() { # version dir
  # talosctl.sh's folder: Go keys a main-module package by its folder (no -trimpath, upstream's flags), so the
  # copy at the same path reuses talosctl's compiled Talos packages from GOCACHE (talosctl.sh's lock is held)
  local v="$1" dir="$2" b="$CACHE/build/talosctl-$1" line="${1%.*}"; line="${line#v}"
  local src mach; src="$(mod_dir "github.com/siderolabs/talos@$v")"; mach="$(mod_dir "github.com/siderolabs/talos/pkg/machinery@$v")"
  [ -d "$src/internal/app/machined/pkg/controllers/k8s" ] && [ -f "$mach/go.mod" ] || { echo "cannot download talos/machinery $v from the Go module proxy"; return 1; }
  if [ "${BULWARK_TALOS_COMPUTE_KEEP:-0}" != 1 ] || [ ! -f "$b/.prepared" ]; then
    rm -rf "$b"; cp -R "$src" "$b"; chmod -R u+w "$b"
    rm -rf "$b/pkg/machinery"; cp -R "$mach" "$b/pkg/machinery"; chmod -R u+w "$b/pkg/machinery"
    local mod from arrow to tov
    while read -r mod from arrow to tov; do
      [ -n "$mod" ] || continue
      (cd "$b" && go mod edit -dropreplace "$mod")
      if [ "$to" != "(dropped)" ]; then (cd "$b" && go mod edit -replace "$mod=$to@$tov"); fi
    done < <(substitutions "$v")
    touch "$b/.prepared"
  fi
  local pkg="$b/internal/app/machined/pkg/controllers/k8s"
  mkdir -p "$pkg/bulwarkcompute"
  cp "$HERE"/talos-compute/*.go "$pkg/bulwarkcompute/"
  cp "$HERE/talos-compute/shim-$line.go.txt" "$pkg/zz_bulwark_export.go"
  cp "$HERE/talos-compute/shim-services.go.txt" "$b/internal/app/machined/pkg/system/services/zz_bulwark_export.go"
  local tags=grpcnotrace; [ "$line" = 1.13 ] && tags="$tags,talos113"
  # (an assignment word cannot come from an expansion: export it instead; build_one runs in a subshell)
  if [ -n "${BULWARK_E2E_GOCACHE:-}" ]; then export GOCACHE="$BULWARK_E2E_GOCACHE"; fi
  (cd "$b" && GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOFIPS140=off \
    go build -tags "$tags" -ldflags '-s -w' -o "$dir/talos-compute.tmp" ./internal/app/machined/pkg/controllers/k8s/bulwarkcompute)
  mv -f "$dir/talos-compute.tmp" "$dir/talos-compute"
  substitutions "$v" >"$dir/substitutions.txt"
  [ "${BULWARK_TALOS_COMPUTE_KEEP:-0}" = 1 ] || rm -rf "$b" # the module cache keeps the originals
}

FAILED=()
for v in "${VERSIONS[@]}"; do
  [ -z "${BULWARK_TALOS_COMPUTE_ONLY:-}" ] || [ "$v" = "$BULWARK_TALOS_COMPUTE_ONLY" ] || continue
  line="${v%.*}"; line="${line#v}"
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$CACHE/.lock-talos-compute-$v"; flock 8
    exec 7>"$CACHE/.lock-talosctl-$v"; flock 7 # the build folder is talosctl's
  fi
  dir="$CACHE/talos-compute/$v"; key="talos-compute $v recipe=$RECIPE src=$SRC_HASH $OS/$ARCH"
  mkdir -p "$dir"
  if [ "$FORCE" != 1 ] && [ -x "$dir/talos-compute" ] && [ "$(head -n1 "$dir/.stamp" 2>/dev/null)" = "$key" ]; then
    log "talos-compute $v: cached -> $dir"
  else
    log "building talos-compute $v with $(go env GOVERSION) (log: $CACHE/logs/talos-compute-$v.log) ..."
    t0=$(now)
    set +e; ( set -euo pipefail; build_one "$v" "$dir" ) >"$CACHE/logs/talos-compute-$v.log" 2>&1; rc=$?; set -e
    if [ $rc -eq 0 ]; then
      printf '%s\nsource=go\nseconds=%s\ndate=%s\n' "$key" "$(( $(now) - t0 ))" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$dir/.stamp"
      log "talos-compute $v ready in $(( $(now) - t0 ))s -> $dir"
    else
      err "talos-compute $v failed after $(( $(now) - t0 ))s; last lines of $CACHE/logs/talos-compute-$v.log:"
      tail -n 25 "$CACHE/logs/talos-compute-$v.log" | sed 's/^/    /' >&2
      FAILED+=("talos-compute-$line"); continue
    fi
  fi
  ln -sfn "$dir/talos-compute" "$CACHE/bin/talos-compute-$line"
done

BULWARK_M_CACHE="$CACHE" BULWARK_M_VERSIONS="${VERSIONS[*]}" BULWARK_M_FAILED="${FAILED[*]:-}" \
  with_lock "$CACHE/.lock-manifest" node "$HERE/manifest-merge.cjs" talos-compute
[ ${#FAILED[@]} -eq 0 ] || { err "missing: ${FAILED[*]}"; exit 1; }
