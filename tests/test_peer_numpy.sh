#!/usr/bin/env bash
# Peer check, Python side: onnx.checker.check_model (Debian's python3-onnx)
# accepts every exported .onnx model, and the forward pass in NumPy from the
# exported .npz agrees with `nntrain predict` on 1,000 MNIST test images
# within 1e-5, for networks with every activation and both output kinds
# (tests/peerlib.sh). A model with one weight changed must fail the NumPy
# comparison. Table models too (peer_table_setup): the .onnx passes the
# checker with its metadata, and the preprocessing and forward pass in NumPy
# from the .npz alone, on the raw rows of a CSV, match `nntrain predict`
# within 1e-5 (relative to max(1, |v|)); a model trained one epoch more must
# not. Skipped (77) without MNIST or without a python3 that has onnx
# and numpy (PYTHON=... picks one).
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
here=$(dirname "$0")
. "$here/testlib.sh"
. "$here/peerlib.sh"

python=
for p in ${PYTHON:-} python3 /usr/bin/python3; do
    if "$p" -c 'import onnx, numpy' 2>/dev/null; then python=$p; break; fi
done
[ -n "$python" ] || skip "no python3 with onnx and numpy (Debian: apt-get install python3-onnx python3-numpy)"
start_test
peer_setup

check="$here/peers/numpy_check.py"
for name in "${peer_names[@]}"; do
    expect 0 'check_model: .* OK \(ir 7, opset 13, producer nntrain ' -- "$python" "$check" onnx "$tmp/$name.onnx"
    out=$(bounded "$TEST_RUN_LIMIT" "$python" "$check" npz "$tmp/$name.npz" "$images" "$tmp/$name.pred" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    if [ $rc = 0 ]; then ok; else bad "numpy disagrees with nntrain predict for $name: $out"; fi
    # The negative control: one weight changed, the same comparison fails.
    peer_corrupt "$tmp/$name.model" "$tmp/$name-bad.model"
    bounded "$TEST_RUN_LIMIT" "$NNTRAIN" export -q -m "$tmp/$name-bad.model" -o "$tmp/$name-bad.npz" || bad "export of $name-bad failed"
    expect 1 'max \|numpy - nntrain\| = [0-9.e+-]+ .* > ' -- "$python" "$check" npz "$tmp/$name-bad.npz" "$images" "$tmp/$name.pred"
done

peer_table_setup
for name in "${peer_tables[@]}"; do
    expect 0 'check_model: .* OK \(ir 7, opset 13, producer nntrain .*IsNaN Where Sub Div Slice' -- "$python" "$check" table-onnx "$tmp/$name.onnx"
    expect 0 'max \|numpy - nntrain\| = [0-9.e+-]+ .* <= ' -- "$python" "$check" table "$tmp/$name.npz" "$tmp/rows.csv" "$tmp/$name.pred"
done
expect 1 'max \|numpy - nntrain\| = [0-9.e+-]+ .* > ' -- "$python" "$check" table "$tmp/class-bad.npz" "$tmp/rows.csv" "$tmp/class.pred"
finish
