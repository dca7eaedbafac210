"""RFC 5005 complete archives ([feed] archives = true): the main Atom feed
holds the newest max_entries and links the newest archive; every older
release is in feed-archive/YYYY-MM.atom. A reader walking prev-archive
from feed.atom collects every published release exactly once; each
document passes xmllint --relaxng and feedparser; a new release, an edit,
a backdated release and a removal each rewrite only the archive that
holds the release (hashes before and after).

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_archives.py
"""

import hashlib
import glob
import os
import signal
import sys
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402
from feedtest import NS, text_of  # noqa: E402

FH = '{http://purl.org/syndication/history/1.0}archive'
MAX = 5


def slug(month, day, year=2023):
	return '%d-%02d-%02d-r' % (year, month, day)


def put(ws, month, day, title=None, body='Text.'):
	ft.write_release(ws.release(slug(month, day) + '.md'),
		'---\ntitle: %s\ndate: 2023-%02d-%02dT10:00:00Z\n---\n%s\n'
		% (title or 'R %d-%d' % (month, day), month, day, body))


class Archives(ft.FeedCase):

	def setUp(self):
		self.ws = self.new_workspace()
		# Ten months, three releases each: 30, the feed shows 5.
		for m in range(1, 11):
			for d in (5, 15, 25):
				put(self.ws, m, d)
		f = ft.default_feed()
		f.update({'max_entries': str(MAX), 'archives': 'true'})
		self.ws.write_config(feed=f)
		self.publish()

	def publish(self):
		run = self.ws.run('--once')
		self.assertRunOK(run)
		return run

	def url_path(self, href):
		self.assertTrue(href.startswith(ft.BASE_URL), href)
		return os.path.join(self.ws.out, href[len(ft.BASE_URL):])

	def link(self, root, rel):
		l = root.findall('a:link[@rel="%s"]' % rel, NS)
		self.assertLessEqual(len(l), 1)
		return l[0].get('href') if l else None

	def walk(self, start=None):
		"""[(path, ids)] from feed.atom (or start) along prev-archive,
		checking each document on the way."""
		out, path, seen = [], start or self.ws.atom, set()
		for _ in range(1000):
			self.assertNotIn(path, seen, 'a loop in the archive chain')
			seen.add(path)
			self.assertAtomSchema(path)
			self.assertFeedparserOK(path)
			root = ET.parse(path).getroot()
			ids = [text_of(e, 'a:id') for e in root.findall('a:entry', NS)]
			out.append((path, ids, root))
			prev = self.link(root, 'prev-archive')
			if prev is None:
				return out
			path = self.url_path(prev)
		self.fail('the chain does not end')

	def hashes(self):
		out = {}
		for p in glob.glob(os.path.join(self.ws.out, 'feed-archive', '*')):
			with open(p, 'rb') as f:
				out[os.path.basename(p)] = hashlib.sha256(f.read()) \
					.hexdigest()
		return out

	def changed(self, before):
		after = self.hashes()
		return sorted(k for k in set(before) | set(after)
			if before.get(k) != after.get(k))

	def all_ids(self):
		return sorted('tag:news.example.org,2000:/releases/' +
			os.path.basename(p)[:-3] for p in
			glob.glob(self.ws.release('*.md')))

	def test_walk_collects_every_release_once(self):
		chain = self.walk()
		got = [i for _, ids, _ in chain for i in ids]
		self.assertEqual(len(got), len(set(got)), 'an entry twice')
		self.assertEqual(sorted(got), self.all_ids())
		self.assertEqual(len(chain[0][1]), MAX)
		self.assertIsNone(chain[0][2].find(FH))
		for i, (path, ids, root) in enumerate(chain[1:], 1):
			with self.subTest(doc=path):
				self.assertIsNotNone(root.find(FH), 'no fh:archive')
				self.assertEqual(self.link(root, 'current'),
					ft.BASE_URL + 'feed.atom')
				self.assertEqual(self.link(root, 'self'), ft.BASE_URL +
					os.path.relpath(path, self.ws.out))
				nxt = self.link(root, 'next-archive')
				if i == 1:
					self.assertIsNone(nxt)
				else:
					self.assertEqual(self.url_path(nxt), chain[i - 1][0])
		# Newest first across the chain, as one feed.
		self.assertEqual(os.path.basename(chain[1][0]), '2023-09.atom')
		self.assertEqual(os.path.basename(chain[-1][0]), '2023-01.atom')

	def test_new_release_touches_the_newest_archive_only(self):
		before = self.hashes()
		self.publish()
		self.assertEqual(self.changed(before), [])
		put(self.ws, 10, 28)
		self.publish()
		# 2023-09-25 leaves the feed for the newest archive.
		self.assertEqual(self.changed(before), ['2023-09.atom'])
		ids = [i for _, ids, _ in self.walk() for i in ids]
		self.assertEqual(sorted(ids), self.all_ids())

	def test_edit_touches_only_the_archive_holding_it(self):
		before = self.hashes()
		put(self.ws, 3, 15, title='R 3-15 rättad', body='Ny text.')
		self.publish()
		self.assertEqual(self.changed(before), ['2023-03.atom'])
		# A release dated back: its month alone.
		before = self.hashes()
		put(self.ws, 2, 20)
		self.publish()
		# It also pushes nothing: the feed's newest five stay.
		self.assertEqual(self.changed(before), ['2023-02.atom'])
		self.assertEqual(len(self.walk()[0][1]), MAX)

	def test_removal_and_an_emptied_month(self):
		before = self.hashes()
		os.unlink(self.ws.release(slug(4, 5) + '.md'))
		self.publish()
		self.assertEqual(self.changed(before), ['2023-04.atom'])
		# A month emptied: its file goes, its neighbours link past it.
		for d in (15, 25):
			os.unlink(self.ws.release(slug(4, d) + '.md'))
		before = self.hashes()
		self.publish()
		self.assertEqual(self.changed(before), ['2023-03.atom',
			'2023-04.atom', '2023-05.atom'])
		self.assertNotIn('2023-04.atom', self.hashes())
		ids = [i for _, ids, _ in self.walk() for i in ids]
		self.assertEqual(sorted(ids), self.all_ids())

	def test_off_by_default(self):
		self.ws.write_config()
		self.publish()
		root = ET.parse(self.ws.atom).getroot()
		self.assertIsNone(self.link(root, 'prev-archive'))
		self.assertEqual(self.hashes(), {})


