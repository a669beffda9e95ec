// nntrain serve: the page. Plain JS, no framework. Four parts:
//   1. the drawing pad and the MNIST preprocessing of its strokes;
//   2. the test digits to pick from;
//   3. asking the server (/api/predict) and drawing the network's picture;
//   4. the first-layer unit under the pointer: its weights and contribution.
// window.nntrainPage exposes the last input and reply (the browser test reads them).
'use strict';

const state = {
  model: null,      // GET /api/model
  rows: 28, cols: 28,
  input: null,      // Float32Array(rows*cols) in 0..1: what was last sent
  result: null,     // the last /api/predict reply
  layout: null,     // where each layer's units are on the net canvas
  unit: -1,         // the selected first-layer unit, -1: none
  weights: new Map(), // unit -> /api/weights reply
  samples: [],
  predictions: 0,   // replies drawn so far
  idle: true,       // no prediction asked for or under way
};
window.nntrainPage = state;

const $ = (id) => document.getElementById(id);

async function getJSON(url, options) {
  const r = await fetch(url, options);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// ---- 1. the drawing pad -------------------------------------------------------

const pad = $('pad');
const padCtx = pad.getContext('2d', { willReadFrequently: true });
let drawing = false, last = null, inked = false, showingSample = false;

function clearPad() {
  padCtx.fillStyle = '#000';
  padCtx.fillRect(0, 0, pad.width, pad.height);
  inked = false;
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return { x: (e.clientX - r.left) * pad.width / r.width, y: (e.clientY - r.top) * pad.height / r.height };
}

function stroke(from, to) {
  padCtx.strokeStyle = '#fff';
  padCtx.fillStyle = '#fff';
  padCtx.lineWidth = pad.width / 13;
  padCtx.lineCap = 'round';
  padCtx.lineJoin = 'round';
  padCtx.beginPath();
  padCtx.moveTo(from.x, from.y);
  padCtx.lineTo(to.x, to.y);
  padCtx.stroke();
  inked = true;
}

pad.addEventListener('pointerdown', (e) => {
  if (showingSample) { clearPad(); showingSample = false; markSample(-1); }
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  last = padPoint(e);
  stroke(last, last);
  schedulePredict();
  e.preventDefault();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const ev of (events.length ? events : [e])) {
    const p = padPoint(ev);
    stroke(last, p);
    last = p;
  }
  schedulePredict();
});
for (const type of ['pointerup', 'pointercancel']) {
  pad.addEventListener(type, () => { drawing = false; schedulePredict(); });
}

