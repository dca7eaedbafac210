#!/usr/bin/python3
"""The newsroom's web site ([pages]): `feedpubd --once` on a fixture
newsroom, then every entry link and every link between pages resolves to
a written file, pages validate with tidy, the JSON-LD parses with its
fields, the sitemaps follow Google's rules (a release 47 h and one 49 h
old), a hostile title is inert, a change rewrites only what it must, a
broken stylesheet is a config error, and headless Chromium shows the
seed release's parts (screenshots saved in $SCREENSHOTS, the build folder
under ctest).

The seed release is $SHARED/samples/2019-12-10-helsingborg-trygghet.md,
read at run time (its "## Fakta" section moved into a `facts:` field, the
"Om ..." paragraph of the real release text made the boilerplate), so no
sentence of it is copied into the repository.
"""

import datetime
import glob
import html
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemontest as dt  # noqa: E402
import feedparser  # noqa: E402
import feedtest as ft  # noqa: E402

SAMPLES = os.path.join(ft.SHARED, 'samples')
SEED = os.path.join(SAMPLES, '2019-12-10-helsingborg-trygghet.md')
SEED_TEXT = os.path.join(SAMPLES, 'newsroom-press-release.txt')
# The feeds beyond the main ones (docs/feeds.md), which the pages link.
SUB_FEEDS = {'json': 'true', 'tag_feeds': 'true', 'type_feeds': 'true',
	'lang_feeds': 'true', 'archives': 'true'}
SCREENSHOTS = os.environ.get('SCREENSHOTS') or os.path.join(ft.REPO, 'build')
SM_NS = {'s': 'http://www.sitemaps.org/schemas/sitemap/0.9',
	'n': 'http://www.google.com/schemas/sitemap-news/0.9'}
HOSTILE = '<script>alert("x")</script> & \'q\' "d" \u202eevil\u202c'


# The Nu HTML checker: npm's vnu-jar (scripts/install-deps.sh puts it
# there), run with the machine's Java.
VNU_JAR = os.path.join(os.environ.get('FEEDPUBD_VNU_DIR') or
	os.path.join(os.path.expanduser('~'), '.cache', 'feedpubd-tests',
	'vnu'), 'node_modules', 'vnu-jar', 'build', 'dist', 'vnu.jar')
# A page the checker must fault (a stray end tag, no title): proof that
# it runs and reports, so its silence on ours means something.
BROKEN_HTML = '<!DOCTYPE html>\n<html lang="en"><head></head><body>' \
	'<p>x</div></body></html>\n'


def nu_check(test, paths, scratch):
	"""Run vnu --errors-only over paths (.css ones as CSS) and a broken
	page of its own; return the error lines about paths."""
	java = shutil.which('java')
	if java is None or not os.path.isfile(VNU_JAR):
		print('SKIP: the Nu HTML checker needs java and %s (make check '
			'installs both: scripts/install-deps.sh)' % VNU_JAR,
			file=sys.stderr)
		test.skipTest('java or vnu.jar missing')
	broken = os.path.join(scratch, 'broken-on-purpose.html')
	with open(broken, 'w') as f:
		f.write(BROKEN_HTML)
	r = subprocess.run([java, '-jar', VNU_JAR, '--errors-only',
		'--also-check-css'] + paths + [broken], capture_output=True,
		text=True, timeout=300)
	lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln]
	test.assertNotEqual(r.returncode, 0, 'vnu passed a broken page')
	test.assertTrue(any('broken-on-purpose' in ln for ln in lines),
		'vnu did not report the broken page: %s' % lines)
	return [ln for ln in lines if 'broken-on-purpose' not in ln]


def chromium():
	for name in ('chromium', 'chromium-browser', 'google-chrome'):
		path = shutil.which(name)
		if path:
			return path
	return None


class Links(html.parser.HTMLParser):
	"""Every href/src of a page, the JSON-LD blocks and the script tags."""

	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.links, self.jsonld, self.scripts = [], [], []
		self._in_ld = False

	def handle_starttag(self, tag, attrs):
		a = dict(attrs)
		for k in ('href', 'src'):
			if k in a:
				self.links.append((tag, a.get('rel'), a[k]))
		if tag == 'script':
			self.scripts.append(a.get('type'))
			self._in_ld = a.get('type') == 'application/ld+json'
			if self._in_ld:
				self.jsonld.append('')

	def handle_endtag(self, tag):
		if tag == 'script':
			self._in_ld = False

	def handle_data(self, data):
		if self._in_ld:
			self.jsonld[-1] += data


def parse_page(path):
	p = Links()
	with open(path, encoding='utf-8') as f:
		p.feed(f.read())
	return p


def seed_release():
	"""The seed release with its "## Fakta" section as a facts: field."""
	with open(SEED, encoding='utf-8') as f:
		text = f.read()
	head, body = text.split('\n---\n', 1)
	body, _, facts = body.partition('## Fakta')
	block = ''.join('  ' + ln + '\n' for ln in facts.strip().split('\n'))
	return head + '\nfacts: |\n' + block + '---\n' + body


def seed_about():
	"""Markdown of the real release's "Om <organisation>" section."""
	with open(SEED_TEXT, encoding='utf-8') as f:
		lines = [ln.strip() for ln in f]
	i = next(i for i, ln in enumerate(lines) if ln.startswith('Om '))
	para = next(ln for ln in lines[i + 1:] if ln)
	return '# %s\n\n%s\n' % (lines[i], para), lines[i], para


def iso(t):
	return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
		.strftime('%Y-%m-%dT%H:%M:%SZ')


