#!/usr/bin/env bash
# Tests of `nntrain serve` over HTTP (curl): usage errors, the page, every
# API call with good and bad requests, predictions equal to `nntrain
# predict`'s, many clients at once, and a clean stop on SIGTERM. The model
# is trained here on synthetic 28x28 digits (no MNIST needed). Every client
# call is bounded (hcurl, bounded, wait_bounded: testlib.sh), so a stuck
# server or connection fails the test instead of hanging it.
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
. "$(dirname "$0")/testlib.sh"
start_test
command -v curl >/dev/null || { echo "curl not found: skipping (apt-get install curl)"; exit 77; }

write_digits "$tmp/data" 300
cat > "$tmp/digits.yaml" <<YAML
data:
  dir: $tmp/data
  train_images: digits.idx
  train_labels: digits-labels.idx
  test_images: digits.idx
  test_labels: digits-labels.idx
network:
  sizes: [784, 24, 10]
  activation: tanh
  output: softmax
  cost: cross_entropy
train:
  learning_rate: 0.1
  batch_size: 10
  epochs: 3
  threads: 2
output:
  model: $tmp/digits.model
YAML
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/digits.yaml" >"$tmp/train.out" 2>&1 ||
    bad "training the test model failed: $(cat "$tmp/train.out")"
model=$tmp/digits.model
data=(--images "$tmp/data/digits.idx" --labels "$tmp/data/digits-labels.idx")

# --- usage ---------------------------------------------------------------------
expect 0 'Usage: nntrain serve' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve --help
expect 2 'serve needs -m MODEL' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve
expect 2 "--port '70000': expected a whole number 0..65535" -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --port 70000
expect 2 "--port 'x': expected" -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --port x
expect 2 '--images and --labels go together' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --images x
expect 2 'serve takes no file arguments' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" extra
expect 2 'unknown option --bogus' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --bogus
expect 2 'nope.model' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$tmp/nope.model" --port 0
expect 2 '--bind not.a.host.invalid' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --port 0 --bind not.a.host.invalid
expect 2 'labels.idx' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --port 0 --images "$tmp/data/digits.idx" --labels "$tmp/labels.idx"

# --- libmicrohttpd, loaded by serve alone (src/httpd.c) ------------------------------
# The program does not link it (nor GnuTLS, which it brings): every other
# command starts without loading them. (Read with objdump where NNTRAIN is
# the program itself, not a wrapper such as .ci/aarch64.sh's.)
if [ "$(head -c 4 "$NNTRAIN" 2>/dev/null | tr -d '\177')" = ELF ] && command -v objdump >/dev/null; then
    needed=$(objdump -p "$NNTRAIN" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }')
    if [ -z "$needed" ]; then
        bad "objdump -p $NNTRAIN lists no NEEDED library"
    elif grep -qE 'libmicrohttpd|libgnutls' <<<"$needed"; then
        bad "nntrain links libmicrohttpd or GnuTLS (serve loads it at run time): $(echo $needed)"
    else
        ok
    fi
fi
# Without it serve says what to install; a library without its functions
# is refused by name. NNTRAIN_HTTPD_LIB names the file to load instead.
expect 1 '^nntrain: serve: cannot load libnntrain-none\.so\.0 \(.*\): the HTTP server needs libmicrohttpd \(Debian: apt-get install libmicrohttpd' -- \
    bounded "$TEST_CALL_LIMIT" env NNTRAIN_HTTPD_LIB=libnntrain-none.so.0 "$NNTRAIN" serve -m "$model" --port 0 "${data[@]}"
expect 1 '^nntrain: serve: libz\.so\.1 has no MHD_start_daemon: not the libmicrohttpd' -- \
    bounded "$TEST_CALL_LIMIT" env NNTRAIN_HTTPD_LIB=libz.so.1 "$NNTRAIN" serve -m "$model" --port 0 "${data[@]}"

# --- the server --------------------------------------------------------------------
start_server "$tmp/server.out" -m "$model" --port 0 "${data[@]}" || { finish; exit 1; }
url=$server_url
grep -q "^nntrain serve: open http://127.0.0.1:[0-9]*/  (model .*: 784-24-10, 20 test digits; Ctrl-C stops)$" \
    "$tmp/server.out" && ok || bad "the address line: $(cat "$tmp/server.out")"
