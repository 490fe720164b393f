#!/usr/bin/env bash
# `npm run test:engine`: the engine suite (jest.engine.config.js, test/engine/*.test.ts) with the real
# Pulumi CLI and kubernetes provider from the e2e cache (e2e/tools/pulumi.sh, run by `npm run e2e:tools`),
# under Node 22 (@pulumi/pulumi 3.276 needs it), in a network namespace with only loopback: the example
# stacks hold 10.x addresses, and nothing a test does may leave the machine.
# Arguments are passed to jest (e.g. a test file); `--bench` runs bench/engine.bench.ts instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${BULWARK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e}"
MANIFEST="$CACHE/manifest.json"
[ -f "$MANIFEST" ] || { echo "test:engine: no $MANIFEST; run: npm run e2e:tools" >&2; exit 2; }
tool() { node -e 'const t = require(process.argv[1]).tools[process.argv[2]]; if (!t) process.exit(1); console.log(t.path)' "$MANIFEST" "$1" 2>/dev/null ||
  { echo "test:engine: $1 is not in $MANIFEST; run: bash e2e/tools/pulumi.sh (or npm run e2e:tools)" >&2; exit 2; }; }
PULUMI="$(tool pulumi)"; K8S_PROVIDER="$(tool pulumi-resource-kubernetes)"; NODE22="$(tool node22)"
command -v unshare >/dev/null || { echo "test:engine: unshare (util-linux) is needed to run the suite without network" >&2; exit 2; }

# PATH: the CLI, its plugins (the engine uses a plugin found on PATH whatever its version), Node 22 as `node`.
BIN="$(mktemp -d)"
trap 'rm -rf "$BIN"' EXIT
ln -s "$PULUMI" "$BIN/pulumi"
ln -s "$K8S_PROVIDER" "$BIN/pulumi-resource-kubernetes"
ln -s "$PWD/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
ln -s "$NODE22" "$BIN/node"
export PATH="$BIN:$PATH"
echo "test:engine: $("$PULUMI" version) ($PULUMI), kubernetes provider $K8S_PROVIDER, node $("$NODE22" --version)"

# Own network namespace: loopback only (unshare -n needs root or an unprivileged user namespace).
if [ "$(id -u)" = 0 ]; then NS=(unshare -n); else NS=(unshare -r -n); fi
# `--bench`: bench/engine.bench.ts (npm run bench:engine) instead of the suite, in the same surroundings.
if [ "${1:-}" = --bench ]; then shift; RUN='exec node -r ts-node/register/transpile-only bench/engine.bench.ts "$@"'
else RUN='exec node node_modules/jest/bin/jest.js -c jest.engine.config.js "$@"'; fi
# Not `exec`: this shell must outlive the run so that its EXIT trap removes $BIN (the exit status is the run's).
"${NS[@]}" -- bash -c "ip link set lo up && $RUN" engine "$@"
