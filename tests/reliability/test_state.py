"""State faults and ping outages.

State: the database locked by another connection holding BEGIN EXCLUSIVE
(short: 3 s, SOAK=1: 30 s), garbage bytes, deleted while running. The
feeds must keep publishing, and the ping of the version on disk must
arrive once the database is usable again (issue 8 items 4 and 6).

Outages (pings time-compressed by [pings] connect_timeout/timeout; the
backoff itself is 1 s doubling and not configurable): a target down and
back, one that accepts and never answers, one that answers a huge body and
one an endless body. Nothing stalls publishing, daemon memory stays
bounded, everything owed is delivered once (the endless body: see the
figures), backoff stays bounded.
"""

import os
import socket
import sqlite3
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reltest as rt  # noqa: E402
from reltest import dt, ft, pt, FEEDS  # noqa: E402

PINGS = {'connect_timeout': '1s', 'timeout': '2s'}
LOCK_S = 30.0 if rt.SOAK else 3.0
HUGE = (1024 if rt.SOAK else 64) * 1024 * 1024	# bytes of a huge answer
RSS_BOUND = 64 * 1024 * rt.MEM_SCALE		# KiB, the daemon's peak
FAST = 2.0 * rt.SCALE		# a publish while pings are in trouble


class StateCase(rt.RelCase):

	def db_path(self):
		return self.ws.path('state', 'feedpubd.db')

	def start(self, rcv, **kw):
		self.config([('hook', 'webhook', rcv.url('/hook'))], PINGS, **kw)
		d = self.launch()
		self.wait(lambda: self.rows() == [], 'the start-up pings')
		return d

	def add(self, slug, title):
		src = os.path.join(self.ws.outside, slug + '.md')
		ft.write_release(src, dt.release_text(title,
			'2024-06-01T08:00:00+02:00'))
		t = time.monotonic()
		os.rename(src, self.ws.release(slug + '.md'))
		return t

	def pings_of_version_on_disk(self, rcv, path='/hook'):
		return {u.rsplit('/', 1)[1]: rcv.fetches_of(path, u, rt.sha(
			rt.read_bytes(rt.feed_path(self.ws, u)))) for u in FEEDS}


_cache = {}	# scenario -> result, shared by the tests that judge it


class LockedTest(StateCase):

	def locked_run(self):
		if 'locked' in _cache:
			return _cache['locked']
		rcv = self.version_receiver()
		d = self.start(rcv)
		db = sqlite3.connect(self.db_path(), timeout=5,
			isolation_level=None)
		self.addCleanup(db.close)
		db.execute('BEGIN EXCLUSIVE')
		t_lock = time.monotonic()
		t0 = self.add('2024-06-02-last', 'Låst')
		self.wait(lambda: dt.has_id(self.ws, '2024-06-02-last'),
			'the publish while locked', LOCK_S + 10 * rt.SCALE)
		publish_s = time.monotonic() - t0
		dt.wait_for(lambda: time.monotonic() - t_lock >= LOCK_S,
			LOCK_S + 1, 'the lock period')
		db.execute('ROLLBACK')
		db.close()
		# Owed: a ping per feed for the version on disk, by itself.
		try:
			self.wait(lambda: set(self.pings_of_version_on_disk(rcv)
				.values()) == {1}, 'the pings after the lock',
				6 * rt.SCALE)
		except AssertionError:
			pass
		got = self.pings_of_version_on_disk(rcv)
		rt.figures('state-locked', lock_s=LOCK_S, publish_s=round(
			publish_s, 2), pings_after=got, alive=d.alive())
		_cache['locked'] = publish_s, got
		return publish_s, got

	def test_publishing_continues_while_locked(self):
		publish_s, _ = self.locked_run()
		# The busy timeout (2 s) may hold a publish once; not the lock.
		self.assertLess(publish_s, min(LOCK_S, 2.5) + FAST)

	# Issue 8 item 4: the ping queued while the database is locked is
	# lost (ping_feed_changed ignores state_ping_add's failure).
	def test_ping_not_lost_while_locked(self):
		_, got = self.locked_run()
		self.assertEqual(set(got.values()), {1}, got)


