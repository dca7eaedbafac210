"""Helpers for the HTTP server's integration tests (test_http.py).

Server runs tests/http_serve (the HTTP module without the daemon, see
tests/http_serve.c) on a folder, on 127.0.0.1 port 0 unless told
otherwise, and finds its addresses in the "http: serving on http://ADDR/"
lines of its stderr (a file). Every wait is bounded; stop() is registered
as a cleanup by whoever starts a server, so no process is left behind.
curl() runs the real curl and returns (status, headers, body).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402

HTTP_SERVE = os.environ.get('HTTP_SERVE') or os.path.join(ft.REPO, 'build',
	'tests', 'http_serve')
TIMEOUT = 10.0 * dt.SCALE
SANITIZER_MARKS = dt.SANITIZER_MARKS
SERVING_RE = re.compile(r'http: serving on http://(\S+?)/')


def wait_for(pred, timeout=TIMEOUT, what=None):
	return dt.wait_for(pred, timeout=timeout, what=what)


class Server:
	"""http_serve on folder out; args are its options."""

	def __init__(self, out, args=(), logdir=None, prefix=(), env=None,
			wait=True):
		"""wait: until it serves (else the caller waits for itself)."""
		self.log_path = os.path.join(logdir or os.path.dirname(out),
			'http_serve.%d.log' % id(self))
		self.log = open(self.log_path, 'wb')
		e = dict(os.environ)
		for k in ('LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'):
			e.pop(k, None)
		e.update(env or {})
		self.argv = list(prefix) + [HTTP_SERVE, '--verbose'] + \
			list(args) + [out]
		self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
			stdout=subprocess.DEVNULL, stderr=self.log, env=e)
		self.addrs, self.addr = [], None
		if wait:
			try:
				self.wait_serving()
			except BaseException:
				self.proc.kill()
				self.proc.wait()
				self.log.close()
				raise

	def wait_serving(self):
		wait_for(lambda: self.published() >= 1 or
			self.proc.poll() is not None, what='http_serve to publish')
		if self.proc.poll() is not None:
			raise AssertionError('http_serve exited %d:\n%s'
				% (self.proc.returncode, self.text()))
		self.addrs = SERVING_RE.findall(self.text())
		self.addr = self.addrs[0] if self.addrs else None

	def text(self):
		with open(self.log_path, 'rb') as f:
			return f.read().decode('utf-8', 'replace')

	def published(self):
		return self.text().count('http_serve: published')

	@property
	def port(self):
		return int(self.addr.rsplit(':', 1)[1])

	def url(self, path='/', addr=None):
		return 'http://%s%s' % (addr or self.addr, path)

	def reload(self):
		"""SIGHUP: load the folder again; wait until it is served."""
		n = self.published()
		self.proc.send_signal(signal.SIGHUP)
		wait_for(lambda: self.published() > n, what='the reload')

	def access_lines(self):
		return [l for l in self.text().split('\n')
			if re.match(r'^feedpubd: http: \S+ "', l)]

	def stop(self):
		"""SIGTERM, wait (bounded, then SIGKILL); check the exit and that
		no sanitizer complained. Safe to call twice."""
		if self.proc.poll() is None:
			self.proc.send_signal(signal.SIGTERM)
			try:
				self.proc.wait(TIMEOUT)
			except subprocess.TimeoutExpired:
				self.proc.kill()
				self.proc.wait()
				raise AssertionError('http_serve ignored SIGTERM')
		self.log.close()
		text = self.text()
		for mark in SANITIZER_MARKS:
			if mark in text:
				raise AssertionError('sanitizer report:\n' + text)
		if self.proc.returncode != 0:
			raise AssertionError('http_serve exited %d:\n%s'
				% (self.proc.returncode, text))


def parse_headers(raw):
	"""The last header block of curl -D output: (status, {name: [values]})
	with lower-case names."""
	blocks = [b for b in raw.split(b'\r\n\r\n') if b.strip()]
	lines = blocks[-1].decode('iso-8859-1').split('\r\n')
	status = int(lines[0].split()[1])
	headers = {}
	for l in lines[1:]:
		name, _, value = l.partition(':')
		headers.setdefault(name.strip().lower(), []).append(value.strip())
	return status, headers


def curl(url, *args):
	"""Run curl on url: (status, headers, body bytes)."""
	with tempfile.TemporaryDirectory(prefix='feedpubd-curl-') as d:
		hpath, bpath = os.path.join(d, 'h'), os.path.join(d, 'b')
		proc = subprocess.run(['curl', '-sS', '--max-time', str(TIMEOUT),
			'-D', hpath, '-o', bpath] + list(args) + [url],
			stdin=subprocess.DEVNULL, capture_output=True,
			timeout=TIMEOUT * 2)
		if proc.returncode != 0:
			raise AssertionError('curl %s %s: exit %d: %s'
				% (' '.join(args), url, proc.returncode,
				proc.stderr.decode('utf-8', 'replace')))
		with open(hpath, 'rb') as f:
			status, headers = parse_headers(f.read())
		body = b''
		if os.path.exists(bpath):
			with open(bpath, 'rb') as f:
				body = f.read()
	return status, headers, body
