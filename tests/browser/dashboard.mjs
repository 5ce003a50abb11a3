// The admin dashboard in a real browser (Debian Chromium driven by playwright-core) against
// a running `wrangler dev`. Run by tests/tests/dashboard_browser.rs, which starts the Worker.
//
// Env: CLEAVE_URL (http://127.0.0.1:PORT), CLEAVE_ADMIN_TOKEN, ARTIFACTS (screenshot folder),
// CHROMIUM (default /usr/bin/chromium).
// Fails on any console error, page error, failed request or HTTP error other than the two the
// test provokes on purpose (a wrong token, an invalid form).

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Api } from './api.mjs';
import { Watcher } from './watcher.mjs';

const BASE = process.env.CLEAVE_URL ?? 'http://127.0.0.1:8787';
const TOKEN = process.env.CLEAVE_ADMIN_TOKEN ?? '';
const ARTIFACTS = process.env.ARTIFACTS ?? 'target/test-artifacts/browser';
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run',
];

mkdirSync(ARTIFACTS, { recursive: true });
const api = new Api(BASE, TOKEN);

function step(name) {
  console.log(`[browser] ${name}`);
}

async function shot(page, name) {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`[browser]   screenshot ${file}`);
}

/** The page has no horizontal scrolling (responsive down to its width). */
async function assertFits(page, what) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width + 1, `${what} overflows horizontally: ${scroll}px content in a ${width}px viewport`);
}

async function signIn(page, token) {
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/admin\/$/);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
}

/** Texts of the cells with `testid` in the row of `variant` in table `table`. */
async function cell(page, table, variant, testid) {
  return (await page.locator(`[data-testid=${table}] tr[data-variant="${variant}"] [data-testid=${testid}]`).innerText()).trim();
}

const percent = (x, digits = 2) => `${(x * 100).toFixed(digits)}%`;
const signed = (x) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
const pValue = (p) => (p < 0.0001 ? '< 0.0001' : p.toFixed(4));
const count = (n) => Math.round(n).toLocaleString('en-US');

/** Waits for the auto-refresh to show `/stats` for `metric`, then checks every number. */
async function assertResultsMatchApi(page, id, metric) {
  const report = await api.get(`/api/v1/experiments/${id}/stats?metric=${metric}`);
  const users = report.variants.map((v) => count(v.sample_size));
  const conversions = report.variants.map((v) => count(v.conversions));
  await page.waitForFunction(
    ([u, c]) => {
      const texts = (id) => [...document.querySelectorAll(`[data-testid=variant-table] [data-testid=${id}]`)].map((x) => x.textContent);
      return JSON.stringify(texts('users')) === JSON.stringify(u) && JSON.stringify(texts('conversions')) === JSON.stringify(c);
    },
    [users, conversions],
    { timeout: 20000 },
  );
  for (const v of report.variants) {
    assert.equal(await cell(page, 'variant-table', v.variant, 'users'), count(v.sample_size), `${v.variant} users`);
    assert.equal(await cell(page, 'variant-table', v.variant, 'conversions'), count(v.conversions), `${v.variant} conversions`);
    assert.equal(await cell(page, 'variant-table', v.variant, 'rate'), percent(v.conversion_rate), `${v.variant} rate`);
    const [lo, hi] = v.confidence_interval;
    assert.equal(await cell(page, 'variant-table', v.variant, 'ci'), `[${percent(lo)}, ${percent(hi)}]`, `${v.variant} CI`);
  }
  for (const c of report.comparisons) {
    assert.equal(await cell(page, 'comparison-table', c.variant, 'p-value'), pValue(c.p_value), `${c.variant} p`);
    assert.equal(await cell(page, 'comparison-table', c.variant, 'adjusted-p-value'), pValue(c.adjusted_p_value), 'adjusted p');
    assert.equal(await cell(page, 'comparison-table', c.variant, 'lift'), signed(c.relative_lift), `${c.variant} lift`);
    assert.equal(await cell(page, 'comparison-table', c.variant, 'p-beat'), percent(c.probability_to_beat_control, 1), 'P(beat)');
  }
  assert.equal((await page.getByTestId('recommendation').innerText()).trim(), report.recommendation);
  assert.equal(await page.locator('[data-testid=ci-chart] [data-testid=ci-row]').count(), report.variants.length);
  return report;
}