class GarbageTest(StateCase):

	def garbage_run(self):
		if 'garbage' in _cache:
			return _cache['garbage']
		os.makedirs(self.ws.path('state'))
		with open(self.db_path(), 'wb') as f:
			f.write(b'this is not a database\0' * 500)
		rcv = self.version_receiver()
		self.config([('hook', 'webhook', rcv.url('/hook'))], PINGS)
		d = self.launch()
		self.parse()
		try:
			self.wait(lambda: set(self.pings_of_version_on_disk(rcv)
				.values()) == {1}, 'the start-up pings', 5 * rt.SCALE)
		except AssertionError:
			pass
		got = self.pings_of_version_on_disk(rcv)
		rt.figures('state-garbage', pings=got, log=[l for l in
			d.stderr_lines() if 'database' in l or 'pings' in l][:3])
		_cache['garbage'] = d.alive(), self.ids(), got
		return _cache['garbage']

	def test_garbage_database_publishes(self):
		alive, ids, _ = self.garbage_run()
		self.assertTrue(alive)
		self.assertEqual(ids, self.base_ids())

	# Issue 8 item 6: a corrupt database is to be moved aside (with a
	# log line) and pings work; now pings stay off for good.
	def test_garbage_database_is_moved_aside_and_pings_work(self):
		_, _, got = self.garbage_run()
		self.assertEqual(set(got.values()), {1}, got)


class DeletedTest(StateCase):

	def test_database_deleted_while_running(self):
		rcv = self.version_receiver()
		d = self.start(rcv)
		for suffix in ('', '-wal', '-shm'):
			try:
				os.unlink(self.db_path() + suffix)
			except FileNotFoundError:
				pass
		self.add('2024-06-03-efter', 'Efter')
		self.wait_id('2024-06-03-efter', timeout=FAST)
		self.wait(lambda: set(self.pings_of_version_on_disk(rcv).values())
			== {1}, 'the pings after the delete')
		# D8: the file is written again at its path, not only the
		# unlinked inode that SQLite still holds.
		self.wait(lambda: os.path.exists(self.db_path()), 'the database '
			'written again')
		rt.figures('state-deleted', pings=self.pings_of_version_on_disk(
			rcv), db_back=os.path.exists(self.db_path()))
		self.assertTrue(d.alive())

	def test_owed_pings_survive_delete_and_restart(self):
		"""Pings owed to a target that is down, the database deleted
		while running, then SIGKILL: the pings are in the file written
		again at its path, and the next daemon delivers them once."""
		down = threading.Event()
		down.set()

		def respond(req, n):
			return (503, {}, b'') if down.is_set() else (204, {}, b'')
		rcv = self.version_receiver(respond)
		self.config([('hook', 'webhook', rcv.url('/hook'))], PINGS)
		d = self.launch()
		self.wait(lambda: len(self.rows()) == 2 and sum(
			len(v) for v in rcv.fetched.values()) >= 2,
			'the start-up pings refused')
		for suffix in ('', '-wal', '-shm'):
			try:
				os.unlink(self.db_path() + suffix)
			except FileNotFoundError:
				pass
		# No change: the daemon's timer notices (about every second).
		self.wait(lambda: len(self.rows()) == 2 and self.log_lines(
			'written again from the open copy'), 'the owed pings back in '
			'the database at its path', dt.TIMEOUT + 2)
		self.sigkill(d)
		down.clear()
		d = self.launch()
		era = rcv.era		# launch() sets it: this daemon's pings

		def delivered():
			return {u: rcv.eras_of('/hook', u, rt.sha(rt.read_bytes(
				rt.feed_path(self.ws, u)))).count(era) for u in FEEDS}
		self.wait(lambda: set(delivered().values()) == {1} and
			self.rows() == [], 'the owed pings delivered once',
			dt.TIMEOUT + 5 * rt.SCALE)


class EndlessServer:
	"""Answers 200 with a body of n bytes (None: never ending)."""

	def __init__(self, n):
		self.n = n
		self.sock = socket.socket()
		self.sock.bind(('127.0.0.1', 0))
		self.sock.listen(16)
		self.port = self.sock.getsockname()[1]
		self.halt = threading.Event()
		self.requests = 0
		self.finished = 0
		self.thread = threading.Thread(target=self._run, daemon=True)
		self.thread.start()

	def url(self):
		return 'http://127.0.0.1:%d/hook' % self.port

	def _run(self):
		self.sock.settimeout(0.05)
		while not self.halt.is_set():
			try:
				c, _ = self.sock.accept()
			except socket.timeout:
				continue
			except OSError:
				return
			threading.Thread(target=self._serve, args=(c,),
				daemon=True).start()

	def _serve(self, c):
		try:
			c.settimeout(5)
			data = b''
			while b'\r\n\r\n' not in data:
				got = c.recv(65536)
				if not got:
					return
				data += got
			head, _, body = data.partition(b'\r\n\r\n')
			for line in head.split(b'\r\n'):
				if line.lower().startswith(b'content-length:'):
					want = int(line.split(b':')[1])
					while len(body) < want:
						body += c.recv(65536)
			self.requests += 1
			hdr = b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n'
			if self.n is not None:
				hdr += b'Content-Length: %d\r\n' % self.n
			c.sendall(hdr + b'Connection: close\r\n\r\n')
			chunk = b'x' * 65536
			sent = 0
			while not self.halt.is_set() and (self.n is None or
					sent < self.n):
				k = chunk if self.n is None else chunk[:self.n - sent]
				c.sendall(k)
				sent += len(k)
			if self.n is not None:
				self.finished += 1
		except OSError:
			pass
		finally:
			c.close()

	def stop(self):
		self.halt.set()
		self.sock.close()
		self.thread.join(5)


