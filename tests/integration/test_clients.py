"""What real feed clients show of a newsroom's feeds (issue 9).

A newsroom with Swedish, Arabic and emoji titles, a table, several
authors, an edited release, DST-edge dates, relative links and the real
Swedish press release from $SHARED/samples (read at test time), published
with --once and read by the Universal Feed Parser, xmllint (RELAX NG),
newsboat and sfeed. Each test asserts what one client shows.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_clients.py
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402

SAMPLE = os.path.join(ft.SHARED, 'samples',
	'2019-12-10-helsingborg-trygghet.md')
SAMPLE_TITLE = ('Helsingborgs stad och Stiftelsen Tryggare Sverige ingår '
	'partnerskap (IOP) för ett tryggare Helsingborg')

BUDGET = 'Budget 2027: skattesats & investeringar'
BUDGET_AUTHORS = ['Anna Berg', 'Holm & Sundin arkitekter, AB', 'Bo Ek']
BUDGET_LINK = 'https://news.example.org/releases/2025-02-03-budget-2027.html'
ARABIC = 'افتتاح المكتبة الجديدة في المدينة'
ARABIC_LINK = 'https://www.example.org/ar/%D9%85%D9%83%D8%AA%D8%A8%D8%A9'
EMOJI = 'Midsommar 🎉 i parken:\u00a0"dans" & <musik>'
AUTUMN = 'Klockan ställs om'
SPRING = 'Sommartid börjar'

RELEASES = {
	# A heading title with Markdown, a table, several authors, an edit,
	# relative links and an image.
	'2025-02-03 Budget 2027.md': '''---
date: 2025-02-03 09:00
updated: 2025-02-04T15:30:00+01:00
author: [Anna Berg, "Holm & Sundin arkitekter, AB", Bo Ek]
tags: budget, ekonomi
---
# Budget 2027: `skattesats` & **investeringar**

Kommunen föreslår en oförändrad skattesats. Läs [hela förslaget](budget.pdf)
eller se [alla nyheter](/).

![Diagram över investeringarna](bilder/diagram.png)

| Område | Miljoner |
| --- | --- |
| Skola | 120 |
| Vård | 95 |
''',
	# Right to left, its own language and a link outside ASCII.
	'2025-03-10 bibliotek.md': '''---
title: "%s"
date: 2025-03-10T10:00:00+01:00
lang: ar
link: https://www.example.org/ar/مكتبة
author: مكتب الصحافة
---
تفتح المكتبة الجديدة أبوابها يوم الاثنين.
''' % ARABIC,
	'2025-06-20 midsommar.md': '''---
title: '%s'
date: 2025-06-20 12:00
summary: Dans, musik och sill i parken.
---
Välkommen till midsommarfirandet i parken.
''' % EMOJI.replace("'", "''"),
	# 02:30 happens twice on 2025-10-26 in Stockholm: the later is read.
	'2025-10-26 klockan.md': '''---
title: %s
date: 2025-10-26 02:30
---
Natten till söndag ställs klockan tillbaka en timme.
''' % AUTUMN,
	'2025-03-30 sommartid.md': '''---
title: %s
date: 2025-03-30 03:00
---
Klockan ställs fram en timme.
''' % SPRING,
	# Slips that must not publish.
	'typo-draft.md': '---\ntitle: Inte klar\nDraft: true\n---\nUtkast.\n',
	'ja-draft.md': '---\ntitle: Inte heller klar\ndraft: ja\n---\nUtkast.\n',
	'gap.md': '---\ntitle: Finns inte\ndate: 2025-03-30 02:30\n---\nX.\n',
	'tom.md': '',
	'blank.md': '\n  \n',
}

PUBLISHED = [AUTUMN, EMOJI, SPRING, ARABIC, BUDGET]


def prepare(ws):
	for name, text in RELEASES.items():
		ft.write_release(ws.release(name), text)
	if os.path.exists(SAMPLE):
		shutil.copy(SAMPLE, ws.release('2019-12-10-helsingborg-trygghet.md'))
	ws.write_config()


def want_titles():
	return PUBLISHED + ([SAMPLE_TITLE] if os.path.exists(SAMPLE) else [])


def run(argv, **kw):
	return subprocess.run(argv, stdin=subprocess.DEVNULL,
		stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=ft.TIMEOUT,
		**kw)


class Clients(ft.OnceCase):

	@classmethod
	def setUpClass(cls):
		cls.run_once(None, prepare, lambda ws, r: r.returncode == 0)

	def setUp(self):
		if self.feeds is None:
			self.fail('feeds not parsed: %s\n%s' % (self.parse_error,
				self.run_.describe()))

	def test_slips_not_published(self):
		self.assertRunOK(self.run_)
		self.assertEqual(sorted(self.feeds.atom_titles()),
			sorted(want_titles()))
		err = self.run_.stderr
		self.assertIn("typo-draft.md:3: unknown field 'Draft': did you "
			"mean 'draft'?", err)
		self.assertIn("ja-draft.md:3: 'draft' must be true or false", err)
		self.assertIn('gap.md:3: \'date\' 2025-03-30 02:30 does not exist '
			'in Europe/Stockholm', err)
		for name in ('tom.md', 'blank.md'):
			self.assertIn(name + ': is empty', err)

	def test_xmllint_relaxng(self):
		self.assertWellFormed(self.ws.rss)
		self.assertAtomSchema(self.ws.atom)

	def test_feedparser(self):
		for path in (self.ws.atom, self.ws.rss):
			with self.subTest(feed=os.path.basename(path)):
				d = self.assertFeedparserOK(path)
				got = {e.title: e for e in d.entries}
				self.assertEqual(sorted(got), sorted(want_titles()))
				b = got[BUDGET]
				self.assertEqual(b.link, BUDGET_LINK)
				self.assertEqual(b.tags[0].term, 'budget')
				self.assertEqual([t.term for t in b.tags],
					['budget', 'ekonomi'])
				# The edit shows: updated from atom:updated in RSS too.
				self.assertEqual(ft.struct_epoch(b.updated_parsed),
					ft.utc_epoch('2025-02-04T14:30:00Z'))
				self.assertEqual(ft.struct_epoch(b.published_parsed),
					ft.utc_epoch('2025-02-03T08:00:00Z'))
				content = b.content[0].value
				self.assertIn('href="https://news.example.org/releases/'
					'budget.pdf"', content)
				self.assertIn('href="https://news.example.org/"', content)
				self.assertIn('src="https://news.example.org/releases/'
					'bilder/diagram.png"', content)
				self.assertIn('<table>', content)
				self.assertEqual(got[ARABIC].link, ARABIC_LINK)
				self.assertEqual(got[ARABIC].author, 'مكتب الصحافة')
				e = got[AUTUMN]
				self.assertEqual(ft.struct_epoch(e.published_parsed),
					ft.utc_epoch('2025-10-26T01:30:00Z'))
				e = got[SPRING]
				self.assertEqual(ft.struct_epoch(e.published_parsed),
					ft.utc_epoch('2025-03-30T01:00:00Z'))
				if path == self.ws.atom:
					# authors has all three; author is the last.
					self.assertEqual([a.name for a in b.authors],
						BUDGET_AUTHORS)
					self.assertEqual(b.author, BUDGET_AUTHORS[-1])
					# No summary but the editor's: readers that
					# prefer it get the content.
					self.assertEqual(d.feed.link,
						'https://news.example.org/')
					self.assertEqual(got[EMOJI].summary,
						'Dans, musik och sill i parken.')
				else:
					self.assertEqual(b.author, '; '.join(BUDGET_AUTHORS))
				if os.path.exists(SAMPLE):
					s = got[SAMPLE_TITLE]
					self.assertEqual(ft.struct_epoch(s.published_parsed),
						ft.utc_epoch('2019-12-10T07:54:00Z'))
					self.assertEqual(s.author, 'Stiftelsen Tryggare Sverige')
					self.assertIn('Fakta', s.content[0].value)

	def test_atom_raw(self):
		e = self.feeds.entry(BUDGET)
		self.assertIsNone(e.find('a:summary', ft.NS))
		c = e.find('a:content', ft.NS)
		self.assertEqual(c.get('{http://www.w3.org/XML/1998/namespace}base'),
			BUDGET_LINK)
		links = self.feeds.atom_root.findall('a:link', ft.NS)
		self.assertEqual([l.get('rel') for l in links][:2],
			['alternate', 'self'])
		self.assertEqual(self.feeds.entry(EMOJI).find('a:published',
			ft.NS).text, '2025-06-20T12:00:00+02:00')
		# The RSS link is a URI, as in Atom; ids and guids agree.
		for t in want_titles():
			e, i = self.feeds.entry(t), self.feeds.item(t)
			self.assertEqual(ft.text_of(e, 'a:id'), ft.text_of(i, 'guid'))
			self.assertEqual(e.find('a:link', ft.NS).get('href'),
				ft.text_of(i, 'link'))
			self.assertTrue(ft.text_of(i, 'link').isascii())

	def newsboat(self, feed):
		if shutil.which('newsboat') is None:
			self.skipTest('newsboat not installed')
		name = os.path.basename(feed)
		urls = self.ws.path('nb-urls-' + name)
		cache = self.ws.path('nb-cache-' + name + '.db')
		conf = self.ws.path('nb.conf')
		open(conf, 'w').close()
		url = 'file://' + feed
		with open(urls, 'w') as f:
			f.write(url + '\n')
		proc = run(['newsboat', '-u', urls, '-c', cache, '-C', conf, '-x',
			'reload'], env=dict(os.environ, HOME=self.ws.dir))
		self.assertEqual(proc.returncode, 0, proc.stderr)
		db = sqlite3.connect(cache)
		try:
			rows = db.execute('SELECT title, author, url, guid, pubDate, '
				'content FROM rss_item WHERE feedurl = ?', (url,)).fetchall()
		finally:
			db.close()
		return {r[0]: r for r in rows}

	def test_newsboat(self):
		for feed in (self.ws.atom, self.ws.rss):
			with self.subTest(feed=os.path.basename(feed)):
				got = self.newsboat(feed)
				self.assertEqual(sorted(got), sorted(want_titles()))
				title, author, url, guid, pub, content = got[BUDGET]
				self.assertEqual(url, BUDGET_LINK)
				self.assertEqual(pub, ft.utc_epoch('2025-02-03T08:00:00Z'))
				self.assertIn('https://news.example.org/releases/budget.pdf',
					content)
				# newsboat shows one author string: ours in RSS; in
				# Atom it joins the <author>s with ", " itself.
				self.assertEqual(author, ('; ' if feed == self.ws.rss
					else ', ').join(BUDGET_AUTHORS))
				self.assertEqual(got[ARABIC][2], ARABIC_LINK)
				self.assertEqual(got[AUTUMN][4],
					ft.utc_epoch('2025-10-26T01:30:00Z'))

	def sfeed(self, feed):
		if shutil.which('sfeed') is None:
			self.skipTest('sfeed not installed')
		with open(feed, 'rb') as f:
			proc = subprocess.run(['sfeed'], stdin=f,
				stdout=subprocess.PIPE, stderr=subprocess.PIPE,
				timeout=ft.TIMEOUT)
		self.assertEqual(proc.returncode, 0, proc.stderr)
		out = {}
		for line in proc.stdout.decode('utf-8').split('\n'):
			if not line:
				continue
			# timestamp, title, link, content, content-type, id, author,
			# enclosure, category (sfeed(5)).
			f = line.split('\t')
			out[f[1]] = f
		return out

	def test_sfeed(self):
		for feed in (self.ws.atom, self.ws.rss):
			with self.subTest(feed=os.path.basename(feed)):
				got = self.sfeed(feed)
				self.assertEqual(sorted(got), sorted(want_titles()))
				b = got[BUDGET]
				self.assertEqual(int(b[0]),
					ft.utc_epoch('2025-02-03T08:00:00Z'))
				self.assertEqual(b[2], BUDGET_LINK)
				self.assertIn('https://news.example.org/releases/bilder/'
					'diagram.png', b[3])
				self.assertEqual(b[4], 'html')
				self.assertEqual(got[ARABIC][2], ARABIC_LINK)
				self.assertEqual(got[ARABIC][5], ft.text_of(
					self.feeds.entry(ARABIC), 'a:id'))
				# sfeed shows one author: the first <author> in Atom.
				if feed == self.ws.rss:
					self.assertEqual(b[6], '; '.join(BUDGET_AUTHORS))
				else:
					self.assertEqual(b[6], BUDGET_AUTHORS[0])
				self.assertEqual(b[8], 'budget|ekonomi')
				self.assertEqual(int(got[AUTUMN][0]),
					ft.utc_epoch('2025-10-26T01:30:00Z'))


if __name__ == '__main__':
	unittest.main()
