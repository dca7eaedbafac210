#!/usr/bin/python3
"""A site over `[pages] sitemap_max_urls` (sitemaps.org: at most 50,000
URLs a file): sitemap.xml becomes a <sitemapindex> of sitemaps/K.xml (the
releases, K-th run from the oldest) and sitemaps/pages-K.xml (the listing
pages, then index.html). With sitemap_max_urls = 3: every URL once across
the chunks, none over 3, well-formed (xmllint), lastmod the newest inside;
a new release rewrites only the newest chunks and the index; removing
releases removes the chunks no longer needed; a release older than all
shifts every chunk and the result is still complete; back under the
limit, a plain <urlset> as an unsplit site has, and no sitemaps/ folder.
"""

import os
import re
import signal
import sys
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402

SM = 'http://www.sitemaps.org/schemas/sitemap/0.9'
NS = {'s': SM}
MAX = 3
PER_PAGE = 2


def release_text(title, day, updated=None):
	"""A release dated 2026-10-DAY, updated at updated (RFC 3339)."""
	text = '---\ntitle: %s\ndate: 2026-10-%02dT09:00:00Z\n' % (title, day)
	if updated is not None:
		text += 'updated: %s\n' % updated
	return text + '---\nText.\n'


class Checks:
	"""What a split sitemap must be, for a test with self.ws."""

	def out(self, rel):
		return os.path.join(self.ws.out, rel)

	def parse(self, rel):
		path = self.out(rel)
		rc, err = ft.xmllint('--noout', path)
		self.assertEqual(rc, 0, '%s: %s' % (rel, err))
		return ET.parse(path).getroot()

	def chunk_files(self):
		d = self.out('sitemaps')
		if not os.path.isdir(d):
			return set()
		return {'sitemaps/' + n for n in os.listdir(d)}

	def stats(self):
		return {rel: (os.stat(self.out(rel)).st_ino,
			os.stat(self.out(rel)).st_mtime_ns)
			for rel in self.chunk_files() | {'sitemap.xml'}}

	def expected_urls(self, days):
		listings = -(-len(days) // PER_PAGE)
		return ({ft.BASE_URL} |
			{ft.BASE_URL + 'archive/%d.html' % k
				for k in range(1, listings + 1)} |
			{ft.BASE_URL + 'releases/r%02d.html' % d for d in days})

	def check_split(self, days):
		"""sitemap.xml is an index of exactly the chunks on disk; each
		URL of the site (days: its releases; None: the pages on disk)
		is in exactly one chunk of at most MAX; each chunk's lastmod in
		the index is the newest inside it. Returns {chunk: [loc, ...]}."""
		root = self.parse('sitemap.xml')
		self.assertEqual(root.tag, '{%s}sitemapindex' % SM)
		self.assertEqual(len(root), len(root.findall('s:sitemap', NS)))
		chunks, seen = {}, []
		for sm in root.findall('s:sitemap', NS):
			loc = sm.findtext('s:loc', namespaces=NS)
			self.assertTrue(loc.startswith(ft.BASE_URL + 'sitemaps/'), loc)
			rel = loc[len(ft.BASE_URL):]
			urlset = self.parse(rel)
			self.assertEqual(urlset.tag, '{%s}urlset' % SM)
			urls = urlset.findall('s:url', NS)
			self.assertGreaterEqual(len(urls), 1, rel)
			self.assertLessEqual(len(urls), MAX, rel)
			locs = [u.findtext('s:loc', namespaces=NS) for u in urls]
			mods = [ft.utc_epoch(u.findtext('s:lastmod', namespaces=NS))
				for u in urls]
			self.assertEqual(ft.utc_epoch(sm.findtext('s:lastmod',
				namespaces=NS)), max(mods), rel)
			chunks[rel] = locs
			seen += locs
		self.assertEqual(set(chunks), self.chunk_files())
		self.assertEqual(sorted(seen), sorted(self.expected_urls(days)
			if days is not None else self.pages_on_disk()))
		return chunks

	def split_is_whole(self):
		try:
			self.check_split(None)
		except (AssertionError, OSError, ET.ParseError):
			return False
		return True

	def pages_on_disk(self):
		return {ft.BASE_URL} | {ft.BASE_URL + d + '/' + n
			for d in ('archive', 'releases')
			for n in os.listdir(self.out(d)) if n.endswith('.html')}

	def release_chunks(self, chunks):
		"""The days of each release chunk, sitemaps/1.xml first."""
		out = []
		for k in range(1, len(chunks) + 1):
			rel = 'sitemaps/%d.xml' % k
			if rel not in chunks:
				break
			out.append([int(loc[-7:-5]) for loc in chunks[rel]])
		return out

	def changed(self, before):
		after = self.stats()
		return sorted(k for k in after.keys() | before.keys()
			if after.get(k) != before.get(k))


class Split(Checks, ft.FeedCase):
	"""--once over 8 releases, 10..17 October, 2 a listing page."""

	def setUp(self):
		self.ws = self.new_workspace()
		self.configure(MAX)
		for day in range(10, 18):
			self.add(day)
		self.assertRunOK(self.ws.run('--once'))

	def configure(self, max_urls):
		self.ws.write_config(extra='[pages]\nper_page = %d\n'
			'sitemap_max_urls = %d\n' % (PER_PAGE, max_urls))

	def add(self, day, **kw):
		ft.write_release(self.ws.release('r%02d.md' % day),
			release_text('R%02d' % day, day, **kw))

	def test_index_of_chunks(self):
		days = list(range(10, 18))
		chunks = self.check_split(days)
		# The releases from the oldest, runs of MAX, as listings count.
		self.assertEqual(self.release_chunks(chunks),
			[[10, 11, 12], [13, 14, 15], [16, 17]])
		self.assertEqual(chunks['sitemaps/pages-1.xml'],
			[ft.BASE_URL + 'archive/%d.html' % k for k in (1, 2, 3)])
		self.assertEqual(chunks['sitemaps/pages-2.xml'],
			[ft.BASE_URL + 'archive/4.html', ft.BASE_URL])
		with open(self.out('robots.txt')) as f:
			self.assertIn('Sitemap: %ssitemap.xml\n' % ft.BASE_URL, f.read())
		# A rerun rewrites nothing.
		before = self.stats()
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(self.changed(before), [])

	def test_new_release_rewrites_only_the_newest_chunks(self):
		before = self.stats()
		self.add(18)
		self.assertRunOK(self.ws.run('--once'))
		# The releases' newest chunk, the one with index.html (its
		# lastmod moved) and the index; not sitemaps/1, 2, pages-1.
		self.assertEqual(self.changed(before), ['sitemap.xml',
			'sitemaps/3.xml', 'sitemaps/pages-2.xml'])
		self.check_split(list(range(10, 19)))
		# One more: a new chunk, the others as they were.
		before = self.stats()
		self.add(19)
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(self.changed(before), ['sitemap.xml',
			'sitemaps/4.xml', 'sitemaps/pages-2.xml'])
		chunks = self.check_split(list(range(10, 20)))
		self.assertEqual(self.release_chunks(chunks)[-1], [19])

	def index_lastmods(self):
		return {sm.findtext('s:loc', namespaces=NS)[len(ft.BASE_URL):]:
			ft.utc_epoch(sm.findtext('s:lastmod', namespaces=NS)) for sm in
			self.parse('sitemap.xml').findall('s:sitemap', NS)}

	def test_edit_rewrites_only_its_chunk(self):
		before = self.stats()
		# Updated, but still older than r12 beside it: its chunk and
		# the one with archive/1.html (which lists it); the index's
		# lastmods stay, so it does too.
		self.add(11, updated='2026-10-11T20:00:00Z')
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(self.changed(before), ['sitemaps/1.xml',
			'sitemaps/pages-1.xml'])
		self.check_split(list(range(10, 18)))
		# Updated after every other: index.html's lastmod moves too.
		before = self.stats()
		self.add(11, updated='2026-10-30T20:00:00Z')
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(self.changed(before), ['sitemap.xml',
			'sitemaps/1.xml', 'sitemaps/pages-1.xml',
			'sitemaps/pages-2.xml'])
		self.check_split(list(range(10, 18)))
		self.assertEqual(self.index_lastmods()['sitemaps/1.xml'],
			ft.utc_epoch('2026-10-30T20:00:00Z'))

	def test_removing_the_oldest_removes_chunks(self):
		for day in range(10, 15):
			os.unlink(self.ws.release('r%02d.md' % day))
		self.assertRunOK(self.ws.run('--once'))
		# 3 releases, archive/1..2 and index.html: 6 URLs, 2 chunks.
		chunks = self.check_split([15, 16, 17])
		self.assertEqual(sorted(chunks), ['sitemaps/1.xml',
			'sitemaps/pages-1.xml'])

	def test_a_release_older_than_all_shifts_every_chunk(self):
		before = self.stats()
		self.add(1)
		self.assertRunOK(self.ws.run('--once'))
		# Every release chunk changes (each moved by one): correct.
		changed = self.changed(before)
		for k in (1, 2, 3):
			self.assertIn('sitemaps/%d.xml' % k, changed)
		days = [1] + list(range(10, 18))
		chunks = self.check_split(days)
		self.assertEqual(self.release_chunks(chunks),
			[[1, 10, 11], [12, 13, 14], [15, 16, 17]])

	def test_back_under_the_limit(self):
		self.configure(50000)
		self.assertRunOK(self.ws.run('--once'))
		self.assertFalse(os.path.exists(self.out('sitemaps')))
		root = self.parse('sitemap.xml')
		self.assertEqual(root.tag, '{%s}urlset' % SM)
		# Byte for byte what a site that never split writes.
		fresh = self.new_workspace()
		for day in range(10, 18):
			ft.write_release(fresh.release('r%02d.md' % day),
				release_text('R%02d' % day, day))
		fresh.write_config(extra='[pages]\nper_page = %d\n' % PER_PAGE)
		self.assertRunOK(fresh.run('--once'))
		with open(self.out('sitemap.xml'), 'rb') as a, \
				open(os.path.join(fresh.out, 'sitemap.xml'), 'rb') as b:
			self.assertEqual(a.read(), b.read())
		self.assertFalse(os.path.exists(os.path.join(fresh.out,
			'sitemaps')))
		# Removing releases down to the limit does it too.
		self.configure(MAX)
		self.assertRunOK(self.ws.run('--once'))
		self.assertTrue(os.path.isdir(self.out('sitemaps')))
		for day in range(11, 18):
			os.unlink(self.ws.release('r%02d.md' % day))
		# r10 alone: index.html, archive/1.html, its page: 3 URLs.
		self.assertRunOK(self.ws.run('--once'))
		self.assertFalse(os.path.exists(self.out('sitemaps')))
		root = self.parse('sitemap.xml')
		self.assertEqual(root.tag, '{%s}urlset' % SM)
		self.assertEqual(sorted(u.findtext('s:loc', namespaces=NS)
			for u in root.findall('s:url', NS)),
			sorted(self.expected_urls([10])))

	def test_a_file_not_ours_in_sitemaps_stays(self):
		with open(self.out('sitemaps/mine.xml'), 'w') as f:
			f.write('<x/>\n')
		self.configure(50000)
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(os.listdir(self.out('sitemaps')), ['mine.xml'])

	def test_out_of_range_is_a_config_error(self):
		for bad in ('0', '50001'):
			self.configure(int(bad))
			r = self.ws.run('--once')
			self.assertNotEqual(r.returncode, 0, bad)
			self.assertIn('sitemap_max_urls', r.stderr)


class Daemon(Checks, dt.DaemonCase):
	"""The same in the daemon, publishing in slices: a dropped release
	lands in the newest chunk; a reload back under the limit."""

	def configure(self, max_urls):
		self.write_config(extra='[pages]\nper_page = %d\n'
			'sitemap_max_urls = %d\n[http]\nlisten = 127.0.0.1:0\n'
			% (PER_PAGE, max_urls))

	def served(self):
		"""http://ADDR/ of the daemon's server, from its log."""
		def addr():
			for ln in self.daemon.stderr_lines():
				m = re.search(r'http: serving on (http://\S+?/)', ln)
				if m:
					return m.group(1)
			return None
		self.wait(lambda: addr() is not None, 'http: serving on')
		return addr()

	def test_drop_then_reload_under_the_limit(self):
		self.configure(MAX)
		self.start(write_config=False)
		self.wait(lambda: os.path.isdir(self.out('sitemaps')), 'chunks')
		self.check_split(None)
		newest = max(int(n[:-4]) for n in os.listdir(self.out('sitemaps'))
			if n[0].isdigit())
		n = self.daemon.publish_count()
		src = os.path.join(self.ws.outside, 'ny.md')
		ft.write_release(src, dt.release_text('Ny', time.strftime(
			'%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 60))))
		os.rename(src, self.ws.release('ny.md'))
		page = ft.BASE_URL + 'releases/ny.html'

		def text(rel):
			try:
				with open(self.out(rel), encoding='utf-8') as f:
					return f.read()
			except FileNotFoundError:
				return ''

		def in_a_chunk():
			return any(page in text('sitemaps/' + f)
				for f in os.listdir(self.out('sitemaps')))
		self.wait(in_a_chunk, 'the new page in a chunk')
		self.wait_publish_after(n)
		# The chunks go before the index that names them, both after
		# the feeds (the rest of the site): a look in between sees the
		# new chunk under the old index. Each look must be whole once
		# the rest is in place.
		self.wait(lambda: self.split_is_whole(), 'the index of the '
			'new chunks')
		chunks = self.check_split(None)
		last = 'sitemaps/%d.xml' % len([c for c in chunks
			if c[9].isdigit()])
		self.assertIn(page, chunks[last])
		self.assertGreaterEqual(int(last[9:-4]), newest)
		# The server has the chunks the index names, as written (once
		# the snapshot has moved: the rest of a site written in slices
		# lands on disk first, which valgrind's pace shows).
		root = self.served()

		def served_as_written():
			for rel in ['sitemap.xml'] + sorted(chunks):
				with urllib.request.urlopen(root + rel, timeout=10) as r:
					self.assertEqual(r.status, 200, rel)
					self.assertTrue(r.headers['Content-Type'].startswith(
						'application/xml'), rel)
					with open(self.out(rel), 'rb') as f:
						if r.read() != f.read():
							return False
			return True
		self.wait(served_as_written, 'the sitemaps served as written')
		self.configure(50000)
		self.daemon.signal(signal.SIGHUP)
		self.wait(lambda: not os.path.exists(self.out('sitemaps')),
			'sitemaps/ removed')
		root = self.parse('sitemap.xml')
		self.assertEqual(root.tag, '{%s}urlset' % SM)


if __name__ == '__main__':
	unittest.main()
