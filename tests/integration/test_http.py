#!/usr/bin/env python3
"""The HTTP server (daemon/http.c) over loopback, with real clients: curl,
raw sockets, newsboat. The server is tests/http_serve (the module without
the daemon) serving an output folder that `feedpubd --once` wrote from the
good corpus (Swedish titles). Every wait is bounded; every server is
stopped (and checked for a clean exit and sanitizer reports) in cleanups.
"""

import email.utils
import gzip
import hashlib
import http.client
import os
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402
import httptest as ht  # noqa: E402
from httptest import curl  # noqa: E402

HUBS = ('https://hub.one.example/', 'https://hub.two.example/websub')
SELF_BASE = 'https://news.example.org/'
ETAG_RE = re.compile(r'^"[0-9a-f]{32}"$')
TYPES = {
	'feed.atom': 'application/atom+xml; charset=utf-8',
	'feed.rss': 'application/rss+xml; charset=utf-8',
}


def published_folder(test_or_cls):
	"""A workspace whose out/ holds the feeds of the good corpus."""
	ws = ft.Workspace('good')
	ws.write_config()
	run = ws.run('--once')
	if run.returncode != 0:
		ws.cleanup()
		raise AssertionError(run.describe())
	return ws


def raw_request(data, src='127.0.0.1', port=None, timeout=ht.TIMEOUT):
	"""Send data on a fresh connection from src; read until the server
	closes: the bytes."""
	s = socket.create_connection(('127.0.0.1', port), timeout=timeout,
		source_address=(src, 0))
	try:
		s.sendall(data)
		out = b''
		while True:
			chunk = s.recv(65536)
			if not chunk:
				return out
			out += chunk
	finally:
		s.close()


def status_of(response):
	return int(response.split(b' ', 2)[1]) if response else None


class ServedCase(ft.FeedCase):
	"""One server for the class over a published folder."""

	server_args = ()

	@classmethod
	def prepare(cls, out):
		"""Change the folder before the server starts."""

	@classmethod
	def setUpClass(cls):
		cls.ws = published_folder(cls)
		try:
			cls.prepare(cls.ws.out)
			cls.server = ht.Server(cls.ws.out, cls.server_args,
				logdir=cls.ws.dir)
		except BaseException:
			cls.ws.cleanup()
			raise

	@classmethod
	def tearDownClass(cls):
		try:
			cls.server.stop()
		finally:
			cls.ws.cleanup()

	def file_bytes(self, name):
		with open(os.path.join(self.ws.out, name), 'rb') as f:
			return f.read()

	def get(self, path, *args):
		return curl(self.server.url(path), *args)

	def assertStatus(self, path, want, *args):
		status, headers, body = self.get(path, *args)
		self.assertEqual(status, want, '%s %s: %r' % (path, args, body))
		return headers, body


