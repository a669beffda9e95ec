#!/usr/bin/env bash
# End-to-end tests of training on a table (issue 20), on CSV files this
# script writes itself: classification with a text feature and named
# classes, regression in the target's own units, the same model bytes for
# any thread count and kernel path, eval and predict through the model's
# own preprocessing, NumPy files when numpy is there, and bad tables each
# refused with one message and exit 2.
set -u
NNTRAIN=${NNTRAIN:-./nntrain}
. "$(dirname "$0")/testlib.sh"
start_test

# --- data -----------------------------------------------------------------------
# 240 rows: a, b in -2..2, a colour; the class is "yes" when a + b (plus 1
# for red) > 0.3, else "no": separable, so a small network learns it all.
awk 'BEGIN { srand(7); print "a,b,color,answer"
     for (i = 0; i < 240; i++) {
         a = rand() * 4 - 2; b = rand() * 4 - 2; c = i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue"
         s = a + b + (c == "red" ? 1 : 0)
         if (s > -0.1 && s < 0.7) { i--; continue }   # a margin around the boundary
         printf "%.4f,%.4f,%s,%s\n", a, b, c, (s > 0.3 ? "yes" : "no") } }' > "$tmp/cls.csv"
# y = 10 + 3 x1 - 2 x2, exactly: a regression any small network fits.
awk 'BEGIN { srand(8); print "x1,x2,y"
     for (i = 0; i < 300; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1
         printf "%.5f,%.5f,%.5f\n", a, b, 10 + 3 * a - 2 * b } }' > "$tmp/reg.csv"

cat > "$tmp/cls.yaml" <<YAML
data:
  dir: $tmp
  train: cls.csv
  label: answer
network:
  hidden: [16]
  activation: tanh
  init: xavier
train:
  optimizer: adam
  learning_rate: 0.02
  batch_size: 16
  epochs: 30
  seed: 5
  threads: 2
output:
  model: $tmp/cls.model
YAML
sed -e 's/cls.csv/reg.csv/' -e 's/label: answer/task: regression/' -e 's/cls.model/reg.model/' \
    "$tmp/cls.yaml" > "$tmp/reg.yaml"

# --- classification -----------------------------------------------------------------
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -c "$tmp/cls.yaml" 2>&1) || bad "classification run failed: $out"
grep -q '^nntrain .*: 5-16-2 tanh,softmax cross_entropy' <<<"$out" && ok \
    || bad "the sizes should come from the data (2 numbers + 3 colours in, 2 classes out): $out"
acc=$(sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' <<<"$out")
awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 95) }' && ok || bad "test accuracy $acc% on a separable table"
[ "$(od -An -tu1 -j8 -N1 "$tmp/cls.model" | tr -d ' ')" = 2 ] && ok \
    || bad "a table model is format version 2 (a data section)"
# eval splits the table as training did: the same test accuracy.
expect 0 "^accuracy: $acc% " -- "$NNTRAIN" eval -m "$tmp/cls.model" -c "$tmp/cls.yaml"
expect 0 'yes +[0-9]+ +[0-9]+' -- "$NNTRAIN" eval -m "$tmp/cls.model" -c "$tmp/cls.yaml"
# eval FILE: every row of the file through the model, the very lines that
# -c CONFIG -s data.test=FILE prints; columns by name, in any order, extra
# ones left out; the confusion matrix by class name.
"$NNTRAIN" eval -m "$tmp/cls.model" -c "$tmp/cls.yaml" -s data.test=cls.csv > "$tmp/evalc.out" 2>&1 \
    || bad "eval -c -s data.test=cls.csv failed: $(cat "$tmp/evalc.out")"
