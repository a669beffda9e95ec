// ort_check.js: ONNX Runtime (onnxruntime-node) against `nntrain predict`.
//
//   node ort_check.js MODEL.onnx IMAGES.idx PREDICTIONS.txt [TOLERANCE]
//
// Runs MODEL.onnx on every image of IMAGES.idx (uint8 IDX, scaled as nntrain
// scales pixels: p * (1/255) in float) in one batch, and compares each output
// with the activations `nntrain predict --all-digits` printed, one line per
// image ("FILE[i]: CLASS  a0 a1 ..."). Prints the largest absolute
// difference; exit status 0 when it is <= TOLERANCE (default 1e-5), 1 when
// not, 2 on bad input.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

function die(msg) {
    console.error('ort_check: ' + msg);
    process.exit(2);
}

function readIdxImages(path) {
    let b = fs.readFileSync(path);
    if (b[0] === 0x1f && b[1] === 0x8b) b = zlib.gunzipSync(b);
    if (b.readUInt16BE(0) !== 0 || b[2] !== 0x08) die(path + ': not a uint8 IDX file');
    const ndims = b[3];
    const dims = [];
    for (let i = 0; i < ndims; i++) dims.push(b.readUInt32BE(4 + 4 * i));
    const n = dims[0];
    const per = dims.slice(1).reduce((a, c) => a * c, 1);
    const off = 4 + 4 * ndims;
    if (b.length !== off + n * per) die(path + ': size does not match its header');
    const scale = Math.fround(1 / 255);
    const x = new Float32Array(n * per);
    // p * scale is exact in double (8 + 24 bits), so fround gives float's product.
    for (let i = 0; i < n * per; i++) x[i] = Math.fround(b[off + i] * scale);
    return { n, per, x };
}

function readPredictions(path) {
    const rows = [];
    for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        const m = /^.*\[(\d+)\]: (\d+) +(.*)$/.exec(line);
        if (!m) die(path + ': unexpected line: ' + line);
        rows[Number(m[1])] = m[3].trim().split(/ +/).map(Number);
    }
    return rows;
}

async function check(modelPath, imagesPath, predPath, tol) {
    let ort;
    try {
        ort = require('onnxruntime-node');
    } catch (e) {
        die('cannot load onnxruntime-node (' + e.message + '): run tests/peers/install.sh');
    }
    const img = readIdxImages(imagesPath);
    const want = readPredictions(predPath);
    if (want.length !== img.n) die(predPath + ': ' + want.length + ' predictions for ' + img.n + ' images');
    const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
    if (session.inputNames.join() !== 'input' || session.outputNames.join() !== 'output')
        die(modelPath + ': inputs ' + session.inputNames + ', outputs ' + session.outputNames +
            '; expected input and output');
    const feeds = { input: new ort.Tensor('float32', img.x, [img.n, img.per]) };
    const out = (await session.run(feeds)).output;
    const k = out.dims[1];
    if (out.dims[0] !== img.n || k !== want[0].length) die('output has shape ' + out.dims);
    let max = 0, where = '';
    for (let i = 0; i < img.n; i++)
        for (let j = 0; j < k; j++) {
            const d = Math.abs(out.data[i * k + j] - want[i][j]);
            if (!(d <= max)) { max = d; where = 'image ' + i + ' output ' + j; }
        }
    const ok = max <= tol;
    console.log(`onnxruntime ${ort.env.versions ? ort.env.versions.common : ''} ${modelPath}: ` +
                `${img.n} images, max |onnxruntime - nntrain| = ${max.toExponential(3)} ` +
                `(${where}) ${ok ? '<=' : '>'} ${tol}`);
    process.exit(ok ? 0 : 1);
}

const a = process.argv.slice(2);
if (a.length === 3 || a.length === 4) check(a[0], a[1], a[2], a.length === 4 ? Number(a[3]) : 1e-5)
    .catch(e => die(e.message));
else die('usage: ort_check.js MODEL.onnx IMAGES.idx PREDICTIONS.txt [TOLERANCE]');
