// OpenFeature's server SDK with its OFREP provider (the real npm packages) against a
// running Cleave Worker. Run by tests/tests/worker_ofrep.rs, which passes what the core
// decides for each flag; prints one JSON line per check and "[ofrep-node] ok" at the end.
//
// Env: CLEAVE_URL, EXPECTED (JSON: {user, checkout: {variant, color}, nav: {variant, value},
// de: {variant}}).

import assert from 'node:assert/strict';
import { OpenFeature, ErrorCode } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const base = process.env.CLEAVE_URL;
const expected = JSON.parse(process.env.EXPECTED);

await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: base }));
const client = OpenFeature.getClient();
const context = { targetingKey: expected.user };

// An object flag: the variant's config, with Cleave's decision as flag metadata.
const checkout = await client.getObjectDetails('checkout-button', { color: 'none' }, context);
console.log(JSON.stringify({ flag: 'checkout-button', ...checkout }));
assert.equal(checkout.errorCode, undefined, checkout.errorMessage);
assert.equal(checkout.variant, expected.checkout.variant);
assert.deepEqual(checkout.value, { color: expected.checkout.color });
assert.equal(checkout.reason, 'SPLIT');
assert.equal(checkout.flagMetadata.inExperiment, true);
assert.equal(checkout.flagMetadata.cleaveReason, 'assigned');

// A boolean flag (variants whose configs are true and false).
const nav = await client.getBooleanDetails('new-nav', false, context);
console.log(JSON.stringify({ flag: 'new-nav', ...nav }));
assert.equal(nav.errorCode, undefined, nav.errorMessage);
assert.equal(nav.value, expected.nav.value);
assert.equal(nav.variant, expected.nav.variant);

// Asking a multi-variant object flag for a boolean: the SDK's type mismatch, the default.
const mismatch = await client.getBooleanDetails('checkout-button', true, context);
console.log(JSON.stringify({ flag: 'checkout-button as boolean', ...mismatch }));
assert.equal(mismatch.errorCode, ErrorCode.TYPE_MISMATCH);
assert.equal(mismatch.value, true);
assert.equal(mismatch.reason, 'ERROR');

// Attributes in the context feed targeting: in Germany the unit is targeted.
const de = await client.getStringDetails('de-only', 'default', { ...context, country: 'DE' });
console.log(JSON.stringify({ flag: 'de-only (DE)', ...de }));
assert.equal(de.reason, 'TARGETING_MATCH');
assert.equal(de.value, expected.de.variant);
const fr = await client.getStringDetails('de-only', 'default', { ...context, country: 'FR' });
console.log(JSON.stringify({ flag: 'de-only (FR)', ...fr }));
assert.equal(fr.reason, 'DEFAULT');
assert.equal(fr.flagMetadata.inExperiment, false);
assert.equal(fr.flagMetadata.cleaveReason, 'not_targeted');

// A draft experiment is DISABLED (the control's value); an unknown key FLAG_NOT_FOUND;
// no targeting key TARGETING_KEY_MISSING.
const draft = await client.getStringDetails('later', 'default', context);
console.log(JSON.stringify({ flag: 'later', ...draft }));
assert.equal(draft.reason, 'DISABLED');
assert.equal(draft.value, 'control');
const missing = await client.getStringDetails('no-such-flag', 'default', context);
console.log(JSON.stringify({ flag: 'no-such-flag', ...missing }));
assert.equal(missing.errorCode, ErrorCode.FLAG_NOT_FOUND);
assert.equal(missing.value, 'default');
const anonymous = await client.getStringDetails('de-only', 'default', { country: 'DE' });
console.log(JSON.stringify({ flag: 'de-only without targetingKey', ...anonymous }));
assert.equal(anonymous.errorCode, ErrorCode.TARGETING_KEY_MISSING);
assert.equal(anonymous.value, 'default');

await OpenFeature.close();
console.log('[ofrep-node] ok');
