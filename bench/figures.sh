#!/usr/bin/env bash
# figures.sh: reruns the accuracy figures written in README.md and doc/*.md
# and fails, naming the file, line and row, when one differs from what the
# page says. So a figure cannot go stale silently.
#
#   bench/figures.sh [NNTRAIN]        (default: ./nntrain of this tree)
#
# The numbers are read from the pages themselves, never kept here. A table
# is checked when the line before it (blank lines aside) is one of
#
#   <!-- bench/figures.sh: train -->
#       a table of configs: each row's first cell names `configs/NAME.yaml`;
#       the config is trained (-q) and the "test accuracy: X%" it prints
#       must equal the first X% of the row's "test accuracy" column;
#   <!-- bench/figures.sh: sweep configs/NAME.yaml -->
#       the top of a sweep's results.md: the sweep is run and each row of
#       the page must equal the row of the same rank of its results.md,
#       every column but "seconds" (times vary from run to run; accuracies
#       and losses are the same bits on every CPU and thread count).
#
# Runs happen in a scratch directory (their out/ and runs/ go there), with
# NNTRAIN_DATA pointing at this tree's data/ unless already set. Exit 0 when
# every figure matches, 1 when one differs or a run fails, 77 (skip) when a
# data set a table needs is missing (setup.sh installs MNIST and
# Fashion-MNIST) and nothing failed. About a minute on 2 quiet cores:
# the five configs of the README's first table and a 24-trial sweep.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
nntrain=${1:-$here/nntrain}
case $nntrain in /*) ;; *) nntrain=$(pwd)/$nntrain ;; esac
[ -x "$nntrain" ] || { echo "figures.sh: $nntrain: not an executable (build first: make)"; exit 1; }
data_root=${NNTRAIN_DATA:-$here/data}
case $data_root in /*) ;; *) data_root=$(pwd)/$data_root ;; esac
export NNTRAIN_DATA=$data_root

scratch=$(mktemp -d "${TMPDIR:-/tmp}/nntrain-figures.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT

failed=0 skipped=0 checked=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# The data directory a config reads (data.dir, default mnist), present or not.
data_ok() {
    local cfg=$1 dir
    dir=$(awk '/^data:/ { d = 1; next } /^[^ #]/ { d = 0 }
               d && $1 == "dir:" { gsub(/["'\'']/, "", $2); print $2; exit }' "$cfg")
    dir=${dir:-mnist}
    case $dir in /*) ;; *) dir=$data_root/$dir ;; esac
    ls "$dir"/*-images-idx3-ubyte* >/dev/null 2>&1 && return 0
    echo "SKIP $2: no data in $dir (./setup.sh installs MNIST and Fashion-MNIST)"
    skipped=$((skipped + 1))
    return 1
}

# Every row of every marked table: FILE, LINE, KIND, ARG, ROW separated by
# \037 (not a tab: read would merge the two tabs around an empty ARG), with
# the header row's LINE prefixed by "h" and the separator row left out.
tables() {
    awk -v OFS='\037' '
        FNR == 1 { kind = ""; rows = -1 }
        /^<!-- bench\/figures\.sh: [a-z]+( [^ ]+)? -->/ {
            kind = $3; arg = ($4 == "-->") ? "" : $4; rows = 0; next }
        kind != "" && /^\|/ {
            rows++
            if (rows == 1) print FILENAME, "h" FNR, kind, arg, $0
            else if (rows > 2) print FILENAME, FNR, kind, arg, $0
            next }
        kind != "" && rows > 0 { kind = ""; rows = -1 }
        kind != "" && /[^ \t]/ && rows == 0 { kind = ""; rows = -1 }
    ' "$@"
}

# The cells of one Markdown table row, one a line, trimmed.
cells() {
    printf '%s\n' "$1" | awk '{ sub(/^ *\| */, ""); sub(/ *\| *$/, "")
        n = split($0, c, / *\| */); for (i = 1; i <= n; i++) print c[i] }'
}

# A row without its "seconds" column (whose index is given), cells joined by " | ".
without() {
    cells "$1" | awk -v skip="$2" 'NR != skip { s = s (s == "" ? "" : " | ") $0 } END { print s }'
}

# Runs one training config in the scratch directory; prints its test accuracy.
train_accuracy() {
    local cfg=$1 dir
    dir=$(mktemp -d "$scratch/train.XXXXXX")
    (cd "$dir" && "$nntrain" -q -c "$here/$cfg" </dev/null >out.log 2>&1) || {
        echo "error: $(tail -1 "$dir/out.log")"; return 1; }
    sed -n 's/^test accuracy: \([0-9.]*%\).*/\1/p' "$dir/out.log"
}

