// code-grab.mjs - play a user up to the provider's redirect and stop
// there: open the consent link in Debian's chromium (headless,
// playwright-core), sign in and consent at the provider, then abort the
// redirect to authd's /callback instead of following it. Prints JSON
// {"callback": URL} (its code and state unused), for the code-injection
// test (tests/e2e/t-consent-attacks.sh), which presents one user's code
// at another user's state. Screenshots go to SHOTDIR.
// usage: node code-grab.mjs LINK LOGIN SHOTDIR PREFIX
import { chromium } from 'playwright-core';

const [link, login, shotDir, prefix] = process.argv.slice(2);
// the test CA is not in chromium's store; cloudspool's own clients
// always verify (lib/tls.h)
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const context = await browser.newContext({ ignoreHTTPSErrors: true });
const page = await context.newPage();
let step = 0;
const shot = async (name) => { step += 1; await page.screenshot({ path: `${shotDir}/${prefix}-${step}-${name}.png`, fullPage: true }); };
let resolveCallback;
const callback = new Promise((r) => { resolveCallback = r; });
// the callback never reaches authd: its state stays unclaimed, its code
// unused at the token endpoint
await page.route(/\/callback\?/, async (route) => {
  resolveCallback(route.request().url());
  await route.abort();
});
try {
  await page.goto(link);
  await shot('login');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await shot('consent');
  await page.click('button[type=submit]');
  const url = await Promise.race([callback,
    new Promise((_, rej) => setTimeout(() => rej(new Error('no redirect to /callback')), 20000))]);
  console.log(JSON.stringify({ callback: url }));
} catch (e) {
  await shot('error').catch(() => {});
  console.log(JSON.stringify({ error: String(e), url: page.url() }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
