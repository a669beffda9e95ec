#!/usr/bin/env bash
# End-to-end tests of checkpoints and --resume: a run killed with SIGKILL at
# a random moment, or stopped with SIGINT/SIGTERM, and resumed (with another
# thread count) ends with a model byte for byte the same as the
# uninterrupted run's. Also: damaged or foreign checkpoints, another config,
# divergence, unwritable outputs, impossible sizes. Writes its own data.
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
. "$(dirname "$0")/testlib.sh"
start_test
child=
cleanup_hooks='[ -n "$child" ] && kill -9 "$child" 2>/dev/null'

write_set "$tmp/data" 100
# Tiny data, but a wide enough network and enough epochs (about a second)
# that a kill lands mid-run. 13 mini-batches per epoch.
EPOCHS=400
tiny_config "$tmp/data" "[4, 128, 128, 2]" > "$tmp/run.yaml" <<YAML
  init: xavier
train:
  learning_rate: 0.05
  batch_size: 8
  epochs: $EPOCHS
  seed: 3
  threads: 2
output:
  checkpoint_every: 1
YAML
RUN=("$NNTRAIN" -q -c "$tmp/run.yaml")
run() { bounded "$TEST_RUN_LIMIT" "${RUN[@]}" "$@"; }  # not for '&': $! must be nntrain itself

# --- the reference: uninterrupted ---------------------------------------------
start=$(date +%s%N)
run -s output.model="$tmp/ref.model" >/dev/null || bad "reference run failed"
ms=$((($(date +%s%N) - start) / 1000000))
[ -s "$tmp/ref.model" ] && ok || bad "no reference model"

