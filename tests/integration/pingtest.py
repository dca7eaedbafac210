"""Ping receivers for feedpubd's ping tests (test_pings.py).

Everything listens on 127.0.0.1, on a port the kernel picks (or on one
picked earlier with free_port(), to start a receiver where the daemon has
been failing to connect). Every server runs in a thread and records what it
got, with the monotonic time of arrival (and, for Receiver, of the end of
its answer); stop() is safe to call twice.

  Receiver     an HTTP server recording every request; answers come from a
               callable (default: 204 No Content), so a test can script
               "503 three times, then 204" per feed.
  XmlRpc       xmlrpc.server.SimpleXMLRPCServer with weblogUpdates.* handlers
               registered by the test; records the calls as decoded.
  Hang         accepts connections, reads what comes, never answers.
"""

import http.server
import json
import socket
import socketserver
import threading
import time
import urllib.parse
import xmlrpc.server


def free_port():
	"""A port nothing listens on (bound once by us, then closed)."""
	with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
		s.bind(('127.0.0.1', 0))
		return s.getsockname()[1]


class Request:
	"""One request as received."""

	def __init__(self, t, method, path, headers, body):
		self.t = t
		self.method = method
		self.path = path
		self.headers = headers		# email.message.Message: any case
		self.body = body		# bytes
		self.status = None		# what we answered
		self.answered = None	# monotonic time the answer was written

	@property
	def content_type(self):
		return self.headers.get('Content-Type')

	def form(self):
		"""The body as a form: {name: [values]} (strict parsing)."""
		return urllib.parse.parse_qs(self.body.decode('ascii'),
			keep_blank_values=True, strict_parsing=True)

	def json(self):
		return json.loads(self.body.decode('utf-8'))

	@property
	def delivery(self):
		"""feedpubd's delivery id (X-Feedpubd-Delivery), or None."""
		return self.headers.get('X-Feedpubd-Delivery')

	@property
	def feed(self):
		"""The feed URL the ping is about: a WebSub hub.topic or a
		webhook's "url" (None if neither parses)."""
		try:
			return self.form()['hub.topic'][0]
		except (ValueError, KeyError, UnicodeDecodeError):
			pass
		try:
			return self.json()['url']
		except (ValueError, KeyError, TypeError):
			return None

	def __repr__(self):
		return '<%s %s %s %r>' % (self.method, self.path, self.status,
			self.body[:200])


def script(*answers):
	"""An answer callable: the n-th request about a feed (0-based) gets
	answers[n], the last one repeating. An answer is a status or a tuple
	(status, {header: value}, body bytes)."""
	def respond(req, n):
		a = answers[min(n, len(answers) - 1)]
		return a if isinstance(a, tuple) else (a, {}, b'')
	return respond


class _Threaded(socketserver.ThreadingMixIn):
	daemon_threads = True
	allow_reuse_address = True


class _HTTPServer(_Threaded, http.server.HTTPServer):
	pass


class _Served:
	"""A socketserver (self.server) served by a daemon thread."""

	def _serve(self):
		self.port = self.server.server_address[1]
		self.thread = threading.Thread(target=self.server.serve_forever,
			kwargs={'poll_interval': 0.05}, daemon=True)
		self.thread.start()

	def stop(self):
		"""Stop listening (the port is free again); the log stays."""
		if self.server is not None:
			self.server.shutdown()
			self.server.server_close()
			self.thread.join(5)
			self.server = None


