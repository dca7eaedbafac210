"""feedpubd --once on the good corpus: both feeds, their content and reruns.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_once.py
"""

import html
import email.utils
import datetime
import os
import shutil
import sqlite3
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
from feedtest import NS, XML_LANG, text_of  # noqa: E402

HOST = 'news.example.org'


def default_id(slug, tag_date='2000', host=HOST, path='/'):
	return 'tag:%s,%s:%sreleases/%s' % (host, tag_date, path, slug)


def default_link(slug, base=ft.BASE_URL):
	return base + 'releases/' + slug + '.html'


def rfc822(rfc3339):
	s = rfc3339.replace('Z', '+00:00')
	return email.utils.format_datetime(datetime.datetime.fromisoformat(s))


def rel(title, slug, published, **kw):
	r = {
		'title': title,
		'slug': slug,
		'published': published,
		'updated': published,
		'id': default_id(slug),
		'link': default_link(slug),
		'authors': [ft.FEED_AUTHOR],
		'tags': [],
		'lang': None,
		'summary': None,
		'own_summary': False,	# the front matter's (Atom shows only it)
	}
	r.update(kw)
	return r


# The good corpus as it must come out, newest first. mtime: files without a
# date get this modification time (UTC) before the run.
GOOD = [
	rel('Ny cykelbana längs Ågatan', '2024-03-04-cykelbana',
		'2024-03-04T09:30:00+01:00',
		updated='2024-03-05T14:00:00+01:00',
		id='tag:news.example.org,2024:cykelbana',
		link='https://www.example.org/press/cykelbana',
		authors=['Anna Berg', 'Pressbyrån Öst'],
		tags=['transport', 'cykel'],
		summary='Cykelbanan längs Ågatan öppnar för trafik den 2 april.',
		own_summary=True),
	rel('City council adopts climate plan', '2023-05-17-climate-plan',
		'2023-05-17T00:00:00+02:00', lang='en', authors=['Maria Lind'],
		tags=['climate', 'council'],
		summary='The city council adopted the new climate plan on '
		'Wednesday. Emissions from municipal transport are to be '
		'halved by 2030.'),
	rel('Budget 2023: 12\u00a0miljoner till skolgårdar',
		'2022-11-11-budget', '2022-11-11T10:00:00+01:00',
		tags=['budget', 'skola'],
		summary='Kommunfullmäktige har beslutat att avsätta '
		'12\u00a0miljoner kronor till upprustning av skolgårdar under '
		'2023.'),
	rel('Pressträff i hamnen', 'hamnen', '2022-02-22T11:00:00+01:00',
		file='hamnen.md', mtime='2022-02-22T10:00:00Z',
		summary='Välkommen till pressträff i hamnen på fredag.'),
	rel('Öppet hus på Älvsjö skola', '2021-09-01-oppet-hus-pa-alvsjo-skola',
		'2021-09-01T13:00:00+02:00',
		summary='Älvsjö skola bjuder in till öppet hus på lördag. Elever '
		'visar sina projekt och rektorn svarar på frågor om den nya '
		'skolgården.'),
	rel('Vattenavstängning på Norra Vägen', 'vattenavstangning',
		'2020-03-15T08:30:00+01:00', file='vattenavstangning.txt',
		mtime='2020-03-15T07:30:00Z',
		summary='Tisdagen den 17 mars stängs vattnet av på Norra Vägen '
		'1–15 mellan klockan 08 och 14. Berörda fastigheter har fått '
		'brev.'),
	rel('Trygghet & säkerhet på Möllan: <10 minuter till polisen',
		'2019-12-10-trygghet', '2019-12-10T08:54:00+01:00',
		authors=['Säkerhetsenheten'], tags=['trygghet', 'Möllan'],
		summary='Staden och polisen inleder ett samarbete för ökad '
		'trygghet på Möllevångstorget. Målet är att ingen ska behöva '
		'vänta mer än tio minuter.'),
	rel('Sommaröppet på stadsbiblioteket', '2019-07-01-sommar',
		'2019-07-01T12:00:00+02:00',
		summary='Stadsbiblioteket har sommaröppet från och med i dag. '
		'Läsesalen är öppen vardagar klockan 10–16 fram till den 18 '
		'augusti.'),
	rel('Nationaldagsfirande i Stadsparken', '2018-06-06-nationaldagen',
		'2018-06-06T10:00:00Z'),
	rel('Polling stations open late on election day', '2016-10-24-valet',
		'2016-10-24T18:00:00-04:00',
		id='https://www.example.org/press/2016/valet', lang='en',
		authors=['Election Office'], tags=['election'],
		summary='All polling stations in the city stay open until nine '
		'in the evening. Bring a valid ID card.'),
]
GOOD_TITLES = [r['title'] for r in GOOD]
BY_TITLE = {r['title']: r for r in GOOD}
FEED_UPDATED = '2024-03-05T14:00:00+01:00'