port=${url##*:}
expect 1 "cannot listen on 127.0.0.1 port $port: Address already in use \\(--port N picks another" -- \
    bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --port "$port"

# check NAME STATUS PATTERN CURL_ARGS...: the HTTP status and a pattern in the body.
check() {
    local name=$1 want=$2 pattern=$3 got body
    shift 3
    body=$(hcurl -s -o - -w '\n%{http_code}' "$@" 2>&1)
    got=${body##*$'\n'}
    body=${body%$'\n'*}
    if [ "$got" != "$want" ]; then
        bad "$name: HTTP $got, expected $want; body: ${body:0:300}"
    elif ! grep -qE -- "$pattern" <<<"$body"; then
        bad "$name: body lacks /$pattern/: ${body:0:300}"
    else
        ok
    fi
}
json=(-H 'Content-Type: application/json')

# The page: its three files, and HEAD.
check page 200 '<canvas id="pad"' "$url/"
check page-js 200 'function preprocess' "$url/app.js"
check page-css 200 '#pad' "$url/style.css"
check page-head 200 '^$' -I "$url/" -o /dev/null
ctype=$(hcurl -s -o /dev/null -w '%{content_type}' "$url/app.js")
[ "$ctype" = 'text/javascript; charset=utf-8' ] && ok || bad "app.js content type: $ctype"

# model, samples, weights
check model 200 '^\{"sizes":\[784,24,10\],"activations":\["tanh","softmax"\],"cost":"cross_entropy","params":19090,"input":\{"rows":28,"cols":28\},"samples":20\}$' "$url/api/model"
check samples 200 '^\{"rows":28,"cols":28,"samples":\[\{"label":0,"pixels":\[[0-9,]*\]\},\{"label":1,' "$url/api/samples"
n=$(hcurl -s "$url/api/samples" | grep -o '"label"' | wc -l)
[ "$n" = 20 ] && ok || bad "samples: $n, expected 20"
check weights 200 '^\{"layer":0,"unit":23,"bias":[-0-9.e]+,"weights":\[' "$url/api/weights?layer=0&unit=23"
n=$(hcurl -s "$url/api/weights?layer=1&unit=9" | sed 's/.*"weights":\[\([^]]*\)\].*/\1/' | tr ',' '\n' | wc -l)
[ "$n" = 24 ] && ok || bad "layer 1's weights: $n, expected 24"
check weights-unit 400 '"error":"unit must be a whole number 0..23 for layer 0"' "$url/api/weights?layer=0&unit=24"
check weights-layer 400 '"error":"layer must be a whole number 0..1"' "$url/api/weights?layer=2&unit=0"
check weights-neg 400 'unit must be' "$url/api/weights?layer=0&unit=-1"
check weights-text 400 'layer must be' "$url/api/weights?layer=abc&unit=0"
check weights-huge 400 'unit must be' "$url/api/weights?layer=0&unit=99999999999999999999"
check weights-missing 400 'expected \?layer=L&unit=U' "$url/api/weights?layer=0"
check weights-extra 400 'takes only layer and unit' "$url/api/weights?layer=0&unit=0&x=1"
check model-query 400 'takes no query parameters' "$url/api/model?x=1"

# predict: the pixels of image i of the data set as JSON
pixels() {
    od -An -v -tu1 -j $((16 + $1 * 784)) -N 784 "$tmp/data/digits.idx" |
        awk '{ for (i = 1; i <= NF; i++) printf "%s%.9g", (n++ ? "," : ""), $i / 255 }'
}
# ... and as a PGM file for nntrain predict
pgm() {
    { printf 'P2\n28 28\n255\n'
      od -An -v -tu1 -j $((16 + $1 * 784)) -N 784 "$tmp/data/digits.idx"; } > "$2"
}
for i in 0 1 2 3 4 5 6 7 8 9 13 42 101 250 299; do
    printf '{"pixels":[%s]}' "$(pixels $i)" > "$tmp/p$i.json"
    pgm $i "$tmp/p$i.pgm"
    reply=$(hcurl -s "${json[@]}" --data-binary @"$tmp/p$i.json" "$url/api/predict")
    want=$(bounded "$TEST_CALL_LIMIT" "$NNTRAIN" predict -m "$model" "$tmp/p$i.pgm")
    got_class=$(sed -n 's/^{"prediction":\([0-9]*\),.*/\1/p' <<<"$reply")
    want_class=$(awk '{ print $2 }' <<<"$want")
    [ -n "$got_class" ] && [ "$got_class" = "$want_class" ] && ok ||
        bad "image $i: the server predicts '$got_class', nntrain predict '$want_class' ($reply)"
    # The outputs agree to predict's 4 decimals (pixels may differ by an ulp).
    outs=$(sed 's/.*"outputs":\[\([^]]*\)\].*/\1/' <<<"$reply" | tr ',' ' ')
    awk -v a="$outs" -v b="$(cut -d' ' -f3- <<<"$want")" 'BEGIN { n = split(a, x, " "); m = split(b, y, " ")
        if (n != 10 || m != 10) exit 1
        for (i = 1; i <= n; i++) if (x[i] - y[i] > 6e-5 || y[i] - x[i] > 6e-5) exit 1 }' && ok ||
        bad "image $i: outputs $outs, nntrain predict: $want"
done
check predict-shape 200 '^\{"prediction":[0-9],"outputs":\[[^]]*\],"activations":\[\[[^]]*\],\[[^]]*\]\],"connections":\[\[\[[0-9]+,[0-9]+,[-0-9.e]+\]' \
    "${json[@]}" --data-binary @"$tmp/p0.json" "$url/api/predict"
check predict-charset 200 '"prediction"' -H 'Content-Type: application/json; charset=utf-8' \
    --data-binary @"$tmp/p0.json" "$url/api/predict"

# predict: bad requests, each answered and survived
zeros() { awk -v n="$1" -v v="${2:-0}" 'BEGIN { for (i = 0; i < n; i++) printf "%s%s", (i ? "," : ""), v }'; }
check get-predict 405 'takes POST' "$url/api/predict"
check put-predict 405 'takes POST' -X PUT "${json[@]}" --data-binary @"$tmp/p0.json" "$url/api/predict"
allow=$(hcurl -s -o /dev/null -D - "$url/api/predict" | tr -d '\r' | sed -n 's/^Allow: //ip')
[ "$allow" = POST ] && ok || bad "405 without Allow: POST ($allow)"
check post-model 405 'takes GET' -X POST "$url/api/model"
check post-page 405 'the page takes GET' -X POST "$url/"
check text-plain 415 'Content-Type: application/json' -H 'Content-Type: text/plain' --data-binary @"$tmp/p0.json" "$url/api/predict"
check form 415 'Content-Type' --data-binary @"$tmp/p0.json" "$url/api/predict"
check no-type 415 'Content-Type' -H 'Content-Type:' --data-binary @"$tmp/p0.json" "$url/api/predict"
check jsonx 415 'Content-Type' -H 'Content-Type: application/jsonx' --data-binary @"$tmp/p0.json" "$url/api/predict"
check empty 400 'malformed JSON at byte 0: expected a value' "${json[@]}" -X POST "$url/api/predict"
check truncated 400 "malformed JSON at byte 12: expected ',' or ']'" "${json[@]}" -d '{"pixels":[1' "$url/api/predict"
check garbage 400 'malformed JSON' "${json[@]}" -d 'pixels=1' "$url/api/predict"
check trailing 400 'text after the value' "${json[@]}" -d "{\"pixels\":[$(zeros 784)]}x" "$url/api/predict"
check array 400 'expected a JSON object' "${json[@]}" -d '[0,0]' "$url/api/predict"
check no-pixels 400 'missing ."pixels.": expected 784 numbers' "${json[@]}" -d '{"pixel":[0]}' "$url/api/predict"
check extra-key 400 'unknown member' "${json[@]}" -d "{\"pixels\":[$(zeros 784)],\"x\":1}" "$url/api/predict"
check pixels-string 400 'pixels." must be an array' "${json[@]}" -d '{"pixels":"0"}' "$url/api/predict"
check few 400 'pixels." has 783 values; the model takes 784' "${json[@]}" -d "{\"pixels\":[$(zeros 783)]}" "$url/api/predict"
check many 400 'pixels." has 785 values' "${json[@]}" -d "{\"pixels\":[$(zeros 785)]}" "$url/api/predict"
check far-too-many 400 'JSON has more than 792 values' "${json[@]}" -d "{\"pixels\":[$(zeros 5000)]}" "$url/api/predict"
check none 400 'pixels." has 0 values' "${json[@]}" -d '{"pixels":[]}' "$url/api/predict"
check above-1 400 'pixels\[783\] = 1.5 is outside 0..1' "${json[@]}" -d "{\"pixels\":[$(zeros 783),1.5]}" "$url/api/predict"
check negative 400 'pixels\[0\] = -0.1 is outside 0..1' "${json[@]}" -d "{\"pixels\":[-0.1,$(zeros 783)]}" "$url/api/predict"
check huge 400 'outside 0..1' "${json[@]}" -d "{\"pixels\":[$(zeros 783 1e300),0]}" "$url/api/predict"
check overflow 400 'number out of range' "${json[@]}" -d "{\"pixels\":[1e999,$(zeros 783)]}" "$url/api/predict"
check nan 400 'malformed JSON' "${json[@]}" -d "{\"pixels\":[NaN,$(zeros 783)]}" "$url/api/predict"
check infinity 400 'malformed JSON' "${json[@]}" -d "{\"pixels\":[Infinity,$(zeros 783)]}" "$url/api/predict"
check null-pixel 400 'pixels\[5\] is not a number' "${json[@]}" -d "{\"pixels\":[0,0,0,0,0,null,$(zeros 778)]}" "$url/api/predict"
check string-pixel 400 'pixels\[0\] is not a number' "${json[@]}" -d "{\"pixels\":[\"0\",$(zeros 783)]}" "$url/api/predict"
check long-number 400 'number longer than 64' "${json[@]}" -d "{\"pixels\":[0.$(printf '%080d' 1),$(zeros 783)]}" "$url/api/predict"
deep=$(printf '[%.0s' $(seq 100))
check deep 400 'nested deeper than 64 levels' "${json[@]}" -d "{\"pixels\":$deep" "$url/api/predict"
check bad-escape 400 'unknown escape' "${json[@]}" -d '{"pi\xels":[]}' "$url/api/predict"
check control-char 400 'control character' "${json[@]}" -d $'{"pix\x01els":[]}' "$url/api/predict"
head -c 70000 /dev/zero | tr '\0' ' ' > "$tmp/big.json"
check too-big 413 'over the limit of 65536 bytes' "${json[@]}" --data-binary @"$tmp/big.json" "$url/api/predict"
check too-big-chunked 413 'over the limit' "${json[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/big.json" "$url/api/predict"
check query-predict 400 'takes no query parameters' "${json[@]}" --data-binary @"$tmp/p0.json" "$url/api/predict?x=1"

# Unknown paths, and no way out of the page's own files.
check api-unknown 404 'no such API path' "$url/api/nope"
check api-slash 404 'no such API path' "$url/api/"
check unknown 404 'no such path' "$url/nope.html"
for p in /../../../../etc/passwd /%2e%2e/%2e%2e/%2e%2e/etc/passwd /app.js/../../../etc/passwd \
         //etc/passwd /web/app.js /index.html /.%2e/src/main.c /..%2f..%2fetc%2fpasswd; do
    check "traversal $p" 404 '"error"' --path-as-is "$url$p"
done

# Many clients at once: 32 concurrent predictions, every one answered right.
# Each is bounded (hcurl): a stuck connection fails the check, not the suite.
want=$(hcurl -s "${json[@]}" --data-binary @"$tmp/p7.json" "$url/api/predict")
clients=()
for k in $(seq 32); do
    hcurl -s "${json[@]}" --data-binary @"$tmp/p7.json" "$url/api/predict" > "$tmp/c$k.out" &
    clients+=($!)
done
wait "${clients[@]}"
same=0
for k in $(seq 32); do [ "$(cat "$tmp/c$k.out")" = "$want" ] && same=$((same + 1)); done
grep -q '^{"prediction":' <<<"$want" && [ "$same" = 32 ] && ok ||
    bad "concurrent clients: $same of 32 got the answer '${want:0:80}'"
# Still serving after all of the above.
check still-serving 200 '"sizes"' "$url/api/model"

# A clean stop on SIGTERM (exit 0), then on SIGINT.
kill -TERM "$server_pid"
wait_bounded "$server_pid"
rc=$?
[ "$rc" = 0 ] && grep -q 'stopped by SIGTERM' "$tmp/server.out" && ok ||
    bad "SIGTERM: exit $rc; $(cat "$tmp/server.out")"
start_server "$tmp/server2.out" -m "$model" --port 0 -q "${data[@]}" || { finish; exit 1; }
[ "$(cat "$tmp/server2.out")" = "$server_url/" ] && ok || bad "-q prints only the address: $(cat "$tmp/server2.out")"
check quiet-serving 200 '"samples":20' "$server_url/api/model"
kill -INT "$server_pid"
wait_bounded "$server_pid"
rc=$?
[ "$rc" = 0 ] && ok || bad "SIGINT: exit $rc"

# Without data the page still works, with no samples (and a warning).
NNTRAIN_DATA=$tmp/nowhere start_server "$tmp/server3.out" -m "$model" --port 0 || { finish; exit 1; }
grep -q '^nntrain: serve: no test digits to pick from (.*nowhere' "$tmp/server3.out" && ok ||
    bad "no warning without samples: $(cat "$tmp/server3.out")"
check no-samples 200 '^\{"rows":28,"cols":28,"samples":\[\]\}$' "$server_url/api/samples"
kill "$server_pid"; wait_bounded "$server_pid"
expect 2 'nowhere' -- bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$model" --port 0 -c "$tmp/digits.yaml" -s data.dir="$tmp/nowhere"
# --- a table model ---------------------------------------------------------------
awk 'BEGIN { srand(11); c[0] = "red"; c[1] = "green"; c[2] = "blue"
    print "a,b,color,label,y"
    for (i = 0; i < 240; i++) {
        a = rand() * 10; b = rand() * 4 - 2; k = int(rand() * 3)
        printf "%.3f,%s,%s,%s,%.4f\n", a, (i % 13 == 4 ? "" : sprintf("%.3f", b)), c[k],
            (a + b > 5 ? "high" : (k == 1 ? "green-low" : "low")), 2 * a - b + 3 * (k == 0) + 10
    } }' > "$tmp/table.csv"