// The strokes as MNIST digits were made: the ink's bounding box scaled to
// fit a 20x20 box (of 28x28; the same share of any other input size), with
// each target pixel the mean of the ink it covers (anti-aliased grey), then
// moved so that the centre of mass is the centre of the image. Grey levels
// are rounded to 1/255, as the 8-bit data sets are. null when nothing is drawn.
function preprocess() {
  const W = pad.width, H = pad.height, R = state.rows, C = state.cols;
  const px = padCtx.getImageData(0, 0, W, H).data;
  // Summed-area table: S[y*(W+1)+x] = ink in [0,x) x [0,y).
  const S = new Float64Array((W + 1) * (H + 1));
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      const v = px[4 * (y * W + x)] / 255;
      if (v > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      row += v;
      S[(y + 1) * (W + 1) + x + 1] = S[y * (W + 1) + x + 1] + row;
    }
  }
  if (x1 < 0) return null;
  // The integral of the ink over [0,x) x [0,y) for real x, y: exact, since
  // the table is bilinear between pixel corners.
  const I = (x, y) => {
    x = Math.min(Math.max(x, 0), W); y = Math.min(Math.max(y, 0), H);
    const xi = Math.min(Math.floor(x), W - 1), yi = Math.min(Math.floor(y), H - 1);
    const fx = x - xi, fy = y - yi, w = W + 1;
    const a = S[yi * w + xi], b = S[yi * w + xi + 1], c = S[(yi + 1) * w + xi], d = S[(yi + 1) * w + xi + 1];
    return a * (1 - fx) * (1 - fy) + b * fx * (1 - fy) + c * (1 - fx) * fy + d * fx * fy;
  };
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = (20 / 28) * Math.min(R, C) / Math.max(bw, bh); // target pixels per pad pixel
  const render = (ox, oy) => {
    const out = new Float32Array(R * C);
    for (let v = 0; v < R; v++) {
      const sy0 = y0 + (v - oy) / s, sy1 = y0 + (v + 1 - oy) / s;
      for (let u = 0; u < C; u++) {
        const sx0 = x0 + (u - ox) / s, sx1 = x0 + (u + 1 - ox) / s;
        const ink = I(sx1, sy1) - I(sx0, sy1) - I(sx1, sy0) + I(sx0, sy0);
        out[v * C + u] = Math.min(1, Math.max(0, ink / ((sx1 - sx0) * (sy1 - sy0))));
      }
    }
    return out;
  };
  let ox = (C - bw * s) / 2, oy = (R - bh * s) / 2;
  const first = render(ox, oy);
  let m = 0, mx = 0, my = 0;
  for (let v = 0; v < R; v++)
    for (let u = 0; u < C; u++) { const a = first[v * C + u]; m += a; mx += a * (u + 0.5); my += a * (v + 0.5); }
  if (m > 0) { ox += C / 2 - mx / m; oy += R / 2 - my / m; }
  const out = render(ox, oy);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(out[i] * 255) / 255;
  return out;
}

$('clear').addEventListener('click', () => { clearPad(); showingSample = false; markSample(-1); showNothing(); });
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'Escape') { $('clear').click(); return; }
  if (/^[0-9]$/.test(e.key) && document.activeElement !== $('net')) {
    const k = state.samples.findIndex((s) => String(s.label) === e.key);
    if (k >= 0) pickSample(k);
  }
});

// ---- 2. test digits ---------------------------------------------------------------

function greyImage(canvas, values, scale) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < values.length; i++) {
    const g = Math.round(values[i] * scale);
    img.data.set([g, g, g, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

function markSample(k) {
  document.querySelectorAll('#samples button').forEach((b, i) => b.setAttribute('aria-pressed', String(i === k)));
}

function pickSample(k) {
  const s = state.samples[k];
  markSample(k);
  showingSample = true;
  // The pad shows the digit; the network gets its exact pixels.
  const small = document.createElement('canvas');
  small.width = state.cols; small.height = state.rows;
  greyImage(small, s.pixels, 1);
  clearPad();
  padCtx.imageSmoothingEnabled = false;
  padCtx.drawImage(small, 0, 0, pad.width, pad.height);
  predict(Float32Array.from(s.pixels, (v) => v / 255));
}

async function loadSamples() {
  const reply = await getJSON('/api/samples');
  state.samples = reply.samples;
  const box = $('samples');
  reply.samples.forEach((s, k) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('aria-pressed', 'false');
    b.setAttribute('aria-label', `test digit ${k + 1}, labelled ${s.label}`);
    const c = document.createElement('canvas');
    c.width = reply.cols; c.height = reply.rows;
    greyImage(c, s.pixels, 1);
    const label = document.createElement('span');
    label.textContent = s.label;
    b.append(c, label);
    b.addEventListener('click', () => pickSample(k));
    box.append(b);
  });
  $('samples-none').hidden = reply.samples.length > 0;
}

// ---- 3. predictions and the network's picture ---------------------------------------

let pending = false, inFlight = false, frame = 0;

function schedulePredict() {
  pending = true;
  state.idle = false;
  if (!frame) frame = requestAnimationFrame(() => { frame = 0; flush(); });
}

function flush() {
  if (!pending || inFlight) return;
  pending = false;
  state.idle = false;
  const x = preprocess();
  if (x) predict(x); else { showNothing(); state.idle = true; }
}

async function predict(x) {
  inFlight = true;
  state.idle = false;
  try {
    const result = await getJSON('/api/predict', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ pixels: Array.from(x) }),
    });
    state.input = x;
    state.result = result;
    state.predictions++;
    showResult();
  } catch (err) {
    $('confidence').textContent = `(error: ${err.message})`;
  } finally {
    inFlight = false;
    if (pending) schedulePredict(); else state.idle = !frame;
  }
}

