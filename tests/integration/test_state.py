"""feedpubd's state folder under faults (issue 8 items 4, 5, 6, 11): the
state database locked by another process or unavailable at start, garbage
in it, a second daemon or a --once on the same state folder, and two
spellings of one name across restarts.

Each test runs `feedpubd --config C --verbose` on a workspace (releases
from tests/data/daemon/base) with a webhook receiver on 127.0.0.1 (see
pingtest.py). Waits are bounded polls; a fixed sleep only shows that
something did NOT happen.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_state.py
"""

import glob
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
import test_pings as tp  # noqa: E402
from daemontest import entry_id, release_text  # noqa: E402

EX_TEMPFAIL = 75
NOBODY = dt.NOBODY
chown_tree = dt.chown_tree


class StateCase(tp.PingCase):

	def db_path(self):
		return self.ws.path('state', 'feedpubd.db')

	def hook(self):
		rcv = self.receiver()
		self.config([('hook', 'webhook', rcv.url('/hook'))])
		return rcv

	def entries(self, rcv, feed, since=0):
		return [[e['id'] for e in r.json()['entries']]
			for r in rcv.requests('/hook', feed, since)]

	def assert_one_ping_each(self, rcv, mark, ids):
		"""Exactly one webhook per feed since mark, listing ids."""
		for f in tp.FEEDS:
			self.wait_count(rcv, 1, '/hook', f, mark)
		self.wait_empty_queue()
		time.sleep(tp.QUIET)		# proving an absence
		for f in tp.FEEDS:
			self.assertEqual(self.entries(rcv, f, mark), [ids],
				self.daemon.describe())


class LockedDatabaseTest(StateCase):
	"""Item 4: a ping owed while the database is locked stays owed."""

	def test_ping_queued_once_the_lock_is_released(self):
		rcv = self.hook()
		d = self.start_and_deliver([(rcv, '/hook')])
		mark = rcv.mark()
		db = sqlite3.connect(self.db_path(), timeout=5,
			isolation_level=None)
		self.addCleanup(db.close)
		db.execute('BEGIN EXCLUSIVE')
		locked = True
		try:
			self.add_release('2024-06-07-last', 'Låst')
			self.wait_id('2024-06-07-last')
			self.wait_log('cannot queue pings now')
			# Locked for a while: several retries fail meanwhile.
			time.sleep(2.5)
			self.assertEqual(rcv.count(since=mark), 0,
				rcv.requests(since=mark))
			db.execute('ROLLBACK')
			locked = False
		finally:
			if locked:
				db.execute('ROLLBACK')
		# No later change: the ping kept in memory is queued and sent.
		self.assert_one_ping_each(rcv, mark, [entry_id('2024-06-07-last')])
		self.wait_log('the pings kept meanwhile are queued')
		self.assertTrue(d.alive())

	def test_owed_ping_survives_a_restart(self):
		rcv = self.hook()
		self.start_and_deliver([(rcv, '/hook')])
		mark = rcv.mark()
		db = sqlite3.connect(self.db_path(), timeout=5,
			isolation_level=None)
		self.addCleanup(db.close)
		db.execute('BEGIN EXCLUSIVE')
		try:
			self.add_release('2024-06-08-omstart', 'Omstart')
			self.wait_id('2024-06-08-omstart')
			self.wait_log('cannot queue pings now')
			# SIGTERM while it is owed: its last try fails too.
			self.sigterm()
		finally:
			db.execute('ROLLBACK')
		self.assertEqual(len(self.log_lines('could not be queued; the '
			'next start sends them')), 2, self.daemon.describe())
		# The feeds on disk are unchanged at the restart, but what was
		# announced is not what they show: the pings are still owed.
		self.launch()
		self.assert_one_ping_each(rcv, mark,
			[entry_id('2024-06-08-omstart')])


