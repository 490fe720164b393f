#!/usr/bin/env bash
# Bulwark e2e toolchain installer (`npm run e2e:tools`).
#
# Installs pinned versions of the e2e tools into a cache folder OUTSIDE the repository and reuses them:
#   kube-apiserver, kube-controller-manager, kube-scheduler  (Kubernetes, built from the Go module proxy)
#   kubelet, kube-proxy, kubectl                           (same Kubernetes module: the e2e nodes)
#   etcd, etcdctl                                          (built from the Go module proxy)
#   kube-bench + its cfg/ folder                           (built from the Go module proxy)
#   oidc-provider (npm, panva; the e2e OIDC IdP)           (npm ci from idp/deps.package-lock.json)
# then writes <cache>/manifest.json (tool -> version, absolute path, ...).
#
# Sources, per tool, in this order (BULWARK_E2E_METHOD forces one):
#   prebuilt  binaries from BULWARK_E2E_PREBUILT=/dir (copied), when that dir has them
#   go        `go build` of upstream's modules (needs Go >= 1.26 and access to the Go module proxy)
#   download  official release binaries (dl.k8s.io, github.com releases), when Go is absent
#
# Environment:
#   BULWARK_E2E_CACHE     cache folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e)
#   BULWARK_E2E_PREBUILT  folder with prebuilt kube-apiserver, kube-controller-manager, kube-scheduler,
#                         etcd, etcdctl, kube-bench (+ optional cfg/ for kube-bench); missing ones are built
#   BULWARK_E2E_METHOD    auto (default) | go | download | prebuilt
#   BULWARK_E2E_FORCE=1   rebuild even when the stamp says the pinned version is already there
#   BULWARK_E2E_ONLY      comma list of: kubernetes,etcd,kube-bench,idp,node (default: all); node is every
#                         group of node.sh (containerd,runc,runsc,cni,coredns,registry,images), each selectable
#   BULWARK_E2E_GOCACHE   GOCACHE to use for the builds (default: the user's normal Go build cache)
#   BULWARK_E2E_LANES     how many jobs run at once (default 2: one Go build already uses every core, a second
#                         one fills the serial parts: downloads, module copies, links, cgo, npm)
#
# Jobs (each tool group, the judges, s3.sh, pulumi.sh) run in those lanes, longest first; each logs to
# <cache>/logs/<tool>.log as before and its console lines are printed when it ends, after "[k/N] <job> ...".
# Manifest writes take <cache>/.lock-manifest; every writer merges its own entries and keeps the others.
set -euo pipefail

# ---- pinned versions -------------------------------------------------------------------------------
K8S_VERSION="v1.36.3"          # latest v1.36.x on the Go module proxy (go list -m -versions k8s.io/kubernetes)
ETCD_VERSION="v3.6.16"         # latest v3.6.x (go list -m -versions go.etcd.io/etcd/server/v3)
KUBE_BENCH_VERSION="v0.15.6"
OIDC_PROVIDER_VERSION="9.13.3" # must equal idp/deps.package.json
RECIPE="1"                     # bump when the build recipe changes: invalidates every stamp

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CACHE="${BULWARK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e}"
PREBUILT="${BULWARK_E2E_PREBUILT:-}"
METHOD="${BULWARK_E2E_METHOD:-auto}"
FORCE="${BULWARK_E2E_FORCE:-0}"
ONLY="${BULWARK_E2E_ONLY:-kubernetes,etcd,kube-bench,idp,node}"

K8S_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
ETCD_BINS=(etcd etcdctl)

log() { printf '[e2e-tools] %s\n' "$*"; }
err() { printf '[e2e-tools] ERROR: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
with_lock() { local f="$1"; shift; if have flock; then flock "$f" "$@"; else "$@"; fi; } # lockfile command...
now() { date +%s; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e 's/^# \{0,1\}//' -e '/^set -euo/d'
}

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --force) FORCE=1 ;;
    --only) ONLY="$2"; shift ;;
    --only=*) ONLY="${1#--only=}" ;;
    *) err "unknown argument: $1 (see --help)"; exit 2 ;;
  esac
  shift
done
case "$METHOD" in auto|go|download|prebuilt) ;; *) err "BULWARK_E2E_METHOD must be auto|go|download|prebuilt, got '$METHOD'"; exit 2 ;; esac
if [ "$METHOD" = prebuilt ] && [ -z "$PREBUILT" ]; then err "BULWARK_E2E_METHOD=prebuilt needs BULWARK_E2E_PREBUILT=/folder/with/binaries"; exit 2; fi
if [ -n "$PREBUILT" ] && [ ! -d "$PREBUILT" ]; then err "BULWARK_E2E_PREBUILT=$PREBUILT is not a folder"; exit 2; fi
wants() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# ---- platform / cache --------------------------------------------------------------------------------
OS="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in
  x86_64|amd64) ARCH=amd64 ;;
  aarch64|arm64) ARCH=arm64 ;;
  *) ARCH="$(uname -m)" ;;