for kind in class reg; do
    cat > "$tmp/$kind.yaml" <<YAML
data:
  dir: $tmp
  train: table.csv
  label: $([ $kind = reg ] && echo y || echo label)
  ignore: [$([ $kind = reg ] && echo label || echo y)]
  task: $([ $kind = reg ] && echo regression || echo classification)
  missing: $([ $kind = reg ] && echo error || echo mean)
network:
  hidden: [8]
  activation: tanh
train:
  optimizer: adam
  learning_rate: 0.02
  batch_size: 16
  epochs: 5
  threads: 2
output:
  model: $tmp/$kind.model
YAML
    [ $kind = reg ] && awk -F, 'NR == 1 || $2 != ""' "$tmp/table.csv" > "$tmp/full.csv" &&
        sed -i 's/train: table.csv/train: full.csv/' "$tmp/$kind.yaml"
    bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/$kind.yaml" >"$tmp/train-$kind.out" 2>&1 ||
        bad "training the table model $kind failed: $(cat "$tmp/train-$kind.out")"
done
expect 2 'a table model: --images/--labels are for image models' -- \
    bounded "$TEST_CALL_LIMIT" "$NNTRAIN" serve -m "$tmp/class.model" --port 0 "${data[@]}"
start_server "$tmp/server4.out" -m "$tmp/class.model" --port 0 || { finish; exit 1; }
grep -q "^nntrain serve: open http://127.0.0.1:[0-9]*/  (model .*: 5-8-3, a classification table model on 3 features; Ctrl-C stops)$" \
    "$tmp/server4.out" && ok || bad "the table model's address line: $(cat "$tmp/server4.out")"
