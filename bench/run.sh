#!/usr/bin/env bash
# bench/run.sh NNTRAIN_BINARY: nntrain against PyTorch (on OpenBLAS), side by
# side, on four MLPs at 1 and 2 threads. `make bench` runs it. See
# bench/README.md for what it measures and the environment variables.
set -euo pipefail

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: bench/run.sh NNTRAIN_BINARY   (e.g. bench/run.sh ./nntrain, or make bench)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

nntrain=$1
case $nntrain in
/*) ;;
*) nntrain=$PWD/$nntrain ;;
esac
[ -e "$nntrain" ] || die "nntrain binary '$1' not found: build it first (./configure && make)"
{ [ -f "$nntrain" ] && [ -x "$nntrain" ]; } || die "'$1' is not an executable file"

cd "$root"

# ---- settings --------------------------------------------------------------
epochs=${BENCH_EPOCHS:-3}
repeats=${BENCH_REPEATS:-3}
cases=${BENCH_CASES:-a b c d}
threads_list=${BENCH_THREADS:-1 2}
limit_d=${BENCH_LIMIT_D:-20000}
is_count() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ]; }
is_count "$epochs" 1 || die "BENCH_EPOCHS='$epochs' is not a positive integer"
is_count "$repeats" 1 || die "BENCH_REPEATS='$repeats' is not a positive integer"
is_count "$limit_d" 0 || die "BENCH_LIMIT_D='$limit_d' is not an integer >= 0"
for t in $threads_list; do
    is_count "$t" 1 || die "BENCH_THREADS: '$t' is not a positive integer"
done
[ -n "${threads_list// /}" ] || die "BENCH_THREADS is empty"

# Each case: network (as torch_mlp.py arguments; must match bench/configs/<case>.yaml).
case_args() {
    case $1 in
    a) echo "--sizes 784,30,10 --hidden sigmoid --output sigmoid --cost quadratic --batch 10 --lr 3.0" ;;
    b) echo "--sizes 784,16,16,10 --hidden sigmoid --output sigmoid --cost quadratic --batch 10 --lr 3.0" ;;
    c) echo "--sizes 784,128,10 --hidden relu --output softmax --cost cross_entropy --batch 64 --lr 0.1" ;;
    d) echo "--sizes 784,1024,1024,10 --hidden relu --output softmax --cost cross_entropy --batch 128 --lr 0.05" ;;
    *) return 1 ;;
    esac
}
case_limit() { # training examples per epoch, 0 = all
    case $1 in
    d) echo "$limit_d" ;;
    *) echo 0 ;;
    esac
}
for c in $cases; do
    case_args "$c" >/dev/null || die "BENCH_CASES: unknown case '$c' (known: a b c d)"
    [ -f "bench/configs/$c.yaml" ] || die "bench/configs/$c.yaml is missing"
done
[ -n "${cases// /}" ] || die "BENCH_CASES is empty"

# ---- data ----------------------------------------------------------------------
data_root=${NNTRAIN_DATA:-data}
case $data_root in
/*) ;;
*) data_root=$root/$data_root ;;
esac
data_dir=$data_root/mnist
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
    t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [ -f "$data_dir/$f" ] || die "MNIST file $data_dir/$f is missing: run ./setup.sh, or set NNTRAIN_DATA to the directory that holds mnist/"
done
# The configs say data.dir: mnist, which nntrain resolves against $NNTRAIN_DATA.
export NNTRAIN_DATA=$data_root

# ---- the peer: Debian's PyTorch on OpenBLAS -------------------------------------
py=/usr/bin/python3
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
[ -n "$multiarch" ] || multiarch=x86_64-linux-gnu
openblas_dir=/usr/lib/$multiarch/openblas-openmp

if ! "$py" -c 'import torch, numpy' >/dev/null 2>&1 || [ ! -e "$openblas_dir/libblas.so.3" ]; then
    say "installing the peer: python3-torch python3-numpy libopenblas0-openmp (apt-get)"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install python3-torch python3-numpy libopenblas0-openmp"
        sudo_cmd=(sudo)
    fi
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
        die "apt-get update failed"
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        python3-torch python3-numpy libopenblas0-openmp >&2 ||
        die "apt-get install python3-torch python3-numpy libopenblas0-openmp failed"
    "$py" -c 'import torch, numpy' >/dev/null 2>&1 || die "$py still cannot import torch and numpy"
    [ -e "$openblas_dir/libblas.so.3" ] || die "$openblas_dir/libblas.so.3 still missing"
fi

# Debian's torch calls sgemm_ from libblas.so.3, which the alternatives system
# may point at the slow reference BLAS. Putting the OpenMP OpenBLAS directory
# (its own libblas.so.3, liblapack.so.3 and libopenblas.so.0) first on
# LD_LIBRARY_PATH makes the torch command alone load OpenBLAS. On an AVX-512
# CPU, ask for OpenBLAS's AVX-512 kernels whatever the environment says (some
# export OPENBLAS_CORETYPE=Haswell: AVX2 only), and drop any L2 size override.
torch_env=(env)
avx512=0
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    avx512=1
    torch_env+=(-u OPENBLAS_L2_SIZE)
fi
torch_env+=("LD_LIBRARY_PATH=$openblas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
[ "$avx512" -eq 0 ] || torch_env+=(OPENBLAS_CORETYPE=SkylakeX)

# ---- work space -------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nntrain-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
raw=$tmp/raw
mkdir -p "$raw"
results=$root/bench/results
mkdir -p "$results"

# ---- FMA peak ------------------------------------------------------------------------
peak_file=$raw/peak.txt
: >"$peak_file"
if gcc -O2 -fopenmp bench/fma_peak.c -o "$tmp/fma_peak" 2>"$tmp/fma_peak.log"; then
    say "measuring the fp32 FMA peak (fma_peak $threads_list)"
    # shellcheck disable=SC2086 # one argument per thread count
    "$tmp/fma_peak" $threads_list >"$peak_file" || say "warning: fma_peak failed; no peak figures"
    sed 's/^/bench:   /' "$peak_file" | grep -v checksum >&2 || true
else
    say "warning: could not compile bench/fma_peak.c; no peak figures"
    sed 's/^/bench:   /' "$tmp/fma_peak.log" >&2
fi

# ---- one run of each ------------------------------------------------------------------
# Prints the examples_per_s column of nntrain's metrics CSV, one line per epoch.
metrics_rates() {
    awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == "examples_per_s") col = i; next }
        col && NF >= col && $col != "" { print $col }
        END { if (!col) exit 3 }
    ' "$1"
}

run_nntrain() { # case threads rep
    local c=$1 t=$2 rep=$3 limit log=$raw/$1.$2.nntrain.$3.log csv=$raw/$1.$2.nntrain.$3.csv
    local args=(-q -c "bench/configs/$c.yaml" -s "train.threads=$t" -s "train.epochs=$epochs"
        -s "output.metrics=$csv")
    limit=$(case_limit "$c")
    [ "$limit" -eq 0 ] || args+=(-s "data.train_limit=$limit")
    printf '%q ' "$nntrain" "${args[@]}" >"$log"
    printf '\n' >>"$log"
    if ! "$nntrain" "${args[@]}" >>"$log" 2>&1; then
        sed 's/^/bench:   /' "$log" >&2
        die "nntrain failed on case $c, $t thread(s) (output above)"
    fi
    [ -s "$csv" ] || die "nntrain wrote no metrics file $csv on case $c, $t thread(s)"
    metrics_rates "$csv" >"$raw/$c.$t.nntrain.$rep.rates" ||
        die "nntrain's metrics CSV has no examples_per_s column (header: $(head -n1 "$csv"))"
    [ -s "$raw/$c.$t.nntrain.$rep.rates" ] || die "nntrain's metrics CSV $csv has no epoch rows"
}

run_torch() { # case threads rep
    local c=$1 t=$2 rep=$3 limit log=$raw/$1.$2.torch.$3.log
    local args
    read -r -a args <<<"$(case_args "$c")"
    args+=(--threads "$t" --epochs "$epochs" --data "$data_dir")
    limit=$(case_limit "$c")
    [ "$limit" -eq 0 ] || args+=(--limit "$limit")
    if ! "${torch_env[@]}" OMP_NUM_THREADS="$t" "$py" bench/torch_mlp.py "${args[@]}" >"$log" 2>&1; then
        sed 's/^/bench:   /' "$log" >&2
        die "torch_mlp.py failed on case $c, $t thread(s) (output above)"
    fi
    awk '$1 == "epoch" && $3 == "examples_per_s" { print $4 }' "$log" >"$raw/$c.$t.torch.$rep.rates"
    [ -s "$raw/$c.$t.torch.$rep.rates" ] || die "torch_mlp.py printed no epoch lines (see $log)"
    local blas
    blas=$(grep '^blas ' "$log" | head -n1)
    if [ ! -s "$raw/blas.txt" ]; then
        printf '%s\n' "$blas" >"$raw/blas.txt"
        grep '^torch_version ' "$log" | head -n1 >"$raw/torch_version.txt"
        say "torch's BLAS (where libtorch_cpu's sgemm_ resolves, and what OpenBLAS reports):"
        say "  ${blas#blas }"
    fi
    case $blas in
    *"sgemm_=$openblas_dir/"*) ;;
    *)
        say "WARNING: torch is NOT running OpenBLAS on case $c, $t thread(s): ${blas#blas }"
        echo "case $c threads $t: ${blas#blas }" >>"$raw/blas_warnings.txt"
        ;;
    esac
}

median() { sort -g "$@" | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- the cases: nntrain and torch alternately ------------------------------------------
say "cases: $cases; threads: $threads_list; $repeats repeat(s) x $epochs epoch(s) each; case d limited to $limit_d examples/epoch (0 = all)"
: >"$raw/cases.txt"
for c in $cases; do
    printf '%s %s %s\n' "$c" "$(case_limit "$c")" "$(case_args "$c")" >>"$raw/cases.txt"
    for t in $threads_list; do
        for ((rep = 1; rep <= repeats; rep++)); do
            run_nntrain "$c" "$t" "$rep"
            run_torch "$c" "$t" "$rep"
            say "case $c, $t thread(s), run $rep/$repeats: nntrain $(median "$raw/$c.$t.nntrain.$rep.rates") ex/s, torch $(median "$raw/$c.$t.torch.$rep.rates") ex/s (median of epochs)"
        done
    done
done

# ---- table ---------------------------------------------------------------------------------
{
    echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cpus)"
    echo "nntrain $nntrain"
    echo "epochs $epochs"
    echo "repeats $repeats"
    echo "torch_env ${torch_env[*]}"
} >"$raw/meta.txt"
"$py" bench/summarize.py "$raw" "$results/latest.md"
rm -rf "$results/latest"
cp -r "$raw" "$results/latest"
say "table written to bench/results/latest.md; raw runs in bench/results/latest/"
if [ -s "$raw/blas_warnings.txt" ]; then
    die "torch did not run on OpenBLAS in some runs (see above): its figures are not a fair comparison"
fi