# Runs one sweep in the scratch directory, once; sets md to its results.md.
declare -A sweep_md
run_sweep() {
    local cfg=$1 dir
    md=${sweep_md[$cfg]:-}
    [ -n "$md" ] && return 0
    dir=$(mktemp -d "$scratch/sweep.XXXXXX")
    (cd "$dir" && "$nntrain" -q -c "$here/$cfg" </dev/null >out.log 2>&1) || {
        echo "     $cfg: $(tail -1 "$dir/out.log")"; return 1; }
    md=$(find "$dir" -name results.md | head -1)
    [ -n "$md" ] || { echo "     $cfg left no results.md"; return 1; }
    sweep_md[$cfg]=$md
}

cd "$here" || exit 1
shopt -s nullglob
pages=(README.md doc/*.md)
rows=$(tables "${pages[@]}")
grep -q $'^README.md\037h[0-9]*\037train' <<<"$rows" ||
    { echo "FAIL README.md: no table marked <!-- bench/figures.sh: train --> (moved or renamed?)"; exit 1; }

acc_col=0 sec_col=0 header=''
declare -A missing_data=()
while IFS=$'\037' read -r file line kind arg row; do
    if [ "${line#h}" != "$line" ]; then          # a header row
        header=$row; acc_col=0; sec_col=0
        i=0
        while IFS= read -r c; do
            i=$((i + 1))
            [ "$c" = "test accuracy" ] && [ $acc_col = 0 ] && acc_col=$i
            [ "$c" = "seconds" ] && sec_col=$i
        done < <(cells "$row")
        continue
    fi
    where="$file:$line"
    case $kind in
    train)
        [ $acc_col -gt 0 ] || { fail "$where: its table has no \"test accuracy\" column"; continue; }
        first=$(cells "$row" | head -1)
        cfg=$(printf '%s' "$first" | sed -n 's/^[^`]*`\(configs\/[^`]*\.yaml\)`.*/\1/p')
        want=$(cells "$row" | sed -n "${acc_col}p" | grep -o '[0-9][0-9.]*%' | head -1)
        [ -n "$cfg" ] && [ -n "$want" ] || { fail "$where: no \`configs/NAME.yaml\` or no X% in the row"; continue; }
        [ -f "$cfg" ] || { fail "$where: $cfg does not exist"; continue; }
        data_ok "$cfg" "$where $cfg" || continue
        got=$(train_accuracy "$cfg")
        checked=$((checked + 1))
        if [ "$got" = "$want" ]; then
            echo "ok   $where $cfg: $got"
        else
            fail "$where $cfg: test accuracy ${got:-none}, the table says $want"
        fi
        ;;
    sweep)
        cfg=$arg
        [ -f "$cfg" ] || { fail "$where: $cfg (named in the marker) does not exist"; continue; }
        [ -n "${missing_data[$cfg]:-}" ] && { skipped=$((skipped + 1)); continue; }
        data_ok "$cfg" "$where $cfg" || { missing_data[$cfg]=1; continue; }
        run_sweep "$cfg" || { fail "$where: the sweep $cfg failed"; missing_data[$cfg]=1; continue; }
        [ $sec_col -gt 0 ] || { fail "$where: its table has no \"seconds\" column"; continue; }
        their_header=$(grep -m1 '^| rank |' "$md")
        if [ "$(without "$header" $sec_col)" != "$(without "$their_header" $sec_col)" ]; then
            fail "$where: the table's columns are not results.md's ($their_header)"; continue
        fi
        rank=$(cells "$row" | head -1)
        theirs=$(grep -m1 "^| $rank |" "$md")
        checked=$((checked + 1))
        if [ "$(without "$row" $sec_col)" = "$(without "$theirs" $sec_col)" ]; then
            echo "ok   $where $cfg rank $rank"
        else
            fail "$where $cfg rank $rank: the table says"
            echo "       $(without "$row" $sec_col)"
            echo "     the sweep gives (results.md):"
            echo "       $(without "$theirs" $sec_col)"
        fi
        ;;
    *)
        fail "$where: unknown marker kind \"$kind\" (train or sweep)"
        ;;
    esac
done <<<"$rows"

echo "$checked figures checked, $failed differ or failed, $skipped skipped"
[ $failed = 0 ] || exit 1
[ $skipped = 0 ] || exit 77
exit 0
