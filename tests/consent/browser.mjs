// browser.mjs - play the user: open the link from the email in Debian's
// chromium (headless, playwright-core), sign in and consent at the
// provider's pages, and keep a screenshot of every page in SHOTDIR.
// Prints JSON: the final page's status and text, and the callback URL
// the provider sent the browser to (for the replay tests).
// usage: node browser.mjs LINK LOGIN SHOTDIR PREFIX
import { chromium } from 'playwright-core';

const [link, login, shotDir, prefix] = process.argv.slice(2);
// the test CA is not in chromium's store; only the browser skips the
// check: cloudspool's own clients always verify (lib/tls.h)
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'fr-FR' });
const page = await context.newPage();
let callback = null;
let finalStatus = 0;
page.on('response', (r) => {
  if (r.url().includes('/callback?')) { callback = r.url(); finalStatus = r.status(); }
});
let step = 0;
const shot = async (name) => { step += 1; await page.screenshot({ path: `${shotDir}/${prefix}-${step}-${name}.png`, fullPage: true }); };
try {
  await page.goto(link);
  await shot('login');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await shot('consent');
  await Promise.all([page.waitForURL(/\/callback\?/), page.click('button[type=submit]')]);
  await page.waitForLoadState('load');
  await shot('done');
  console.log(JSON.stringify({ status: finalStatus, callback, text: await page.innerText('body') }));
} catch (e) {
  await shot('error').catch(() => {});
  console.log(JSON.stringify({ error: String(e), url: page.url() }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
