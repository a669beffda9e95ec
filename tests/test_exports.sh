#!/usr/bin/env bash
# test_exports: libnntrain.so exports the nnt_ names of include/nntrain.h,
# exactly the list below, and nothing else (hidden visibility), and
# imports no signal or stdout function (the library never installs a
# handler and never prints).
# Reads the dynamic symbol table with nm -D (NNTRAIN_NM: the build's nm,
# the host's in a cross build). Skips (77) when the build has no shared
# library (--disable-shared).
set -u
lib=${NNTRAIN_LIB:-.libs/libnntrain.so}
nm_cmd=${NNTRAIN_NM:-nm}
src=${NNTRAIN_SRCDIR:-.}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

if [ ! -e "$lib" ]; then
    echo "SKIP: no shared library at $lib (configured with --disable-shared?)"
    exit 77
fi
# shellcheck disable=SC2086 # nm_cmd may carry options ("nm -B")
defined=$($nm_cmd -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u) ||
    { echo "FAIL: $nm_cmd -D cannot read $lib"; exit 1; }
echo "exported from $lib:"
printf '  %s\n' $defined
others=$(grep -v '^nnt_' <<<"$defined" || true)
[ -z "$others" ] && ok || bad "exported names without the nnt_ prefix: $(echo $others)"

# Every function the header declares is exported, and no more.
declared=$(sed -n 's/^NNT_API [^(]*[ *]\(nnt_[a-z0-9_]*\)(.*/\1/p' "$src/include/nntrain.h" | sort -u)
[ -n "$declared" ] && ok || bad "no NNT_API declarations found in $src/include/nntrain.h"
[ "$declared" = "$defined" ] && ok ||
    bad "header and library differ: $(diff <(echo "$declared") <(echo "$defined") | grep '^[<>]' | tr '\n' ' ')"

# The interface itself, by name: a function dropped from header and
# library together, or one added to both, is a change of the ABI and must
# show here (and in -version-info on a release).
expected=$(sort -u <<'NAMES'
nnt_last_error
nnt_model_category_name
nnt_model_class_name
nnt_model_feature_is_categorical
nnt_model_feature_name
nnt_model_free
nnt_model_is_table
nnt_model_load
nnt_model_n_categories
nnt_model_n_classes
nnt_model_n_features
nnt_model_n_outputs
nnt_model_save
nnt_model_target_name
nnt_model_task
nnt_predict
nnt_status_name
nnt_train_arrays
nnt_train_file
nnt_train_yaml
nnt_version
NAMES
)
[ "$expected" = "$defined" ] && ok ||
    bad "the exports differ from the expected list: $(diff <(echo "$expected") <(echo "$defined") | grep '^[<>]' | tr '\n' ' ')"

# shellcheck disable=SC2086
undefined=$($nm_cmd -D --undefined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | sort -u)
forbidden=$(grep -xE 'signal|sigaction|bsd_signal|sysv_signal|sigset|printf|puts|putchar|vprintf|stdout|perror' \
    <<<"$undefined" || true)
[ -z "$forbidden" ] && ok || bad "the library imports $(echo $forbidden)"

# The SONAME carries the interface number (-version-info).
if command -v readelf >/dev/null; then
    soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
    [[ $soname == libnntrain.so.[0-9]* ]] && ok || bad "SONAME '$soname', expected libnntrain.so.N"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