# A random delay in ms, between a tenth and two thirds of the run's time.
rand_delay() { echo $((ms / 10 + RANDOM % (ms * 2 / 3 - ms / 10 + 1))); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# --- SIGKILL at a random moment, resume from the last checkpoint --------------
# kill_resume LABEL REFERENCE OVERRIDES...: runs with the overrides, killed
# at random until a kill lands after the first checkpoint and before the
# end, then resumes with one thread instead of two; the model must be
# REFERENCE's, byte for byte.
kill_resume() {
    local label=$1 ref=$2 killed=0 attempt d out
    shift 2
    for attempt in 1 2 3 4 5 6 7 8; do
        rm -rf "$tmp/k"; mkdir -p "$tmp/k"
        "${RUN[@]}" "$@" -s output.checkpoint="$tmp/k/run.ckpt" -s output.model="$tmp/k/final.model" \
            >/dev/null 2>&1 &
        child=$!
        d=$(rand_delay)
        sleep_ms "$d"
        kill -9 "$child" 2>/dev/null
        wait_bounded "$child" 2>/dev/null
        child=
        if [ -e "$tmp/k/final.model" ]; then ms=$((ms / 2 + 1)); continue; fi  # finished first
        if [ -e "$tmp/k/run.ckpt" ]; then killed=1; break; fi
    done
    if [ "$killed" = 1 ]; then
        ok
        # Resume from the directory (newest *.ckpt) with one thread instead of two.
        out=$(run "$@" -s output.checkpoint="$tmp/k/run.ckpt" -s output.model="$tmp/k/final.model" \
                  -s train.threads=1 --resume "$tmp/k" 2>&1) || bad "$label: resume after SIGKILL failed: $out"
        if cmp -s "$tmp/k/final.model" "$ref"; then
            ok; echo "$label: SIGKILL after ${d} ms (attempt $attempt), resumed with 1 thread: identical model"
        else
            bad "$label: model after SIGKILL at ${d} ms + resume differs from the uninterrupted run's"
        fi
    else
        bad "$label: could not kill the run between its first checkpoint and its end in 8 tries"
    fi
}
kill_resume "sgd" "$tmp/ref.model"

# Everything with state or draws of its own at once: Adam's moments, a
# warm-up and cosine schedule, dropout masks, max-norm, label smoothing,
# augmentation (affine and elastic).
REG=(-s train.optimizer=adam -s train.learning_rate=0.01 -s train.schedule=cosine
     -s train.warmup_epochs=3.5 -s train.dropout=0.3 -s train.input_dropout=0.2
     -s train.max_norm=2 -s train.label_smoothing=0.1 -s augment.shift=0.5
     -s augment.rotate=15 -s augment.scale=0.1 -s augment.shear=5
     -s augment.elastic_alpha=1 -s augment.elastic_sigma=1)
start=$(date +%s%N)
run "${REG[@]}" -s output.model="$tmp/reg.model" >/dev/null || bad "regularised reference run failed"
ms=$((($(date +%s%N) - start) / 1000000))
cmp -s "$tmp/reg.model" "$tmp/ref.model" && bad "the regularised run is the plain one" || ok
kill_resume "adam+cosine+dropout+max-norm+smoothing+augment" "$tmp/reg.model" "${REG[@]}"

# --- a checkpoint written on one kernel path, resumed on another ---------------------
# Every path gives the same bits, so where a run stopped and went on changes
# nothing. The reference ran on the best path; the checkpoint is written on
# the last one (portable), and, with three or more paths, on the second.
paths=$("$NNTRAIN" --version | sed -n 's/.*this CPU runs \(.*\))$/\1/p' | tr -d ,)
read -r -a path_list <<<"$paths"
n_paths=${#path_list[@]}
[ "$n_paths" -ge 1 ] && ok || bad "--version lists no kernel paths: $("$NNTRAIN" --version)"
cross() {  # cross WRITER RESUMER
    rm -rf "$tmp/x"; mkdir -p "$tmp/x"
    NNTRAIN_KERNELS=$1 run -s train.epochs=$((EPOCHS / 3)) -s output.checkpoint="$tmp/x/run.ckpt" \
        -s output.model="$tmp/x/half.model" >/dev/null || bad "$1: first third failed"
    NNTRAIN_KERNELS=$2 run -s output.checkpoint="$tmp/x/run.ckpt" -s output.model="$tmp/x/final.model" \
        --resume "$tmp/x" >/dev/null 2>&1 || bad "$2: resume failed"
    if cmp -s "$tmp/x/final.model" "$tmp/ref.model"; then
        ok; echo "checkpoint written on $1, resumed on $2: identical model"
    else
        bad "checkpoint written on $1, resumed on $2: the model differs"
    fi
}
if [ "$n_paths" -ge 2 ]; then
    cross "${path_list[n_paths - 1]}" "${path_list[0]}"
    [ "$n_paths" -ge 3 ] && cross "${path_list[1]}" "${path_list[n_paths - 1]}"
else
    echo "one kernel path here (${paths}): no cross-path resume"
fi

# --- SIGINT mid-epoch: message, exit 130, the printed command resumes exactly ----
got=0
for attempt in 1 2 3 4 5 6 7 8; do
    rm -rf "$tmp/i"; mkdir -p "$tmp/i"
    # checkpoint_every 0: the only checkpoint is the one the signal writes.
    "${RUN[@]}" -s output.checkpoint="$tmp/i/run.ckpt" -s output.checkpoint_every=0 \
        -s output.model="$tmp/i/final.model" >/dev/null 2>"$tmp/i/err" &
    child=$!
    sleep_ms "$(rand_delay)"
    kill -INT "$child" 2>/dev/null
    wait_bounded "$child"; rc=$?  # a run that ignores the signal fails, not hangs
    child=
    if [ "$rc" = 0 ]; then ms=$((ms / 2 + 1)); continue; fi
    # Killed silently by the default action: the signal came before the
    # handlers were installed (start-up, on a loaded machine). Too early.
    if [ "$rc" = 130 ] && [ ! -s "$tmp/i/err" ]; then continue; fi
    got=1; break
done
msg=$(cat "$tmp/i/err")
if [ "$got" = 1 ]; then
    [ "$rc" = 130 ] && ok || bad "SIGINT: exit $rc, expected 130: $msg"
    grep -qE "interrupted by SIGINT at epoch [0-9]+ step [0-9]+; checkpoint saved to $tmp/i/run.ckpt; resume with: nntrain -c" <<<"$msg" \
        && ok || bad "SIGINT message: $msg"
    [ ! -e "$tmp/i/final.model" ] && ok || bad "SIGINT: a final model was written"
    # Run the printed command (with this build's binary), on 3 threads.
    cmd=${msg##*resume with: nntrain }
    out=$(eval "bounded \"\$TEST_RUN_LIMIT\" \"\$NNTRAIN\" $cmd -q -s train.threads=3" 2>&1) || bad "printed resume command failed: $cmd: $out"
    cmp -s "$tmp/i/final.model" "$tmp/ref.model" && ok || bad "SIGINT + resume on 3 threads differs from the uninterrupted run"
else
    bad "SIGINT never landed before the run ended: $msg"
fi

# --- Adam: SIGINT mid-epoch, resumed on 3 threads, byte-identical ----------------------
# The optimizer's state (moments, step count, beta powers) travels in the
# checkpoint; a run that lost it would take different steps after resuming.
ADAM=(-s train.optimizer=adam -s train.learning_rate=0.002 -s train.weight_decay=0.001
      -s train.epochs=$((EPOCHS / 2)))
start=$(date +%s%N)
run "${ADAM[@]}" -s output.model="$tmp/adam-ref.model" >/dev/null || bad "adam reference run failed"
ams=$((($(date +%s%N) - start) / 1000000))
cmp -s "$tmp/adam-ref.model" "$tmp/ref.model" && bad "adam trained the same model as sgd" || ok
got=0
for attempt in 1 2 3 4 5 6 7 8; do
    rm -rf "$tmp/a"; mkdir -p "$tmp/a"
    "${RUN[@]}" "${ADAM[@]}" -s output.checkpoint="$tmp/a/run.ckpt" -s output.checkpoint_every=0 \
        -s output.model="$tmp/a/final.model" >/dev/null 2>"$tmp/a/err" &
    child=$!
    sleep_ms $((ams / 10 + RANDOM % (ams / 2 + 1)))
    kill -INT "$child" 2>/dev/null
    wait_bounded "$child"; rc=$?
    child=
    if [ "$rc" = 0 ]; then ams=$((ams / 2 + 1)); continue; fi
    if [ "$rc" = 130 ] && [ ! -s "$tmp/a/err" ]; then continue; fi  # before the handlers: too early
    got=1; break
done
if [ "$got" = 1 ] && [ "$rc" = 130 ]; then
    ok
    out=$(run "${ADAM[@]}" -s output.checkpoint="$tmp/a/run.ckpt" -s output.model="$tmp/a/final.model" \
              -s train.threads=3 --resume "$tmp/a/run.ckpt" 2>&1) || bad "adam resume failed: $out"
    if cmp -s "$tmp/a/final.model" "$tmp/adam-ref.model"; then
        ok; echo "adam: SIGINT ($(grep -o 'epoch [0-9]* step [0-9]*' "$tmp/a/err")), resumed on 3 threads: identical model"
    else
        bad "adam: SIGINT + resume on 3 threads differs from the uninterrupted run"
    fi
    # The optimizer is part of the checkpoint's identity.
    expect 2 'train\.optimizer is adam in the checkpoint, sgd here' -- \
        run -s train.learning_rate=0.002 -s train.weight_decay=0.001 --resume "$tmp/a/run.ckpt"
    expect 2 'train\.beta2 is 0\.999 in the checkpoint, 0\.99 here' -- \
        run "${ADAM[@]}" -s train.beta2=0.99 --resume "$tmp/a/run.ckpt"
else
    bad "adam: SIGINT never landed before the run ended (exit $rc): $(cat "$tmp/a/err")"
fi

# --- SIGTERM: exit 143 -------------------------------------------------------------
rm -rf "$tmp/t"; mkdir -p "$tmp/t"
"${RUN[@]}" -s output.checkpoint="$tmp/t/" -s train.epochs=100000 >/dev/null 2>"$tmp/t/err" &
child=$!
# Once the first checkpoint exists, the handler is surely installed.
w=0
while [ ! -e "$tmp/t/checkpoint.ckpt" ] && [ $((w += 1)) -le 200 ]; do sleep 0.05; done
kill -TERM "$child"
wait_bounded "$child"; rc=$?  # 100000 epochs: a run that ignores SIGTERM is killed after TEST_CALL_LIMIT
child=
[ "$rc" = 143 ] && ok || bad "SIGTERM: exit $rc, expected 143"
grep -q "interrupted by SIGTERM at epoch [0-9]* step [0-9]*; checkpoint saved to $tmp/t/checkpoint.ckpt" "$tmp/t/err" \
    && ok || bad "SIGTERM message: $(cat "$tmp/t/err")"

# --- refused checkpoints: exit 2 ------------------------------------------------------
ck=$tmp/t/checkpoint.ckpt
expect 2 'different config.*train\.learning_rate is 0\.05 in the checkpoint, 0\.06 here' -- \
    run -s train.learning_rate=0.06 --resume "$ck"
expect 2 'network\.sizes is \[4,128,128,2\] in the checkpoint, \[4,64,2\] here' -- \
    run -s 'network.sizes=[4,64,2]' --resume "$ck"
cp "$ck" "$tmp/corrupt.ckpt"
size=$(wc -c < "$ck")
printf '\xff' | dd of="$tmp/corrupt.ckpt" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
expect 2 'corrupt\.ckpt.*corrupt' -- run --resume "$tmp/corrupt.ckpt"
head -c $((size / 2)) "$ck" > "$tmp/short.ckpt"
expect 2 'short\.ckpt.*truncated' -- run --resume "$tmp/short.ckpt"
expect 2 'ref\.model: this is a model file, not a checkpoint' -- run --resume "$tmp/ref.model"
echo hello > "$tmp/foreign.ckpt"
expect 2 'foreign\.ckpt: not an nntrain checkpoint' -- run --resume "$tmp/foreign.ckpt"
expect 2 'nope\.ckpt' -- run --resume "$tmp/nope.ckpt"
mkdir -p "$tmp/empty"
expect 2 'no checkpoint' -- run --resume "$tmp/empty"
expect 2 '--resume is for train' -- "$NNTRAIN" eval -m "$tmp/ref.model" --resume "$ck"
# Epochs may grow on resume: more training from the same point.
expect 0 'resuming from .*checkpoint\.ckpt' -- "$NNTRAIN" -c "$tmp/run.yaml" -s train.epochs=100000 \
    -s output.checkpoint_every=0 -s train.epochs=1 --resume "$ck"

# --- learning-rate schedules: the rate is recomputed from epoch and step ------------
# Cosine with a fractional warm-up: the checkpoint of epoch 35 (every 7th),
# resumed on another thread count, ends with the uninterrupted run's model.
# train.epochs is part of a cosine run's identity, so it may not change.
rm -rf "$tmp/s"; mkdir -p "$tmp/s"
SCHED=(-s train.epochs=40 -s train.schedule=cosine -s train.warmup_epochs=2.5 -s train.min_learning_rate=0.001)
run "${SCHED[@]}" -s output.model="$tmp/s/ref.model" -s output.metrics="$tmp/s/ref.csv" >/dev/null \
    || bad "cosine reference run failed"
run "${SCHED[@]}" -s output.checkpoint_every=7 -s output.checkpoint="$tmp/s/run.ckpt" \
    -s output.model="$tmp/s/first.model" >/dev/null || bad "cosine run with checkpoints failed"
expect 0 'resuming from .*run\.ckpt: epoch 35' -- \
    "$NNTRAIN" -c "$tmp/run.yaml" "${SCHED[@]}" -s train.threads=1 -s output.model="$tmp/s/resumed.model" \
    -s output.metrics="$tmp/s/resumed.csv" --resume "$tmp/s/run.ckpt"
cmp -s "$tmp/s/resumed.model" "$tmp/s/ref.model" && ok || bad "cosine: resumed model differs from the uninterrupted run's"
# The rates of the resumed epochs are those of the uninterrupted run's.
diff <(cut -d, -f1,7 "$tmp/s/ref.csv" | tail -5) <(cut -d, -f1,7 "$tmp/s/resumed.csv" | tail -5) >/dev/null \
    && ok || bad "cosine: the resumed epochs' learning rates differ"
head -1 "$tmp/s/ref.csv" | cut -d, -f7 | grep -qx 'learning_rate' && ok || bad "metrics CSV has no learning_rate column (7th)"
expect 2 'train\.epochs is 40 in the checkpoint, 50 here' -- \
    run "${SCHED[@]}" -s train.epochs=50 --resume "$tmp/s/run.ckpt"
expect 2 'train\.min_learning_rate is 0\.001 in the checkpoint, 0\.002 here' -- \
    run "${SCHED[@]}" -s train.min_learning_rate=0.002 --resume "$tmp/s/run.ckpt"
# Step decay does not depend on the run's length: 20 epochs, then resumed to
# 40, is the 40-epoch run.
STEP=(-s train.schedule=step -s train.step_epochs=6 -s train.gamma=0.5)
run "${STEP[@]}" -s train.epochs=40 -s output.model="$tmp/s/step-ref.model" >/dev/null || bad "step run failed"
run "${STEP[@]}" -s train.epochs=20 -s output.checkpoint="$tmp/s/step.ckpt" >/dev/null || bad "step: first half failed"
run "${STEP[@]}" -s train.epochs=40 -s output.model="$tmp/s/step.model" --resume "$tmp/s/step.ckpt" >/dev/null 2>&1 \
    || bad "step: resume failed"
cmp -s "$tmp/s/step.model" "$tmp/s/step-ref.model" && ok || bad "step: 20 + 20 epochs differ from 40"
expect 2 'train\.gamma is 0\.5 in the checkpoint, 0\.25 here' -- \
    run "${STEP[@]}" -s train.gamma=0.25 -s train.epochs=40 --resume "$tmp/s/step.ckpt"

# --- early stopping: the best model and the counters are checkpointed --------------
# Validation accuracy is 100% from epoch 1, so patience 10 stops after epoch 11
# and the model kept is epoch 1's, exactly a 1-epoch run's; the last one is
# saved to MODEL.last. Resumed from epoch 8 (every 4th) on 1 thread, and from
# the checkpoint of the stopping epoch itself (nothing left to train): both
# models byte for byte the uninterrupted run's.
rm -rf "$tmp/e"; mkdir -p "$tmp/e"
ES=(-s data.validation=30 -s train.patience=10 -s output.save_last=true)
expect 0 'early stop: validation accuracy has not improved for 10 epochs; best validation accuracy 100\.00% at epoch 1' -- \
    "$NNTRAIN" -c "$tmp/run.yaml" "${ES[@]}" -s output.model="$tmp/e/ref.model"
run -s data.validation=30 -s train.epochs=1 -s output.model="$tmp/e/one.model" >/dev/null || bad "1-epoch run failed"
cmp -s "$tmp/e/ref.model" "$tmp/e/one.model" && ok || bad "early stopping did not keep epoch 1's model"
run -s data.validation=30 -s train.epochs=11 -s output.model="$tmp/e/eleven.model" >/dev/null || bad "11-epoch run failed"
cmp -s "$tmp/e/ref.model.last" "$tmp/e/eleven.model" && ok || bad "MODEL.last is not the last epoch's model"
run "${ES[@]}" -s output.checkpoint_every=4 -s output.checkpoint="$tmp/e/run.ckpt" \
    -s output.model="$tmp/e/first.model" >/dev/null || bad "early stopping run with checkpoints failed"
expect 0 'resuming from .*run\.ckpt: epoch 8' -- "$NNTRAIN" -c "$tmp/run.yaml" "${ES[@]}" -s train.threads=1 \
    -s output.model="$tmp/e/resumed.model" --resume "$tmp/e/run.ckpt"
cmp -s "$tmp/e/resumed.model" "$tmp/e/ref.model" && cmp -s "$tmp/e/resumed.model.last" "$tmp/e/ref.model.last" \
    && ok || bad "early stopping: resumed from epoch 8, the models differ"
run "${ES[@]}" -s output.checkpoint="$tmp/e/end.ckpt" -s output.model="$tmp/e/x.model" >/dev/null \
    || bad "early stopping run with a checkpoint every epoch failed"
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -c "$tmp/run.yaml" "${ES[@]}" -s output.model="$tmp/e/done.model" --resume "$tmp/e/end.ckpt" 2>&1) \
    || bad "resume after the stop failed: $out"
grep -q 'resuming from .*end\.ckpt: epoch 11, 9 of 9' <<<"$out" && grep -q '^early stop: ' <<<"$out" \
    && ! grep -q '^epoch ' <<<"$out" && ok || bad "resume after the stop trained on: $out"
cmp -s "$tmp/e/done.model" "$tmp/e/ref.model" && cmp -s "$tmp/e/done.model.last" "$tmp/e/ref.model.last" \
    && ok || bad "early stopping: resumed after the stop, the models differ"
expect 2 'train\.patience is 10 in the checkpoint, 5 here' -- run "${ES[@]}" -s output.model="$tmp/e/y.model" -s train.patience=5 --resume "$tmp/e/run.ckpt"
expect 2 'train\.monitor is accuracy in the checkpoint, loss here' -- \
    run "${ES[@]}" -s output.model="$tmp/e/y.model" -s train.monitor=loss --resume "$tmp/e/run.ckpt"

# --- a table (issue 20): the same network on a CSV of 4 numeric columns and
# two classes, so network.sizes fits it; killed and resumed likewise.
awk 'BEGIN { srand(5); print "p,q,r,s,label"
     for (i = 0; i < 100; i++) { c = i % 2
         printf "%.3f,%.3f,%.3f,%.3f,%s\n", rand() + c, rand(), rand() - c, rand(), (c ? "b" : "a") } }' \
    > "$tmp/table.csv"
TABLE=(-s data.train="$tmp/table.csv" -s data.test_fraction=0.1 -s train.learning_rate=0.01)
run "${TABLE[@]}" -s output.model="$tmp/table.model" >/dev/null || bad "table reference run failed"
kill_resume "table" "$tmp/table.model" "${TABLE[@]}"

# --- divergence: exit 1, epoch and step named, the old checkpoint untouched ---------
rm -rf "$tmp/n"; mkdir -p "$tmp/n"
run -s train.epochs=2 -s output.checkpoint="$tmp/n/run.ckpt" >/dev/null
cp "$tmp/n/run.ckpt" "$tmp/n/before.ckpt"
expect 1 'diverged at epoch 1 step [0-9]+ .*lower learning rate' -- \
    run -s network.output=linear -s network.activation=linear -s network.cost=quadratic \
        -s train.learning_rate=1e30 -s output.checkpoint="$tmp/n/run.ckpt" -s output.model="$tmp/n/m.model"
cmp -s "$tmp/n/run.ckpt" "$tmp/n/before.ckpt" && ok || bad "divergence changed the last checkpoint"
[ ! -e "$tmp/n/m.model" ] && ok || bad "divergence wrote a model"

# --- unwritable outputs: exit 1 before any work, nothing left behind -----------------
touch "$tmp/afile"
expect 1 'output\.model.*/proc/nntrain-test' -- run -s output.model=/proc/nntrain-test/x.model \
    -s output.metrics="$tmp/w/m.csv"
[ ! -e "$tmp/w/m.csv" ] && ok || bad "a metrics file was left by a run that could not save"
expect 1 'output\.checkpoint.*afile' -- run -s output.checkpoint="$tmp/afile/x.ckpt"
expect 1 'output\.model.*/proc' -- run -s output.model=/proc/x.model

# --- sizes beyond memory: refused with the estimate, exit 2 --------------------------
expect 2 'network\.sizes.*[0-9.]+ GB' -- run -s 'network.sizes=[4,1000000,1000000,2]'

finish
