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

# peer_table_setup: a table (tests' own, written by awk: numbers, a text
# column, missing cells) and two table models trained on it, a
# classification and a regression, each with a numeric, a categorical and
# a filled (data.missing: mean) column; each exported as .onnx and .npz,
# with `nntrain predict --all-digits` on rows.csv (rows never trained on,
# one with a category never seen, some with missing cells). Also a "-bad"
# classification model trained for one more epoch: its predictions differ,
# so a check against them must fail. Sets peer_tables (the model names).
peer_tables=()
peer_table_setup() {
    awk 'BEGIN {
        srand(7); c[0] = "red"; c[1] = "green"; c[2] = "blue"
        print "a,b,color,size,label,y" > "'"$tmp"'/table.csv"
        print "a,b,color,size" > "'"$tmp"'/rows.csv"
        for (i = 0; i < 460; i++) {
            a = rand() * 13 - 3; b = 100 + 40 * (rand() - 0.5); k = int(rand() * 3); s = rand() * 2
            col = c[k]; sz = sprintf("%.3f", s)
            lab = a + (b - 100) / 20 + (k == 0) > 3 ? "yes" : (k == 1 ? "maybe" : "no")
            y = 3 * a - (b - 100) / 10 + 5 * (k == 0) + s + 50
            if (i % 17 == 5) sz = ""
            if (i >= 400) {
                if (i == 401) col = "purple"
                if (i == 402) col = ""
                printf "%.4f,%.3f,%s,%s\n", a, b, col, sz > "'"$tmp"'/rows.csv"
            } else {
                printf "%.4f,%.3f,%s,%s,%s,%.4f\n", a, b, col, sz, lab, y > "'"$tmp"'/table.csv"
            }
        } }'
    local kind epochs
    for kind in class reg class-bad; do
        epochs=15; [ $kind = class-bad ] && epochs=16
        cat > "$tmp/$kind.yaml" <<YAML
data:
  dir: $tmp
  train: table.csv
  label: $([ $kind = reg ] && echo y || echo label)
  ignore: [$([ $kind = reg ] && echo label || echo y)]
  task: $([ $kind = reg ] && echo regression || echo classification)
  missing: mean
network:
  hidden: [12]
  activation: tanh
train:
  optimizer: adam
  learning_rate: 0.01
  batch_size: 16
  epochs: $epochs
  seed: 3
  threads: 2
output:
  model: $tmp/$kind.model
YAML
        bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/$kind.yaml" >/dev/null ||
            { echo "FAIL: training the table model $kind failed"; exit 1; }
        bounded "$TEST_RUN_LIMIT" "$NNTRAIN" export -q -m "$tmp/$kind.model" -o "$tmp/$kind.onnx" &&
            bounded "$TEST_RUN_LIMIT" "$NNTRAIN" export -q -m "$tmp/$kind.model" -o "$tmp/$kind.npz" ||
            { echo "FAIL: exporting the table model $kind failed"; exit 1; }
        bounded "$TEST_RUN_LIMIT" "$NNTRAIN" predict --all-digits -c "$tmp/$kind.yaml" -m "$tmp/$kind.model" \
            "$tmp/rows.csv" > "$tmp/$kind.pred" ||
            { echo "FAIL: predict with the table model $kind failed"; exit 1; }
        [ $kind = class-bad ] || peer_tables+=("$kind")
    done
}