function showNothing() {
  state.input = new Float32Array(state.rows * state.cols);
  state.result = null;
  $('prediction').textContent = '–';
  $('confidence').textContent = '';
  drawNet();
  drawUnit();
}

function showResult() {
  const r = state.result;
  $('prediction').textContent = r.prediction;
  const p = r.outputs[r.prediction];
  const prob = state.model.activations[state.model.activations.length - 1] === 'softmax';
  $('confidence').textContent = prob ? `(${(100 * p).toFixed(1)}% sure)` : `(output ${p.toFixed(3)})`;
  drawNet();
  drawUnit();
}

// The picture: one column per layer. Inputs and wide layers are grids of
// square cells, narrow hidden layers columns of circles, outputs bars.
function computeLayout(width) {
  const sizes = state.model.sizes, L = sizes.length - 1;
  const pad = 8, top = 22;
  const outW = Math.max(70, width * 0.16);
  const gap = Math.max(18, width * 0.06);
  const hidden = sizes.slice(1, L);
  const narrowW = 18;
  const gridCols = (n) => Math.ceil(Math.sqrt(n));
  const wideCount = hidden.filter((n) => n > 32).length + 1; // + the input grid
  const fixed = 2 * pad + outW + L * gap + hidden.filter((n) => n <= 32).length * narrowW;
  const side = Math.max(40, Math.min((width - fixed) / wideCount, 360));
  const height = top + side + pad + 18;
  const layers = [];
  let x = pad;
  const grid = (n, rows, cols, kind) => {
    const cell = side / Math.max(rows, cols);
    const l = { kind, n, x, y: top + (side - rows * cell) / 2, w: cols * cell, h: rows * cell, cell, rows, cols };
    x += l.w + gap;
    return l;
  };
  layers.push(grid(sizes[0], state.rows, state.cols, 'grid'));
  for (const n of hidden) {
    if (n > 32) {
      const c = gridCols(n);
      layers.push(grid(n, Math.ceil(n / c), c, 'grid'));
    } else {
      const cell = Math.min(narrowW, side / n);
      layers.push({ kind: 'column', n, x, y: top + (side - n * cell) / 2, w: narrowW, h: n * cell, cell, rows: n, cols: 1 });
      x += narrowW + gap;
    }
  }
  const n = sizes[L], cell = Math.min(side / n, 28);
  layers.push({ kind: 'bars', n, x, y: top + (side - n * cell) / 2, w: Math.min(outW, width - x - pad), h: n * cell, cell, rows: n, cols: 1 });
  return { width, height, layers };
}

// Centre of unit j of a layer (the left end of a bar, where lines arrive).
function unitCentre(l, j) {
  if (l.kind === 'bars') return { x: l.x + 10, y: l.y + (j + 0.5) * l.cell };
  const r = Math.floor(j / l.cols), c = j % l.cols;
  return { x: l.x + (c + 0.5) * (l.kind === 'column' ? l.w : l.cell), y: l.y + (r + 0.5) * l.cell };
}

function unitAt(l, px, py) {
  if (px < l.x || py < l.y || px >= l.x + l.w || py >= l.y + l.h) return -1;
  const c = l.kind === 'column' ? 0 : Math.floor((px - l.x) / l.cell);
  const j = Math.floor((py - l.y) / l.cell) * l.cols + c;
  return j < l.n ? j : -1;
}

const net = $('net');