class Site(ft.FeedCase):
	"""One --once run over the fixture newsroom, shared by the tests."""

	@classmethod
	def setUpClass(cls):
		if not os.path.exists(SEED):
			raise unittest.SkipTest('%s not found' % SEED)
		cls.ws = ws = ft.Workspace('good')
		cls.now = int(time.time())
		ft.write_release(ws.release('2019-12-10-helsingborg-trygghet.md'),
			seed_release())
		cls.about_md, cls.about_head, cls.about_para = seed_about()
		with open(ws.path('about.sv.md'), 'w', encoding='utf-8') as f:
			f.write(cls.about_md)
		with open(ws.path('about.en.md'), 'w', encoding='utf-8') as f:
			f.write('The city of Exempelstad publishes its news here.\n')
		# Its tags: markup, and two spellings of one slug (a clash).
		ft.write_release(ws.release('hostile.md'), '---\ntitle: %s\n'
			'summary: \'"><img src=x onerror=alert(1)>\'\n'
			'tags: [%s, Möllan, mollan]\n---\nText.\n'
			% (json.dumps(HOSTILE), json.dumps(HOSTILE)))
		ft.write_release(ws.release('arabic.md'), '---\ntitle: '
			'\u0627\u0644\u062e\u0628\u0631\nlang: ar\n---\n'
			'\u0646\u0635.\n')
		# 47 h and 49 h old: in the news sitemap and out of it.
		for name, hours in (('news-47h', 47), ('news-49h', 49)):
			ft.write_release(ws.release(name + '.md'), '---\ntitle: %s\n'
				'date: %s\n---\nText.\n' % (name, iso(cls.now -
				hours * 3600)))
		# Every feed on: the pages link the sub-feeds (docs/pages.md).
		ws.write_config(feed=dict(ft.default_feed(), **SUB_FEEDS),
			extra='[pages]\nboilerplate = about.{lang}.md\n'
			'per_page = 4\nindex_entries = 5\n')
		cls.run_ = ws.run('--once')
		cls.pages = sorted(
			os.path.relpath(os.path.join(d, n), ws.out)
			for d, _, names in os.walk(ws.out) for n in names
			if n.endswith('.html'))

	@classmethod
	def tearDownClass(cls):
		cls.ws.cleanup()

	def out(self, rel):
		return os.path.join(self.ws.out, rel)

	def read(self, rel):
		with open(self.out(rel), encoding='utf-8') as f:
			return f.read()

	def test_run_ok(self):
		self.assertRunOK(self.run_)
		self.assertIn('index.html', self.pages)
		self.assertIn('archive/1.html', self.pages)
		for name in ('style.css', 'sitemap.xml', 'sitemap-news.xml',
				'robots.txt'):
			self.assertTrue(os.path.isfile(self.out(name)), name)

	def test_every_entry_link_resolves(self):
		"""Each entry link of each feed is a page written beside them."""
		feeds = ft.Feeds(self.ws)
		links = [e.find('a:link[@rel="alternate"]', ft.NS).get('href')
			for e in feeds.entries]
		links += [ft.text_of(i, 'link') for i in feeds.items]
		ours = [u for u in links if u.startswith(ft.BASE_URL)]
		# Only a release with its own link: elsewhere points elsewhere.
		self.assertLessEqual(len(links) - len(ours), 2, links)
		self.assertGreater(len(ours), 20)
		for url in ours:
			rel = url[len(ft.BASE_URL):]
			self.assertTrue(os.path.isfile(self.out(rel)),
				'%s: no page %s' % (url, rel))

	def test_every_internal_link_resolves(self):
		"""No broken link between the pages (a crawl from index.html)."""
		seen, todo = set(), ['index.html']
		while todo:
			rel = todo.pop()
			if rel in seen:
				continue
			seen.add(rel)
			for tag, _, href in parse_page(self.out(rel)).links:
				if href.startswith(ft.BASE_URL):
					target = href[len(ft.BASE_URL):] or 'index.html'
				elif re.match(r'^[a-z]+:', href):
					continue	# mailto:, tel:, other sites
				else:
					target = os.path.normpath(os.path.join(
						os.path.dirname(rel), href))
				self.assertTrue(os.path.isfile(self.out(target)),
					'%s: <%s href=%s> leads nowhere' % (rel, tag, href))
				if target.endswith('.html'):
					todo.append(target)
		# Every page is reachable by following links.
		self.assertEqual(sorted(seen), self.pages)

	def test_tidy_validates(self):
		if shutil.which('tidy') is None:
			print('SKIP: tidy not installed', file=sys.stderr)
			self.skipTest('tidy not installed (Debian: tidy)')
		for rel in self.pages:
			with self.subTest(page=rel):
				r = subprocess.run(['tidy', '-q', '-e', '-utf8',
					self.out(rel)], capture_output=True, text=True)
				self.assertEqual(r.returncode, 0, '%s:\n%s'
					% (rel, r.stderr))

	def test_jsonld(self):
		for rel in self.pages:
			with self.subTest(page=rel):
				p = parse_page(self.out(rel))
				self.assertEqual(len(p.jsonld), 1)
				d = json.loads(p.jsonld[0])
				self.assertEqual(d['@context'], 'https://schema.org')
				if not rel.startswith('releases/'):
					self.assertEqual(d['@type'], 'CollectionPage')
					continue
				self.assertEqual(d['@type'], 'NewsArticle')
				for key in ('headline', 'datePublished', 'dateModified',
						'author', 'publisher', 'inLanguage', 'url'):
					self.assertIn(key, d)
				self.assertTrue(d['author'][0]['name'])
				self.assertEqual(d['publisher']['name'], ft.FEED_TITLE)
				ft.utc_epoch(d['datePublished'])
		d = json.loads(parse_page(self.out('releases/hostile.html'))
			.jsonld[0])
		self.assertEqual(d['headline'], HOSTILE)

	def test_metadata_on_every_page(self):
		for rel in self.pages:
			with self.subTest(page=rel):
				text = self.read(rel)
				links = parse_page(self.out(rel)).links
				alts = [h for t, r, h in links if r == 'alternate']
				self.assertEqual(alts[:3], [ft.BASE_URL + 'feed.atom',
					ft.BASE_URL + 'feed.rss', ft.BASE_URL + 'feed.json'])
				# A release page: its sub-feeds too (test_subfeeds_linked).
				subs = alts[3:] if rel.startswith('releases/') else []
				self.assertEqual(alts[3:], subs)
				for h in subs:
					self.assertRegex(h, '^' + re.escape(ft.BASE_URL) +
						r'(tags|types|langs)/[a-z0-9-]+\.(atom|rss|json)$')
				self.assertEqual(len([1 for t, r, h in links
					if r == 'canonical']), 1)
				for prop in ('og:title', 'og:url', 'og:type'):
					self.assertIn('property="%s"' % prop, text)
				self.assertIn('name="twitter:card"', text)
				self.assertTrue(text.startswith('<!DOCTYPE html>\n'))

	def test_subfeeds_linked(self):
		"""The index links every sub-feed written; a release page
		autodiscovers exactly the feeds of its tags and language (the
		clash of Möllan and mollan included: each to its own file), links
		its tags to their Atom feeds, and feedparser reads each one."""
		written = sorted(ft.BASE_URL + os.path.relpath(p, self.ws.out)
			for d in ('tags', 'types', 'langs')
			for p in glob.glob(os.path.join(self.ws.out, d, '*')))
		self.assertGreater(len(written), 30)
		index = sorted({h for _, _, h in parse_page(self.out(
			'index.html')).links if h in written})
		self.assertEqual(index, written)
		page = parse_page(self.out('releases/hostile.html'))
		alts = [h for t, r, h in page.links if r == 'alternate'][3:]
		self.assertEqual(len(alts), 4 * 3, alts)
		by_value = {}
		for h in alts:
			path = self.out(h[len(ft.BASE_URL):])
			if h.endswith('.json'):		# this feedparser reads XML only
				with open(path, encoding='utf-8') as f:
					items = json.load(f)['items']
				self.assertIn(HOSTILE, [i['title'] for i in items], h)
				continue
			d = feedparser.parse(path)
			self.assertEqual(d.bozo, 0, (h, d.get('bozo_exception')))
			self.assertIn(HOSTILE, [e.title for e in d.entries], h)
			if h.endswith('.atom'):
				value = d.feed.title[len(ft.FEED_TITLE + ': '):]
				by_value[value] = h
		self.assertEqual(sorted(by_value), sorted([HOSTILE, 'Möllan',
			'mollan', 'sv']))
		self.assertEqual(by_value['mollan'], ft.BASE_URL + 'tags/mollan.atom')
		self.assertRegex(by_value['Möllan'], r'tags/mollan-[0-9a-f]{8}\.atom$')
		# The visible tags link their Atom feeds.
		text = self.read('releases/hostile.html')
		for value in (HOSTILE, 'Möllan', 'mollan'):
			self.assertIn('<li><a href="%s" type="application/atom+xml">%s'
				'</a></li>' % (by_value[value], html.escape(value,
				quote=False)), text)

	def test_hostile_title_inert(self):
		for rel in ('releases/hostile.html', 'index.html'):
			p = parse_page(self.out(rel))
			# The only script is the JSON-LD; no img came in.
			self.assertEqual(p.scripts, ['application/ld+json'], rel)
			self.assertNotIn('img', [t for t, _, _ in p.links], rel)
		text = self.read('releases/hostile.html')
		self.assertIn('<h1>&lt;script&gt;alert("x")&lt;/script&gt; &amp; '
			'\'q\' "d" \u202eevil\u202c</h1>', text)
		self.assertIn('<html lang="sv" dir="ltr">', text)

	def test_rtl(self):
		self.assertIn('<html lang="ar" dir="rtl">',
			self.read('releases/arabic.html'))
		self.assertIn('<article class="item" lang="ar" dir="rtl">',
			self.read('archive/%d.html' % len([p for p in self.pages
			if p.startswith('archive/')])))

	def test_seed_parts(self):
		text = self.read('releases/2019-12-10-helsingborg-trygghet.html')
		self.assertIn('<span class="type">Pressmeddelande</span> \u2022 '
			'<time datetime="2019-12-10T08:54:00+01:00">10 december 2019 '
			'08:54 CET</time>', text)
		self.assertIn('<aside class="facts"><h2>Fakta</h2>', text)
		self.assertIn('<a href="mailto:elina.bratt@helsingborg.se">', text)
		self.assertIn('<a href="tel:042105699">042-10 56 99</a>', text)
		self.assertIn('<h2>%s</h2>' % self.about_head, text)
		self.assertIn(self.about_para, text)
		# Contacts with an e-mail are the Atom entry's contributors.
		feeds = ft.Feeds(self.ws)
		e = feeds.entry(re.search(r'title: "(.*)"', seed_release())
			.group(1))
		emails = [c.find('a:email', ft.NS).text
			for c in e.findall('a:contributor', ft.NS)]
		self.assertEqual(emails, ['elina.bratt@helsingborg.se',
			'peter.strandell@tryggaresverige.org'])

	def test_english_release_gets_english_boilerplate(self):
		text = self.read('releases/2023-05-17-climate-plan.html')
		self.assertIn('<h2>About %s</h2>' % ft.FEED_TITLE, text)
		self.assertIn('May 17, 2023 00:00 CEST', text)

	def test_sitemap(self):
		root = ET.parse(self.out('sitemap.xml')).getroot()
		locs = [u.find('s:loc', SM_NS).text for u in
			root.findall('s:url', SM_NS)]
		want = [ft.BASE_URL + ('' if p == 'index.html' else p)
			for p in self.pages]
		self.assertEqual(sorted(locs), sorted(want))
		for u in root.findall('s:url', SM_NS):
			ft.utc_epoch(u.find('s:lastmod', SM_NS).text)

	def test_news_sitemap(self):
		root = ET.parse(self.out('sitemap-news.xml')).getroot()
		urls = root.findall('s:url', SM_NS)
		locs = [u.find('s:loc', SM_NS).text for u in urls]
		self.assertIn(ft.BASE_URL + 'releases/news-47h.html', locs)
		self.assertNotIn(ft.BASE_URL + 'releases/news-49h.html', locs)
		# Files without a date are new (their mtime): in it too. Every
		# one is less than two days old, the newest first.
		dates = [ft.utc_epoch(u.find('n:news/n:publication_date',
			SM_NS).text) for u in urls]
		self.assertEqual(dates, sorted(dates, reverse=True))
		for d in dates:
			self.assertLess(self.now - d, 48 * 3600)
		n = urls[locs.index(ft.BASE_URL + 'releases/news-47h.html')] \
			.find('n:news', SM_NS)
		self.assertEqual(n.find('n:publication/n:name', SM_NS).text,
			ft.FEED_TITLE)
		self.assertEqual(n.find('n:publication/n:language', SM_NS).text,
			'sv')
		self.assertEqual(n.find('n:title', SM_NS).text, 'news-47h')
		self.assertEqual(ft.utc_epoch(n.find('n:publication_date',
			SM_NS).text), self.now - 47 * 3600)

	def test_robots(self):
		self.assertEqual(self.read('robots.txt'),
			'User-agent: *\nAllow: /\n\nSitemap: %ssitemap.xml\n'
			'Sitemap: %ssitemap-news.xml\n' % (ft.BASE_URL, ft.BASE_URL))

	def test_nu_html_checker_finds_no_error(self):
		"""Every page (the index, the listings, the seed release with
		facts, contacts and about, the Arabic one, right to left, the
		hostile one) and style.css: zero errors from the Nu checker."""
		for rel, want in (
				('releases/2019-12-10-helsingborg-trygghet.html',
				 ['class="facts"', 'class="contacts"', 'class="about"',
				  'lang="sv"']),
				('releases/arabic.html', ['dir="rtl"', 'lang="ar"']),
				('archive/1.html', ['class="listing"'])):
			for w in want:
				self.assertIn(w, self.read(rel), rel)
		paths = [self.out(p) for p in self.pages] + [self.out('style.css')]
		self.assertGreater(len(paths), 15)
		errors = nu_check(self, paths, self.ws.path('.'))
		self.assertEqual(errors, [], '\n'.join(errors))

	def test_chromium_shows_the_parts(self):
		exe = chromium()
		if exe is None:
			print('SKIP: chromium not installed (optional: '
				'scripts/install-deps.sh browser)', file=sys.stderr)
			self.skipTest('chromium not installed')
		os.makedirs(SCREENSHOTS, exist_ok=True)
		for rel, shot, want in (
				('releases/2019-12-10-helsingborg-trygghet.html',
				 'pages-release.png', ['Helsingborgs stad och Stiftelsen',
				 '10 december 2019 08:54 CET', 'Pressmeddelande',
				 'Fakta', 'Kontakter', 'elina.bratt@helsingborg.se',
				 '042-10 56 99', self.about_head, self.about_para]),
				('index.html', 'pages-index.png', ['Senaste',
				 'Prenumerera', 'Alla pressmeddelanden', 'news-47h'])):
			url = 'file://' + self.out(rel)
			args = [exe, '--headless', '--no-sandbox', '--disable-gpu',
				'--no-first-run', '--user-data-dir=' + self.ws.path('chr')]
			dom = subprocess.run(args + ['--dump-dom', url],
				capture_output=True, text=True, timeout=120)
			self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
			for w in want:
				self.assertIn(w, dom.stdout, '%s: %r' % (rel, w))
			path = os.path.join(SCREENSHOTS, shot)
			r = subprocess.run(args + ['--window-size=800,1800',
				'--screenshot=' + path, url], capture_output=True,
				text=True, timeout=120)
			self.assertEqual(r.returncode, 0, r.stderr[-2000:])
			self.assertGreater(os.path.getsize(path), 10000)
			print('screenshot: %s' % path, file=sys.stderr)


