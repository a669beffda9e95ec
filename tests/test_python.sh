#!/usr/bin/env bash
# test_python: the Python package (python/nntrain) over this build's
# libnntrain.so, with pytest (python/tests). Skips (77) only when no
# Python with NumPy and pytest is found, and where the library cannot be
# loaded into Python: a cross build (another machine's code) or a
# sanitizer build (ASan must be the first library of the process).
# Python: $NNTRAIN_PYTHON, else the first of /usr/bin/python3, python3
# that imports numpy and pytest. pytest's exit 5 (no tests collected) is
# a failure.
set -u
src=${NNTRAIN_SRCDIR:-.}
lib=${NNTRAIN_LIB:-.libs/libnntrain.so}

if [ "${NNTRAIN_CROSS:-no}" = yes ]; then
    echo "SKIP: a cross build: this machine's Python cannot load $lib"; exit 77
fi
if [ -n "${NNTRAIN_SAN:-}" ]; then
    echo "SKIP: a sanitizer build ($NNTRAIN_SAN): Python cannot load it (test_lib covers the library)"; exit 77
fi
py=
for p in ${NNTRAIN_PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy, pytest' >/dev/null 2>&1; then
        py=$p; break
    fi
done
if [ -z "$py" ]; then
    echo "SKIP: no Python 3 with NumPy and pytest (apt-get install python3-numpy python3-pytest)"; exit 77
fi
if [ ! -e "$lib" ]; then
    echo "FAIL: no $lib to test (configured with --disable-shared?)"; exit 1
fi
echo "python: $py ($("$py" --version 2>&1)), library: $lib"
export NNTRAIN_LIB="$lib"
export PYTHONPATH="$src/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
# The tests' cache and temporary files stay out of the source tree.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$py" -m pytest -q -p no:cacheprovider "$src/python/tests" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# pytest's last line as the suites' "N passed, M failed" (.ci/run counts them).
last=$(tail -1 "$log")
n_pass=$(sed -n 's/.*[^0-9]\([0-9][0-9]*\) passed.*/\1/p' <<<" $last")
n_fail=$(sed -n 's/.*[^0-9]\([0-9][0-9]*\) \(failed\|error\).*/\1/p' <<<" $last")
echo "${n_pass:-0} passed, ${n_fail:-0} failed"
if [ "$rc" = 5 ]; then
    echo "FAIL: pytest collected no tests"; exit 1
fi
exit "$rc"
