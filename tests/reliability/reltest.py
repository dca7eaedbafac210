"""Shared helpers of feedpubd's reliability suite (tests/reliability/).

The suite drives the real binary ($FEEDPUBD) the way the integration tests
do and reuses their helpers (tests/integration: feedtest, daemontest,
pingtest): bounded waits, temp workspaces, loopback receivers, a bound
NOTIFY_SOCKET. What it adds: a feed reader thread that parses both feeds in
a loop, a receiver that records which version of a feed each ping would
have fetched, restartable daemons, peak RSS, and the figures each scenario
reports.

Environment:
  SOAK=1           the long form (`make soak`): more kills, more files.
  RELTEST_SCALE    >= 1, for slow builds (AddressSanitizer: ctest sets 2):
                   deadlines are multiplied by it and the short form's
                   iteration counts divided by it, so the suite keeps its
                   time budget. Also sets DAEMONTEST_SCALE if unset.
  RELTEST_MEM_SCALE  multiplies the peak-RSS bounds (ASan: ctest sets 4).
  RELTEST_SEED     the random seed (default: time); printed by each run.
  RELTEST_FIGURES  a file each scenario appends its figures to, one JSON
                   object a line (`make soak` sets it); they are printed
                   to stderr as "FIGURES {...}" in any case.
"""

import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unittest
import warnings
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), 'integration')
sys.path.insert(0, INTEGRATION)

SCALE = max(1.0, float(os.environ.get('RELTEST_SCALE') or 1))
os.environ.setdefault('DAEMONTEST_SCALE', str(SCALE))
MEM_SCALE = max(1.0, float(os.environ.get('RELTEST_MEM_SCALE') or 1))
SOAK = os.environ.get('SOAK') == '1'

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
import pingtest as pt  # noqa: E402

with warnings.catch_warnings():
	warnings.simplefilter('ignore', DeprecationWarning)
	import feedparser  # noqa: E402

BASE_URL = ft.BASE_URL
ATOM_URL = BASE_URL + 'feed.atom'
RSS_URL = BASE_URL + 'feed.rss'
FEEDS = (ATOM_URL, RSS_URL)
TEMP_RE = re.compile(r'^\.feed\.(atom|rss)\.[A-Za-z0-9]{6}$')


def count(short, soak):
	"""An iteration count: the soak figure, or the short one scaled."""
	return soak if SOAK else max(1, int(short / SCALE))


def seed():
	s = int(os.environ.get('RELTEST_SEED') or time.time_ns() % 10**9)
	print('RELTEST_SEED=%d' % s, file=sys.stderr)
	return s


def figures(scenario, **figs):
	"""Print (and append to $RELTEST_FIGURES) one scenario's figures."""
	rec = dict(scenario=scenario, soak=SOAK, scale=SCALE, **figs)
	line = json.dumps(rec, sort_keys=True)
	print('\nFIGURES ' + line, file=sys.stderr)
	path = os.environ.get('RELTEST_FIGURES')
	if path:
		with open(path, 'a', encoding='utf-8') as f:
			f.write(line + '\n')


def sha(data):
	return hashlib.sha1(data).hexdigest()[:12]


def read_bytes(path):
	try:
		with open(path, 'rb') as f:
			return f.read()
	except FileNotFoundError:
		return None


def feed_path(ws, url):
	return ws.atom if url == ATOM_URL else ws.rss


def temp_files(out):
	try:
		return sorted(n for n in os.listdir(out) if TEMP_RE.match(n))
	except FileNotFoundError:
		return []


def peak_rss_kib(pid):
	"""VmHWM of a running process in KiB (0 if it cannot be read)."""
	try:
		with open('/proc/%d/status' % pid) as f:
			for line in f:
				if line.startswith('VmHWM:'):
					return int(line.split()[1])
	except OSError:
		pass
	return 0


def check_feed_bytes(data):
	"""None if data is a well-formed feed feedparser reads cleanly, else
	why not."""
	try:
		ET.fromstring(data)
	except ET.ParseError as e:
		return 'not well-formed: %s' % e
	with warnings.catch_warnings():
		warnings.simplefilter('ignore')
		d = feedparser.parse(data)
	if d.bozo:
		return 'feedparser bozo: %r' % d.get('bozo_exception')
	return None


def feed_ids(data):
	with warnings.catch_warnings():
		warnings.simplefilter('ignore')
		return sorted(e.id for e in feedparser.parse(data).entries)


class FeedReader:
	"""A thread reading and parsing both feeds in a loop, as a client
	would, until stop(). A read that is not a whole valid feed is a torn
	read; a feed missing after it once existed is a missing read."""

	def __init__(self, ws):
		self.paths = (ws.atom, ws.rss)
		self.reads = 0
		self.torn = []		# (path, why, first bytes)
		self.missing = 0
		self.versions = {p: set() for p in self.paths}
		self.seen = {p: False for p in self.paths}
		self.halt = threading.Event()
		self.thread = threading.Thread(target=self._run, daemon=True)
		self.thread.start()

	def _run(self):
		while not self.halt.is_set():
			for p in self.paths:
				data = read_bytes(p)
				if data is None:
					if self.seen[p]:
						self.missing += 1
					continue
				self.seen[p] = True
				self.reads += 1
				h = sha(data)
				if h in self.versions[p]:
					continue	# parsed that version before
				why = check_feed_bytes(data)
				if why:
					self.torn.append((p, why, data[:200]))
				else:
					self.versions[p].add(h)
			time.sleep(0.001)

	def stop(self):
		self.halt.set()
		self.thread.join(10)


