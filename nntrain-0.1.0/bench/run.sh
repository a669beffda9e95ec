#!/usr/bin/env bash
# bench/run.sh [--kernels PATH] NNTRAIN_BINARY: nntrain against PyTorch (on
# OpenBLAS), side by side, on four MLPs at 1 and 2 threads, for one of
# nntrain's kernel paths (avx512, avx2, neon, portable; default: the one
# nntrain picks). `make bench` runs it. See bench/README.md for what it
# measures and the environment variables.
set -euo pipefail

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}
# The kernel path asked for is not available (nntrain refused it): exit 2, so
# a script running every path can tell "not here" from a failure.
refuse() {
    printf 'bench: %s\n' "$*" >&2
    exit 2
}

usage="usage: bench/run.sh [--kernels avx512|avx2|neon|portable] NNTRAIN_BINARY   (e.g. bench/run.sh ./nntrain, or make bench)"
kernels=${BENCH_KERNELS:-}
while [ $# -gt 0 ]; do
    case $1 in
    -k | --kernels)
        [ $# -ge 2 ] || die "$usage"
        kernels=$2
        shift 2
        ;;
    --kernels=*)
        kernels=${1#--kernels=}
        shift
        ;;
    -h | --help)
        printf '%s\n' "$usage"
        exit 0
        ;;
    --)
        shift
        break
        ;;
    -*) die "unknown option '$1'; $usage" ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] || die "$usage"
case $kernels in
'' | avx512 | avx2 | neon | portable) ;;
*) die "unknown kernel path '$kernels' (BENCH_KERNELS or --kernels: avx512, avx2, neon or portable; empty = nntrain's own choice)" ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

nntrain=$1
case $nntrain in
/*) ;;
*) nntrain=$PWD/$nntrain ;;
esac
[ -e "$nntrain" ] || die "nntrain binary '$1' not found: build it first (./configure && make)"
{ [ -f "$nntrain" ] && [ -x "$nntrain" ]; } || die "'$1' is not an executable file"

# ---- nntrain's kernel path ----------------------------------------------------
# Asked for one: NNTRAIN_KERNELS=PATH, and nntrain must report that very path
# (`nntrain --version` prints "nntrain 0.1.0 (kernels: NAME; this CPU runs ...)"); it exits 2 when
# the path is not available. Asked for none: whatever nntrain picks in this
# environment, which every run below then asks for by name.
version_kernels() { sed -n 's/.*(kernels: \([^;)]*\)[;)].*/\1/p' <<<"$1" | head -n1; }
if [ -n "$kernels" ]; then
    kernels_chosen="asked for (NNTRAIN_KERNELS=$kernels)"
    rc=0
    version=$(NNTRAIN_KERNELS=$kernels "$nntrain" --version 2>&1) || rc=$?
    [ "$rc" -ne 2 ] || refuse "kernel path '$kernels' is not available: NNTRAIN_KERNELS=$kernels $1 --version exits 2 (${version//$'\n'/; }); nothing measured"
    [ "$rc" -eq 0 ] || die "NNTRAIN_KERNELS=$kernels $1 --version failed (exit $rc): $version"
    got=$(version_kernels "$version")
    [ -n "$got" ] || die "cannot read the kernel path from $1 --version: '$version'"
    [ "$got" = "$kernels" ] || refuse "kernel path '$kernels' is not available: asked for it, $1 reports 'kernels: $got' (this build has no $kernels path, or ignores NNTRAIN_KERNELS); nothing measured"
else
    rc=0
    version=$("$nntrain" --version 2>&1) || rc=$?
    [ "$rc" -eq 0 ] || die "$1 --version failed (exit $rc): $version"
    kernels=$(version_kernels "$version")
    [ -n "$kernels" ] || die "cannot read the kernel path from $1 --version: '$version'"
    kernels_chosen="nntrain's own choice${NNTRAIN_KERNELS:+ (the environment has NNTRAIN_KERNELS=$NNTRAIN_KERNELS)}"
    case $kernels in
    avx512 | avx2 | neon | portable) ;;
    *) die "$1 picks kernel path '$kernels', which this script cannot match on the torch side (known: avx512 avx2 neon portable)" ;;
    esac
