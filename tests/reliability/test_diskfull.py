"""Disk full: the output and state folders on a small tmpfs.

Mounted with `mount -t tmpfs -o size=...` (root only: skipped with a
message otherwise; always unmounted). The daemon publishes, then a filler
takes every free byte; releases keep arriving. While full: the old feeds
stay valid and in place, no temp file stays, the daemon keeps running, and
the error is logged once per episode (not once per publish or retry). When
the filler is deleted it catches up by itself (no new change needed): both
feeds hold the folder, in step, and the targets get the final version.
"""

import errno
import os
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reltest as rt  # noqa: E402
from reltest import dt, ft, FEEDS  # noqa: E402

SIZE = '2m'
CHANGES = 4		# releases added while the disk is full
# The daemon retries a failed publish after 1, 2, 4 ... 60 s: after
# CHANGES failures the next try comes within 2**CHANGES s.
CATCH_UP = (2 ** CHANGES + 10) * rt.SCALE
FULL_MARKS = ('No space left', 'disk is full', 'database or disk')

_result = None		# the scenario's figures, shared by the tests


def full_lines(lines):
	"""The error and warning lines about the full disk (the daemon runs
	with -v; its debug lines trace every failed attempt)."""
	return [l for l in lines if any(m in l for m in FULL_MARKS) and
		(' error: ' in l or ' warning: ' in l)]


class DiskFullTest(rt.RelCase):

	def mount(self):
		if os.geteuid() != 0:
			print('SKIP: not root: cannot mount a tmpfs', file=sys.stderr)
			self.skipTest('not root: cannot mount a tmpfs')
		mnt = self.ws.path('disk')
		os.makedirs(mnt)
		p = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=' + SIZE,
			'tmpfs', mnt], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
		if p.returncode != 0:
			msg = 'mount -t tmpfs failed here: %s' % p.stdout.decode(
				'utf-8', 'replace').strip()
			print('SKIP: ' + msg, file=sys.stderr)
			self.skipTest(msg)
		self.addCleanup(self.umount, mnt)
		return mnt

	def umount(self, mnt):
		for _ in range(50):
			if subprocess.run(['umount', mnt]).returncode == 0:
				return
			time.sleep(0.1)
		subprocess.run(['umount', '-l', mnt])

	def fill(self, path):
		"""Take every free byte; returns the filler's size."""
		n = 0
		chunk = b'\0' * 65536
		fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
		try:
			while True:
				try:
					w = os.write(fd, chunk if n % 65536 == 0 else b'\0')
				except OSError as e:
					if e.errno != errno.ENOSPC:
						raise
					if len(chunk) == 1:
						break
					chunk = b'\0'	# the last partial page
					continue
				n += w
		finally:
			os.close(fd)
		return n

	def scenario(self):
		global _result
		if _result is not None:
			return _result
		mnt = self.mount()
		self.ws.out = os.path.join(mnt, 'out')
		rcv = self.version_receiver()
		self.config([('hook', 'webhook', rcv.url('/hook'))],
			{'connect_timeout': '1s', 'timeout': '2s'},
			paths={'releases': 'releases', 'output': 'disk/out',
			'state': 'disk/state'})
		d = self.launch()
		self.wait(lambda: self.rows() == [], 'the start-up pings')
		before = rt.read_bytes(self.ws.atom), rt.read_bytes(self.ws.rss)
		filler = os.path.join(mnt, 'filler')
		filled = self.fill(filler)
		lines0 = len(d.stderr_lines())
		for i in range(CHANGES):
			n = d.publish_count()
			ft.write_release(self.ws.release('2024-07-0%d-full.md' % (i + 1)),
				dt.release_text('Full %d' % i,
				'2024-07-0%dT08:00:00+02:00' % (i + 1),
				body='Medan disken var full. ' * 40))
			self.wait(lambda: d.publish_count() > n, 'publish attempt %d'
				% i)
			self.assertTrue(d.alive(), d.describe())
			self.assertEqual((rt.read_bytes(self.ws.atom),
				rt.read_bytes(self.ws.rss)), before, 'the feeds changed '
				'on a full disk')
			self.assertIsNone(rt.check_feed_bytes(before[0]))
			self.assertEqual(rt.temp_files(self.ws.out), [])
		during = d.stderr_lines()[lines0:]
		t_free = time.monotonic()
		os.unlink(filler)
		want = self.folder_ids()

		def caught_up():
			return rt.feed_ids(rt.read_bytes(self.ws.atom)) == want and \
				rt.feed_ids(rt.read_bytes(self.ws.rss)) == want
		self.wait(caught_up, 'both feeds caught up by themselves',
			CATCH_UP)
		catch_up_s = time.monotonic() - t_free

		def delivered():
			return {u: rcv.fetches_of('/hook', u, rt.sha(rt.read_bytes(
				rt.feed_path(self.ws, u)))) for u in FEEDS}
		# What test_1 reads: the final version of each feed pinged. A
		# ping whose row could not be deleted on the full disk holds the
		# queue for STATE_HOLD (5 s, daemon/ping.c) after the error, so
		# this may come after the catch-up; an empty queue alone says
		# nothing (the ping may still be owed in memory).
		self.wait(lambda: min(delivered().values()) >= 1 and
			self.rows() == [], 'the final versions pinged', CATCH_UP)
		self.parse()
		self.assertEqual(rt.temp_files(self.ws.out), [])
		delivered = delivered()
		_result = dict(filled_bytes=filled, publishes_while_full=CHANGES,
			error_lines_while_full=len(full_lines(during)),
			first_error=(full_lines(during) or [''])[0],
			catch_up_s=round(catch_up_s, 2),
			recovered_lines=[l for l in d.stderr_lines()[lines0:]
			if 'written again' in l],
			final_version_pings={u.rsplit('/', 1)[1]: n for u, n in
			delivered.items()}, peak_rss_kib=rt.peak_rss_kib(d.pid))
		rt.figures('disk-full', **_result)
		self.assertTrue(d.alive())
		self.describe = d.describe()
		return _result

	def test_1_full_disk_keeps_the_feeds_and_catches_up(self):
		r = self.scenario()
		for feed, n in r['final_version_pings'].items():
			self.assertGreaterEqual(n, 1, 'no ping for the final %s\n%s' %
				(feed, self.describe))

	# Issue 8, the reliability suite's disk-full case (D6): one error line
	# per episode (the feeds', the site's pages' (issue 11) and the state
	# database's at most), then a line saying they are written again.
	def test_2_error_logged_once_per_episode(self):
		r = self.scenario()
		self.assertLessEqual(r['error_lines_while_full'], 3, r)
		self.assertGreaterEqual(r['error_lines_while_full'], 1, r)
		self.assertTrue(r['recovered_lines'], r)


if __name__ == '__main__':
	rt.main()