grep -q '^accuracy: .*(240/240)' "$tmp/evalc.out" && ok || bad "eval -c: all 240 rows: $(cat "$tmp/evalc.out")"
out=$("$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/cls.csv" 2>&1)
[ "$out" = "$(cat "$tmp/evalc.out")" ] && ok || bad "eval FILE differs from eval -c: $out"
awk -F, -v OFS=, '{ print $4, "x" NR, $3, $2, $1 }' "$tmp/cls.csv" > "$tmp/perm.csv"
out=$("$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/perm.csv" 2>&1)
[ "$out" = "$(cat "$tmp/evalc.out")" ] && ok || bad "eval FILE with the columns reordered: $out"
grep -qE '^ +no +yes$' <<<"$out" && grep -qE '^ +yes +[0-9]+ +[0-9]+$' <<<"$out" && ok \
    || bad "eval FILE: the confusion matrix by class name: $out"
expect 0 "^$tmp/perm.csv:\$" -- "$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/cls.csv" "$tmp/perm.csv"
cut -d, -f1-3 "$tmp/cls.csv" > "$tmp/nolabel.csv"
expect 2 "^nntrain: $tmp/nolabel.csv: no column 'answer', the model's label" -- \
    "$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/nolabel.csv"
cut -d, -f2-4 "$tmp/cls.csv" > "$tmp/nofeature.csv"
expect 2 "nofeature.csv: the feature 'a': no such column" -- "$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/nofeature.csv"
printf 'a,b,color,answer\n1,2,red\n' > "$tmp/ragged.csv"
expect 2 "ragged.csv:2:" -- "$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/ragged.csv"
expect 2 "none.csv: cannot open" -- "$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/none.csv"
expect 2 "--images/--labels are for image models" -- \
    "$NNTRAIN" eval -m "$tmp/cls.model" --images "$tmp/x" --labels "$tmp/y" "$tmp/cls.csv"
# predict: rows without the label column, classes by name.
printf 'color,b,a\nred,1.5,1.5\nblue,-1.5,-1.5\nviolet,1.9,1.9\n' > "$tmp/rows.csv"
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" predict -m "$tmp/cls.model" "$tmp/rows.csv" 2>&1)
grep -q '^.*rows.csv\[0\]: yes  no=[01]\.[0-9]* yes=[01]\.[0-9]*$' <<<"$out" && ok || bad "predict row 0: $out"
grep -q '^.*rows.csv\[1\]: no ' <<<"$out" && ok || bad "predict row 1: $out"
grep -q '^.*rows.csv\[2\]: yes ' <<<"$out" && ok || bad "an unseen colour counts as none: $out"
expect 2 "no such column" -- "$NNTRAIN" predict -m "$tmp/cls.model" "$tmp/reg.csv"
# Text in a numeric column: the cell named is the text one (record 4, line
# 5), not the column's first cell (its numbers are text too once the column
# turned text), at FILE:LINE:COL.
printf 'a,b,color\n1,2,red\n3,4,red\n5,6,red\n7,abc,red\n9,10,red\n' > "$tmp/text.csv"
expect 2 "^nntrain: $tmp/text.csv:5:3: column 'b': 'abc' is not a number \\(the column is numeric in training\\)" -- \
    "$NNTRAIN" predict -m "$tmp/cls.model" "$tmp/text.csv"
awk -F, -v OFS=, 'NR == 1 { print $1, $2, $3, $4 } NR > 1 && NR <= 6 { print $1, (NR == 5 ? "abc" : $2), $3, $4 }' \
    "$tmp/cls.csv" > "$tmp/textl.csv"
expect 2 "^nntrain: $tmp/textl.csv:5:[0-9]+: column 'b': 'abc' is not a number" -- \
    "$NNTRAIN" eval -m "$tmp/cls.model" -c "$tmp/cls.yaml" -s data.test=textl.csv
# Records and lines differ: a quoted newline and a blank line before the bad
# record put it on line 7 (record 4); gzipped, the same place.
printf 'a,b,color\n1,2,"re\nd"\n\n3,4,red\n5,6,red\n7, abc ,red\n9,10,red\n' > "$tmp/quoted.csv"
gzip -c "$tmp/quoted.csv" > "$tmp/quoted.csv.gz"
for f in quoted.csv quoted.csv.gz; do
    expect 2 "^nntrain: $tmp/$f:7:3: column 'b': ' abc ' is not a number" -- \
        "$NNTRAIN" predict -m "$tmp/cls.model" "$tmp/$f"