esac

mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd -P)"
case "$CACHE/" in
  "$(cd "$REPO_ROOT" && pwd -P)/"*) err "cache folder $CACHE is inside the repository; set BULWARK_E2E_CACHE to a folder outside it"; exit 2 ;;
esac
mkdir -p "$CACHE/bin" "$CACHE/logs" "$CACHE/build"
if have flock; then
  exec 9>"$CACHE/.lock"
  if ! flock -n 9; then log "another install is running on $CACHE, waiting ..."; flock 9; fi
fi

FAILED=()
SUMMARY=()

# stamp files: first line is the key (tool, pinned version, recipe, platform); the rest is informative
stamp_key() { printf '%s %s recipe=%s %s/%s' "$1" "$2" "$RECIPE" "$OS" "$ARCH"; }
stamp_ok() { # dir key files...
  local dir="$1" key="$2"; shift 2
  [ "$FORCE" = "1" ] && return 1
  [ -f "$dir/.stamp" ] && [ "$(head -n1 "$dir/.stamp")" = "$key" ] || return 1
  local f; for f in "$@"; do [ -e "$dir/$f" ] || return 1; done
}
stamp_write() { # dir key source seconds
  printf '%s\nsource=%s\nseconds=%s\ndate=%s\n' "$2" "$3" "$4" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$1/.stamp"
}
stamp_get() { sed -n "s/^$2=//p" "$1/.stamp" 2>/dev/null | head -n1; }
link_bins() { local dir="$1" b; shift; for b in "$@"; do ln -sfn "$dir/$b" "$CACHE/bin/$b"; done; }

# ---- helpers: Go ------------------------------------------------------------------------------------------
GO_OK=""
go_ready() {
  if [ -z "$GO_OK" ]; then
    if have go; then GO_OK=yes; else GO_OK=no; fi
  fi
  [ "$GO_OK" = yes ]
}
go_env() {
  export GOWORK=off GO111MODULE=on CGO_ENABLED=0
  export GOFLAGS="-mod=mod -buildvcs=false"
  if [ -n "${BULWARK_E2E_GOCACHE:-}" ]; then export GOCACHE="$BULWARK_E2E_GOCACHE"; fi
}
# go_mod_json module@version field -> value of a field of `go mod download -json`
go_mod_field() {
  local json
  if ! json="$(cd "$CACHE/build" && GOFLAGS=-mod=mod go mod download -json "$1" 2>&1)"; then
    printf 'go mod download %s failed:\n%s\n' "$1" "$json" >&2
    return 1
  fi
  printf '%s\n' "$json" | sed -n "s/^[[:space:]]*\"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" | head -n1
}
go_directive() { sed -n 's/^go \([0-9.]*\).*/\1/p' "$1" | head -n1; }

# ---- helpers: downloads -----------------------------------------------------------------------------------
dl() { # url dest
  if have curl; then curl -fsSL --retry 3 -o "$2" "$1"
  elif have wget; then wget -q -O "$2" "$1"
  else err "neither curl nor wget found"; return 1; fi
}
sha256() { if have sha256sum; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }
can_download() { have curl || have wget; }

# ---- helpers: prebuilt ------------------------------------------------------------------------------------
prebuilt_has() { [ -n "$PREBUILT" ] || return 1; local b; for b in "$@"; do [ -x "$PREBUILT/$b" ] || return 1; done; }
copy_prebuilt() { # dir bins...
  local dir="$1" b; shift
  for b in "$@"; do cp -fL "$PREBUILT/$b" "$dir/$b.tmp" && chmod 0755 "$dir/$b.tmp" && mv -f "$dir/$b.tmp" "$dir/$b"; done
}

# choose the methods to try for a tool, in order
methods_for() { # bins...
  if [ "$METHOD" != auto ]; then echo "$METHOD"; return; fi
  local m=""
  if prebuilt_has "$@"; then m="prebuilt"; fi
  if go_ready; then m="$m go"; elif can_download; then m="$m download"; fi
  echo "$m"
}

# run one provisioning function with timing and a log; $1 tool label, $2 function, rest args.
# Call it as `set +e; run_step ...; rc=$?; set -e` (not under if/&&/||: that would disable errexit inside).
run_step() {
  local label="$1" fn="$2"; shift 2
  local logf="$CACHE/logs/$label.log" t0 rc
  t0=$(now)
  ( set -euo pipefail; "$fn" "$@" ) >"$logf" 2>&1
  rc=$?
  STEP_SECONDS=$(( $(now) - t0 ))
  if [ $rc -ne 0 ]; then
    err "$label failed after ${STEP_SECONDS}s; last lines of $logf:"
    tail -n 25 "$logf" | sed 's/^/    /' >&2
  fi
  return $rc
}

