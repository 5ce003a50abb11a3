// Unleash's own frontend SDK (the real npm package `unleash-proxy-client`) against a running
// Cleave Worker's frontend API, configured as for an Unleash server (url, clientKey,
// appName), nothing else. Run by tests/tests/worker_unleash.rs; prints what it saw and
// "unleash-proxy-client: ok" at the end.
//
// Env: CLEAVE_BASE, EXPECTED_VARIANT (u1's variant of `colors`, from /assign).

import assert from 'node:assert/strict';
import { UnleashClient, EVENTS } from 'unleash-proxy-client';

const base = process.env.CLEAVE_BASE;
const expected = process.env.EXPECTED_VARIANT;

// Every answer the SDK gets, to see its ETag polling (304s) and its metrics posts.
const statuses = [];
const watched = async (url, init) => {
  const response = await fetch(url, init);
  statuses.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} ${response.status}`);
  return response;
};

async function client(extra) {
  const c = new UnleashClient({
    url: `${base}/api/frontend`,
    clientKey: 'any-frontend-key',
    appName: 'shop',
    refreshInterval: 1,
    metricsInterval: 1,
    metricsIntervalInitial: 1,
    fetch: watched,
    ...extra,
  });
  const errors = [];
  c.on(EVENTS.ERROR, (e) => errors.push(e));
  const ready = new Promise((resolve) => c.on(EVENTS.READY, resolve));
  await c.start();
  await ready;
  return { c, errors };
}

// GET with the context as query parameters (the SDK's default).
const { c, errors } = await client({ context: { userId: 'u1', properties: { country: 'DE' } } });
const colors = c.getVariant('colors');
console.log(JSON.stringify({ colors, all: c.getAllToggles().map((t) => t.name) }));
assert.equal(c.isEnabled('colors'), true);
assert.equal(colors.name, expected, 'the SDK sees the variant Cleave assigns');
assert.deepEqual(colors.payload, { type: 'json', value: `{"color":"${expected}"}` });
assert.equal(c.isEnabled('german-only'), true, 'targeted by a property');
assert.equal(c.isEnabled('draft'), false, 'drafts are not toggles');

// A context change re-evaluates: another country leaves the targeted experiment.
await c.updateContext({ userId: 'u1', properties: { country: 'FR' } });
assert.equal(c.isEnabled('german-only'), false);
assert.equal(c.getVariant('colors').name, expected, 'the same unit keeps its variant');

// Polling with the ETag: unchanged answers are 304s; usage metrics are accepted.
await new Promise((resolve) => setTimeout(resolve, 3500));
c.stop();
console.log(JSON.stringify(statuses));
assert.ok(statuses.some((s) => s.startsWith('GET /api/frontend 304')), 'polled with If-None-Match');
assert.ok(statuses.some((s) => s === 'POST /api/frontend/client/metrics 202'), 'metrics accepted');
assert.deepEqual(errors, []);

// POST requests (`usePOSTrequests`), the context in the body.
const posted = await client({
  usePOSTrequests: true,
  disableMetrics: true,
  context: { userId: 'u2', properties: { country: 'DE' } },
});
assert.equal(posted.c.isEnabled('colors'), true);
assert.equal(posted.c.isEnabled('german-only'), true);
posted.c.stop();
assert.deepEqual(posted.errors, []);

console.log('unleash-proxy-client: ok');
// The SDK can leave a metrics timer behind after stop(); nothing more is to be done.
process.exit(0);
