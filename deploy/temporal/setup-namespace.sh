#!/bin/sh
# Creates the product's Temporal namespace (if missing) and registers the custom search attributes the
# product's workflows set: City and Stage, both Keyword. Idempotent.
#
# Runs as the `temporal-setup` one-shot of docker-compose.yml (temporalio/admin-tools image), and by
# hand against an existing cluster:
#   TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_NAMESPACE=wx sh deploy/temporal/setup-namespace.sh
# Env: TEMPORAL_ADDRESS (required), TEMPORAL_NAMESPACE (default `default`),
#      TEMPORAL_NAMESPACE_RETENTION (default 30d, only used when the namespace is created),
#      TEMPORAL_CLI (the `temporal` binary; default: `temporal` on PATH).
# The `temporal` CLI also reads TEMPORAL_TLS_* / TEMPORAL_API_KEY from the environment for secured clusters.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS (host:port of the Temporal frontend) is required}"
NS="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
CLI="${TEMPORAL_CLI:-temporal}"
ATTRS="City Stage"

retry() {
  n=0
  until "$@"; do
    n=$((n + 1))
    if [ "$n" -ge 20 ]; then echo "[temporal-setup] giving up: $*" >&2; return 1; fi
    sleep 3
  done
}

echo "[temporal-setup] waiting for the Temporal frontend at ${TEMPORAL_ADDRESS}"
retry "$CLI" operator cluster health --address "$TEMPORAL_ADDRESS"

if "$CLI" operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NS" >/dev/null 2>&1; then
  echo "[temporal-setup] namespace ${NS}: exists"
else
  echo "[temporal-setup] namespace ${NS}: creating (retention ${RETENTION})"
  retry "$CLI" operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NS" --retention "$RETENTION"
fi

for attr in $ATTRS; do
  # A freshly created namespace can take a few seconds to reach every frontend, hence the retries.
  listing="$(retry "$CLI" operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NS")"
  line="$(printf '%s\n' "$listing" | grep -w "$attr" || true)"
  if [ -n "$line" ]; then
    case "$line" in
      *Keyword*) echo "[temporal-setup] search attribute ${attr}: exists (Keyword)" ;;
      *) echo "[temporal-setup] search attribute ${attr} exists with another type: ${line}" >&2; exit 1 ;;
    esac
  else
    echo "[temporal-setup] search attribute ${attr}: creating (Keyword)"
    retry "$CLI" operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$NS" \
      --name "$attr" --type Keyword
  fi
done
echo "[temporal-setup] done: namespace ${NS} with search attributes ${ATTRS}"