report_missing() { # tool version what-to-provide
  FAILED+=("$1")
  err "could not provide $1 $2."
  printf '%s\n' "$3" | sed 's/^/    /' >&2
}

# ==== Kubernetes =======================================================================================
k8s_go() {
  local dir="$1" bdir="$CACHE/build/kubernetes-$K8S_VERSION"
  go_env
  mkdir -p "$bdir"
  local kmod; kmod="$(go_mod_field "k8s.io/kubernetes@$K8S_VERSION" GoMod)"
  [ -f "$kmod" ] || { echo "cannot download k8s.io/kubernetes@$K8S_VERSION go.mod from the Go module proxy"; return 1; }
  local staging="v0.${K8S_VERSION#v1.}" # v1.36.3 -> v0.36.3 for every k8s.io staging module
  {
    echo "// Generated by bulwark e2e/tools/install.sh: builds upstream k8s.io/kubernetes $K8S_VERSION."
    echo "module bulwark.local/e2e-tools/kubernetes"
    echo
    echo "go $(go_directive "$kmod")"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    awk -v v="$staging" '/^replace \(/{f=1;next} f&&/^\)/{f=0} f && $3 ~ /^\.\/staging\// {print "\t"$1" => "$1" "v}' "$kmod"
    echo ")"
  } >"$bdir/go.mod"
  echo "generated $bdir/go.mod ($(grep -c '=>' "$bdir/go.mod") staging replaces -> $staging)"
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local commit; commit="$(go_mod_field "k8s.io/kubernetes@$K8S_VERSION" Hash || true)"
  local bdate; bdate="$(go_mod_field "k8s.io/kubernetes@$K8S_VERSION" Time || true)"
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ld="$ld -X $p.gitCommit=${commit} -X $p.buildDate=${bdate:-1970-01-01T00:00:00Z}"
  done
  # one go build for all six: the same packages and flags as six builds, but their links run side by side
  local b t0 out="$dir/.build" pkgs=()
  for b in "${K8S_BINS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  t0=$(now); echo "building ${K8S_BINS[*]}"
  rm -rf "$out"; mkdir -p "$out"
  (cd "$bdir" && go build -trimpath -ldflags "$ld" -o "$out/" "${pkgs[@]}")
  for b in "${K8S_BINS[@]}"; do mv -f "$out/$b" "$dir/$b"; done
  rmdir "$out"
  printf '[e2e-tools]   %s built in %ss\n' "${K8S_BINS[*]}" "$(( $(now) - t0 ))" >&3
}
k8s_download() {
  local dir="$1" b sum
  [ "$OS" = linux ] || { echo "Kubernetes publishes server binaries for linux only (this is $OS); use Go"; return 1; }
  for b in "${K8S_BINS[@]}"; do
    dl "https://dl.k8s.io/release/$K8S_VERSION/bin/linux/$ARCH/$b" "$dir/$b.tmp"
    sum="$(curl -fsSL "https://dl.k8s.io/release/$K8S_VERSION/bin/linux/$ARCH/$b.sha256" 2>/dev/null || wget -qO- "https://dl.k8s.io/release/$K8S_VERSION/bin/linux/$ARCH/$b.sha256")"
    [ "$(sha256 "$dir/$b.tmp")" = "${sum%% *}" ] || { echo "checksum mismatch for $b"; return 1; }
    chmod 0755 "$dir/$b.tmp"; mv -f "$dir/$b.tmp" "$dir/$b"
  done
}
k8s_prebuilt() { copy_prebuilt "$1" "${K8S_BINS[@]}"; }

