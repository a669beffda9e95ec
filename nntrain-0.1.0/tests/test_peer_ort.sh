#!/usr/bin/env bash
# Peer check, ONNX Runtime: the exported .onnx models, run by npm's
# onnxruntime-node, agree with `nntrain predict` on 1,000 MNIST test images
# within 1e-5, for networks with every activation and both output kinds
# (tests/peerlib.sh). A model with one weight changed must fail. Skipped
# (77) without MNIST, node, or onnxruntime-node in tests/peers/node_modules
# (tests/peers/install.sh puts it there; NNTRAIN_NODE_MODULES=DIR names
# another node_modules).
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
here=$(dirname "$0")
. "$here/testlib.sh"
. "$here/peerlib.sh"

command -v node >/dev/null || skip "node not found (Debian: apt-get install nodejs npm)"
modules=${NNTRAIN_NODE_MODULES:-$here/peers/node_modules}
[ -d "$modules/onnxruntime-node" ] ||
    skip "onnxruntime-node is not installed in $modules: run tests/peers/install.sh (needs the npm registry)"
export NODE_PATH=$(cd "$modules" && pwd)
start_test
peer_setup

check="$here/peers/ort_check.js"
for name in "${peer_names[@]}"; do
    out=$(bounded "$TEST_RUN_LIMIT" node "$check" "$tmp/$name.onnx" "$images" "$tmp/$name.pred" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    if [ $rc = 0 ]; then ok; else bad "onnxruntime disagrees with nntrain predict for $name: $out"; fi
    peer_corrupt "$tmp/$name.model" "$tmp/$name-bad.model"
    bounded "$TEST_RUN_LIMIT" "$NNTRAIN" export -q -m "$tmp/$name-bad.model" -o "$tmp/$name-bad.onnx" || bad "export of $name-bad failed"
    expect 1 'max \|onnxruntime - nntrain\| = [0-9.e+-]+ .* > ' -- node "$check" "$tmp/$name-bad.onnx" "$images" "$tmp/$name.pred"
done
finish
