"""Helpers for feedpubd's daemon-mode integration tests (test_daemon.py).

A DaemonCase test gets a temp folder (config, releases copied from
$TESTDATA/daemon/base, output, state), a bound sd_notify socket and a
running `feedpubd --config C --verbose` whose stderr goes to a file. The
daemon is killed and the folder removed in cleanups, whatever happens.

Outcomes are awaited with wait_for() (bounded polls, 10 ms steps); a fixed
sleep is only used to show that something did NOT happen. Deadlines are
scaled by $DAEMONTEST_SCALE (default 1; e.g. 3 under AddressSanitizer if
the defaults ever prove too short).
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402

with warnings.catch_warnings():
	# Debian's feedparser imports cgi, deprecated in Python 3.11.
	warnings.simplefilter('ignore', DeprecationWarning)
	import feedparser  # noqa: E402,F401

SCALE = float(os.environ.get('DAEMONTEST_SCALE') or
	(10 if ft.VALGRIND else 1))
TIMEOUT = 5.0 * SCALE		# an outcome that should take milliseconds
START_TIMEOUT = 10.0 * SCALE	# start-up, exit
STEP = 0.01

BASE = os.path.join(ft.TESTDATA, 'daemon', 'base')
HOST = 'news.example.org'

# Titles and slugs of the releases in BASE.
BASE_SLUGS = {
	'Alfa': '2024-01-10-alfa',
	'Beta': '2024-02-20-beta',
	'Gamma': '2024-03-30-gamma',
}

PUBLISH_BODY = (r'publish #(\d+): (\d+) entries, '
	r'feed\.atom (written|unchanged|failed), '
	r'feed\.rss (written|unchanged|failed), '
	r'\d+(\.\d+)? ms \(render \d+(\.\d+)? ms\)$')
PUBLISH_RE = re.compile(r'^feedpubd: ' + PUBLISH_BODY)
# The same debug line when stderr is the journal: a priority, no name.
JOURNAL_PUBLISH_RE = re.compile(r'^<7>' + PUBLISH_BODY)

# A sanitizer report in the daemon's stderr.
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
	'runtime error:')

# Environment the daemon must not inherit from whoever runs the tests.
SCRUB_ENV = ('NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID',
	'JOURNAL_STREAM', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES',
	'INVOCATION_ID')


def entry_id(slug):
	return 'tag:%s,2000:/releases/%s' % (HOST, slug)


def release_text(title, date=None, body=None, extra=''):
	"""A release file with front matter (date omitted when None)."""
	fm = ['---', 'title: "%s"' % title]
	if date is not None:
		fm.append('date: %s' % date)
	if extra:
		fm.append(extra.rstrip('\n'))
	fm.append('---')
	if body is None:
		body = 'Text till releasen %s.' % title
	return '\n'.join(fm) + '\n\n' + body + '\n'


def put_history_pair(ws):
	"""A dated release and an undated one (mtime 1700000000), the pair
	the history tests edit; returns their paths (dated, undated)."""
	dated = ws.release('2024-06-01-daterad.md')
	ft.write_release(dated, release_text('Daterad',
		'2024-06-01T08:00:00+02:00', body='Första.'))
	undated = ws.release('odaterad.txt')
	with open(undated, 'w', encoding='utf-8') as f:
		f.write('Odaterad\n\nFörsta.\n')
	os.utime(undated, (1700000000, 1700000000))
	return dated, undated


def edit_history_pair(dated, undated):
	"""Change the text of both (body 'Andra.'): updated moves."""
	ft.write_release(dated, release_text('Daterad',
		'2024-06-01T08:00:00+02:00', body='Andra.'))
	with open(undated, 'a', encoding='utf-8') as f:
		f.write('Andra.\n')


NOBODY = 65534


def chown_tree(top, uid):
	"""Give top and everything under it to uid (and its group)."""
	for root, dirs, files in os.walk(top):
		os.chown(root, uid, uid)
		for n in files:
			os.chown(os.path.join(root, n), uid, uid,
				follow_symlinks=False)


def stderr_path(ws):
	"""Where Daemon sends the daemon's stderr. A test may create the file
	first (to know its inode): Daemon truncates it, keeping the inode."""
	return ws.path('stderr.log')


def wait_for(pred, timeout=TIMEOUT, what=None, step=STEP):
	"""Poll pred() until it returns something true; return that value.

	Fails the test (AssertionError) after timeout seconds. pred may raise
	AssertionError to explain itself: the last message is reported.
	"""
	deadline = time.monotonic() + timeout
	last = None
	while True:
		try:
			v = pred()
			if v:
				return v
		except AssertionError as e:
			last = e
		if time.monotonic() >= deadline:
			raise AssertionError('timed out after %.1f s waiting for %s%s'
				% (timeout, what or getattr(pred, '__name__', 'pred'),
				': %s' % last if last else ''))
		time.sleep(step)


class Notify:
	"""A bound sd_notify socket; a thread collects every datagram.

	messages: list of (monotonic time, [lines]) in arrival order.
	"""

	def __init__(self, path):
		self.path = path
		self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		self.sock.bind(path)
		self.sock.settimeout(0.05)
		self.lock = threading.Lock()
		self.messages = []
		self.stop = threading.Event()
		self.thread = threading.Thread(target=self._run, daemon=True)
		self.thread.start()

	def _run(self):
		while not self.stop.is_set():
			try:
				data = self.sock.recv(65536)
			except socket.timeout:
				continue
			except OSError:
				break
			lines = [l for l in data.decode('utf-8', 'replace')
				.split('\n') if l]
			with self.lock:
				self.messages.append((time.monotonic(), lines))

	def close(self):
		self.stop.set()
		self.thread.join(2)
		self.sock.close()

	def all(self):
		with self.lock:
			return list(self.messages)

	def lines(self, since=0):
		"""Every line of every message from index since on, in order."""
		return [l for _, ls in self.all()[since:] for l in ls]

	def count(self, line, since=0):
		return sum(1 for l in self.lines(since) if l == line)

	def values(self, key, since=0):
		p = key + '='
		return [l[len(p):] for l in self.lines(since) if l.startswith(p)]

	def mark(self):
		"""An index to pass as since= to see only later messages."""
		with self.lock:
			return len(self.messages)


class Daemon:
	"""feedpubd running in the foreground on a workspace."""

	def __init__(self, ws, notify, env=None, args=('--verbose',),
			uid=None):
		"""uid: run as that user (and group) via setpriv, no groups."""
		ft.require_binary()
		if uid is not None and shutil.which('setpriv') is None:
			raise unittest.SkipTest('setpriv not installed: cannot run '
				'feedpubd as uid %d' % uid)
		self.ws = ws
		self.notify = notify
		self.errpath = stderr_path(ws)
		e = {k: v for k, v in os.environ.items() if k not in SCRUB_ENV}
		e['NOTIFY_SOCKET'] = notify.path
		if env:
			e.update(env)
		self.argv = [os.path.abspath(ft.FEEDPUBD), '--config',
			ws.config] + list(args)
		self.errfile = open(self.errpath, 'wb')
		# Should the test runner itself be killed (ctest's timeout), the
		# daemon dies with it instead of running on.
		pre = ['setpriv', '--pdeathsig', 'KILL'] if \
			shutil.which('setpriv') else []
		if uid is not None:
			pre += ['--reuid=%d' % uid, '--regid=%d' % uid,
				'--clear-groups']
		self.proc = subprocess.Popen(pre + ft.wrap(self.argv),
			stdin=subprocess.DEVNULL,
			stdout=self.errfile, stderr=self.errfile, cwd='/', env=e)

	@property
	def pid(self):
		return self.proc.pid

	def alive(self):
		return self.proc.poll() is None

	def stderr(self):
		with open(self.errpath, encoding='utf-8', errors='replace') as f:
			return f.read()

	def stderr_lines(self):
		return [l for l in self.stderr().split('\n') if l.strip()]

	def describe(self):
		rc = self.proc.poll()
		return ('command: %s\nstate: %s\n--- stderr+stdout ---\n%s'
			'--- notify ---\n%s' % (' '.join(self.argv),
			'running' if rc is None else 'exited %d' % rc,
			self.stderr(), '\n'.join(repr(ls) for _, ls in
			self.notify.all())))

	def publishes(self):
		"""(N, entries, atom, rss) of every 'publish #N' debug line."""
		out = []
		for l in self.stderr_lines():
			m = PUBLISH_RE.match(l)
			if m:
				out.append((int(m.group(1)), int(m.group(2)),
					m.group(3), m.group(4)))
		return out

	def publish_count(self):
		p = self.publishes()
		return p[-1][0] if p else 0

	def signal(self, sig):
		self.proc.send_signal(sig)

	@contextlib.contextmanager
	def stopped(self):
		"""SIGSTOP for the with block (SIGCONT whatever happens): what
		the block does to the folder reaches the daemon as one batch."""
		self.signal(signal.SIGSTOP)
		try:
			wait_for(lambda: self.state() == 'T', START_TIMEOUT,
				'the daemon stopped')
			yield
		finally:
			self.signal(signal.SIGCONT)

	def state(self):
		"""The process state letter from /proc/PID/stat."""
		with open('/proc/%d/stat' % self.pid) as f:
			return f.read().rsplit(')', 1)[1].split()[0]

	def inotify_inodes(self):
		"""Inode numbers of what the daemon's inotify instances watch,
		from /proc/PID/fdinfo (empty if that cannot be read)."""
		out = set()
		fds = '/proc/%d/fd' % self.pid
		try:
			names = os.listdir(fds)
		except OSError:
			return out
		for fd in names:
			try:
				if os.readlink(os.path.join(fds, fd)) != \
						'anon_inode:inotify':
					continue
				with open('/proc/%d/fdinfo/%s' % (self.pid, fd)) as f:
					info = f.read()
			except OSError:
				continue
			out.update(int(m, 16) for m in
				re.findall(r'^inotify wd:\S+ ino:([0-9a-f]+)', info, re.M))
		return out

	def stop(self, timeout=START_TIMEOUT):
		"""SIGTERM, then SIGKILL; returns the exit code."""
		if self.proc.poll() is None:
			self.proc.send_signal(signal.SIGTERM)
			try:
				self.proc.wait(timeout)
			except subprocess.TimeoutExpired:
				self.proc.kill()
				self.proc.wait(timeout)
		self.errfile.close()
		return self.proc.returncode

	def kill(self):
		if self.proc.poll() is None:
			self.proc.kill()
			self.proc.wait(START_TIMEOUT)
		self.errfile.close()


class Workspace(ft.Workspace):
	"""feedtest's workspace with the daemon fixtures as releases."""

	def __init__(self, base=BASE):
		super().__init__(None)
		os.rmdir(self.releases)
		if base is None:
			os.makedirs(self.releases)
		else:
			shutil.copytree(base, self.releases)
		self.outside = self.path('outside')	# same filesystem
		os.makedirs(self.outside)

	def release(self, *rel):
		return os.path.join(self.releases, *rel)