function drawNet() {
  if (!state.model) return;
  const dpr = window.devicePixelRatio || 1;
  const width = net.clientWidth || 600;
  const layout = computeLayout(width);
  state.layout = layout;
  net.style.height = layout.height + 'px';
  net.width = Math.round(width * dpr);
  net.height = Math.round(layout.height * dpr);
  const ctx = net.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, layout.height);
  const m = state.model, r = state.result;
  const acts = [state.input || new Float32Array(m.sizes[0]), ...(r ? r.activations : m.sizes.slice(1).map((n) => new Array(n).fill(0)))];

  // The strongest connections, under the cells.
  if (r) {
    r.connections.forEach((links, l) => {
      const maxC = Math.max(1e-12, ...links.map((t) => Math.abs(t[2])));
      for (const [from, to, c] of links) {
        const a = unitCentre(layout.layers[l], from), b = unitCentre(layout.layers[l + 1], to);
        const t = Math.abs(c) / maxC;
        ctx.strokeStyle = c > 0 ? `rgba(90,150,255,${0.25 + 0.75 * t})` : `rgba(255,90,80,${0.25 + 0.75 * t})`;
        ctx.lineWidth = 0.5 + 2 * t;
        ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
      }
    });
  }
  ctx.font = '12px system-ui, sans-serif';
  layout.layers.forEach((l, k) => {
    const a = acts[k];
    const act = k === 0 ? 'input' : m.activations[k - 1];
    ctx.fillStyle = '#aab';
    const name = k === 0 ? `input ${l.n}` : k === layout.layers.length - 1 ? `output ${l.n} · ${act}` : `hidden ${l.n} · ${act}`;
    ctx.fillText(name, l.x, 14);
    let maxA = 1e-12;
    for (let j = 0; j < l.n; j++) maxA = Math.max(maxA, Math.abs(a[j] || 0));
    if (k === 0 || l.kind === 'bars') maxA = Math.max(maxA, 1);
    if (l.kind === 'bars') { drawBars(ctx, l, a, maxA); return; }
    for (let j = 0; j < l.n; j++) {
      const v = (a[j] || 0) / maxA, g = Math.round(255 * Math.min(1, Math.abs(v)));
      ctx.fillStyle = v >= 0 ? `rgb(${g},${g},${g})` : `rgb(${g},${Math.round(g * 0.3)},${Math.round(g * 0.3)})`;
      if (l.kind === 'column') {
        const c = unitCentre(l, j);
        ctx.beginPath(); ctx.arc(c.x, c.y, Math.max(1.5, l.cell * 0.42), 0, 2 * Math.PI); ctx.fill();
        ctx.strokeStyle = '#556'; ctx.lineWidth = 1; ctx.stroke();
      } else {
        const r0 = Math.floor(j / l.cols), c0 = j % l.cols, inset = l.cell > 4 ? 0.5 : 0;
        ctx.fillRect(l.x + c0 * l.cell + inset, l.y + r0 * l.cell + inset, l.cell - 2 * inset, l.cell - 2 * inset);
      }
    }
    if (k === 1 && state.unit >= 0) {
      const c = unitCentre(l, state.unit), s = Math.max(l.kind === 'column' ? l.cell : l.cell, 6);
      ctx.strokeStyle = '#f0b400'; ctx.lineWidth = 2;
      ctx.strokeRect(c.x - s / 2 - 1, c.y - s / 2 - 1, s + 2, s + 2);
    }
  });
}

function drawBars(ctx, l, a, maxA) {
  const best = state.result ? state.result.prediction : -1;
  for (let j = 0; j < l.n; j++) {
    const y = l.y + j * l.cell, h = l.cell * 0.8, v = Math.max(0, (a[j] || 0) / maxA);
    ctx.fillStyle = j === best ? '#f0b400' : '#dde';
    ctx.fillText(String(j), l.x, y + h * 0.8);
    ctx.fillStyle = '#333844';
    ctx.fillRect(l.x + 12, y, l.w - 14, h);
    ctx.fillStyle = j === best ? '#f0b400' : '#8a93b8';
    ctx.fillRect(l.x + 12, y, (l.w - 14) * v, h);
  }
}

