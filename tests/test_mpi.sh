#!/usr/bin/env bash
# End-to-end tests of the MPI build (./configure --with-mpi), with mpirun on
# this machine (--oversubscribe: more ranks than cores is fine here). Skipped
# (exit 77) in a build without MPI. On a tiny generated data set:
#   - mpirun -np 2 and -np 3, 1 and 2 threads a rank, train.overlap on and
#     off: the model is byte for byte the single-process run's (shards mode);
#   - a checkpoint made with 2 ranks, resumed with 3, and a run stopped by
#     SIGTERM on rank 0 mid-run, resumed with 2: the same model again;
#   - only rank 0 prints and writes; fused mode refused;
#   - a sweep of 4 trials on 2 and 3 ranks: the local sweep's results.csv
#     (times aside), best.yaml and models; a trial failing on one rank ends
#     every rank;
#   - ranks with another config, other data or missing data refused at start;
#   - a rank killed with SIGKILL ends the job, non-zero, naming the rank,
#     within a bounded time;
#   - successive halving on 3 ranks: the local sweep's results.csv (times
#     aside) and best.yaml; and killed mid-sweep (SIGKILL, then SIGINT, to
#     mpirun), no process of the job left behind, then run again: the
#     uninterrupted sweep's tables and winner's model.
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
MPIRUN=${NNTRAIN_MPIRUN:-}
if [ -z "$MPIRUN" ]; then
    echo "not an MPI build (./configure --with-mpi), or no mpirun: skipped"
    exit 77
fi
. "$(dirname "$0")/testlib.sh"
start_test
job=
cleanup_hooks='[ -n "$job" ] && { pkill -9 -P "$job"; kill -9 "$job"; } 2>/dev/null'
# Open MPI refuses root unless told; CI containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# No network interfaces to probe, nothing to find: this machine only.
export OMPI_MCA_btl=self,vader
MPI=("$MPIRUN" --oversubscribe)

write_set "$tmp/data" 100
# 100 examples in mini-batches of 12 (the last one 4): 9 steps an epoch,
# 6 shards of 2 examples; the last batch has only 2 shards, so some ranks
# then have none.
EPOCHS=30
tiny_config "$tmp/data" "[4, 32, 32, 2]" > "$tmp/run.yaml" <<YAML
train:
  learning_rate: 0.05
  batch_size: 12
  epochs: $EPOCHS
  seed: 3
  threads: 1
  reduce: shards
  shards: 6
  optimizer: adam
  dropout: 0.2
YAML
run() { bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/run.yaml" "$@"; }
mpi() { local np=$1; shift; bounded "$TEST_RUN_LIMIT" "${MPI[@]}" -np "$np" "$NNTRAIN" -q -c "$tmp/run.yaml" "$@"; }  # not for '&'
# Waits for the background job $job at most TEST_CALL_LIMIT s and returns its
# exit status; past that, kills its ranks and mpirun (SIGKILL) and returns 137.
wait_job() {
    local w=0
    while kill -0 "$job" 2>/dev/null && [ $((w += 1)) -le $((TEST_CALL_LIMIT * 10)) ]; do sleep 0.1; done
    if kill -0 "$job" 2>/dev/null; then
        echo "mpirun $job still runs after $TEST_CALL_LIMIT s: killed with its ranks" >&2
        { pkill -9 -P "$job"; kill -9 "$job"; } 2>/dev/null
    fi
    wait "$job"
}


# --- the same model as one process, for 2 and 3 ranks ------------------------------
run -s output.model="$tmp/ref.model" >/dev/null || bad "single-process reference failed"
[ -s "$tmp/ref.model" ] && ok || bad "no reference model"
# train.overlap (layer by layer, top first, while the other threads compute)
# and the one-go sum must both give the single-process bits.
for np in 2 3; do
    for t in 1 2; do
        for ov in true false; do
            rm -f "$tmp/m.model"
            how="mpirun -np $np, $t threads a rank, overlap $ov"
            out=$(mpi "$np" -s train.threads=$t -s train.overlap=$ov -s output.model="$tmp/m.model" 2>&1) \
                || bad "$how failed: $out"
            if cmp -s "$tmp/m.model" "$tmp/ref.model"; then
                ok; echo "$how: identical to the single-process model"
            else
                bad "$how: the model differs from the single-process run's"
            fi
        done
    done
done

# --- a table (issue 20): every rank reads and splits it alike; the same bits ---------
awk 'BEGIN { srand(5); print "p,q,r,s,label"
     for (i = 0; i < 100; i++) { c = i % 2
         printf "%.3f,%.3f,%.3f,%.3f,%s\n", rand() + c, rand(), rand() - c, rand(), (c ? "b" : "a") } }' \
    > "$tmp/table.csv"