ABSENT_TITLES = ['UTKAST Nytt parkeringshus', 'EMBARGO Nyårstal 2099']

# Created at run time (git ignores some of these names): never published.
IGNORED = ['.dold.md', '.dold-mapp/inne.md', 'kopia.md~', 'kopia.md.swp',
	'kopia.md.tmp', '#kopia.md#', 'bild.jpg', 'sida.html', 'LASMIG']


def prepare_good(ws):
	for r in GOOD:
		if 'mtime' in r:
			ft.set_mtime(ws.release(r['file']), r['mtime'])
	for i, name in enumerate(IGNORED):
		ft.write_release(ws.release(name),
			'---\ntitle: IGNORERAD %d\ndate: 2020-01-0%dT10:00:00Z\n'
			'---\n\nDen här filen ska inte publiceras.\n' % (i, i % 9 + 1))


def alternate(entry):
	for l in entry.findall('a:link', NS):
		if l.get('rel', 'alternate') == 'alternate':
			return l.get('href')
	return None


class GoodCorpus(ft.OnceCase):
	"""One --once run over the good corpus, then many looks at the feeds."""

	@classmethod
	def setUpClass(cls):
		def prepare(ws):
			prepare_good(ws)
			ws.write_config()
		cls.run_once('good', prepare, lambda ws, run: run.returncode == 0)

	# These look at the files themselves, so they run (and say what is
	# wrong) even when ElementTree cannot parse the feeds.
	RAW_TESTS = ('test_exit_and_output_files', 'test_xmllint_wellformed',
		'test_atom_relaxng', 'test_feedparser_bozo',
		'test_check_mode_writes_nothing')

	def setUp(self):
		self.assertRunOK(self.run_)
		if self._testMethodName not in self.RAW_TESTS:
			self.assertIsNotNone(self.feeds, 'feeds do not parse: %s'
				% self.parse_error)

	def test_exit_and_output_files(self):
		self.assertOnlyFeeds(self.ws.out)
		self.assertEqual(self.run_.stdout, '')

	def test_no_release_errors(self):
		"""Nothing in the good corpus is worth a complaint."""
		for name in GOOD_TITLES + IGNORED:
			self.assertNotIn(name, self.run_.stderr)
		for r in GOOD:
			self.assertNotIn(r['slug'], self.run_.stderr)

	def test_xmllint_wellformed(self):
		self.assertWellFormed(self.ws.atom)
		self.assertWellFormed(self.ws.rss)

	def test_atom_relaxng(self):
		self.assertAtomSchema(self.ws.atom)

	def test_feedparser_bozo(self):
		self.assertFeedparserOK(self.ws.atom)
		self.assertFeedparserOK(self.ws.rss)

	def test_order_and_count(self):
		self.assertEqual(self.feeds.atom_titles(), GOOD_TITLES)
		self.assertEqual(self.feeds.rss_titles(), GOOD_TITLES)

	def test_draft_embargo_ignored_absent(self):
		for text in (self.feeds.atom_text, self.feeds.rss_text):
			for t in ABSENT_TITLES:
				self.assertNotIn(t, text)
			self.assertNotIn('IGNORERAD', text)
			self.assertNotIn('utkast', text)
			self.assertNotIn('framtid', text)

	def test_atom_feed_metadata(self):
		root = self.feeds.atom_root
		self.assertEqual(root.tag, '{%s}feed' % ft.ATOM_NS)
		self.assertEqual(root.get(XML_LANG), 'sv')
		self.assertEqual(text_of(root, 'a:id'), 'tag:news.example.org,2000:/')
		self.assertEqual(text_of(root, 'a:title'), ft.FEED_TITLE)
		self.assertEqual(text_of(root, 'a:subtitle'), ft.FEED_SUBTITLE)
		upd = text_of(root, 'a:updated')
		self.assertRegex(upd, r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d'
			r'(Z|[+-]\d\d:\d\d)$')
		self.assertEqual(ft.utc_epoch(upd), ft.utc_epoch(FEED_UPDATED),
			'feed updated must be the newest entry updated, got ' + upd)
		links = {l.get('rel'): l.get('href')
			for l in root.findall('a:link', NS)}
		self.assertEqual(links.get('self'), ft.BASE_URL + 'feed.atom')
		self.assertEqual(links.get('alternate'), ft.BASE_URL)
		self.assertEqual(text_of(root, 'a:author/a:name'), ft.FEED_AUTHOR)
		self.assertEqual(text_of(root, 'a:generator').strip(), 'feedpubd')

	def test_rss_channel_metadata(self):
		rss = self.feeds.rss_root
		self.assertEqual(rss.tag, 'rss')
		self.assertEqual(rss.get('version'), '2.0')
		raw = self.feeds.rss_text
		for prefix, uri in (('atom', NS['atom']),
				('content', NS['content']), ('dc', NS['dc'])):
			self.assertIn('xmlns:%s="%s"' % (prefix, uri), raw)
		ch = self.feeds.channel
		self.assertEqual(text_of(ch, 'title'), ft.FEED_TITLE)
		self.assertEqual(text_of(ch, 'link'), ft.BASE_URL)
		# RSS descriptions are HTML: the text is escaped once more.
		self.assertEqual(html.unescape(text_of(ch, 'description')),
			ft.FEED_SUBTITLE)
		self.assertEqual(text_of(ch, 'language'), 'sv')
		lbd = text_of(ch, 'lastBuildDate')
		self.assertRegex(lbd, r'^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} '
			r'\d\d:\d\d:\d\d [+-]\d{4}$')
		self.assertEqual(ft.rfc822_epoch(lbd), ft.utc_epoch(FEED_UPDATED))
		self.assertIn('feedpubd', text_of(ch, 'generator'))
		self_links = [l.get('href') for l in ch.findall('atom:link', NS)
			if l.get('rel') == 'self']
		self.assertEqual(self_links, [ft.BASE_URL + 'feed.rss'])

	def test_atom_entries(self):
		for r in GOOD:
			with self.subTest(title=r['title']):
				e = self.feeds.entry(r['title'])
				self.assertEqual(text_of(e, 'a:id'), r['id'])
				self.assertEqual(text_of(e, 'a:published'),
					r['published'])
				self.assertEqual(text_of(e, 'a:updated'), r['updated'])
				self.assertEqual(alternate(e), r['link'])
				# Every entry names its authors, the feed's when it
				# has none (readers show no inherited author).
				names = [text_of(a, 'a:name') for a in
					e.findall('a:author', NS)]
				self.assertEqual(names, r['authors'])
				self.assertEqual([c.get('term') for c in
					e.findall('a:category', NS)], r['tags'])
				self.assertEqual(e.get(XML_LANG), r['lang'])
				# Issue 9: a summary only when the editor wrote one
				# (readers that prefer it would show no more).
				s = e.find('a:summary', NS)
				if not r['own_summary']:
					self.assertIsNone(s)
				else:
					self.assertEqual(s.get('type'), 'text')
					self.assertEqual(s.text, r['summary'])
				c = e.find('a:content', NS)
				self.assertIsNotNone(c)
				self.assertEqual(c.get('type'), 'html')

	def test_rss_items(self):
		for r in GOOD:
			with self.subTest(title=r['title']):
				i = self.feeds.item(r['title'])
				self.assertEqual(text_of(i, 'link'), r['link'])
				g = i.find('guid')
				self.assertEqual(g.text, r['id'])
				if r['id'].startswith(('http://', 'https://')):
					self.assertNotEqual(g.get('isPermaLink'), 'false')
				else:
					self.assertEqual(g.get('isPermaLink'), 'false')
				self.assertEqual(text_of(i, 'pubDate'),
					rfc822(r['published']))
				if r['summary'] is not None:
					self.assertEqual(text_of(i, 'description'),
						r['summary'])
				self.assertEqual([c.text for c in i.findall('category')],
					r['tags'])
				# One dc:creator: readers show one of several only.
				# "; " joins them (issue 9: a comma is in names).
				self.assertEqual([c.text for c in
					i.findall('dc:creator', NS)],
					['; '.join(r['authors'])])
				self.assertTrue(text_of(i, 'content:encoded'))

	def test_feedparser_values(self):
		for path in (self.ws.atom, self.ws.rss):
			d = self.assertFeedparserOK(path)
			self.assertEqual(len(d.entries), len(GOOD))
			self.assertEqual([e.title for e in d.entries], GOOD_TITLES)
			for e in d.entries:
				r = BY_TITLE[e.title]
				with self.subTest(feed=path, title=r['title']):
					self.assertEqual(e.id, r['id'])
					self.assertEqual(e.link, r['link'])
					self.assertEqual(ft.struct_epoch(e.published_parsed),
						ft.utc_epoch(r['published']))
					if path == self.ws.atom:
						self.assertEqual(
							ft.struct_epoch(e.updated_parsed),
							ft.utc_epoch(r['updated']))
					self.assertEqual([t.term for t in e.get('tags', [])],
						r['tags'])
					names = [a.get('name') for a in
						e.get('authors', [])]
					self.assertEqual(names, r['authors']
						if path == self.ws.atom
						else ['; '.join(r['authors'])])
					if r['summary'] is not None and (
							path == self.ws.rss or r['own_summary']):
						self.assertEqual(e.summary, r['summary'])
			self.assertEqual(d.feed.title, ft.FEED_TITLE)

	def test_feedparser_feed_level(self):
		d = self.assertFeedparserOK(self.ws.atom)
		self.assertEqual(d.feed.id, 'tag:news.example.org,2000:/')
		self.assertEqual(d.feed.subtitle, ft.FEED_SUBTITLE)
		self.assertEqual(ft.struct_epoch(d.feed.updated_parsed),
			ft.utc_epoch(FEED_UPDATED))
		self.assertEqual(d.feed.author_detail.name, ft.FEED_AUTHOR)

	def test_markdown_rendering(self):
		c = text_of(self.feeds.entry('Ny cykelbana längs Ågatan'),
			'a:content')
		self.assertIn('<strong>klar</strong>', c)
		self.assertIn('<table>', c)
		self.assertIn('Ågatan–Storgatan', c)
		self.assertIn('<h2>Fakta</h2>', c)
		self.assertIn('<del>helt</del>', c)
		self.assertIn('<a href="https://www.example.org/cykel">', c)
		rss = text_of(self.feeds.item('Ny cykelbana längs Ågatan'),
			'content:encoded')
		self.assertIn('<table>', rss)
		self.assertIn('<strong>klar</strong>', rss)

	def test_raw_html_escaped(self):
		title = 'Trygghet & säkerhet på Möllan: <10 minuter till polisen'
		for c in (text_of(self.feeds.entry(title), 'a:content'),
				text_of(self.feeds.item(title), 'content:encoded')):
			self.assertIn('&lt;script&gt;', c)
			self.assertNotIn('<script', c)
			self.assertIn('Satsningen pågår', c)

	def test_special_title_round_trip(self):
		"""'&', '<' and å ä ö survive both feeds and feedparser."""
		title = 'Trygghet & säkerhet på Möllan: <10 minuter till polisen'
		self.assertIn('&amp; säkerhet på Möllan: &lt;10', self.feeds.atom_text)
		self.assertIn('&amp; säkerhet på Möllan: &lt;10', self.feeds.rss_text)
		for path in (self.ws.atom, self.ws.rss):
			d = self.assertFeedparserOK(path)
			self.assertIn(title, [e.title for e in d.entries])

	def test_no_front_matter(self):
		e = self.feeds.entry('Pressträff i hamnen')
		c = text_of(e, 'a:content')
		self.assertNotIn('<h1', c)
		self.assertNotIn('Pressträff i hamnen', c)
		self.assertIn('<strong>pressträff</strong>', c)
		self.assertIn('Kaffe serveras', c)

	def test_plain_text_release(self):
		title = 'Vattenavstängning på Norra Vägen'
		for c in (text_of(self.feeds.entry(title), 'a:content'),
				text_of(self.feeds.item(title), 'content:encoded')):
			self.assertEqual(c.count('<p>'), 2, c)
			self.assertEqual(c.count('</p>'), 2, c)
			self.assertTrue(c.lstrip().startswith('<p>Tisdagen'), c)
			self.assertNotIn(title, c)
			self.assertIn('Vatten &amp; Avlopp', c)
			self.assertIn('&lt;b&gt;inte&lt;/b&gt;', c)
			self.assertNotIn('<b>', c)

	def test_nbsp_kept(self):
		title = 'Budget 2023: 12\u00a0miljoner till skolgårdar'
		self.assertIn(title, self.feeds.atom_text)
		c = text_of(self.feeds.entry(title), 'a:content')
		self.assertIn('12\u00a0miljoner kronor', c)

	def test_long_summary_cut(self):
		# The derived summary: RSS description (Atom has none, issue 9).
		e = self.feeds.item('Nationaldagsfirande i Stadsparken')
		s = text_of(e, 'description')
		self.assertTrue(s.endswith('\u2026'), s)
		self.assertLessEqual(len(s), 301)
		self.assertGreater(len(s), 200)
		self.assertTrue(s.startswith('Välkommen till nationaldagsfirandet '
			'i Stadsparken den sjätte juni.'), s)
		self.assertNotIn('\n', s)
		self.assertNotIn('  ', s)
		self.assertNotIn('Stadshallen', s)
		self.assertIn('Stadshallen', text_of(e, 'content:encoded'))

	def test_check_mode_writes_nothing(self):
		ws = ft.Workspace('good')
		self.addCleanup(ws.cleanup)
		ws.write_config()
		run = ws.run('--check')
		self.assertEqual(run.returncode, 0, run.describe())
		self.assertFalse(os.path.exists(ws.out), 'output folder created')


