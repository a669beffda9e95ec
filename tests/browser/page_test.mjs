// The browser test of `nntrain serve` (run by tests/test_browser.sh):
// headless Chromium through playwright-core. Loads the page, draws a digit
// with synthesized pointer events, saves what the page sent as a PGM for
// `nntrain predict` to check, clicks a test digit and checks that the
// layers change, hovers a first-layer unit, checks phone width and the
// keyboard, and saves screenshots.
//   node page_test.mjs URL OUTDIR     (prints one JSON line of findings)
import { fail, phoneWidth, withPage } from './browser.mjs';
import { writeFileSync } from 'node:fs';

const [url, outDir] = process.argv.slice(2);
await withPage(url, async (page, found) => {
  const idle = () => page.waitForFunction(() => window.nntrainPage.idle && window.nntrainPage.predictions > 0,
                                          null, { timeout: 10000 });
  found.model_line = await page.textContent('#model-line');

  // Draw a "7" on the pad: a top bar and a slanted stroke down.
  const box = await page.locator('#pad').boundingBox();
  const at = (x, y) => [box.x + x * box.width, box.y + y * box.height];
  const strokes = [[[0.25, 0.22], [0.75, 0.22]], [[0.75, 0.22], [0.45, 0.85]]];
  for (const [from, to] of strokes) {
    await page.mouse.move(...at(...from));
    await page.mouse.down();
    for (let k = 1; k <= 12; k++)
      await page.mouse.move(...at(from[0] + (to[0] - from[0]) * k / 12, from[1] + (to[1] - from[1]) * k / 12));
    await page.mouse.up();
  }
  await idle();
  const drawn = await page.evaluate(() => ({
    input: Array.from(window.nntrainPage.input),
    prediction: window.nntrainPage.result.prediction,
    hidden: window.nntrainPage.result.activations[0],
    rows: window.nntrainPage.rows, cols: window.nntrainPage.cols,
  }));
  found.drawn_shown = (await page.textContent('#prediction')).trim();
  found.drawn_reply = drawn.prediction;
  // What the page sent, as a PGM (its grey levels are k/255).
  const grey = drawn.input.map((v) => Math.round(v * 255));
  if (drawn.input.some((v, i) => Math.abs(v - grey[i] / 255) > 1e-6)) fail('the input is not in steps of 1/255');
  const ink = grey.filter((g) => g > 0).length;
  if (ink < 20) fail(`the drawing left only ${ink} lit pixels`);
  writeFileSync(`${outDir}/drawn.pgm`, `P2\n${drawn.cols} ${drawn.rows}\n255\n${grey.join(' ')}\n`);
  await page.screenshot({ path: `${outDir}/page-drawn.png`, fullPage: true });

  // Pick a test digit: the input, the layers and the answer change.
  const samples = await page.locator('#samples button').count();
  found.samples = samples;
  if (samples > 1) {
    const before = await page.evaluate(() => window.nntrainPage.predictions);
    await page.locator('#samples button').nth(1).click();
    await page.waitForFunction((n) => window.nntrainPage.predictions > n && window.nntrainPage.idle, before);
    const picked = await page.evaluate(() => ({
      hidden: window.nntrainPage.result.activations[0],
      prediction: window.nntrainPage.result.prediction,
      input: Array.from(window.nntrainPage.input),
      pixels: window.nntrainPage.samples[1].pixels,
    }));
    const changed = picked.hidden.filter((v, i) => Math.abs(v - drawn.hidden[i]) > 1e-6).length;
    found.hidden_changed = changed;
    if (changed === 0) fail('the hidden layer did not change after picking a sample');
    if (picked.input.some((v, i) => Math.abs(v - picked.pixels[i] / 255) > 1e-6)) fail('the sample was not sent as it is');
    found.sample_shown = (await page.textContent('#prediction')).trim();
    if (found.sample_shown !== String(picked.prediction)) fail(`the page shows ${found.sample_shown}, the reply says ${picked.prediction}`);
    if (await page.getAttribute('#samples button >> nth=1', 'aria-pressed') !== 'true') fail('the picked sample is not marked');
  }

  // Hover a first-layer unit: its weights and contribution are shown.
  const unitXY = await page.evaluate(() => {
    const l = window.nntrainPage.layout.layers[1];
    const r = document.getElementById('net').getBoundingClientRect();
    return [r.left + l.x + l.cell / 2, r.top + l.y + l.cell / 2];
  });
  await page.mouse.move(...unitXY);
  await page.waitForFunction(() => /^Hidden unit 0 of/.test(document.getElementById('unit-info').textContent));
  found.unit_info = await page.textContent('#unit-info');
  await page.screenshot({ path: `${outDir}/page.png`, fullPage: true });

  // Keyboard: Escape clears; Tab reaches the samples and Enter picks one.
  await page.keyboard.press('Escape');
  if ((await page.textContent('#prediction')).trim() !== '–') fail('Escape did not clear');
  if (samples > 0) {
    await page.focus('#samples button >> nth=0');
    const before = await page.evaluate(() => window.nntrainPage.predictions);
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => window.nntrainPage.predictions > n && window.nntrainPage.idle, before);
    found.keyboard_pick = (await page.textContent('#prediction')).trim();
  }

  // Phone width: nothing wider than the screen.
  await phoneWidth(page, found, `${outDir}/page-phone.png`);
});