class TestDocuments(ServedCase):
	"""Headers, bodies, HEAD, conditional requests, gzip."""

	server_args = ('--max-age', '120', '--hub', HUBS[0], '--hub', HUBS[1],
		'--self-base', SELF_BASE)

	@classmethod
	def prepare(cls, out):
		with open(os.path.join(out, 'style.css'), 'w') as f:
			f.write('body { color: #222 }\n')

	def test_get_headers_and_bytes(self):
		for name, ctype in TYPES.items():
			h, body = self.assertStatus('/' + name, 200)
			self.assertEqual(body, self.file_bytes(name))
			self.assertEqual(h['content-type'], [ctype])
			self.assertEqual(h['content-length'], [str(len(body))])
			self.assertRegex(h['etag'][0], ETAG_RE)
			mtime = os.stat(os.path.join(self.ws.out, name)).st_mtime
			self.assertEqual(h['last-modified'],
				[email.utils.formatdate(int(mtime), usegmt=True)])
			self.assertEqual(h['cache-control'], ['max-age=120'])
			self.assertEqual(h['vary'], ['Accept-Encoding'])
			self.assertNotIn('content-encoding', h)
			# One combined Link header: a rel=hub per hub, then self.
			self.assertEqual(h['link'], ['<%s>; rel="hub", <%s>; '
				'rel="hub", <%s%s>; rel="self"' % (HUBS[0], HUBS[1],
				SELF_BASE, name)])
		self.assertIn('Exempelstad', self.file_bytes('feed.atom')
			.decode('utf-8'))

	def test_other_types_have_no_link(self):
		h, body = self.assertStatus('/style.css', 200)
		self.assertEqual(h['content-type'], ['text/css; charset=utf-8'])
		self.assertEqual(body, b'body { color: #222 }\n')
		self.assertNotIn('link', h)

	def test_etag_is_content_hash(self):
		"""Different bytes, different ETags; the same request, the same."""
		a = self.get('/feed.atom')[1]['etag']
		self.assertEqual(a, self.get('/feed.atom')[1]['etag'])
		self.assertNotEqual(a, self.get('/feed.rss')[1]['etag'])

	def test_head(self):
		for name in TYPES:
			gh, gbody = self.assertStatus('/' + name, 200)
			status, hh, _ = self.get('/' + name, '-I')
			self.assertEqual(status, 200)
			self.assertEqual(hh['content-length'], [str(len(gbody))])
			# No body: the server closes right after the headers.
			resp = raw_request(b'HEAD /%s HTTP/1.1\r\nHost: x\r\n'
				b'Connection: close\r\n\r\n' % name.encode(),
				port=self.server.port)
			self.assertEqual(status_of(resp), 200)
			self.assertTrue(resp.endswith(b'\r\n\r\n'), resp)
			for k in ('etag', 'last-modified', 'content-type', 'link',
					'cache-control', 'vary'):
				self.assertEqual(hh[k], gh[k], k)

	def test_if_none_match(self):
		h, _ = self.assertStatus('/feed.atom', 200)
		tag = h['etag'][0]
		for inm in (tag, 'W/' + tag, '"nope", %s' % tag, '*',
				'"x",W/%s , "y"' % tag):
			nh, body = self.assertStatus('/feed.atom', 304, '-H',
				'If-None-Match: ' + inm)
			self.assertEqual(body, b'')
			self.assertEqual(nh['etag'], [tag])
			self.assertEqual(nh['cache-control'], ['max-age=120'])
			self.assertEqual(nh['vary'], ['Accept-Encoding'])
		for inm in ('"nope"', tag[:-2] + '"', 'garbage'):
			self.assertStatus('/feed.atom', 200, '-H',
				'If-None-Match: ' + inm)
		# The other document's tag does not match this one.
		rss_tag = self.get('/feed.rss')[1]['etag'][0]
		self.assertStatus('/feed.atom', 200, '-H', 'If-None-Match: '
			+ rss_tag)

	def test_if_modified_since(self):
		h, _ = self.assertStatus('/feed.rss', 200)
		lm = h['last-modified'][0]
		t = email.utils.parsedate_to_datetime(lm).timestamp()
		later = email.utils.formatdate(t + 3600, usegmt=True)
		earlier = email.utils.formatdate(t - 1, usegmt=True)
		self.assertStatus('/feed.rss', 304, '-H', 'If-Modified-Since: '
			+ lm)
		self.assertStatus('/feed.rss', 304, '-H', 'If-Modified-Since: '
			+ later)
		self.assertStatus('/feed.rss', 200, '-H', 'If-Modified-Since: '
			+ earlier)
		self.assertStatus('/feed.rss', 200, '-H',
			'If-Modified-Since: not a date')
		# If-None-Match decides when both are sent (RFC 9110 13.2.2).
		self.assertStatus('/feed.rss', 200, '-H', 'If-None-Match: "x"',
			'-H', 'If-Modified-Since: ' + later)

	def test_gzip(self):
		for name in TYPES:
			plain = self.file_bytes(name)
			ph, _ = self.assertStatus('/' + name, 200)
			# The gzip thread's copies come after the plain set.
			h, body = dt.wait_for(lambda: (lambda r: r if 'content-encoding'
				in r[0] else None)(self.assertStatus('/' + name, 200, '-H',
				'Accept-Encoding: gzip')), what=name + ' served gzip')
			self.assertEqual(h['content-encoding'], ['gzip'])
			self.assertEqual(h['vary'], ['Accept-Encoding'])
			self.assertEqual(h['content-length'], [str(len(body))])
			self.assertLess(len(body), len(plain) // 2)
			self.assertEqual(gzip.decompress(body), plain)
			# A strong ETag names one representation.
			self.assertNotEqual(h['etag'], ph['etag'])
			self.assertEqual(h['link'], ph['link'])
			# The gzip tag revalidates, and gets the gzip 304.
			nh, _ = self.assertStatus('/' + name, 304, '-H',
				'Accept-Encoding: gzip', '-H', 'If-None-Match: '
				+ h['etag'][0])
			self.assertEqual(nh['etag'], h['etag'])
			# curl's own decoding gives the same bytes too.
			self.assertEqual(self.assertStatus('/' + name, 200,
				'--compressed')[1], plain)
		for ae in ('gzip;q=0', 'identity', 'br', '*;q=0'):
			h, body = self.assertStatus('/feed.atom', 200, '-H',
				'Accept-Encoding: ' + ae)
			self.assertNotIn('content-encoding', h)
			self.assertEqual(body, self.file_bytes('feed.atom'))

	def test_query_and_absolute_form(self):
		self.assertEqual(self.assertStatus('/feed.atom?utm=1', 200)[1],
			self.file_bytes('feed.atom'))
		resp = raw_request(b'GET http://news.example.org/feed.rss '
			b'HTTP/1.1\r\nHost: news.example.org\r\nConnection: '
			b'close\r\n\r\n', port=self.server.port)
		self.assertEqual(status_of(resp), 200)
		self.assertTrue(resp.endswith(self.file_bytes('feed.rss')))

	def test_keep_alive(self):
		"""Two requests on one connection (curl reuses it)."""
		proc = subprocess.run(['curl', '-sS', '-v', '-o', '/dev/null',
			'-o', '/dev/null', self.server.url('/feed.atom'),
			self.server.url('/feed.rss')], capture_output=True,
			timeout=ht.TIMEOUT)
		self.assertEqual(proc.returncode, 0)
		self.assertIn(b'Re-using existing connection', proc.stderr)


class TestRefusals(ServedCase):
	"""Traversal attempts, 404, 405, 414, 431, and the access log."""

	@classmethod
	def prepare(cls, out):
		secret = os.path.join(os.path.dirname(out), 'secret')
		os.makedirs(secret)
		with open(os.path.join(secret, 'secret.html'), 'w') as f:
			f.write('secret\n')
		os.symlink(os.path.join(secret, 'secret.html'),
			os.path.join(out, 'secret.html'))
		os.symlink('/etc/passwd', os.path.join(out, 'passwd.html'))
		os.symlink(secret, os.path.join(out, 'up'))
		with open(os.path.join(out, '.feed.atom.AbC123'), 'w') as f:
			f.write('half written\n')
		with open(os.path.join(out, 'notes.txt'), 'w') as f:
			f.write('not a document\n')

	def test_traversal(self):
		for path in ('/../feed.atom', '/../../etc/passwd',
				'/%2e%2e/%2e%2e/etc/passwd', '/%2E%2E/feed.atom',
				'/.%2e/feed.atom', '/./feed.atom', '/releases/..',
				'/..%2ffeed.atom', '/releases%2ffeed.atom',
				'/up%2fsecret.html', '/feed.atom%00.html',
				'/feed.atom%00', '/%5c..%5cfeed.atom', '/a%0d%0aX:y',
				'/%zz', '/%'):
			self.assertStatus(path, 400, '--path-as-is')
		# Symlinks (out of the folder, to a file and to a folder), temp
		# files and other names are no documents.
		for path in ('/secret.html', '/passwd.html', '/up/secret.html',
				'/.feed.atom.AbC123', '/notes.txt', '/etc/passwd',
				'/feed.atom/', '/FEED.ATOM', '//feed.atom',
				'/releases/'):
			h, body = self.assertStatus(path, 404, '--path-as-is')
			self.assertNotIn(b'secret', body)
			self.assertNotIn(b'root:', body)
		self.assertStatus('/feed.atom', 200)
		# The base path is the site's index.html ([pages], on by default).
		h, body = self.assertStatus('/', 200, '--path-as-is')
		self.assertIn(b'<!DOCTYPE html>', body)

	def test_not_found(self):
		h, body = self.assertStatus('/nope.atom', 404)
		self.assertEqual(h['content-type'], ['text/plain; charset=utf-8'])
		self.assertEqual(body, b'Not Found\n')

	def test_methods(self):
		for method in ('POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH',
				'TRACE', 'BREW'):
			h, _ = self.assertStatus('/feed.atom', 405, '-X', method)
			self.assertEqual(h['allow'], ['GET, HEAD'])
		h, _ = self.assertStatus('/feed.atom', 405, '--data', 'a=1')
		self.assertEqual(h['allow'], ['GET, HEAD'])

	def test_uri_too_long(self):
		self.assertStatus('/' + 'a' * 2100, 414)
		self.assertStatus('/feed.atom?' + 'q' * 2100, 414)
		# Longer than the connection's memory: libmicrohttpd's own 414.
		self.assertEqual(status_of(raw_request(b'GET /' + b'x' * 40000 +
			b' HTTP/1.1\r\nHost: x\r\n\r\n', port=self.server.port)),
			414)
		# Just under the cap: an ordinary 404.
		self.assertStatus('/' + 'a' * 2000, 404)

	def test_oversized_headers(self):
		"""Headers past the connection's memory get 431 and a close, and
		a flood of them does not keep a normal client waiting."""
		big = b'X-Big: ' + b'y' * 60000 + b'\r\n'
		results = []

		def flood():
			results.append(status_of(raw_request(b'GET /feed.atom '
				b'HTTP/1.1\r\nHost: x\r\n' + big + b'\r\n',
				src='127.0.0.3', port=self.server.port)))
		threads = [threading.Thread(target=flood) for _ in range(20)]
		for t in threads:
			t.start()
		t0 = time.monotonic()
		self.assertStatus('/feed.atom', 200)
		self.assertLess(time.monotonic() - t0, 2.0 * dt.SCALE)
		for t in threads:
			t.join(ht.TIMEOUT)
		self.assertEqual(results, [431] * 20)
		# Many headers, each small, add up the same way.
		many = b''.join(b'X-H%d: v\r\n' % i for i in range(5000))
		self.assertEqual(status_of(raw_request(b'GET /feed.atom HTTP/1.1'
			b'\r\nHost: x\r\n' + many + b'\r\n', port=self.server.port)),
			431)

	def test_access_log_escapes_the_target(self):
		"""The request path is hostile bytes: escaped in the log."""
		resp = raw_request(b'GET /\x1b[31m\xc3\xa5"\\x HTTP/1.1\r\n'
			b'Host: x\r\nConnection: close\r\n\r\n',
			port=self.server.port)
		self.assertEqual(status_of(resp), 400)
		self.get('/feed.atom')
		ht.wait_for(lambda: any('/\\x1b[31m\\xc3\\xa5\\x22\\x5cx' in l
			for l in self.server.access_lines()), what='the log line')
		# Logged when the request ends, which may be after the client
		# has read its answer.
		ht.wait_for(lambda: any(re.match(r'^feedpubd: http: 127\.0\.0\.1 '
			r'"GET /feed\.atom" 200 plain \d+\.\d+ ms$', l)
			for l in self.server.access_lines()), what='the GET line')
		self.assertNotIn('\x1b', self.server.text())


class TestSendfile(ServedCase):
	"""A large plain feed goes out by sendfile(), its headers corked with
	the body (http.c holds libmicrohttpd's push of the headers alone): as
	few segments as the bytes need, and nothing waits for the cork's
	200 ms timer, HEAD (headers only) or GET, however they alternate."""

	SIZE = 200000
	# struct tcp_info (linux/tcp.h): tcpi_rcv_mss, tcpi_segs_in.
	RCV_MSS, SEGS_IN = 20, 140

	@classmethod
	def prepare(cls, out):
		with open(os.path.join(out, 'big.atom'), 'wb') as f:
			f.write(b'<feed>' + b'x' * (cls.SIZE - 13) + b'</feed>')

	def tcp_info(self, s):
		b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
		return (struct.unpack_from('I', b, self.RCV_MSS)[0],
			struct.unpack_from('I', b, self.SEGS_IN)[0])

	def answer(self, s, method):
		"""One request on s: (status line, body, bytes, seconds)."""
		t = time.perf_counter()
		s.sendall(b'%s /big.atom HTTP/1.1\r\nHost: x\r\n\r\n' % method)
		data = b''
		while b'\r\n\r\n' not in data:
			chunk = s.recv(65536)
			self.assertTrue(chunk, 'closed after %r' % data)
			data += chunk
		head, _, body = data.partition(b'\r\n\r\n')
		n = int(re.search(rb'(?im)^content-length: *(\d+)', head).group(1))
		while method == b'GET' and len(body) < n:
			chunk = s.recv(1 << 20)
			self.assertTrue(chunk, 'closed after %d bytes' % len(body))
			body += chunk
		return (head.split(b'\r\n', 1)[0], body, len(head) + 4 + len(body),
			time.perf_counter() - t)

	def test_headers_leave_with_the_body(self):
		want = self.file_bytes('big.atom')
		s = socket.create_connection(('127.0.0.1', self.server.port),
			timeout=ht.TIMEOUT)
		self.addCleanup(s.close)
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		times, extra = [], []
		prev = None
		for method in (b'GET', b'GET', b'GET', b'HEAD', b'GET', b'GET',
				b'HEAD', b'HEAD', b'GET', b'GET', b'GET'):
			_, segs0 = self.tcp_info(s)
			status, body, total, took = self.answer(s, method)
			mss, segs1 = self.tcp_info(s)
			self.assertEqual(status, b'HTTP/1.1 200 OK')
			self.assertEqual(body, want if method == b'GET' else b'')
			times.append(took)
			# A GET after a GET, on a socket left corked: the headers
			# share the first segment (one more segment without).
			if method == b'GET' and prev == b'GET':
				extra.append(segs1 - segs0 - -(-total // mss))
			prev = method
		# Held pushes would wait for the cork timer (200 ms) each time.
		self.assertLess(sorted(times)[len(times) // 2], 0.1, times)
		# Most answers, not each: how the kernel cuts segments also
		# follows the reader's window, and a reader preempted on a loaded
		# machine saw one more once. Without the hold every one has +1.
		self.assertTrue(extra)
		self.assertLessEqual(sorted(extra)[len(extra) // 2], 0,
			'segments beyond the bytes needed: %r' % extra)


class TestSendfileFirst(ServedCase):
	"""A large feed's sendfile() answer is made by its first request:
	many at once, on a server that has sent none yet, all get its bytes
	(the threads race to make it; one keeps it, the others' go)."""

	SIZE = 100000

	@classmethod
	def prepare(cls, out):
		with open(os.path.join(out, 'first.atom'), 'wb') as f:
			f.write(b'<feed>' + b'y' * (cls.SIZE - 13) + b'</feed>')

	def test_first_requests_at_once(self):
		want = self.file_bytes('first.atom')
		gate = threading.Barrier(16)
		got = []

		def one():
			c = http.client.HTTPConnection('127.0.0.1', self.server.port,
				timeout=ht.TIMEOUT)
			try:
				c.connect()
				gate.wait(ht.TIMEOUT)
				c.request('GET', '/first.atom')
				r = c.getresponse()
				got.append((r.status, r.read()))
			finally:
				c.close()
		threads = [threading.Thread(target=one) for _ in range(16)]
		for t in threads:
			t.start()
		for t in threads:
			t.join(ht.TIMEOUT)
		self.assertEqual(len(got), 16)
		for status, body in got:
			self.assertEqual(status, 200)
			self.assertEqual(body, want)


class TestLimits(ServedCase):
	"""Slowloris, the per-address limit, the inactivity timeout."""

	server_args = ('--max-per-ip', '16', '--timeout', '2',
		'--max-connections', '300')

	def half_open(self, n, src):
		"""n connections from src that each sent half a request."""
		socks = []
		for _ in range(n):
			s = socket.create_connection(('127.0.0.1', self.server.port),
				timeout=ht.TIMEOUT, source_address=(src, 0))
			s.sendall(b'GET /feed.atom HTTP/1.1\r\nHost: x\r\nX-Slow: ')
			socks.append(s)
		self.addCleanup(lambda: [s.close() for s in socks])
		return socks

	def test_slowloris_does_not_block_others(self):
		socks = []
		for i in range(12):		# 12 addresses x 15 = 180 connections
			socks += self.half_open(15, '127.0.0.%d' % (10 + i))
		for _ in range(5):
			t0 = time.monotonic()
			h, body = self.assertStatus('/feed.atom', 200)
			self.assertLess(time.monotonic() - t0, 1.0 * dt.SCALE)
			self.assertEqual(body, self.file_bytes('feed.atom'))
		# Keeping them alive byte by byte does not hurt either.
		for s in socks:
			s.sendall(b'a')
		self.assertStatus('/feed.rss', 200)

	def test_per_ip_limit(self):
		socks = self.half_open(24, '127.0.0.2')
		closed = []

		def is_closed(s):
			s.settimeout(0.05)
			try:
				return s.recv(1) == b''
			except socket.timeout:
				return False
			except OSError:
				return True
		ht.wait_for(lambda: sum(map(is_closed, socks)) >= 8,
			what='8 connections over the limit closed')
		closed = [s for s in socks if is_closed(s)]
		self.assertEqual(len(closed), 8)
		# Another address is not affected.
		self.assertStatus('/feed.atom', 200)

	def test_inactivity_timeout(self):
		s = socket.create_connection(('127.0.0.1', self.server.port),
			timeout=ht.TIMEOUT, source_address=('127.0.0.4', 0))
		self.addCleanup(s.close)
		s.sendall(b'GET /feed.atom HTTP/1.1\r\n')
		t0 = time.monotonic()
		self.assertEqual(s.recv(1024), b'')	# closed by the server
		elapsed = time.monotonic() - t0
		self.assertGreater(elapsed, 1.0)
		self.assertLess(elapsed, 5.0)


class TestPublish(ServedCase):
	"""A publish swaps the whole set; a request in flight keeps its own."""

	BIG = 24 << 20

	@classmethod
	def prepare(cls, out):
		with open(os.path.join(out, 'big.html'), 'wb') as f:
			f.write(b'a' * cls.BIG)

	def test_request_in_flight_keeps_its_snapshot(self):
		s = socket.socket()
		self.addCleanup(s.close)
		# A small window: most of the body stays in the server's hands.
		s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
		s.settimeout(ht.TIMEOUT)
		s.connect(('127.0.0.1', self.server.port))
		s.sendall(b'GET /big.html HTTP/1.1\r\nHost: x\r\n'
			b'Connection: close\r\n\r\n')
		got = s.recv(65536)
		old_atom = self.get('/feed.atom')[1]
		# Publish a new set: big.html replaced, feed.atom unchanged.
		tmp = os.path.join(self.ws.out, 'big.tmp')
		with open(tmp, 'wb') as f:
			f.write(b'b' * 1000)
		os.rename(tmp, os.path.join(self.ws.out, 'big.html'))
		self.server.reload()
		h, body = self.assertStatus('/big.html', 200)
		self.assertEqual(body, b'b' * 1000)
		# The old response goes on with the old bytes, to the end.
		while True:
			chunk = s.recv(1 << 20)
			if not chunk:
				break
			got += chunk
		head, _, body = got.partition(b'\r\n\r\n')
		self.assertIn(b'Content-Length: %d' % self.BIG, head)
		self.assertEqual(len(body), self.BIG)
		self.assertEqual(body.count(b'a'), self.BIG)
		# Unchanged bytes keep their validators across the publish.
		nh, nbody = self.assertStatus('/feed.atom', 200)
		self.assertEqual(nbody, self.file_bytes('feed.atom'))
		self.assertEqual(old_atom['etag'], nh['etag'])
		self.assertEqual(old_atom['last-modified'], nh['last-modified'])

	def test_concurrent_gets_during_publishes(self):
		"""Each response is one whole version, never a mix."""
		versions = {b'x' * 5000, b'y' * 7000}
		bad, stop = [], threading.Event()

		def reader():
			while not stop.is_set():
				status, h, body = curl(self.server.url('/flip.html'))
				if status == 200 and body not in versions:
					bad.append((h, body[:50]))
		path = os.path.join(self.ws.out, 'flip.html')
		with open(path, 'wb') as f:
			f.write(b'x' * 5000)
		self.server.reload()
		threads = [threading.Thread(target=reader) for _ in range(2)]
		for t in threads:
			t.start()
		try:
			for i in range(10):
				with open(path + '.tmp', 'wb') as f:
					f.write(sorted(versions)[i % 2])
				os.rename(path + '.tmp', path)
				self.server.reload()
		finally:
			stop.set()
			for t in threads:
				t.join(ht.TIMEOUT)
		self.assertEqual(bad, [])

	def test_a_publish_is_served_whole(self):
		"""Two documents a publish changes together: a request after
		another never sees the second older than the first (a set
		half old, half new); a gzip answer is always the gzip of a
		whole version, under the ETag of that version's bytes; and
		the gzip copies of what changed follow the plain bytes."""
		names = ('pair/one.html', 'pair/two.html')

		def text(v):
			return (b'<p>version %05d</p>\n' % v) * 300

		def version(body):
			m = re.match(rb'<p>version (\d{5})</p>', body)
			self.assertIsNotNone(m, body[:60])
			self.assertEqual(body, text(int(m.group(1))))
			return int(m.group(1))

		def tag(body, gz):
			h = hashlib.sha256(body).hexdigest()[:32]
			return '"%s%s"' % (h, '-gz' if gz else '')

		def publish(v):
			for n in names:
				path = os.path.join(self.ws.out, n)
				with open(path + '.tmp', 'wb') as f:
					f.write(text(v))
				os.rename(path + '.tmp', path)
			self.server.reload()
		os.makedirs(os.path.join(self.ws.out, 'pair'), exist_ok=True)
		publish(0)
		bad, stop, counts = [], threading.Event(), [0, 0]

		def pairs():
			c = http.client.HTTPConnection('127.0.0.1',
				self.server.port, timeout=ht.TIMEOUT)
			try:
				while not stop.is_set():
					got = []
					for n in names:
						c.request('GET', '/' + n)
						r = c.getresponse()
						got.append(version(r.read()))
					if got[1] < got[0]:
						bad.append(got)
					counts[0] += 1
			finally:
				c.close()

		def gzipped():
			c = http.client.HTTPConnection('127.0.0.1',
				self.server.port, timeout=ht.TIMEOUT)
			try:
				while not stop.is_set():
					c.request('GET', '/' + names[0],
						headers={'Accept-Encoding': 'gzip'})
					r = c.getresponse()
					body, gz = r.read(), r.getheader(
						'Content-Encoding') == 'gzip'
					plain = gzip.decompress(body) if gz else body
					version(plain)
					if r.getheader('ETag') != tag(plain, gz):
						bad.append((gz, r.getheader('ETag')))
					counts[1] += gz
			finally:
				c.close()
		threads = [threading.Thread(target=pairs),
			threading.Thread(target=gzipped)]
		for t in threads:
			t.start()
		try:
			for v in range(1, 30):
				publish(v)
			# Under ASan on a loaded machine every publish can
			# replace the set before the gzip thread has its
			# copies: the last one's come once the server is idle.
			ht.wait_for(lambda: counts[1] > 0,
				what='a gzip answer among the publishes')
		finally:
			stop.set()
			for t in threads:
				t.join(ht.TIMEOUT)
		self.assertEqual(bad, [])
		self.assertGreater(counts[0], 10)
		self.assertGreater(counts[1], 0)
		# The last publish's gzip copy comes once the server is idle.
		def gzip_served():
			st, h, body = curl(self.server.url('/' + names[1]),
				'-H', 'Accept-Encoding: gzip')
			return (h.get('content-encoding') == ['gzip'] and
				gzip.decompress(body) == text(29))
		ht.wait_for(gzip_served, what='the gzip copy of the last publish')


class TestDaemonSwap(dt.DaemonCase):
	"""The daemon serves what each publish wrote as one set."""

	def served_port(self):
		"""The port the daemon says it serves on, once it does."""
		def port():
			for ln in self.daemon.stderr_lines():
				m = ht.SERVING_RE.search(ln)
				if m:
					return int(m.group(1).rsplit(':', 1)[1])
			return None
		self.wait(lambda: port() is not None, 'http: serving on')
		return port()

	def test_a_feed_link_is_served_with_the_feed(self):
		"""A reader who sees a new entry in the served feed and follows
		its link at once gets the page, never a 404 (issue 11: pages
		and feeds are swapped together)."""
		self.write_config(extra='[http]\nlisten = 127.0.0.1:0\n')
		self.start(write_config=False)
		p = self.served_port()
		bad, seen, stop = [], set(), threading.Event()

		def reader():
			c = http.client.HTTPConnection('127.0.0.1', p,
				timeout=ht.TIMEOUT)
			try:
				while not stop.is_set():
					c.request('GET', '/feed.atom')
					body = c.getresponse().read()
					for slug in re.findall(
							rb'releases/(swap-\d+)\.html', body):
						if slug in seen:
							continue
						c.request('GET', '/releases/%s.html'
							% slug.decode())
						r = c.getresponse()
						r.read()
						(seen.add(slug) if r.status == 200 else
							bad.append((slug, r.status)))
			finally:
				c.close()
		t = threading.Thread(target=reader)
		t.start()
		try:
			for i in range(6):
				src = os.path.join(self.ws.outside, 'swap-%d.md' % i)
				ft.write_release(src, dt.release_text('Byte %d' % i,
					time.strftime('%Y-%m-%dT%H:%M:%SZ',
					time.gmtime(time.time() - 60 + i))))
				os.rename(src, self.ws.release('swap-%d.md' % i))
				self.wait(lambda: b'swap-%d' % i in seen or bad,
					'swap-%d served' % i)
		finally:
			stop.set()
			t.join(ht.TIMEOUT)
		self.assertEqual(bad, [])
		self.assertEqual(len(seen), 6)

	def test_feeds_are_served_before_the_rest_of_the_site(self):
		"""Once a whole site is out, a new release's page and feeds
		go first and are served at once; the listing pages, the index
		and the sitemaps, which no feed links, follow behind the swap
		(issue 12, Performance). Every link of the served feeds that
		points into the site is served with them."""
		self.write_config(feed={'tag_feeds': 'true'},
			extra='[http]\nlisten = 127.0.0.1:0\n')
		self.start(write_config=False)
		d = self.daemon
		p = self.served_port()
		c = http.client.HTTPConnection('127.0.0.1', p, timeout=ht.TIMEOUT)
		self.addCleanup(c.close)

		def get(path):
			c.request('GET', path)
			r = c.getresponse()
			return r.status, r.read()
		self.wait(lambda: get('/index.html')[0] == 200, 'index.html')
		mark = len(d.stderr_lines())
		src = os.path.join(self.ws.outside, 'forst.md')
		ft.write_release(src, dt.release_text('Först ut',
			time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
			extra='tags: [Trafik]'))
		os.rename(src, self.ws.release('forst.md'))
		self.wait(lambda: b'releases/forst.html' in get('/feed.atom')[1],
			'the new entry served')
		# At once, whatever the index says: the page, the tag feed and
		# every page of the site the served feeds link.
		for feed in ('/feed.atom', '/tags/trafik.atom'):
			st, body = get(feed)
			self.assertEqual(st, 200, feed)
			self.assertIn(b'releases/forst.html', body, feed)
			links = set(re.findall(rb'href="https?://[^/"]+(/[^"]*)"',
				body))
			for link in links:
				if link.endswith(b'/'):
					link += b'index.html'
				self.assertEqual(get(link.decode())[0], 200, link)
		# The rest follows: index and sitemap name the release, served.
		self.wait(lambda: b'forst.html' in get('/index.html')[1] and
			b'forst.html' in get('/sitemap.xml')[1],
			'the index and the sitemap with the new release')
		lines = d.stderr_lines()[mark:]

		def first(pat):
			for i, ln in enumerate(lines):
				if re.search(pat, ln):
					return i
			self.fail('no line %r:\n%s' % (pat, d.describe()))
		# The release's page is written by the slices before the
		# feeds (one, or several on a slow machine: ASan).
		early = first(r'site: \d+ files written, .*more to come after '
			r'the feeds')
		self.assertTrue(any(re.search(r'site: [1-9]\d* files written',
			ln) for ln in lines[:early + 1]), d.describe())
		pub = first(r'publish #(\d+): ')
		num = re.search(r'publish #(\d+): ', lines[pub]).group(1)
		rest = first(r'site: the rest after publish #%s ' % num)
		self.assertLess(early, pub, d.describe())
		self.assertLess(pub, rest, d.describe())
		# Served between the two: the feeds' snapshot, then the rest's.
		swaps = [i for i, ln in enumerate(lines)
			if re.search(r'http: serving \d+ documents', ln)]
		self.assertTrue(any(pub < i < rest for i in swaps), d.describe())
		self.assertTrue(any(i > rest for i in swaps), d.describe())


@unittest.skipUnless(shutil.which('newsboat'), 'newsboat not installed')
class TestNewsboat(ServedCase):
	"""A real reader subscribes, sees the titles, revalidates with 304s."""

	def newsboat(self, home):
		"""newsboat -x reload in home: the titles in its cache."""
		proc = subprocess.run(['newsboat', '-u', os.path.join(home, 'urls'),
			'-c', os.path.join(home, 'cache.db'), '-C',
			os.path.join(home, 'config'), '-x', 'reload'],
			env=dict(os.environ, HOME=home), stdin=subprocess.DEVNULL,
			capture_output=True, timeout=60)
		self.assertEqual(proc.returncode, 0, proc.stderr)
		db = sqlite3.connect(os.path.join(home, 'cache.db'))
		try:
			return sorted(t for (t,) in
				db.execute('SELECT title FROM rss_item'))
		finally:
			db.close()

	def test_newsboat(self):
		# One reader per feed: both feeds carry the same entry ids, which
		# newsboat keeps once.
		homes = {}
		for name in ('feed.atom', 'feed.rss'):
			homes[name] = home = self.ws.path('newsboat-' + name)
			os.makedirs(home)
			with open(os.path.join(home, 'urls'), 'w') as f:
				f.write(self.server.url('/' + name) + '\n')
			open(os.path.join(home, 'config'), 'w').close()
		titles = sorted(ft.Feeds(self.ws).atom_titles())
		self.assertIn('Öppet hus på Älvsjö skola', titles)
		for home in homes.values():
			self.assertEqual(self.newsboat(home), titles)
		# A new release, published: the next reload sees it.
		ft.write_release(self.ws.release('2026-01-01-nytt.md'),
			'---\ntitle: "Nytt bibliotek på Söder"\ndate: 2026-01-01\n'
			'---\n\nÖppnar i vår.\n')
		self.assertRunOK(self.ws.run('--once'))
		self.server.reload()
		for home in homes.values():
			self.assertEqual(self.newsboat(home),
				sorted(titles + ['Nytt bibliotek på Söder']))
		# Nothing changed since: the readers' validators get 304s.
		n = len(self.server.access_lines())
		for name, home in homes.items():
			self.newsboat(home)
			line = ht.wait_for(lambda: self.server.access_lines()[n:],
				what='the access line')
			self.assertEqual(len(line), 1, line)
			self.assertRegex(line[0], r'"GET /%s" 304 gzip'
				% re.escape(name))
			n += 1


class TestListen(ft.FeedCase):
	"""IPv4 and IPv6, several addresses, socket activation, bad input."""

	@classmethod
	def setUpClass(cls):
		cls.ws = published_folder(cls)

	@classmethod
	def tearDownClass(cls):
		cls.ws.cleanup()

	def start(self, args, **kw):
		server = ht.Server(self.ws.out, args, logdir=self.ws.dir, **kw)
		self.addCleanup(server.stop)
		return server

	def test_ipv4_and_ipv6(self):
		try:
			with socket.socket(socket.AF_INET6) as s:
				s.bind(('::1', 0))
		except OSError:
			self.skipTest('no IPv6 on loopback')
		server = self.start(('--listen', '127.0.0.1:0', '--listen',
			'[::1]:0'))
		self.assertEqual(len(server.addrs), 2, server.text())
		self.assertTrue(server.addrs[1].startswith('[::1]:'))
		for addr in server.addrs:
			status, h, body = curl(server.url('/feed.atom', addr), '-g')
			self.assertEqual(status, 200)
			with open(self.ws.atom, 'rb') as f:
				self.assertEqual(body, f.read())

	def test_socket_activation(self):
		tool = shutil.which('systemd-socket-activate')
		if tool is None:
			self.skipTest('systemd-socket-activate not installed')
		with socket.socket() as s:
			s.bind(('127.0.0.1', 0))
			port = s.getsockname()[1]
		# The tool starts http_serve at the first connection.
		server = self.start((), prefix=(tool, '-l', '127.0.0.1:%d' % port),
			wait=False)
		ht.wait_for(lambda: 'Listening on' in server.text(),
			what='systemd-socket-activate')
		status, h, body = curl('http://127.0.0.1:%d/feed.rss' % port)
		self.assertEqual(status, 200)
		with open(self.ws.rss, 'rb') as f:
			self.assertEqual(body, f.read())
		# MHD's thread may answer before the main thread logs the line
		# (http_listen() logs it once MHD_start_daemon() returns).
		ht.wait_for(lambda: ht.SERVING_RE.findall(server.text()),
			what='the serving line')
		self.assertEqual(ht.SERVING_RE.findall(server.text()),
			['127.0.0.1:%d' % port])

	def test_bad_listen(self):
		for spec in ('localhost:80', '127.0.0.1', '127.0.0.1:99999',
				'[::1:80', '1.2.3:80', '127.0.0.1:-1'):
			proc = subprocess.run([ht.HTTP_SERVE, '--listen', spec,
				self.ws.out], capture_output=True, timeout=ht.TIMEOUT)
			self.assertEqual(proc.returncode, 1, spec)
			self.assertIn(('listen = %s' % spec).encode(), proc.stderr)


if __name__ == '__main__':
	unittest.main(verbosity=2)