done
# A file predicted a chunk at a time (8 MiB): the line counts from the
# file's start, not the chunk's. 1600 copies of the 240 rows, then the bad one.
awk -v n=1600 'NR == 1 { print; next } { r[++k] = $0 } END { for (i = 0; i < n; i++) for (j = 1; j <= k; j++) print r[j]
               print "1,x,red,yes" }' "$tmp/cls.csv" > "$tmp/long.csv"
expect 2 "^nntrain: $tmp/long.csv:384002:3: column 'b': 'x' is not a number" -- \
    "$NNTRAIN" predict -m "$tmp/cls.model" -o "$tmp/long.out" "$tmp/long.csv"
rm -f "$tmp/long.csv"
# A missing value, a class unseen in training: FILE:LINE:COL too.
printf 'a,b,color,answer\n1,2,"re\nd",yes\n3,NA,red,no\n' > "$tmp/na.csv"
expect 2 "^nntrain: $tmp/na.csv:4:3: column 'b': missing value \\(set data.missing" -- \
    "$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/na.csv"
printf 'a,b,color,answer\n1,2,red,yes\n"3",4,"r\ned",maybe\n' | gzip > "$tmp/unseen.csv.gz"
expect 2 "^nntrain: $tmp/unseen.csv.gz:4:5: column 'answer': class 'maybe' was not seen in training" -- \
    "$NNTRAIN" eval -m "$tmp/cls.model" "$tmp/unseen.csv.gz"
expect 2 'a table model needs -c CONFIG' -- "$NNTRAIN" eval -m "$tmp/cls.model"
# predict -o: a CSV in the rows' order, the class, then each class's probability.
"$NNTRAIN" predict -m "$tmp/cls.model" -o "$tmp/pred.csv" "$tmp/rows.csv" 2>&1 || bad "predict -o failed"
[ "$(cat "$tmp/pred.csv" 2>/dev/null | cut -d, -f1 | tr '\n' ' ')" = "prediction yes no yes " ] && ok \
    || bad "predict -o: $(cat "$tmp/pred.csv" 2>/dev/null)"
[ "$(head -1 "$tmp/pred.csv")" = "prediction,no,yes" ] && ok || bad "predict -o header: $(head -1 "$tmp/pred.csv")"
awk -F, 'NR > 1 { s = $2 + $3; if (s < 0.999 || s > 1.001) bad = 1 } END { exit bad }' "$tmp/pred.csv" && ok \
    || bad "predict -o: each row's probabilities sum to 1"
# -o -: the same CSV on standard output; a link given to -o stays a link.
"$NNTRAIN" predict -m "$tmp/cls.model" -o - "$tmp/rows.csv" > "$tmp/pred-stdout.csv" 2>&1 || bad "predict -o - failed"
cmp -s "$tmp/pred.csv" "$tmp/pred-stdout.csv" && ok || bad "predict -o - differs from -o FILE: $(head -3 "$tmp/pred-stdout.csv")"
: > "$tmp/pred-target.csv"
ln -s pred-target.csv "$tmp/pred-link.csv"
"$NNTRAIN" predict -m "$tmp/cls.model" -o "$tmp/pred-link.csv" "$tmp/rows.csv" || bad "predict -o LINK failed"
{ [ -L "$tmp/pred-link.csv" ] && cmp -s "$tmp/pred.csv" "$tmp/pred-target.csv"; } && ok \
    || bad "predict -o LINK: the link was replaced, or its file not written"