// ---- 4. one first-layer unit ----------------------------------------------------------

async function selectUnit(j) {
  const n = state.model.sizes[1];
  if (state.model.sizes.length < 2 || j < 0 || j >= n) return;
  state.unit = j;
  if (!state.weights.has(j)) {
    try { state.weights.set(j, await getJSON(`/api/weights?layer=0&unit=${j}`)); } catch (err) { return; }
  }
  if (state.unit === j) { drawNet(); drawUnit(); }
}

// Blue positive, red negative, white zero, |v| over the largest: as
// `nntrain plot weights` draws them.
function signedImage(canvas, values, maxAbs) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < values.length; i++) {
    const t = maxAbs > 0 ? Math.min(1, Math.abs(values[i]) / maxAbs) : 0;
    const to = values[i] >= 0 ? [20, 60, 200] : [200, 30, 30];
    img.data.set([255 + (to[0] - 255) * t, 255 + (to[1] - 255) * t, 255 + (to[2] - 255) * t, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

function drawUnit() {
  const w = state.weights.get(state.unit);
  if (state.unit < 0 || !w) return;
  for (const id of ['unit-weights', 'unit-contrib']) { $(id).width = state.cols; $(id).height = state.rows; }
  signedImage($('unit-weights'), w.weights, w.max_abs);
  const x = state.input || new Float32Array(w.weights.length);
  const contrib = w.weights.map((v, i) => v * x[i]);
  const sum = contrib.reduce((s, v) => s + v, 0);
  signedImage($('unit-contrib'), contrib, Math.max(1e-12, ...contrib.map(Math.abs)));
  const act = state.model.activations[0];
  const a = state.result ? state.result.activations[0][state.unit] : null;
  $('unit-info').textContent =
    `Hidden unit ${state.unit} of ${state.model.sizes[1]}: ` +
    `weights · input = ${sum.toFixed(3)}, plus bias ${w.bias.toFixed(3)}, ` +
    `gives z = ${(sum + w.bias).toFixed(3)}; ${act}(z) = ${a === null ? '–' : a.toFixed(3)}.`;
}

net.addEventListener('pointermove', (e) => pointAtUnit(e));
net.addEventListener('pointerdown', (e) => pointAtUnit(e));
function pointAtUnit(e) {
  if (!state.layout || state.layout.layers.length < 3) return;
  const r = net.getBoundingClientRect();
  const j = unitAt(state.layout.layers[1], e.clientX - r.left, e.clientY - r.top);
  if (j >= 0 && j !== state.unit) selectUnit(j);
}
net.addEventListener('keydown', (e) => {
  if (!state.layout || state.layout.layers.length < 3) return;
  const l = state.layout.layers[1];
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -l.cols, ArrowDown: l.cols }[e.key];
  if (!step) return;
  e.preventDefault();
  selectUnit(Math.min(l.n - 1, Math.max(0, (state.unit < 0 ? 0 : state.unit + step))));
});
window.addEventListener('resize', () => drawNet());

// ---- start --------------------------------------------------------------------------

async function start() {
  clearPad();
  try {
    const m = await getJSON('/api/model');
    state.model = m;
    state.rows = m.input.rows;
    state.cols = m.input.cols;
    const hidden = m.activations.slice(0, -1);
    $('model-line').textContent =
      `Model: ${m.sizes.join(' → ')} · hidden activation ${[...new Set(hidden)].join(', ') || 'none'} · ` +
      `output ${m.activations[m.activations.length - 1]} · cost ${m.cost} · ${m.params.toLocaleString('en')} parameters`;
    showNothing();
    await loadSamples();
    document.body.dataset.ready = 'true';
  } catch (err) {
    $('model-line').textContent = `Cannot reach the server: ${err.message}`;
  }
}
start();
