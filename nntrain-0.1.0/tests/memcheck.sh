#!/usr/bin/env bash
# memcheck.sh: every Check suite and a short nntrain session (train, eval,
# predict, export, and the main error exits) under valgrind's memcheck, on tiny data
# this script writes itself. Fails on any memory error and on any leak
# (definite, indirect or possible) except the thread-pool blocks that
# libgomp/libomp keep alive on purpose until exit (suppressed, see below).
#
# Usage: tests/memcheck.sh [BUILD_DIR]        (default: the current directory)
#
# BUILD_DIR is a configured build tree, in-tree or out-of-tree, of a plain
# build: not --enable-sanitizers (ASan and valgrind cannot share a process).
# -O1 -g gives the most readable reports:
#     mkdir build-vg && cd build-vg && ../configure CFLAGS='-O1 -g'
#     ../tests/memcheck.sh .
# With clang, add -gdwarf-4 (valgrind before 3.20 cannot read clang's
# default DWARF 5): ../configure CC=clang CFLAGS='-O1 -g -gdwarf-4'.
# Not with --enable-native on an AVX-512 machine: valgrind cannot run
# AVX-512 code. (The run-time kernel dispatch is fine: valgrind's CPU
# reports no AVX-512, so the portable kernels run under it.)
# The program and the test suites are (re)built first with make.
#
# Needs valgrind: on Debian/Ubuntu `apt-get install valgrind`.
#
# Environment:
#   MEMCHECK_JOBS=N      make -jN (default 2)
#   MEMCHECK_NO_BUILD=1  do not run make; use what BUILD_DIR holds
#   MEMCHECK_LOGDIR=DIR  keep valgrind's logs there (default: a temporary
#                        directory, removed when everything passed)
#   VALGRIND=PATH        the valgrind to run (default: valgrind on PATH)
#
# Exit status: 0 clean, 1 a run failed (valgrind error, leak, or wrong exit
# status), 2 cannot run (no valgrind, not a build tree, sanitizer build).
set -u

die() { printf 'memcheck: %s\n' "$*" >&2; exit 2; }