expect 2 "give one FILE" -- "$NNTRAIN" predict -m "$tmp/cls.model" -o "$tmp/x.csv" "$tmp/rows.csv" "$tmp/rows.csv"
[ ! -e "$tmp/x.csv" ] && ok || bad "a refused predict -o left a file"
# A file read in pieces (tables_each: 8 MiB of text at a time) gives each
# row the answer it gets alone, in order, and its memory stops growing
# with the file: the 240 training rows 2000 times (53 MB, seven chunks) and
# 8000 times (213 MB); whole, the second would need about 100 MB more.
"$NNTRAIN" predict -m "$tmp/cls.model" --all-digits -o "$tmp/one.csv" "$tmp/cls.csv" || bad "predict cls.csv"
copies() { awk -v n="$1" 'NR == 1 { print; next } { r[++k] = $0 } END { for (i = 0; i < n; i++) for (j = 1; j <= k; j++) print r[j] }' "$2"; }
for n in 2000 8000; do
    copies $n "$tmp/cls.csv" > "$tmp/big.csv"
    /usr/bin/env time -f '%M' -o "$tmp/rss$n" "$NNTRAIN" predict -m "$tmp/cls.model" --all-digits \
        -o "$tmp/big$n.out" "$tmp/big.csv" 2>/dev/null || bad "predict $n copies failed"
    [ $n = 2000 ] && { copies 2000 "$tmp/one.csv" | cmp -s - "$tmp/big$n.out" && ok \
        || bad "predicting 2000 copies in chunks gives other answers than one copy"; }
    rm -f "$tmp/big.csv" "$tmp/big$n.out"
done
r2=$(tail -1 "$tmp/rss2000" 2>/dev/null) r8=$(tail -1 "$tmp/rss8000" 2>/dev/null)
if [ -n "${NNTRAIN_SAN:-}" ]; then
    echo "skipped: peak memory in a sanitizer build (ASan keeps freed memory in quarantine)"
else
    awk -v a="${r2:-0}" -v b="${r8:-0}" 'BEGIN { exit !(a > 0 && b < 1.25 * a) }' && ok \
        || bad "predict's peak memory grows with the file: ${r2} KB for 53 MB, ${r8} KB for 213 MB"
fi

# --- the same bytes for any thread count and kernel path ---------------------------------
ref=$(sha256sum < "$tmp/cls.model")
for t in 1 3; do
    bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/cls.yaml" -s train.threads=$t \
        -s output.model="$tmp/t$t.model" >/dev/null 2>&1
    [ "$(sha256sum < "$tmp/t$t.model")" = "$ref" ] && ok || bad "$t threads: another model"
done
for p in $("$NNTRAIN" --version | sed -n 's/.*this CPU runs \(.*\))$/\1/p' | tr -d ,); do
    NNTRAIN_KERNELS=$p bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/cls.yaml" \
        -s output.model="$tmp/k$p.model" >/dev/null 2>&1
    [ "$(sha256sum < "$tmp/k$p.model")" = "$ref" ] && ok || bad "kernel path $p: another model"
done
# Resumed: 10 epochs with checkpoints, then on to 30 from the checkpoint.
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/cls.yaml" -s train.epochs=10 \
    -s output.checkpoint="$tmp/ck/" -s output.model="$tmp/part.model" >/dev/null 2>&1
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/cls.yaml" --resume "$tmp/ck" -s train.threads=1 \
    -s output.checkpoint="$tmp/ck/" -s output.model="$tmp/resumed.model" >/dev/null 2>&1
[ "$(sha256sum < "$tmp/resumed.model")" = "$ref" ] && ok || bad "resumed at epoch 10: another model"

# --- regression -------------------------------------------------------------------------------
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -c "$tmp/reg.yaml" -s train.epochs=60 2>&1) \
    || bad "regression run failed: $out"
grep -q ': 2-16-1 tanh,linear quadratic' <<<"$out" && ok || bad "regression: linear output, quadratic cost: $out"
# eval FILE on a regression: RMSE, MAE and R² as eval -c prints them.
out=$("$NNTRAIN" eval -m "$tmp/reg.model" "$tmp/reg.csv" 2>&1)
[ "$out" = "$("$NNTRAIN" eval -m "$tmp/reg.model" -c "$tmp/reg.yaml" -s data.test=reg.csv 2>&1)" ] \
    && grep -q '^RMSE .* (300 examples)' <<<"$out" && ok || bad "eval FILE on a regression: $out"
