#!/usr/bin/env bash
# .ci/aarch64.sh: cross-build nntrain for aarch64 (Debian's gcc-aarch64-linux-gnu
# and the arm64 -dev packages, multiarch) and run 'make check' under qemu-user.
#
# Works on a copy of the tracked files, built by the project's own autotools
# build, so new sources and new test suites in Makefile.am are picked up with
# no change here. binfmt_misc is not used (containers seldom have it): every
# aarch64 program is started through qemu explicitly.
#   - the Check suites, through LOG_COMPILER (a wrapper that runs ELF files
#     under qemu and anything else, the shell tests, as it is);
#   - the shell tests, with NNTRAIN set to a wrapper that execs qemu on the
#     aarch64 nntrain (exec: the wrapper's pid becomes the program's, so the
#     signals tests/test_resume.sh sends reach it).
# Prints the kernel path the aarch64 build reports and every suite's summary
# line; exits non-zero when the build or any test fails. Does not measure speed.
#
# Environment: AARCH64_TIMEOUT (seconds for 'make check', default 2400),
#              KEEP_BUILD=1 (keep the build tree even when everything passed).
set -euo pipefail
cd "$(dirname "$0")/.."

host=aarch64-linux-gnu
# The programs run on the arm64 multiarch install (/lib/ld-linux-aarch64.so.1,
# /lib/$host: libc6:arm64, which the arm64 -dev packages bring), not on the
# cross toolchain's /usr/$host: there 'qemu -L /usr/$host' takes ld.so from
# libc6-arm64-cross but libc.so.6 (not under that prefix's multiarch path)
# from /lib/$host, and when the two packages' versions differ (Debian
# bookworm: 2.36-8cross1 and 2.36-9+deb12uN) every fork() child hangs, so
# every Check suite does.
runroot=/
say() { printf 'aarch64: %s\n' "$*"; }
die() { printf 'aarch64: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }
t0=$(now)

# ---- 1. packages ------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
[ "$(id -u)" = 0 ] && sudo=() || sudo=(sudo)
# Quiet: apt-get's output goes to a file, shown only when it fails.
apt_log=$(mktemp)
apt_install() {
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" \
        >"$apt_log" 2>&1 || { cat "$apt_log" >&2; die "apt-get could not install $*"; }
}

# qemu-user (Debian >= 13 ships static binaries in it; qemu-user-static is
# the older name of those). Either gives qemu-aarch64 or qemu-aarch64-static.
find_qemu() { command -v qemu-aarch64 || command -v qemu-aarch64-static || true; }

missing=()
for p in gcc make autoconf automake libtool pkg-config gcc-$host protobuf-c-compiler python3-onnx; do
    installed "$p" || missing+=("$p")
done
qemu=$(find_qemu)
if [ -z "$qemu" ]; then
    # (apt-cache's output in a variable: grep -q closing the pipe early
    # would fail the pipeline under pipefail.)
    policy=$(apt-cache policy qemu-user 2>/dev/null)
    if grep -q 'Candidate: [0-9]' <<<"$policy"; then
        missing+=(qemu-user)
    else
        missing+=(qemu-user-static)
    fi
fi
# libgomp1:arm64: the cross toolchain's own libgomp lives under /usr/$host,
# which the programs do not run on (see runroot).
missing_arm64=()
for p in libyaml-dev zlib1g-dev libpng-dev libmicrohttpd-dev check libgomp1 libprotobuf-c-dev; do
    installed "$p:arm64" || missing_arm64+=("$p:arm64")
done
if [ ${#missing[@]} -gt 0 ] || [ ${#missing_arm64[@]} -gt 0 ]; then
    say "installing: ${missing[*]}${missing[*]:+ }${missing_arm64[*]}"
    if [ ${#missing_arm64[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
        "${sudo[@]}" dpkg --add-architecture arm64
    fi
    "${sudo[@]}" apt-get update -qq >"$apt_log" 2>&1 || { cat "$apt_log" >&2; die "apt-get update failed"; }
    apt_install "${missing[@]}" "${missing_arm64[@]}"
    qemu=$(find_qemu)
fi
rm -f "$apt_log"
[ -n "$qemu" ] || die "no qemu-aarch64 after installing qemu-user"
[ -e /lib/ld-linux-aarch64.so.1 ] || die "no /lib/ld-linux-aarch64.so.1: is libc6:arm64 installed?"
t_install=$(($(now) - t0))

# pkg-config for the host: Debian's $host-pkg-config when there is one, else
# the build machine's pkg-config reading only the arm64 and arch-independent
# .pc files.
unset PKG_CONFIG_PATH
pkgconf_args=()
if command -v "$host-pkg-config" >/dev/null; then
    pkgconf_args=(PKG_CONFIG="$host-pkg-config")
else
    pkgconf_args=(PKG_CONFIG=pkg-config PKG_CONFIG_LIBDIR="/usr/lib/$host/pkgconfig:/usr/share/pkgconfig")
fi

# ---- 2. build -----------------------------------------------------------------
# As .ci/run's copy_tree: the tracked files, in a directory of their own.
build=$(mktemp -d)
git ls-files -z | xargs -0 cp --parents -t "$build"
cd "$build"
say "build tree $build"
# The tree is left behind when anything fails, for its logs.
on_exit() {
    local rc=$?
    [ "$rc" = 0 ] || say "failed (exit $rc); build tree kept: $build"
}
trap on_exit EXIT

autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
# --build as well as --host: a cross build for sure, even where binfmt_misc
# would let configure run aarch64 test programs. (configure.ac has no
# AC_CANONICAL_*, so there is no config.guess; the build compiler's triplet.)
./configure -q --build="$(gcc -dumpmachine)" --host=$host "${pkgconf_args[@]}" \
    || die "configure failed (see $build/config.log)"
grep -q "^CC='$host-gcc'" config.log || die "configure did not pick $host-gcc"
make -s -j"$(nproc)" >/dev/null || make -j1 || die "build failed"
make -s -j"$(nproc)" check TESTS= >/dev/null || die "building the test programs failed"
t_build=$(($(now) - t0 - t_install))

# Every ELF executable of the build is an aarch64 one.
n_elf=0
while IFS= read -r -d '' f; do
    [ "$(head -c 4 "$f")" = $'\177ELF' ] || continue
    machine=$("$host-readelf" -h "$f" | sed -n 's/^ *Machine: *//p')
    [ "$machine" = AArch64 ] || die "$f is built for '$machine', not AArch64"
    n_elf=$((n_elf + 1))
done < <(find . -type f -perm -u+x -print0)
if [ ! -x nntrain ] || [ "$n_elf" -lt 2 ]; then die "no aarch64 nntrain or no test programs built"; fi
say "$n_elf executables, all ELF for AArch64"
if command -v file >/dev/null; then say "nntrain: $(file -b nntrain | cut -d, -f1-2)"; fi

# ---- 3. tests under qemu --------------------------------------------------------
# Wrappers, written into the build tree with absolute paths.
cat > qemu-run <<EOF
#!/usr/bin/env bash
# LOG_COMPILER of the aarch64 'make check': ELF programs under qemu, scripts
# as they are. Appends "name seconds" to suite-times.
start=\$(date +%s%N)
if [ "\$(head -c 4 "\$1")" = \$'\\177ELF' ]; then
    "$qemu" -L "$runroot" "\$@"
else
    "\$@"
fi
rc=\$?
echo "\${1##*/} \$(((\$(date +%s%N) - start) / 1000000))" >> "$build/suite-times"
exit \$rc
EOF
cat > nntrain-qemu <<EOF
#!/bin/sh
exec "$qemu" -L "$runroot" "$build/nntrain" "\$@"
EOF
chmod +x qemu-run nntrain-qemu

version=$("$build/nntrain-qemu" --version 2>&1) || die "the aarch64 nntrain does not run under qemu: $version"
grep -q 'nntrain .*(kernels: ' <<<"$version" || die "unexpected --version output: $version"
say "$version"

rm -f suite-times
check_rc=0
timeout "${AARCH64_TIMEOUT:-2400}" make -s -j"$(nproc)" check \
    LOG_COMPILER="$build/qemu-run" \
    TESTS_ENVIRONMENT="NNTRAIN=$build/nntrain-qemu; export NNTRAIN;" >/dev/null 2>&1 || check_rc=$?
t_test=$(($(now) - t0 - t_install - t_build))

# Every suite of the Makefile's TEST_LOGS: its result, its time and its
# summary line. (No .trs: the suite did not finish before the timeout.)
# shellcheck disable=SC2016 # $(TEST_LOGS) is make's
test_logs=$(printf 'print-test-logs:\n\t@echo $(TEST_LOGS)\n' | make -s -f Makefile -f - print-test-logs)
for log in $test_logs; do
    name=${log##*/}; name=${name%.log}
    if [ -f "${log%.log}.trs" ]; then
        result=$(sed -n 's/^:test-result: //p' "${log%.log}.trs")
    else
        result=UNFIN
    fi
    line=$(grep -sE '^[0-9]+%: Checks: |^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)
    ms=$(awk -v n="$name" '$1 == n || $1 == n ".sh" { print $2 }' suite-times 2>/dev/null | tail -1)
    printf '%-5s %-16s %6.1fs  %s\n' "$result" "$name" "$(awk -v m="${ms:-0}" 'BEGIN { print m / 1000 }')" \
        "${line:-(no summary line)}"
done
if [ "$check_rc" = 124 ]; then
    say "make check ran past ${AARCH64_TIMEOUT:-2400}s"
fi
if [ "$check_rc" != 0 ]; then
    grep -h -B2 -A20 -E '^(FAIL|ERROR):|:[EF]:' tests/*.log 2>/dev/null | head -100 || true
    say "install ${t_install}s, build ${t_build}s, tests ${t_test}s"
    die "make check failed under qemu (logs in $build/tests)"
fi
say "install ${t_install}s, build ${t_build}s, tests ${t_test}s"
cd /
[ "${KEEP_BUILD:-0}" = 1 ] || rm -rf "$build"
say "all passed"
