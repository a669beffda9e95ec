#!/usr/bin/env bash
# bench/halving.sh NNTRAIN_BINARY: successive halving and Hyperband against
# the full sweep, side by side, on MNIST (data in mnist/, as ./setup.sh
# leaves it):
#   grid    configs/sweep-mnist.yaml: 24 trials (5 epochs each)
#   random  bench/configs/sweep-random.yaml: 27 random draws (9 epochs each)
# each as the full sweep, as halving and as hyperband (min_epochs 1, eta 3;
# the grid also as halving with eta 5). Prints, for each: the best trial's
# validation accuracy, the epochs trained (and their share of the full
# sweep's), the wall time, and the idle core-seconds at the rung barriers
# (measured from each rung's start and end times), then
# bench/halving_sim.py's replay of the full sweep's own epochs on 2, 4, 8
# and 16 workers under synchronous rungs and under unordered ASHA (the cost
# of determinism in idle cores). Wall time depends on what else the machine
# runs: run nothing heavy beside it.
#
# The budget (bench/README.md), from the environment; unset, today's:
#   BENCH_EPOCHS   train.epochs of every sweep of every case, the full
#                  sweeps too, so that they compare at the same budget
#                  (default: each config's own, 5 for grid, 9 for random)
#   BENCH_MIN, BENCH_ETA   min_epochs and eta of halving and hyperband
#                  (default 1 and 3); per method: BENCH_HALVING_MIN,
#                  BENCH_HALVING_ETA, BENCH_HYPERBAND_MIN, BENCH_HYPERBAND_ETA
#   BENCH_EXTRA_ETA  the grid also as halving with this eta (default 5;
#                  empty: no extra run)
#   BENCH_PRESET=third  train.epochs 16, min_epochs 1, eta 4 for both
#                  methods, no extra run: the budget where Hyperband, with
#                  the paper's bracket sizes, spends under a third of the
#                  full sweep's epochs (plan: hyperband 120 of 384 = 31% on
#                  the grid, 129 of 432 = 30% on random; halving 54 = 14%
#                  and 57 = 13%). The variables above still override it.
#   BENCH_TRAIN_LIMIT  data.train_limit of every sweep: the first N MNIST
#                  training examples (N above 5000: the 5000 held out come
#                  from them), for a quick smoke run; unset: all 60000
#   BENCH_OUT (runs/bench-halving), BENCH_CASES ("grid random").
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bench/halving.sh NNTRAIN_BINARY" >&2; exit 1; }
nntrain=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${BENCH_OUT:-runs/bench-halving}
cases=${BENCH_CASES:-grid random}
case ${BENCH_PRESET:-} in
    "") p_epochs= p_min=1 p_eta=3 p_extra=5 ;;
    third) p_epochs=16 p_min=1 p_eta=4 p_extra= ;;
    *) echo "bench/halving.sh: BENCH_PRESET: unknown preset '$BENCH_PRESET' (third, or unset)" >&2; exit 1 ;;
esac
epochs=${BENCH_EPOCHS-$p_epochs}
min=${BENCH_MIN:-$p_min}
eta=${BENCH_ETA:-$p_eta}
h_min=${BENCH_HALVING_MIN:-$min} h_eta=${BENCH_HALVING_ETA:-$eta}
b_min=${BENCH_HYPERBAND_MIN:-$min} b_eta=${BENCH_HYPERBAND_ETA:-$eta}
extra=${BENCH_EXTRA_ETA-$p_extra}
limit=${BENCH_TRAIN_LIMIT:-}
for v in epochs h_min h_eta b_min b_eta extra limit; do
    [[ ${!v} =~ ^[0-9]*$ ]] || { echo "bench/halving.sh: not a whole number: $v=${!v}" >&2; exit 1; }
done
mkdir -p "$out"

# variant CASE NAME METHOD-LINES...: the case's config with its sweep's dir
# and method replaced (the sweep: section is the file's last), train.epochs
# set to BENCH_EPOCHS and data.train_limit to BENCH_TRAIN_LIMIT when given.
variant() {
    local c=$1 name=$2 src
    shift 2
    case $c in grid) src=configs/sweep-mnist.yaml ;; random) src=bench/configs/sweep-random.yaml ;; esac
    awk -v dir="$out/$c-$name" -v extra="$*" -v epochs="$epochs" -v limit="$limit" '
        /^[a-z]/ { sec = $1 }
        sec == "sweep:" && /^  dir: / { print "  dir: " dir; next }
        sec == "sweep:" && /^  method: / { if (extra != "") { n = split(extra, l, ";"); for (i = 1; i <= n; i++) print "  " l[i] } else print; next }
        sec == "train:" && /^  epochs: / && epochs != "" { print "  epochs: " epochs; next }
        /^data:/ && limit != "" { print; print "  train_limit: " limit; next }
        { print }' "$src" > "$out/$c-$name.yaml"
}

echo "budget: train.epochs ${epochs:-of each config (grid 5, random 9)} for every sweep;" \
     "halving min_epochs $h_min eta $h_eta${extra:+ (grid also eta $extra)};" \
     "hyperband min_epochs $b_min eta $b_eta${limit:+; data.train_limit $limit (smoke run)}"
printf '%-7s %-18s %9s %7s %6s %8s %10s\n' case method "best val" epochs "%full" "wall s" "idle core-s"
for c in $cases; do
    full=grid
    [ "$c" = random ] && full=random
    variant "$c" full ""
    variant "$c" halving "method: halving;min_epochs: $h_min;eta: $h_eta;samples_keep"
    variant "$c" hyperband "method: hyperband;min_epochs: $b_min;eta: $b_eta;samples_keep"
    names="full halving hyperband"
    if [ "$c" = grid ] && [ -n "$extra" ]; then
        variant "$c" "halving-eta$extra" "method: halving;min_epochs: $h_min;eta: $extra;samples_keep"
        names="full halving halving-eta$extra hyperband"
    fi
    # A random sweep keeps its samples (halving draws them when samples is
    # given); the grid has none: drop the placeholder.
    sed -i '/^  samples_keep$/d' "$out/$c"-*.yaml
    full_epochs=
    for m in $names; do
        rm -rf "${out:?}/$c-$m"
        t0=$(date +%s.%N)
        if ! "$nntrain" -q -c "$out/$c-$m.yaml" > "$out/$c-$m.log" 2>&1; then
            echo "bench/halving.sh: $out/$c-$m.yaml failed; its log, $out/$c-$m.log, ends:" >&2
            tail -5 "$out/$c-$m.log" >&2
            exit 1
        fi
        t1=$(date +%s.%N)
        python3 bench/halving_sim.py summary "$out/$c-$m" "$c" "$m" "$t0" "$t1" "$full_epochs"
        # The full sweep's epochs: what the others are a share of.
        [ "$m" = full ] && full_epochs=$(python3 bench/halving_sim.py epochs "$out/$c-full")
    done
    for cores in 2 4 8 16; do
        python3 bench/halving_sim.py replay "$out/$c-full" "$h_eta" "$h_min" "$cores"
    done
done