def tags_of(day):
	"""Alfa on the 5th and 25th, Beta on the 15th, Gamma twice only."""
	return {5: ['Alfa'], 15: ['Beta'], 25: ['Alfa']}[day]


def put_tagged(ws, month, day, tags=None, title=None, year=2023):
	tags = tags_of(day) if tags is None else tags
	if (year, month, day) in ((2023, 1, 5), (2023, 2, 5)):
		tags = tags + ['Gamma']
	ft.write_release(ws.release(slug(month, day, year) + '.md'),
		'---\ntitle: %s\ndate: %d-%02d-%02dT10:00:00Z\ntags: [%s]\n'
		'---\nText.\n' % (title or 'R %d-%d' % (month, day), year, month,
		day, ', '.join(tags)))


# Alfa's releases of the years before 2023 (year, month, day).
ALFA_BEFORE = ((2021, 6, 5), (2022, 3, 5), (2022, 11, 5))


class SubFeedArchives(Archives):
	"""The same rules for each sub-feed: tags/alfa.atom holds its newest
	five, the rest are in feed-archive/tags/alfa/YYYY.atom (a tag's
	archives are a year each by default, tag_archive_period), those of
	langs/sv.atom in feed-archive/langs/sv/YYYY-MM.atom (archive_period,
	as the main feed's)."""

	def setUp(self):
		self.ws = self.new_workspace()
		for m in range(1, 11):
			for d in (5, 15, 25):
				put_tagged(self.ws, m, d)
		for y, m, d in ALFA_BEFORE:
			put_tagged(self.ws, m, d, year=y)
		self.feed = ft.default_feed()
		self.feed.update({'max_entries': str(MAX), 'archives': 'true',
			'tag_feeds': 'true', 'lang_feeds': 'true', 'json': 'true'})
		self.ws.write_config(feed=self.feed)
		self.publish()

	def hashes(self):
		out = {}
		for p in glob.glob(os.path.join(self.ws.out, 'feed-archive', '**',
				'*.atom'), recursive=True):
			with open(p, 'rb') as f:
				out[os.path.relpath(p, os.path.join(self.ws.out,
					'feed-archive'))] = hashlib.sha256(f.read()).hexdigest()
		return out

	def ids_with(self, tag):
		before = [slug(m, d, y) for y, m, d in ALFA_BEFORE] \
			if tag == 'Alfa' else []
		return sorted('tag:news.example.org,2000:/releases/' + s
			for s in before + [slug(m, d) for m in range(1, 11)
			for d in (5, 15, 25) if tag in tags_of(d) or
			(tag == 'Gamma' and d == 5 and m < 3)])

	def names(self, feed):
		"""The archives' names along the chain of feed, newest first."""
		return [os.path.basename(p) for p, _, _ in
			self.walk(os.path.join(self.ws.out, feed))[1:]]

	def test_walk_collects_every_release_once(self):
		"""Each sub-feed's chain: exactly its releases, once each."""
		for feed, want in (('tags/alfa.atom', self.ids_with('Alfa')),
				('tags/beta.atom', self.ids_with('Beta')),
				('langs/sv.atom', self.all_ids())):
			with self.subTest(feed=feed):
				chain = self.walk(os.path.join(self.ws.out, feed))
				got = [i for _, ids, _ in chain for i in ids]
				self.assertEqual(len(got), len(set(got)), 'an entry twice')
				self.assertEqual(sorted(got), want)
				self.assertEqual(len(chain[0][1]), MAX)
				fid = text_of(chain[0][2], 'a:id')
				self.assertTrue(fid.endswith(feed[:-5]), fid)
				self.assertIsNone(chain[0][2].find(FH))
				for i, (path, ids, root) in enumerate(chain[1:], 1):
					self.assertEqual(os.path.dirname(os.path.relpath(path,
						self.ws.out)), 'feed-archive/' + feed[:-5])
					self.assertIsNotNone(root.find(FH), path)
					self.assertEqual(text_of(root, 'a:id'), fid)
					self.assertEqual(text_of(root, 'a:title'),
						text_of(chain[0][2], 'a:title'))
					self.assertEqual(self.link(root, 'current'),
						ft.BASE_URL + feed)
					self.assertEqual(self.link(root, 'self'), ft.BASE_URL +
						os.path.relpath(path, self.ws.out))
					nxt = self.link(root, 'next-archive')
					self.assertEqual(nxt and self.url_path(nxt),
						chain[i - 1][0] if i > 1 else None)
		# A tag's archives: a year each; the language's: a month each.
		self.assertEqual(self.names('tags/alfa.atom'), ['2023.atom',
			'2022.atom', '2021.atom'])
		self.assertEqual(self.names('tags/beta.atom'), ['2023.atom'])
		sv = self.names('langs/sv.atom')
		self.assertEqual(sv[0], '2023-09.atom')
		self.assertEqual(sv[-3:], ['2022-11.atom', '2022-03.atom',
			'2021-06.atom'])
		# Two releases: no archive, no folder.
		root = ET.parse(os.path.join(self.ws.out, 'tags/gamma.atom')) \
			.getroot()
		self.assertIsNone(self.link(root, 'prev-archive'))
		self.assertFalse(os.path.exists(os.path.join(self.ws.out,
			'feed-archive', 'tags', 'gamma')))
		# RSS and JSON Feed: the newest five, no archive link.
		root = ET.parse(os.path.join(self.ws.out, 'tags/alfa.rss')).getroot()
		self.assertEqual(len(root.findall('channel/item')), MAX)

	def test_new_release_touches_the_newest_archive_only(self):
		before = self.hashes()
		self.publish()
		self.assertEqual(self.changed(before), [])
		put_tagged(self.ws, 10, 28, tags=['Alfa'])
		self.publish()
		# Alfa's 2023-08-25 leaves tags/alfa.atom for its year; main's
		# and sv's 2023-09-15 leave theirs; Beta's archive stays.
		self.assertEqual(self.changed(before), ['2023-09.atom',
			'langs/sv/2023-09.atom', 'tags/alfa/2023.atom'])
		before = self.hashes()
		put_tagged(self.ws, 10, 29, tags=['Beta'])
		self.publish()
		# Main's and sv's 2023-09-25 leave; Beta's 2023-06-15 joins
		# its year's archive, Alfa's stay.
		self.assertEqual(self.changed(before), ['2023-09.atom',
			'langs/sv/2023-09.atom', 'tags/beta/2023.atom'])
		chain = self.walk(os.path.join(self.ws.out, 'tags/alfa.atom'))
		self.assertEqual(len([i for _, ids, _ in chain for i in ids]),
			len(self.ids_with('Alfa')) + 1)
		# The first of a year: a new archive, and its older neighbour's
		# next-archive link.
		put_tagged(self.ws, 6, 1, tags=['Delta'], year=2022)
		for k in range(MAX):
			put_tagged(self.ws, 1, 1 + k, tags=['Delta'], year=2024)
		self.publish()
		self.assertEqual(self.names('tags/delta.atom'), ['2022.atom'])
		before = self.hashes()
		put_tagged(self.ws, 2, 1, tags=['Delta'], year=2024)
		self.publish()
		self.assertEqual([k for k in self.changed(before)
			if k.startswith('tags/')], ['tags/delta/2022.atom',
			'tags/delta/2024.atom'])
		self.assertEqual(self.names('tags/delta.atom'), ['2024.atom',
			'2022.atom'])
		before = self.hashes()
		put_tagged(self.ws, 4, 1, tags=['Delta'], year=2024)
		self.publish()
		self.assertEqual([k for k in self.changed(before)
			if k.startswith('tags/')], ['tags/delta/2024.atom'])

	def test_edit_touches_only_the_archive_holding_it(self):
		before = self.hashes()
		put_tagged(self.ws, 3, 5, title='R 3-5 rättad')
		self.publish()
		self.assertEqual(self.changed(before), ['2023-03.atom',
			'langs/sv/2023-03.atom', 'tags/alfa/2023.atom'])
		before = self.hashes()
		put_tagged(self.ws, 3, 5, title='R 3-5 2022 rättad', year=2022)
		self.publish()
		self.assertEqual(self.changed(before), ['2022-03.atom',
			'langs/sv/2022-03.atom', 'tags/alfa/2022.atom'])
		# Dated back into a year of its own: that archive, and the
		# neighbours' links to it.
		before = self.hashes()
		put_tagged(self.ws, 1, 5, tags=['Alfa'], year=2019)
		self.publish()
		self.assertEqual(self.changed(before), ['2019-01.atom',
			'2021-06.atom', 'langs/sv/2019-01.atom',
			'langs/sv/2021-06.atom', 'tags/alfa/2019.atom',
			'tags/alfa/2021.atom'])

	def test_removal_and_an_emptied_month(self):
		"""A year emptied goes and its neighbours link past it; a tag
		gone takes its archives' folder along; archives turned off take
		them all."""
		before = self.hashes()
		os.unlink(self.ws.release(slug(6, 5, 2021) + '.md'))
		self.publish()
		self.assertEqual([k for k in self.changed(before)
			if k.startswith('tags/')], ['tags/alfa/2021.atom',
			'tags/alfa/2022.atom'])
		self.assertEqual(self.names('tags/alfa.atom'), ['2023.atom',
			'2022.atom'])
		for m in range(1, 11):
			put_tagged(self.ws, m, 15, tags=[])
		self.publish()
		self.assertFalse(os.path.exists(os.path.join(self.ws.out,
			'feed-archive', 'tags', 'beta')))
		self.assertFalse(os.path.exists(os.path.join(self.ws.out,
			'tags', 'beta.atom')))
		self.assertTrue(any(k.startswith('tags/alfa/') for k in
			self.hashes()))
		f = ft.default_feed()
		f.update({'max_entries': str(MAX), 'tag_feeds': 'true'})
		self.ws.write_config(feed=f)
		self.publish()
		self.assertEqual(self.hashes(), {})
		root = ET.parse(os.path.join(self.ws.out, 'tags/alfa.atom')) \
			.getroot()
		self.assertIsNone(self.link(root, 'prev-archive'))

	def test_off_by_default(self):
		pass	# Archives.test_off_by_default covers the sub-feeds' too

	def walk_all(self):
		"""Each chain collects exactly its releases, once each."""
		for feed, want in (('feed.atom', self.all_ids()),
				('tags/alfa.atom', self.ids_with('Alfa')),
				('tags/beta.atom', self.ids_with('Beta')),
				('langs/sv.atom', self.all_ids())):
			chain = self.walk(os.path.join(self.ws.out, feed))
			got = [i for _, ids, _ in chain for i in ids]
			self.assertEqual(sorted(got), want, feed)
			self.assertEqual(len(got), len(set(got)), feed)

	def test_period_changed(self):
		"""Another period: the archives of the new one are written, every
		one of the old layout removed, each chain whole again."""
		self.feed.update({'archive_period': 'year',
			'tag_archive_period': 'month'})
		self.ws.write_config(feed=self.feed)
		self.publish()
		names = sorted(self.hashes())
		self.assertEqual([n for n in names if '/' not in n], ['2021.atom',
			'2022.atom', '2023.atom'])
		self.assertEqual([n for n in names if n.startswith('langs/')],
			['langs/sv/2021.atom', 'langs/sv/2022.atom',
			'langs/sv/2023.atom'])
		self.assertEqual(self.names('tags/alfa.atom'), ['2023-08.atom',
			'2023-07.atom', '2023-06.atom', '2023-05.atom', '2023-04.atom',
			'2023-03.atom', '2023-02.atom', '2023-01.atom', '2022-11.atom',
			'2022-03.atom', '2021-06.atom'])
		self.assertEqual(len([n for n in names if n.startswith('tags/')]),
			11 + 5)		# Alfa's months, Beta's 2023-01..05
		self.walk_all()
		# And back: the defaults.
		del self.feed['archive_period'], self.feed['tag_archive_period']
		self.ws.write_config(feed=self.feed)
		self.publish()
		self.assertEqual(self.names('tags/alfa.atom'), ['2023.atom',
			'2022.atom', '2021.atom'])
		self.assertNotIn('2023.atom', self.hashes())
		self.assertIn('2023-09.atom', self.hashes())
		self.walk_all()


