#!/usr/bin/env bash
# End-to-end tests of the nntrain binary: exit codes, messages, and a tiny
# training run on data this script writes itself (no MNIST needed).
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
. "$(dirname "$0")/testlib.sh"
start_test

write_set "$tmp/data" 64
cat > "$tmp/tiny.yaml" <<YAML
data:
  dir: $tmp/data
  train_images: images.idx.gz
  train_labels: labels.idx
  test_images: images.idx
  test_labels: labels.idx
network:
  sizes: [4, 6, 2]
  activation: tanh
  output: softmax
  cost: cross_entropy
  init: xavier
train:
  learning_rate: 0.5
  batch_size: 8
  epochs: 20
  seed: 3
  threads: 2
output:
  model: $tmp/out/tiny.model
  metrics: $tmp/out/tiny.csv
YAML

# --- usage -------------------------------------------------------------------
expect 0 'Usage: nntrain' -- "$NNTRAIN" --help
expect 0 '^nntrain [0-9.]+ \(kernels: [a-z0-9]+; this CPU runs [a-z0-9, ]*portable\)' -- "$NNTRAIN" --version
# Kernel paths: each one this CPU runs can be forced and is named; others are
# refused with exit 2 before any work, never replaced.
for p in $("$NNTRAIN" --version | sed -n 's/.*this CPU runs \(.*\))$/\1/p' | tr -d ,); do
    expect 0 "\\(kernels: $p;" -- env NNTRAIN_KERNELS=$p "$NNTRAIN" --version
done
expect 2 "NNTRAIN_KERNELS=sse9: unknown kernel path 'sse9' \\(one of avx512, avx2, neon, portable\\)" -- \
    env NNTRAIN_KERNELS=sse9 "$NNTRAIN" --version
expect 2 'NNTRAIN_KERNELS=: unknown kernel path' -- env NNTRAIN_KERNELS= "$NNTRAIN" -c nope.yaml
# (The binary's own list tells its architecture: under qemu uname lies.)
paths=$("$NNTRAIN" --version)
if grep -q neon <<<"$paths"; then
    expect 2 'NNTRAIN_KERNELS=avx2: kernel path avx2 is not built for this architecture' -- \
        env NNTRAIN_KERNELS=avx2 "$NNTRAIN" --version
else
    expect 2 'NNTRAIN_KERNELS=neon: kernel path neon is not built for this architecture' -- \
        env NNTRAIN_KERNELS=neon "$NNTRAIN" --version
fi
expect 2 'needs -c CONFIG' -- "$NNTRAIN"
expect 2 'unknown option --bogus' -- "$NNTRAIN" --bogus
expect 2 'unknown command' -- "$NNTRAIN" frobnicate
expect 2 'needs a value' -- "$NNTRAIN" -c
expect 2 'eval needs -m' -- "$NNTRAIN" eval
expect 2 'predict needs' -- "$NNTRAIN" predict -m x.model

# --- config errors: file:line:col and exit 2 ---------------------------------
expect 2 'nope.yaml' -- "$NNTRAIN" -c "$tmp/nope.yaml"
printf 'train:\n  batch_size: [1, 2\n' > "$tmp/broken.yaml"
expect 2 'broken.yaml:[0-9]+:[0-9]+' -- "$NNTRAIN" -c "$tmp/broken.yaml"
printf 'train:\n  learning_rat: 0.1\n' > "$tmp/unknown.yaml"
expect 2 'unknown.yaml:2:3.*learning_rat' -- "$NNTRAIN" -c "$tmp/unknown.yaml"
printf 'train:\n  batch_size: 0\n' > "$tmp/zero.yaml"
expect 2 'zero.yaml:2:15.*batch_size' -- "$NNTRAIN" -c "$tmp/zero.yaml"
printf 'train:\n  patience: 3\n' > "$tmp/patience.yaml"
expect 2 'patience.yaml:2:13: train.patience: early stopping needs a validation set: set data.validation' -- \
    "$NNTRAIN" -c "$tmp/patience.yaml"
