#!/bin/sh
# csv_read.sh: reading a CSV, nntrain's reader against pandas.read_csv (C
# engine) and Debian's libcsv, side by side, medians of RUNS runs each.
#
#   bench/csv_read.sh [BUILD_DIR]      (BUILD_DIR: a build tree, with .libs/libnntrain_core.a; default .)
#
# Files (generated into $CSV_BENCH_DIR, default /tmp/nntrain-csvbench, never
# committed): mnist.csv, MNIST's 60,000 training images as label,p0..p783
# (needs data/mnist: ./setup.sh), and num.csv, 1,000,000 x 50 numbers like
# -1.234567 (bench/csv_gen.c). Each line: seconds (median) and peak RSS.
#   nntrain      bench/csv_read.c: csv_read + per-column describe statistics
#                (threads: 0 = one per core, and 1)
#   pandas       /usr/bin/python3 -c 'pandas.read_csv(f, engine="c")' (python3-pandas)
#   libcsv       bench/csv_libcsv.c: tokenizing only, and tokenizing + strtod
# Environment: RUNS (default 3), CSV_BENCH_DIR, NNTRAIN_DATA (default ./data).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-.}" && pwd)
dir=${CSV_BENCH_DIR:-/tmp/nntrain-csvbench}
runs=${RUNS:-3}
data=${NNTRAIN_DATA:-$src/data}
mkdir -p "$dir"
cc=${CC:-gcc}
flags="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I$src/include"
$cc $flags -o "$dir/csv_gen" "$src/bench/csv_gen.c" "$build/.libs/libnntrain_core.a" -lz -lm
$cc $flags -fopenmp -o "$dir/csv_read" "$src/bench/csv_read.c" "$build/.libs/libnntrain_core.a" -lz -lm
have_libcsv=0
if [ -f /usr/include/csv.h ]; then
    # not with -I include: nntrain's include/csv.h would hide libcsv's <csv.h>
    $cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$dir/csv_libcsv" "$src/bench/csv_libcsv.c" -lcsv -lz &&
        have_libcsv=1
fi
[ -f "$dir/mnist.csv" ] || "$dir/csv_gen" mnist "$data/mnist/train-images-idx3-ubyte.gz" \
    "$data/mnist/train-labels-idx1-ubyte.gz" "$dir/mnist.csv"
[ -f "$dir/num.csv" ] || "$dir/csv_gen" numeric 1000000 50 "$dir/num.csv"

# median of the wall seconds and the largest peak RSS (MB) of $runs runs of "$@"
measure() {
    i=0
    : >"$dir/times"
    while [ $i -lt "$runs" ]; do
        /usr/bin/time -f '%e %M' -o "$dir/t1" "$@" >/dev/null
        cat "$dir/t1" >>"$dir/times"
        i=$((i + 1))
    done
    sort -n "$dir/times" | awk '{ s[NR] = $1; if ($2 > m) m = $2 } END { printf "%8.2f s  %6.0f MB\n", s[int((NR + 1) / 2)], m / 1024 }'
}

echo "csv_read.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $runs runs, medians"
for f in mnist num; do
    file=$dir/$f.csv
    echo "$f.csv ($(du -m "$file" | cut -f1) MB)"
    printf '  %-22s' "nntrain (all cores)"; measure "$dir/csv_read" "$file" 0 -q
    printf '  %-22s' "nntrain (1 thread)"; measure "$dir/csv_read" "$file" 1 -q
    if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
        printf '  %-22s' "pandas.read_csv"
        measure /usr/bin/python3 -c 'import sys, pandas; pandas.read_csv(sys.argv[1], engine="c")' "$file"
    else
        echo "  pandas: not installed (apt-get install python3-pandas)"
    fi
    if [ $have_libcsv = 1 ]; then
        printf '  %-22s' "libcsv tokenize"; measure "$dir/csv_libcsv" "$file" tok
        printf '  %-22s' "libcsv + strtod"; measure "$dir/csv_libcsv" "$file" num
    fi
done
