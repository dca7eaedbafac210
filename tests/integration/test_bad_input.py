"""feedpubd --once / --check on the bad corpus: each broken release is
skipped with one error line naming it, the rest is still published, and the
feeds stay well-formed whatever the input.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 \
     tests/integration/test_bad_input.py
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
from feedtest import NS, text_of  # noqa: E402

# Skipped releases (paths under releases/) and a title that must not appear.
BAD = {
	'bad-utf8.md': 'Trasig kodning',
	'bad-yaml.md': 'Felaktig YAML',
	'bad-date.md': 'Okänt datum',
	'list.md': 'Lista i stället för mappning',
	'bad-tags.md': 'Etiketter av fel form',
	'big.md': 'För stor fil',
	'b/samma.md': 'Samma namn B',
	'broken.md': None,
	'deep-nesting.md': 'För djup nästling',
	'bad-link.md': 'Relativ länk',
	'bad-id.md': 'Id utan schema',
}

# Errors found before or while reading the front matter: (file, where, what).
FIELD_ERRORS = [
	('deep-nesting.md', 'deep-nesting.md:3:',
		"front matter nests '[' and '{' more than 32 deep"),
	('bad-link.md', 'bad-link.md:4:',
		"'link' must be an absolute http(s) URL: \"/press/relativ-lank\""),
	('bad-id.md', 'bad-id.md:3:',
		"'id' must be an IRI such as tag:..., urn:uuid:... or https://...: "
		'"pressmeddelande 42"'),
]

CONTROL_TITLE = 'Styrteckeni rubriken'
HEADING_TITLE = 'Rubrik med styrtecken'
BOM_TITLE = 'Fönster med CRLF'
PUBLISHED = ['Fönster med CRLF', CONTROL_TITLE, 'Samma namn A',
	'Allt fungerar som det ska']


def prepare_bad(ws, max_file_size='1K'):
	# Tests run as root, so chmod 000 cannot make a file unreadable: a
	# dangling symlink is a release file that cannot be read.
	os.symlink(ws.path('finns-inte.md'), ws.release('broken.md'))
	# No front matter: its date is the mtime; pin it below the others.
	ft.set_mtime(ws.release('control-heading.md'), '2019-01-01T12:00:00Z')
	conf = ft.default_feed()
	conf['max_file_size'] = max_file_size
	ws.write_config(feed=conf)


class BadCorpus(ft.OnceCase):

	@classmethod
	def setUpClass(cls):
		cls.run_once('bad', prepare_bad, lambda ws, run:
			os.path.exists(ws.atom) and os.path.exists(ws.rss))

	def assertParsed(self):
		self.assertIsNotNone(self.feeds, 'feeds missing or unparsable: %s\n%s'
			% (self.parse_error, self.run_.describe()))

	def test_exit_zero_despite_skips(self):
		self.assertRunOK(self.run_)
		self.assertOnlyFeeds(self.ws.out)

	def test_one_line_per_bad_file(self):
		for rel in BAD:
			with self.subTest(file=rel):
				hits = self.assertLines(self.run_, rel)
				self.assertIn(os.path.join('releases', rel), hits[0])

	def test_good_files_not_reported(self):
		# a/samma.md may be named in b/samma.md's line, never in its own.
		for rel in ('ok.md', 'control-chars.md', 'control-heading.md',
				'bom-crlf.md', 'a/samma.md'):
			self.assertLines(self.run_, os.path.join('releases', rel), 0)

	def test_yaml_error_line_counted_in_file(self):
		hits = self.assertLines(self.run_, 'bad-yaml.md')
		self.assertIn('bad-yaml.md:4:', hits[0])

	def test_field_errors_line_and_message(self):
		for rel, where, what in FIELD_ERRORS:
			with self.subTest(file=rel):
				hits = self.assertLines(self.run_, rel)
				self.assertIn(os.path.join('releases', where), hits[0])
				self.assertIn(what, hits[0])

	def test_others_still_published(self):
		self.assertParsed()
		want = sorted(PUBLISHED + [HEADING_TITLE])
		self.assertEqual(sorted(self.feeds.atom_titles()), want)
		self.assertEqual(sorted(self.feeds.rss_titles()), want)
		for title in BAD.values():
			if title:
				self.assertNotIn(title, self.feeds.atom_text)
				self.assertNotIn(title, self.feeds.rss_text)

	def test_order(self):
		self.assertParsed()
		want = PUBLISHED + [HEADING_TITLE]
		self.assertEqual(self.feeds.atom_titles(), want)
		self.assertEqual(self.feeds.rss_titles(), want)

	def test_wellformed(self):
		self.assertRunOK(self.run_)
		for p in (self.ws.atom, self.ws.rss):
			self.assertWellFormed(p)
			self.assertFeedparserOK(p)
			self.assertNoForbiddenChars(p)

	def test_atom_relaxng(self):
		self.assertRunOK(self.run_)
		self.assertAtomSchema(self.ws.atom)

	def test_control_characters_dropped(self):
		self.assertParsed()
		e = self.feeds.entry(CONTROL_TITLE)
		c = text_of(e, 'a:content')
		self.assertIn('Brödtext med styrtecken och', c)
		i = self.feeds.item(CONTROL_TITLE)
		self.assertIn('Brödtext med styrtecken och',
			text_of(i, 'content:encoded'))
		# Issue 9: Atom carries only a front matter summary; RSS keeps
		# the derived one in description.
		self.assertIn('Brödtext med styrtecken och',
			text_of(i, 'description'))
		self.assertIsNone(text_of(e, 'a:summary'))
		e = self.feeds.entry(HEADING_TITLE)
		self.assertIn('Text utan front matter.', text_of(e, 'a:content'))
		self.assertEqual(text_of(e, 'a:published'),
			'2019-01-01T13:00:00+01:00')
		for p in (self.ws.atom, self.ws.rss):
			d = self.assertFeedparserOK(p)
			titles = [x.title for x in d.entries]
			self.assertIn(CONTROL_TITLE, titles)
			self.assertIn(HEADING_TITLE, titles)

	def test_bom_crlf(self):
		self.assertParsed()
		e = self.feeds.entry(BOM_TITLE)
		self.assertEqual(text_of(e, 'a:published'),
			'2020-02-11T10:00:00+01:00')
		self.assertEqual([c.get('term') for c in
			e.findall('a:category', NS)], ['windows', 'radslut'])
		self.assertEqual(text_of(e, 'a:summary'),
			'Sammanfattning från Windows.')
		c = text_of(e, 'a:content')
		self.assertIn('Den här filen är sparad i Anteckningar med BOM', c)
		self.assertNotIn('title:', c)
		self.assertNotIn('---', c)
		self.assertNotIn('\r', c)
		self.assertNotIn('\ufeff', self.feeds.atom_text)
		self.assertNotIn('\ufeff', self.feeds.rss_text)
		self.assertEqual(c.count('<p>'), 2, c)
		self.assertEqual([x.text for x in
			self.feeds.item(BOM_TITLE).findall('category')],
			['windows', 'radslut'])

	def test_duplicate_slug_first_wins(self):
		self.assertParsed()
		e = self.feeds.entry('Samma namn A')
		self.assertEqual(text_of(e, 'a:id'),
			'tag:news.example.org,2000:/releases/samma')


class BadCorpusOther(ft.FeedCase):

	def test_check_reports_and_writes_nothing(self):
		ws = self.new_workspace('bad')
		prepare_bad(ws)
		run = ws.run('--check')
		self.assertEqual(run.returncode, 1, run.describe())
		both = run.stdout + run.stderr
		for rel in BAD:
			self.assertIn(rel, both, run.describe())
		self.assertIn('bad-yaml.md:4:', both)
		for _, where, what in FIELD_ERRORS:
			self.assertIn(where + ' ' + what, both)
		for rel in ('ok.md', 'control-chars.md', 'bom-crlf.md',
				'a/samma.md'):
			self.assertNotIn(os.path.join('releases', rel), both)
		self.assertFalse(os.path.exists(ws.out), 'output folder created')

	def test_default_max_file_size_takes_big_file(self):
		ws = self.new_workspace('bad')
		prepare_bad(ws, max_file_size=None)
		run = ws.run('--once')
		self.assertRunOK(run)
		self.assertLines(run, 'big.md', 0)
		self.assertIn('För stor fil', ft.Feeds(ws).atom_titles())

	def test_only_good_after_fixing(self):
		"""Fixing a bad file publishes it on the next run."""
		ws = self.new_workspace('bad')
		prepare_bad(ws)
		self.assertRunOK(ws.run('--once'))
		path = ws.release('bad-yaml.md')
		with open(path, encoding='utf-8') as f:
			text = f.read()
		with open(path, 'w', encoding='utf-8') as f:
			f.write(text.replace('detta: går inte', '"detta: går"'))
		run = ws.run('--once')
		self.assertRunOK(run)
		self.assertLines(run, 'bad-yaml.md', 0)
		feeds = ft.Feeds(ws)
		self.assertIn('Felaktig YAML', feeds.atom_titles())
		self.assertIn('Felaktig YAML', feeds.rss_titles())


class ForgedLogLines(ft.FeedCase):
	"""A file name is bytes: printed raw, a newline in it would start a
	line of its own (issue 8 item 12)."""

	def test_newline_and_escapes_in_a_name_stay_in_one_line(self):
		ws = self.new_workspace()
		ws.write_config()
		evil = 'evil\nfeedpubd: info: forged\x1b[2J\x7f.md'
		ft.write_release(ws.release(evil), '---\ntitle: [oops\n---\n\nText.\n')
		ft.write_release(ws.release('ok.md'), '# Bra\n\nText.\n')
		run = ws.run('--once')
		self.assertRunOK(run)
		lines = run.stderr_lines()
		self.assertEqual([l for l in lines if 'forged' in l], [l for l in
			lines if 'evil' in l], run.describe())
		hits = [l for l in lines if 'evil' in l]
		self.assertEqual(len(hits), 1, run.describe())
		self.assertTrue(hits[0].startswith('feedpubd: error: '), hits[0])
		self.assertIn('evil\\nfeedpubd: info: forged\\x1B[2J\\x7F.md:',
			hits[0])
		self.assertFalse(any(l.startswith('feedpubd: info: forged')
			for l in lines), run.describe())
		self.assertNotIn('\x1b', run.stderr)

	def test_invalid_utf8_name_is_escaped_and_valid_utf8_kept(self):
		ws = self.new_workspace()
		ws.write_config()
		name = os.fsencode(ws.releases) + b'/tr\xe4sig-\xc3\xa5.md'
		with open(name, 'wb') as f:
			f.write(b'---\ntitle: [oops\n---\n\nText.\n')
		run = ws.run('--once')
		self.assertRunOK(run)
		self.assertIn(b'tr\\xE4sig-\xc3\xa5.md:', run_bytes(run))


def run_bytes(run):
	return run.stderr.encode('utf-8', 'surrogateescape')


if __name__ == '__main__':
	unittest.main()