# ==== etcd ===============================================================================================
etcd_go() {
  local dir="$1" bdir="$CACHE/build/etcd-$ETCD_VERSION"
  go_env
  mkdir -p "$bdir"
  local smod; smod="$(go_mod_field "go.etcd.io/etcd/server/v3@$ETCD_VERSION" GoMod)"
  [ -f "$smod" ] || { echo "cannot download go.etcd.io/etcd/server/v3@$ETCD_VERSION from the Go module proxy"; return 1; }
  cat >"$bdir/go.mod" <<EOF
// Generated by bulwark e2e/tools/install.sh: builds upstream etcd $ETCD_VERSION.
module bulwark.local/e2e-tools/etcd

go $(go_directive "$smod")

require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/etcdctl/v3 $ETCD_VERSION
)
EOF
  local sha; sha="$(go_mod_field "go.etcd.io/etcd/server/v3@$ETCD_VERSION" Hash || true)"
  local ld="-s -w"
  [ -n "$sha" ] && ld="$ld -X go.etcd.io/etcd/api/v3/version.GitSHA=${sha:0:9}"
  local t0
  t0=$(now); echo "building etcd"
  (cd "$bdir" && go build -trimpath -ldflags "$ld" -o "$dir/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv -f "$dir/etcd.tmp" "$dir/etcd"
  printf '[e2e-tools]   etcd built in %ss\n' "$(( $(now) - t0 ))" >&3
  t0=$(now); echo "building etcdctl"
  (cd "$bdir" && go build -trimpath -ldflags "$ld" -o "$dir/etcdctl.tmp" go.etcd.io/etcd/etcdctl/v3)
  mv -f "$dir/etcdctl.tmp" "$dir/etcdctl"
  printf '[e2e-tools]   etcdctl built in %ss\n' "$(( $(now) - t0 ))" >&3
}
etcd_download() {
  local dir="$1" name="etcd-$ETCD_VERSION-$OS-$ARCH" ext=tar.gz tmp
  [ "$OS" = darwin ] && ext=zip
  tmp="$(mktemp -d)"
  local base="https://github.com/etcd-io/etcd/releases/download/$ETCD_VERSION"
  dl "$base/$name.$ext" "$tmp/$name.$ext"
  dl "$base/SHA256SUMS" "$tmp/SHA256SUMS"
  [ "$(sha256 "$tmp/$name.$ext")" = "$(awk -v f="$name.$ext" '$2==f{print $1}' "$tmp/SHA256SUMS")" ] || { echo "checksum mismatch for $name.$ext"; return 1; }
  if [ "$ext" = zip ]; then (cd "$tmp" && unzip -q "$name.zip"); else tar -xzf "$tmp/$name.tar.gz" -C "$tmp"; fi
  cp -f "$tmp/$name/etcd" "$tmp/$name/etcdctl" "$dir/"
  rm -rf "$tmp"
}
etcd_prebuilt() { copy_prebuilt "$1" "${ETCD_BINS[@]}"; }

# ==== kube-bench ===========================================================================================
kube_bench_go() {
  local dir="$1" bdir="$CACHE/build/kube-bench-$KUBE_BENCH_VERSION"
  go_env
  mkdir -p "$bdir"
  local src; src="$(go_mod_field "github.com/aquasecurity/kube-bench@$KUBE_BENCH_VERSION" Dir)"
  [ -d "$src/cfg" ] || { echo "cannot download github.com/aquasecurity/kube-bench@$KUBE_BENCH_VERSION from the Go module proxy"; return 1; }
  cat >"$bdir/go.mod" <<EOF
// Generated by bulwark e2e/tools/install.sh: builds upstream kube-bench $KUBE_BENCH_VERSION.
module bulwark.local/e2e-tools/kube-bench

go $(go_directive "$src/go.mod")

require github.com/aquasecurity/kube-bench $KUBE_BENCH_VERSION
EOF
  rm -rf "$dir/cfg"; cp -R "$src/cfg" "$dir/cfg"; chmod -R u+w "$dir/cfg"
  # like upstream's release build (.goreleaser.yml): version and default cfg dir baked in
  local ld="-s -w -X github.com/aquasecurity/kube-bench/cmd.KubeBenchVersion=${KUBE_BENCH_VERSION#v}"
  ld="$ld -X github.com/aquasecurity/kube-bench/cmd.cfgDir=$dir/cfg/"
  (cd "$bdir" && go build -trimpath -ldflags "$ld" -o "$dir/kube-bench.tmp" github.com/aquasecurity/kube-bench)
  mv -f "$dir/kube-bench.tmp" "$dir/kube-bench"
}
kube_bench_download() {
  local dir="$1" v="${KUBE_BENCH_VERSION#v}" tmp
  local name="kube-bench_${v}_${OS}_${ARCH}.tar.gz" base="https://github.com/aquasecurity/kube-bench/releases/download/$KUBE_BENCH_VERSION"
  tmp="$(mktemp -d)"
  dl "$base/$name" "$tmp/$name"
  dl "$base/kube-bench_${v}_checksums.txt" "$tmp/sums"
  [ "$(sha256 "$tmp/$name")" = "$(awk -v f="$name" '$2==f{print $1}' "$tmp/sums")" ] || { echo "checksum mismatch for $name"; return 1; }
  tar -xzf "$tmp/$name" -C "$tmp"
  rm -rf "$dir/cfg"; cp -f "$tmp/kube-bench" "$dir/"; cp -R "$tmp/cfg" "$dir/cfg"
  rm -rf "$tmp"
}
kube_bench_prebuilt() {
  local dir="$1" src
  copy_prebuilt "$dir" kube-bench
  if [ -d "$PREBUILT/cfg" ]; then rm -rf "$dir/cfg"; cp -R "$PREBUILT/cfg" "$dir/cfg"
  elif go_ready; then go_env; src="$(go_mod_field "github.com/aquasecurity/kube-bench@$KUBE_BENCH_VERSION" Dir)"; rm -rf "$dir/cfg"; cp -R "$src/cfg" "$dir/cfg"; chmod -R u+w "$dir/cfg"
  else echo "no cfg/ folder in $PREBUILT and no Go to fetch it from the module proxy"; return 1; fi
}