TABLE=(-s data.train="$tmp/table.csv" -s data.test_fraction=0.1)
run "${TABLE[@]}" -s output.model="$tmp/tref.model" >/dev/null || bad "single-process table run failed"
for np in 2 3; do
    rm -f "$tmp/tm.model"
    out=$(mpi "$np" "${TABLE[@]}" -s output.model="$tmp/tm.model" 2>&1) || bad "table, -np $np failed: $out"
    if cmp -s "$tmp/tm.model" "$tmp/tref.model"; then
        ok; echo "table, mpirun -np $np: identical to the single-process model"
    else
        bad "table, mpirun -np $np: the model differs from the single-process run's"
    fi
done

# --- rank roles: one banner, one accuracy line, one metrics file ---------------------
out=$(bounded "$TEST_RUN_LIMIT" "${MPI[@]}" -np 3 "$NNTRAIN" -c "$tmp/run.yaml" -s output.metrics="$tmp/m.csv" 2>&1)
[ "$(grep -c '^test accuracy' <<<"$out")" = 1 ] && ok || bad "-np 3: not exactly one test accuracy line: $out"
[ "$(grep -c '^epoch ' <<<"$out")" = "$EPOCHS" ] && ok || bad "-np 3: not $EPOCHS epoch lines: $out"
grep -q '^MPI: 3 ranks' <<<"$out" && ok || bad "-np 3: no MPI banner line: $out"
[ "$(wc -l < "$tmp/m.csv")" = $((EPOCHS + 1)) ] && ok || bad "-np 3: the metrics file has $(wc -l < "$tmp/m.csv") lines"

# --- checkpoints: made with 2 ranks, resumed with 3 ----------------------------------
rm -rf "$tmp/c"; mkdir -p "$tmp/c"
mpi 2 -s train.epochs=$((EPOCHS / 2)) -s output.checkpoint="$tmp/c/" >/dev/null 2>&1 \
    || bad "-np 2 with checkpoints failed"
[ -s "$tmp/c/checkpoint.ckpt" ] && ok || bad "-np 2 wrote no checkpoint"
out=$(mpi 3 -s output.checkpoint="$tmp/c/" -s output.model="$tmp/c/final.model" --resume "$tmp/c" 2>&1) \
    || bad "-np 3 --resume failed: $out"
cmp -s "$tmp/c/final.model" "$tmp/ref.model" && { ok; echo "checkpoint of -np 2 resumed with -np 3: identical model"; } \
    || bad "checkpoint of -np 2 resumed with -np 3: the model differs"

# The ranks of a job, as mpirun's children: pid of rank $2 of job $1.
rank_pid() {
    local p
    for p in $(pgrep -P "$1"); do
        tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo "$p"
    done
}
# Waits (at most 20 s) for file $1 to exist.
wait_for() { local w=0; while [ ! -e "$1" ] && [ $((w += 1)) -le 400 ]; do sleep 0.05; done; }

