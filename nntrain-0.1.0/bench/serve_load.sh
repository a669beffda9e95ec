#!/usr/bin/env bash
# serve_load.sh: a bounded load test of `nntrain serve` on loopback with wrk
# (Debian: apt-get install wrk): POST /api/predict of one MNIST test digit,
# every reply checked for status 200 and the prediction `nntrain predict`
# gives. Prints requests/s and latency percentiles.
#
#   bench/serve_load.sh [MODEL] [SECONDS]   (default out/mnist.model, 10)
# Environment: CONNECTIONS (default 16), WRK_THREADS (2), SERVE_THREADS (2),
#              NNTRAIN (./nntrain), DATA (data/mnist)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-out/mnist.model}
secs=${2:-10}
nntrain=${NNTRAIN:-./nntrain}
data=${DATA:-data/mnist}
command -v wrk >/dev/null || { echo "serve_load: wrk not found (apt-get install wrk)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pid=

# Test digit 0, as JSON and as a PGM for nntrain predict.
{ gzip -dc "$data/t10k-images-idx3-ubyte.gz" || true; } | head -c $((16 + 784)) | tail -c 784 > "$tmp/digit.raw"
{ printf 'P2\n28 28\n255\n'; od -An -v -tu1 "$tmp/digit.raw"; } > "$tmp/digit.pgm"
od -An -v -tu1 "$tmp/digit.raw" |
    awk 'BEGIN { printf "{\"pixels\":[" } { for (i = 1; i <= NF; i++) printf "%s%.9g", (n++ ? "," : ""), $i / 255 }
         END { printf "]}" }' > "$tmp/body.json"
want=$("$nntrain" predict -m "$model" "$tmp/digit.pgm" | awk '{ print $2 }')

"$nntrain" serve -m "$model" --port 0 -q --threads "${SERVE_THREADS:-2}" > "$tmp/url" &
pid=$!
for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
url=$(cat "$tmp/url")
echo "serve_load: $url, $secs s, ${CONNECTIONS:-16} connections, wrk threads ${WRK_THREADS:-2}," \
     "server threads ${SERVE_THREADS:-2}; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
BODY=$tmp/body.json WANT=$want wrk -t"${WRK_THREADS:-2}" -c"${CONNECTIONS:-16}" -d"${secs}s" --latency \
    -s bench/serve_predict.lua "${url}api/predict"