printf 'x1,x2\n0.5,-0.5\n-0.25,0.75\n' > "$tmp/regrows.csv"
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" predict -m "$tmp/reg.model" "$tmp/regrows.csv" 2>&1)
# 10 + 1.5 + 1 = 12.5 and 10 - 0.75 - 1.5 = 7.75, in the target's own units.
awk '/regrows.csv\[0\]/ { a = $2 } /regrows.csv\[1\]/ { b = $2 }
     END { exit !(a > 12.0 && a < 13.0 && b > 7.25 && b < 8.25) }' <<<"$out" && ok \
    || bad "regression predictions in the target's units: $out"

# --- NumPy files (numpy writes them, when it is there) ---------------------------------------
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    /usr/bin/python3 - "$tmp" <<'PY'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
X = rng.uniform(-1, 1, size=(200, 3))
y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
np.savez(d + "/t.npz", X=X.astype(np.float32), y=y)
np.save(d + "/tx.npy", X.astype(">f8"))
np.save(d + "/ty.npy", y.astype(np.uint8))
np.savez(d + "/onlyX.npz", X=X)
PY
    for spec in "t.npz" "tx.npy -s data.y=ty.npy"; do
        out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -c "$tmp/cls.yaml" -s data.train=$spec -s data.label=y \
              -s output.model="$tmp/np.model" 2>&1)
        acc=$(sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' <<<"$out")
        awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 90) }' && ok || bad "$spec: $out"
    done
    # A NumPy file has no lines: its cells are named by record and column.
    /usr/bin/python3 -c 'import sys, numpy as np; y = np.array([0, 1, 0, 2, 1]); np.savez(sys.argv[1], X=np.zeros((5, 3)), y=y)' \
        "$tmp/unseen.npz"
    expect 2 "^nntrain: $tmp/unseen.npz: record 4, column 'y': class '2' was not seen in training" -- \
        "$NNTRAIN" eval -m "$tmp/np.model" "$tmp/unseen.npz"
    # describe: an .npz's X and y, or X alone when it has no y.
    expect 0 't.npz: 200 rows, 4 columns' -- "$NNTRAIN" describe "$tmp/t.npz"
    expect 0 'onlyX.npz: 200 rows, 3 columns' -- "$NNTRAIN" describe "$tmp/onlyX.npz"
else
    echo "numpy missing: the .npy/.npz runs are skipped"
fi

# --- a sweep over a table: four trials ranked, the best config trains it again --------------------
(cat "$tmp/cls.yaml"; printf 'sweep:\n  dir: %s/sw\n  method: grid\n  params:\n' "$tmp"
 printf '    train.learning_rate: [0.005, 0.02]\n    network.hidden: [[4], [16]]\n') > "$tmp/sweep.yaml"