url=$server_url
check table-page 200 'id="features"' "$url/"
check table-js 200 'function startTable' "$url/app.js"
num='-?[0-9.e+-]+'
check table-model 200 "^\{\"sizes\":\[5,8,3\],\"activations\":\[\"tanh\",\"softmax\"\],\"cost\":\"cross_entropy\",\"params\":75,\"input\":\{\"rows\":1,\"cols\":5\},\"samples\":0,\"task\":\"classification\",\"features\":\[\{\"name\":\"a\",\"type\":\"numeric\",\"default\":$num,\"missing\":true\},\{\"name\":\"b\",\"type\":\"numeric\",\"default\":$num,\"missing\":true\},\{\"name\":\"color\",\"type\":\"categorical\",\"categories\":\[\"blue\",\"green\",\"red\"\],\"default\":\"[a-z]+\",\"missing\":true\}\],\"classes\":\[\"green-low\",\"high\",\"low\"\]\}$" "$url/api/model"
check table-samples 200 '^\{"rows":1,"cols":5,"samples":\[\]\}$' "$url/api/samples"
# The server's answer against nntrain predict on the same row as CSV.
table_row() { # NAME JSON-FEATURES CSV-ROW MODEL
    local reply want
    printf 'a,b,color\n%s\n' "$3" > "$tmp/row-$1.csv"
    reply=$(hcurl -s "${json[@]}" -d "{\"features\":$2}" "$url/api/predict")
    want=$(bounded "$TEST_CALL_LIMIT" "$NNTRAIN" predict --all-digits -c "$tmp/$4.yaml" -m "$tmp/$4.model" "$tmp/row-$1.csv")
    if [ "$4" = class ]; then
        local cls probs wcls wprobs
        cls=$(sed -n 's/.*"prediction":"\([^"]*\)".*/\1/p' <<<"$reply")
        probs=$(sed -n 's/.*"probabilities":\[\([^]]*\)\].*/\1/p' <<<"$reply" | tr ',' ' ')
        wcls=$(awk '{ print $2 }' <<<"$want")
        wprobs=$(cut -d' ' -f3- <<<"$want" | sed 's/[^ =]*=//g')
        [ -n "$cls" ] && [ "$cls" = "$wcls" ] && awk -v a="$probs" -v b="$wprobs" 'BEGIN { n = split(a, x, " "); m = split(b, y, " ")
            if (n != 3 || m != 3) exit 1
            for (i = 1; i <= n; i++) if (x[i] - y[i] > 1e-6 || y[i] - x[i] > 1e-6) exit 1 }' && ok ||
            bad "table row $1: the server says $reply, nntrain predict: $want"
    else
        local v w
        v=$(sed -n 's/.*"values":\[\([^],]*\)\].*/\1/p' <<<"$reply")
        w=$(cut -d' ' -f2 <<<"$want")
        [ -n "$v" ] && awk -v a="$v" -v b="$w" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * (b < 0 ? -b : b) + 1e-12) }' && ok ||
            bad "table row $1: the server says $reply, nntrain predict: $want"
    fi
}
table_row r1 '{"a":7.25,"b":-1.5,"color":"red"}' '7.25,-1.5,red' class
table_row r2 '{"color":"green","b":0.125,"a":1}' '1,0.125,green' class
table_row r3 '{"a":3,"b":null,"color":"blue"}' '3,,blue' class
table_row r4 '{"a":4.5,"b":1,"color":"purple"}' '4.5,1,purple' class
check table-predict-shape 200 "^\{\"task\":\"classification\",\"prediction\":\"(green-low|high|low)\",\"index\":[0-2],\"classes\":\[\"green-low\",\"high\",\"low\"\],\"probabilities\":\[$num,$num,$num\],\"inputs\":\[$num,$num,0,0,1\]\}$" \
    "${json[@]}" -d '{"features":{"a":7.25,"b":-1.5,"color":"red"}}' "$url/api/predict"
