#!/usr/bin/env bash
# Smoke test of the e2e toolchain installed by install.sh (reads <cache>/manifest.json):
#   1. throwaway PKI (openssl) in a temp dir
#   2. etcd with TLS + client-certificate auth on 127.0.0.1
#   3. the OIDC IdP (oidc-provider) on 127.0.0.1 over HTTPS; ID tokens for alice (group team-a), right and wrong audience
#   4. kube-apiserver against that etcd: client CA, service-account keys, encryption at rest (aescbc),
#      structured JWT authentication trusting the IdP
#   5. checks: /livez, a Secret is stored encrypted (raw read with etcdctl), the IdP token authenticates as
#      alice with groups, the wrong-audience token is rejected, kube-controller-manager/kube-scheduler
#      start, kube-bench finds its cfg.
# Everything is stopped and the temp dir removed at exit (BULWARK_SMOKE_KEEP=1 keeps the dir).
set -euo pipefail

CACHE="${BULWARK_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-e2e}"
M="$CACHE/manifest.json"
[ -f "$M" ] || { echo "[e2e-smoke] no $M: run npm run e2e:tools first" >&2; exit 1; }
tool() { node -p "const m=require(process.argv[1]); const t=m.tools[process.argv[2]]; if(!t) throw new Error('missing '+process.argv[2]); t[process.argv[3]||'path']" "$M" "$@"; }
APISERVER="$(tool kube-apiserver)"; KCM="$(tool kube-controller-manager)"; SCHED="$(tool kube-scheduler)"
ETCD="$(tool etcd)"; ETCDCTL="$(tool etcdctl)"; KUBE_BENCH="$(tool kube-bench)"; KB_CFG="$(tool kube-bench cfgDir)"
IDP="$(tool oidc-provider launcher)"; GET_TOKEN="$(tool oidc-provider tokenHelper)"