build=${1:-.}
[ $# -le 1 ] || die "usage: $0 [BUILD_DIR]"
[ -f "$build/Makefile" ] || die "$build is not a configured build tree (no Makefile); run configure there first"
build=$(cd "$build" && pwd) || die "cannot enter $build"

VALGRIND=${VALGRIND:-valgrind}
if ! command -v "$VALGRIND" >/dev/null 2>&1; then
    die "valgrind not found ('$VALGRIND'): install it first, e.g. 'apt-get install valgrind' on Debian/Ubuntu"
fi
jobs=${MEMCHECK_JOBS:-2}

# ---- what the build tree holds ------------------------------------------------
tmpbase=${TMPDIR:-/tmp}
work=$(mktemp -d "$tmpbase/memcheck.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT

# Ask make itself for the variables, so continuation lines and $(EXEEXT) are
# handled the way make handles them.
cat > "$work/vars.mk" <<'MK'
memcheck-print-vars:
	@echo "check_programs=$(check_PROGRAMS)"
	@echo "san_cflags=$(SAN_CFLAGS)"
	@echo "native_cflags=$(NATIVE_CFLAGS)"
	@echo "srcdir=$(abs_top_srcdir)"
MK
vars=$(make -s -C "$build" -f Makefile -f "$work/vars.mk" memcheck-print-vars 2>&1) ||
    die "cannot read the build's variables: $vars"
var() { sed -n "s/^$1=//p" <<<"$vars"; }
check_programs=$(var check_programs)
san_cflags=$(var san_cflags)
native_cflags=$(var native_cflags)

[ -z "$san_cflags" ] ||
    die "$build is a sanitizer build ($san_cflags); valgrind needs a plain one: configure another tree without --enable-sanitizers"
[ -n "$check_programs" ] ||
    die "$build has no test suites: Check was not found at configure time ('apt-get install check', then re-run configure)"

if [ "${MEMCHECK_NO_BUILD:-0}" != 1 ]; then
    echo "memcheck: building in $build"
    # Two runs: automake's `all` recurses into a sub-make, which would race
    # the test programs' link for libnntrain.a if both were asked at once.
    # shellcheck disable=SC2086 # check_programs is a list of targets
    { make -s -C "$build" -j"$jobs" all && make -s -C "$build" -j"$jobs" $check_programs; } \
        >"$work/make.log" 2>&1 || { cat "$work/make.log" >&2; die "the build failed"; }
fi

logdir=${MEMCHECK_LOGDIR:-$work/logs}
mkdir -p "$logdir" || die "cannot create $logdir"

# ---- valgrind ---------------------------------------------------------------------
# The OpenMP runtime starts a thread pool on the first parallel region and
# keeps it until exit; each thread's TLS block (allocated by pthread_create)
# then shows as "possibly lost". LLVM's libomp (CC=clang) also keeps its
# runtime state in blocks it reaches only through interior pointers. Those
# "possibly lost" blocks, allocated by the OpenMP runtime itself, and only
# those, are suppressed.
cat > "$work/omp.supp" <<'SUPP'
{
   gnu-openmp-thread-pool-tls
   Memcheck:Leak
   match-leak-kinds: possible
   fun:calloc
   ...
   fun:_dl_allocate_tls
   ...
   fun:pthread_create*
   obj:*/libgomp.so*
}
{
   llvm-openmp-thread-pool-tls
   Memcheck:Leak
   match-leak-kinds: possible
   fun:calloc
   ...
   fun:_dl_allocate_tls
   ...
   fun:pthread_create*
   obj:*/libomp.so*
}
{
   llvm-openmp-runtime-state
   Memcheck:Leak
   match-leak-kinds: possible
   fun:malloc
   obj:*/libomp.so*
}
SUPP

VG_ERR=99 # valgrind's exit status when it found something
vg_opts=(--tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible
         --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes
         --num-callers=30 --error-exitcode=$VG_ERR --suppressions="$work/omp.supp")
# Idle OpenMP threads sleep instead of spinning: under valgrind, which runs
# one thread at a time, spinning only burns time.
export OMP_WAIT_POLICY=passive

runs=0 failed=0
summary=()

# leak_bytes LOG KIND: the bytes valgrind's leak summary gives for KIND
# ("definitely", "indirectly", "possibly"); 0 when it printed none.
leak_bytes() {
    local b
    b=$(sed -n "s/.*$2 lost: \([0-9,]*\) bytes.*/\1/p" "$1" | tail -1 | tr -d ,)
    echo "${b:-0}"
}

# vg NAME EXPECTED_STATUS -- COMMAND...: runs COMMAND under valgrind, logs to
# $logdir/NAME.log, and records a PASS or FAIL line.
vg() {
    local name=$1 want=$2 log="$logdir/$1.log" out="$logdir/$1.out"
    shift 3
    local t0=$SECONDS rc
    "$VALGRIND" "${vg_opts[@]}" --log-file="$log" "$@" >"$out" 2>&1
    rc=$?
    local secs=$((SECONDS - t0))
    local errs def ind pos why=""
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -1 | tr -d ,)
    def=$(leak_bytes "$log" definitely)
    ind=$(leak_bytes "$log" indirectly)
    pos=$(leak_bytes "$log" possibly)
    if [ -z "$errs" ]; then
        why="valgrind did not finish (status $rc)"
    elif [ "$errs" != 0 ] || [ "$rc" = "$VG_ERR" ]; then
        why="$errs valgrind error(s)"
    elif [ "$rc" != "$want" ]; then
        why="exit status $rc, expected $want"
    fi
    runs=$((runs + 1))
    local line
    line=$(printf '%-28s errors %-3s lost: definitely %s B, indirectly %s B, possibly %s B  (%ds)' \
                  "$name" "${errs:-?}" "$def" "$ind" "$pos" "$secs")
    if [ -z "$why" ]; then
        summary+=("PASS  $line")
    else
        failed=$((failed + 1))
        summary+=("FAIL  $line: $why")
        {
            printf '\n==== %s: %s\n---- command: %s\n' "$name" "$why" "$*"
            printf -- '---- output (last 20 lines):\n'
            tail -20 "$out"
            printf -- '---- valgrind (first 80 lines of the report):\n'
            grep -v '^==[0-9]*== *$' "$log" | sed -n '/Memcheck, a memory error detector/,$p' |
                sed '1,/Command:/d' | head -80
            if grep -q 'unhandled instruction' "$log"; then
                printf -- '---- hint: valgrind met an instruction it cannot emulate'
                printf ' (AVX-512?); build without --enable-native.\n'
            fi
            if grep -q 'debuginfo reader\|unhandled dwarf2' "$log"; then
                printf -- '---- hint: this valgrind cannot read the debug info (DWARF 5 from a'
                printf ' newer compiler?); configure with CFLAGS="-O1 -g -gdwarf-4".\n'
            fi
        } >&2
    fi
}

# ---- the Check suites --------------------------------------------------------------
# CK_FORK=no: each suite runs in one process, so valgrind sees every test's
# allocations and checks leaks once, at exit. Tests put their files under
# TMPDIR: here, inside the work directory.
echo "memcheck: valgrind over the test suites"
mkdir -p "$work/tmp"
export CK_FORK=no TMPDIR="$work/tmp"
for prog in $check_programs; do
    name=$(basename "$prog" .exe)
    if [ ! -x "$build/$prog" ]; then
        runs=$((runs + 1)) failed=$((failed + 1))
        summary+=("FAIL  $name: $build/$prog is not built")
        continue
    fi
    vg "$name" 0 -- "$build/$prog"
done

# ---- nntrain itself on tiny data ---------------------------------------------------
# A 2-class set of 2x2 images (class 0 lights the top row, class 1 the bottom
# row), written here so that no download is needed.
echo "memcheck: valgrind over nntrain runs"
nntrain="$build/nntrain"
data="$work/data"
mkdir -p "$data" "$work/out"

. "$(dirname "$0")/testlib.sh" # be32, write_set
write_set "$data" 96
printf 'P2\n2 2\n255\n0 16\n220 220\n' > "$work/digit.pgm"
head -c 30 "$data/images.idx" > "$data/short.idx"

cfg="$work/tiny.yaml"
cat > "$cfg" <<YAML
data:
  dir: $data
  train_images: images.idx.gz
  train_labels: labels.idx
  test_images: images.idx
  test_labels: labels.idx
network:
  sizes: [4, 8, 6, 2]
  activation: [relu, tanh]
  output: softmax
  cost: cross_entropy
  init: he
train:
  learning_rate: 0.3
  batch_size: 8
  epochs: 5
  seed: 7
  threads: 2
output:
  model: $work/out/tiny.model
  metrics: $work/out/tiny.csv
YAML

model="$work/out/tiny.model"
vg train 0 -- "$nntrain" -c "$cfg"
if [ ! -s "$model" ]; then
    # Every later run needs the model: stop here with what we have.
    runs=$((runs + 1)) failed=$((failed + 1))
    summary+=("FAIL  train: wrote no model file ($model)")
else
    vg train-validation 0 -- "$nntrain" -q -c "$cfg" -s data.validation=16 \
        -s train.deterministic=false -s network.activation=sigmoid -s network.cost=quadratic \
        -s output.model= -s output.metrics=
    # Adam's state: allocated once, checkpointed, restored, freed.
    adam=(-q -c "$cfg" -s train.optimizer=adamw -s train.learning_rate=0.01 -s train.weight_decay=0.01
          -s output.checkpoint="$work/out/adam.ckpt" -s output.model= -s output.metrics=)
    vg train-adam 0 -- "$nntrain" "${adam[@]}" -s train.epochs=2
    vg resume-adam 0 -- "$nntrain" "${adam[@]}" -s train.epochs=3 --resume "$work/out/adam.ckpt"
    vg err-resume-optimizer 2 -- "$nntrain" -q -c "$cfg" -s output.model= -s output.metrics= \
        --resume "$work/out/adam.ckpt"
    vg eval 0 -- "$nntrain" eval -m "$model" -c "$cfg"
    vg eval-files 0 -- "$nntrain" eval -m "$model" --images "$data/images.idx" --labels "$data/labels.idx"
    vg predict 0 -- "$nntrain" predict -m "$model" "$data/images.idx.gz" "$work/digit.pgm"
    # Error exits free what they allocated too.
    cp "$model" "$work/corrupt.model"
    printf '\xff' | dd of="$work/corrupt.model" bs=1 seek=60 conv=notrunc 2>/dev/null
    vg err-corrupt-model 2 -- "$nntrain" eval -m "$work/corrupt.model" -c "$cfg"
    vg export-onnx 0 -- "$nntrain" export -m "$model" -o "$work/out/tiny.onnx"
    vg export-npz 0 -- "$nntrain" export -m "$model" -o "$work/out/tiny.npz"
    vg err-export-corrupt 2 -- "$nntrain" export -m "$work/corrupt.model" -o "$work/out/c.onnx"
    vg err-export-unwritable 1 -- "$nntrain" export -m "$model" -o "$work/no-such-dir/c.npz"
    vg err-export-extension 2 -- "$nntrain" export -m "$model" -o "$work/out/c.pt"
    vg err-truncated-data 2 -- "$nntrain" -q -c "$cfg" -s data.train_images=short.idx
    vg err-config-key 2 -- "$nntrain" -q -c "$cfg" -s train.learning_rat=1
    vg err-diverged 1 -- "$nntrain" -q -c "$cfg" -s network.output=linear \
        -s network.activation=linear -s network.cost=quadratic -s train.learning_rate=1e6 \
        -s output.model= -s output.metrics=
fi

# ---- summary ----------------------------------------------------------------------
echo
echo "memcheck summary ($build):"
printf '  %s\n' "${summary[@]}"
if [ "$failed" = 0 ]; then
    printf 'memcheck: all %d runs clean\n' "$runs"
    [ -n "${MEMCHECK_LOGDIR:-}" ] && echo "memcheck: logs in $logdir"
    exit 0
fi
if [ -z "${MEMCHECK_LOGDIR:-}" ]; then
    # Keep the logs of a failure: move them out of the work directory.
    keep=$(mktemp -d "$tmpbase/memcheck-logs.XXXXXX") && cp -r "$logdir"/. "$keep"/ && logdir=$keep
fi
printf 'memcheck: %d of %d runs FAILED; full logs in %s\n' "$failed" "$runs" "$logdir"
exit 1
