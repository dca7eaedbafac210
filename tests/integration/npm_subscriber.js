// A third-party WebSub subscriber for test_hub.py: the npm package
// pubsubhubbub (installed by the test, not vendored) on 127.0.0.1, any
// port. Usage: node npm_subscriber.js HUB TOPIC [SECRET]
// Prints one JSON object per line: {"event": "listen", "port": N}, then
// "subscribe" (the hub verified us), "feed" (a content distribution whose
// signature, with a secret, the package checked: a mismatch is answered
// 202 and never reaches "feed"), "denied" or "error".
'use strict';

const PubSubHubbub = require('pubsubhubbub');
const crypto = require('crypto');

const [hub, topic, secret] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sub = PubSubHubbub.createServer(secret ? { secret } : {});

// pubsubhubbub 1.0.2 sends hub.secret = HMAC-SHA1(secret, topic) but
// checks X-Hub-Signature with the secret itself, so no hub could pass.
// Once the request is sent, the package checks with the key the hub got.
const sent = secret ? crypto.createHmac('sha1', secret).update(topic)
    .digest('hex') : null;

sub.on('listen', () => {
	const port = sub.server.address().port;
	sub.callbackUrl = 'http://127.0.0.1:' + port + '/npm';
	out({ event: 'listen', port });
	sub.subscribe(topic, hub, (err) => {
		if (sent)
			sub.secret = sent;
		if (err)
			out({ event: 'error', error: String(err),
			    body: err.responseBody || '' });
	});
});
sub.on('subscribe', (d) => out({ event: 'subscribe', topic: d.topic }));
sub.on('denied', (d) => out({ event: 'denied', error: String(d.error) }));
sub.on('error', (e) => out({ event: 'error', error: String(e) }));
sub.on('feed', (d) => out({
	event: 'feed', topic: d.topic, hub: d.hub,
	type: d.headers['content-type'],
	sha256: crypto.createHash('sha256').update(d.feed).digest('hex'),
	signed: 'x-hub-signature' in d.headers,
}));
sub.listen(0, '127.0.0.1');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