log() { printf '[e2e-smoke] %s\n' "$*"; }
T="$(mktemp -d "${TMPDIR:-/tmp}/bulwark-smoke.XXXXXX")"
PIDS=()
stop_pid() { # SIGTERM, up to 15 s of grace, then SIGKILL
  local p="$1" _i
  kill "$p" 2>/dev/null || return 0
  for _i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.5; done
  log "pid $p ignored SIGTERM for 15 s, killing"; kill -9 "$p" 2>/dev/null || true
}
cleanup() {
  # reverse start order: the apiserver must go before etcd, or its shutdown waits on etcd timeouts
  local i; for (( i=${#PIDS[@]}-1; i>=0; i-- )); do stop_pid "${PIDS[$i]}"; done
  wait 2>/dev/null || true
  if [ "${BULWARK_SMOKE_KEEP:-0}" = 1 ]; then log "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_for() { # description, command...
  local what="$1" _i; shift
  for _i in $(seq 1 120); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 0.5; done
  log "timed out waiting for $what"; return 1
}

# ---- 1. PKI ---------------------------------------------------------------------------------------------
cd "$T"
t0=$(date +%s)
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj "/CN=bulwark-e2e-ca" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
cert() { # name subject eku san
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s' "$3" "${4:+subjectAltName=$4}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 1 -extfile "$1.ext" 2>/dev/null
}
cert etcd-server "/CN=etcd" serverAuth,clientAuth "IP:127.0.0.1,DNS:localhost"
cert etcd-client "/CN=kube-apiserver-etcd-client" clientAuth ""
cert apiserver "/CN=kube-apiserver" serverAuth "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1"
cert admin "/O=system:masters/CN=admin" clientAuth ""
cert idp "/CN=bulwark-e2e-idp" serverAuth "IP:127.0.0.1,DNS:localhost"
openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
log "PKI ready in $(( $(date +%s) - t0 ))s"

# ---- 2. etcd (TLS + client cert auth) ---------------------------------------------------------------------
EP=$(free_port); PP=$(free_port)
"$ETCD" --name e2e --data-dir "$T/etcd" \
  --listen-client-urls "https://127.0.0.1:$EP" --advertise-client-urls "https://127.0.0.1:$EP" \
  --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
  --initial-cluster "e2e=http://127.0.0.1:$PP" --initial-cluster-state new \
  --cert-file etcd-server.crt --key-file etcd-server.key --trusted-ca-file ca.crt --client-cert-auth \
  --log-level warn >"$T/etcd.log" 2>&1 &
PIDS+=($!)
ETCDCTL_ARGS=(--endpoints "https://127.0.0.1:$EP" --cacert ca.crt --cert etcd-client.crt --key etcd-client.key)
wait_for etcd "$ETCDCTL" "${ETCDCTL_ARGS[@]}" endpoint health
if "$ETCDCTL" --endpoints "https://127.0.0.1:$EP" --cacert ca.crt --dial-timeout 2s --command-timeout 3s endpoint health >"$T/etcd-nocert.out" 2>&1; then
  log "FAIL: etcd accepted a client without certificate"; exit 1
fi
log "etcd up on https://127.0.0.1:$EP; a client without certificate is refused: $(tail -n1 "$T/etcd-nocert.out" | cut -c1-160)"

# ---- 3. IdP ---------------------------------------------------------------------------------------------------
cat >idp.json <<EOF
{ "tls": { "cert": "$T/idp.crt", "key": "$T/idp.key" }, "readyFile": "$T/idp.ready.json",
  "users": { "alice": { "email": "alice@example.com", "email_verified": true, "groups": ["team-a"] } },
  "clients": [ { "client_id": "kubernetes", "client_secret": "s3cret" },
               { "client_id": "some-other-app", "client_secret": "s3cret" } ] }
EOF
node "$IDP" --config idp.json >"$T/idp.out" 2>"$T/idp.log" &
PIDS+=($!)
wait_for "IdP" test -s "$T/idp.ready.json"
ISSUER="$(node -p 'require(process.argv[1]).issuer' "$T/idp.ready.json")"
log "IdP (oidc-provider $(tool oidc-provider version)) up, issuer $ISSUER"
node "$GET_TOKEN" --issuer "$ISSUER" --ca ca.crt --client-id kubernetes --client-secret s3cret --login alice --json >tok.json
node "$GET_TOKEN" --issuer "$ISSUER" --ca ca.crt --client-id some-other-app --client-secret s3cret --login alice >wrong.jwt
TOKEN="$(node -p 'require(process.argv[1]).id_token' "$T/tok.json")"
log "ID token for alice: $(node -p 'const t=require(process.argv[1]); JSON.stringify({alg:t.header.alg, ...t.claims})' "$T/tok.json")"

# ---- 4. kube-apiserver -----------------------------------------------------------------------------------------
cat >encryption.yaml <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys: [{ name: key1, secret: $(head -c 32 /dev/urandom | base64) }]
      - identity: {}
EOF
{
  echo "apiVersion: apiserver.config.k8s.io/v1"
  echo "kind: AuthenticationConfiguration"
  echo "jwt:"
  echo "  - issuer:"
  echo "      url: $ISSUER"
  echo "      audiences: [kubernetes]"
  echo "      certificateAuthority: |"
  sed 's/^/        /' ca.crt
  echo "    claimMappings:"
  echo "      username: { claim: email, prefix: \"oidc:\" }"
  echo "      groups: { claim: groups, prefix: \"oidc:\" }"
} >authn.yaml
AP=$(free_port)
"$APISERVER" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$AP" \
  --etcd-servers "https://127.0.0.1:$EP" --etcd-cafile ca.crt --etcd-certfile etcd-client.crt --etcd-keyfile etcd-client.key \
  --tls-cert-file apiserver.crt --tls-private-key-file apiserver.key --client-ca-file ca.crt \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file sa.pub --service-account-signing-key-file sa.key \
  --service-cluster-ip-range 10.96.0.0/12 --authorization-mode Node,RBAC \
  --encryption-provider-config encryption.yaml --authentication-config authn.yaml \
  >"$T/apiserver.log" 2>&1 &
PIDS+=($!)
t0=$(date +%s)
wait_for "kube-apiserver /livez" curl -fsk "https://127.0.0.1:$AP/livez"
log "kube-apiserver $("$APISERVER" --version) /livez: $(curl -sk "https://127.0.0.1:$AP/livez") after $(( $(date +%s) - t0 ))s"
ADMIN=(--cacert ca.crt --cert admin.crt --key admin.key)
wait_for "kube-apiserver /readyz" curl -fs "${ADMIN[@]}" "https://127.0.0.1:$AP/readyz"

# ---- 5. checks --------------------------------------------------------------------------------------------------
curl -fs "${ADMIN[@]}" -H 'content-type: application/json' -X POST "https://127.0.0.1:$AP/api/v1/namespaces/default/secrets" \
  -d '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"smoke"},"stringData":{"password":"hunter2"}}' >/dev/null
RAW="$("$ETCDCTL" "${ETCDCTL_ARGS[@]}" get /registry/secrets/default/smoke --print-value-only | head -c 40 | tr -c '[:print:]' '.')"
case "$RAW" in k8s:enc:aescbc:v1:key1*) log "secret in etcd is encrypted: '$RAW...'" ;; *) log "FAIL: secret not encrypted at rest: '$RAW'"; exit 1 ;; esac

review() { curl -sk -H "authorization: Bearer $1" -H 'content-type: application/json' -X POST \
  "https://127.0.0.1:$AP/apis/authentication.k8s.io/v1/selfsubjectreviews" -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'; }
WHO=""
for _ in $(seq 1 40); do WHO="$(review "$TOKEN")"; case "$WHO" in *'"username"'*) break ;; esac; sleep 0.5; done
log "SelfSubjectReview with alice's token: $(node -p 'JSON.stringify(JSON.parse(process.argv[1]).status.userInfo)' "$WHO")"
case "$WHO" in *'"oidc:alice@example.com"'*'"oidc:team-a"'*) ;; *) log "FAIL: unexpected review: $WHO"; exit 1 ;; esac
WRONG="$(review "$(cat wrong.jwt)")"
case "$WRONG" in *'"code": 401'*|*'"code":401'*) log "wrong-audience token rejected: 401 Unauthorized" ;; *) log "FAIL: wrong-audience token: $WRONG"; exit 1 ;; esac