class Reruns(ft.FeedCase):

	def test_no_change_no_rewrite_then_change_rewrites(self):
		ws = self.new_workspace('good')
		prepare_good(ws)
		ws.write_config()
		self.assertRunOK(ws.run('--once'))
		old = 1000000000
		before = {}
		for p in (ws.atom, ws.rss):
			os.utime(p, (old, old))
			with open(p, 'rb') as f:
				before[p] = f.read()
		self.assertRunOK(ws.run('--once'))
		for p in (ws.atom, ws.rss):
			self.assertEqual(int(os.stat(p).st_mtime), old,
				'%s rewritten although nothing changed' % p)
			with open(p, 'rb') as f:
				self.assertEqual(f.read(), before[p])
		self.assertOnlyFeeds(ws.out)

		path = ws.release('2019-07-01-sommar.md')
		with open(path, encoding='utf-8') as f:
			text = f.read()
		with open(path, 'w', encoding='utf-8') as f:
			f.write(text.replace('Sommaröppet på stadsbiblioteket',
				'Sommaröppet på stadsbiblioteket förlängs'))
		self.assertRunOK(ws.run('--once'))
		for p in (ws.atom, ws.rss):
			self.assertNotEqual(int(os.stat(p).st_mtime), old,
				'%s not rewritten after a change' % p)
		feeds = ft.Feeds(ws)
		self.assertIn('Sommaröppet på stadsbiblioteket förlängs',
			feeds.atom_titles())
		self.assertIn('Sommaröppet på stadsbiblioteket förlängs',
			feeds.rss_titles())
		self.assertOnlyFeeds(ws.out)

		os.unlink(ws.release('hamnen.md'))
		self.assertRunOK(ws.run('--once'))
		feeds = ft.Feeds(ws)
		self.assertNotIn('Pressträff i hamnen', feeds.atom_titles())
		self.assertNotIn('Pressträff i hamnen', feeds.rss_titles())
		self.assertEqual(len(feeds.entries), len(GOOD) - 1)
		self.assertOnlyFeeds(ws.out)