class Incremental(ft.FeedCase):
	"""A change rewrites only the files whose bytes change."""

	def mtimes(self, ws):
		return {os.path.relpath(os.path.join(d, n), ws.out):
			os.stat(os.path.join(d, n)).st_mtime_ns
			for d, _, names in os.walk(ws.out) for n in names}

	def test_only_changed_files_rewritten(self):
		ws = self.new_workspace('good')
		ws.write_config(extra='[pages]\nper_page = 3\n')
		self.assertRunOK(ws.run('--once'))
		before = self.mtimes(ws)
		time.sleep(0.05)
		self.assertRunOK(ws.run('--once'))
		self.assertEqual(self.mtimes(ws), before, 'a rerun rewrote files')
		# A new release, newest of all: its page, the newest listing,
		# the index, the sitemaps and the feeds; nothing else.
		ft.write_release(ws.release('2026-11-30-ny.md'), '---\ntitle: Ny\n'
			'date: 2026-11-30T10:00:00+01:00\n---\nText.\n')
		self.assertRunOK(ws.run('--once'))
		after = self.mtimes(ws)
		changed = sorted(k for k in after if after[k] != before.get(k))
		newest = 'archive/%d.html' % len([k for k in after
			if k.startswith('archive/')])
		allowed = {'releases/2026-11-30-ny.html', newest, 'index.html',
			'sitemap.xml', 'sitemap-news.xml', 'feed.atom', 'feed.rss'}
		self.assertIn('releases/2026-11-30-ny.html', changed)
		# A full newest page gains a "newer" link: at most one more.
		extra = set(changed) - allowed
		self.assertLessEqual(len(extra), 1, changed)
		for k in extra:
			self.assertTrue(k.startswith('archive/'), changed)
		# A removed release's page goes.
		os.unlink(ws.release('2026-11-30-ny.md'))
		self.assertRunOK(ws.run('--once'))
		self.assertFalse(os.path.exists(os.path.join(ws.out, 'releases',
			'2026-11-30-ny.html')))
		self.assertOnlyFeeds(ws.out)

	def test_pages_off(self):
		ws = self.new_workspace('good')
		ws.write_config(extra='[pages]\nenabled = false\n')
		self.assertRunOK(ws.run('--once'))
		self.assertEqual(sorted(os.listdir(ws.out)),
			['feed.atom', 'feed.rss'])


