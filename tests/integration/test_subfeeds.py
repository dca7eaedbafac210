"""Sub-feeds per tag, type and language ([feed] tag_feeds, type_feeds,
lang_feeds): every document through feedparser, xmllint --relaxng and the
JSON Feed checks; their entries, self links and hub links; slugs and
their clashes; only the documents a change touches are rewritten; stale
ones go; newsboat reads a tag feed over the daemon's HTTP server.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_subfeeds.py
"""

import glob
import html.parser
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
import feedparser  # noqa: E402
import hubtest as ht  # noqa: E402
import jsonfeedtest as jt  # noqa: E402
from feedtest import NS, text_of  # noqa: E402

# (file, front matter): newest first by date.
RELEASES = [
	('n4.md', 'title: Fyra\ndate: 2025-04-01T10:00:00+02:00\n'
		'tags: [mollan, "Trygghet"]\nlang: en\n'),
	('n3.md', 'title: Tre\ndate: 2025-03-01T10:00:00+01:00\n'
		'tags: [Brottsförebyggande, Möllan]\ntype: Nyhet\n'),
	('n2.md', 'title: Två\ndate: 2025-02-01T10:00:00+01:00\n'
		'tags: [brottsförebyggande, "日本語"]\ntype: Pressmeddelande\n'),
	('n1.md', 'title: Ett\ndate: 2025-01-01T10:00:00+01:00\n'
		'tags: [Trygghet, "A & <B>"]\ntype: Pressmeddelande\n'),
]


class Alternates(html.parser.HTMLParser):
	"""The hrefs of a page's <link rel="alternate">, in order."""

	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.hrefs = []

	def handle_starttag(self, tag, attrs):
		a = dict(attrs)
		if tag == 'link' and a.get('rel') == 'alternate':
			self.hrefs.append(a['href'])


def feed_section(**more):
	f = ft.default_feed()
	f.update({'json': 'true', 'tag_feeds': 'true', 'type_feeds': 'true',
		'lang_feeds': 'true'})
	f.update(more)
	return f


def put(ws, name, fm, body='Text.'):
	ft.write_release(ws.release(name), '---\n%s---\n%s\n' % (fm, body))