# ==== generic provisioning of a Go tool group ====================================================================
# provide <tool-label> <version> <dir> <fn-prefix> <hint> <binaries...>   (EXTRA_FILES: more files to expect)
provide() {
  local label="$1" version="$2" dir="$3" fnp="$4" hint="$5"; shift 5
  local key rc; key="$(stamp_key "$label" "$version")"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  if stamp_ok "$dir" "$key" "$@" ${EXTRA_FILES:-}; then
    log "$label $version: cached ($(stamp_get "$dir" source), built in $(stamp_get "$dir" seconds)s) -> $dir"
    SUMMARY+=("$label $version cached")
    return 0
  fi
  local methods m ok=""
  methods="$(methods_for "$@")"
  if [ -z "${methods// /}" ]; then
    report_missing "$label" "$version" "no way to get it here: Go is not installed and neither curl nor wget is available.
$hint"
    return 0
  fi
  for m in $methods; do
    case "$m" in
      prebuilt) log "copying $label $version from BULWARK_E2E_PREBUILT=$PREBUILT ..." ;;
      go) log "building $label $version with $(go env GOVERSION 2>/dev/null || echo go) (log: $CACHE/logs/$label.log) ..." ;;
      download) log "downloading $label $version release binaries ..." ;;
    esac
    set +e; run_step "$label" "${fnp}_$m" "$dir" 3>&1; rc=$?; set -e
    if [ $rc -eq 0 ]; then ok="$m"; break; fi
  done
  if [ -z "$ok" ]; then
    report_missing "$label" "$version" "$hint"
    return 0
  fi
  stamp_write "$dir" "$key" "$ok" "$STEP_SECONDS"
  log "$label $version ready in ${STEP_SECONDS}s ($ok) -> $dir"
  SUMMARY+=("$label $version $ok ${STEP_SECONDS}s")
}

# ==== oidc-provider (npm) ==============================================================================
idp_install() {
  local dir="$1"
  cp -f "$SCRIPT_DIR/idp/deps.package.json" "$dir/package.json"
  cp -f "$SCRIPT_DIR/idp/deps.package-lock.json" "$dir/package-lock.json"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --omit=dev --loglevel=error)
  local got; got="$(node -p "require('$dir/node_modules/oidc-provider/package.json').version")"
  [ "$got" = "$OIDC_PROVIDER_VERSION" ] || { echo "installed oidc-provider $got, expected $OIDC_PROVIDER_VERSION"; return 1; }
}
provide_idp() {
  local dir="$CACHE/oidc-provider/$OIDC_PROVIDER_VERSION" lockhash key
  if ! have node || ! have npm; then
    report_missing oidc-provider "$OIDC_PROVIDER_VERSION" "Node.js >= 20 and npm are needed (the IdP is the npm package oidc-provider)."
    return 0
  fi
  grep -q "\"oidc-provider\": \"$OIDC_PROVIDER_VERSION\"" "$SCRIPT_DIR/idp/deps.package.json" \
    || { err "idp/deps.package.json does not pin oidc-provider $OIDC_PROVIDER_VERSION"; FAILED+=(oidc-provider); return 0; }
  lockhash="$(sha256 "$SCRIPT_DIR/idp/deps.package-lock.json" | cut -c1-12)"
  key="$(stamp_key oidc-provider "$OIDC_PROVIDER_VERSION lock=$lockhash")"
  mkdir -p "$dir"
  if stamp_ok "$dir" "$key" node_modules/oidc-provider/package.json; then
    log "oidc-provider $OIDC_PROVIDER_VERSION: cached -> $dir"
    SUMMARY+=("oidc-provider $OIDC_PROVIDER_VERSION cached")
    return 0
  fi
  log "installing oidc-provider $OIDC_PROVIDER_VERSION (npm ci, pinned lockfile) ..."
  local rc
  set +e; run_step oidc-provider idp_install "$dir"; rc=$?; set -e
  if [ $rc -eq 0 ]; then
    stamp_write "$dir" "$key" npm "$STEP_SECONDS"
    log "oidc-provider $OIDC_PROVIDER_VERSION ready in ${STEP_SECONDS}s -> $dir"
    SUMMARY+=("oidc-provider $OIDC_PROVIDER_VERSION npm ${STEP_SECONDS}s")
  else
    report_missing oidc-provider "$OIDC_PROVIDER_VERSION" "npm could not install it from the registry (see $CACHE/logs/oidc-provider.log).
Alternatively point BULWARK_OIDC_PROVIDER_DIR at a folder whose node_modules has oidc-provider@$OIDC_PROVIDER_VERSION."
  fi
}

