# peerlib.sh: what the peer checks (test_peer_numpy.sh, test_peer_ort.sh)
# share; sourcing it only defines things. peer_setup finds MNIST (or skips
# the test), writes the first 1,000 test images as their own IDX file and
# trains the networks below, each for one short epoch, then exports each as
# .onnx and .npz and records what `nntrain predict --all-digits` says about
# the 1,000 images; peer_corrupt makes a model that must fail a peer check.
# Needs testlib.sh (start_test, be32) sourced first.
#
# The networks: every hidden activation, and both output kinds.
#   NAME        SIZES                      HIDDEN                               OUTPUT   COST
peer_nets=(
    "sigmoid    [784,30,10]                 sigmoid                              sigmoid  quadratic"
    "relu       [784,64,10]                 relu                                 softmax  cross_entropy"
    "mixed-soft [784,32,24,16,16,12,10]     [sigmoid,tanh,relu,leaky_relu,linear] softmax cross_entropy"
    "mixed-sig  [784,32,24,16,16,12,10]     [tanh,leaky_relu,linear,relu,sigmoid] sigmoid cross_entropy"
)
peer_names=()

skip() { printf 'SKIP: %s\n' "$*"; exit 77; }

# MNIST's test images: $NNTRAIN_DATA/mnist, else the source tree's data/mnist
# (where setup.sh puts it), else ./data/mnist.
peer_find_mnist() {
    local d
    for d in ${NNTRAIN_DATA:+"$NNTRAIN_DATA/mnist"} ${NNTRAIN_SRCDIR:+"$NNTRAIN_SRCDIR/data/mnist"} data/mnist; do
        if [ -s "$d/t10k-images-idx3-ubyte.gz" ] && [ -s "$d/train-images-idx3-ubyte.gz" ]; then
            (cd "$d" && pwd)
            return 0
        fi
    done
    return 1
}

peer_setup() {
    mnist=$(peer_find_mnist) || skip "MNIST not found (run ./setup.sh, or set NNTRAIN_DATA to the directory above mnist/)"
    images=$tmp/t1000.idx
    { printf '\x00\x00\x08\x03'; be32 1000; be32 28; be32 28
      gzip -dc "$mnist/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 784000; } > "$images"
    [ "$(wc -c < "$images")" = $((16 + 784000)) ] || { echo "FAIL: cannot write 1000 MNIST images"; exit 1; }
    cat > "$tmp/peer.yaml" <<YAML
data:
  dir: $mnist
  train_limit: 5000
network:
  init: xavier
train:
  learning_rate: 0.05
  batch_size: 16
  epochs: 1
  seed: 5
  threads: 2
YAML
    local line name sizes hidden out cost
    for line in "${peer_nets[@]}"; do
        read -r name sizes hidden out cost <<<"$line"
        bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/peer.yaml" -s "network.sizes=$sizes" -s "network.activation=$hidden" \
            -s network.output=$out -s network.cost=$cost \
            -s output.model="$tmp/$name.model" >/dev/null ||
            { echo "FAIL: training $name failed"; exit 1; }
        bounded "$TEST_RUN_LIMIT" "$NNTRAIN" export -q -m "$tmp/$name.model" -o "$tmp/$name.onnx" &&
            bounded "$TEST_RUN_LIMIT" "$NNTRAIN" export -q -m "$tmp/$name.model" -o "$tmp/$name.npz" ||
            { echo "FAIL: exporting $name failed"; exit 1; }
        bounded "$TEST_RUN_LIMIT" "$NNTRAIN" predict --all-digits -m "$tmp/$name.model" "$images" > "$tmp/$name.pred" ||
            { echo "FAIL: predict with $name failed"; exit 1; }
        peer_names+=("$name")
    done
}

# peer_corrupt IN.model OUT.model: IN with one weight changed, the output
# layer's last bias (the last float before the CRC-32): the top bit of its
# mantissa flipped, a change of a quarter to a half of its value; the CRC-32
# is made again (gzip's trailer holds the same CRC-32 of its input).
peer_corrupt() {
    local size off byte
    size=$(wc -c < "$1")
    off=$((size - 8 + 2)) # bits 16..23 of the little-endian float
    byte=$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ')
    head -c $((size - 4)) "$1" > "$2"
    printf "\\x$(printf %02x $((byte ^ 0x40)))" | dd of="$2" bs=1 seek="$off" conv=notrunc 2>/dev/null
    gzip -c < "$2" | tail -c 8 | head -c 4 >> "$2"
}