class SecondInstanceTest(StateCase):
	"""Item 5: one feedpubd per state folder."""

	def test_second_daemon_and_once_are_refused(self):
		rcv = self.hook()
		d = self.start_and_deliver([(rcv, '/hook')])
		mark = rcv.mark()
		before = (dt.read_atom(self.ws), os.stat(self.ws.atom).st_mtime_ns)
		second = self.ws.run('--verbose')
		self.assertEqual(second.returncode, EX_TEMPFAIL, second.describe())
		self.assertIn('another feedpubd (pid %d) runs on the state folder '
			'%s; exiting' % (d.pid, self.ws.path('state')),
			second.stderr, second.describe())
		once = self.ws.run('--once')
		self.assertEqual(once.returncode, EX_TEMPFAIL, once.describe())
		self.assertIn('a feedpubd daemon (pid %d) runs on the state folder'
			' %s and publishes these feeds: --once refused' % (d.pid,
			self.ws.path('state')), once.stderr, once.describe())
		self.assertEqual((dt.read_atom(self.ws),
			os.stat(self.ws.atom).st_mtime_ns), before)
		time.sleep(tp.QUIET)		# proving an absence
		self.assertEqual(rcv.count(since=mark), 0)
		self.assertTrue(d.alive())
		# The first one goes: the lock goes with it, SIGKILL or not.
		self.sigkill()
		run = self.ws.run('--once')
		self.assertRunOK(run)
		self.launch()

	def test_check_and_status_are_not_refused(self):
		self.hook()
		self.launch()
		self.assertRunOK(self.ws.run('--check'))
		self.assertRunOK(self.ws.run('--status'))


class CorruptDatabaseTest(StateCase):
	"""Item 6: garbage in the database is moved aside, not reused."""

	def test_garbage_database_is_moved_aside_and_pings_work(self):
		rcv = self.hook()
		os.makedirs(self.ws.path('state'))
		garbage = b'this is not a database\n' * 200
		with open(self.db_path(), 'wb') as f:
			f.write(garbage)
		d = self.start_and_deliver([(rcv, '/hook')])
		aside = glob.glob(self.db_path() + '.corrupt-*')
		self.assertEqual(len(aside), 1, os.listdir(self.ws.path('state')))
		self.assertRegex(aside[0], r'\.corrupt-\d{8}T\d{6}Z$')
		with open(aside[0], 'rb') as f:
			self.assertEqual(f.read(), garbage)
		self.assertEqual(len(self.log_lines('is corrupt: moved aside as '
			'%s' % aside[0])), 1, d.describe())
		for f in tp.FEEDS:
			self.assertEqual(sorted(self.entries(rcv, f)[0]),
				tp.base_ids())
		# A fresh database, used from now on.
		mark = rcv.mark()
		self.add_release('2024-06-09-ny', 'Ny')
		self.assert_one_ping_each(rcv, mark, [entry_id('2024-06-09-ny')])

	def test_damaged_database_fails_quick_check(self):
		rcv = self.hook()
		self.start_and_deliver([(rcv, '/hook')])
		self.sigterm()
		# A valid header, pages overwritten: SQLite opens it, and only
		# quick_check tells.
		with open(self.db_path(), 'r+b') as f:
			size = os.fstat(f.fileno()).st_size
			self.assertGreater(size, 4096 * 2)
			f.seek(4096)
			f.write(b'\xa5' * (size - 4096))
		for extra in ('-wal', '-shm'):
			if os.path.exists(self.db_path() + extra):
				os.remove(self.db_path() + extra)
		d = self.launch()
		self.wait(lambda: glob.glob(self.db_path() + '.corrupt-*'),
			'the database moved aside')
		self.wait_log('is corrupt: moved aside')
		self.assertTrue(d.alive())


	SKIPPED = 'closed clean, not changed since: no quick_check'

	def test_quick_check_skipped_only_after_a_clean_close(self):
		"""A clean stop leaves a stamp of the file and its times; the
		next start skips quick_check only while the stamp matches. A
		SIGKILL leaves none; damage with the mtime put back changes the
		ctime: checked, moved aside."""
		stamp = self.db_path() + '.clean'
		rcv = self.hook()
		self.start_and_deliver([(rcv, '/hook')])
		self.assertFalse(os.path.exists(stamp))
		self.assertEqual(self.log_lines(self.SKIPPED), [])
		self.sigterm()
		self.assertTrue(os.path.exists(stamp))
		self.launch()
		self.wait_log(self.SKIPPED)
		# Gone while running: a crash from here leaves no stamp.
		self.assertFalse(os.path.exists(stamp))
		self.sigkill()
		self.assertFalse(os.path.exists(stamp))
		self.launch()	# READY=1 comes after the open
		self.assertEqual(self.log_lines(self.SKIPPED), [])
		self.sigterm()
		st = os.stat(self.db_path())
		with open(self.db_path(), 'r+b') as f:
			f.seek(4096)
			f.write(b'\xa5' * (st.st_size - 4096))
		os.utime(self.db_path(), ns=(st.st_atime_ns, st.st_mtime_ns))
		self.assertEqual(os.stat(self.db_path()).st_size, st.st_size)
		d = self.launch()
		self.wait(lambda: glob.glob(self.db_path() + '.corrupt-*'),
			'the database moved aside')
		self.wait_log('is corrupt: moved aside')
		self.assertEqual(self.log_lines(self.SKIPPED), [])
		self.assertTrue(d.alive())


