#!/bin/sh
# Builds the libFuzzer harnesses and runs each one in turn (never two at
# once), FUZZ_SECONDS each; used by `make fuzz` (see tests/fuzz/README.md).
#
#   tests/fuzz/run.sh [HARNESS...]        default: cfg idx model ckpt pgm json csv npy
#   tests/fuzz/run.sh --corpus            rewrite the seed corpora with
#                                         tests/fuzz/gen_corpus.c
#
# Environment:
#   FUZZ_SECONDS  seconds per harness (default 60)
#   FUZZ_BUILD    build and scratch directory (default ./build-fuzz)
#   FUZZ_CC       compiler (default clang; needs -fsanitize=fuzzer)
#   FUZZ_FLAGS    extra libFuzzer flags, e.g. "-seed=1"
#   FUZZ_BUILD_ONLY=1  build the harnesses and stop
# Seeds are copied from tests/fuzz/corpus/NAME to FUZZ_BUILD/corpus-NAME, so
# the repository is never written to except for crash reproducers, which go
# to tests/fuzz/crashes/ (git-ignored). Exits 1 if any harness found one.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
fz=$src/tests/fuzz
secs=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-$PWD/build-fuzz}
cc=${FUZZ_CC:-clang}
targets=${*:-cfg idx model ckpt pgm json csv npy}
mkdir -p "$build" "$fz/crashes"
build=$(cd "$build" && pwd)

# Library sources per harness, compiled straight into it. None of them needs
# OpenMP: the kernels (src/kernels/) are serial anyway, and src/train.c is
# left out (src/cores.c counts processors without OpenMP too).
core="src/err.c src/fsx.c src/cores.c src/net.c src/kernels/*.c src/mem.c src/rng.c src/detmath.c src/optim.c src/lrsched.c"
sources() {
    case $1 in
    cfg)   echo "src/cfg.c $core" ;;
    idx)   echo "src/idx.c src/data/dataset.c src/fsx.c src/mem.c src/err.c" ;;
    pgm)   echo "src/pgm.c src/fsx.c src/err.c" ;;
    json)  echo "src/json.c src/err.c" ;;
    csv)   echo "src/data/csv.c src/data/table.c src/c_locale.c src/cores.c src/mem.c src/err.c" ;;
    npy)   echo "src/data/npy.c src/data/table.c src/err.c" ;;
    model) echo "src/model.c $core" ;;
    ckpt)  echo "src/ckpt.c src/model.c src/cfg.c src/idx.c $core" ;;
    *)     echo "run.sh: unknown harness '$1'" >&2; exit 2 ;;
    esac
}

if [ "${1:-}" = --corpus ]; then
    # The generated seeds (the shipped configs and the hand-written cfg
    # seeds are kept as they are).
    rm -f "$fz"/corpus/idx/* "$fz"/corpus/model/* "$fz"/corpus/ckpt/* "$fz"/corpus/pgm/*
    mkdir -p "$fz"/corpus/idx "$fz"/corpus/model "$fz"/corpus/ckpt "$fz"/corpus/pgm
    # shellcheck disable=SC2046
    $cc -std=c11 -O1 -D_POSIX_C_SOURCE=200809L -I"$src/include" -o "$build/gen_corpus" \
        "$fz/gen_corpus.c" $(for f in src/ckpt.c src/model.c src/cfg.c src/idx.c src/data/dataset.c src/pgm.c $core; \
        do echo "$src/$f"; done) -lyaml -lz -lm
    "$build/gen_corpus" "$fz/corpus"
    exit 0
fi

cflags="-std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -I$src/include -I$fz \
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
for t in $targets; do
    s=""
    for f in $(sources "$t"); do s="$s $src/$f"; done
    echo "fuzz: building fuzz_$t"
    # shellcheck disable=SC2086
    $cc $cflags -o "$build/fuzz_$t" "$fz/fuzz_$t.c" $s -lyaml -lz -lpng -lm
done
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# Reproducers of harness $1 in tests/fuzz/crashes/.
count_crashes() {
    n=0
    for f in "$fz/crashes/$1-"*; do
        [ -e "$f" ] && n=$((n + 1))
    done
    echo "$n"
}

summary=""
found=0
for t in $targets; do
    work=$build/corpus-$t
    rm -rf "$work"
    mkdir -p "$work"
    cp "$fz/corpus/$t/"* "$work/"
    dict=""
    [ "$t" = cfg ] && dict="-dict=$fz/yaml.dict"
    [ "$t" = csv ] && dict="-dict=$fz/csv.dict"
    log=$build/fuzz_$t.log
    before=$(count_crashes "$t")
    echo "fuzz: running fuzz_$t for ${secs}s (log: $log)"
    rc=0
    # shellcheck disable=SC2086
    (cd "$build" && "./fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
        -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$fz/crashes/$t-" $dict ${FUZZ_FLAGS:-} "$work") >"$log" 2>&1 || rc=$?
    after=$(count_crashes "$t")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    new=$((after - before))
    status=ok
    if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
        status="FOUND (exit $rc, $new new file(s) in tests/fuzz/crashes/)"
        found=1
        grep -m 3 -E '^==[0-9]+==ERROR|runtime error|^SUMMARY' "$log" || true
    fi
    summary="$summary$(printf '  %-6s %12s execs  %6s edges  %s' "$t" "${execs:-?}" "${cov:-?}" "$status")
"
done
echo "fuzz: summary (${secs}s each)"
printf '%s' "$summary"
exit $found
