#!/usr/bin/env bash
# bench/tabular_torch.sh [NNTRAIN_BINARY]: training throughput on a table,
# nntrain against PyTorch (on OpenBLAS), alternating, medians. Not part of
# make check. See bench/README.md, "Tables".
#
# Data: a 1,000,000 x 50 synthetic regression written by
# bench/tabular_torch.py gen as uncompressed .npz (X float32, y float32),
# plus a 10,000-row test file, into $TAB_BENCH_DIR (never committed).
# Network 50-256-256-1, relu, linear output, MSE (nntrain: quadratic cost),
# Adam lr 0.001, batch 256, 2 threads, float32, on both sides
# (bench/configs/tabular_reg.yaml; bench/tabular_torch.py train).
#
# For each kernel path in PATHS (default "avx512 avx2"): RUNS rounds of
# nntrain (NNTRAIN_KERNELS=path) then torch (OPENBLAS_CORETYPE forced to the
# same width: avx512 -> SkylakeX, avx2 -> Haswell, as bench/run.sh does),
# EPOCHS epochs each; the figure is the median examples/s over the epochs
# after the first of every run (nntrain: the "ex/s" of its epoch lines;
# torch: examples_per_s of its epoch lines; both time the training loop
# only).
#
# Environment: RUNS (3), EPOCHS (3), PATHS, ROWS (1000000: the file),
# LIMIT (0: train on the first LIMIT rows of it each epoch, both sides:
# nntrain data.train_limit, torch --limit; 0 = all), THREADS (a list,
# default "2"), WAIT (OMP_WAIT_POLICY for both contenders, default
# "passive"; empty: unset, libgomp's spinning default, which collapses on a
# shared machine: see bench/README.md), TAB_BENCH_DIR (default
# /tmp/nntrain-tabbench).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
nntrain=${1:-$root/nntrain}
case $nntrain in /*) ;; *) nntrain=$PWD/$nntrain ;; esac
[ -x "$nntrain" ] || { echo "tabular_torch: $nntrain: no such executable (build first)" >&2; exit 1; }
runs=${RUNS:-3}
epochs=${EPOCHS:-3}
paths=${PATHS:-avx512 avx2}
rows=${ROWS:-1000000}
threads_list=${THREADS:-2}
limit=${LIMIT:-0}
wait_policy=${WAIT-passive}
wait=()
[ -z "$wait_policy" ] || wait=(OMP_WAIT_POLICY="$wait_policy")
dir=${TAB_BENCH_DIR:-/tmp/nntrain-tabbench}
py=/usr/bin/python3
mkdir -p "$dir"
cd "$root"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
openblas_dir=/usr/lib/$multiarch/openblas-openmp
if ! "$py" -c "import torch" 2>/dev/null || [ ! -e "$openblas_dir/libblas.so.3" ]; then
    { echo "tabular_torch: needs python3-torch and libopenblas0-openmp (apt-get install)" >&2; exit 1; }
fi
stamp=$dir/reg.rows
if [ "$(cat "$stamp" 2>/dev/null)" != "$rows" ]; then
    "$py" "$here/tabular_torch.py" gen "$rows" 50 "$dir"
    echo "$rows" >"$stamp"
fi
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "tabular_torch.sh: $(date -u '+%Y-%m-%d %H:%M UTC'); $(lscpu | sed -n 's/^Model name: *//p' | head -1), family $(lscpu | sed -n 's/^CPU family: *//p'), $(nproc) CPUs; $rows x 50, 50-256-256-1, batch 256, threads $threads_list, ${limit:-0} rows/epoch (0 = all), OMP_WAIT_POLICY=${wait_policy:-unset}, $runs runs x $epochs epochs; load $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in $threads_list; do
for path in $paths; do
    case $path in
    avx512) core=SkylakeX ;;
    avx2) core=Haswell ;;
    *) echo "tabular_torch: path $path: no OpenBLAS core to match" >&2; exit 2 ;;
    esac
    got=$(NNTRAIN_KERNELS=$path "$nntrain" --version | sed -n 's/.*(kernels: \([^;)]*\)[;)].*/\1/p')
    [ "$got" = "$path" ] || { echo "tabular_torch: nntrain cannot run kernels $path (got '$got')" >&2; exit 2; }
    tag=$path.t$threads
    : >"$dir/$tag.nntrain.rates"
    : >"$dir/$tag.torch.rates"
    for ((rep = 1; rep <= runs; rep++)); do
        log=$dir/$tag.nntrain.$rep.log
        env "${wait[@]}" NNTRAIN_KERNELS="$path" "$nntrain" -c bench/configs/tabular_reg.yaml -s "data.dir=$dir" \
            -s "train.epochs=$epochs" -s "train.threads=$threads" -s "train.seed=$rep" -s "data.train_limit=$limit" >"$log" 2>&1
        grep -q "kernels $path" "$log" || { echo "tabular_torch: nntrain did not run $path: $log" >&2; exit 1; }
        awk '$1 == "epoch" { split($2, e, "/"); if (e[1] > 1) for (i = 3; i < NF; i++) if ($(i + 1) == "ex/s") print $i }' \
            "$log" | tee -a "$dir/$tag.nntrain.rates" >"$dir/r"
        nn=$(median <"$dir/r")
        log=$dir/$tag.torch.$rep.log
        env -u OPENBLAS_L2_SIZE "${wait[@]}" LD_LIBRARY_PATH="$openblas_dir" OPENBLAS_CORETYPE=$core OMP_NUM_THREADS="$threads" \
            "$py" "$here/tabular_torch.py" train --data "$dir/reg-train.npz" --test "$dir/reg-test.npz" \
            --threads "$threads" --epochs "$epochs" --seed "$rep" --limit "$limit" >"$log" 2>&1
        grep -q "corename=$core" "$log" || { echo "tabular_torch: torch's OpenBLAS did not run $core: $log" >&2; exit 1; }
        awk '$1 == "epoch" && $2 > 1 { print $4 }' "$log" | tee -a "$dir/$tag.torch.rates" >"$dir/r"
        to=$(median <"$dir/r")
        cpw=$(awk '$1 == "epoch" && $2 > 1 { printf "%s ", $NF }' "$log")
        echo "$tag run $rep: nntrain $nn ex/s, torch $to ex/s (torch cpu_per_wall $cpw); load $(cut -d' ' -f1 /proc/loadavg)"
    done
    nn=$(median <"$dir/$tag.nntrain.rates")
    to=$(median <"$dir/$tag.torch.rates")
    echo "$path, $threads threads: nntrain $nn ex/s, torch $to ex/s (OpenBLAS $core), nntrain/torch $(awk -v a="$nn" -v b="$to" 'BEGIN { printf "%.2f", a / b }')x; medians of $(wc -l <"$dir/$tag.nntrain.rates") and $(wc -l <"$dir/$tag.torch.rates") epochs"
    grep -h 'test_r2' "$dir/$tag.torch.$runs.log" 2>/dev/null | sed "s/^/$tag torch, last run: /" || true
done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
