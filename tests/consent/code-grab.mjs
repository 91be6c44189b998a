// code-grab.mjs - play a user up to the provider's redirect and stop
// there: open the consent link in Debian's chromium (headless,
// playwright-core), sign in and consent at the provider, then take over
// the redirect chain so that authd's /callback is never loaded. Prints JSON
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
// capture - follow a redirect chain by hand (the browser's cookies, no
// automatic redirects) until it points at authd's /callback
async function capture(route) {
  let resp = await route.fetch({ maxRedirects: 0 });
  let base = route.request().url();
  let loc = resp.headers().location;
  for (let i = 0; i < 5 && loc && !/\/callback\?/.test(loc); i += 1) {
    base = new URL(loc, base).href;
    resp = await page.request.get(base, { maxRedirects: 0, ignoreHTTPSErrors: true });
    loc = resp.headers().location;
  }
  return loc && /\/callback\?/.test(loc) ? new URL(loc, base).href : null;
}
try {
  await page.goto(link);
  await shot('login');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any-password');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await shot('consent');
  // Playwright does not route the requests of a redirect chain, so the
  // consent form's POST is taken over: its chain (303 to the provider's
  // resume URL, 303 to the callback) is followed here, and the browser
  // gets a placeholder page instead of going to authd
  await page.route(/\/interaction\/[^/?]+$/, async (route) => {
    if (route.request().method() !== 'POST') { await route.continue(); return; }
    const url = await capture(route).catch(() => null);
    if (url) resolveCallback(url);
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>callback captured</p>' });
  });
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