# controller-manager and scheduler against the apiserver with the admin client cert
cat >kubeconfig <<EOF
apiVersion: v1
kind: Config
clusters: [{ name: e2e, cluster: { server: "https://127.0.0.1:$AP", certificate-authority: "$T/ca.crt" } }]
users: [{ name: admin, user: { client-certificate: "$T/admin.crt", client-key: "$T/admin.key" } }]
contexts: [{ name: e2e, context: { cluster: e2e, user: admin } }]
current-context: e2e
EOF
KP=$(free_port); SP=$(free_port)
"$KCM" --kubeconfig kubeconfig --bind-address 127.0.0.1 --secure-port "$KP" --leader-elect=false \
  --service-account-private-key-file sa.key --root-ca-file ca.crt --controllers '*,-nodeipam' >"$T/kcm.log" 2>&1 &
PIDS+=($!)
"$SCHED" --kubeconfig kubeconfig --bind-address 127.0.0.1 --secure-port "$SP" --leader-elect=false >"$T/sched.log" 2>&1 &
PIDS+=($!)
wait_for "kube-controller-manager /healthz" curl -fsk "https://127.0.0.1:$KP/healthz"
wait_for "kube-scheduler /healthz" curl -fsk "https://127.0.0.1:$SP/healthz"
log "kube-controller-manager and kube-scheduler healthy"

KBV="$("$KUBE_BENCH" version 2>&1 | tail -n1)"
KBOUT="$("$KUBE_BENCH" --config-dir "$KB_CFG" --version 1.36 run --targets master --json 2>/dev/null || true)"
# shellcheck disable=SC2016
log "kube-bench $KBV with cfg $KB_CFG: $(node -p 'const r=JSON.parse(process.argv[1]); const c=r.Controls?.[0]??r; `benchmark ${c.detected_version??""} ${(r.Controls||[]).map(x=>x.version).join(",")} ran ${r.Totals?JSON.stringify(r.Totals):""}`' "$KBOUT" 2>/dev/null || echo "$KBOUT" | head -c 300)"
log "all good"
