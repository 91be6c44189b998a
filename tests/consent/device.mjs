// device.mjs - play the user of a device grant (RFC 8628): open the
// verification URI `cloudspool authorize` printed in Debian's chromium
// (headless, playwright-core), enter the user code, then either confirm,
// sign in and consent, or abort at the confirmation page; a screenshot of
// every page goes to SHOTDIR. Prints JSON: the last page's text.
// usage: node device.mjs URI USER_CODE LOGIN SHOTDIR PREFIX approve|deny
import { chromium } from 'playwright-core';

const [uri, userCode, login, shotDir, prefix, choice] = process.argv.slice(2);
// the test CA is not in chromium's store; only the browser skips the
// check: cloudspool's own clients always verify (lib/tls.h)
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const context = await browser.newContext({ ignoreHTTPSErrors: true });
const page = await context.newPage();
let step = 0;
const shot = async (name) => { step += 1; await page.screenshot({ path: `${shotDir}/${prefix}-${step}-${name}.png`, fullPage: true }); };
const submit = (sel) => Promise.all([page.waitForNavigation(), page.click(sel)]);
try {
  await page.goto(uri);
  await shot('code');
  await page.fill('input[name=user_code]', userCode);
  await submit('button[type=submit]');
  await shot('confirm');
  if (choice === 'deny') {
    await submit('button[name=abort]');
  } else {
    await submit('button[autofocus]');
    await shot('login');
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any-password');
    await submit('button[type=submit]');
    await shot('consent');
    await submit('button[type=submit]');
  }
  await page.waitForLoadState('load');
  await shot('done');
  console.log(JSON.stringify({ text: await page.innerText('body') }));
} catch (e) {
  await shot('error').catch(() => {});
  console.log(JSON.stringify({ error: String(e), url: page.url() }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
