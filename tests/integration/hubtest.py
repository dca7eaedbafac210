"""Helpers for the hub's integration tests (test_hub.py): a WebSub
subscriber of our own on loopback, written from the W3C Recommendation,
and a daemon case that serves HTTP and runs the hub.

Subscriber records each verification request (path and query) and each
content distribution (path, headers, body). What it answers is set per
test: echo the challenge (or a wrong one, or a status), and a script of
statuses for deliveries. Every wait is bounded (daemontest.wait_for).
"""

import gzip
import hashlib
import hmac
import http.server
import os
import re
import socketserver
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402
import test_pings as tp  # noqa: E402

SERVING_RE = re.compile(r'http: serving on http://(127\.0\.0\.1:\d+)/')
TOPIC = ft.BASE_URL + 'feed.atom'
TOPIC_RSS = ft.BASE_URL + 'feed.rss'
HUB_URL = ft.BASE_URL + 'hub'


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
	daemon_threads = True
	allow_reuse_address = True
	request_queue_size = 512	# a hub's wave of 256 connections

	def handle_error(self, request, client_address):
		# A daemon killed mid-request resets its connection: expected.
		if not isinstance(sys.exc_info()[1], ConnectionError):
			super().handle_error(request, client_address)


class Subscriber:
	"""A WebSub subscriber on 127.0.0.1 (any port)."""

	def __init__(self):
		self.lock = threading.Lock()
		self.verifications = []		# (path, {name: value})
		self.verify_times = []		# monotonic, of each
		self.deliveries = []		# (path, {header: value}, body)
		self.echo = 'challenge'		# or 'wrong', or an int status
		self.script = []		# statuses for the next deliveries
		self.answer = threading.Event()	# cleared: deliveries wait
		self.answer.set()
		sub = self

		class Handler(http.server.BaseHTTPRequestHandler):
			protocol_version = 'HTTP/1.1'

			def log_message(self, *a):
				pass

			def _send(self, code, body=b''):
				self.send_response(code)
				self.send_header('Content-Length', str(len(body)))
				self.end_headers()
				self.wfile.write(body)

			def do_GET(self):
				u = urllib.parse.urlsplit(self.path)
				q = dict(urllib.parse.parse_qsl(u.query,
					keep_blank_values=True))
				with sub.lock:
					sub.verifications.append((self.path, q))
					sub.verify_times.append(time.monotonic())
					echo = sub.echo
				if echo == 302 and not u.path.startswith('/redirected'):
					# Where a hub that followed redirects would go.
					self.send_response(302)
					self.send_header('Location', '/redirected' + self.path)
					self.send_header('Content-Length', '0')
					self.end_headers()
				elif isinstance(echo, int) and echo != 302:
					self._send(echo)
				elif echo == 'wrong':
					self._send(200, b'not-the-challenge')
				else:
					self._send(200, q.get('hub.challenge', '')
						.encode())

			def do_POST(self):
				n = int(self.headers.get('Content-Length') or 0)
				body = self.rfile.read(n)
				with sub.lock:
					sub.deliveries.append((self.path,
						dict(self.headers.items()), body))
					code = sub.script.pop(0) if sub.script else 204
				sub.answer.wait(dt.TIMEOUT)	# bounded
				self._send(code)

		self.server = _Server(('127.0.0.1', 0), Handler)
		self.port = self.server.server_address[1]
		self.thread = threading.Thread(target=self.server.serve_forever,
			daemon=True)
		self.thread.start()

	def url(self, path='/cb'):
		return 'http://127.0.0.1:%d%s' % (self.port, path)

	def stop(self):
		self.answer.set()
		self.server.shutdown()
		self.server.server_close()
		self.thread.join(5)

	def got(self, path=None):
		with self.lock:
			return [d for d in self.deliveries
				if path is None or urllib.parse.urlsplit(d[0]).path == path]

	def verified(self, path=None):
		with self.lock:
			return [v for v in self.verifications
				if path is None or urllib.parse.urlsplit(v[0]).path == path]