class Settings(ft.FeedCase):

	def once(self, corpus='good', **feed):
		ws = self.new_workspace(corpus)
		if corpus == 'good':
			prepare_good(ws)
		conf = ft.default_feed()
		conf.update(feed)
		ws.write_config(feed=conf)
		self.assertRunOK(ws.run('--once'))
		self.assertWellFormed(ws.atom)
		self.assertWellFormed(ws.rss)
		self.assertFeedparserOK(ws.atom)
		self.assertFeedparserOK(ws.rss)
		return ws, ft.Feeds(ws)

	def test_max_entries(self):
		ws = self.new_workspace('good')
		prepare_good(ws)
		# Old date, recent update: cut by max_entries, so its updated
		# must not become the feed's updated.
		ft.write_release(ws.release('2010-01-01-gammal.md'),
			'---\ntitle: Gammal men uppdaterad\ndate: 2010-01-01\n'
			'updated: 2025-06-01T12:00:00+02:00\n---\n\nGammal text.\n')
		conf = ft.default_feed()
		conf['max_entries'] = '3'
		ws.write_config(feed=conf)
		self.assertRunOK(ws.run('--once'))
		feeds = ft.Feeds(ws)
		self.assertEqual(feeds.atom_titles(), GOOD_TITLES[:3])
		self.assertEqual(feeds.rss_titles(), GOOD_TITLES[:3])
		self.assertEqual(ft.utc_epoch(text_of(feeds.atom_root, 'a:updated')),
			ft.utc_epoch(FEED_UPDATED))
		self.assertWellFormed(ws.atom)
		self.assertAtomSchema(ws.atom)

	def test_empty_releases_folder(self):
		ws, feeds = self.once(corpus=None)
		self.assertEqual(feeds.entries, [])
		self.assertEqual(feeds.items, [])
		# Not 1970 (issue 9): --once has no memory of when the feed
		# became empty, so the config file's time stands in.
		mtime = int(os.stat(ws.config).st_mtime)
		self.assertEqual(ft.utc_epoch(text_of(feeds.atom_root,
			'a:updated')), mtime)
		self.assertEqual(ft.rfc822_epoch(text_of(feeds.channel,
			'lastBuildDate')), mtime)
		self.assertAtomSchema(ws.atom)

	def test_link_template_and_tag_date(self):
		ws, feeds = self.once(
			link_template='https://www.example.org/nyheter/{slug}/',
			tag_date='2019-12')
		self.assertEqual(text_of(feeds.atom_root, 'a:id'),
			'tag:news.example.org,2019-12:/')
		e = feeds.entry('Öppet hus på Älvsjö skola')
		slug = '2021-09-01-oppet-hus-pa-alvsjo-skola'
		self.assertEqual(text_of(e, 'a:id'), default_id(slug, '2019-12'))
		self.assertEqual(alternate(e),
			'https://www.example.org/nyheter/%s/' % slug)
		self.assertEqual(text_of(feeds.item('Öppet hus på Älvsjö skola'),
			'link'), 'https://www.example.org/nyheter/%s/' % slug)
		# Front matter link and id beat the template and tag_date.
		e = feeds.entry('Ny cykelbana längs Ågatan')
		self.assertEqual(alternate(e), 'https://www.example.org/press/cykelbana')
		self.assertEqual(text_of(e, 'a:id'),
			'tag:news.example.org,2024:cykelbana')

	def test_base_url_with_path(self):
		base = 'https://www.example.org/press/'
		ws, feeds = self.once(base_url=base)
		self.assertEqual(text_of(feeds.atom_root, 'a:id'),
			'tag:www.example.org,2000:/press/')
		e = feeds.entry('Sommaröppet på stadsbiblioteket')
		self.assertEqual(text_of(e, 'a:id'), default_id('2019-07-01-sommar',
			host='www.example.org', path='/press/'))
		self.assertEqual(alternate(e), default_link('2019-07-01-sommar', base))
		links = {l.get('rel'): l.get('href')
			for l in feeds.atom_root.findall('a:link', NS)}
		self.assertEqual(links.get('self'), base + 'feed.atom')
		self.assertEqual(text_of(feeds.channel, 'link'), base)

	def test_no_author_uses_title(self):
		ws, feeds = self.once(author=None, subtitle=None)
		self.assertEqual(text_of(feeds.atom_root, 'a:author/a:name'),
			ft.FEED_TITLE)
		self.assertEqual(text_of(feeds.channel, 'description'),
			ft.FEED_TITLE)
		self.assertIsNone(feeds.atom_root.find('a:subtitle', NS))
		self.assertAtomSchema(ws.atom)

	def test_timezone_utc(self):
		ws, feeds = self.once(timezone='UTC')
		e = feeds.entry('Sommaröppet på stadsbiblioteket')
		self.assertEqual(text_of(e, 'a:published'), '2019-07-01T12:00:00Z')
		e = feeds.entry('Pressträff i hamnen')
		self.assertEqual(text_of(e, 'a:published'), '2022-02-22T10:00:00Z')
		self.assertEqual(text_of(feeds.item('Pressträff i hamnen'),
			'pubDate'), 'Tue, 22 Feb 2022 10:00:00 +0000')
		# Written with an offset: the zone does not matter.
		e = feeds.entry('Öppet hus på Älvsjö skola')
		self.assertEqual(text_of(e, 'a:published'), '2021-09-01T13:00:00+02:00')

	def test_raw_html_true(self):
		ws, feeds = self.once(raw_html='true')
		title = 'Trygghet & säkerhet på Möllan: <10 minuter till polisen'
		c = text_of(feeds.entry(title), 'a:content')
		self.assertIn('<script>', c)
		self.assertNotIn('&lt;script&gt;', c)


