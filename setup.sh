#!/usr/bin/env bash
# setup.sh: make a fresh Debian machine ready to build, train and test nntrain.
#
#   1. installs the build dependencies with apt-get (when any is missing),
#   2. builds nntrain (autoreconf, configure, make),
#   3. puts MNIST in data/mnist (copied from ../shared/data/mnist when that
#      exists, else downloaded from a public mirror) and links Fashion-MNIST
#      (Debian's dataset-fashion-mnist) as data/fashion.
#
# Safe to run again: each step is skipped when already done.
# Environment: NNTRAIN_DATA (where the data goes, default ./data),
#              MNIST_SOURCE (a directory holding the four MNIST .gz files),
#              SKIP_FASHION=1 (do not install Fashion-MNIST),
#              WITH_MPI=1 (also install Open MPI and build with --with-mpi:
#              doc/mpi.md).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---- 1. packages ------------------------------------------------------------
# libmicrohttpd and curl for `nntrain serve` and its tests; protobuf-c and
# python3-onnx (whose onnx.proto the build compiles) for `nntrain export`;
# python3-onnx and python3-numpy for the export peer checks; python3-sklearn
# for the real tables of configs/tabular/ (data/tabular.py writes them).
packages=(gcc make autoconf automake libtool pkg-config libyaml-dev zlib1g-dev libpng-dev libmicrohttpd-dev check curl
          protobuf-c-compiler libprotobuf-c-dev python3-onnx python3-numpy python3-sklearn)
configure_args=(-q)
if [ "${WITH_MPI:-0}" = 1 ]; then
    packages+=(libopenmpi-dev openmpi-bin)
    configure_args+=(--with-mpi)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${SKIP_FASHION:-0}" != 1 ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then
    fashion_pkg=dataset-fashion-mnist
else
    fashion_pkg=
fi
if [ ${#missing[@]} -gt 0 ] || [ -n "$fashion_pkg" ]; then
    [ "$(id -u)" = 0 ] && sudo= || sudo=sudo
    say "installing: ${missing[*]} $fashion_pkg"
    $sudo apt-get update -qq
    if [ ${#missing[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
            || die "apt-get could not install ${missing[*]}"
    fi
    if [ -n "$fashion_pkg" ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$fashion_pkg" >/dev/null \
            || say "warning: could not install $fashion_pkg; configs/fashion.yaml will not find its data"
    fi
fi

# ---- 2. build ---------------------------------------------------------------
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ ! -f Makefile.in ] || [ Makefile.am -nt Makefile.in ]; then
    say "autoreconf"
    autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
# Configured again when WITH_MPI asks for another build than the last one.
mpi_now=$( [ -f config.status ] && ./config.status --config | grep -c -- --with-mpi || true)
if [ ! -f Makefile ] || [ configure -nt Makefile ] || [ "${mpi_now:-0}" != "$([ "${WITH_MPI:-0}" = 1 ] && echo 1 || echo 0)" ]; then
    say "configure ${configure_args[*]:1}"
    ./configure "${configure_args[@]}"
fi
say "make"
make -s -j"$(nproc)"

# ---- 3. data ----------------------------------------------------------------
data=${NNTRAIN_DATA:-data}
mnist_files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz
             t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
# SHA-256 of the canonical files, as the public mirrors publish them.
declare -A mnist_sha=(
    [train-images-idx3-ubyte.gz]=440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609
    [train-labels-idx1-ubyte.gz]=3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c
    [t10k-images-idx3-ubyte.gz]=8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6
    [t10k-labels-idx1-ubyte.gz]=f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6
)
mirrors=(https://ossci-datasets.s3.amazonaws.com/mnist
         https://storage.googleapis.com/cvdf-datasets/mnist)

mkdir -p "$data/mnist"
source_dir=${MNIST_SOURCE:-}
if [ -z "$source_dir" ] && [ -d ../shared/data/mnist ]; then
    source_dir=../shared/data/mnist
fi
# One file: copied from source_dir, else downloaded. Returns non-zero (after
# saying why) when neither works; the build and the tests do not need MNIST,
# so that is a warning, not the end of setup.
fetch() {
    local f=$1 dest="$data/mnist/$1" got='' m
    if [ -n "$source_dir" ] && [ -f "$source_dir/$f" ]; then
        say "copying $f from $source_dir"
        cp "$source_dir/$f" "$dest.part" && chmod u+w "$dest.part" || return 1
    else
        for m in "${mirrors[@]}"; do
            say "downloading $m/$f"
            if command -v curl >/dev/null; then
                curl -fsSL --retry 2 -o "$dest.part" "$m/$f" && got=1 && break
            elif command -v wget >/dev/null; then
                wget -q -O "$dest.part" "$m/$f" && got=1 && break
            else
                say "neither curl nor wget is installed to download MNIST"
                return 1
            fi
        done
        [ -n "$got" ] || return 1
        sum=$(sha256sum "$dest.part" | cut -d' ' -f1)
        [ "$sum" = "${mnist_sha[$f]}" ] || say "warning: $f has SHA-256 $sum, not the published ${mnist_sha[$f]}"
    fi
    gzip -t "$dest.part" || { say "$dest: not a valid gzip file"; rm -f "$dest.part"; return 1; }
    mv "$dest.part" "$dest"
}
missing_data=
for f in "${mnist_files[@]}"; do
    [ -s "$data/mnist/$f" ] || fetch "$f" || missing_data+=" $f"
done

if [ -d /usr/share/datasets/fashion-mnist ] && [ ! -e "$data/fashion" ]; then
    ln -s /usr/share/datasets/fashion-mnist "$data/fashion"
fi
# The real tables that ship with scikit-learn, as CSV (configs/tabular/).
# Debian's own interpreter: a python3 earlier on PATH may not see its packages.
if [ ! -s "$data/tabular/wine.csv" ]; then
    if /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
        say "writing the scikit-learn tables to $data/tabular"
        /usr/bin/python3 data/tabular.py "$data/tabular" >/dev/null || say "warning: data/tabular.py failed"
    else
        say "warning: python3-sklearn is missing: configs/tabular/ will not find their tables"
    fi
fi
if [ -n "$missing_data" ]; then
    say "WARNING: MNIST is incomplete (missing:$missing_data): the build and 'make check'"
    say "are fine, but configs/mnist.yaml cannot train until the four files are in $data/mnist"
    say "(set MNIST_SOURCE=DIR to copy them from a directory of yours and run setup.sh again)"
else
    say "ready: ./nntrain -c configs/mnist.yaml"
fi