out=$(bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/sweep.yaml" -s data.validation=40 2>&1) \
    || bad "table sweep failed: $out"
[ "$(grep -c '^| [0-9]' "$tmp/sw/results.md" 2>/dev/null)" = 4 ] && ok || bad "the table sweep should rank 4 trials: $out"
best=$(sed -n 's/^| 1 | \([0-9]*\) |.*/\1/p' "$tmp/sw/results.md")
bounded "$TEST_RUN_LIMIT" "$NNTRAIN" -q -c "$tmp/sw/best.yaml" -s output.model="$tmp/best.model" >/dev/null 2>&1
cmp -s "$tmp/best.model" "$tmp/sw/trial-$(printf %03d "$best")/model" && ok \
    || bad "best.yaml (trial $best) does not train the trial's model again"

# --- bad tables: one message, exit 2 ------------------------------------------------------------
C=("$NNTRAIN" -q -c "$tmp/cls.yaml")
# A column the config names but the table lacks: at the key's file:line:col, naming the
# file and its first columns (before anything trains).
expect 2 "^nntrain: -s data.label: data.label 'nope': no such column in $tmp/cls.csv \\(its 4 columns: a, b, color, answer; or give a 0-based index below 4\\)" \
    -- "${C[@]}" -s data.label=nope
sed 's/label: answer/label: nope/' "$tmp/cls.yaml" > "$tmp/nolabel.yaml"
expect 2 "^nntrain: $tmp/nolabel.yaml:4:10: data.label 'nope': no such column in $tmp/cls.csv \\(its 4 columns: a, b, color, answer;" \
    -- "$NNTRAIN" -q -c "$tmp/nolabel.yaml"
expect 2 "^nntrain: -s data.label: data.label '4': no such column in .*index below 4" -- "${C[@]}" -s data.label=4
printf 'data:\n  dir: %s\n  train: cls.csv\n  label: answer\n  ignore: [a, id]\n  categorical: zip\nnetwork:\n  hidden: [4]\n' \
    "$tmp" > "$tmp/names.yaml"
expect 2 "^nntrain: $tmp/names.yaml:5:11: data.ignore 'id': no such column in $tmp/cls.csv \\(its 4 columns" \
    -- "$NNTRAIN" -q -c "$tmp/names.yaml"
expect 2 "^nntrain: $tmp/names.yaml:6:16: data.categorical 'zip': no such column in $tmp/cls.csv" \
    -- "$NNTRAIN" -q -c "$tmp/names.yaml" -s data.ignore=a
# data.features: only the columns named (in the file's order) are inputs:
# b (a number) and color (3 categories) are 4 inputs, not 5.
F=("$NNTRAIN" -c "$tmp/cls.yaml" -s data.features=[color,b] -s train.epochs=1 -s output.model=)
"${F[@]}" 2>&1 | grep -q "^nntrain [^:]*: 4-16-2 " && ok || bad "data.features=[color,b]: $("${F[@]}" 2>&1 | head -1)"
expect 2 "^nntrain: -s data.features: data.features 'nope': no such column in $tmp/cls.csv" \
    -- "${C[@]}" -s data.features=[a,nope]
expect 2 "data.features 'answer' is a label column" -- "${C[@]}" -s data.features=[a,answer]
expect 2 "data.features 'a' is also in data.ignore" -- "${C[@]}" -s data.features=[a,b] -s data.ignore=a
# One non-number in a numeric column is an error naming it, not a silent
# categorical column; data.categorical takes its values as categories.
awk -F, 'NR == 4 { $1 = "0.5O"; print; next } { print }' OFS=, "$tmp/cls.csv" > "$tmp/typo.csv"
expect 2 "typo.csv:4:1: column 'a': '0.5O' is not a number, though 239 of the column's 239 other cells are" \
    -- "${C[@]}" -s data.train=typo.csv
"${C[@]}" -s data.train=typo.csv -s data.categorical=a -s train.epochs=1 -s output.model= > /dev/null 2>&1 \
    && ok || bad "data.categorical=a did not take the typo column as categories"
# A wide table: the first 8 names, then how many more.
awk 'BEGIN { for (i = 1; i <= 20; i++) printf "c%d%s", i, i < 20 ? "," : "\n"
             for (r = 0; r < 8; r++) for (i = 1; i <= 20; i++) printf "%d%s", (r * i) % 3, i < 20 ? "," : "\n" }' > "$tmp/wide.csv"
expect 2 "data.label 'y': no such column in $tmp/wide.csv \\(its 20 columns: c1, c2, c3, c4, c5, c6, c7, c8 and 12 more; or give a 0-based index below 20\\)" \
    -- "${C[@]}" -s data.train=wide.csv -s data.label=y
expect 2 "unknown table format" -- "${C[@]}" -s data.train=cls.json
expect 2 "network.sizes: the input layer has 784 units but .*cls.csv gives 5 inputs" -- \
    "${C[@]}" -s network.hidden=none
awk 'NR == 5 { $0 = "0.5,,red,yes" } { print }' "$tmp/cls.csv" > "$tmp/hole.csv"
expect 2 "^nntrain: $tmp/hole.csv:5:5: column 'b': missing value \\(set data.missing" -- \
    "${C[@]}" -s data.train=hole.csv
expect 0 "test accuracy" -- "$NNTRAIN" -c "$tmp/cls.yaml" -s data.train=hole.csv -s data.missing=mean \
    -s output.model="$tmp/hole.model"