# Each bad request: a 400 naming what is wrong, and the server goes on.
tp() { check "$1" "$2" "$3" "${json[@]}" -d "$4" "$url/api/predict"; }
tp t-missing 400 'missing feature ."color." \(a string' '{"features":{"a":1,"b":2}}'
tp t-missing-num 400 'missing feature ."a." \(a number' '{"features":{"b":2,"color":"red"}}'
tp t-unknown 400 'unknown feature ."zz."' '{"features":{"a":1,"b":2,"color":"red","zz":1}}'
tp t-label 400 'unknown feature ."label."' '{"features":{"a":1,"b":2,"color":"red","label":"high"}}'
tp t-twice 400 'feature ."a." is given twice' '{"features":{"a":1,"a":2,"b":2,"color":"red"}}'
tp t-string-num 400 'features.a must be a number' '{"features":{"a":"1","b":2,"color":"red"}}'
tp t-bool 400 'features.b must be a number' '{"features":{"a":1,"b":true,"color":"red"}}'
tp t-array-cat 400 'features.color must be a string' '{"features":{"a":1,"b":2,"color":["red"]}}'
tp t-null-cat-ok 200 '"prediction"' '{"features":{"a":1,"b":2,"color":null}}'
tp t-object 400 'features.color must be a string' '{"features":{"a":1,"b":2,"color":{}}}'
tp t-no-features 400 'missing ."features."' '{"pixels":[0]}'
tp t-features-array 400 '"features." must be an object' '{"features":[1,2,"red"]}'
tp t-extra 400 'unknown member: the request has only ."features."' '{"features":{"a":1,"b":2,"color":"red"},"x":1}'
tp t-not-object 400 'expected a JSON object' '[1]'
tp t-overflow 400 'number out of range' '{"features":{"a":1e999,"b":2,"color":"red"}}'
tp t-nan 400 'malformed JSON' '{"features":{"a":NaN,"b":2,"color":"red"}}'
tp t-truncated 400 'malformed JSON' '{"features":{"a":1,'
tp t-empty 400 'malformed JSON at byte 0' ''
tp t-many 400 'JSON has more than' "{\"features\":{$(awk 'BEGIN { for (i = 0; i < 50; i++) printf "%s\"k%d\":1", (i ? "," : ""), i }')}}"
check t-get 405 'takes POST \{."features' "$url/api/predict"
check t-type 415 'Content-Type' -H 'Content-Type: text/plain' -d '{"features":{}}' "$url/api/predict"
check t-too-big 413 'over the limit' "${json[@]}" --data-binary @"$tmp/big.json" "$url/api/predict"
check t-weights 200 '^\{"layer":0,"unit":7,' "$url/api/weights?layer=0&unit=7"
check t-still-serving 200 '"task":"classification"' "$url/api/model"
kill "$server_pid"; wait_bounded "$server_pid"