class DaemonSubFeedArchives(dt.DaemonCase):
	"""In daemon mode a publish sweeps a folder only when what it should
	hold changed: a month emptied, a tag gone, a file by hand there are
	still removed when they should be."""

	def test_removals_while_running(self):
		for m in range(1, 11):
			for d in (5, 15, 25):
				put_tagged(self.ws, m, d)
		feed = {'max_entries': str(MAX), 'archives': 'true', 'tag_feeds':
			'true', 'tag_archive_period': 'month'}
		self.write_config(feed=feed, extra='[pages]\nenabled = false\n')
		self.start(write_config=False)
		out = self.ws.out

		def exists(*rel):
			return os.path.exists(os.path.join(out, *rel))
		self.wait(lambda: exists('feed-archive', 'tags', 'beta',
			'2023-05.atom'), 'the archives of tags/beta')
		# A temp file a killed run left there goes at the next start.
		temp = os.path.join(out, 'feed-archive', 'tags', 'beta',
			'.2023-05.atom.Ab12Cd')
		with open(temp, 'w') as f:
			f.write('<feed')
		self.daemon.stop()
		self.start(write_config=False)
		self.wait(lambda: not os.path.exists(temp), 'the temp file removed')
		# An unrelated change: nothing is swept, nothing goes.
		put_tagged(self.ws, 10, 25, title='R 10-25 rättad')
		self.wait(lambda: 'rättad' in open(os.path.join(out, 'tags',
			'alfa.atom'), encoding='utf-8').read(), 'the edit')
		self.assertTrue(exists('feed-archive', 'tags', 'beta',
			'2023-05.atom'))
		# A month of Alfa emptied: its archive goes.
		for d in (5, 25):
			put_tagged(self.ws, 2, d, tags=['Beta'])
		self.wait(lambda: not exists('feed-archive', 'tags', 'alfa',
			'2023-02.atom'), 'alfa 2023-02 removed')
		self.assertTrue(exists('feed-archive', 'tags', 'alfa',
			'2023-03.atom'))
		# Beta gone: its feeds and its archive folder go.
		for m in range(1, 11):
			put_tagged(self.ws, m, 15, tags=['Alfa'])
		for d in (5, 25):
			put_tagged(self.ws, 2, d, tags=['Alfa'])
		self.wait(lambda: not exists('tags', 'beta.atom') and not
			exists('feed-archive', 'tags', 'beta'), 'beta removed')
		self.assertTrue(exists('feed-archive', 'tags', 'alfa',
			'2023-02.atom'))
		# Another period by a reload: the months go, the year comes.
		del feed['tag_archive_period']
		self.write_config(feed=feed, extra='[pages]\nenabled = false\n')
		self.daemon.signal(signal.SIGHUP)
		self.wait(lambda: os.listdir(os.path.join(out, 'feed-archive',
			'tags', 'alfa')) == ['2023.atom'], 'alfa in one year')
		self.assertTrue(exists('feed-archive', '2023-02.atom'))


if __name__ == '__main__':
	unittest.main()
