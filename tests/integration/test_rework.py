"""What a change costs on disk, with every output on (issue 13's CI test;
issues 11 and 12 ask the same of pages and feeds): one new release
rewrites only the documents that hold it, never an unchanged release's
page or a sub-feed it is not in; and a restart with the state folder in
place rewrites no file and sends no ping, reading no release file whose
key (size, mtime, ctime, inode) is the one in the release cache, and
reading again (and republishing) one changed while it was down, even
with its size and mtime put back.

Files are compared by inode and mtime: output.c renames a new file into
place, so a rewrite is a new inode even when the bytes are the same.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_rework.py
"""

import os
import re
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
import test_pings as tp  # noqa: E402

# Beside the base corpus (Alfa tagged "daemon"): releases in other tags,
# types and languages, and enough of them that the feed has an archive.
MORE = [
	('ost-%02d' % i, 'Ost %d' % i, '2024-04-%02dT10:00:00+02:00' % (i + 1),
		'tags: [ost]\ntype: Nyhet\n') for i in range(6)
] + [
	('english', 'In English', '2024-05-01T10:00:00+02:00',
		'tags: [väst]\nlang: en\n'),
]
NEW = ('ny-i-ost', 'Ny i öst', '2024-06-01T10:00:00+02:00',
	'tags: [ost]\ntype: Nyhet\n')


def release(title, date, fm):
	return '---\ntitle: %s\ndate: %s\n%s---\n\nText om %s.\n' % (title,
		date, fm, title)


def snapshot(top):
	"""{relative path: (inode, mtime_ns)} of every file below top."""
	out = {}
	for d, _, names in os.walk(top):
		for n in names:
			if n.startswith('.'):
				continue	# output.c's temp files, there a moment
			p = os.path.join(d, n)
			try:
				st = os.lstat(p)
			except FileNotFoundError:
				continue	# removed while we walked
			out[os.path.relpath(p, top)] = (st.st_ino, st.st_mtime_ns)
	return out


SCAN_RE = re.compile(r'full scan: (\d+) releases, (\d+) from the release '
	r'cache, (\d+) read and cached')


def changed(before, after):
	return sorted(p for p in set(before) | set(after)
		if before.get(p) != after.get(p))