class Once(ft.FeedCase, jt.Checks):

	def setUp(self):
		self.ws = self.new_workspace()
		for name, fm in RELEASES:
			put(self.ws, name, fm)
		self.ws.write_config(feed=feed_section(), extra='\n[hub]\n'
			'enabled = true\n')
		self.run_ = self.ws.run('--once')
		self.assertRunOK(self.run_)

	def out(self, *rel):
		return os.path.join(self.ws.out, *rel)

	def docs(self, ext):
		return sorted(os.path.relpath(p, self.ws.out) for d in
			('tags', 'types', 'langs') for p in
			glob.glob(self.out(d, '*' + ext)))

	def titles(self, rel):
		root = ET.parse(self.out(rel)).getroot()
		return [text_of(e, 'a:title') for e in root.findall('a:entry', NS)]

	def test_every_document_is_valid(self):
		atoms = self.docs('.atom')
		self.assertGreaterEqual(len(atoms), 10)
		self.assertEqual([a[:-5] for a in atoms],
			[j[:-5] for j in self.docs('.json')])
		self.assertEqual([a[:-5] for a in atoms],
			[r[:-4] for r in self.docs('.rss')])
		main = ET.parse(self.ws.atom).getroot()
		hubs = [l.get('href') for l in main.findall('a:link[@rel="hub"]',
			NS)]
		self.assertEqual(hubs, [ft.BASE_URL + 'hub'])
		ids = set()
		for rel in atoms:
			with self.subTest(doc=rel):
				self.assertAtomSchema(self.out(rel))
				d = self.assertFeedparserOK(self.out(rel))
				root = ET.parse(self.out(rel)).getroot()
				self.assertEqual(root.find('a:link[@rel="self"]', NS)
					.get('href'), ft.BASE_URL + rel)
				self.assertEqual([l.get('href') for l in root.findall(
					'a:link[@rel="hub"]', NS)], hubs)
				fid = text_of(root, 'a:id')
				self.assertNotIn(fid, ids)
				ids.add(fid)
				self.assertGreater(len(d.entries), 0)
				rss = self.assertFeedparserOK(self.out(rel[:-5] + '.rss'))
				self.assertEqual([e.title for e in rss.entries],
					[e.title for e in d.entries])
				doc = self.assertJsonFeed(self.out(rel[:-5] + '.json'))
				self.assertEqual(doc['feed_url'], ft.BASE_URL + rel[:-5] +
					'.json')
				self.assertEqual([h['url'] for h in doc['hubs']], hubs)
				self.assertEqual([i['id'] for i in doc['items']],
					[text_of(e, 'a:id') for e in
					root.findall('a:entry', NS)])

	def test_entries_and_slugs(self):
		self.assertEqual(self.titles('tags/trygghet.atom'), ['Fyra', 'Ett'])
		self.assertEqual(self.titles('types/pressmeddelande.atom'),
			['Två', 'Ett'])
		self.assertEqual(self.titles('types/nyhet.atom'), ['Tre'])
		self.assertEqual(self.titles('langs/en.atom'), ['Fyra'])
		self.assertEqual(self.titles('langs/sv.atom'), ['Tre', 'Två', 'Ett'])
		self.assertEqual(self.titles('tags/a-b.atom'), ['Ett'])
		root = ET.parse(self.out('tags/trygghet.atom')).getroot()
		self.assertEqual(text_of(root, 'a:title'), ft.FEED_TITLE +
			': Trygghet')
		# One slug, two spellings: both kept apart, and said so.
		self.assertEqual(self.titles('tags/mollan.atom'), ['Fyra'])
		other = [p for p in self.docs('.atom')
			if p.startswith('tags/mollan-')]
		self.assertEqual(len(other), 1, self.docs('.atom'))
		self.assertEqual(self.titles(other[0]), ['Tre'])
		self.assertIn('warning: tags "Möllan" shares its slug with '
			'another: its feeds are %s' % other[0], self.run_.stderr)
		self.assertIn('warning: tags "mollan" shares its slug',
			self.run_.stderr)
		b = [p for p in self.docs('.atom')
			if p.startswith('tags/brottsforebyggande')]
		self.assertEqual(len(b), 2, b)
		# Another script: a hash, and a URL-safe name.
		for p in self.docs('.atom'):
			self.assertTrue(p.isascii() and ' ' not in p and '%' not in p,
				p)

	def test_only_touched_documents_rewritten_and_stale_removed(self):
		def stamps():
			return {p: os.stat(self.out(p)).st_mtime_ns for p in
				self.docs('.atom') + self.docs('.rss') +
				self.docs('.json')}
		before = stamps()
		time.sleep(0.02)
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(stamps(), before)
		put(self.ws, 'n5.md', 'title: Fem\ndate: 2025-05-01T10:00:00+02:00\n'
			'tags: [Trygghet]\ntype: Nyhet\n')
		self.assertRunOK(self.ws.run('--once'))
		after = stamps()
		changed = sorted(p for p in after if after[p] != before.get(p))
		self.assertEqual(changed, sorted(
			'%s.%s' % (d, e) for d in ('tags/trygghet', 'types/nyhet',
			'langs/sv') for e in ('atom', 'json', 'rss')))
		self.assertEqual(self.titles('tags/trygghet.atom'),
			['Fem', 'Fyra', 'Ett'])
		# The only release of type Nyhet and of "日本語" go: their feeds too.
		os.unlink(self.ws.release('n3.md'))
		os.unlink(self.ws.release('n5.md'))
		os.unlink(self.ws.release('n2.md'))
		self.assertRunOK(self.ws.run('--once'))
		self.assertFalse(os.path.exists(self.out('types/nyhet.atom')))
		self.assertEqual([p for p in self.docs('.json')
			if p.startswith('tags/mollan-')], [])
		left = self.docs('.atom')
		self.assertEqual(left, ['langs/en.atom', 'langs/sv.atom',
			'tags/a-b.atom', 'tags/mollan.atom', 'tags/trygghet.atom',
			'types/pressmeddelande.atom'])
		# Turned off: every sub-feed goes.
		self.ws.write_config(feed=ft.default_feed())
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(self.docs('.atom') + self.docs('.json') +
			self.docs('.rss'), [])


