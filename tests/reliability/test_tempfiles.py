"""Temp files of an interrupted write (issue 8 item 10).

A SIGKILL or SIGXFSZ during a write leaves .feed.atom.XXXXXX behind. The
daemon must remove stale temp files of its own naming at start (and only
those: feeds/output.c output_remove_temps()), and a file size limit
(ulimit -f, RLIMIT_FSIZE) must be a write error, not the death of the
process: old feeds stay, no temp file stays, and the daemon publishes again
once the feed fits.
"""

import os
import resource
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reltest as rt  # noqa: E402
from reltest import dt, ft  # noqa: E402

LIMIT = 512 * 1024	# RLIMIT_FSIZE of the daemon: its log and database fit


class TempFileTest(rt.RelCase):

	# Issue 8 item 10: daemon/ must call output_remove_temps(output_dir,
	# name) for each feed file at start (after taking the state lock).
	def test_stale_temp_files_are_removed_at_start(self):
		self.config()
		os.makedirs(self.ws.out)
		secret = os.path.join(self.ws.outside, 'secret')
		with open(secret, 'w') as f:
			f.write('not ours')
		stale = ['.feed.atom.Ab12Cd', '.feed.rss.Xy34Zw']
		kept = ['.feed.atom.keep', '.feed.atom.Ab12Cd~', 'notes.txt']
		for n in stale + kept:
			with open(os.path.join(self.ws.out, n), 'w') as f:
				f.write('x' * 4096)
		os.symlink(secret, os.path.join(self.ws.out, '.feed.rss.Link12'))
		self.launch()
		names = sorted(os.listdir(self.ws.out))
		self.assertEqual(names, sorted(['feed.atom', 'feed.rss',
			'.feed.rss.Link12'] + kept + list(ft.FeedCase.SITE_FILES)))
		with open(secret) as f:
			self.assertEqual(f.read(), 'not ours')

	# Issue 8 item 10: needs SIGXFSZ ignored in daemon/main.c (then
	# output_replace() sees EFBIG, a write error, and removes its temp).
	def test_file_size_limit_is_a_write_error(self):
		self.config()
		d = self.launch()
		before = rt.read_bytes(self.ws.atom), rt.read_bytes(self.ws.rss)
		resource.prlimit(d.pid, resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
		# One release whose feed entry is larger than the limit.
		big = dt.release_text('Stor', '2024-05-01T08:00:00+02:00',
			body='\n\n'.join('Stycke %d: %s' % (i, 'lorem ipsum ' * 60)
			for i in range(1000)))
		self.assertLess(len(big), 1024 * 1024)
		src = os.path.join(self.ws.outside, 'stor.md')
		ft.write_release(src, big)
		n = d.publish_count()
		os.rename(src, self.ws.release('2024-05-01-stor.md'))
		self.wait(lambda: d.publish_count() > n, 'the failed publish')
		self.assertTrue(d.alive(), 'killed by SIGXFSZ?\n' + d.describe())
		self.assertEqual((rt.read_bytes(self.ws.atom),
			rt.read_bytes(self.ws.rss)), before)
		self.assertEqual(rt.temp_files(self.ws.out), [])
		self.assertTrue(self.log_lines('feed.atom'), d.describe())
		# Once it fits again, it publishes by itself.
		os.unlink(self.ws.release('2024-05-01-stor.md'))
		self.release_added = self.ws.release('2024-05-02-liten.md')
		ft.write_release(self.release_added, dt.release_text('Liten',
			'2024-05-02T08:00:00+02:00'))
		self.wait_id('2024-05-02-liten')
		# wait_id() reads feed.atom, written first: feed.rss's temp file
		# may still be there (seen under load) until feed.rss has it too.
		want = dt.entry_id('2024-05-02-liten')
		self.wait(lambda: want in rt.feed_ids(rt.read_bytes(self.ws.rss)),
			'feed.rss in place')
		self.parse()
		self.assertEqual(rt.temp_files(self.ws.out), [])
		self.assertTrue(d.alive())


if __name__ == '__main__':
	rt.main()
