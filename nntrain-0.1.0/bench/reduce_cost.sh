#!/usr/bin/env bash
# reduce_cost.sh: the ordered cross-rank sum against MPI_Allreduce, in an
# MPI build.
#
#   bench/reduce_cost.sh REDUCE_BENCH [K] [REPS] [N ...]
#
# Runs REDUCE_BENCH (make bench/reduce_bench) under mpirun --oversubscribe
# --bind-to none for R = 2, 3, 4 ranks (RANKS, environment), with K shard
# buffers (default 4) and REPS timed calls (default 30) of each contender
# per size, for the sizes N (default the bench networks' parameter counts);
# ROUNDS times (default 3), the rank counts alternating. Prints one
# Markdown table: per rank count and size, the median over the rounds of
# each contender's median time per call, GB/s (N x 4 bytes / that time),
# the chain's time over MPI_Allreduce's, and whether every result of every
# round was bitwise the one-process reduce_sum (see bench/reduce_bench.c).
set -euo pipefail
BENCH=${1:?usage: bench/reduce_cost.sh REDUCE_BENCH [K] [REPS] [N ...]}
K=${2:-4}
REPS=${3:-30}
shift $(($# < 3 ? $# : 3))
RANKS=${RANKS:-2 3 4}
ROUNDS=${ROUNDS:-3}
# Open MPI refuses root unless told; this machine only.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for ((i = 1; i <= ROUNDS; i++)); do
    for r in $RANKS; do
        mpirun --oversubscribe --bind-to none -np "$r" "$BENCH" -k "$K" -r "$REPS" "$@" | grep -v '^#' >>"$tmp"
    done
done

lscpu | sed -n 's/^Model name: *//p' | head -1
echo "$(nproc) cores, K = $K shards a call; median over $ROUNDS rounds of the median of $REPS calls (contenders alternating)"
echo "| ranks | n | chain us | chain GB/s | Allreduce us | Allreduce GB/s | chain / Allreduce | local sum us | Bcast alone us | chain bitwise | Allreduce bitwise | Allreduce max abs diff | Allreduce same on all ranks |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |"
# Lines: ranks n k contender median_us GB/s bitwise same_all max_abs_diff.
awk '
    function median(key,    n, i, j, x, a) {
        n = cnt[key]
        for (i = 1; i <= n; i++) a[i] = val[key, i]
        for (i = 2; i <= n; i++)  # insertion sort: a handful of rounds
            for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    {
        cell = $1 " " $2
        if (!(cell in seen)) { seen[cell] = 1; order[++cells] = cell }
        key = cell " " $4
        val[key, ++cnt[key]] = $5
        if ($7 == "no") bad[key] = 1
        if ($8 == "no") split_[key] = 1
        if ($9 + 0 > diff[key] + 0) diff[key] = $9
    }
    END {
        for (i = 1; i <= cells; i++) {
            cell = order[i]; split(cell, f, " ")
            c = median(cell " chain"); a = median(cell " allreduce")
            printf "| %d | %d | %.0f | %.2f | %.0f | %.2f | %.2fx | %.0f | %.0f | %s | %s | %g | %s |\n",
                   f[1], f[2], c, f[2] * 4 / c / 1e3, a, f[2] * 4 / a / 1e3, c / a,
                   median(cell " local"), median(cell " bcast"),
                   (cell " chain") in bad ? "no" : "yes", (cell " allreduce") in bad ? "no" : "yes",
                   diff[cell " allreduce"] + 0, (cell " allreduce") in split_ ? "no" : "yes"
        }
    }' "$tmp"