class Receiver(_Served):
	"""HTTP server on 127.0.0.1 recording requests; see the module doc.

	respond(req, n) -> (status, headers, body) where n counts the earlier
	requests about the same feed (req.feed) at the same path.
	"""

	def __init__(self, respond=None, port=0, start=True):
		self.respond = respond or script(204)
		self.port = port
		self.lock = threading.Lock()
		self.cond = threading.Condition(self.lock)
		self.log = []
		self.server = None
		self.thread = None
		self.before_answer = None	# (req, client address): a hook
		if start:
			self.start()

	def start(self):
		rec = self

		class Handler(http.server.BaseHTTPRequestHandler):
			def log_message(self, *a):
				pass

			def _any(self):
				n = int(self.headers.get('Content-Length') or 0)
				body = self.rfile.read(n) if n else b''
				req = Request(time.monotonic(), self.command, self.path,
					self.headers, body)
				with rec.lock:
					same = sum(1 for r in rec.log if r.path == req.path
						and r.feed == req.feed)
				status, headers, out = rec.respond(req, same)
				req.status = status
				with rec.cond:
					rec.log.append(req)
					rec.cond.notify_all()
				if rec.before_answer is not None:
					rec.before_answer(req, self.client_address)
				self.send_response(status)
				for k, v in headers.items():
					self.send_header(k, v)
				if status not in (204, 304):
					self.send_header('Content-Length', str(len(out)))
				self.end_headers()
				if out and status not in (204, 304):
					self.wfile.write(out)
				self.wfile.flush()
				req.answered = time.monotonic()

			do_POST = do_GET = do_PUT = _any

		self.server = _HTTPServer(('127.0.0.1', self.port), Handler)
		self._serve()
		return self

	def url(self, path='/'):
		return 'http://127.0.0.1:%d%s' % (self.port, path)

	def requests(self, path=None, feed=None, since=0):
		with self.lock:
			return [r for r in self.log[since:]
				if (path is None or r.path == path)
				and (feed is None or r.feed == feed)]

	def count(self, path=None, feed=None, since=0):
		return len(self.requests(path, feed, since))

	def mark(self):
		with self.lock:
			return len(self.log)


class _XMLRPCServer(_Threaded, xmlrpc.server.SimpleXMLRPCServer):
	pass


class XmlRpc(_Served):
	"""SimpleXMLRPCServer in a thread; the test registers the methods.

	calls: (monotonic time, method name, args) in arrival order, filled by
	the wrappers register() installs; requests: (path, headers) of every
	HTTP request, whatever it called.
	"""

	def __init__(self):
		srv = self

		class Handler(xmlrpc.server.SimpleXMLRPCRequestHandler):
			rpc_paths = ('/RPC2',)

			def do_POST(self):
				with srv.lock:
					srv.requests.append((self.path, self.headers))
				return super().do_POST()

		self.lock = threading.Lock()
		self.calls = []
		self.requests = []
		self.server = _XMLRPCServer(('127.0.0.1', 0), Handler,
			logRequests=False, allow_none=True, encoding='utf-8')
		self._serve()

	def register(self, name, fn):
		"""fn(n, *args) -> the answer, n being 1 on the first call with
		these args, 2 on the next...; every call is recorded first."""
		def wrapper(*args):
			with self.lock:
				self.calls.append((time.monotonic(), name, args))
				n = sum(1 for c in self.calls if c[1] == name and
					c[2] == args)
			return fn(n, *args)
		self.server.register_function(wrapper, name)

	def url(self):
		return 'http://127.0.0.1:%d/RPC2' % self.port

	def called(self, name=None):
		with self.lock:
			return [(m, a) for _, m, a in self.calls
				if name is None or m == name]


class Hang:
	"""Accepts connections and reads them, never answering."""

	def __init__(self):
		self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		self.sock.bind(('127.0.0.1', 0))
		self.sock.listen(64)
		self.sock.settimeout(0.05)
		self.port = self.sock.getsockname()[1]
		self.lock = threading.Lock()
		self.conns = []
		self.received = []	# bytes per connection, index-aligned
		self.halt = threading.Event()
		self.thread = threading.Thread(target=self._run, daemon=True)
		self.thread.start()

	def _run(self):
		while not self.halt.is_set():
			try:
				c, _ = self.sock.accept()
				c.setblocking(False)
				with self.lock:
					self.conns.append(c)
					self.received.append(b'')
			except socket.timeout:
				pass
			except OSError:
				break
			with self.lock:
				for i, c in enumerate(self.conns):
					try:
						self.received[i] += c.recv(65536)
					except (BlockingIOError, OSError):
						pass

	def url(self, path='/'):
		return 'http://127.0.0.1:%d%s' % (self.port, path)

	def accepted(self):
		with self.lock:
			return len(self.conns)

	def stop(self):
		self.halt.set()
		self.thread.join(5)
		with self.lock:
			for c in self.conns:
				c.close()
		self.sock.close()