class TempFiles(ft.FeedCase):
	"""Issue 8 item 10: temp files left by a killed write go at start, and
	a write past RLIMIT_FSIZE is a write error (EFBIG), not SIGXFSZ."""

	def test_stale_temp_files_are_removed_and_lookalikes_kept(self):
		ws = self.new_workspace('good')
		ws.write_config()
		os.makedirs(ws.out)
		stale = ['.feed.atom.AbC123', '.feed.rss.x9Y8z7', '.feed.json.AbC123']
		kept = ['.feed.atom.AbC1234', '.feed.atomXAbC123', 'feed.atom.AbC123',
			'.feed.jsonl.AbC123']
		for n in stale + kept:
			with open(os.path.join(ws.out, n), 'wb') as f:
				f.write(b'x' * 100)
		run = ws.run('--once')
		self.assertRunOK(run)
		names = set(os.listdir(ws.out))
		self.assertEqual(names & set(stale), set(), run.describe())
		self.assertEqual(names & set(kept), set(kept), run.describe())
		for n in ('feed.atom', 'feed.rss', 'feed.json'):
			self.assertLines(run, 'removed 1 temp file of %s left in %s by '
				'a run that was killed' % (n, ws.out), 1)

	def test_file_size_limit_is_a_write_error(self):
		import resource
		ws = self.new_workspace('good')
		ws.write_config()

		def limit():
			resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
		proc = subprocess.run([ft.FEEDPUBD, '--config', ws.config,
			'--once'], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
			stderr=subprocess.PIPE, cwd='/', preexec_fn=limit,
			timeout=ft.TIMEOUT)
		err = proc.stderr.decode('utf-8', 'replace')
		self.assertEqual(proc.returncode, 1, err)
		self.assertIn('cannot write %s/feed.atom: File too large' % ws.out,
			err)
		self.assertEqual([n for n in os.listdir(ws.out) if
			n.startswith('.')], [], 'temp files left')