class Daemon(ht.HubCase):
	"""A tag feed over the daemon's HTTP server, read by newsboat."""

	def test_newsboat_and_hub(self):
		for name, fm in RELEASES:
			put(self.ws, name, fm)
		self.start_hub(feed=feed_section())
		status, headers, body = self.get('tags/trygghet.atom')
		self.assertEqual(status, 200)
		self.assertTrue(headers['Content-Type'].startswith(
			'application/atom+xml'))
		if shutil.which('newsboat') is not None:
			urls, cache = self.ws.path('urls'), self.ws.path('nb.db')
			conf = self.ws.path('nb.conf')
			open(conf, 'w').close()
			url = self.base + 'tags/trygghet.atom'
			with open(urls, 'w') as f:
				f.write(url + '\n')
			proc = subprocess.run(['newsboat', '-u', urls, '-c', cache,
				'-C', conf, '-x', 'reload'], stdin=subprocess.DEVNULL,
				capture_output=True, timeout=60,
				env=dict(os.environ, HOME=self.ws.dir))
			self.assertEqual(proc.returncode, 0, proc.stderr)
			db = sqlite3.connect(cache)
			try:
				got = sorted(r[0] for r in db.execute('SELECT title FROM '
					'rss_item WHERE feedurl = ?', (url,)))
			finally:
				db.close()
			self.assertEqual(got, ['Ett', 'Fyra'])
		else:
			print('SKIP: newsboat not installed', file=sys.stderr)
		status, _, body = self.get('types/pressmeddelande.json')
		self.assertEqual(status, 200)

		# The daemon skips documents whose stamp is unchanged: an edit
		# in place, twice within a second, still reaches each of its
		# sub-feeds, on disk and served.
		def has(rel, text):
			try:
				with open(os.path.join(self.ws.out, rel),
						encoding='utf-8') as f:
					return text in f.read()
			except FileNotFoundError:
				return False
		for title in ('Ett rättad', 'Ett rättad igen'):
			put(self.ws, 'n1.md', RELEASES[3][1].replace('title: Ett',
				'title: ' + title))
			for rel in ('tags/trygghet.atom', 'tags/a-b.rss',
					'types/pressmeddelande.json', 'langs/sv.atom'):
				dt.wait_for(lambda: has(rel, title), what='%s in %s' %
					(title, rel))
			dt.wait_for(lambda: title.encode() in self.get(
				'tags/trygghet.atom')[2], what='served ' + title)
		self.assertFalse(has('tags/mollan.atom', 'rättad'))


	def discovered(self, slug):
		"""The sub-feed URLs release slug's page, as served, autodiscovers
		(<link rel="alternate"> beyond the main feeds), on this server."""
		status, _, body = self.get('releases/%s.html' % slug)
		self.assertEqual(status, 200)
		p = Alternates()
		p.feed(body.decode())
		return [self.base + h[len(ft.BASE_URL):] for h in p.hrefs
			if h[len(ft.BASE_URL):].startswith(('tags/', 'types/', 'langs/'))]

	def test_release_page_autodiscovers_its_feeds(self):
		"""feedparser reads each feed n3's page autodiscovers, over HTTP;
		when a clash goes (mollan's only release removed), Möllan takes
		the plain name and n3's page, unchanged itself, links it there."""
		for name, fm in RELEASES:
			put(self.ws, name, fm)
		self.start_hub(feed=feed_section())
		urls = self.discovered('n3')
		self.assertEqual(len(urls), 4 * 3, urls)	# 2 tags, type, lang
		for url in urls:
			if url.endswith('.json'):
				continue	# this feedparser reads XML only
			d = feedparser.parse(url)
			self.assertEqual(d.bozo, 0, (url, d.get('bozo_exception')))
			self.assertEqual(d.get('status'), 200, url)
			self.assertIn('Tre', [e.title for e in d.entries], url)
		moved = [u for u in urls if '/tags/mollan-' in u]
		self.assertEqual(len(moved), 3, urls)
		os.unlink(self.ws.release('n4.md'))
		dt.wait_for(lambda: self.base + 'tags/mollan.atom' in
			self.discovered('n3'), what='n3 linking tags/mollan.atom')
		self.assertEqual([u for u in self.discovered('n3')
			if '/tags/mollan-' in u], [])
		d = feedparser.parse(self.base + 'tags/mollan.atom')
		self.assertEqual([e.title for e in d.entries], ['Tre'])

	def test_tag_feed_archives_served(self):
		"""A tag feed's archive chain over the embedded server, and a new
		archive document served once a release pushes one out."""
		for name, fm in RELEASES:
			put(self.ws, name, fm)
		self.start_hub(feed=feed_section(archives='true', max_entries='1'))

		def chain():
			titles, url = [], 'tags/trygghet.atom'
			for _ in range(10):
				status, _, body = self.get(url)
				self.assertEqual(status, 200, url)
				root = ET.fromstring(body)
				titles += [text_of(e, 'a:title') for e in
					root.findall('a:entry', NS)]
				prev = root.find('a:link[@rel="prev-archive"]', NS)
				if prev is None:
					return titles
				url = prev.get('href')[len(ft.BASE_URL):]
			self.fail('the chain does not end')
		self.assertEqual(chain(), ['Fyra', 'Ett'])
		put(self.ws, 'n5.md', 'title: Fem\ndate: 2025-05-01T10:00:00+02:00\n'
			'tags: [Trygghet]\n')
		dt.wait_for(lambda: chain() == ['Fem', 'Fyra', 'Ett'],
			what='the chain with Fem, over HTTP')

	def test_only_the_sub_feeds_of_a_changed_release_are_rendered(self):
		"""A sub-feed none of whose releases changed is not rendered
		again (counted in the log); each one holding an edited release
		is, and carries the edit."""
		for name, fm in RELEASES:
			put(self.ws, name, fm)
		d = self.start_hub(feed=feed_section())
		dt.wait_for(lambda: d.publish_count() >= 1, what='a publish')

		def counts():
			return [l for l in d.stderr_lines()
				if 'sub-feeds: ' in l and 'as before' in l]
		first = len(counts())
		mollan = os.stat(os.path.join(self.ws.out,
			'tags/mollan.atom')).st_mtime_ns
		# n1: tags Trygghet and "A & <B>", type Pressmeddelande, sv.
		put(self.ws, 'n1.md', RELEASES[3][1].replace('title: Ett',
			'title: Ett igen'))

		def edited():
			for rel in ('tags/trygghet.atom', 'tags/a-b.rss',
					'types/pressmeddelande.json', 'langs/sv.atom'):
				with open(os.path.join(self.ws.out, rel), 'rb') as f:
					if b'Ett igen' not in f.read():
						return False
			return True
		dt.wait_for(edited, what='the edit in each of its sub-feeds')
		lines = counts()[first:]
		self.assertTrue(lines)
		total = int(lines[0].split(' of ')[1].split()[0])
		self.assertTrue(any('sub-feeds: %d of %d as before' % (total - 4,
			total) in l for l in lines), lines)
		self.assertEqual(os.stat(os.path.join(self.ws.out,
			'tags/mollan.atom')).st_mtime_ns, mollan)

	def test_hub_announces_a_tag_feed_when_its_bytes_change(self):
		"""An aggregator subscribed to tags/trygghet.atom gets the new
		bytes when a release with that tag comes, nothing when a release
		without it does (the main feed changes both times)."""
		for name, fm in RELEASES:
			put(self.ws, name, fm)
		self.start_hub(feed=feed_section())
		topic = ft.BASE_URL + 'tags/trygghet.atom'
		sub = self.subscriber()
		main = self.subscriber()
		cb, mcb = sub.url('/tag'), main.url('/main')
		self.assertEqual(self.subscribe(cb, topic=topic)[0], 202)
		self.assertEqual(self.subscribe(mcb)[0], 202)
		self.subscribed(cb, topic)
		self.subscribed(mcb)
		# Without the tag: the main feed is announced, the tag feed not.
		put(self.ws, 'n5.md', 'title: Fem\ndate: 2025-05-01T10:00:00Z\n'
			'tags: [Annat]\n')
		self.wait_delivered(main, 1, '/main')
		self.quiet()
		self.assertEqual(sub.got('/tag'), [])
		# With it: the tag feed's new bytes, as served, with its self.
		put(self.ws, 'n6.md', 'title: Sex\ndate: 2025-06-01T10:00:00Z\n'
			'tags: [Trygghet]\n')
		(_, headers, body), = self.wait_delivered(sub, 1, '/tag')
		self.assertIn(b'<title type="text">Sex</title>', body)
		self.assertEqual(body, self.served_plain('tags/trygghet.atom')[1])
		self.assertTrue(headers['Content-Type'].startswith(
			'application/atom+xml'))
		self.assertIn('<%s>; rel="self"' % topic, headers['Link'])
		self.quiet()
		self.assertEqual(len(sub.got('/tag')), 1)


if __name__ == '__main__':
	unittest.main()