class Stylesheets(ft.FeedCase):

	def test_broken_stylesheet_is_a_config_error(self):
		ws = self.new_workspace('good')
		with open(ws.path('bad.xsl'), 'w') as f:
			f.write('<xsl:stylesheet version="1.0" xmlns:xsl='
				'"http://www.w3.org/1999/XSL/Transform"><xsl:bogus/>'
				'</xsl:stylesheet>\n')
		ws.write_config(extra='[pages]\nstylesheet = bad.xsl\n')
		for mode, code in (('--once', 78), ('--check', 1)):
			r = ws.run(mode)
			self.assertEqual(r.returncode, code, r.describe())
			line = ft.line_of(ws.config_src, 'stylesheet =')
			self.assertIn('%s:%d: [pages] %s: not a usable XSLT '
				'stylesheet' % (ws.config, line, ws.path('bad.xsl')),
				r.stderr)
		self.assertFalse(os.path.exists(ws.out))

	def test_own_stylesheet(self):
		ws = self.new_workspace('good')
		with open(ws.path('mine.xsl'), 'w') as f:
			f.write('<xsl:stylesheet version="1.0" xmlns:xsl='
				'"http://www.w3.org/1999/XSL/Transform">'
				'<xsl:output method="html"/>'
				'<xsl:template match="/page"><p class="mine">'
				'<xsl:value-of select="release/title"/>'
				'</p></xsl:template></xsl:stylesheet>\n')
		ws.write_config(extra='[pages]\nstylesheet = mine.xsl\n')
		self.assertRunOK(ws.run('--once'))
		with open(os.path.join(ws.out, 'releases', '2024-03-04-cykelbana'
				'.html'), encoding='utf-8') as f:
			self.assertIn('<p class="mine">Ny cykelbana', f.read())


