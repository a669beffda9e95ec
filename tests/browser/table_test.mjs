// The browser test of `nntrain serve` with a table model (run by
// tests/test_browser.sh): the page shows a form of the model's features
// and its outputs as bars, not the drawing pad. Changes a number and a
// category, waits for the new answer, checks that the page shows the
// reply's class and one bar per class, checks phone width, and prints one
// JSON line of findings, with the features the page sent (the shell test
// asks `nntrain predict` about the same row).
//   node table_test.mjs URL OUTDIR
import { fail, phoneWidth, withPage } from './browser.mjs';

const [url, outDir] = process.argv.slice(2);
await withPage(url, async (page, found) => {
  await page.waitForFunction(() => window.nntrainPage.predictions > 0, null, { timeout: 10000 });
  found.model_line = await page.textContent('#model-line');
  if (await page.isVisible('#pad')) fail('the drawing pad is shown for a table model');
  if (!(await page.isVisible('#features'))) fail('no form of the features');
  const model = await page.evaluate(() => window.nntrainPage.model);
  found.fields = await page.locator('#features input, #features select').count();
  if (found.fields !== model.features.length) fail(`${found.fields} fields for ${model.features.length} features`);

  // A number and a category changed: a new answer.
  const num = model.features.findIndex((f) => f.type === 'numeric');
  const cat = model.features.findIndex((f) => f.type === 'categorical');
  const before = await page.evaluate(() => window.nntrainPage.predictions);
  if (num >= 0) await page.fill(`#feature-${num}`, '7.25');
  if (cat >= 0) await page.selectOption(`#feature-${cat}`, model.features[cat].categories.at(-1));
  await page.waitForFunction((n) => window.nntrainPage.predictions > n &&
    (document.getElementById(`feature-${0}`) !== null), before, { timeout: 10000 });
  await page.waitForTimeout(400); // the last change's answer
  const r = await page.evaluate(() => ({ sent: window.nntrainPage.input, reply: window.nntrainPage.result }));
  found.sent = r.sent;
  found.reply_prediction = r.reply.prediction;
  found.shown = (await page.textContent('#table-answer')).trim();
  if (r.reply.task === 'classification') {
    if (found.shown !== r.reply.prediction) fail(`the page shows ${found.shown}, the reply says ${r.reply.prediction}`);
    found.bars = await page.locator('#bars .bar').count();
    if (found.bars !== model.classes.length) fail(`${found.bars} bars for ${model.classes.length} classes`);
  }
  if (num >= 0 && r.sent[model.features[num].name] !== 7.25) fail('the changed number was not sent');
  await page.screenshot({ path: `${outDir}/table.png`, fullPage: true });

  // A number left empty is sent as missing (null): an answer or the server's reason.
  if (num >= 0) {
    await page.fill(`#feature-${num}`, '');
    await page.waitForTimeout(600);
    found.empty_sent = await page.evaluate((n) => window.nntrainPage.input[n], model.features[num].name);
    if (found.empty_sent !== null) fail('an empty number was not sent as null');
  }

  await phoneWidth(page, found, `${outDir}/table-phone.png`);
});
