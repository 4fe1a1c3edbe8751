#!/usr/bin/env bash
# The production image in CI. Where a Docker engine answers, the image is built for real and run
# briefly (the environment the rehearsal gives it, /healthz and /readyz, Node 24, uid 1000, no build
# tools); otherwise its build is rehearsed step by step (scripts/rehearse-docker-build.mjs) on the
# Node.js binary given, as the image runs Node 24.
#
#   bash scripts/ci-image.sh [/path/to/node24/bin/node]    (default: the machine's node)
set -euo pipefail
cd "$(dirname "$0")/.."
node_binary="${1:-$(command -v node)}"

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "=== image: no Docker engine answers here (docker info failed); rehearsing its build on Node.js $("$node_binary" --version) ==="
  exec node scripts/rehearse-docker-build.mjs --node "$node_binary"
fi

tag="countersign:ci"
name="countersign-ci-$$"
echo "=== image: docker build -t $tag ==="
started=$SECONDS
docker build -t "$tag" .
echo "built in $((SECONDS - started)) s"

private_key="$(node -e "process.stdout.write(require('node:crypto').generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey)")"
webhook_secret="$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))")"

cleanup() {
  status=$?
  if [ "$status" != "0" ]; then
    echo "--- the container's log ---"
    docker logs "$name" 2>&1 | tail -n 40 || true
  fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT

# The image's own ENV (NODE_ENV=production, HOST=0.0.0.0, PORT=3000) and the default SQLite database
# in /app/data; the port is published on a free loopback port.
docker run -d --name "$name" -p 127.0.0.1::3000 \
  -e APP_ID=123456 \
  -e PRIVATE_KEY="$private_key" \
  -e WEBHOOK_SECRET="$webhook_secret" \
  -e DATABASE_URL=file:./data/countersign.db \
  "$tag" >/dev/null
address="$(docker port "$name" 3000/tcp | head -n 1)"

# Asks the container over HTTP from here (the runner may have no curl): exit 0 when the answer is 200.
answers_200() {
  node -e "fetch('http://' + process.argv[1] + process.argv[2], { signal: AbortSignal.timeout(2000) }).then((res) => process.exit(res.status === 200 ? 0 : 1), () => process.exit(1))" "$address" "$1"
}

for _ in $(seq 1 60); do
  answers_200 /healthz && break
  if [ "$(docker inspect --format '{{.State.Running}}' "$name")" != "true" ]; then
    echo "image: the container exited before answering /healthz" >&2
    exit 1
  fi
  sleep 1
done
answers_200 /healthz || { echo "image: GET /healthz did not answer 200 within 60 s" >&2; exit 1; }
echo "GET /healthz -> 200"
answers_200 /readyz || { echo "image: GET /readyz did not answer 200 (migrations not applied, or the database not ready)" >&2; exit 1; }
echo "GET /readyz -> 200"

node_version="$(docker exec "$name" node --version)"
uid="$(docker exec "$name" id -u)"
echo "in the container: Node.js $node_version, uid $uid"
case "$node_version" in v24.*) ;; *) echo "image: runs Node.js $node_version, not 24" >&2; exit 1 ;; esac
[ "$uid" = "1000" ] || { echo "image: runs as uid $uid, not 1000" >&2; exit 1; }

# The build tools must not be in the image; its production dependencies' size, for the record.
docker exec "$name" sh -c 'for tool in prisma typescript @prisma/studio-core @prisma/dev @electric-sql/pglite; do if [ -e "node_modules/$tool" ]; then echo "image: node_modules/$tool is in the image" >&2; exit 1; fi; done'
echo "node_modules in the image: $(docker exec "$name" du -sb node_modules | cut -f1) bytes"

docker stop --time 15 "$name" >/dev/null
exit_code="$(docker inspect --format '{{.State.ExitCode}}' "$name")"
[ "$exit_code" = "0" ] || { echo "image: the container exited with $exit_code on SIGTERM, not 0" >&2; exit 1; }
echo "SIGTERM -> exited 0"
echo "=== image: OK ==="
