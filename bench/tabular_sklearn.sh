#!/usr/bin/env bash
# bench/tabular_sklearn.sh [NNTRAIN_BINARY]: nntrain against scikit-learn's
# MLPClassifier/MLPRegressor on tables, side by side, medians of RUNS runs.
# Not part of make check. See bench/README.md, "Tables".
#
# Data sets: configs/tabular/{iris,wine,breast_cancer,digits,diabetes}.yaml
# (their network.hidden, learning_rate, batch_size, epochs; data/tabular/*.csv
# from ./setup.sh), each split once into NAME-train.csv / NAME-test.csv (20%
# test, seeded permutation, lines copied byte for byte), and MNIST written as
# CSV (bench/csv_gen.c: 60,000 x 785 training rows, 10,000 test rows from the
# t10k files; bench/configs/tabular_mnist.yaml). Both contenders read the
# same two files. Nothing is written into the repository: the CSVs, models and
# logs go to $TAB_BENCH_DIR.
#
# Per data set, RUNS rounds (seed = round number, for both), contenders
# alternating in each round: the nntrain VARIANTS (default "t0 t0p t1":
# train.threads=0, i.e. every core; the same under OMP_WAIT_POLICY=passive,
# which a shared machine needs, see bench/README.md; train.threads=1), then
# scikit-learn. nntrain's time is its whole
# process (start, CSV reading, standardisation, training, test evaluation,
# model saving), timed from outside; scikit-learn's is pandas.read_csv of the
# training file plus Pipeline.fit (StandardScaler + MLP; regression:
# TransformedTargetRegressor with a StandardScaler on the target), float32.
#
# Environment: RUNS (default 3), VARIANTS, SETS (default "iris wine breast_cancer
# digits diabetes mnist"), TAB_BENCH_DIR (default /tmp/nntrain-tabbench),
# NNTRAIN_DATA (default ./data), NNTRAIN_KERNELS (the path to measure;
# default nntrain's own choice). scikit-learn's numpy runs the OpenMP
# OpenBLAS (LD_LIBRARY_PATH), its core forced to the width of nntrain's
# path as bench/run.sh does (avx512: SkylakeX, avx2: Haswell), 2 threads.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
nntrain=${1:-$root/nntrain}
case $nntrain in /*) ;; *) nntrain=$PWD/$nntrain ;; esac
[ -x "$nntrain" ] || { echo "tabular_sklearn: $nntrain: no such executable (build first)" >&2; exit 1; }
build=$(dirname "$nntrain")
runs=${RUNS:-3}
sets=${SETS:-iris wine breast_cancer digits diabetes mnist}
variants=${VARIANTS:-t0 t0p t1}
dir=${TAB_BENCH_DIR:-/tmp/nntrain-tabbench}
data=${NNTRAIN_DATA:-$root/data}
py=/usr/bin/python3
helper=$here/tabular_sklearn.py
mkdir -p "$dir"
cd "$root"

version=$("$nntrain" --version)
kernels=$(sed -n 's/.*(kernels: \([^;)]*\)[;)].*/\1/p' <<<"$version")
export NNTRAIN_KERNELS=$kernels
case $kernels in
avx512) core=SkylakeX ;;
avx2) core=Haswell ;;
*) core= ;;
esac
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
openblas_dir=/usr/lib/$multiarch/openblas-openmp
[ -e "$openblas_dir/libblas.so.3" ] || { echo "tabular_sklearn: $openblas_dir missing: apt-get install libopenblas0-openmp" >&2; exit 1; }
sk_env=(env -u OPENBLAS_L2_SIZE -u OPENBLAS_CORETYPE "LD_LIBRARY_PATH=$openblas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
[ -z "$core" ] || sk_env+=("OPENBLAS_CORETYPE=$core")

# ---- data --------------------------------------------------------------------
for name in $sets; do
    if [ "$name" = mnist ]; then
        if [ ! -s "$dir/mnist-test.csv" ]; then
            gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$root/include" -o "$dir/csv_gen" \
                "$here/csv_gen.c" "$build/.libs/libnntrain_core.a" -lz -lm
            "$dir/csv_gen" mnist "$data/mnist/train-images-idx3-ubyte.gz" \
                "$data/mnist/train-labels-idx1-ubyte.gz" "$dir/mnist-train.csv"
            "$dir/csv_gen" mnist "$data/mnist/t10k-images-idx3-ubyte.gz" \
                "$data/mnist/t10k-labels-idx1-ubyte.gz" "$dir/mnist-test.csv"
        fi
    else
        [ -s "$data/tabular/$name.csv" ] || { echo "tabular_sklearn: $data/tabular/$name.csv missing: ./setup.sh" >&2; exit 1; }
        [ -s "$dir/$name-test.csv" ] || "$py" "$helper" split "$data/tabular/$name.csv" "$dir" "$name" 1
    fi
done

# ---- runs ----------------------------------------------------------------------
results=$dir/results.txt
: >"$results"
{
    echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1), family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p' | head -1), $(nproc) CPUs"
    echo "nntrain $version"
    echo "sklearn env ${sk_env[*]}"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$dir/meta.txt"
for name in $sets; do
    if [ "$name" = mnist ]; then
        config=bench/configs/tabular_mnist.yaml
    else
        config=configs/tabular/$name.yaml
    fi
    read -r label task hidden lr batch epochs <<<"$("$py" "$helper" params "$config")"
    echo "== $name: $task on '$label', hidden $hidden, adam lr $lr, batch $batch, $epochs epochs; load $(cut -d' ' -f1-3 /proc/loadavg)"
    for ((rep = 1; rep <= runs; rep++)); do
        for v in $variants; do
            case $v in
            t0) t=0 wait=() ;;
            t0p) t=0 wait=(OMP_WAIT_POLICY=passive) ;;
            t1) t=1 wait=() ;;
            *) echo "tabular_sklearn: unknown variant $v (t0 t0p t1)" >&2; exit 1 ;;
            esac
            model=$dir/$name.$v.model
            line=$(env "${wait[@]}" "$py" "$helper" nntrain --task "$task" --model "$model" --test "$dir/$name-test.csv" \
                --label "$label" "$nntrain" -c "$config" -s "data.dir=$dir" -s "data.train=$name-train.csv" \
                -s "data.test=$name-test.csv" -s "train.seed=$rep" -s "train.threads=$t" \
                -s "output.model=$model" -s "output.metrics=")
            echo "$name nntrain-$v $rep ${line#nntrain } load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$results"
        done
        line=$("${sk_env[@]}" "$py" "$helper" sklearn --train "$dir/$name-train.csv" --test "$dir/$name-test.csv" \
            --label "$label" --task "$task" --hidden "$hidden" --lr "$lr" --batch "$batch" \
            --epochs "$epochs" --seed "$rep")
        echo "$name sklearn $rep ${line#sklearn } load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$results"
    done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$dir/meta.txt"
"$py" "$helper" summary "$results" "$dir/summary.md"
