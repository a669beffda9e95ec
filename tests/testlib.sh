# testlib.sh: what the shell tests share; sourcing it only defines things.
# start_test makes $tmp (removed on exit, after $cleanup_hooks); ok, bad,
# expect and finish count and report checks; write_set writes a tiny IDX
# data set, so that no test needs MNIST.

start_test() {
    tmp=$(mktemp -d)
    cleanup_hooks=
    trap 'eval "$cleanup_hooks"; rm -rf "$tmp"' EXIT
    pass=0 fail=0
}

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

# expect CODE PATTERN -- command...: exit code and a pattern in stdout+stderr.
expect() {
    local code=$1 pattern=$2; shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" != "$code" ]; then
        bad "$* exited $rc, expected $code; output: $out"
    elif ! grep -qE -- "$pattern" <<<"$out"; then
        bad "$*: output lacks /$pattern/: $out"
    else
        ok
    fi
}

# The closing line, and the exit status: 0 when nothing failed.
finish() {
    printf '%d passed, %d failed\n' "$pass" "$fail"
    [ "$fail" = 0 ]
}

# A big-endian uint32, as IDX headers want it.
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }

# write_set DIR N: a 2-class set of N 2x2 images (class 0 lights the top
# row, class 1 the bottom row, with a little variation): images.idx,
# images.idx.gz and labels.idx.
write_set() {
    local dir=$1 n=$2 i v
    mkdir -p "$dir"
    { printf '\x00\x00\x08\x03'; be32 "$n"; be32 2; be32 2
      for ((i = 0; i < n; i++)); do
          v=$(printf %02x $((200 + i % 50)))
          if ((i % 2 == 0)); then printf "\\x$v\\x$v\\x00\\x10"; else printf "\\x10\\x00\\x$v\\x$v"; fi
      done; } > "$dir/images.idx"
    { printf '\x00\x00\x08\x01'; be32 "$n"
      for ((i = 0; i < n; i++)); do printf "\\x0$((i % 2))"; done; } > "$dir/labels.idx"
    gzip -c "$dir/images.idx" > "$dir/images.idx.gz"
}