# --- SIGTERM on rank 0 mid-run: every rank stops at the same step; resumed with 2 ----
rm -rf "$tmp/s"; mkdir -p "$tmp/s"
"${MPI[@]}" -np 3 "$NNTRAIN" -q -c "$tmp/run.yaml" -s output.checkpoint="$tmp/s/" -s output.checkpoint_every=1 \
    -s output.model="$tmp/s/final.model" >/dev/null 2>"$tmp/s/err" &
job=$!
wait_for "$tmp/s/checkpoint.ckpt"
kill -TERM "$(rank_pid "$job" 0)" 2>/dev/null
wait_job; rc=$?
job=
if [ -e "$tmp/s/final.model" ]; then
    echo "the -np 3 run ended before SIGTERM landed: stop and resume not tested"
else
    [ "$rc" != 0 ] && ok || bad "SIGTERM on rank 0: exit 0"
    grep -q 'interrupted by SIGTERM at epoch [0-9]* step [0-9]*; checkpoint saved' "$tmp/s/err" \
        && ok || bad "SIGTERM on rank 0: no message: $(cat "$tmp/s/err")"
    out=$(mpi 2 -s output.checkpoint="$tmp/s/" -s output.model="$tmp/s/final.model" -s train.threads=2 \
              --resume "$tmp/s" 2>&1) || bad "resume with -np 2 failed: $out"
    if cmp -s "$tmp/s/final.model" "$tmp/ref.model"; then
        ok; echo "-np 3 stopped by SIGTERM ($(grep -o 'epoch [0-9]* step [0-9]*' "$tmp/s/err")), resumed with -np 2: identical model"
    else
        bad "-np 3 stopped by SIGTERM, resumed with -np 2: the model differs"
    fi
fi

# --- a sweep spread over the ranks: the local sweep's tables --------------------------
# 4 trials of 1 epoch (a ranking with ties and without); trial i runs on
# rank i % R, with another thread count than the local sweep's for R = 2;
# rank 0 writes the tables.
{ sed 's/^  epochs: .*/  epochs: 1/' "$tmp/run.yaml"
  cat <<YAML
sweep:
  dir: $tmp/sw-local
  parallel: 1
  params:
    train.learning_rate: [0.002, 0.02]
    network.activation: [tanh, relu]
YAML
} > "$tmp/sweep.yaml"
# The same sweep in another directory: sweep_in NAME writes $tmp/NAME.yaml.
sweep_in() { sed "s|dir: $tmp/sw-local|dir: $tmp/$1|" "$tmp/sweep.yaml" > "$tmp/$1.yaml"; }
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -c "$tmp/sweep.yaml" 2>&1) || bad "local sweep failed: $out"
cut -d, -f1-9 "$tmp/sw-local/results.csv" > "$tmp/sw-local.csv"
[ "$(wc -l < "$tmp/sw-local.csv")" = 5 ] && ok || bad "local sweep: results.csv is not 4 trials: $(cat "$tmp/sw-local.csv")"
for np in 2 3; do
    d=$tmp/sw-$np
    sweep_in "sw-$np"
    out=$(bounded "$TEST_RUN_LIMIT" "${MPI[@]}" -np "$np" "$NNTRAIN" -c "$d.yaml" -s train.threads=$((np == 2 ? 2 : 1)) 2>&1) \
        || bad "mpirun -np $np sweep failed: $out"
    [ "$(grep -c '^sweep: 4 trials (4 run now, 0 done before)' <<<"$out")" = 1 ] && ok \
        || bad "-np $np sweep: not one summary line: $out"
    [ "$(grep -c "^$d/trial-00[1-4]: " <<<"$out")" = 4 ] && ok || bad "-np $np sweep: not 4 trial lines: $out"
    [ -s "$d/results.md" ] && [ -s "$d/curves.svg" ] && [ -s "$d/best.yaml" ] && ok \
        || bad "-np $np sweep: results.md, curves.svg or best.yaml missing"
    cmp -s <(sed "s|$d|DIR|g; /^  threads:/d" "$d/best.yaml") \
           <(sed "s|$tmp/sw-local|DIR|g; /^  threads:/d" "$tmp/sw-local/best.yaml") \
        && ok || bad "-np $np sweep: best.yaml differs from the local sweep's"
    for i in 1 2 3 4; do
        cmp -s "$d/trial-00$i/model" "$tmp/sw-local/trial-00$i/model" && ok \
            || bad "-np $np sweep: trial $i's model differs from the local sweep's"
    done
    if cut -d, -f1-9 "$d/results.csv" | cmp -s - "$tmp/sw-local.csv"; then
        ok; echo "sweep of 4 trials on mpirun -np $np: results.csv identical to the local sweep's (times aside)"
    else
        bad "-np $np sweep: results.csv differs from the local sweep's: $(cat "$d/results.csv")"
    fi
