#!/usr/bin/env bash
# Property-based API testing: schemathesis against a real `csi serve` on 127.0.0.1, driven by the OpenAPI
# document, every operation, a bounded number of examples each, within a time budget. Fails on any failed check.
# positive_data_acceptance is left out: business rules (password strength, an administrator keeping their
# own role, Django's email check) rightly refuse some schema-valid input with 409/422.
# Uses a throw-away data directory and SQLite database. Bounds: SCHEMATHESIS_EXAMPLES examples per operation
# and phase, and SCHEMATHESIS_SECONDS for the whole run (schemathesis's --max-time: it runs the examples and
# coverage phases first, holds time back for each phase, and stops at the budget; when the examples are
# done early, fuzzing goes on with new cases until the budget is spent, so the time is the budget).
# Before it: deeply nested and huge bodies, which it does not generate.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-40}"
SECONDS_BUDGET="${SCHEMATHESIS_SECONDS:-300}"
# The revoke operation runs on its own after the rest (see below): a small share of the budget.
REVOKE_SECONDS=$(( SECONDS_BUDGET / 10 > 10 ? SECONDS_BUDGET / 10 : 10 ))
WORK="$(mktemp -d /tmp/csi-schemathesis.XXXXXX)"
export CSI_DATA_DIR="$WORK"
export DATABASE_URL="sqlite:///$WORK/csi.sqlite3"
PORT="$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

$BIN/csi migrate --noinput --verbosity 0
$BIN/csi demo >/dev/null
# The administrator sees every operation; a second token is the one the revoke operation may revoke.
TOKEN="$($BIN/csi token create ada.admin --name schemathesis 2>/dev/null)"

$BIN/csi serve --bind "127.0.0.1:$PORT" --workers 2 >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS "$BASE/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$BASE/api/v1/health" >/dev/null
# The document is read once from the server into a file (schemathesis gives a URL only 10 s to answer,
# and a cold worker builds the document in a few seconds on a busy machine).
curl -fsS --max-time 300 "$BASE/api/v1/openapi.json" -o "$WORK/openapi.json"

# Bodies schemathesis does not generate, to a few POST/PATCH operations through gunicorn: 100,000-deep JSON
# (400), and a 5 MB body (413) announced by its Content-Length and refused before it is sent (the server
# must answer without waiting for it). Each answer is a 4xx in the error shape, never a 500.
$BIN/python - "$BASE" "$TOKEN" <<'PY' 2>&1 | tee -a "$WORK/schemathesis.log"
import http.client, sys, urllib.parse
base, token = sys.argv[1], sys.argv[2]
address = urllib.parse.urlsplit(base)
deep = b"[" * 100_000 + b"]" * 100_000
failed = 0
for method, path in [("POST", "/api/v1/services"), ("PATCH", "/api/v1/services/email"),
                     ("POST", "/api/v1/calendars"), ("POST", "/api/v1/register")]:
    for name, body, length, expected in [("100,000-deep", deep, len(deep), 400), ("5 MB", b"", 5 * 1024**2, 413)]:
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        conn.putrequest(method, path)
        for header, value in [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
                              ("Content-Length", str(length))]:
            conn.putheader(header, value)
        conn.endheaders(body)
        answer = conn.getresponse()
        ok = answer.status == expected and b'"error"' in answer.read()
        conn.close()
        failed += not ok
        print(f"{'ok' if ok else 'FAILED'}: {method} {path} with a {name} body -> {answer.status}")
sys.exit(1 if failed else 0)
PY

run() {
  local budget="$1"
  shift
  $BIN/schemathesis run "$WORK/openapi.json" --url "$BASE" --max-time "$budget" \
    --header "Authorization: Bearer $TOKEN" \
    --max-examples "$EXAMPLES" --seed 20261121 --workers 1 \
    --checks all --exclude-checks positive_data_acceptance \
    --suppress-health-check too_slow,filter_too_much \
    --request-timeout 30 "$@" 2>&1 | tee -a "$WORK/schemathesis.log"
}

# Revoking tokens would revoke the run's own token part-way; that operation runs last, on its own.
# The two YAML exports answer with multi-document YAML, which schemathesis 4 cannot parse when it records
# responses: its worker thread dies and the rest of that phase is silently cut short. They are left out
# here (their API tests check them) so that every other operation really runs in every phase.
run "$SECONDS_BUDGET" --exclude-path '/api/v1/tokens/{token_id}/revoke' \
  --exclude-path '/api/v1/catalog/export' --exclude-path '/api/v1/standards/export'
run "$REVOKE_SECONDS" --include-path '/api/v1/tokens/{token_id}/revoke'

if grep -q "Exception in thread" "$WORK/schemathesis.log"; then
  echo "schemathesis itself crashed part-way (see above); the run is not complete." >&2
  exit 1
fi
if grep -q "Unhandled API error\|Internal Server Error" "$WORK/serve.log"; then
  echo "The server logged an error during the run:" >&2
  grep -A20 "Unhandled API error\|Internal Server Error" "$WORK/serve.log" | head -60 >&2
  exit 1
fi
rm -rf "$WORK"