def signature(secret, body):
	return 'sha256=' + hmac.new(secret.encode(), body,
		hashlib.sha256).hexdigest()


class HubCase(tp.PingCase):
	"""A daemon serving HTTP on a free loopback port, with its hub on."""

	HUB = {'enabled': 'true', 'allow_private_callbacks': 'true',
		'verify_rate': '1000'}

	def start_hub(self, hub=None, http=None, pings=None, feed=None):
		h = dict(self.HUB)
		h.update(hub or {})
		ht = {'listen': '127.0.0.1:0'}
		ht.update(http or {})
		extra = '\n[http]\n' + ''.join('%s = %s\n' % kv for kv in
			ht.items())
		extra += '\n[hub]\n' + ''.join('%s = %s\n' % kv for kv in
			h.items())
		if pings:
			extra += '\n[pings]\n' + ''.join('%s = %s\n' % kv
				for kv in pings.items())
		self.ws.write_config(feed=feed or ft.default_feed(), extra=extra)
		return self.relaunch()

	def relaunch(self):
		d = self.launch()
		m = dt.wait_for(lambda: SERVING_RE.search(d.stderr()),
			what='http: serving on')
		self.base = 'http://%s/' % m.group(1)
		return d

	def subscriber(self):
		s = Subscriber()
		self.addCleanup(s.stop)
		return s

	def post(self, form, path='hub'):
		"""POST form (a dict or list of pairs) to the hub: (status, text)."""
		data = urllib.parse.urlencode(form).encode()
		req = urllib.request.Request(self.base + path, data, {
			'Content-Type': 'application/x-www-form-urlencoded'})
		try:
			with urllib.request.urlopen(req, timeout=dt.TIMEOUT) as r:
				return r.status, r.read().decode()
		except urllib.error.HTTPError as e:
			return e.code, e.read().decode()

	def subscribe(self, callback, topic=TOPIC, mode='subscribe', **more):
		form = [('hub.mode', mode), ('hub.topic', topic),
			('hub.callback', callback)]
		form += [('hub.' + k, v) for k, v in more.items()]
		return self.post(form)

	def get(self, path='feed.atom', headers=None):
		"""GET from the daemon's server: (status, headers, body)."""
		req = urllib.request.Request(self.base + path, headers=headers or {})
		try:
			with urllib.request.urlopen(req, timeout=dt.TIMEOUT) as r:
				return r.status, dict(r.headers.items()), r.read()
		except urllib.error.HTTPError as e:
			return e.code, dict(e.headers.items()), e.read()

	def log_count(self, text, d=None):
		return (d or self.daemon).stderr().count(text)

	def wait_log(self, text, n=1, timeout=dt.TIMEOUT):
		return dt.wait_for(lambda: self.log_count(text) >= n, timeout,
			repr(text) + '\n' + self.daemon.describe())

	def subscribed(self, callback, topic=TOPIC, n=1):
		self.wait_log('hub: %s subscribed to %s' % (callback, topic), n)

	def new_release(self, title):
		ft.write_release(self.ws.release('%s.md' % title.lower()),
			dt.release_text(title, '2025-01-01T10:00:00+01:00'))

	def wait_delivered(self, sub, n, path='/cb', timeout=dt.TIMEOUT):
		return dt.wait_for(lambda: len(sub.got(path)) >= n and
			sub.got(path), timeout, '%d deliveries to %s\n%s' % (n, path,
			self.daemon.describe()))

	def served_plain(self, path='feed.atom'):
		status, headers, body = self.get(path, {'Accept-Encoding':
			'identity'})
		self.assertEqual(status, 200)
		return headers, body

	@staticmethod
	def gunzip(b):
		return gzip.decompress(b)

	def quiet(self):
		time.sleep(tp.QUIET)