# ==== run =============================================================================================
T_ALL=$(now)
log "cache: $CACHE  (platform $OS/$ARCH, method $METHOD${PREBUILT:+, prebuilt $PREBUILT})"

HINT_COMMON="Provide it by one of:
  - install Go >= 1.26 (https://go.dev/dl/) with access to the Go module proxy, then re-run: npm run e2e:tools
  - allow downloads of the official release binaries (BULWARK_E2E_METHOD=download, needs curl or wget)
  - put prebuilt binaries in a folder and run: BULWARK_E2E_PREBUILT=/that/folder npm run e2e:tools"

K8S_DIR="$CACHE/kubernetes/$K8S_VERSION"
ETCD_DIR="$CACHE/etcd/$ETCD_VERSION"
KB_DIR="$CACHE/kube-bench/$KUBE_BENCH_VERSION"
IDP_DIR="$CACHE/oidc-provider/$OIDC_PROVIDER_VERSION"

# the e2e nodes' runtime, network, DNS, registry and images (sourced: it uses the helpers above; node_group <g>)
# shellcheck source=node.sh
. "$SCRIPT_DIR/node.sh"
TALOS_VERSIONS="$(sed -n 's/^TALOSCTL_VERSIONS=(\([^)]*\)).*/\1/p' "$SCRIPT_DIR/talosctl.sh")"

# one job, in a lane (a background subshell): FAILED holds what it could not provide; written to <run>/<job>.failed
run_job() {
  FAILED=(); SUMMARY=()
  case "$1" in
    idp) provide_idp ;;
    etcd) # etcdutl (s3.sh) right after etcd in the same lane: their packages are the same module versions
      if wants etcd; then
        EXTRA_FILES="" provide etcd "$ETCD_VERSION" "$ETCD_DIR" etcd "$HINT_COMMON
  (files in the prebuilt folder: etcd, etcdctl)" "${ETCD_BINS[@]}"
        if [ -x "$ETCD_DIR/etcd" ]; then link_bins "$ETCD_DIR" "${ETCD_BINS[@]}"; fi
      fi
      bash "$SCRIPT_DIR/s3.sh" || FAILED+=(s3) ;;
    kube-bench)
      EXTRA_FILES="cfg/config.yaml" provide kube-bench "$KUBE_BENCH_VERSION" "$KB_DIR" kube_bench "$HINT_COMMON
  (files in the prebuilt folder: kube-bench, and its cfg/ folder)" kube-bench
      if [ -x "$KB_DIR/kube-bench" ]; then link_bins "$KB_DIR" kube-bench; fi ;;
    kubernetes)
      EXTRA_FILES="" provide kubernetes "$K8S_VERSION" "$K8S_DIR" k8s "$HINT_COMMON
  (files in the prebuilt folder: ${K8S_BINS[*]})" "${K8S_BINS[@]}"
      if [ -x "$K8S_DIR/kube-apiserver" ]; then link_bins "$K8S_DIR" "${K8S_BINS[@]}"; fi ;;
    containerd|runc|runsc|cni|coredns|registry|images) node_group "$1" ;;
    talos-v*) # talosctl, then talos-compute of the same line in the same folder: it reuses talosctl's packages
      local v="${1#talos-}" line; line="${v%.*}"; line="${line#v}"
      BULWARK_TALOSCTL_ONLY="$v" bash "$SCRIPT_DIR/talosctl.sh" || FAILED+=("talosctl-$line")
      BULWARK_TALOS_COMPUTE_ONLY="$v" bash "$SCRIPT_DIR/talos-compute.sh" || FAILED+=("talos-compute-$line") ;;
    cyclonus) bash "$SCRIPT_DIR/cyclonus.sh" || FAILED+=(cyclonus) ;;
    pulumi|pulumi-resource-kubernetes|node22) BULWARK_ENGINE_ONLY="$1" bash "$SCRIPT_DIR/pulumi.sh" || FAILED+=("$1") ;;
    *) err "unknown job $1"; FAILED+=("$1") ;;
  esac
  local x; for x in "${SUMMARY[@]:-}"; do [ -z "$x" ] || printf '%s\n' "$x" >>"$RUN/summary"; done
  printf '%s\n' "${FAILED[@]:-}" >"$RUN/$1.failed"
  times >"$RUN/$1.times" # line 2: the CPU of everything the job waited for (its builds)
  [ ${#FAILED[@]} -eq 0 ]
}
job_cpu() { # job -> CPU seconds (user+sys) of its processes, from `times`
  awk 'NR==2 { t=0; for (i=1;i<=2;i++) { split($i, a, "m"); t += a[1]*60 + a[2] } printf "%d", t }' "$RUN/$1.times" 2>/dev/null || echo "?"
}

# longest first (cold CPU, e2e/tools/README.md), so the two lanes end close together; none depends on another
JOBS=()
JOBS+=(pulumi pulumi-resource-kubernetes)
if wants kubernetes; then JOBS+=(kubernetes); fi
if [ "${BULWARK_E2E_JUDGES:-1}" != 0 ]; then for v in $TALOS_VERSIONS; do JOBS+=("talos-$v"); done; fi
for g in containerd runsc coredns; do if node_wants "$g"; then JOBS+=("$g"); fi; done
if wants kube-bench; then JOBS+=(kube-bench); fi
JOBS+=(etcd) # etcd (when wanted) and s3.sh
for g in registry runc cni images; do if node_wants "$g"; then JOBS+=("$g"); fi; done
[ "${BULWARK_E2E_JUDGES:-1}" = 0 ] || JOBS+=(cyclonus)
if wants idp; then JOBS+=(idp); fi
JOBS+=(node22)

LANES="${BULWARK_E2E_LANES:-2}"
case "$LANES" in ''|*[!0-9]*|0) err "BULWARK_E2E_LANES must be a positive number, got '$LANES'"; exit 2 ;; esac
RUN="$CACHE/logs/run"; rm -rf "$RUN"; mkdir -p "$RUN"
N=${#JOBS[@]}; NEXT=0; ENDED=0
declare -A JOB_OF=() JOB_K=() JOB_T0=()
start_job() {
  local j="${JOBS[$NEXT]}"; NEXT=$(( NEXT + 1 ))
  log "[$NEXT/$N] $j: started (+$(( $(now) - T_ALL ))s)"
  ( run_job "$j" ) >"$RUN/$j.out" 2>&1 &
  JOB_OF[$!]="$j"; JOB_K[$j]=$NEXT; JOB_T0[$j]=$(now)
}
log "$N jobs in $LANES lanes (console lines of a job are printed when it ends; logs: $CACHE/logs/)"
while [ $NEXT -lt $N ] && [ ${#JOB_OF[@]} -lt "$LANES" ]; do start_job; done
ALL_FAILED=()
while [ ${#JOB_OF[@]} -gt 0 ]; do
  set +e; wait -n -p pid; rc=$?; set -e
  j="${JOB_OF[$pid]}"; unset "JOB_OF[$pid]"; ENDED=$(( ENDED + 1 ))
  secs=$(( $(now) - JOB_T0[$j] ))
  if [ $rc -eq 0 ]; then log "[${JOB_K[$j]}/$N] $j: done in ${secs}s, $(job_cpu "$j") CPU-s ($ENDED of $N ended, +$(( $(now) - T_ALL ))s)"
  else err "[${JOB_K[$j]}/$N] $j: FAILED after ${secs}s ($ENDED of $N ended, +$(( $(now) - T_ALL ))s)"; fi
  sed 's/^/    /' "$RUN/$j.out"
  if [ $rc -ne 0 ]; then
    f="$(cat "$RUN/$j.failed" 2>/dev/null || true)"
    # shellcheck disable=SC2206
    if [ -n "${f//[[:space:]]/}" ]; then ALL_FAILED+=($f); else ALL_FAILED+=("$j"); fi
  fi
  if [ $NEXT -lt $N ]; then start_job; fi
done
FAILED=("${ALL_FAILED[@]}")
SUMMARY=(); if [ -f "$RUN/summary" ]; then mapfile -t SUMMARY <"$RUN/summary"; fi

# ---- sanity checks of what we have ----------------------------------------------------------------------
if [ -x "$K8S_DIR/kube-apiserver" ]; then
  v="$("$K8S_DIR/kube-apiserver" --version 2>&1 || true)"
  case "$v" in *"$K8S_VERSION"*) log "kube-apiserver --version: $v" ;; *) err "kube-apiserver --version says '$v', expected $K8S_VERSION" ;; esac
fi
if [ -x "$ETCD_DIR/etcd" ]; then
  v="$("$ETCD_DIR/etcd" --version 2>&1 | head -n1 || true)"
  case "$v" in *"${ETCD_VERSION#v}"*) log "etcd --version: $v" ;; *) err "etcd --version says '$v', expected $ETCD_VERSION" ;; esac
fi
if [ -x "$KB_DIR/kube-bench" ]; then
  log "kube-bench version: $("$KB_DIR/kube-bench" version 2>&1 | tail -n1)"
fi

# ---- manifest --------------------------------------------------------------------------------------------
MANIFEST="$CACHE/manifest.json"
if have node; then
  BULWARK_M_CACHE="$CACHE" BULWARK_M_REPO="$REPO_ROOT" BULWARK_M_PLATFORM="$OS/$ARCH" \
  BULWARK_M_K8S="$K8S_VERSION" BULWARK_M_K8S_DIR="$K8S_DIR" \
  BULWARK_M_ETCD="$ETCD_VERSION" BULWARK_M_ETCD_DIR="$ETCD_DIR" \
  BULWARK_M_KB="$KUBE_BENCH_VERSION" BULWARK_M_KB_DIR="$KB_DIR" \
  BULWARK_M_IDP="$OIDC_PROVIDER_VERSION" BULWARK_M_IDP_DIR="$IDP_DIR" \
  BULWARK_M_FAILED="${FAILED[*]:-}" \
  with_lock "$CACHE/.lock-manifest" node - "$MANIFEST" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const e = process.env;
const stamp = (dir) => {
  try {
    const lines = fs.readFileSync(path.join(dir, '.stamp'), 'utf8').split('\n');
    const kv = Object.fromEntries(lines.slice(1).filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return { source: kv.source, buildSeconds: Number(kv.seconds), installedAt: kv.date };
  } catch { return null; }
};
// merged into what is there: the other scripts' entries (written by their jobs, maybe still running) stay
let old = {};
try { old = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')); } catch {}
const tools = old.tools || {};
const ours = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl', 'etcd', 'etcdctl', 'kube-bench', 'oidc-provider'];
for (const n of ours) delete tools[n];
const bin = (name, version, dir, extra = {}) => {
  const p = path.join(dir, name);
  const s = stamp(dir);
  if (s && fs.existsSync(p)) tools[name] = { version, path: p, ...s, ...extra };
};
for (const b of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl']) bin(b, e.BULWARK_M_K8S, e.BULWARK_M_K8S_DIR);
for (const b of ['etcd', 'etcdctl']) bin(b, e.BULWARK_M_ETCD, e.BULWARK_M_ETCD_DIR);
bin('kube-bench', e.BULWARK_M_KB, e.BULWARK_M_KB_DIR, {
  cfgDir: path.join(e.BULWARK_M_KB_DIR, 'cfg'),
  usage: 'pass --config-dir <cfgDir> and --version 1.36 (or --benchmark cis-1.12): the pinned cfg maps Kubernetes 1.36 to cis-1.12; without --version kube-bench searches the filesystem for kubectl/kubelet',
});
const idpDir = e.BULWARK_M_IDP_DIR;
const idpPkg = path.join(idpDir, 'node_modules', 'oidc-provider', 'package.json');
const idpStamp = stamp(idpDir);
if (idpStamp && fs.existsSync(idpPkg)) {
  tools['oidc-provider'] = {
    version: e.BULWARK_M_IDP,
    path: path.join(idpDir, 'node_modules', 'oidc-provider'),
    nodeModulesRoot: idpDir,
    ...idpStamp,
    launcher: path.join(e.BULWARK_M_REPO, 'e2e', 'tools', 'idp', 'oidc-idp.mjs'),
    tokenHelper: path.join(e.BULWARK_M_REPO, 'e2e', 'tools', 'idp', 'client.cjs'),
    defaults: {
      clients: { kubernetes: 'RS256', 'kubernetes-es256': 'ES256', 'some-other-app': 'RS256' },
      clientSecret: 'bulwark-e2e-secret',
      users: { alice: ['team-a'], bob: ['team-b'], mallory: [] },
      redirectUri: 'https://127.0.0.1/bulwark-e2e/callback',
      scope: 'openid email profile groups',
    },
  };
}
const manifest = {
  schema: 1,
  generatedAt: new Date().toISOString(),
  cache: e.BULWARK_M_CACHE,
  binDir: path.join(e.BULWARK_M_CACHE, 'bin'),
  platform: e.BULWARK_M_PLATFORM,
  tools,
  missing: [...new Set((e.BULWARK_M_FAILED || '').split(' ').filter(Boolean))], // every job's, written last
};
fs.writeFileSync(process.argv[2] + '.tmp', JSON.stringify(manifest, null, 2) + '\n');
fs.renameSync(process.argv[2] + '.tmp', process.argv[2]);
EOF
else
  err "node not found: manifest.json not written"
fi

log "---------------------------------------------------------------"
for s in "${SUMMARY[@]:-}"; do [ -n "$s" ] && log "  $s"; done
log "total $(( $(now) - T_ALL ))s; disk used by cache: $(du -sh "$CACHE" 2>/dev/null | cut -f1)"
log "cache:    $CACHE"
log "bin:      $CACHE/bin"
log "manifest: $MANIFEST"
if [ ${#FAILED[@]} -gt 0 ]; then
  err "missing: ${FAILED[*]} (see messages above)"
  exit 1
fi