fi
export NNTRAIN_KERNELS=$kernels
say "nntrain kernel path: $kernels, $kernels_chosen: $version"

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
# LD_LIBRARY_PATH makes the torch command alone load OpenBLAS.
#
# OpenBLAS's kernels get the vector width of the nntrain path measured,
# whatever the environment says (some export OPENBLAS_CORETYPE or
# OPENBLAS_L2_SIZE globally): avx2 -> OPENBLAS_CORETYPE=Haswell (AVX2+FMA
# kernels), avx512 -> SkylakeX (AVX-512); portable and neon have no matching
# OpenBLAS core, so OpenBLAS's own choice (OPENBLAS_CORETYPE unset). The L2
# size override is always dropped.
case $kernels in
avx512) torch_core=SkylakeX ;;
avx2) torch_core=Haswell ;;
*) torch_core= ;;
esac
torch_env=(env -u OPENBLAS_L2_SIZE)
[ -n "$torch_core" ] || torch_env+=(-u OPENBLAS_CORETYPE)
torch_env+=("LD_LIBRARY_PATH=$openblas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
[ -z "$torch_core" ] || torch_env+=("OPENBLAS_CORETYPE=$torch_core")

# Which core OpenBLAS runs, asked of libopenblas.so.0 itself
# (openblas_get_corename) without torch: under the torch command's
# environment, and left entirely to itself (for the record).
openblas_core() { # env arguments...
    "$@" "$py" -c 'import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode().strip())' "$openblas_dir/libopenblas.so.0"
}
openblas_own=$(openblas_core env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) ||
    die "cannot ask $openblas_dir/libopenblas.so.0 for its core (openblas_get_corename)"
openblas_used=$(openblas_core "${torch_env[@]}") ||
    die "cannot ask $openblas_dir/libopenblas.so.0 for its core under: ${torch_env[*]}"
if [ -n "$torch_core" ]; then
    [ "$openblas_used" = "$torch_core" ] ||
        die "OpenBLAS runs core '$openblas_used' under OPENBLAS_CORETYPE=$torch_core (this OpenBLAS or CPU cannot run it): no $kernels-width match for torch"
    torch_match="OPENBLAS_CORETYPE=$torch_core forced to match nntrain's $kernels (OpenBLAS's own choice here: $openblas_own)"
else
    torch_match="no OpenBLAS core matches nntrain's $kernels path: OpenBLAS's own choice, $openblas_own (OPENBLAS_CORETYPE unset)"
fi
say "torch side: $torch_match"

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
# The FMA width of the path measured (fma_peak --path: avx512 -> AVX-512,
# avx2 -> AVX2, neon -> NEON, portable -> AVX2 where the CPU has it).
if gcc -O2 -fopenmp bench/fma_peak.c -o "$tmp/fma_peak" 2>"$tmp/fma_peak.log"; then
    say "measuring the fp32 FMA peak (fma_peak --path $kernels $threads_list)"
    # shellcheck disable=SC2086 # one argument per thread count
    "$tmp/fma_peak" --path "$kernels" $threads_list >"$peak_file" 2>"$tmp/fma_peak.err" || {
        say "warning: fma_peak --path $kernels failed; no peak figures"
        sed 's/^/bench:   /' "$tmp/fma_peak.err" >&2
    }
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
    # Not -q: the banner's "kernels NAME" shows the path this very run used.
    local args=(-c "bench/configs/$c.yaml" -s "train.threads=$t" -s "train.epochs=$epochs"
        -s "output.metrics=$csv")
    limit=$(case_limit "$c")
    [ "$limit" -eq 0 ] || args+=(-s "data.train_limit=$limit")
    printf 'NNTRAIN_KERNELS=%q ' "$NNTRAIN_KERNELS" >"$log"
    printf '%q ' "$nntrain" "${args[@]}" >>"$log"
    printf '\n' >>"$log"
    local rc=0
    "$nntrain" "${args[@]}" >>"$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        sed 's/^/bench:   /' "$log" >&2
        [ "$rc" -ne 2 ] || refuse "nntrain refused case $c, $t thread(s) with NNTRAIN_KERNELS=$NNTRAIN_KERNELS (exit 2, output above)"
        die "nntrain failed on case $c, $t thread(s) (exit $rc, output above)"
    fi
    local used
    used=$(sed -n 's/.*, kernels \([^ ,]*\).*/\1/p' "$log" | head -n1)
    [ "$used" = "$NNTRAIN_KERNELS" ] ||
        die "nntrain ran kernels '${used:-?}' on case $c, $t thread(s), not $NNTRAIN_KERNELS (banner in $log)"
    printf '%s %s %s %s\n' "$c" "$t" "$rep" "$used" >>"$raw/nntrain_kernels.txt"
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
    local core tpc
    core=$(sed -n 's/.* corename=\([^ ]*\).*/\1/p' <<<"$blas")
    tpc=$(sed -n 's/.* threadpoolctl=\([^ ]*\).*/\1/p' <<<"$blas")
    printf '%s %s %s %s %s\n' "$c" "$t" "$rep" "${core:-?}" "${tpc:-?}" >>"$raw/torch_cores.txt"
    if [ "${core:-?}" != "$openblas_used" ]; then
        say "WARNING: torch's OpenBLAS ran core '${core:-?}' on case $c, $t thread(s), not $openblas_used"
        echo "case $c threads $t: OpenBLAS core ${core:-?}, expected $openblas_used" >>"$raw/blas_warnings.txt"
    fi
}

median() { sort -g "$@" | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- the cases: nntrain and torch alternately ------------------------------------------
say "kernels: nntrain $kernels, torch OpenBLAS $openblas_used"
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
    cpu_field() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }
    echo "cpu $(cpu_field 'model name') (family $(cpu_field 'cpu family') model $(cpu_field model), $(nproc) cpus)"
    echo "nntrain $nntrain"
    echo "epochs $epochs"
    echo "repeats $repeats"
    echo "torch_env ${torch_env[*]}"
    echo "kernels $kernels"
    echo "kernels_chosen $kernels_chosen"
    echo "nntrain_version $version"
    echo "torch_core_expected $openblas_used"
    echo "openblas_own_core $openblas_own"
    echo "torch_match $torch_match"
} >"$raw/meta.txt"
"$py" bench/summarize.py "$raw" "$results/latest.md"
cp "$results/latest.md" "$results/$kernels.md"
rm -rf "$results/latest" "$results/${kernels:?}"
cp -r "$raw" "$results/latest"
cp -r "$raw" "$results/$kernels"
say "table written to bench/results/latest.md and bench/results/$kernels.md; raw runs in bench/results/latest/ and bench/results/$kernels/"
if [ -s "$raw/blas_warnings.txt" ]; then
    die "torch did not run on OpenBLAS, or not on the expected core ($openblas_used), in some runs (see above): its figures are not a fair comparison"
fi