# A regression trained with data.missing: error: null is refused, values in the target's units.
start_server "$tmp/server5.out" -m "$tmp/reg.model" --port 0 -q || { finish; exit 1; }
url=$server_url
check reg-model 200 '"task":"regression","features":\[\{"name":"a","type":"numeric","default":[-0-9.e]+,"missing":false\}.*"categories":\["blue","green","red"\],"default":"blue","missing":false\}\],"targets":\["y"\]\}$' "$url/api/model"
table_row g1 '{"a":7.25,"b":-1.5,"color":"red"}' '7.25,-1.5,red' reg
table_row g2 '{"a":0.5,"b":1.75,"color":"green"}' '0.5,1.75,green' reg
check reg-shape 200 "^\{\"task\":\"regression\",\"targets\":\[\"y\"\],\"values\":\[$num\],\"inputs\":\[$num,$num,0,1,0\]\}$" \
    "${json[@]}" -d '{"features":{"a":0.5,"b":1.75,"color":"green"}}' "$url/api/predict"
tp r-null 400 'features.b is null \(missing\) and the model has no value to fill it with' '{"features":{"a":1,"b":null,"color":"red"}}'
tp r-null-cat 400 'features.color is null \(missing\) and the model has no category' '{"features":{"a":1,"b":0,"color":null}}'
kill "$server_pid"; wait_bounded "$server_pid"
finish