done
# Run again: nothing left to do.
expect 0 'sweep: 4 trials \(0 run now, 4 done before\)' -- \
    "${MPI[@]}" -np 3 "$NNTRAIN" -q -c "$tmp/sw-3.yaml"
# A trial that fails on rank 1 (its directory cannot be made) ends every
# rank, non-zero, rank 0 naming rank 1; rank 0's trials are kept.
sweep_in sw-f
mkdir -p "$tmp/sw-f"; : > "$tmp/sw-f/trial-002"
out=$(timeout 60 "${MPI[@]}" -np 2 "$NNTRAIN" -q -c "$tmp/sw-f.yaml" 2>&1); rc=$?
[ "$rc" = 1 ] && ok || bad "a trial failing on rank 1: exit $rc, expected 1: $out"
grep -q 'nntrain: rank 1: .*trial-002' <<<"$out" && ok || bad "a trial failing on rank 1: no message from rank 1: $out"
grep -q 'nntrain: rank 0: rank 1 of 2 failed' <<<"$out" && ok || bad "a trial failing on rank 1: rank 0 says: $out"
[ -s "$tmp/sw-f/trial-003/result.csv" ] && [ ! -e "$tmp/sw-f/results.csv" ] && ok \
    || bad "a trial failing on rank 1: rank 0's trials not kept, or tables written"

# --- refused: fused mode; ranks that disagree ---------------------------------------
expect 2 'train\.reduce: fused splits a batch by threads.*MPI ranks' -- mpi 2 -s train.reduce=fused
# MPMD: rank 1 runs with another learning rate.
expect 2 "rank 1's config or nntrain version differs from rank 0's" -- \
    "${MPI[@]}" -np 1 "$NNTRAIN" -q -c "$tmp/run.yaml" : -np 1 "$NNTRAIN" -q -c "$tmp/run.yaml" \
    -s train.learning_rate=0.06
# Rank 1 finds other data (a relative data dir under another NNTRAIN_DATA)...
mkdir -p "$tmp/d0" "$tmp/d1"
write_set "$tmp/d0/set" 100
write_set "$tmp/d1/set" 100
printf '\x01' | dd of="$tmp/d1/set/labels.idx" bs=1 seek=20 conv=notrunc 2>/dev/null
REL=(-q -c "$tmp/run.yaml" -s data.dir=set)
expect 2 "rank 1's training data or starting weights differs from rank 0's" -- \
    "${MPI[@]}" -np 1 -x NNTRAIN_DATA="$tmp/d0" "$NNTRAIN" "${REL[@]}" : \
    -np 1 -x NNTRAIN_DATA="$tmp/d1" "$NNTRAIN" "${REL[@]}"
# ... or none: rank 1 names itself, rank 0 names rank 1.
out=$(bounded "$TEST_RUN_LIMIT" "${MPI[@]}" -np 1 -x NNTRAIN_DATA="$tmp/d0" "$NNTRAIN" "${REL[@]}" : \
      -np 1 -x NNTRAIN_DATA="$tmp/d2" "$NNTRAIN" "${REL[@]}" 2>&1); rc=$?