@unittest.skipIf(os.geteuid() == 0 and not os.path.exists('/usr/bin/setpriv'),
	'setpriv not installed: cannot run the daemon as an unprivileged user')
class UnavailableAtStartTest(StateCase):
	"""Item 6: a state folder that cannot be written at start pauses the
	pings; once it can, they resume without a restart."""

	UID = NOBODY if os.geteuid() == 0 else None

	def launch_as(self):
		return self.launch(uid=self.UID)

	def launch_read_only(self):
		"""A webhook receiver, and the daemon started on a state folder
		it cannot write (as nobody where we are root)."""
		rcv = self.hook()
		state = self.ws.path('state')
		os.makedirs(state)
		if self.UID is not None:
			chown_tree(self.ws.dir, self.UID)
		os.chmod(state, 0o555)
		self.addCleanup(os.chmod, state, 0o755)
		return rcv, state, self.launch_as()

	def test_read_only_state_folder_then_writable(self):
		rcv, state, d = self.launch_read_only()

		def paused():
			s = self.notify.values('STATUS')
			return s and 'pings paused (no state database)' in s[-1]
		self.wait(paused, 'STATUS= saying pings are paused')
		self.assertTrue(os.path.exists(self.ws.atom))
		self.wait_log('pings are paused: cannot lock')
		time.sleep(tp.QUIET)		# proving an absence
		self.assertEqual(rcv.count(), 0)
		self.assertEqual(len(self.log_lines('pings are paused')), 1,
			d.describe())

		os.chmod(state, 0o755)
		# What was published while paused is announced now.
		for f in tp.FEEDS:
			self.wait_count(rcv, 1, '/hook', f, timeout=dt.TIMEOUT + 10)
		self.wait_empty_queue()
		for f in tp.FEEDS:
			self.assertEqual(sorted(self.entries(rcv, f)[0]), tp.base_ids())
		self.wait_log('is open again; pings and the release history resume')
		s = self.notify.values('STATUS')
		self.wait(lambda: re.search(r', pings 0 pending 0 failed',
			self.notify.values('STATUS')[-1]), 'STATUS= with pings')
		self.assertTrue(s)
		mark = rcv.mark()
		self.add_release('2024-06-10-efter', 'Efter')
		self.assert_one_ping_each(rcv, mark,
			[entry_id('2024-06-10-efter')])

	def test_sighup_retries_at_once(self):
		rcv, state, d = self.launch_read_only()
		self.wait_log('pings are paused: cannot lock')
		os.chmod(state, 0o755)
		d.signal(signal.SIGHUP)
		for f in tp.FEEDS:
			self.wait_count(rcv, 1, '/hook', f)


class SameSlugTest(StateCase):
	"""Item 11: two spellings (NFC, NFD) of one name, one slug: the file
	that held the id first keeps it across restarts."""

	def test_nfc_and_nfd_resolve_the_same_way_every_start(self):
		self.hook()
		nfc = unicodedata.normalize('NFC', 'Å.md')
		nfd = unicodedata.normalize('NFD', 'Å.md')
		self.assertNotEqual(nfc.encode(), nfd.encode())
		ft.write_release(self.ws.release(nfc), release_text('Komponerad',
			'2024-06-11T08:00:00+02:00'))
		d = self.launch()
		self.wait(lambda: 'Komponerad' in dt.read_atom(self.ws),
			'the NFC file published')
		# The NFD spelling comes later: the NFC one holds the id.
		ft.write_release(self.ws.release(nfd), release_text('Uppdelad',
			'2024-06-12T08:00:00+02:00'))
		self.wait_log('has the same id as')
		for _ in range(2):
			self.sigterm()
			self.launch()
			self.wait(lambda: self.daemon.publish_count() >= 1,
				'the start-up publish')
			atom = dt.read_atom(self.ws)
			self.assertIn('Komponerad', atom, self.daemon.describe())
			self.assertNotIn('Uppdelad', atom, self.daemon.describe())
		self.assertTrue(d is not self.daemon)


if __name__ == '__main__':
	dt.main()
