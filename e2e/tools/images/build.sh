#!/usr/bin/env bash
# Builds the e2e node images as OCI image layouts, without any registry (called by e2e/tools/node.sh):
#   pause.oci/    bulwark/pause:<TAG>    the kubernetes module's build/pause/linux/pause.c, static (musl), as upstream's
#                                         Makefile builds it (-Os -Wall -Werror -static), user 65535:65535
#   testapp.oci/  bulwark/testapp:<src>  e2e/tools/images/testapp (static Go), user 65532:65532, `testapp serve`
# Each folder gets image.json ({ref, digest, layout}); e2e/harness/registry.ts pushes them to the local registry.
# Environment: BULWARK_IMAGES_OUT (folder holding ociimage and testapp; the layouts are written there),
#   BULWARK_K8S_SRC (the k8s.io/kubernetes module folder).
set -euo pipefail
OUT="${BULWARK_IMAGES_OUT:?folder with ociimage and testapp}"
SRC="${BULWARK_K8S_SRC:?k8s.io/kubernetes module folder}"
TAG="$(sed -n 's/^TAG ?= //p' "$SRC/build/pause/Makefile")"
[ -n "$TAG" ] || { echo "no TAG in $SRC/build/pause/Makefile"; exit 1; }
CC=musl-gcc; command -v musl-gcc >/dev/null || CC=gcc
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT

"$CC" -Os -Wall -Werror -static -DVERSION="v$TAG-bulwark" -o "$W/pause" "$SRC/build/pause/linux/pause.c"
strip "$W/pause"
"$OUT/ociimage" -out "$OUT/pause.oci" -ref "bulwark/pause:$TAG" -entrypoint /pause -user 65535:65535 -file "/pause=$W/pause" \
  >"$W/pause.json"
mv -f "$W/pause.json" "$OUT/pause.oci/image.json"

SRCHASH="$(basename "$OUT")" # node.sh names the folder after the hash of the images' sources
"$OUT/ociimage" -out "$OUT/testapp.oci" -ref "bulwark/testapp:$SRCHASH" -entrypoint /testapp -cmd serve -user 65532:65532 \
  -file "/testapp=$OUT/testapp" >"$W/testapp.json"
mv -f "$W/testapp.json" "$OUT/testapp.oci/image.json"
cat "$OUT/pause.oci/image.json" "$OUT/testapp.oci/image.json"
