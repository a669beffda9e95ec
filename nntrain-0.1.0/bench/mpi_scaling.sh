#!/usr/bin/env bash
# mpi_scaling.sh: ranks x threads for one training config, in an MPI build.
#
#   bench/mpi_scaling.sh NNTRAIN [CONFIG] [REPEATS]
#
# Runs CONFIG (default bench/configs/d.yaml, 784-1024-1024-10) in shards
# mode with SHARDS shards (environment, default 16), for every (ranks,
# threads a rank) whose product is at most the machine's cores, plus one process without mpirun; the contenders
# alternate, REPEATS rounds (default 3), and the table gives each one's
# median examples/s (the metrics file's best epoch) and whether its model
# file equals the single-process one (it must: see README.md, "Running
# across machines"). Jobs of 2 ranks or more run twice, with train.overlap
# true and false. Nothing else should run beside it.
set -euo pipefail
NNTRAIN=${1:?usage: bench/mpi_scaling.sh NNTRAIN [CONFIG] [REPEATS]}
CONFIG=${2:-$(dirname "$0")/configs/d.yaml}
REPEATS=${3:-3}
cores=${CORES:-$(nproc)}  # CORES=8 on a bigger machine, or to oversubscribe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
SHARDS=${SHARDS:-16}
COMMON=(-q -c "$CONFIG" -s train.reduce=shards -s train.shards=$SHARDS -s train.epochs=${EPOCHS:-2}
        -s data.train_limit=${LIMIT:-20000})

runs=("1 0 -")  # "ranks threads overlap"; ranks 1 with threads 0: plain nntrain, every core
for ((r = 1; r <= cores; r++)); do
    for ((t = 1; r * t <= cores; t++)); do
        if [ "$r" = 1 ]; then runs+=("1 $t -"); else runs+=("$r $t true" "$r $t false"); fi
    done
done

one() {  # one RANKS THREADS OVERLAP ROUND: examples/s of the best epoch
    local r=$1 t=$2 ov=$3 i=$4 out=$tmp/$1x$2$3.$4
    if [ "$t" = 0 ]; then
        "$NNTRAIN" "${COMMON[@]}" -s train.threads=0 -s output.metrics="$out.csv" -s output.model="$out.model" >/dev/null
    else
        mpirun --oversubscribe --bind-to none -np "$r" "$NNTRAIN" "${COMMON[@]}" -s train.threads="$t" \
            $([ "$ov" = - ] || echo "-s train.overlap=$ov") \
            -s output.metrics="$out.csv" -s output.model="$out.model" >/dev/null
    fi
    awk -F, 'NR > 1 && $6 > m { m = $6 } END { print m }' "$out.csv"
}

for ((i = 1; i <= REPEATS; i++)); do
    for run in "${runs[@]}"; do
        read -r r t ov <<<"$run"
        one "$r" "$t" "$ov" "$i" >>"$tmp/$r-$t$ov.speeds"
    done
done

lscpu | sed -n 's/^Model name: *//p' | head -1
echo "config $CONFIG, $SHARDS shards, ${LIMIT:-20000} examples x ${EPOCHS:-2} epochs, median of $REPEATS (alternating)"
echo "| ranks | threads a rank | overlap | examples/s (median) | model = 1 process |"
echo "| --- | ---: | --- | ---: | --- |"
for run in "${runs[@]}"; do
    read -r r t ov <<<"$run"
    med=$(sort -n "$tmp/$r-$t$ov.speeds" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    same=yes
    cmp -s "$tmp/$r"x"$t$ov.1.model" "$tmp/1x0-.1.model" || same=NO
    label=$r; [ "$t" = 0 ] && { label="1 (no mpirun)"; t=all; }
    echo "| $label | $t | $ov | $med | $same |"
done