async function desktopFlow(browser, watcher) {
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  const page = await context.newPage();
  watcher.watch(page, 'desktop');

  step('sign-in page; a wrong token is refused with a message');
  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/admin\/$/);
  await page.getByTestId('sign-in').waitFor();
  await shot(page, 'desktop-sign-in');
  watcher.expect(403, '/api/v1/experiments');
  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  await page.getByTestId('sign-in-error').waitFor();
  assert.match(await page.getByTestId('sign-in-error').innerText(), /not accepted/);

  step('sign in with the admin token');
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.getByTestId('empty').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cleave.adminToken')), TOKEN);

  step('a JSON config error is caught in the form; an invalid form is rejected by the server with field errors');
  await page.getByTestId('new-experiment').click();
  await page.getByTestId('experiment-form').waitFor();
  await page.fill('[data-field=name]', 'Checkout CTA');
  await page.fill('[data-field="variants[1].name"]', 'control');
  await page.fill('[data-field=traffic_allocation]', '150');
  await page.locator('[data-testid=variant-row]').nth(1).locator('summary').click();
  await page.fill('[data-field="variants[1].config"]', '{"color": ');
  await page.locator('[data-field-error="variants[1].config"]').waitFor();
  await page.getByTestId('save').click();
  await page.getByTestId('form-error').waitFor();
  assert.equal(watcher.httpErrors().length, 1, 'a local JSON error sends nothing');
  await page.fill('[data-field="variants[1].config"]', '{"color": "green"}');
  watcher.expect(422, '/api/v1/experiments');
  const [rejected] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/experiments') && r.request().method() === 'POST'),
    page.getByTestId('save').click(),
  ]);
  assert.equal(rejected.status(), 422);
  const details = (await rejected.json()).error.details;
  const fields = details.map((d) => d.field).sort();
  assert.deepEqual(fields, ['traffic_allocation', 'variants[1].name'], JSON.stringify(details));
  for (const d of details) {
    const shown = page.locator(`[data-field-error="${d.field}"]`);
    await shown.waitFor();
    assert.ok((await shown.innerText()).includes(d.message), `${d.field}: "${d.message}" shown next to its input`);
  }
  await shot(page, 'desktop-form-invalid');

  step('fix the form; the live sample-size estimate equals /api/v1/sample-size');
  await page.fill('[data-field="variants[1].name"]', 'treatment');
  await page.fill('[data-field=traffic_allocation]', '100');
  await page.fill('[data-field=metrics]', 'checkout, signup');
  await page.fill('[data-field=base_rate]', '10');
  await page.fill('[data-field=min_detectable_effect]', '20');
  const planned = await api.post('/api/v1/sample-size', { base_rate: 0.1, mde: 0.2, alpha: 0.05, power: 0.8, variants: 2 });
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=per-variant]')?.textContent === n,
    count(planned.sample_size_per_variant),
  );
  await shot(page, 'desktop-form');
  await page.getByTestId('save').click();
  await page.waitForURL(/#\/experiments\/[^/]+$/);
  const id = decodeURIComponent(page.url().split('/').pop());
  const created = await api.get(`/api/v1/experiments/${id}`);
  assert.equal(created.name, 'Checkout CTA');
  assert.deepEqual(created.metrics, ['checkout', 'signup']);
  assert.deepEqual(created.variants[1].config, { color: 'green' });
  assert.equal(created.base_rate, 0.1);
  assert.equal(created.min_detectable_effect, 0.2);

  step('lifecycle buttons follow the status; start, pause and resume it');
  const button = (a) => page.locator(`[data-action=${a}]`);
  assert.ok(await button('pause').isDisabled(), 'pause is illegal for a draft');
  assert.ok(await button('delete').isEnabled(), 'a draft can be deleted');
  await button('start').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'running');
  assert.ok(await button('start').isDisabled());
  assert.ok(await button('delete').isDisabled(), 'a running experiment cannot be deleted');
  await button('pause').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'paused');
  assert.equal((await api.get(`/api/v1/experiments/${id}`)).status, 'paused');
  assert.ok((await button('pause').isDisabled()) && (await button('resume').isEnabled()));
  await button('resume').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'running');
  assert.equal((await api.get(`/api/v1/experiments/${id}`)).status, 'running');

  step('generate traffic through the API; the results page shows what /stats returns');
  const traffic = await api.traffic(id, 400);
  console.log(`[browser]   ${traffic.assigned} users assigned, ${traffic.checkouts} checkouts, ${traffic.signups} signups`);
  const checkout = await assertResultsMatchApi(page, id, 'checkout');
  assert.ok(checkout.variants.every((v) => v.sample_size > 0));
  await page.getByTestId('progress').waitFor();
  await shot(page, 'desktop-results');

  step('switch metric');
  await page.selectOption('[data-testid=metric]', 'signup');
  await page.waitForFunction(() => document.querySelector('[data-testid=metric]')?.value === 'signup');
  const signup = await api.get(`/api/v1/experiments/${id}/stats?metric=signup`);
  await assertResultsMatchApi(page, id, 'signup');

  step('export JSON and CSV');
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const exported = JSON.parse(readFileSync(await json.path(), 'utf8'));
  assert.equal(exported.metric, 'signup');
  assert.deepEqual(exported.variants, signup.variants);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
  assert.equal(lines.length, 1 + signup.variants.length);
  assert.match(lines[0], /^experiment_id,metric,variant,/);
  assert.ok(lines[1].startsWith(`${id},signup,control,true,${signup.variants[0].sample_size},`), lines[1]);

  step('export units: one NDJSON line per exposed unit, with its variant and per-metric totals');
  const [ndjson] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-units').click()]);
  const units = readFileSync(await ndjson.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(units.length, signup.variants.reduce((n, v) => n + v.sample_size, 0));
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=export-units-status]')?.textContent === `${n} units exported.`,
    count(units.length),
  );
  const first = units.find((u) => u.user_id === 'browser-user-0');
  assert.ok(first, 'browser-user-0 is exported');
  assert.equal(first.variant, (await api.post(`/api/v1/experiments/${id}/assign`, { user_id: 'browser-user-0' })).variant);
  assert.deepEqual(Object.keys(first.metrics).sort(), ['checkout', 'signup']);
  for (const v of signup.variants) {
    assert.equal(units.filter((u) => u.variant === v.variant).length, v.sample_size, `${v.variant} units exported`);
  }

  step('edit page keeps the split locked while running');
  await page.locator('[data-action=edit]').click();
  await page.getByTestId('experiment-form').waitFor();
  assert.equal(await page.inputValue('[data-field=name]'), 'Checkout CTA');
  assert.ok(await page.locator('[data-field="variants[0].name"]').isDisabled(), 'variants are locked while running');
  assert.ok(await page.locator('[data-field=name]').isEnabled());
  await page.fill('[data-field=description]', 'Bigger, greener call to action.');
  await shot(page, 'desktop-edit');
  await page.getByTestId('save').click();
  await page.waitForURL(/#\/experiments\/[^/]+$/);
  assert.equal((await api.get(`/api/v1/experiments/${id}`)).description, 'Bigger, greener call to action.');

  step('stop it');
  await button('stop').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'stopped');
  assert.ok(await button('resume').isDisabled());
  assert.ok(await button('archive').isEnabled());
  assert.equal((await api.get(`/api/v1/experiments/${id}`)).status, 'stopped');

  step('list: status filter, search, progress');
  await page.click('text=Experiments');
  await page.getByTestId('experiment-list').waitFor();
  const rows = page.getByTestId('experiment-row');
  assert.equal(await rows.count(), 1);
  await page.selectOption('[data-testid=status-filter]', 'running');
  await page.getByTestId('empty').waitFor();
  await page.selectOption('[data-testid=status-filter]', 'stopped');
  await page.fill('[data-testid=search]', 'checkout-cta');
  assert.equal(await rows.count(), 1);
  await page.fill('[data-testid=search]', 'no-such-thing');
  await page.getByTestId('empty').waitFor();
  await page.fill('[data-testid=search]', '');
  await page.selectOption('[data-testid=status-filter]', 'all');
  const progress = (await api.get('/api/v1/progress')).find((p) => p.experiment_id === id);
  assert.equal(await rows.first().locator('.progress-text').innerText(), percent(progress.progress, 0));
  await shot(page, 'desktop-list');

  step('a sample ratio mismatch shows a banner');
  const forced = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`forced-${i}`, 'control']));
  const skewed = await api.post('/api/v1/experiments', {
    name: 'Skewed split', variants: [{ name: 'control' }, { name: 'treatment' }], forced,
  });
  await api.post(`/api/v1/experiments/${skewed.id}/start`);
  for (const user of [...Object.keys(forced), ...Array.from({ length: 60 }, (_, i) => `random-${i}`)]) {
    await api.post(`/api/v1/experiments/${skewed.id}/assign`, { user_id: user });
  }
  // An acknowledged /assign is durable: all 210 users count at once.
  const report = await api.get(`/api/v1/experiments/${skewed.id}/stats`);
  assert.equal(report.variants.reduce((n, v) => n + v.sample_size, 0), 210);
  assert.ok(report.srm.mismatch, JSON.stringify(report.srm));
  await page.goto(`${BASE}/admin/#/experiments/${skewed.id}`);
  await page.waitForFunction(
    (chi2) => document.querySelector('[data-testid=srm-banner]')?.textContent.includes(`χ² = ${chi2}`),
    report.srm.chi2.toFixed(2),
    { timeout: 20000 },
  );
  await shot(page, 'desktop-results-srm');
  await page.locator('[data-action=stop]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'stopped');

  step('calculator page');
  await page.click('text=Calculator');
  await page.getByTestId('sample-size-calculator').waitFor();
  const calc = await api.post('/api/v1/sample-size', { base_rate: 0.1, mde: 0.1, alpha: 0.05, power: 0.8, variants: 2 });
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=sample-size-calculator] [data-testid=per-variant]')?.textContent === n,
    count(calc.sample_size_per_variant),
  );
  await page.getByTestId('analyze').click();
  await page.getByTestId('analysis').waitFor();
  const analysis = await api.post('/api/v1/analyze', {
    alpha: 0.05,
    variants: [
      { name: 'control', sample_size: 1000, conversions: 100 },
      { name: 'treatment', sample_size: 1000, conversions: 125 },
    ],
  });
  assert.equal(
    await cell(page, 'comparison-table', 'treatment', 'p-value'),
    pValue(analysis.comparisons[0].p_value),
  );
  await shot(page, 'desktop-calculator');

  step('units page: delete one unit (confirmation dialog); it leaves the results');
  const before = await api.get(`/api/v1/experiments/${id}/stats?metric=checkout`);
  const users = (r) => r.variants.reduce((n, v) => n + v.sample_size, 0);
  await page.click('nav >> text=Units');
  await page.getByTestId('unit-delete-form').waitFor();
  assert.ok(await page.getByTestId('unit-delete').isDisabled(), 'nothing to delete without an id');
  await page.fill('[data-testid=unit-id]', 'browser-user-0');
  await page.getByTestId('unit-delete').click();
  await page.getByTestId('confirm-dialog').waitFor();
  await shot(page, 'desktop-units-confirm');
  await page.getByTestId('confirm').click();
  await page.getByTestId('unit-deleted').waitFor();
  assert.equal(
    (await page.getByTestId('unit-deleted').innerText()).trim(),
    'Removed browser-user-0: 1 experiment, 2 events, 0 holdout rows.',
  );
  const after = await api.get(`/api/v1/experiments/${id}/stats?metric=checkout`);
  assert.equal(users(after), users(before) - 1);
  assert.equal(after.total_conversions, before.total_conversions - 1);
  await shot(page, 'desktop-units');
  await page.fill('[data-testid=unit-id]', 'browser-user-0');
  await page.getByTestId('unit-delete').click();
  await page.getByTestId('confirm').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=unit-deleted]')?.textContent.includes('not in any experiment'));

  step('sign out forgets the token');
  await page.getByTestId('sign-out').click();
  await page.goto(`${BASE}/admin/#/`);
  await page.getByTestId('sign-in').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cleave.adminToken')), null);
  await context.close();
  return id;
}

