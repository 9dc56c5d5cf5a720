// The receivers' side: the npm package `standardwebhooks` (the spec's own
// JavaScript library) verifies a delivery that phoneauth's webhook.c made,
// as the receiver got it (tests/unit/test_webhook --write-signed FILE), and
// refuses it with another secret, with a changed body or id, and when old.
//
//   NODE_PATH=$(tests/node/ensure.sh) node tests/node/verify_webhook.js FILE
'use strict';

const fs = require('fs');
const { Webhook, WebhookVerificationError } = require('standardwebhooks');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let failed = 0;

function check(name, fn) {
	let why;
	try {
		why = fn();
	} catch (e) {
		why = `threw ${e}`;
	}
	if (why) {
		failed++;
		console.log(`FAIL ${name}: ${why}`);
	} else {
		console.log(`PASS ${name}`);
	}
}

// The verification must fail, with the library's own error.
function refused(secret, body, headers) {
	try {
		new Webhook(secret).verify(body, headers);
	} catch (e) {
		return e instanceof WebhookVerificationError ? '' : `another error: ${e}`;
	}
	return 'verified';
}

check('standardwebhooks_verifies_what_phoneauth_sent', () => {
	const payload = new Webhook(req.secret).verify(req.body, req.headers);
	const keys = Object.keys(payload).sort().join(',');
	if (keys !== 'data,timestamp,type') return `payload members ${keys}`;
	if (payload.type !== 'password.changed' || payload.data.type !== payload.type)
		return `type ${payload.type} / ${payload.data.type}`;
	if (payload.timestamp !== payload.data.at) return `timestamp ${payload.timestamp}`;
	if (req.headers['webhook-id'] !== req.event_id || payload.data.id !== req.event_id)
		return `webhook-id ${req.headers['webhook-id']}, event ${payload.data.id}`;
	if (payload.data.data.via !== 'reset') return 'data.via';
	if (payload.data.user_agent !== 'Mozilla/5.0 "test" \u0634') return 'user_agent';
	return '';
});
check('standardwebhooks_refuses_another_secret', () =>
	refused(req.other_secret, req.body, req.headers));
check('standardwebhooks_refuses_a_changed_body', () =>
	refused(req.secret, req.body.replace('"reset"', '"change"'), req.headers));
check('standardwebhooks_refuses_another_id', () =>
	refused(req.secret, req.body, { ...req.headers, 'webhook-id': req.event_id + 'x' }));
check('standardwebhooks_refuses_an_old_delivery', () => {
	// the same signature under a timestamp ten minutes older
	const old = String(Number(req.headers['webhook-timestamp']) - 600);
	return refused(req.secret, req.body, { ...req.headers, 'webhook-timestamp': old });
});
process.exit(failed ? 1 : 0);
