#!/usr/bin/env bash
# The browser test of `nntrain serve`: headless Chromium (Debian chromium)
# driven by playwright-core (tests/browser/page_test.mjs) draws a digit on
# the page and picks a test digit; the prediction the page shows for the
# drawing must be `nntrain predict`'s for the same 28x28 image. Screenshots
# go to tests/test_browser-shots/ (page.png, page-drawn.png, page-phone.png).
# Skipped (77) without chromium, node or playwright-core: .ci/run installs
# them (npm install in tests/browser). The model is trained here on
# synthetic digits, or NNTRAIN_SERVE_MODEL (with NNTRAIN_SERVE_ARGS, e.g.
# "-c configs/mnist.yaml") names one, as for the README's screenshot.
# Then a table model (a CSV written here) with tests/browser/table_test.mjs:
# a form of its features, no pad, bars of the classes; the class the page
# shows for the row it sent is `nntrain predict`'s on that row as CSV
# (screenshots table.png, table-phone.png).
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
srcdir=${NNTRAIN_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/testlib.sh"
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "no $chromium: skipping (apt-get install chromium)"; exit 77; }
command -v node >/dev/null || { echo "no node: skipping"; exit 77; }
[ -d "$srcdir/tests/browser/node_modules/playwright-core" ] ||
    { echo "no playwright-core: skipping (cd tests/browser && npm install)"; exit 77; }
start_test
shots=$PWD/tests/test_browser-shots
[ -d "$PWD/tests" ] || shots=$tmp/shots
rm -rf "$shots"
mkdir -p "$shots"

if [ -n "${NNTRAIN_SERVE_MODEL:-}" ]; then
    model=$NNTRAIN_SERVE_MODEL
    # shellcheck disable=SC2206 # words on purpose
    args=(${NNTRAIN_SERVE_ARGS:-})
else
    write_digits "$tmp/data" 300
    printf 'data:\n  dir: %s\n  train_images: digits.idx\n  train_labels: digits-labels.idx\n  test_images: digits.idx\n  test_labels: digits-labels.idx\nnetwork:\n  sizes: [784, 64, 10]\n  activation: relu\n  init: he\ntrain:\n  epochs: 3\n  batch_size: 10\n  threads: 2\noutput:\n  model: %s\n' \
        "$tmp/data" "$tmp/digits.model" > "$tmp/digits.yaml"
    bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/digits.yaml" > "$tmp/train.out" 2>&1 || { bad "training: $(cat "$tmp/train.out")"; finish; exit 1; }
    model=$tmp/digits.model
    args=(--images "$tmp/data/digits.idx" --labels "$tmp/data/digits-labels.idx")
fi
start_server "$tmp/server.out" -m "$model" --port 0 "${args[@]}" || { finish; exit 1; }

# The browser run is bounded: a page or server that never answers fails it.
(cd "$srcdir/tests/browser" && CHROMIUM=$chromium bounded "${NNTRAIN_TEST_BROWSER_LIMIT:-300}" node page_test.mjs "$server_url/" "$shots") > "$tmp/found.json" 2> "$tmp/browser.err"
rc=$?
cat "$tmp/found.json"
if [ $rc != 0 ]; then
    bad "the browser run failed: $(cat "$tmp/browser.err")"
else
    ok
fi
shown=$(sed -n 's/.*"drawn_shown":"\([^"]*\)".*/\1/p' "$tmp/found.json")
if [ -f "$shots/drawn.pgm" ]; then
    want=$(bounded "$TEST_CALL_LIMIT" "$NNTRAIN" predict -m "$model" "$shots/drawn.pgm" | awk '{ print $2 }')
    [ -n "$shown" ] && [ "$shown" = "$want" ] && ok ||
        bad "the page shows '$shown' for the drawn digit; nntrain predict says '$want'"
    echo "drawn digit: the page shows $shown, nntrain predict says $want"
else
    bad "the browser run saved no drawn.pgm"
fi
for f in page.png page-drawn.png page-phone.png; do
    [ -s "$shots/$f" ] && ok || bad "no screenshot $shots/$f"
done
# --- a table model: the form and the bars --------------------------------------
kill "$server_pid" 2>/dev/null; wait_bounded "$server_pid"
awk 'BEGIN { srand(5); c[0] = "red"; c[1] = "green"; c[2] = "blue"; print "a,b,color,label"
    for (i = 0; i < 240; i++) { a = rand() * 10; b = rand() * 4 - 2; k = int(rand() * 3)
        printf "%.3f,%.3f,%s,%s\n", a, b, c[k], (a + b > 5 ? "high" : (k == 1 ? "green-low" : "low")) } }' > "$tmp/table.csv"
printf 'data:\n  dir: %s\n  train: table.csv\n  label: label\n  missing: mean\nnetwork:\n  hidden: [8]\ntrain:\n  optimizer: adam\n  learning_rate: 0.02\n  epochs: 5\n  threads: 2\noutput:\n  model: %s\n' \
    "$tmp" "$tmp/table.model" > "$tmp/table.yaml"
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/table.yaml" > "$tmp/train-table.out" 2>&1 || { bad "training the table model: $(cat "$tmp/train-table.out")"; finish; exit 1; }
start_server "$tmp/server-table.out" -m "$tmp/table.model" --port 0 || { finish; exit 1; }
(cd "$srcdir/tests/browser" && CHROMIUM=$chromium bounded "${NNTRAIN_TEST_BROWSER_LIMIT:-300}" node table_test.mjs "$server_url/" "$shots") > "$tmp/table.json" 2> "$tmp/table.err"
rc=$?
cat "$tmp/table.json"
[ $rc = 0 ] && ok || bad "the browser run on the table model failed: $(cat "$tmp/table.err")"
# The row the page sent, as CSV, through nntrain predict.
sent=$(sed -n 's/.*"sent":{"a":\([^,]*\),"b":\([^,]*\),"color":"\([^"]*\)"}.*/\1,\2,\3/p' "$tmp/table.json")
shown=$(sed -n 's/.*"shown":"\([^"]*\)".*/\1/p' "$tmp/table.json")
printf 'a,b,color\n%s\n' "$sent" > "$tmp/sent.csv"
want=$(bounded "$TEST_CALL_LIMIT" "$NNTRAIN" predict -c "$tmp/table.yaml" -m "$tmp/table.model" "$tmp/sent.csv" | awk '{ print $2 }')
[ -n "$sent" ] && [ -n "$shown" ] && [ "$shown" = "$want" ] && ok ||
    bad "the page shows '$shown' for the row '$sent'; nntrain predict says '$want'"
echo "table row $sent: the page shows $shown, nntrain predict says $want"
for f in table.png table-phone.png; do
    [ -s "$shots/$f" ] && ok || bad "no screenshot $shots/$f"
done
kill "$server_pid" 2>/dev/null; wait_bounded "$server_pid"
echo "screenshots: $shots"
finish
