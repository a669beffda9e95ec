#!/usr/bin/env bash
# installcheck.sh: an installed nntrain works the way doc/building.md says:
# the program, its man page and the example configs are in place, and the
# installed binary, run from anywhere with an installed config, finds its
# data under ./data or $NNTRAIN_DATA, trains, and exports. `make
# installcheck` (and so `make distcheck`) runs it on the installed tree:
#
#   tests/installcheck.sh BINARY PKGDATADIR MANPAGE
#
# The data are a tiny set under MNIST's file names (28x28 images, labels
# 0-9), written here: no MNIST needed.
set -u
[ $# = 3 ] || { echo "usage: $0 BINARY PKGDATADIR MANPAGE" >&2; exit 2; }
bin=$1 share=$2 man=$3
. "$(dirname "$0")/testlib.sh"
start_test

# --- what make install put there ---------------------------------------------
[ -x "$bin" ] && ok || bad "$bin is not installed"
expect 0 '^nntrain [0-9.]+ \(kernels: ' -- "$bin" --version
for f in mnist.yaml mnist-adam.yaml nielsen.yaml 3b1b.yaml fashion.yaml sweep-mnist.yaml README.md; do
    [ -s "$share/configs/$f" ] && ok || bad "$share/configs/$f is not installed"
done
[ -s "$man" ] && grep -q '^\.B nntrain export' "$man" && ok || bad "$man is not installed or lacks export"

# --- MNIST-named tiny data: 20 images, all pixels 128 ------------------------
mkdir -p "$tmp/work/data/mnist" "$tmp/elsewhere"
for set in train t10k; do
    { printf '\x00\x00\x08\x03'; be32 20; be32 28; be32 28
      head -c $((20 * 784)) /dev/zero | tr '\0' '\200'; } | gzip -c > "$tmp/work/data/mnist/$set-images-idx3-ubyte.gz"
    { printf '\x00\x00\x08\x01'; be32 20; printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09%.0s' 1 2; } |
        gzip -c > "$tmp/work/data/mnist/$set-labels-idx1-ubyte.gz"
done

# The installed config, run from a directory with data/mnist in it ...
cfg=$share/configs/mnist.yaml
quick=(-s train.epochs=1 -s train.threads=1 -s output.metrics=)
expect 0 'test accuracy: ' -- sh -c 'cd "$1" && shift && exec "$@"' sh "$tmp/work" \
    "$bin" -q -c "$cfg" "${quick[@]}" -s output.model="$tmp/m.model"
[ -s "$tmp/m.model" ] && ok || bad "training with the installed $cfg wrote no model"
# ... from anywhere with NNTRAIN_DATA ...
expect 0 'test accuracy: ' -- sh -c 'cd "$1" && shift && exec "$@"' sh "$tmp/elsewhere" \
    env NNTRAIN_DATA="$tmp/work/data" "$bin" -q -c "$cfg" "${quick[@]}" -s output.model=
# ... and without either, a message saying how to get the data.
expect 2 'run ./setup.sh, or set NNTRAIN_DATA or --data-dir' -- sh -c 'cd "$1" && shift && exec "$@"' sh \
    "$tmp/elsewhere" env -u NNTRAIN_DATA "$bin" -q -c "$cfg" "${quick[@]}" -s output.model=
expect 0 'ONNX model written' -- "$bin" export -m "$tmp/m.model" -o "$tmp/m.onnx"
expect 0 'NumPy model written' -- "$bin" export -m "$tmp/m.model" -o "$tmp/m.npz"
finish