[ "$rc" = 2 ] && ok || bad "data missing on rank 1: exit $rc, expected 2"
grep -q "nntrain: rank 1: .*d2/set/images.idx" <<<"$out" && ok || bad "data missing on rank 1: $out"
grep -q "nntrain: rank 0: rank 1 of 2 failed" <<<"$out" && ok || bad "data missing on rank 1: rank 0 says: $out"

# --- a rank killed mid-run ends the job, naming it, in bounded time ------------------
rm -rf "$tmp/k"; mkdir -p "$tmp/k"
"${MPI[@]}" -np 3 "$NNTRAIN" -q -c "$tmp/run.yaml" -s train.epochs=100000 -s output.checkpoint="$tmp/k/" \
    -s output.checkpoint_every=1 >"$tmp/k/out" 2>&1 &
job=$!
wait_for "$tmp/k/checkpoint.ckpt"
victim=$(rank_pid "$job" 1)
start=$(date +%s%N)
kill -9 "$victim" 2>/dev/null
# mpirun must end within 30 s; past that, the job hangs.
w=0
while kill -0 "$job" 2>/dev/null && [ $((w += 1)) -le 300 ]; do sleep 0.1; done
if kill -0 "$job" 2>/dev/null; then
    bad "the job still runs 30 s after rank 1 was killed"
    pkill -9 -P "$job"; kill -9 "$job"
fi
wait "$job"; rc=$?
job=
ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" != 0 ] && ok || bad "rank 1 killed: mpirun exited 0"
grep -q 'rank 1 .*exited on signal 9' "$tmp/k/out" && ok || bad "rank 1 killed: no message naming it: $(cat "$tmp/k/out")"
echo "rank 1 of 3 killed with SIGKILL: the job ended with exit $rc after $ms ms: $(grep -o 'process rank 1 .*' "$tmp/k/out" | head -1)"
sleep 0.2
[ -z "$(pgrep -f "$tmp/run.yaml")" ] && ok || bad "ranks still running after the kill: $(pgrep -af "$tmp/run.yaml")"

# --- successive halving across the ranks: the local sweep's decisions -------------
# 6 trials, rungs of 1, 2 and 4 epochs (eta 2), ranked by the validation
# loss; locally with parallel 1, then under mpirun -np 3 (each round's
# trials shared out, the ranks meeting after each): the same results.csv
# (times aside) and best.yaml.
{ sed 's/^  epochs: .*/  epochs: 4/; s/^  threads: .*/  threads: 1\n  monitor: loss/' "$tmp/run.yaml"
  cat <<YAML
sweep:
  dir: $tmp/hv-local
  method: halving
  min_epochs: 1
  eta: 2
  parallel: 1
  params:
    train.learning_rate: [0.002, 0.01, 0.05]
    network.activation: [tanh, relu]
YAML
} | sed "s|^data:|data:\n  validation: 20|" > "$tmp/hv-local.yaml"
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -c "$tmp/hv-local.yaml" 2>&1) || bad "local halving sweep failed: $out"
sed "s|dir: $tmp/hv-local|dir: $tmp/hv-3|" "$tmp/hv-local.yaml" > "$tmp/hv-3.yaml"
out=$(bounded "$TEST_RUN_LIMIT" "${MPI[@]}" -np 3 "$NNTRAIN" -c "$tmp/hv-3.yaml" 2>&1) \
    || bad "mpirun -np 3 halving sweep failed: $out"
[ "$(grep -c '^sweep: successive halving spent' <<<"$out")" = 1 ] && ok || bad "-np 3 halving: not one summary: $out"
if cmp -s <(sed 's/,[^,]*$//' "$tmp/hv-local/results.csv") <(sed 's/,[^,]*$//' "$tmp/hv-3/results.csv") &&
   cmp -s "$tmp/hv-local/best.yaml" <(sed "s|$tmp/hv-3|$tmp/hv-local|g" "$tmp/hv-3/best.yaml"); then
    ok; echo "halving sweep of 6 trials on mpirun -np 3: results.csv (times aside) and best.yaml identical to the local sweep's"
