// ort_table_check.js: ONNX Runtime on a table model's export against
// `nntrain predict`.
//
//   node ort_table_check.js MODEL.onnx ROWS.csv PREDICTIONS.txt [TOLERANCE]
//
// Reads what a user of the .onnx file has: its metadata_props
// (nntrain.features, nntrain.categories, as JSON), found in the file's
// bytes. Each row of ROWS.csv (a header, then plain comma-separated cells:
// no quoting) becomes the graph's raw "features" row: a numeric cell as its
// number, an empty cell as NaN, a categorical cell as its category's index
// (-1 for one never seen). Runs the model on every row in one batch and
// compares each output with what `nntrain predict --all-digits` printed
// ("FILE[i]: CLASS  name=p ..." or "FILE[i]: value ..."): the largest
// difference relative to max(1, |nntrain's value|). Exit 0 when it is <=
// TOLERANCE (default 1e-5), 1 when not, 2 on bad input.
'use strict';
const fs = require('fs');

function die(msg) {
    console.error('ort_table_check: ' + msg);
    process.exit(2);
}

// The value of metadata_props entry key: in protobuf, the entry's key field
// (tag 0x0a, length, bytes) then its value field (tag 0x12, varint length).
function metadata(bytes, key) {
    const k = Buffer.concat([Buffer.from([0x0a, key.length]), Buffer.from(key)]);
    const at = bytes.indexOf(k);
    if (at < 0 || bytes[at + k.length] !== 0x12) die('no metadata ' + key);
    let p = at + k.length + 1, len = 0, shift = 0;
    for (;;) {
        const b = bytes[p++];
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    return JSON.parse(bytes.toString('utf8', p, p + len));
}

function readPredictions(path) {
    const rows = [];
    for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        const m = /^.*\[(\d+)\]: (.*)$/.exec(line);
        if (!m) die(path + ': unexpected line: ' + line);
        const tok = m[2].trim().split(/ +/);
        const named = tok.filter(t => t.includes('='));
        rows[Number(m[1])] = (named.length ? named.map(t => t.slice(t.lastIndexOf('=') + 1)) : tok).map(Number);
    }
    return rows;
}

async function check(modelPath, rowsPath, predPath, tol) {
    let ort;
    try {
        ort = require('onnxruntime-node');
    } catch (e) {
        die('cannot load onnxruntime-node (' + e.message + '): run tests/peers/install.sh');
    }
    const bytes = fs.readFileSync(modelPath);
    const features = metadata(bytes, 'nntrain.features');
    const cats = metadata(bytes, 'nntrain.categories');
    const lines = fs.readFileSync(rowsPath, 'utf8').split('\n').filter(l => l.length);
    const header = lines[0].split(',');
    const cols = features.map(f => {
        const c = header.indexOf(f);
        if (c < 0) die(rowsPath + ': no column ' + f);
        return c;
    });
    const n = lines.length - 1, F = features.length;
    const x = new Float32Array(n * F);
    for (let i = 0; i < n; i++) {
        const cells = lines[i + 1].split(',');
        features.forEach((f, j) => {
            const v = cells[cols[j]];
            x[i * F + j] = v === '' ? NaN : cats[f] ? cats[f].indexOf(v) : Number(v);
        });
    }
    const want = readPredictions(predPath);
    if (want.length !== n) die(predPath + ': ' + want.length + ' predictions for ' + n + ' rows');
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
    if (session.inputNames.join() !== 'features' || session.outputNames.join() !== 'output')
        die(modelPath + ': inputs ' + session.inputNames + ', outputs ' + session.outputNames +
            '; expected features and output');
    const out = (await session.run({ features: new ort.Tensor('float32', x, [n, F]) })).output;
    const k = out.dims[1];
    if (out.dims[0] !== n || k !== want[0].length) die('output has shape ' + out.dims);
    let max = 0, where = '';
    for (let i = 0; i < n; i++)
        for (let j = 0; j < k; j++) {
            const d = Math.abs(out.data[i * k + j] - want[i][j]) / Math.max(1, Math.abs(want[i][j]));
            if (!(d <= max)) { max = d; where = 'row ' + i + ' output ' + j; }
        }
    const ok = max <= tol;
    console.log(`onnxruntime ${modelPath} (features ${features.join(',')}): ${n} rows, ` +
                `max |onnxruntime - nntrain| = ${max.toExponential(3)} (${where}) ${ok ? '<=' : '>'} ${tol}`);
    process.exit(ok ? 0 : 1);
}

const a = process.argv.slice(2);
if (a.length === 3 || a.length === 4) check(a[0], a[1], a[2], a.length === 4 ? Number(a[3]) : 1e-5)
    .catch(e => die(e.message));
else die('usage: ort_table_check.js MODEL.onnx ROWS.csv PREDICTIONS.txt [TOLERANCE]');