async function phoneFlow(browser, watcher, id) {
  const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  watcher.watch(page, 'phone');
  step('phone: every page fits a 390 px screen');
  await page.goto(`${BASE}/admin/`);
  await page.getByTestId('sign-in').waitFor();
  await assertFits(page, 'sign-in');
  await shot(page, 'phone-sign-in');
  await signIn(page, TOKEN);
  await page.getByTestId('experiment-list').waitFor();
  await assertFits(page, 'list');
  await shot(page, 'phone-list');
  await page.goto(`${BASE}/admin/#/experiments/${encodeURIComponent(id)}`);
  await page.getByTestId('variant-table').waitFor();
  await assertFits(page, 'results');
  await shot(page, 'phone-results');
  await page.goto(`${BASE}/admin/#/new`);
  await page.getByTestId('experiment-form').waitFor();
  await assertFits(page, 'form');
  await shot(page, 'phone-form');
  await page.goto(`${BASE}/admin/#/calculator`);
  await page.getByTestId('sample-size-calculator').locator('[data-testid=per-variant]').waitFor();
  await assertFits(page, 'calculator');
  await shot(page, 'phone-calculator');
  await page.goto(`${BASE}/admin/#/units`);
  await page.getByTestId('unit-delete-form').waitFor();
  await assertFits(page, 'units');
  await shot(page, 'phone-units');

  step('phone: delete a stopped experiment through the confirmation dialog');
  await page.goto(`${BASE}/admin/#/experiments/${encodeURIComponent(id)}`);
  await page.locator('[data-action=delete]').click();
  await page.getByTestId('confirm-dialog').waitFor();
  await shot(page, 'phone-confirm-delete');
  await page.getByTestId('confirm').click();
  await page.waitForURL(/#\/$/);
  await page.getByTestId('experiment-list').waitFor();
  assert.equal(await page.locator('[data-testid=experiment-row][data-key=checkout-cta]').count(), 0);
  assert.equal(await page.getByTestId('experiment-row').count(), 1, 'the skewed experiment is still listed');
  await assert.rejects(api.get(`/api/v1/experiments/${id}`), /404/);
  await context.close();
}

/** The API reference at /docs/: Swagger UI over the Worker's own document, "Authorize"
 * with the admin token, then "Try it out" on listExperiments answers this Worker's list. */
async function docsFlow(browser, watcher) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watcher.watch(page, 'docs');
  step('docs: Swagger UI renders the generated document');
  await page.goto(`${BASE}/docs/`);
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'Cleave' }).waitFor();
  const spec = await (await fetch(`${BASE}/openapi.json`)).json();
  const operations = Object.values(spec.paths).flatMap((item) => Object.values(item)).filter((o) => o.operationId);
  assert.equal(await page.locator('.opblock').count(), operations.length, 'every operation is listed');
  await shot(page, 'docs');

  step('docs: Authorize with the admin token, then try listExperiments');
  await page.locator('.auth-wrapper .authorize').click();
  // The bearer scheme's form (the ab-testing-service routes also offer Basic).
  const bearer = page.locator('.modal-ux form').filter({ hasText: 'bearerAuth' });
  await bearer.locator('input').fill(TOKEN);
  await bearer.locator('.auth-btn-wrapper .authorize').click();
  await page.locator('.modal-ux .btn-done').first().click();
  const op = page.locator('#operations-experiments-listExperiments');
  await op.locator('.opblock-summary').click();
  await op.locator('.btn.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  assert.equal((await status.innerText()).trim(), '200');
  const shown = JSON.parse(await op.locator('.live-responses-table .response-col_description pre.microlight').first().innerText());
  const listed = await api.get('/api/v1/experiments');
  assert.deepEqual(shown, listed, 'Swagger UI shows what the API lists');
  await shot(page, 'docs-try-it-out');
  await context.close();
}