class Newsboat(ft.FeedCase):
	"""A real feed reader takes both feeds."""

	def test_newsboat_reads_both_feeds(self):
		if shutil.which('newsboat') is None:
			self.skipTest('newsboat not installed')
		ws = self.new_workspace('good')
		prepare_good(ws)
		ws.write_config()
		self.assertRunOK(ws.run('--once'))
		conf = ws.path('newsboat.conf')
		open(conf, 'w').close()
		# One cache per feed: newsboat keys items by guid, and both
		# feeds rightly carry the same ids.
		for feed in (ws.atom, ws.rss):
			with self.subTest(feed=feed):
				name = os.path.basename(feed)
				urls = ws.path('urls-' + name)
				cache = ws.path('cache-' + name + '.db')
				url = 'file://' + feed
				with open(urls, 'w') as f:
					f.write(url + '\n')
				env = dict(os.environ, HOME=ws.dir)
				proc = subprocess.run(['newsboat', '-u', urls, '-c', cache,
					'-C', conf, '-x', 'reload'], env=env,
					stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
					stderr=subprocess.PIPE, timeout=ft.TIMEOUT)
				self.assertEqual(proc.returncode, 0, proc.stderr)
				db = sqlite3.connect(cache)
				try:
					rows = db.execute('SELECT title, guid, url, pubDate '
						'FROM rss_item WHERE feedurl = ?',
						(url,)).fetchall()
				finally:
					db.close()
				self.assertEqual(sorted(r[0] for r in rows),
					sorted(GOOD_TITLES))
				got = {r[0]: r for r in rows}
				for r in GOOD:
					self.assertEqual(got[r['title']][1], r['id'])
					self.assertEqual(got[r['title']][2], r['link'])
					self.assertEqual(got[r['title']][3],
						ft.utc_epoch(r['published']))


if __name__ == '__main__':
	unittest.main()
