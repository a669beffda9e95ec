#!/usr/bin/env bash
# bench/halving.sh NNTRAIN_BINARY: successive halving and Hyperband against
# the full sweep, side by side, on MNIST (data in mnist/, as ./setup.sh
# leaves it):
#   grid    configs/sweep-mnist.yaml: 24 trials of 5 epochs
#   random  bench/configs/sweep-random.yaml: 27 random draws of 9 epochs
# each as the full sweep, as halving (min_epochs 1, eta 3; the grid also with
# eta 5) and as hyperband (min_epochs 1, eta 3). Prints, for each: the best
# trial's validation accuracy, the epochs trained, the wall time, and the
# idle core-seconds at the rung barriers (measured from each rung's start and
# end times), then bench/halving_sim.py's replay of the full sweep's own
# epochs on 2, 4, 8 and 16 workers under synchronous rungs and under
# unordered ASHA (the cost of determinism in idle cores). Wall time depends on what else the machine
# runs: run nothing heavy beside it. Env: BENCH_OUT (runs/bench-halving),
# BENCH_CASES ("grid random").
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bench/halving.sh NNTRAIN_BINARY" >&2; exit 1; }
nntrain=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${BENCH_OUT:-runs/bench-halving}
cases=${BENCH_CASES:-grid random}
mkdir -p "$out"

# variant CASE NAME METHOD-LINES...: the case's config with its sweep's dir
# and method replaced (the sweep: section is the file's last).
variant() {
    local c=$1 name=$2 src
    shift 2
    case $c in grid) src=configs/sweep-mnist.yaml ;; random) src=bench/configs/sweep-random.yaml ;; esac
    awk -v dir="$out/$c-$name" -v extra="$*" '
        /^  dir: / && in_sweep { print "  dir: " dir; next }
        /^  method: / && in_sweep { if (extra != "") { n = split(extra, l, ";"); for (i = 1; i <= n; i++) print "  " l[i] } else print; next }
        /^sweep:/ { in_sweep = 1 }
        { print }' "$src" > "$out/$c-$name.yaml"
}

printf '%-7s %-18s %9s %7s %8s %10s\n' case method "best val" epochs "wall s" "idle core-s"
for c in $cases; do
    full=grid
    [ "$c" = random ] && full=random
    variant "$c" full ""
    variant "$c" halving "method: halving;min_epochs: 1;eta: 3;samples_keep"
    variant "$c" hyperband "method: hyperband;min_epochs: 1;eta: 3;samples_keep"
    names="full halving hyperband"
    if [ "$c" = grid ]; then
        variant "$c" halving-eta5 "method: halving;min_epochs: 1;eta: 5;samples_keep"
        names="full halving halving-eta5 hyperband"
    fi
    # A random sweep keeps its samples (halving draws them when samples is
    # given); the grid has none: drop the placeholder.
    sed -i '/^  samples_keep$/d' "$out/$c"-*.yaml
    for m in $names; do
        rm -rf "${out:?}/$c-$m"
        t0=$(date +%s.%N)
        "$nntrain" -q -c "$out/$c-$m.yaml" > "$out/$c-$m.log" 2>&1
        t1=$(date +%s.%N)
        python3 bench/halving_sim.py summary "$out/$c-$m" "$c" "$m" "$t0" "$t1"
    done
    for cores in 2 4 8 16; do
        python3 bench/halving_sim.py replay "$out/$c-full" 3 1 "$cores"
    done
done
