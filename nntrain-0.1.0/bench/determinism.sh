#!/usr/bin/env bash
# bench/determinism.sh NNTRAIN_BINARY: what bitwise reproducibility across
# thread counts costs. Runs bench cases c and d (see bench/README.md) with
#   fused              train.reduce=fused (deterministic; the default)
#   shards             train.reduce=shards, deterministic (auto shard count)
#   shards-per-thread  train.reduce=shards, deterministic=false: one gradient
#                      buffer per thread, the usual non-deterministic shape
# at 1 and 2 threads, alternating the three in every repeat, and prints the
# median examples/s of each. Env: BENCH_REPEATS (3), BENCH_EPOCHS (2),
# BENCH_CASES ("c d"), BENCH_LIMIT_D (20000).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bench/determinism.sh NNTRAIN_BINARY" >&2; exit 1; }
nntrain=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repeats=${BENCH_REPEATS:-3} epochs=${BENCH_EPOCHS:-2} cases=${BENCH_CASES:-c d}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

modes=(fused shards shards-per-thread)
mode_args() {
    case $1 in
    fused) echo "-s train.reduce=fused" ;;
    shards) echo "-s train.reduce=shards" ;;
    shards-per-thread) echo "-s train.reduce=shards -s train.deterministic=false" ;;
    esac
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

printf '%-5s %-7s %-18s %12s %9s\n' case threads mode "ex/s" "vs fused"
for c in $cases; do
    limit=0
    [ "$c" = d ] && limit=${BENCH_LIMIT_D:-20000}
    for t in 1 2; do
        for r in $(seq "$repeats"); do
            for m in "${modes[@]}"; do
                # shellcheck disable=SC2046
                "$nntrain" -q -c "bench/configs/$c.yaml" $(mode_args "$m") -s train.threads="$t" \
                    -s train.epochs="$epochs" -s data.train_limit="$limit" \
                    -s output.metrics="$tmp/$c-$t-$m-$r.csv" >/dev/null
            done
        done
        fused=
        for m in "${modes[@]}"; do
            v=$(tail -q -n +2 "$tmp/$c-$t-$m-"*.csv | cut -d, -f6 | median)
            [ -n "$fused" ] || fused=$v
            printf '%-5s %-7s %-18s %12.0f %8.2fx\n' "$c" "$t" "$m" "$v" "$(awk -v a="$v" -v b="$fused" 'BEGIN {print a / b}')"
        done
    done
done