def peer_alive(local_port, remote_port):
	"""Whether the other end of our loopback TCP connection (its port
	local_port, ours remote_port) is still held by a process: its
	/proc/net/tcp entry has an inode. A killed daemon's sockets are
	closed by the kernel: their entries go, or linger with inode 0."""
	want = ('0100007F:%04X' % local_port, '0100007F:%04X' % remote_port)
	try:
		with open('/proc/net/tcp') as f:
			next(f)
			for line in f:
				c = line.split()
				if (c[1], c[2]) == want:
					return c[9] != '0'
	except (OSError, StopIteration, IndexError):
		return None		# unknown
	return False


class Arrival:
	"""One ping as a VersionReceiver got it."""

	def __init__(self, req, version, era):
		self.req = req			# pingtest.Request (answered: when)
		self.path = req.path
		self.version = version	# the feed's bytes on disk then (hash)
		self.era = era			# the daemon running when it came
		self.delivery = req.delivery
		self.body = sha(req.body)
		# Just before the answer: was the sender alive to read it? (After
		# it, a sender that read it has closed the connection.)
		self.sender_alive = None


class VersionReceiver(pt.Receiver):
	"""A ping receiver (always 204) that, like a hub fetching the feed,
	notes the version of the feed on disk when each ping arrives:
	fetched[(path, feed url)] is a list of (version hash, era), era
	being what the test last set (e.g. which daemon runs). arrivals holds
	each ping as an Arrival, in order; a receiver that dedupes by delivery
	id applies the first arrival of each id (first(), resends())."""

	def __init__(self, ws, respond=None, port=0, start=True):
		self.ws = ws
		self.fetched = {}
		self.arrivals = []
		self.era = 0
		self.flock = threading.Lock()
		inner = respond or pt.script(204)

		def respond_and_fetch(req, n):
			f = req.feed
			data = read_bytes(feed_path(ws, f)) if f in FEEDS else None
			v = sha(data) if data is not None else None
			a = Arrival(req, v, self.era)
			with self.flock:
				self.fetched.setdefault((a.path, f), []).append(
					(v, a.era))
				self.arrivals.append(a)
				self.by_req[id(req)] = a
			return inner(req, n)

		def answering(req, peer):
			a = self.by_req.pop(id(req), None)
			if a is not None:
				a.sender_alive = peer_alive(peer[1], self.port)
		self.by_req = {}
		super().__init__(respond_and_fetch, port, start)
		self.before_answer = answering

	def in_order(self):
		"""The arrivals by time of arrival: a thread of the receiver may
		stall (0.3 s once, under load) before it appends what it read."""
		with self.flock:
			return sorted(self.arrivals, key=lambda a: a.req.t)

	def by_delivery(self):
		"""{delivery id: [Arrival, ...]} in arrival order (None: the
		pings that came without an id)."""
		out = {}
		for a in self.in_order():
			out.setdefault(a.delivery, []).append(a)
		return out

	def deliveries_of(self, path, feed, version):
		"""The distinct delivery ids whose first arrival fetched version:
		what a receiver deduping by id applied, in order."""
		seen, out = set(), []
		for a in self.in_order():
			if a.delivery in seen:
				continue
			seen.add(a.delivery)
			if a.path == path and a.req.feed == feed and \
					a.version == version:
				out.append(a)
		return out

	def fetches_of(self, path, feed, version):
		with self.flock:
			return sum(1 for v, _ in self.fetched.get((path, feed), [])
				if v == version)

	def eras_of(self, path, feed, version):
		"""The era of each ping that fetched version, in order."""
		with self.flock:
			return [e for v, e in self.fetched.get((path, feed), [])
				if v == version]