class OutageTest(StateCase):

	def test_target_down_then_back(self):
		port = pt.free_port()
		rcv = rt.VersionReceiver(self.ws, port=port, start=False)
		self.addCleanup(rcv.stop)
		self.receivers.append(rcv)
		self.config([('hook', 'webhook', rcv.url('/hook'))], PINGS)
		d = self.launch()
		self.add('2024-06-04-nere', 'Nere')
		self.wait_id('2024-06-04-nere', timeout=FAST)
		# Down for long enough to back off a few times (1, 2, 4 s).
		down = 4.0 if not rt.SOAK else 20.0
		time.sleep(down)	# the outage itself, not a wait for success
		t_up = time.monotonic()
		rcv.start()
		self.wait(lambda: self.rows() == [], 'delivery after the outage',
			70 * rt.SCALE)
		late = time.monotonic() - t_up
		got = self.pings_of_version_on_disk(rcv)
		tries = len(self.log_lines('ping hook (webhook)'))
		rt.figures('outage-down-then-back', down_s=down, delivered_after_s=
			round(late, 2), pings=got, log_lines=tries)
		self.assertEqual(set(got.values()), {1}, got)
		# The next try came within one doubled backoff of the return.
		self.assertLess(late, 2 * down * 1.25 + 2 * rt.SCALE)
		self.assertTrue(d.alive())

	def test_target_that_never_answers(self):
		h = pt.Hang()
		self.addCleanup(h.stop)
		rcv = self.version_receiver()
		self.config([('stuck', 'webhook', h.url('/hook')),
			('hook', 'webhook', rcv.url('/hook'))], PINGS)
		d = self.launch()
		t0 = self.add('2024-06-05-medan', 'Medan')
		self.wait_id('2024-06-05-medan', timeout=FAST)
		self.wait(lambda: set(self.pings_of_version_on_disk(rcv).values())
			== {1}, 'the good target despite the stuck one', FAST)
		self.wait(lambda: len(self.log_lines('ping stuck')) >= 2,
			'the stuck pings time out', 2 + 2 + 3 * rt.SCALE)
		rt.figures('outage-never-answers', publish_to_ping_s=round(
			time.monotonic() - t0, 2), accepted=h.accepted(),
			peak_rss_kib=rt.peak_rss_kib(d.pid))
		self.assertLess(rt.peak_rss_kib(d.pid), RSS_BOUND)

	def body_run(self, n):
		srv = EndlessServer(n)
		self.addCleanup(srv.stop)
		rcv = self.version_receiver()
		self.config([('big', 'webhook', srv.url()),
			('hook', 'webhook', rcv.url('/hook'))], PINGS)
		d = self.launch()
		self.wait(lambda: srv.requests >= 1, 'the big answer under way')
		t0 = self.add('2024-06-06-under', 'Under')
		self.wait_id('2024-06-06-under', timeout=FAST)
		publish_s = time.monotonic() - t0
		self.wait(lambda: set(self.pings_of_version_on_disk(rcv).values())
			== {1}, 'the good target', FAST)
		# The big answer is cut past the response cap (D3) and counts
		# as delivered by its 200, well before the 2 s timeout, endless
		# or not: the rows leave the queue and no try times out.
		self.wait(lambda: ('big', ft.BASE_URL + 'feed.rss') not in
			self.rows() and ('big', ft.BASE_URL + 'feed.atom') not in
			self.rows(), 'the big answers cut and counted as delivered',
			FAST)
		lines = self.log_lines('ping big (webhook)')
		self.assertTrue(lines and all('200' in l and 'cut' in l
			for l in lines), lines)
		peak = rt.peak_rss_kib(d.pid)
		rt.figures('outage-body', body_bytes=n if n is not None else
			'endless', publish_s=round(publish_s, 3), peak_rss_kib=peak,
			requests=srv.requests, finished=srv.finished,
			outcome=(self.log_lines('ping big (webhook)') or [''])[0][:200])
		self.assertLess(peak, RSS_BOUND)
		self.assertTrue(d.alive())

	def test_target_answering_a_huge_body(self):
		self.body_run(HUGE)

	def test_target_answering_an_endless_body(self):
		self.body_run(None)


if __name__ == '__main__':
	rt.main()
