# testlib.sh: what the shell tests share; sourcing it only defines things.
# start_test makes $tmp (removed on exit, after $cleanup_hooks); ok, bad,
# expect and finish count and report checks; write_set writes a tiny IDX
# data set, so that no test needs MNIST, and tiny_config a config for it.
# Everything that could block is bounded (bounded, hcurl, wait_bounded,
# start_server), so that a stuck server, client or run fails its test
# instead of hanging the suite.

# The limits, in seconds; raise them on a very slow machine.
#   NNTRAIN_TEST_CALL_LIMIT: one HTTP request, a server's start or stop, a
#     signalled run's exit (default 30)
#   NNTRAIN_TEST_RUN_LIMIT: one nntrain command, e.g. a training run (default 600)
TEST_CALL_LIMIT=${NNTRAIN_TEST_CALL_LIMIT:-30}
TEST_RUN_LIMIT=${NNTRAIN_TEST_RUN_LIMIT:-600}

# bounded SECONDS COMMAND...: runs COMMAND (a program, not a shell function),
# stopped with SIGTERM past SECONDS and SIGKILL 5 s later: exit 124 then, as
# timeout(1) says (and 137 if it took the SIGKILL).
bounded() {
    local limit=$1
    shift
    timeout -k 5 "$limit" "$@"
}

# hcurl ARGS...: curl whose whole call, connecting included, may take at
# most TEST_CALL_LIMIT seconds (then curl fails with exit 28).
hcurl() { curl --max-time "$TEST_CALL_LIMIT" "$@"; }

# wait_bounded PID [SECONDS]: waits for the background job PID (a child of
# this shell) at most SECONDS (default TEST_CALL_LIMIT) and returns its exit
# status; past that, kills it with SIGKILL, says so on stderr and returns 124.
wait_bounded() {
    local pid=$1 limit=${2:-$TEST_CALL_LIMIT} i
    for ((i = 0; i < limit * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        printf 'process %s still runs after %s s: killed\n' "$pid" "$limit" >&2
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 124
    fi
    wait "$pid"
}

start_test() {
    tmp=$(mktemp -d)
    cleanup_hooks=
    trap 'eval "$cleanup_hooks"; rm -rf "$tmp"' EXIT
    pass=0 fail=0
}

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

# expect CODE PATTERN -- command...: exit code and a pattern in stdout+stderr.
# A program is run bounded by TEST_RUN_LIMIT (a shell function must bound
# what it runs itself, as bounded does).
expect() {
    local code=$1 pattern=$2; shift 3
    local out rc
    if [ "$(type -t "$1")" = file ]; then
        out=$(bounded "$TEST_RUN_LIMIT" "$@" 2>&1); rc=$?
    else
        out=$("$@" 2>&1); rc=$?
    fi
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

# tiny_config DIR SIZES: on stdout, a config that trains and tests on
# write_set's set in DIR with a network of SIZES (e.g. "[4, 32, 2]": tanh,
# softmax output, cross-entropy), followed by stdin as it is: further
# network: keys (indented by two), then train: and any other sections.
tiny_config() {
    cat <<YAML
data:
  dir: $1
  train_images: images.idx
  train_labels: labels.idx
  test_images: images.idx
  test_labels: labels.idx
network:
  sizes: $2
  activation: tanh
  output: softmax
  cost: cross_entropy
YAML
    cat
}

# write_digits DIR N: N 28x28 images of 10 classes (class k is a bar at a
# place and slant of its own, with a little noise), as digits.idx and
# digits-labels.idx: enough for a 784-input model without MNIST.
write_digits() {
    local dir=$1 n=$2
    mkdir -p "$dir"
    { printf '\x00\x00\x08\x03'; be32 "$n"; be32 28; be32 28
      awk -v n="$n" 'BEGIN { srand(11)
          for (i = 0; i < n; i++) { k = i % 10
              for (r = 0; r < 28; r++) for (c = 0; c < 28; c++) {
                  d = c - (4 + 2 * k) - (r - 14) * (k % 3 - 1) / 2
                  v = (d >= 0 && d < 3 && r > 4 && r < 24) ? 180 + int(rand() * 75) : (rand() < 0.03 ? int(rand() * 90) : 0)
                  printf "%c", v } } }'; } > "$dir/digits.idx"
    { printf '\x00\x00\x08\x01'; be32 "$n"
      awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%c", i % 10 }'; } > "$dir/digits-labels.idx"
}

# start_server OUT ARGS...: starts "$NNTRAIN" serve ARGS... in the
# background (stdout and stderr in OUT), waits at most TEST_CALL_LIMIT
# seconds for the address it prints and sets server_url (no trailing
# slash) and server_pid. The server is stopped when the test ends (SIGKILL
# if SIGTERM has not stopped it in 10 s). Returns non-zero if it did not
# come up.
start_server() {
    local out=$1 i
    shift
    "$NNTRAIN" serve "$@" >"$out" 2>&1 &
    server_pid=$!
    cleanup_hooks="kill $server_pid 2>/dev/null; wait_bounded $server_pid 10 2>/dev/null; $cleanup_hooks"
    for ((i = 0; i < TEST_CALL_LIMIT * 10; i++)); do
        server_url=$(grep -o 'http://[^ ]*/' "$out" | head -1)
        [ -n "$server_url" ] && { server_url=${server_url%/}; return 0; }
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    printf 'FAIL: the server did not start: %s\n' "$(cat "$out")"
    return 1
}