def read_atom(ws):
	"""Atom feed text ('' while it does not exist)."""
	try:
		with open(ws.atom, encoding='utf-8') as f:
			return f.read()
	except FileNotFoundError:
		return ''


def has_id(ws, slug):
	return ('<id>%s</id>' % entry_id(slug)) in read_atom(ws)


class DaemonCase(ft.FeedCase):
	"""Starts a daemon per test on request; cleans everything up."""

	def setUp(self):
		self.ws = Workspace()
		self.addCleanup(self.ws.cleanup)
		self.notify = Notify(self.ws.path('notify.sock'))
		self.addCleanup(self.notify.close)
		self.daemon = None

	def write_config(self, feed=None, daemon=None, extra=''):
		f = ft.default_feed()
		if feed:
			f.update(feed)
		return self.ws.write_config(feed=f, daemon=daemon, extra=extra)

	def start(self, env=None, feed=None, daemon=None, write_config=True,
			uid=None):
		"""Start the daemon and wait for READY=1 and both feeds."""
		if write_config:
			self.write_config(feed=feed, daemon=daemon)
		d = Daemon(self.ws, self.notify, env=env, uid=uid)
		self.daemon = d
		self.addCleanup(d.kill)		# runs last, whatever happens
		self.addCleanup(self._stop_cleanly)
		self.addCleanup(self._dump_on_failure)

		def ready():
			self.assertTrue(d.alive(), 'daemon exited:\n' + d.describe())
			return self.notify.count('READY=1') >= 1
		wait_for(ready, START_TIMEOUT, 'READY=1')
		self.assertTrue(os.path.exists(self.ws.atom), d.describe())
		self.assertTrue(os.path.exists(self.ws.rss), d.describe())
		return d

	def _stop_cleanly(self):
		"""SIGTERM must end every test's daemon with status 0 and no
		sanitizer report (leaks are reported at exit)."""
		d = self.daemon
		rc = d.stop()
		err = d.stderr()
		self.assertEqual(rc, 0, 'exit status after SIGTERM\n' +
			d.describe())
		for bad in SANITIZER_MARKS:
			self.assertNotIn(bad, err, d.describe())

	def _dump_on_failure(self):
		# unittest has no public "did this test fail" hook; keep the
		# daemon's log handy for whoever reads a failure.
		if os.environ.get('DAEMONTEST_VERBOSE') and self.daemon:
			print('\n' + self.daemon.describe(), file=sys.stderr)

	def wait(self, pred, what, timeout=TIMEOUT):
		"""wait_for, failing early (with the log) if the daemon died."""
		d = self.daemon

		def p():
			if not d.alive():
				raise RuntimeError('daemon exited while waiting for %s:\n%s'
					% (what, d.describe()))
			return pred()
		try:
			return wait_for(p, timeout, what)
		except AssertionError as e:
			raise AssertionError('%s\n%s' % (e, d.describe())) from None

	def wait_id(self, slug, present=True, timeout=TIMEOUT):
		return self.wait(lambda: has_id(self.ws, slug) == present,
			'%s %s the feed' % (slug, 'in' if present else 'gone from'),
			timeout)

	def wait_publish_after(self, n, what='a publish'):
		return self.wait(lambda: self.daemon.publish_count() > n, what)

	def parse(self, path=None):
		"""Both feeds must parse cleanly; returns the Atom parse."""
		self.assertFeedparserOK(self.ws.rss)
		return self.assertFeedparserOK(path or self.ws.atom)

	def entry(self, d, slug):
		for e in d.entries:
			if e.id == entry_id(slug):
				return e
		raise AssertionError('no entry %s; ids: %r' % (entry_id(slug),
			[e.id for e in d.entries]))

	def ids(self):
		return sorted(e.id for e in self.parse().entries)

	def base_ids(self, *more):
		return sorted([entry_id(s) for s in BASE_SLUGS.values()] +
			[entry_id(s) for s in more])

	def assertAlive(self):
		self.assertTrue(self.daemon.alive(), self.daemon.describe())

	def assertNoTemps(self):
		names = os.listdir(self.ws.out)
		self.assertEqual([n for n in names if n.startswith('.')], [],
			'temp files left in the output folder')


def main():
	unittest.main(verbosity=2)
