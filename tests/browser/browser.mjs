// What the browser tests (page_test.mjs, table_test.mjs) share: headless
// Chromium through playwright-core, the page loaded and ready, its errors
// collected, the phone-width check, and the one JSON line of findings.
import { chromium } from 'playwright-core';

export const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exitCode = 1; };

// Launches Chromium (CHROMIUM, else /usr/bin/chromium), opens url at
// 1200 x 860 and waits for the page to say it is ready, then runs
// body(page, found): body records its findings in found and calls fail()
// for what is wrong. A page error, or anything body throws, fails the test.
// Closes the browser and prints found as one JSON line.
export async function withPage(url, body) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const found = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 860 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10000 });
    await body(page, found);
    if (errors.length) fail(`page errors: ${errors.join('; ')}`);
  } catch (e) {
    fail(String(e && e.stack || e));
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(found));
}

// Phone width (390 x 844): nothing wider than the screen; a full-page
// screenshot into shot.
export async function phoneWidth(page, found, shot) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  found.phone_overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (found.phone_overflow > 0) fail(`at 390 px the page is ${found.phone_overflow} px too wide`);
  await page.screenshot({ path: shot, fullPage: true });
}