/** Who enters: holdouts and groups on their page, the targeting editor (rows, raw JSON checked
 * by the server as typed), the layer picker showing taken ranges, and "test a user". */
async function audienceFlow(browser, watcher) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watcher.watch(page, 'audience');
  await signIn(page, TOKEN);

  step('audience: create a holdout and a saved group on their page');
  await page.goto(`${BASE}/admin/#/audience`);
  await page.getByTestId('holdout-form').waitFor();
  await page.fill('[data-testid=holdout-name]', 'global');
  await page.fill('[data-testid=holdout-share]', '10');
  await page.getByTestId('holdout-save').click();
  await page.getByTestId('holdout-row-global').waitFor();
  await page.fill('[data-testid=group-name]', 'staff');
  await page.fill('[data-testid=group-values]', 'alice\nbob');
  await page.getByTestId('group-save').click();
  await page.getByTestId('group-row-staff').waitFor();
  assert.deepEqual((await api.get('/api/v1/holdouts')).map((h) => [h.name, h.share]), [['global', 0.1]]);
  assert.deepEqual((await api.get('/api/v1/groups'))[0].values, ['alice', 'bob']);
  await shot(page, 'audience-page');

  step('audience: a live experiment takes half of layer "checkout"');
  const other = await api.post('/api/v1/experiments', {
    name: 'Checkout layout', key: 'checkout-layout', variants: [{ name: 'a' }, { name: 'b' }],
    layer: { name: 'checkout', start: 0, end: 0.5 },
  });
  await api.post(`/api/v1/experiments/${other.id}/start`);

  step('audience: targeting rows write the condition; the server checks raw JSON as it is typed');
  await page.goto(`${BASE}/admin/#/new`);
  await page.getByTestId('experiment-form').waitFor();
  await page.fill('[data-field=name]', 'Checkout DACH');
  await page.getByTestId('add-row').click();
  const row = page.getByTestId('targeting-row').first();
  await row.getByTestId('row-attribute').fill('country');
  await row.getByTestId('row-operator').selectOption('$in');
  await row.getByTestId('row-value').fill('DE, AT');
  assert.deepEqual(JSON.parse(await page.getByTestId('targeting-json').inputValue()), { country: { $in: ['DE', 'AT'] } });
  await page.waitForFunction(() => /valid; reads country/.test(document.querySelector('[data-testid=targeting-verdict]')?.textContent ?? ''));
  watcher.expect(422, '/api/v1/targeting/check');
  await page.fill('[data-testid=targeting-json]', '{"country": {"$in": ["DE", "AT"]}, "age": {"$gtt": 18}}');
  await page.waitForFunction(() => /targeting\.age\.\$gtt/.test(document.querySelector('[data-testid=targeting-verdict]')?.textContent ?? ''));
  await shot(page, 'audience-targeting-invalid');
  await page.fill('[data-testid=targeting-json]', '{"country": {"$in": ["DE", "AT"]}, "user": {"$inGroup": "staff"}}');
  await page.waitForFunction(() => /valid; reads country, user/.test(document.querySelector('[data-testid=targeting-verdict]')?.textContent ?? ''));

  step('audience: the layer picker shows the taken range; take the other half; list the holdout');
  await page.fill('[data-field="layer.name"]', 'checkout');
  await page.getByTestId('layer-taken').waitFor();
  assert.match(await page.getByTestId('layer-taken').innerText(), /checkout-layout \(running\) takes 0%–50%/);
  await page.fill('[data-field="layer.start"]', '50');
  await page.fill('[data-field="layer.end"]', '100');
  await page.getByTestId('holdout-global').check();
  await shot(page, 'audience-form');
  await page.getByTestId('save').click();
  await page.waitForURL(/#\/experiments\/[^/]+$/);
  const id = decodeURIComponent(page.url().split('/').pop());
  const saved = await api.get(`/api/v1/experiments/${id}`);
  assert.deepEqual(saved.targeting, { country: { $in: ['DE', 'AT'] }, user: { $inGroup: 'staff' } });
  assert.deepEqual(saved.layer, { name: 'checkout', start: 0.5, end: 1 });
  assert.deepEqual(saved.holdouts, ['global']);
  await page.getByTestId('audience-summary').waitFor();

  step('audience: "test a user" shows the dry run, check by check');
  for (const [user, attributes] of [['alice', { country: 'DE', user: 'alice' }], ['alice', { country: 'FR', user: 'alice' }]]) {
    await page.fill('[data-testid=test-user-id]', user);
    await page.fill('[data-testid=test-user-attributes]', JSON.stringify(attributes));
    const truth = await api.post(`/api/v1/experiments/${id}/evaluate`, { user_id: user, attributes, assume_running: true });
    await page.getByTestId('test-user-run').click();
    await page.waitForFunction((r) => document.querySelector('[data-testid=test-user-reason]')?.textContent === r, truth.reason);
    assert.equal(await page.locator('[data-testid=test-user-result] .steps li').count(), truth.steps.length);
  }
  await shot(page, 'audience-test-user');

  step('audience: results by segment of a stored context attribute');
  await api.post(`/api/v1/experiments/${id}/start`);
  for (let i = 0; i < 90; i++) {
    await api.post(`/api/v1/experiments/${id}/assign`, { user_id: `seg-${i}`, context: { country: i % 3 ? 'DE' : 'AT', user: 'alice' } });
  }
  await page.fill('[data-testid=dimension]', 'country');
  await page.press('[data-testid=dimension]', 'Enter');
  await page.getByTestId('segments').waitFor();
  const bySegment = (await api.get(`/api/v1/experiments/${id}/stats?dimension=country`)).segments.segments;
  for (const s of bySegment) {
    const users = (await page.locator(`[data-testid=segments] tr[data-segment="${s.value}"] [data-testid=segment-users]`).innerText()).trim();
    assert.equal(users, count(s.users), `segment ${s.value}`);
  }
  assert.ok(bySegment.length >= 2, JSON.stringify(bySegment.map((s) => s.value)));
  await shot(page, 'audience-segments');
  await assertFits(page, 'the results page with the dry run');

  step('audience: the holdout\'s own results, held-out units against exposed ones');
  await api.call('PUT', '/api/v1/holdouts/global', { share: 0.1, metrics: ['buy'] });
  // Every seg-* unit reached the holdout check (all are targeted), so each is in one arm and
  // its event is accepted: held out, outside the layer range or in a variant.
  for (let i = 0; i < 90; i += 2) {
    await api.post(`/api/v1/experiments/${id}/track`, { user_id: `seg-${i}`, event_name: 'buy' });
  }
  const truthH = await api.get('/api/v1/holdouts/global/results');
  assert.equal(truthH.control_variant, 'held_out');
  await page.goto(`${BASE}/admin/#/audience`);
  await page.getByTestId('holdout-show-global').click();
  await page.getByTestId('holdout-results-global').waitFor();
  for (const v of truthH.variants) {
    const row = page.locator(`[data-testid=holdout-results-global] [data-testid=variant-table] tr[data-variant="${v.variant}"]`);
    await row.waitFor();
    assert.equal((await row.locator('[data-testid=users]').innerText()).trim(), count(v.sample_size), v.variant);
    assert.equal((await row.locator('[data-testid=conversions]').innerText()).trim(), count(v.conversions), v.variant);
  }
  assert.equal(truthH.variants.reduce((n, v) => n + v.sample_size, 0), 90, JSON.stringify(truthH.variants));
  assert.equal(truthH.variants.reduce((n, v) => n + v.conversions, 0), 45, JSON.stringify(truthH.variants));
  await shot(page, 'audience-holdout-results');
  await context.close();
}