awk -F, 'NR == 1 || $4 == "yes"' "$tmp/cls.csv" > "$tmp/one.csv"
expect 2 "column 'answer' has a single class yes" -- "${C[@]}" -s data.train=one.csv
expect 2 "cls.csv:2:[0-9]+: column 'answer': '(yes|no)' is not a number \\(a regression target must be numbers" -- \
    "${C[@]}" -s data.task=regression
# A regression target with text further down: the text cell, at its line.
awk -F, -v OFS=, 'NR == 40 { $3 = "n/a" } { print }' "$tmp/reg.csv" > "$tmp/regtext.csv"
expect 2 "^nntrain: $tmp/regtext.csv:40:[0-9]+: column 'y': 'n/a' is not a number \\(a regression target must be numbers" -- \
    "$NNTRAIN" -q -c "$tmp/reg.yaml" -s data.train=regtext.csv
expect 2 "^nntrain: $tmp/regtext.csv:40:[0-9]+: column 'y': 'n/a' is not a number \\(a regression target must be numbers" -- \
    "$NNTRAIN" eval -m "$tmp/reg.model" "$tmp/regtext.csv"
head -1 "$tmp/cls.csv" > "$tmp/test.csv"; printf '0.1,0.2,red,maybe\n' >> "$tmp/test.csv"
expect 2 "^nntrain: $tmp/test.csv:2:[0-9]+: column 'answer': class 'maybe' was not seen in training" -- \
    "${C[@]}" -s data.test=test.csv
expect 2 "leave none to train on" -- "${C[@]}" -s data.validation=300
expect 2 "augmentation distorts images" -- "${C[@]}" -s augment.shift=1

# --- data.validation_fraction: round(f m) of the m rows left after the test set, drawn with ---
# train.seed as data.validation draws them. cls.csv: 240 rows, 48 test, 0.25 of the 192 left.
tv() { "$NNTRAIN" -c "$tmp/cls.yaml" -s train.epochs=3 "$@"; }
expect 0 '^data: 144 training, 48 validation examples' -- \
    tv -s data.validation_fraction=0.25 -s output.model="$tmp/vf1.model"
tv -q -s data.validation_fraction=0.25 -s output.model="$tmp/vf2.model" >/dev/null 2>&1
tv -q -s data.validation=48 -s output.model="$tmp/vn.model" >/dev/null 2>&1
cmp -s "$tmp/vf1.model" "$tmp/vf2.model" && cmp -s "$tmp/vf1.model" "$tmp/vn.model" && ok \
    || bad "validation_fraction 0.25 should train the same bits each time, and those of validation 48"
expect 0 '^data: 115 training, 77 validation examples' -- \
    tv -s data.validation_fraction=0.4 -s output.model="$tmp/vf4.model"
expect 2 '^nntrain: -s data.validation_fraction: data.validation_fraction: .*cls.csv has 240 rows: 48 held out for the test set and 192 for validation leave none' -- \
    tv -s data.validation_fraction=0.999 -s output.model=

# --- describe ----------------------------------------------------------------------------------
expect 0 'cls.csv: [0-9]+ rows, 4 columns' -- "$NNTRAIN" describe "$tmp/cls.csv"
expect 0 'color +text +missing 0 +3 categories' -- "$NNTRAIN" describe "$tmp/cls.csv"
expect 2 'describe needs FILE' -- "$NNTRAIN" describe
# A lone .npy (features only, 3 rows x 2 columns of uint8, written here
# byte by byte): its own columns, not a labels file the user never named
# (data.dir + data.y).
dict="{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2), }"
hl=$(( (10 + ${#dict} + 1 + 63) / 64 * 64 - 10 ))
{ printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((hl % 256)))\\x$(printf %02x $((hl / 256)))"
  printf '%s%*s\n' "$dict" $((hl - ${#dict} - 1)) ''; printf '\x01\x02\x03\x04\x05\x09'; } > "$tmp/lone.npy"
expect 0 'lone.npy: 3 rows, 2 columns' -- "$NNTRAIN" describe "$tmp/lone.npy"
expect 0 ' 1 x1 +numeric +missing 0 +min 2 +mean 5 +max 9' -- "$NNTRAIN" describe "$tmp/lone.npy"

finish
