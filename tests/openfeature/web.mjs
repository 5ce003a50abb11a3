// OpenFeature's web SDK with its OFREP web provider (the real npm packages, bundled by
// esbuild) in headless Chromium, on a page served from another origin than the Worker:
// bulk evaluation through CORS, polling with If-None-Match (304s), and a change on the
// server reaching the page. Run by tests/tests/worker_ofrep.rs.
//
// Env: CLEAVE_URL, CLEAVE_ADMIN_TOKEN, EXPECTED (JSON: {user, checkout: {variant, color},
// de: {variant}, de_id}), CHROMIUM (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const base = process.env.CLEAVE_URL;
const token = process.env.CLEAVE_ADMIN_TOKEN;
const expected = JSON.parse(process.env.EXPECTED);

const bundle = await build({
  stdin: {
    contents: "export { OpenFeature } from '@openfeature/web-sdk';\n" +
      "export { OFREPWebProvider } from '@openfeature/ofrep-web-provider';\n",
    resolveDir: process.cwd(),
  },
  bundle: true,
  format: 'iife',
  globalName: 'OF',
  write: false,
  logLevel: 'error',
});
const script = bundle.outputFiles[0].text;
const page = '<!doctype html><title>ofrep</title><script src="/of.js"></script>';
const site = createServer((req, res) => {
  const js = req.url === '/of.js';
  res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
  res.end(js ? script : page);
});
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${site.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const failures = [];
try {
  const tab = await browser.newPage();
  tab.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  tab.on('console', (m) => m.type() === 'error' && failures.push(`console: ${m.text()}`));
  const polls = { 200: 0, 304: 0, other: 0 };
  tab.on('response', (r) => {
    if (r.url() === `${base}/ofrep/v1/evaluate/flags` && r.request().method() === 'POST') {
      polls[r.status() === 200 || r.status() === 304 ? r.status() : 'other']++;
    }
  });
  await tab.goto(origin);
  const first = await tab.evaluate(async ({ base, user }) => {
    const { OpenFeature, OFREPWebProvider } = window.OF;
    await OpenFeature.setContext({ targetingKey: user, country: 'DE' });
    await OpenFeature.setProviderAndWait(
      new OFREPWebProvider({ baseUrl: base, pollInterval: 500, disableVisibilityRefresh: true }),
    );
    const client = OpenFeature.getClient();
    window.client = client;
    return {
      checkout: client.getObjectDetails('checkout-button', { color: 'none' }),
      de: client.getStringDetails('de-only', 'default'),
      mismatch: client.getBooleanDetails('checkout-button', true),
    };
  }, { base, user: expected.user });
  console.log(JSON.stringify(first));
  assert.equal(first.checkout.variant, expected.checkout.variant);
  assert.deepEqual(first.checkout.value, { color: expected.checkout.color });
  assert.equal(first.checkout.reason, 'SPLIT');
  assert.equal(first.de.value, expected.de.variant);
  assert.equal(first.de.reason, 'TARGETING_MATCH');
  assert.equal(first.mismatch.errorCode, 'TYPE_MISMATCH');
  assert.equal(first.mismatch.value, true);

  // Polling: unchanged flags come back 304 (the provider sends the ETag it holds).
  const until = async (what, check, ms = 20000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(polls)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await until('a 304 poll', () => polls[304] >= 2);

  // A change on the server reaches the page: stopping de-only takes it out of the bulk
  // answer (a new ETag, a 200), and the flag falls back to the code's default.
  const stopped = await fetch(`${base}/api/v1/experiments/${expected.de_id}/stop`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(stopped.status, 200, await stopped.text());
  const before200 = polls[200];
  await until('the stopped experiment to leave the page', () =>
    tab.evaluate(() => window.client.getStringDetails('de-only', 'default').errorCode === 'FLAG_NOT_FOUND'),
  );
  assert.ok(polls[200] > before200, `a 200 with the new flags: ${JSON.stringify(polls)}`);
  assert.equal(polls.other, 0, JSON.stringify(polls));
  console.log(JSON.stringify({ polls }));
  assert.deepEqual(failures, []);
} finally {
  await browser.close();
  site.close();
}
console.log('[ofrep-web] ok');
