#!/usr/bin/env bash
# install.sh: ONNX Runtime (npm's onnxruntime-node, which carries its CPU
# binaries) into tests/peers/node_modules, for tests/test_peer_ort.sh.
# --ignore-scripts: the package's install script only fetches optional GPU
# (CUDA/TensorRT) files. Needs the npm registry; the tests themselves never
# do. node_modules is not committed (.gitignore).
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "install.sh: npm not found (Debian: apt-get install nodejs npm)" >&2; exit 1; }
npm install --ignore-scripts --no-audit --no-fund --loglevel=error
node -e 'require("onnxruntime-node"); console.log("install.sh: onnxruntime-node", require("onnxruntime-node/package.json").version, "ready")'