else
    bad "-np 3 halving: results or best.yaml differ from the local sweep's: $(cat "$tmp/hv-3/results.csv")"
fi

# --- halving killed under mpirun, then run again: the uninterrupted sweep's table ------
# A longer sweep than the one above, so that a signal lands mid-sweep: write_set's
# 100 examples ten times over (100 held out), a 4-256-256-2 network, rungs of 1,
# 2, 4, 8, 16, 32 and 64 epochs (eta 2), 71 epochs in all. Run once uninterrupted in one
# process; then under mpirun -np 3, stopped, and run again with the same command:
#   - SIGKILL to mpirun once a trial has recorded rung 1. Nothing is passed on; each
#     rank gets SIGTERM as its parent dies (PR_SET_PDEATHSIG, src/mpi_ranks.c), and
#     its trials as it dies (src/sweep.c);
#   - SIGINT to mpirun (Ctrl-C) once the trials have started. Open MPI 4.1's mpirun
#     sends the ranks SIGCONT at once but SIGTERM only about a second later, then
#     SIGKILL; the sweep goes on meanwhile.
# Either way no process of the job may be left (bounded wait), the kill must have
# landed before the end (no results.csv), the rerun must run the segments not
# recorded, and end with the same results.csv (seconds aside), best.yaml and
# winner's model as the uninterrupted run. (A machine fast enough to end the sweep
# within mpirun's second leaves the SIGINT case untested, and says so.)
d10=$tmp/data10
mkdir -p "$d10"
{ printf '\x00\x00\x08\x03'; be32 1000; be32 2; be32 2
  for i in 1 2 3 4 5 6 7 8 9 10; do tail -c +17 "$tmp/data/images.idx"; done; } > "$d10/images.idx"
{ printf '\x00\x00\x08\x01'; be32 1000
  for i in 1 2 3 4 5 6 7 8 9 10; do tail -c +9 "$tmp/data/labels.idx"; done; } > "$d10/labels.idx"
sed "s|dir: $tmp/data\$|dir: $d10|; s|validation: 20|validation: 100|; s|^  epochs: .*|  epochs: 64|
     s|sizes: \[4, 32, 32, 2\]|sizes: [4, 256, 256, 2]|; s|dir: $tmp/hv-local|dir: $tmp/hk-local|" \
    "$tmp/hv-local.yaml" > "$tmp/hk-local.yaml"