class RelCase(dt.DaemonCase):
	"""A DaemonCase whose daemon is restarted at will and may be killed;
	each daemon's log is kept (stderr.N.log)."""

	def setUp(self):
		super().setUp()
		self.daemons = []
		self.killed = set()
		self.peak_kib = 0
		self.receivers = []	# VersionReceivers: era = daemon number

	def config(self, targets=(), pings=None, feed=None, daemon=None,
			paths=None, extra=''):
		"""targets: [(name, kind, url)]; pings: the [pings] keys."""
		if pings:
			extra += '\n[pings]\n' + ''.join('%s = %s\n' % kv
				for kv in pings.items())
		for name, kind, url in targets:
			extra += '\n[ping "%s"]\nkind = %s\nurl = %s\n' % (name, kind,
				url)
		f = ft.default_feed()
		if feed:
			f.update(feed)
		# rows() reads the queue where the config puts it.
		self.state_dir = self.ws.path((paths or {}).get('state', 'state'))
		self.ws.write_config(feed=f, paths=paths, daemon=daemon,
			extra=extra)

	def spawn(self):
		"""Start feedpubd (again) without waiting for it."""
		if self.daemon is not None:
			old = self.daemon
			self.assertFalse(old.alive(), 'spawn() with a daemon running')
			keep = self.ws.path('stderr.%d.log' % len(self.daemons))
			os.rename(old.errpath, keep)
			old.errpath = keep
		d = dt.Daemon(self.ws, self.notify)
		self.daemon = d
		self.daemons.append(d)
		for r in self.receivers:
			r.era = len(self.daemons)
		self.addCleanup(self._reap, d)
		return d

	def launch(self, timeout=dt.START_TIMEOUT):
		"""spawn() and wait for READY=1."""
		mark = self.notify.mark()
		d = self.spawn()

		def ready():
			if not d.alive():
				raise RuntimeError('daemon exited:\n' + d.describe())
			return self.notify.count('READY=1', mark) >= 1
		dt.wait_for(ready, timeout, 'READY=1')
		return d

	def sigkill(self, d=None):
		d = d or self.daemon
		self.peak_kib = max(self.peak_kib, peak_rss_kib(d.pid))
		self.killed.add(d)
		d.killed_at = time.monotonic()
		d.kill()

	def era_of(self, d):
		"""A daemon's number, as VersionReceiver.era counts it."""
		return self.daemons.index(d) + 1

	def sigterm(self):
		d = self.daemon
		self.peak_kib = max(self.peak_kib, peak_rss_kib(d.pid))
		rc = d.stop()
		self.assertEqual(rc, 0, d.describe())

	def _reap(self, d):
		if d in self.killed or not d.alive():
			d.kill()
		else:
			self.peak_kib = max(self.peak_kib, peak_rss_kib(d.pid))
			rc = d.stop()
			self.assertEqual(rc, 0, 'exit status after SIGTERM\n' +
				d.describe())
		for bad in dt.SANITIZER_MARKS:
			self.assertNotIn(bad, d.stderr(), d.describe())

	# The base class's single-daemon cleanup is replaced by _reap.
	def _stop_cleanly(self):
		pass

	def version_receiver(self, respond=None):
		r = VersionReceiver(self.ws, respond)
		self.addCleanup(r.stop)
		self.receivers.append(r)
		return r

	def rows(self):
		"""The pending pings (target, feed) from the state database."""
		path = os.path.join(getattr(self, 'state_dir', None) or
			self.ws.path('state'), 'feedpubd.db')
		if not os.path.exists(path):
			return []
		db = sqlite3.connect(path, timeout=5)
		try:
			return sorted(db.execute('SELECT target, feed FROM pings'))
		finally:
			db.close()

	def log_lines(self, needle, d=None):
		d = d or self.daemon
		return [l for l in d.stderr_lines() if needle in l]

	def folder_ids(self):
		"""The ids the feeds must hold: one per .md file in releases/
		(the suite's releases all have a date and no draft flag)."""
		out = []
		for n in os.listdir(self.ws.releases):
			if n.endswith('.md') or n.endswith('.txt'):
				out.append(dt.entry_id(n.rsplit('.', 1)[0]))
		return sorted(out)


def run_once_measured(ws, timeout, extra_args=()):
	"""feedpubd --config C --once with a deadline: (returncode or None if
	it had to be killed, stderr bytes, seconds, peak RSS KiB).

	The peak comes from GNU time (%M) when installed: a child's own
	ru_maxrss would count the Python process it was forked from. Without
	it the peak is reported as 0 (not measured)."""
	ft.require_binary()
	argv = [ft.FEEDPUBD, '--config', ws.config, '--once'] + list(extra_args)
	errpath, rsspath = ws.path('once.stderr'), ws.path('once.maxrss')
	gnu_time = os.path.exists('/usr/bin/time')
	if gnu_time:
		argv = ['/usr/bin/time', '-f', '%M', '-o', rsspath] + argv
	env = dict(os.environ)
	if MEM_SCALE > 1:
		# Under ASan a bound on RSS measures the quarantine of freed
		# blocks (256 MB by default): keep it small for these runs.
		env['ASAN_OPTIONS'] = ':'.join(filter(None, [
			env.get('ASAN_OPTIONS'), 'quarantine_size_mb=8']))
	t0 = time.monotonic()
	peak = 0
	with open(errpath, 'wb') as err:
		# Its own session: a timeout kills the whole group.
		p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
			stderr=err, cwd='/', env=env, start_new_session=True)
		try:
			p.wait(timeout)
			rc = p.returncode
		except subprocess.TimeoutExpired:
			rc = None
		finally:
			if p.poll() is None or rc is None:
				try:
					os.killpg(p.pid, signal.SIGKILL)
				except ProcessLookupError:
					pass
				p.wait()
	secs = time.monotonic() - t0
	with open(errpath, 'rb') as f:
		errb = f.read()
	if gnu_time and rc is not None:
		try:
			with open(rsspath) as f:
				peak = int(f.read().split()[-1])
		except (OSError, ValueError, IndexError):
			peak = 0
	return rc, errb, secs, peak


def main():
	unittest.main(verbosity=2)