printf 'train:\n  monitor: f1\n' > "$tmp/monitor.yaml"
expect 2 'monitor.yaml:2:12: train.monitor: expected one of accuracy, loss, got "f1"' -- "$NNTRAIN" -c "$tmp/monitor.yaml"
expect 2 'output.save_last: needs output.model' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s output.model= -s output.save_last=yes
printf 'train:\n  schedule: cosine\n  gamma: 2\n' > "$tmp/gamma.yaml"
expect 2 'gamma.yaml:3:10: train.gamma: expected a number > 0 and <= 1, got "2"' -- "$NNTRAIN" -c "$tmp/gamma.yaml"
printf 'train:\n  epochs: 4\n  warmup_epochs: 4.5\n' > "$tmp/warm.yaml"
expect 2 'warm.yaml:3:18: train.warmup_epochs: a warm-up of 4.5 epochs leaves nothing of a run of 4' -- \
    "$NNTRAIN" -c "$tmp/warm.yaml"
expect 2 '^nntrain: -s train.warmup_epochs: train.warmup_epochs: a warm-up of 20 epochs' -- \
    "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.warmup_epochs=20
expect 2 'learning_rat' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.learning_rat=1
expect 2 'network.sizes' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s 'network.sizes=[5,6,2]'
# data.validation_fraction: on IDX the last round(f n) examples, as
# data.validation holds them out (the same model bytes); bad shares, a
# share that rounds to no example, and a share with a count: exit 2.
vf() { "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.epochs=2 -s output.metrics= "$@"; }
expect 0 '^data: 48 training, 16 validation examples' -- \
    vf -s data.validation_fraction=0.25 -s output.model="$tmp/out/vf.model"
expect 0 '^data: 48 training, 16 validation examples' -- \
    vf -s data.validation=16 -s output.model="$tmp/out/vn.model"
cmp -s "$tmp/out/vf.model" "$tmp/out/vn.model" && ok \
    || bad "validation_fraction 0.25 of 64 and validation 16 should train the same bits"
for v in 1 -0.25 0.2x; do
    expect 2 "data.validation_fraction: expected a number >= 0 and < 1, got \"$v\"" -- \
        vf -s data.validation_fraction=$v
done
expect 2 '^nntrain: -s data.validation_fraction: data.validation_fraction: 0.25, and data.validation is 16: give' -- \
    vf -s data.validation=16 -s data.validation_fraction=0.25
expect 2 'data.validation_fraction: 0.001 of the 64 training examples is 0 held out, which leaves no validation set' -- \
    vf -s data.validation_fraction=0.001
expect 0 'early stop|^epoch 2/2' -- vf -s data.validation_fraction=0.25 -s train.patience=1 -s output.model=
# Optimizer keys: bad values and combinations refused before any work.
expect 2 "train.optimizer: expected one of sgd, adam, adamw, got \"rmsprop\"" -- \
    "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.optimizer=rmsprop
expect 2 'train.momentum: expected a number >= 0 and < 1' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.momentum=1
expect 2 'train.weight_decay: expected a finite number >= 0' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.weight_decay=-1
expect 2 'train.nesterov: Nesterov momentum needs train.optimizer: sgd with train.momentum > 0' -- \
    "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.nesterov=true
expect 2 'train.nesterov: Nesterov momentum needs' -- \
    "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.optimizer=adam -s train.nesterov=true
expect 2 'train.momentum: momentum is for train.optimizer: sgd' -- \
    "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.optimizer=adamw -s train.momentum=0.9

# --- data errors ---------------------------------------------------------------
# Labels 0 and 1 need two outputs: refused before training, naming the file.
expect 2 'output layer has 1 units but .*labels.idx has label 1' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s 'network.sizes=[4,6,1]' -s network.output=sigmoid
expect 2 'missing.idx' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s data.train_images=missing.idx
head -c 30 "$tmp/data/images.idx" > "$tmp/data/short.idx"
expect 2 'short.idx.*truncated' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s data.train_images=short.idx

# --- a real run: trains, reports, saves -----------------------------------------
expect 0 'test accuracy: 100\.00%' -- "$NNTRAIN" -c "$tmp/tiny.yaml"
[ -s "$tmp/out/tiny.model" ] && ok || bad "no model file written"
[ "$(wc -l < "$tmp/out/tiny.csv")" = 21 ] && ok || bad "metrics file should have a header and 20 rows"
head -1 "$tmp/out/tiny.csv" | grep -q '^epoch,train_loss' && ok || bad "metrics header"
# A schedule: the rate is on every epoch line and in the CSV.
expect 0 'epoch 20/20  loss [0-9.]+  accuracy 100\.00%  lr 5\.069e-05  ' -- "$NNTRAIN" -c "$tmp/tiny.yaml" \
    -s train.schedule=cosine -s train.warmup_epochs=0.5 -s output.model= -s output.metrics="$tmp/out/cos.csv"
# 8 mini-batches an epoch, 4 of warm-up: epoch 1 ends 3/8 epoch into a
# cosine of 19.5 epochs, 0.5 * (1 + cos(pi * 0.375 / 19.5)) / 2.
[ "$(sed -n 2p "$tmp/out/cos.csv" | cut -d, -f7)" = 0.499544 ] && ok || bad "cosine CSV: epoch 1: $(sed -n 2p "$tmp/out/cos.csv")"
expect 0 'curves' -- "$NNTRAIN" plot curves -o "$tmp/out/cos.svg" "$tmp/out/cos.csv"
expect 0 'epoch 20/20' -- "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.threads=1 -s output.model=
# Same seed, other thread count: the same model, byte for byte.
cp "$tmp/out/tiny.model" "$tmp/two.model"
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/tiny.yaml" -s train.threads=1 -s output.model="$tmp/one.model" >/dev/null
cmp -s "$tmp/one.model" "$tmp/two.model" && ok || bad "1 and 2 threads gave different models"
# Adam trains too, names itself, and is thread-count independent.
expect 0 'optimizer adam, beta1 0.9, beta2 0.999, epsilon 1e-08, weight decay 0 \(L2\)' -- \
    "$NNTRAIN" -c "$tmp/tiny.yaml" -s train.optimizer=adam -s train.learning_rate=0.01 \
    -s output.model="$tmp/adam2.model"
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/tiny.yaml" -s train.optimizer=adam -s train.learning_rate=0.01 -s train.threads=1 \
    -s output.model="$tmp/adam1.model" >/dev/null
cmp -s "$tmp/adam1.model" "$tmp/adam2.model" && ok || bad "adam: 1 and 2 threads gave different models"
# --data-dir and NNTRAIN_DATA find relative data dirs.
mkdir -p "$tmp/root" && ln -s "$tmp/data" "$tmp/root/tinyset"
expect 0 'test accuracy' -- "$NNTRAIN" -q -c "$tmp/tiny.yaml" --data-dir "$tmp/root/tinyset" -s output.model=
expect 0 'test accuracy' -- env NNTRAIN_DATA="$tmp/root" "$NNTRAIN" -q -c "$tmp/tiny.yaml" -s data.dir=tinyset -s output.model=

# --- eval and predict -------------------------------------------------------------
expect 0 'accuracy: 100\.00% \(64/64\)' -- "$NNTRAIN" eval -m "$tmp/out/tiny.model" --images "$tmp/data/images.idx" --labels "$tmp/data/labels.idx"
expect 0 'confusion matrix' -- "$NNTRAIN" eval -m "$tmp/out/tiny.model" -c "$tmp/tiny.yaml"
expect 0 'images.idx\[1\]: 1 ' -- "$NNTRAIN" predict -m "$tmp/out/tiny.model" "$tmp/data/images.idx"
printf 'P2\n2 2\n255\n0 16\n220 220\n' > "$tmp/digit.pgm"
expect 0 'digit.pgm: 1 ' -- "$NNTRAIN" predict -m "$tmp/out/tiny.model" "$tmp/digit.pgm"
printf 'P2\n3 1\n255\n0 16 2\n' > "$tmp/wrong.pgm"
expect 2 'wrong.pgm.*3x1|wrong.pgm.*1x3' -- "$NNTRAIN" predict -m "$tmp/out/tiny.model" "$tmp/wrong.pgm"

# --- corrupt model files -----------------------------------------------------------
cp "$tmp/out/tiny.model" "$tmp/corrupt.model"
printf '\xff' | dd of="$tmp/corrupt.model" bs=1 seek=60 conv=notrunc 2>/dev/null
expect 2 'corrupt.model' -- "$NNTRAIN" eval -m "$tmp/corrupt.model" -c "$tmp/tiny.yaml"
echo 'hello' > "$tmp/foreign.model"
expect 2 'foreign.model' -- "$NNTRAIN" predict -m "$tmp/foreign.model" "$tmp/data/images.idx"

# --- export ------------------------------------------------------------------------
m=$tmp/out/tiny.model
expect 0 'tiny.model: ONNX model written to .*tiny.onnx' -- "$NNTRAIN" export -m "$m" -o "$tmp/out/tiny.onnx"
expect 0 'tiny.model: NumPy model written to .*tiny.NPZ' -- "$NNTRAIN" export -m "$m" -o "$tmp/out/tiny.NPZ"
head -c 4 "$tmp/out/tiny.NPZ" | od -An -tx1 | grep -q '50 4b 03 04' && ok || bad "tiny.NPZ is not a zip file"
# The same model, the same bytes: no time stamps.
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" export -q -m "$m" -o "$tmp/again.onnx" && cmp -s "$tmp/out/tiny.onnx" "$tmp/again.onnx" \
    && ok || bad "two exports of one model differ"
expect 0 'images.idx\[0\]: 0  0\.[0-9]{9} 0\.[0-9]{8,}(e-[0-9]+)?$' -- "$NNTRAIN" predict --all-digits -m "$m" "$tmp/data/images.idx"
expect 2 'export needs -m MODEL' -- "$NNTRAIN" export -o "$tmp/x.onnx"
expect 2 'export needs -o FILE' -- "$NNTRAIN" export -m "$m"
expect 2 'export takes no file arguments' -- "$NNTRAIN" export -m "$m" -o "$tmp/x.onnx" extra
expect 2 'this is an image model: its answers go to stdout' -- "$NNTRAIN" predict -m "$m" -o "$tmp/x.csv" "$tmp/data/images.idx"
expect 2 '-o is for predict, export, plot' -- "$NNTRAIN" eval -m "$m" -o "$tmp/x.csv"
expect 2 '--all-digits is for predict' -- "$NNTRAIN" eval --all-digits -m "$m"
expect 2 'x.pt: unknown export format: the file name must end in .onnx \(ONNX\) or .npz \(NumPy\)' -- \
    "$NNTRAIN" export -m "$m" -o "$tmp/x.pt"
expect 2 'onnx: unknown export format' -- "$NNTRAIN" export -m "$m" -o "$tmp/onnx"
expect 2 'corrupt.model' -- "$NNTRAIN" export -m "$tmp/corrupt.model" -o "$tmp/c.onnx"
expect 2 'nope.model' -- "$NNTRAIN" export -m "$tmp/nope.model" -o "$tmp/c.npz"
[ ! -e "$tmp/c.onnx" ] && [ ! -e "$tmp/c.npz" ] && [ ! -e "$tmp/x.pt" ] && ok || bad "a failed export left a file"
expect 1 'no-such-dir/m.onnx: cannot save ONNX model: cannot create .*No such file or directory' -- \
    "$NNTRAIN" export -m "$m" -o "$tmp/no-such-dir/m.onnx"
# The rename fails (the final name is a directory): what was there stays,
# and no temporary file is left.
mkdir -p "$tmp/blocked.npz/inside"
expect 1 'blocked.npz: cannot save NumPy archive: rename of .* failed' -- "$NNTRAIN" export -m "$m" -o "$tmp/blocked.npz"
[ -d "$tmp/blocked.npz/inside" ] && [ -z "$(ls "$tmp" | grep '\.tmp\.')" ] && ok || bad "a failed export left a temporary file"

# --- runtime failure: exit 1 ---------------------------------------------------------
expect 1 'diverged' -- "$NNTRAIN" -q -c "$tmp/tiny.yaml" -s network.output=linear -s network.activation=linear -s network.cost=quadratic -s train.learning_rate=1e6 -s output.model=

# --- sweeps ---------------------------------------------------------------------------
{ sed '/^output:/,$d' "$tmp/tiny.yaml"
  cat <<YAML
sweep:
  dir: $tmp/sweep
  params:
    train.learning_rate: [0.05, 0.5]
    network.activation: [tanh, relu]
YAML
} > "$tmp/sweep.yaml"
expect 0 'sweep: 4 trials \(4 run now, 0 done before\)' -- "$NNTRAIN" -c "$tmp/sweep.yaml"
[ -s "$tmp/sweep/results.md" ] && [ -s "$tmp/sweep/results.csv" ] && [ -s "$tmp/sweep/curves.svg" ] \
    && ok || bad "sweep tables or curves missing"
[ "$(grep -c '^| [0-9]' "$tmp/sweep/results.md")" = 4 ] && ok || bad "results.md should rank 4 trials"
# best.yaml trains the best trial again: the same model, byte for byte.
best_model=$(sed -n 's/^  model: "\(.*\)"$/\1/p' "$tmp/sweep/best.yaml")
cp "$best_model" "$tmp/best-before.model"
expect 0 'test accuracy' -- "$NNTRAIN" -q -c "$tmp/sweep/best.yaml"
cmp -s "$best_model" "$tmp/best-before.model" && ok || bad "best.yaml did not reproduce its trial"
# Run again: everything is done; remove one result and only it runs.
rm "$tmp/sweep/trial-002/result.csv"
expect 0 '\(1 run now, 3 done before\)' -- "$NNTRAIN" -c "$tmp/sweep.yaml"
# Two trials at a time, in processes of one thread each: the same table.
sed "s|dir: $tmp/sweep|dir: $tmp/sweep2\n  parallel: 2|" "$tmp/sweep.yaml" > "$tmp/sweep2.yaml"
expect 0 'sweep: 4 trials \(4 run now' -- "$NNTRAIN" -c "$tmp/sweep2.yaml"
cut -d, -f1-9 "$tmp/sweep/results.csv" > "$tmp/seq.csv"
cut -d, -f1-9 "$tmp/sweep2/results.csv" > "$tmp/par.csv"
cmp -s "$tmp/seq.csv" "$tmp/par.csv" && ok || bad "parallel sweep results differ from sequential ones"
# The shipped sweep over the training features (optimizer x learning rate x
# dropout, with max-norm, smoothing, decay), shrunk to the tiny data: every
# trial valid and run, the table ranked.
srcdir=${NNTRAIN_SRCDIR:-$(dirname "$0")/..}
(cd "$tmp" && bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$srcdir/configs/sweep-regularisation.yaml" -s data.dir="$tmp/data" \
    -s data.train_images=images.idx -s data.train_labels=labels.idx -s data.test_images=images.idx \
    -s data.test_labels=labels.idx -s data.validation=16 -s 'network.sizes=[4,8,8,2]' \
    -s train.epochs=2 -s train.batch_size=8 >"$tmp/regsweep.out" 2>&1) \
    && ok || bad "configs/sweep-regularisation.yaml on tiny data failed: $(cat "$tmp/regsweep.out")"
[ "$(grep -c '^| [0-9]' "$tmp/runs/sweep-regularisation/results.md" 2>/dev/null)" = 12 ] && ok \
    || bad "the regularisation sweep should rank 12 trials"
printf 'sweep:\n  params:\n    train.learning_rat: [1]\n' >> "$tmp/tiny-bad.yaml"
cat "$tmp/tiny.yaml" "$tmp/tiny-bad.yaml" > "$tmp/badsweep.yaml"
expect 2 'badsweep.yaml:[0-9]+:5: sweep: .*learning_rat' -- "$NNTRAIN" -c "$tmp/badsweep.yaml"

# --- successive halving and Hyperband -------------------------------------------------
# 600 examples, 100 of them held out: rungs of 1, 3 and 9 epochs, ranked by
# the validation loss (train.monitor: loss; accuracy ties on so easy a set).
write_set "$tmp/hdata" 600
{ cat <<YAML
data:
  dir: $tmp/hdata
  train_images: images.idx
  train_labels: labels.idx
  test_images: images.idx
  test_labels: labels.idx
  validation: 100
network:
  sizes: [4, 6, 2]
  activation: tanh
  output: softmax
  cost: cross_entropy
train:
  learning_rate: 0.1
  batch_size: 8
  epochs: 9
  seed: 3
  threads: 1
  monitor: loss
sweep:
  dir: $tmp/halving1
  method: halving
  min_epochs: 1
  parallel: 1
  params:
    train.learning_rate: [0.003, 0.01, 0.03, 0.1, 0.3]
    network.activation: [tanh, relu]
YAML
} > "$tmp/halving1.yaml"
# the same sweep in directory NAME with parallel P: $tmp/NAME.yaml
halving_in() { sed "s|dir: $tmp/halving1|dir: $tmp/$1|; s|parallel: 1|parallel: $2|" "$tmp/halving1.yaml" > "$tmp/$1.yaml"; }
# results.csv without its last column (seconds)
untimed() { sed 's/,[^,]*$//' "$1"; }
# The sweep in $tmp/DIR2 (parallel 2) made the decisions of the one in
# $tmp/DIR1 (parallel 1): the same results.csv but for the seconds, and the
# same best.yaml but for its directory.
same_as_parallel_1() { # METHOD DIR1 DIR2
    cmp -s <(untimed "$tmp/$2/results.csv") <(untimed "$tmp/$3/results.csv") && ok \
        || bad "$1: parallel 2 results differ from parallel 1"
    cmp -s "$tmp/$2/best.yaml" <(sed "s|$tmp/$3|$tmp/$2|" "$tmp/$3/best.yaml") && ok \
        || bad "$1: parallel 2 best.yaml differs from parallel 1"
}
expect 0 'successive halving spent 22 epochs of the 90 the full sweep would train' -- "$NNTRAIN" -c "$tmp/halving1.yaml"
head -1 "$tmp/halving1/results.csv" | grep -q ',rung,epochs,stopped,seconds$' && ok || bad "results.csv lacks rung, epochs, stopped"
[ "$(grep -c ',completed,' "$tmp/halving1/results.csv")" = 1 ] && [ "$(grep -c ',halved,' "$tmp/halving1/results.csv")" = 9 ] \
    && ok || bad "halving: one trial should complete, nine be halved: $(cat "$tmp/halving1/results.csv")"
grep -q 'stroke-opacity' "$tmp/halving1/curves.svg" && ok || bad "curves.svg does not fade the stopped trials"
# The winner went on from its checkpoints twice: its model is byte for byte
# the one a straight run of its config trains.
win=$(sed -n '2s/^1,\([0-9]*\),.*/\1/p' "$tmp/halving1/results.csv")
wdir=$tmp/halving1/trial-$(printf %03d "$win")
expect 0 '' -- "$NNTRAIN" -q -c "$wdir/config.yaml" -s output.model="$tmp/straight.model" -s output.metrics= -s output.checkpoint=
cmp -s "$wdir/model" "$tmp/straight.model" && ok || bad "the halving winner's model differs from a straight run's"
# parallel 2: the same decisions, table and best config.
halving_in halving2 2
expect 0 'spent 22 epochs' -- "$NNTRAIN" -q -c "$tmp/halving2.yaml"
same_as_parallel_1 halving halving1 halving2
# halving_stopped NAME PARALLEL SIGNAL RUNG WHAT: the sweep in $tmp/NAME
# (halving_in) gets SIGNAL once a trial has begun rung RUNG, then the same
# command runs again: it goes on and ends with halving1's table.
halving_stopped() {
    local hpid i
    halving_in "$1" "$2"
    "$NNTRAIN" -q -c "$tmp/$1.yaml" >/dev/null 2>&1 &
    hpid=$!
    for ((i = 0; i < 300; i++)); do
        ls "$tmp/$1"/trial-*/rung-"$4".csv >/dev/null 2>&1 && break
        sleep 0.02
    done
    kill -"$3" "$hpid" 2>/dev/null
    wait_bounded "$hpid" >/dev/null
    expect 0 'spent 22 epochs' -- "$NNTRAIN" -q -c "$tmp/$1.yaml"
    cmp -s <(untimed "$tmp/halving1/results.csv") <(untimed "$tmp/$1/results.csv") && ok \
        || bad "halving: $5 and run again, the results differ"
}
# A kill (SIGKILL, no goodbye) once the first rung is under way, then the
# same command.
halving_stopped halving3 2 KILL 1 killed
# SIGINT in the middle of a later rung: the trial saves its checkpoint and
# the rerun resumes it.
halving_stopped halving4 1 INT 2 interrupted
# Hyperband: brackets s = 2, 1, 0 (rungs from 1, 3 and 9 epochs).
sed "s|method: halving|method: hyperband|; s|dir: $tmp/halving1|dir: $tmp/hyper1|" "$tmp/halving1.yaml" > "$tmp/hyper1.yaml"
sed "s|dir: $tmp/hyper1|dir: $tmp/hyper2|; s|parallel: 1|parallel: 2|" "$tmp/hyper1.yaml" > "$tmp/hyper2.yaml"
expect 0 'hyperband spent [0-9]+ epochs of the 90' -- "$NNTRAIN" -c "$tmp/hyper1.yaml"
head -1 "$tmp/hyper1/results.csv" | grep -q '^rank,trial,bracket,' && ok || bad "hyperband results lack the bracket"
[ "$(cut -d, -f3 "$tmp/hyper1/results.csv" | sed 1d | sort -u | tr '\n' ' ')" = "1 2 3 " ] && ok \
    || bad "hyperband: expected brackets 1 2 3: $(cat "$tmp/hyper1/results.csv")"
expect 0 'hyperband spent' -- "$NNTRAIN" -q -c "$tmp/hyper2.yaml"
same_as_parallel_1 hyperband hyper1 hyper2
# Bad input: a message at file:line:col, and no trial started.
badh() { # NAME SED-SCRIPT PATTERN
    sed "s|dir: $tmp/halving1|dir: $tmp/$1|; $2" "$tmp/halving1.yaml" > "$tmp/$1.yaml"
    expect 2 "$1.yaml:$3" -- "$NNTRAIN" -c "$tmp/$1.yaml"
    [ ! -e "$tmp/$1/trial-001" ] && ok || bad "$1: a trial started despite bad input"
}
badh bad-eta 's|  min_epochs: 1|  min_epochs: 1\n  eta: 1|' '24:8: sweep: eta: expected an integer of at least 2'
badh bad-min0 's|  min_epochs: 1|  min_epochs: 0|' '23:15: sweep: min_epochs: expected an integer from 1'
badh bad-min10 's|  min_epochs: 1|  min_epochs: 10|' '23:15: sweep: min_epochs 10 is more than train.epochs \(9\)'
badh bad-one 's|    train.learning_rate: \[.*\]|    train.learning_rate: [0.1]|; s|    network.activation: .*||' \
    '22:11: sweep: halving needs at least 2 trials \(this sweep makes 1\)'
badh bad-noval 's|  validation: 100|  validation: 0|' '22:11: sweep: .*train.monitor \(loss\) on a validation split, and data.validation is 0'

# A table (CSV) under halving: parallel 1 and 2 agree, and the winner's
# model is a straight run's, byte for byte.
awk 'BEGIN { srand(7); print "a,b,color,answer"
     for (i = 0; i < 300; i++) {
         a = rand() * 4 - 2; b = rand() * 4 - 2; c = i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue"
         s = a + b + (c == "red" ? 1 : 0) + rand() - 0.5
         printf "%.4f,%.4f,%s,%s\n", a, b, c, (s > 0.3 ? "yes" : "no") } }' > "$tmp/hcls.csv"
cat > "$tmp/htab1.yaml" <<YAML
data:
  dir: $tmp
  train: hcls.csv
  label: answer
  validation: 60
network:
  hidden: [8]
  activation: tanh
train:
  optimizer: adam
  learning_rate: 0.01
  batch_size: 16
  epochs: 8
  seed: 5
  threads: 1
sweep:
  dir: $tmp/htab1
  method: halving
  min_epochs: 2
  eta: 2
  parallel: 1
  params:
    train.learning_rate: [0.001, 0.003, 0.01, 0.03]
    network.hidden: [[4], [16]]
YAML
sed "s|dir: $tmp/htab1|dir: $tmp/htab2|; s|parallel: 1|parallel: 2|" "$tmp/htab1.yaml" > "$tmp/htab2.yaml"
expect 0 'successive halving spent 32 epochs of the 64' -- "$NNTRAIN" -q -c "$tmp/htab1.yaml"
expect 0 'successive halving spent 32 epochs' -- "$NNTRAIN" -q -c "$tmp/htab2.yaml"
cmp -s <(untimed "$tmp/htab1/results.csv") <(untimed "$tmp/htab2/results.csv") && ok \
    || bad "halving on a table: parallel 2 results differ from parallel 1"
win=$(sed -n '2s/^1,\([0-9]*\),.*/\1/p' "$tmp/htab1/results.csv")
wdir=$tmp/htab1/trial-$(printf %03d "$win")
expect 0 '' -- "$NNTRAIN" -q -c "$wdir/config.yaml" -s output.model="$tmp/htab-straight.model" -s output.metrics= -s output.checkpoint=
cmp -s "$wdir/model" "$tmp/htab-straight.model" && ok || bad "halving on a table: the winner's model differs from a straight run's"

# The shipped example, configs/sweep-halving.yaml, on 300 small 28x28
# images (100 held out) in 3 epochs: rungs of 1 and 3 epochs.
write_digits "$tmp/digits" 300
(cd "$tmp" && bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -c "$srcdir/configs/sweep-halving.yaml" -s data.dir="$tmp/digits" \
    -s data.train_images=digits.idx -s data.train_labels=digits-labels.idx -s data.test_images=digits.idx \
    -s data.test_labels=digits-labels.idx -s data.validation=100 -s train.epochs=3 >"$tmp/hvsweep.out" 2>&1) \
    && grep -q 'successive halving spent 40 epochs of the 72' "$tmp/hvsweep.out" && ok \
    || bad "configs/sweep-halving.yaml on small data failed: $(cat "$tmp/hvsweep.out")"

# --- the command table: plot's options and checks, through the binary ------------
m=$tmp/out/tiny.model w=$tmp/plot-w.png
expect 0 '' -- "$NNTRAIN" plot weights -q -m "$m" -o "$w"
[ -s "$w" ] && ok || bad "plot weights wrote no PNG"
expect 0 '' -- "$NNTRAIN" plot weights -q -m "$m" -o "$w" --rows=4
expect 2 'rows x cols|rows|cols' -- "$NNTRAIN" plot weights -q -m "$m" -o "$w" --rows=3
expect 2 'plot needs a picture' -- "$NNTRAIN" plot
expect 2 "unknown picture 'pie'" -- "$NNTRAIN" plot pie -o "$w"
expect 2 'plot needs -o FILE' -- "$NNTRAIN" plot weights -m "$m"
expect 2 'weights needs -m MODEL' -- "$NNTRAIN" plot weights -o "$w"
expect 2 'unknown option --bogus' -- "$NNTRAIN" plot weights -m "$m" -o "$w" --bogus
expect 2 "--scale '0': expected a whole number 1..64" -- "$NNTRAIN" plot weights -m "$m" -o "$w" --scale 0
expect 2 'none.model' -- "$NNTRAIN" plot weights -m "$tmp/none.model" -o "$w"
expect 1 'nonexistent-dir' -- "$NNTRAIN" plot weights -m "$m" -o /nonexistent-dir/w.png
expect 2 'curves needs at least one metrics CSV' -- "$NNTRAIN" plot curves -o "$w"
expect 2 '' -- "$NNTRAIN" plot curves -o "$w" "$m"
expect 2 '--images and --labels go together' -- "$NNTRAIN" plot errors -m "$m" -o "$w" --images "$m"
expect 2 '--port is for serve' -- "$NNTRAIN" plot weights -m "$m" -o "$w" --port 1
expect 2 '--resume is for train' -- "$NNTRAIN" eval -m "$m" --resume x
expect 2 'train takes no file arguments' -- "$NNTRAIN" -c "$tmp/tiny.yaml" extra
expect 2 'predict needs FILE' -- "$NNTRAIN" predict -m "$m"
expect 2 'an image model: FILE arguments are tables for a table model' -- \
    "$NNTRAIN" eval -m "$m" "$tmp/data/images.idx"
# Every command has its own help, from the same table.
for c in train eval predict export plot serve; do
    expect 0 "^Usage: nntrain $c " -- "$NNTRAIN" $c --help
done

finish