async function integrationsFlow(browser, watcher) {
  const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  watcher.watch(page, 'integrations');
  await signIn(page, TOKEN);

  step('integrations: the page says what is not configured and shows the Plausible counts');
  await page.goto(`${BASE}/admin/#/integrations`);
  await page.getByTestId('unleash-state').waitFor();
  const truth = await api.get('/api/v1/integrations');
  assert.equal(truth.unleash.configured, false);
  assert.match(await page.getByTestId('unleash-state').innerText(), /Not configured\. Set UNLEASH_URL/);
  assert.match(await page.getByTestId('plausible-state').innerText(), /Not configured/);
  assert.equal(await page.getByTestId('unleash-fetch').count(), 0, 'nothing to fetch without UNLEASH_URL');
  const counts = await page.locator('[data-testid=plausible-counts] td').allInnerTexts();
  assert.deepEqual(counts.map((c) => c.trim()), [truth.plausible.sent, truth.plausible.failed, truth.plausible.dropped].map(count));
  await assertFits(page, 'the integrations page');
  await shot(page, 'phone-integrations');

  step('integrations: a gate while Unleash is not configured is flagged; the gate and the Plausible switch are saved');
  await page.goto(`${BASE}/admin/#/new`);
  await page.fill('[data-field=name]', 'Gated checkout');
  await page.fill('[data-testid=gate]', 'beta-checkout');
  await page.getByTestId('gate-unconfigured').waitFor();
  await page.getByTestId('plausible').uncheck();
  await page.getByTestId('save').click();
  await page.waitForURL(/#\/experiments\/[^/]+$/);
  const id = decodeURIComponent(page.url().split('/').pop());
  const saved = await api.get(`/api/v1/experiments/${id}`);
  assert.deepEqual(saved.gate, { unleash: 'beta-checkout' });
  assert.equal(saved.plausible, false);
  const dry = await api.post(`/api/v1/experiments/${id}/evaluate`, { user_id: 'u1', assume_running: true });
  assert.equal(dry.reason, 'gated', 'no Unleash: the gate is closed');
  await context.close();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: LAUNCH_ARGS,
});
const watcher = new Watcher(BASE);
try {
  const id = await desktopFlow(browser, watcher);
  await phoneFlow(browser, watcher, id);
  await docsFlow(browser, watcher);
  await audienceFlow(browser, watcher);
  await integrationsFlow(browser, watcher);
  watcher.assertClean();
  console.log('[browser] all steps passed');
} finally {
  await browser.close();
}