class Daemon(dt.DaemonCase):
	"""The site in daemon mode: timers, reloads, one release's files,
	the embedded HTTP server."""

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

	def get(self, url):
		import urllib.error
		import urllib.request
		try:
			with urllib.request.urlopen(url, timeout=10) as r:
				return r.status, r.headers.get('Content-Type'), r.read()
		except urllib.error.HTTPError as e:
			return e.code, None, b''

	def test_every_link_resolves_on_the_embedded_server(self):
		self.write_config(extra='[http]\nlisten = 127.0.0.1:0\n')
		self.start(write_config=False)
		root = self.served()
		feeds = ft.Feeds(self.ws)
		links = [e.find('a:link[@rel="alternate"]', ft.NS).get('href')
			for e in feeds.entries]
		self.assertGreater(len(links), 1)
		for url in links:
			self.assertTrue(url.startswith(ft.BASE_URL), url)
			status, ctype, _ = self.get(root + url[len(ft.BASE_URL):])
			self.assertEqual((status, ctype), (200,
				'text/html; charset=utf-8'), url)
		# A crawl from / : zero broken internal links.
		seen, todo = set(), ['']
		while todo:
			rel = todo.pop()
			if rel in seen:
				continue
			seen.add(rel)
			status, ctype, body = self.get(root + rel)
			self.assertEqual(status, 200, '/' + rel)
			if not ctype.startswith('text/html'):
				continue
			p = Links()
			p.feed(body.decode('utf-8'))
			base = rel if rel.endswith('/') or rel == '' else \
				os.path.dirname(rel) + '/'
			for _, _, href in p.links:
				if href.startswith(ft.BASE_URL):
					href = href[len(ft.BASE_URL):]
				elif re.match(r'^[a-z]+:', href):
					continue
				else:
					href = os.path.normpath(base + href) \
						.lstrip('./') if base else href
				todo.append('' if href in ('.', 'index.html') else
					href)
		self.assertGreater(len(seen), 5)
		status, ctype, _ = self.get(root + 'sitemap.xml')
		self.assertEqual((status, ctype), (200,
			'application/xml; charset=utf-8'))
		# Drop new releases: how long until each page is served.
		times = []
		for i in range(5):
			src = os.path.join(self.ws.outside, 'ny-%d.md' % i)
			ft.write_release(src, dt.release_text('Ny %d' % i,
				iso(time.time() - 60)))
			t0 = time.monotonic()
			os.rename(src, self.ws.release('ny-%d.md' % i))
			url = root + 'releases/ny-%d.html' % i
			dt.wait_for(lambda: self.get(url)[0] == 200, what=url)
			times.append((time.monotonic() - t0) * 1000)
		times.sort()
		print('\ndrop -> page served: median %.0f ms, max %.0f ms '
			'(5 drops, settle 20 ms)' % (times[2], times[-1]),
			file=sys.stderr)

	def test_embedded_server_rereads_only_what_a_publish_wrote(self):
		self.write_config(extra='[http]\nlisten = 127.0.0.1:0\n')
		self.start(write_config=False)
		root = self.served()
		self.wait(lambda: self.get(root + 'index.html')[0] == 200,
			'index.html served')
		# Another writer's file, after the first snapshot: not served
		# until the folder is walked again (a reload).
		extra = os.path.join(self.ws.out, 'extra.html')
		with open(extra + '.tmp', 'w') as f:
			f.write('<p>extra</p>\n')
		os.rename(extra + '.tmp', extra)

		def drop(slug):
			src = os.path.join(self.ws.outside, slug + '.md')
			ft.write_release(src, dt.release_text(slug.title(),
				iso(time.time() - 60)))
			os.rename(src, self.ws.release(slug + '.md'))
			url = root + 'releases/%s.html' % slug
			dt.wait_for(lambda: self.get(url)[0] == 200, what=url)

		def http_lines():
			return [ln for ln in self.daemon.stderr_lines()
				if re.search(r'http: (\S+ served|serving \d+ doc)', ln)]
		# The first snapshot walked the folder (logged after the swap).
		self.wait(lambda: any('walked' in ln for ln in http_lines()),
			'the first snapshot logged')
		before = len(http_lines())
		drop('ny')
		self.assertEqual(self.get(root + 'extra.html')[0], 404)
		self.wait(lambda: any(' served ' in ln for ln in
			http_lines()[before:]), 'the snapshot logged')
		lines = http_lines()[before:]
		self.assertTrue(any('changed files only' in ln for ln in lines),
			lines)
		self.assertFalse(any('walked' in ln for ln in lines), lines)
		# Its page, listings, index, sitemaps, feeds: fewer files read
		# than served.
		m = [re.search(r'serving (\d+) documents \((\d+) files read', ln)
			for ln in lines]
		m = [x for x in m if x]
		self.assertTrue(m, lines)
		for x in m:
			self.assertLess(int(x.group(2)), int(x.group(1)) - 3, lines)
		# The new page's bytes are those on disk.
		with open(os.path.join(self.ws.out, 'releases', 'ny.html'),
				'rb') as f:
			self.assertEqual(self.get(root + 'releases/ny.html')[2],
				f.read())
		# A reload walks the folder at the next snapshot.
		mark = self.notify.mark()
		before = len(http_lines())
		self.daemon.signal(signal.SIGHUP)
		self.wait(lambda: 'READY=1' in self.notify.lines(mark),
			'READY=1 after the reload')
		drop('ny-2')
		self.wait(lambda: self.get(root + 'extra.html')[0] == 200,
			'extra.html served after the reload')
		self.wait(lambda: any('walked' in ln for ln in
			http_lines()[before:]), 'a walk logged')
		# A release removed: its page goes from the snapshot at once.
		os.unlink(self.ws.release('ny.md'))
		dt.wait_for(lambda: self.get(root + 'releases/ny.html')[0] in
			(404, 410), what='releases/ny.html gone')
		self.assertFalse(os.path.exists(os.path.join(self.ws.out,
			'releases', 'ny.html')))

	def news_locs(self):
		try:
			root = ET.parse(os.path.join(self.ws.out,
				'sitemap-news.xml')).getroot()
		except (OSError, ET.ParseError):
			return None
		return [u.find('s:loc', SM_NS).text
			for u in root.findall('s:url', SM_NS)]

	def test_news_sitemap_drops_a_release_by_timer(self):
		"""No file changes: the release turns two days old and leaves."""
		born = int(time.time()) - 48 * 3600 + int(4 * dt.SCALE)
		ft.write_release(self.ws.release('snart-gammal.md'),
			dt.release_text('Snart gammal', iso(born)))
		self.start()
		url = ft.BASE_URL + 'releases/snart-gammal.html'
		self.assertIn(url, self.news_locs())
		before = os.stat(self.ws.atom).st_mtime_ns
		def gone():
			locs = self.news_locs()
			return locs is not None and url not in locs
		self.wait(gone, 'the release out of sitemap-news.xml',
			timeout=15 * dt.SCALE)
		self.assertGreaterEqual(time.time(), born + 48 * 3600)
		# Only the sitemap changed: the feeds were not written.
		self.assertEqual(os.stat(self.ws.atom).st_mtime_ns, before)
		self.assertTrue(os.path.exists(os.path.join(self.ws.out,
			'releases', 'snart-gammal.html')))

	def test_stale_page_temp_files_removed_at_start(self):
		stale = [('releases', '.gammal.html.Ab12Cd'),
			('archive', '.3.html.Xy34Zw'), ('', '.index.html.Qw12Er'),
			('', '.sitemap.xml.Zx98Cv'), ('sitemaps', '.2.xml.Mn56Op')]
		for sub, name in stale + [('releases', 'notes.txt')]:
			os.makedirs(os.path.join(self.ws.out, sub), exist_ok=True)
			with open(os.path.join(self.ws.out, sub, name), 'w') as f:
				f.write('x')
		self.start()
		for sub, name in stale:
			self.assertFalse(os.path.exists(os.path.join(self.ws.out,
				sub, name)), name)
		self.assertTrue(os.path.exists(os.path.join(self.ws.out,
			'releases', 'notes.txt')))

	def test_reload_with_a_broken_stylesheet_keeps_the_old(self):
		mine = self.ws.path('mine.xsl')
		with open(mine, 'w') as f:
			f.write('<xsl:stylesheet version="1.0" xmlns:xsl='
				'"http://www.w3.org/1999/XSL/Transform">'
				'<xsl:output method="html"/><xsl:template match="/page">'
				'<p class="mine"><xsl:value-of select="release/title"/>'
				'</p></xsl:template></xsl:stylesheet>\n')
		self.write_config(extra='[pages]\nstylesheet = mine.xsl\n')
		self.start(write_config=False)
		with open(mine, 'w') as f:
			f.write('<xsl:stylesheet version="1.0" xmlns:xsl='
				'"http://www.w3.org/1999/XSL/Transform"><xsl:bogus/>'
				'</xsl:stylesheet>\n')
		mark = self.notify.mark()
		self.daemon.signal(signal.SIGHUP)
		self.wait(lambda: any('not a usable XSLT stylesheet' in ln
			for ln in self.daemon.stderr_lines()), 'the reload refused')
		self.wait(lambda: 'READY=1' in self.notify.lines(mark),
			'READY=1 after the failed reload')
		self.assertAlive()
		ft.write_release(self.ws.release('efter.md'), dt.release_text(
			'Efter', '2024-06-02T12:00:00+02:00'))
		self.wait_id('efter')
		with open(os.path.join(self.ws.out, 'releases', 'efter.html'),
				encoding='utf-8') as f:
			self.assertEqual(f.read(), '<p class="mine">Efter</p>\n')

	def test_one_release_rewrites_only_its_files(self):
		self.write_config(extra='[pages]\nper_page = 2\n')
		self.start()
		n = self.daemon.publish_count()

		def site_lines():
			return [ln for ln in self.daemon.stderr_lines()
				if re.search(r'site: \d+ files written', ln)]
		before = len(site_lines())
		t0 = time.monotonic()
		src = os.path.join(self.ws.outside, 'ny.md')
		ft.write_release(src, dt.release_text('Ny', iso(time.time() -
			60)))
		os.rename(src, self.ws.release('ny.md'))
		page = os.path.join(self.ws.out, 'releases', 'ny.html')
		self.wait(lambda: os.path.exists(page) and dt.has_id(self.ws,
			'ny'), 'the page and the entry')
		took = time.monotonic() - t0
		self.wait_publish_after(n)
		# The listing, index and sitemaps follow the feeds: until the
		# last slice says no more is to come.
		self.wait(lambda: site_lines()[before:] and 'more to come' not in
			site_lines()[-1], 'the rest of the site')
		# Every slice and publish since the drop (a loaded machine may
		# split the publish, or publish again with nothing to write).
		lines = site_lines()[before:]
		written = sum(int(re.search(r'site: (\d+) files', ln).group(1))
			for ln in lines)
		print('\none new release: %d site files written, page and entry '
			'in %.0f ms' % (written, took * 1000), file=sys.stderr)
		# Its page, the newest listing (and the one before, when that
		# was full), index.html, sitemap.xml, sitemap-news.xml.
		self.assertLessEqual(written, 6, lines)
		self.assertGreaterEqual(written, 4, lines)


	# ---- renamed releases -------------------------------------------------

	def page(self, slug):
		"""(text, refresh target or None) of releases/SLUG.html, or None."""
		path = os.path.join(self.ws.out, 'releases', slug + '.html')
		try:
			with open(path, encoding='utf-8') as f:
				text = f.read()
		except FileNotFoundError:
			return None
		p = Meta()
		p.feed(text)
		refresh = p.meta.get(('http-equiv', 'refresh'))
		target = None
		if refresh is not None:
			m = re.match(r'^0; url=([^/]+)\.html$', refresh)
			self.assertIsNotNone(m, refresh)
			target = m.group(1)
		return text, target, p

	def follow(self, slug):
		"""Follow meta refreshes from SLUG: the slugs seen, at most 3."""
		seen = [slug]
		while len(seen) <= 3:
			got = self.page(seen[-1])
			self.assertIsNotNone(got, 'releases/%s.html: 404' % seen[-1])
			if got[1] is None:
				return seen
			seen.append(got[1])
		self.fail('a redirect loop: %s' % seen)

	def site_text(self, *names):
		out = ''
		for n in names:
			with open(os.path.join(self.ws.out, n), encoding='utf-8') as f:
				out += f.read()
		return out

	def assertRedirect(self, old, new):
		text, target, p = self.page(old)
		self.assertEqual(target, new, text)
		self.assertEqual(self.follow(old), [old, new])
		self.assertEqual(p.meta.get(('name', 'robots')), 'noindex', text)
		self.assertEqual(p.links.get('canonical'), ft.BASE_URL +
			'releases/%s.html' % new, text)
		self.assertNotIn('<script', text)
		# Listed nowhere: not in the sitemaps, the index, the listings
		# (which may land a moment after the pages).
		def listed():
			return self.site_text('sitemap.xml', 'sitemap-news.xml',
				'index.html', *['archive/' + n for n in os.listdir(
				os.path.join(self.ws.out, 'archive'))])
		self.wait(lambda: 'releases/%s.html' % new in listed() and
			'releases/%s.html' % old not in listed(), 'the listings '
			'name %s, not %s' % (new, old))

	def restart(self):
		"""A daemon again (the last one stopped), up to READY=1."""
		mark = self.notify.mark()
		self.daemon = dt.Daemon(self.ws, self.notify)
		self.addCleanup(self.daemon.kill)
		self.addCleanup(self._stop_cleanly)
		self.wait(lambda: self.notify.count('READY=1', since=mark) >= 1,
			'READY=1 after the restart', dt.START_TIMEOUT)

	def wait_page(self, slug, real):
		def ok():
			got = self.page(slug)
			return got is not None and (got[1] is None) == real
		self.wait(ok, 'releases/%s.html as a %s' % (slug, 'page' if real
			else 'redirect'))

	def test_renamed_release_leaves_a_redirect(self):
		old, new = '2024-01-10-alfa', 'alfa-ny-titel'
		self.start()
		self.assertEqual(self.follow(old), [old])
		os.rename(self.ws.release(old + '.md'), self.ws.release(new +
			'.md'))
		self.wait_page(new, True)
		self.wait_page(old, False)
		self.assertRedirect(old, new)
		# The id stayed: one entry, its link the new page (the feeds
		# come after the pages).
		self.wait(lambda: '/releases/%s.html' % new in dt.read_atom(
			self.ws), 'the new link in the feed')
		atom = dt.read_atom(self.ws)
		self.assertNotIn('/releases/%s.html' % old, atom)
		self.assertEqual(atom.count('<entry>'), 3)
		# A restart keeps it (and writes it again, unchanged).
		self.assertEqual(self.daemon.stop(), 0, self.daemon.describe())
		self.restart()
		self.assertRedirect(old, new)
		# Renamed again: the first name points at the last, no chain.
		third = 'alfa-tredje'
		os.rename(self.ws.release(new + '.md'), self.ws.release(third +
			'.md'))
		self.wait_page(third, True)
		self.wait_page(new, False)
		self.assertRedirect(new, third)
		self.wait(lambda: self.page(old)[1] == third, 'the old redirect '
			'moved on')
		self.assertRedirect(old, third)
		# Renamed back: the first name is the page again, no loop.
		os.rename(self.ws.release(third + '.md'), self.ws.release(old +
			'.md'))
		self.wait_page(old, True)
		self.wait_page(third, False)
		self.assertRedirect(third, old)
		# The files of one publish land one by one (the HTTP snapshot
		# swaps them together; the folder does not).
		self.wait(lambda: self.page(new)[1] == old, 'the second '
			'redirect moved on')
		self.assertRedirect(new, old)
		self.assertEqual(self.follow(old), [old])
		# Removed: its redirects go with it.
		os.remove(self.ws.release(old + '.md'))
		self.wait(lambda: all(self.page(s) is None for s in (old, new,
			third)), 'every page of the release removed')

	def test_one_change_costs_itself_not_the_archive(self):
		"""Issue 13: once the daemon has swept the site, a publish that
		adds one release among many appends that release's line to
		pages-slugs (the file is not replaced: same inode) and does not
		list releases/ (the 'site: listing releases/' debug line); a
		rename and a removal do list it. A last line of pages-slugs
		without its line break (a crash while appending) is not read
		at the next start, which rewrites the file whole."""
		for i in range(60):
			ft.write_release(self.ws.release('mang-%02d.md' % i),
				dt.release_text('Mång %d' % i, iso(time.time() -
				86400 * (i + 2)), extra='id: urn:x-mang:%d' % i))
		self.start()
		slugs = self.ws.path('state', 'pages-slugs')

		def text():
			try:
				with open(slugs, encoding='utf-8') as f:
					return f.read()
			except FileNotFoundError:
				return ''

		def listed():
			return sum('site: listing releases/' in l for l in
				self.daemon.stderr_lines())

		self.wait(lambda: 'P\tmang-59\turn:x-mang:59\n' in text(),
			'pages-slugs written')
		before, was, nlisted = os.stat(slugs), text(), listed()
		adds = []
		for k in range(2):
			name = 'ny-%d' % k
			src = os.path.join(self.ws.outside, name + '.md')
			ft.write_release(src, dt.release_text('Ny %d' % k,
				iso(time.time() - 60)))
			os.rename(src, self.ws.release(name + '.md'))
			adds.append('P\t%s\t%s\n' % (name, dt.entry_id(name)))
			self.wait(lambda: text() == was + ''.join(adds),
				'the line of %s appended' % name)
		self.assertEqual(os.stat(slugs).st_ino, before.st_ino)
		self.assertGreaterEqual(nlisted, 1)	# the first sweep did
		self.assertEqual(listed(), nlisted)
		# Renamed: its old page is a redirect, releases/ listed.
		os.rename(self.ws.release('mang-05.md'),
			self.ws.release('mang-05-ny.md'))
		self.wait_page('mang-05', False)
		self.assertEqual(self.page('mang-05')[1], 'mang-05-ny')
		self.wait(lambda: 'R\tmang-05\turn:x-mang:5\n' in text() and
			listed() > nlisted, 'the redirect kept, releases/ listed')
		# A torn last line: not read after a restart.
		self.assertEqual(self.daemon.stop(), 0, self.daemon.describe())
		torn = os.stat(slugs)
		with open(slugs, 'a', encoding='utf-8') as f:
			f.write('R\tgammal-namn\turn:x-mang:6')
		self.restart()
		self.wait(lambda: os.stat(slugs).st_ino != torn.st_ino,
			'pages-slugs rewritten whole')
		now = text()
		self.assertTrue(now.endswith('\n'), now)
		self.assertNotIn('gammal-namn', now)
		self.assertNotIn('P\tmang-05\t', now)
		for line in ('P\tmang-05-ny\turn:x-mang:5\n',
				'R\tmang-05\turn:x-mang:5\n', adds[1]):
			self.assertEqual(now.count(line), 1, now)
		self.assertIsNone(self.page('gammal-namn'))
		self.assertEqual(self.page('mang-05')[1], 'mang-05-ny')
		# Removed: its page and its redirect go, releases/ listed.
		nlisted = listed()
		os.remove(self.ws.release('mang-05-ny.md'))
		self.wait(lambda: self.page('mang-05') is None and
			self.page('mang-05-ny') is None, 'the pages removed')
		self.assertGreater(listed(), nlisted)
		self.assertNotIn('urn:x-mang:5\n', text())

	def test_pages_slugs_deleted_while_running(self):
		"""pages-slugs removed under the daemon (a clean-up of the state
		folder), then a release renamed: the sweep that made its
		redirect writes the file whole at once, so a restart right
		after still has the redirect."""
		old, new = '2024-01-10-alfa', 'alfa-ny-titel'
		self.start()
		slugs = self.ws.path('state', 'pages-slugs')
		self.wait(lambda: os.path.exists(slugs), 'pages-slugs written')
		os.remove(slugs)
		os.rename(self.ws.release(old + '.md'), self.ws.release(new +
			'.md'))
		# Made by the sweep, which writes pages-slugs before the
		# daemon looks at its signals again.
		self.wait_page(old, False)
		self.assertEqual(self.daemon.stop(), 0, self.daemon.describe())
		with open(slugs, encoding='utf-8') as f:
			self.assertIn('R\t%s\t' % old, f.read())
		self.restart()
		self.assertRedirect(old, new)

	def test_linkchecker_and_nu_checker_on_the_embedded_server(self):
		"""linkchecker (Debian's) crawls the site the daemon serves,
		the seed-like and an Arabic release and a renamed release's
		redirect among it: zero broken links; the Nu checker passes the
		redirect page."""
		exe = shutil.which('linkchecker')
		if exe is None:
			print('SKIP: linkchecker not installed (make check installs '
				'it: scripts/install-deps.sh)', file=sys.stderr)
			self.skipTest('linkchecker not installed')
		if not os.path.exists(SEED):
			self.skipTest('%s not found' % SEED)
		ft.write_release(self.ws.release('2019-12-10-helsingborg-'
			'trygghet.md'), seed_release())
		ft.write_release(self.ws.release('arabic.md'), '---\ntitle: '
			'\u0627\u0644\u062e\u0628\u0631\nlang: ar\n---\n'
			'\u0646\u0635.\n')
		# Every link internal: the base URL is the server's own.
		port = free_port()
		base = 'http://127.0.0.1:%d/' % port
		self.write_config(feed=dict(SUB_FEEDS, base_url=base),
			extra='[http]\nlisten = 127.0.0.1:%d\n' % port)
		self.start(write_config=False)
		old, new = '2024-01-10-alfa', 'alfa-ny-titel'
		os.rename(self.ws.release(old + '.md'), self.ws.release(new +
			'.md'))
		self.wait_page(old, False)
		self.wait(lambda: '/releases/%s.html' % new in dt.read_atom(
			self.ws), 'the new link in the feed')
		# mailto: and tel: would ask DNS and the phone network.
		r = subprocess.run([exe, '--no-status', '--no-warnings',
			'--ignore-url=^mailto:', '--ignore-url=^tel:', '-r', '10',
			base, base + 'releases/%s.html' % old, base + 'sitemap.xml'],
			capture_output=True, text=True, timeout=300)
		m = re.search(r'(\d+) links? in (\d+) URLs? checked\. '
			r'(\d+) warnings? found\. (\d+) errors? found', r.stdout)
		self.assertIsNotNone(m, r.stdout[-3000:] + r.stderr[-2000:])
		self.assertEqual((r.returncode, m.group(4)), (0, '0'),
			r.stdout[-6000:])
		# The three feeds' pages, index, listings, css: dozens of URLs.
		self.assertGreater(int(m.group(2)), 10, r.stdout[-3000:])
		print('\nlinkchecker: %s links in %s URLs, %s errors' % (
			m.group(1), m.group(2), m.group(4)), file=sys.stderr)
		errors = nu_check(self, [os.path.join(self.ws.out, 'releases',
			old + '.html')], self.ws.path('.'))
		self.assertEqual(errors, [], '\n'.join(errors))

	def test_chromium_follows_the_redirect(self):
		exe = chromium()
		if exe is None:
			self.skipTest('chromium not installed')
		old, new = '2024-01-10-alfa', 'alfa-ny-titel'
		self.start()
		os.rename(self.ws.release(old + '.md'), self.ws.release(new +
			'.md'))
		self.wait_page(old, False)
		self.wait_page(new, True)	# renamed in one by one
		url = 'file://' + os.path.join(self.ws.out, 'releases', old +
			'.html')
		dom = subprocess.run([exe, '--headless', '--no-sandbox',
			'--disable-gpu', '--no-first-run', '--user-data-dir=' +
			self.ws.path('chr'), '--virtual-time-budget=5000',
			'--dump-dom', url], capture_output=True, text=True,
			timeout=120)
		self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
		# The new page's own parts, which the redirect page has not.
		self.assertIn('class="dateline"', dom.stdout)
		self.assertIn('application/ld+json', dom.stdout)


def free_port():
	"""A loopback TCP port free a moment ago."""
	import socket
	with socket.socket() as s:
		s.bind(('127.0.0.1', 0))
		return s.getsockname()[1]


class Meta(html.parser.HTMLParser):
	"""<meta> by (attribute, value) of name/http-equiv, <link> by rel."""

	def __init__(self):
		super().__init__()
		self.meta, self.links = {}, {}

	def handle_starttag(self, tag, attrs):
		a = dict(attrs)
		if tag == 'meta':
			for k in ('name', 'http-equiv', 'property'):
				if k in a:
					self.meta[(k, a[k])] = a.get('content')
		elif tag == 'link' and 'rel' in a:
			self.links[a['rel']] = a.get('href')


if __name__ == '__main__':
	ft.require_binary()
	unittest.main(verbosity=1)
