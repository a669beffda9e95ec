#!/usr/bin/env bash
# installcheck_lib: the installed library as a user meets it. Builds
# examples/predict.c with `pkg-config --cflags --libs nntrain` against the
# installed copy (the shared library, and the static one with the .pc
# file's Libs.private), trains a tiny table with the installed nntrain and
# predicts it with both builds.
#
#   tests/installcheck_lib.sh DESTDIR LIBDIR NNTRAIN EXAMPLE_C
# DESTDIR may be "" (a real install); LIBDIR is the configured libdir.
set -euo pipefail
destdir=$1 libdir=$2 nntrain=$3 example=$4
say() { printf 'installcheck_lib: %s\n' "$*"; }
die() { printf 'installcheck_lib: FAIL: %s\n' "$*" >&2; exit 1; }

pcdir="$destdir$libdir/pkgconfig"
[ -f "$pcdir/nntrain.pc" ] || die "no nntrain.pc in $pcdir"
[ -e "$destdir$libdir/libnntrain.so" ] || die "no libnntrain.so in $destdir$libdir"
export PKG_CONFIG_PATH="$pcdir"
# A DESTDIR install: pkg-config puts DESTDIR before the .pc file's paths.
[ -z "$destdir" ] || export PKG_CONFIG_SYSROOT_DIR="$destdir"
flags=$(pkg-config --cflags --libs nntrain) || die "pkg-config --cflags --libs nntrain failed"
say "pkg-config: $flags"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
# shellcheck disable=SC2086 # flags are words
$cc -std=c11 -Wall -Wextra -Werror -o "$tmp/predict" "$example" $flags || die "cannot build $example"
# The static library, with what Libs.private says it needs.
static_libs=$(pkg-config --static --libs nntrain | sed 's/-lnntrain//')
# shellcheck disable=SC2086
$cc -std=c11 -o "$tmp/predict-static" "$example" $(pkg-config --cflags nntrain) \
    "$destdir$libdir/libnntrain.a" $static_libs || die "cannot link $example with libnntrain.a"

# A separable 2-class table: the class is whether a > b.
{
    echo "a,b,class"
    for i in $(seq 0 59); do
        a=$((i % 10)) b=$(((i * 7) % 10))
        [ $a = $b ] && continue
        echo "$a,$b,$([ $a -gt $b ] && echo big || echo small)"
    done
} > "$tmp/t.csv"
cat > "$tmp/t.yaml" <<YAML
data: {train: $tmp/t.csv, test_fraction: 0}
network: {hidden: [8], activation: tanh}
train: {epochs: 200, learning_rate: 0.5, batch_size: 8, seed: 3, threads: 1}
output: {model: $tmp/t.model}
YAML
"$nntrain" -q -c "$tmp/t.yaml" >/dev/null || die "the installed nntrain could not train"
printf '9 1\n1 9\n' > "$tmp/rows"
export LD_LIBRARY_PATH="$destdir$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if command -v ldd >/dev/null; then
    ldd "$tmp/predict" | grep "$destdir$libdir/libnntrain.so" >/dev/null ||
        die "the example does not load the installed library: $(ldd "$tmp/predict" | grep nntrain)"
fi
for p in predict predict-static; do
    out=$("$tmp/$p" "$tmp/t.model" < "$tmp/rows") || die "$p failed: $out"
    say "$p: $(echo "$out" | tr '\n' ';')"
    [ "$(echo "$out" | sed -n 's/.*-> //p' | tr '\n' ' ')" = "big small " ] || die "$p: wrong classes: $out"
done
say "ok"