grep -q "dir: $d10" "$tmp/hk-local.yaml" && grep -q 'sizes: \[4, 256, 256, 2\]' "$tmp/hk-local.yaml" \
    && ok || bad "hk-local.yaml: $(cat "$tmp/hk-local.yaml")"
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/hk-local.yaml" 2>&1) || bad "uninterrupted halving sweep failed: $out"
hk_spent=$(grep -o 'spent [0-9]* epochs of the [0-9]*' <<<"$out")
hk_segs=$(sed -n 's/^sweep: 6 trials (\([0-9]*\) rung segments run now).*/\1/p' <<<"$out")
[ -n "$hk_spent" ] && [ -n "$hk_segs" ] && ok || bad "uninterrupted halving sweep: no summary: $out"
hk_win=$(sed -n '2s/^1,\([0-9]*\),.*/\1/p' "$tmp/hk-local/results.csv")
hk_win=trial-$(printf %03d "$hk_win")
# Any process of the sweep: mpirun, the ranks, their trials (forks: the same command line).
hk_procs() { pgrep -f -- "-c $1.yaml" 2>/dev/null; }
cleanup_hooks="$cleanup_hooks; kill -9 \$(pgrep -f -- '-c $tmp/hk-') 2>/dev/null"
for sig in KILL INT; do
    d=$tmp/hk-$sig
    sed "s|dir: $tmp/hk-local|dir: $d|" "$tmp/hk-local.yaml" > "$d.yaml"
    [ "$sig" = KILL ] && mark='trial-*/rung-1.csv' || mark='trial-*/config.yaml'
    "${MPI[@]}" -np 3 "$NNTRAIN" -q -c "$d.yaml" >"$d.out" 2>&1 &
    job=$!
    # Waits for the mark at most TEST_CALL_LIMIT s, polling every 20 ms.
    for ((i = 0; i < TEST_CALL_LIMIT * 50; i++)); do
        compgen -G "$d/$mark" >/dev/null && break
        kill -0 "$job" 2>/dev/null || break
        sleep 0.02
    done
    compgen -G "$d/$mark" >/dev/null || bad "SIG$sig: no $mark after $TEST_CALL_LIMIT s: $(cat "$d.out")"
    t0=$(date +%s%N)
    kill "-$sig" "$job" 2>/dev/null
    wait_job >/dev/null 2>&1; rc=$?
    job=
    # Then every process of the job must end on its own (bounded).
    for ((i = 0; i < TEST_CALL_LIMIT * 50; i++)); do
        [ -z "$(hk_procs "$d")" ] && break
        sleep 0.02
    done
    ms=$((($(date +%s%N) - t0) / 1000000))
    if [ -z "$(hk_procs "$d")" ]; then
        ok
    else
        bad "SIG$sig to mpirun: processes of the job still run after $TEST_CALL_LIMIT s: $(pgrep -af -- "-c $d.yaml")"
        kill -9 $(hk_procs "$d") 2>/dev/null
    fi
    recorded=$(ls "$d"/trial-*/rung-*.csv 2>/dev/null | sed 's|.*/trial-0*\([0-9]*\)/rung-\([0-9]*\)\.csv|\1:\2|' | paste -sd' ' -)
    n_recorded=$(wc -w <<<"$recorded")
    if [ -e "$d/results.csv" ]; then
        if [ "$sig" = KILL ]; then
            bad "SIGKILL to mpirun once rung 1 was recorded: the sweep still ended (rc $rc)"
        else
            echo "SIGINT to mpirun: the sweep ended (rc $rc) before mpirun passed the signal on: interrupt and resume not tested"
        fi
        continue
    fi
    [ "$rc" != 0 ] && ok || bad "SIG$sig to mpirun: exit 0 without results.csv"
    out=$(bounded "$TEST_RUN_LIMIT" "${MPI[@]}" -np 3 "$NNTRAIN" -q -c "$d.yaml" 2>&1) \
        || bad "SIG$sig, then the same command again: failed: $out"
    grep -q "$hk_spent" <<<"$out" && ok || bad "SIG$sig, then again: not '$hk_spent': $out"
    segs=$(sed -n 's/^sweep: 6 trials (\([0-9]*\) rung segments run now).*/\1/p' <<<"$out")
    # Each recorded rung is a segment not run again; one under way counts once,
    # resumed from its checkpoint or started again.
    [ "$segs" = $((hk_segs - n_recorded)) ] && ok \
        || bad "SIG$sig, then again: ran ${segs:-?} rung segments, not the $hk_segs of the whole sweep less the $n_recorded recorded: $out"
    if cmp -s <(sed 's/,[^,]*$//' "$tmp/hk-local/results.csv") <(sed 's/,[^,]*$//' "$d/results.csv") &&
       cmp -s "$tmp/hk-local/best.yaml" <(sed "s|$d|$tmp/hk-local|g" "$d/best.yaml") &&
       cmp -s "$tmp/hk-local/$hk_win/model" "$d/$hk_win/model"; then
        ok; echo "halving sweep under mpirun -np 3, SIG$sig to mpirun with rungs [trial:rung] $recorded" \
                 "recorded, every process gone $ms ms later; run again ($segs of $hk_segs segments):" \
                 "results.csv (seconds aside), best.yaml and the winner's model identical to the uninterrupted run's"
    else
        bad "SIG$sig, then again: results.csv, best.yaml or $hk_win/model differ from the uninterrupted run's:" \
            "$(cat "$d/results.csv")"
    fi
done

finish