class ReworkTest(tp.PingCase):

	def setUp(self):
		super().setUp()
		for slug, title, date, fm in MORE:
			ft.write_release(self.ws.release(slug + '.md'),
				release(title, date, fm))
		self.rcv = self.receiver()
		self.config([('hook', 'webhook', self.rcv.url('/hook'))], feed={
			'max_entries': '4', 'json': 'true', 'tag_feeds': 'true',
			'type_feeds': 'true', 'lang_feeds': 'true',
			'archives': 'true', 'deleted_for': '30d'})

	def settled(self):
		"""Wait until the folder stops changing (a publish may come
		in slices) and the ping queue is empty; returns a snapshot."""
		self.wait_empty_queue()
		last, since = snapshot(self.ws.out), time.monotonic()
		deadline = since + dt.TIMEOUT
		while time.monotonic() - since < tp.QUIET:
			self.assertLess(time.monotonic(), deadline, 'the output '
				'never settled:\n' + self.daemon.describe())
			time.sleep(0.05)
			now = snapshot(self.ws.out)
			if now != last:
				last, since = now, time.monotonic()
		return last

	def test_one_release_touches_only_its_documents(self):
		self.start_and_deliver([(self.rcv, '/hook')])
		before = self.settled()
		self.assertIn('tags/vast.atom', before)
		self.assertIn('releases/ost-00.html', before)
		slug, title, date, fm = NEW
		src = os.path.join(self.ws.outside, slug + '.md')
		ft.write_release(src, release(title, date, fm))
		os.rename(src, self.ws.release(slug + '.md'))
		self.wait_id(slug)
		self.wait(lambda: os.path.exists(os.path.join(self.ws.out,
			'releases', slug + '.html')), 'its page')
		got = changed(before, self.settled())
		self.assertIn('releases/%s.html' % slug, got)
		self.assertIn('feed.atom', got)
		self.assertIn('tags/ost.atom', got)
		# Nothing it is not in: no other release's page, no sub-feed
		# of another tag, type or language, no media.
		others = [p for p in got if p.startswith('releases/')]
		self.assertEqual(others, ['releases/%s.html' % slug], got)
		for p in got:
			self.assertFalse(p.startswith(('tags/vast.', 'tags/daemon.',
				'langs/en.', 'media/')), (p, got))
		# A bounded count, whatever the archive size: the page, the
		# index, one listing page, the sitemaps, the three main feeds,
		# the archive it pushed an entry into, and its tag's, type's
		# and language's feeds in three formats.
		self.assertLessEqual(len(got), 24, got)

	def scans(self, d=None):
		"""(releases, from the cache, read) of each full scan of d."""
		return [tuple(int(x) for x in SCAN_RE.search(l).groups())
			for l in self.log_lines('full scan: ', d)]

	def test_restart_reads_only_the_changed_file(self):
		self.start_and_deliver([(self.rcv, '/hook')])
		before = self.settled()
		(n, found, read), = self.scans()
		self.assertEqual((found, read), (0, n))
		self.assertGreater(n, len(MORE))
		self.sigterm()
		# The same size and mtime: only ctime tells the cache.
		path = self.ws.release('ost-03.md')
		st = os.stat(path)
		with open(path, encoding='utf-8') as f:
			text = f.read()
		new = text.replace('Text om Ost 3.', 'Txet mo Ost 3.')
		self.assertNotEqual(new, text)
		self.assertEqual(len(new.encode()), st.st_size)
		with open(path, 'w', encoding='utf-8') as f:
			f.write(new)
		os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
		self.assertEqual(os.stat(path).st_mtime_ns, st.st_mtime_ns)
		self.launch()
		self.wait(lambda: self.daemon.publish_count() >= 1,
			'the first publish after the restart')
		after = self.settled()
		self.assertEqual(self.scans(), [(n, n - 1, 1)])
		got = changed(before, after)
		self.assertIn('releases/ost-03.html', got)
		self.assertEqual([p for p in got if p.startswith('releases/')],
			['releases/ost-03.html'], got)
		with open(os.path.join(self.ws.out, 'releases', 'ost-03.html'),
				encoding='utf-8') as f:
			page = f.read()
		self.assertIn('Txet mo Ost 3.', page)
		self.assertNotIn('Text om Ost 3.', page)

	def test_restart_across_folders_that_sort_apart(self):
		"""The scan lists whole paths in byte order as it walks ("2019-a/"
		and "2019.b/" before "2019/", "2019/" before "2019a.md") and keys
		each file then: a walk out of that order would read every file
		again. While it was down, one file is added (its release gets
		its history after the walk of the history's rows), one removed,
		one changed."""
		tricky = [('2019-a/ett', 'Ett'), ('2019.b/tre', 'Tre'),
			('2019/tva', 'Tva'), ('2019a', 'Fyra')]
		for i, (rel, title) in enumerate(tricky):
			ft.write_release(self.ws.release(rel + '.md'), release(title,
				'2024-07-%02dT10:00:00+02:00' % (i + 1), ''))
		self.start_and_deliver([(self.rcv, '/hook')])
		self.settled()
		(n, found, read), = self.scans()
		self.sigterm()
		self.launch()
		self.wait(lambda: self.daemon.publish_count() >= 1,
			'the first publish after the restart')
		self.settled()
		self.assertEqual(self.scans(), [(n, n, 0)])
		self.sigterm()
		os.unlink(self.ws.release('2019.b/tre.md'))
		ft.write_release(self.ws.release('2019-a/fem.md'), release('Fem',
			'2024-08-01T10:00:00+02:00', ''))
		with open(self.ws.release('2019/tva.md'), 'a',
				encoding='utf-8') as f:
			f.write('Mer om Tva.\n')
		self.launch()
		self.wait(lambda: self.daemon.publish_count() >= 1,
			'the first publish after the restart')
		self.settled()
		self.assertEqual(self.scans(), [(n, n - 2, 2)])
		atom = dt.read_atom(self.ws)
		self.assertIn('<title type="text">Fem</title>', atom)
		self.assertNotIn('<title type="text">Tre</title>', atom)
		self.assertIn('deleted-entry ref="tag:news.example.org,2000:/releases/tre"', atom)
		self.assertIn('Mer om Tva.', open(os.path.join(self.ws.out,
			'releases', 'tva.html'), encoding='utf-8').read())
		# The new release's history was written: nothing to do again.
		before = self.settled()
		self.sigterm()
		self.launch()
		self.wait(lambda: self.daemon.publish_count() >= 1,
			'the first publish after the restart')
		self.assertEqual(changed(before, self.settled()), [])
		self.assertEqual(self.scans(), [(n, n, 0)])

	def test_restart_reads_a_file_whose_cached_row_is_damaged(self):
		"""Cached bytes it cannot unpack (unpacked apart from the
		walk, on the CPUs): that file is read, the rest come from the
		cache, and nothing changes."""
		import sqlite3
		self.start_and_deliver([(self.rcv, '/hook')])
		before = self.settled()
		(n, found, read), = self.scans()
		self.sigterm()
		db = sqlite3.connect(self.ws.path('state', 'feedpubd.db'))
		with db:
			cur = db.execute("UPDATE release_cache SET meta = x'ff00' "
				"WHERE path = CAST('ost-02.md' AS BLOB)")
			self.assertEqual(cur.rowcount, 1)
		db.close()
		self.launch()
		self.wait(lambda: self.daemon.publish_count() >= 1,
			'the first publish after the restart')
		self.assertEqual(changed(before, self.settled()), [])
		self.assertEqual(self.scans(), [(n, n - 1, 1)])

	def test_restart_rewrites_nothing_and_pings_nobody(self):
		self.start_and_deliver([(self.rcv, '/hook')])
		before = self.settled()
		self.assertGreater(len(before), 20)
		self.sigterm()
		mark = self.rcv.mark()
		n = len(self.daemons)
		self.launch()
		self.assertEqual(len(self.daemons), n + 1)
		self.wait(lambda: self.daemon.publish_count() >= 1,
			'the first publish after the restart')
		after = self.settled()
		self.assertEqual(changed(before, after), [])
		# Every release from the cache, no file read.
		(n, found, read), = self.scans()
		self.assertEqual((found, read), (n, 0))
		time.sleep(tp.QUIET)		# proving an absence
		self.assertEqual(self.rcv.requests(since=mark), [])
		self.assertEqual(snapshot(self.ws.out), before)


if __name__ == '__main__':
	unittest.main()
