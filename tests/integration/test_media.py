#!/usr/bin/env python3
"""Media (front matter image and attachments) through real clients:
feedparser sees the enclosures with href, length and type, the Atom feed
passes the RELAX NG schema, feed.json has image and attachments, the page
shows the figure (tidy), two releases' photo.jpg keep their own copies, an
edited image is copied again with the length following, and a hostile
path is an error naming the file and the field."""

import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
import jsonfeedtest as jt  # noqa: E402

PHOTO_A = b'\xff\xd8\xff\xe0 first photo'
PHOTO_B = b'\xff\xd8\xff\xe0 second, longer photo'
PDF = b'%PDF-1.4 report'
MP3 = 'https://cdn.example.com/ljud/intervju.mp3'

A = ('---\ntitle: Hamnen rustas\ndate: 2026-11-30T09:00:00+01:00\n'
	'image: {src: photo.jpg, caption: Kajen i gryning, '
	'credit: "Foto: Ada Berg"}\nattachments:\n'
	'  - src: report.pdf\n    title: Rapporten\n  - %s\n---\nText.\n' % MP3)
B = ('---\ntitle: Parken\ndate: 2026-11-29T09:00:00+01:00\n'
	'image: photo.jpg\n---\nText.\n')


def feed():
	f = ft.default_feed()
	f['json'] = 'true'
	return f


def put(path, data):
	os.makedirs(os.path.dirname(path), exist_ok=True)
	with open(path, 'wb') as f:
		f.write(data)


class Media(ft.FeedCase, jt.Checks):

	def setUp(self):
		self.ws = ws = self.new_workspace()
		put(ws.release('one/photo.jpg'), PHOTO_A)
		put(ws.release('one/report.pdf'), PDF)
		put(ws.release('two/photo.jpg'), PHOTO_B)
		ft.write_release(ws.release('one/hamnen.md'), A)
		ft.write_release(ws.release('two/parken.md'), B)
		ws.write_config(feed=feed())
		self.run_ = ws.run('--once')

	def out(self, rel):
		return os.path.join(self.ws.out, rel)

	def read(self, rel, mode='r'):
		with open(self.out(rel), mode) as f:
			return f.read()

	def test_copies_kept_apart(self):
		self.assertRunOK(self.run_)
		self.assertEqual(self.read('media/hamnen/photo.jpg', 'rb'), PHOTO_A)
		self.assertEqual(self.read('media/parken/photo.jpg', 'rb'), PHOTO_B)
		self.assertEqual(self.read('media/hamnen/report.pdf', 'rb'), PDF)
		self.assertEqual([n for n in os.listdir(self.out('media/hamnen'))
			if n.startswith('.')], [])

	def test_atom(self):
		self.assertRunOK(self.run_)
		self.assertAtomSchema(self.ws.atom)
		d = self.assertFeedparserOK(self.ws.atom)
		e = {x.title: x for x in d.entries}
		enc = [(x.href, int(x.length) if 'length' in x else None, x.type)
			for x in e['Hamnen rustas'].enclosures]
		self.assertEqual(enc, [
			(ft.BASE_URL + 'media/hamnen/photo.jpg', len(PHOTO_A),
				'image/jpeg'),
			(ft.BASE_URL + 'media/hamnen/report.pdf', len(PDF),
				'application/pdf'),
			(MP3, None, 'audio/mpeg')])
		enc = [(x.href, int(x.length), x.type)
			for x in e['Parken'].enclosures]
		self.assertEqual(enc, [(ft.BASE_URL + 'media/parken/photo.jpg',
			len(PHOTO_B), 'image/jpeg')])

	def test_rss_one_enclosure(self):
		self.assertRunOK(self.run_)
		d = self.assertFeedparserOK(self.ws.rss)
		e = {x.title: x for x in d.entries}
		enc = [(x.href, int(x.length), x.type)
			for x in e['Hamnen rustas'].enclosures]
		self.assertEqual(enc, [(ft.BASE_URL + 'media/hamnen/photo.jpg',
			len(PHOTO_A), 'image/jpeg')])

	def test_json_feed(self):
		self.assertRunOK(self.run_)
		doc = self.assertJsonFeed(self.out('feed.json'))
		it = {i['title']: i for i in doc['items']}['Hamnen rustas']
		self.assertEqual(it['image'], ft.BASE_URL + 'media/hamnen/photo.jpg')
		self.assertEqual(it['attachments'], [
			{'url': ft.BASE_URL + 'media/hamnen/report.pdf',
				'mime_type': 'application/pdf', 'title': 'Rapporten',
				'size_in_bytes': len(PDF)},
			{'url': MP3, 'mime_type': 'audio/mpeg'}])

	def test_page_figure(self):
		self.assertRunOK(self.run_)
		page = self.read('releases/hamnen.html')
		self.assertIn('<meta property="og:image" content="%s">'
			% (ft.BASE_URL + 'media/hamnen/photo.jpg'), page)
		self.assertRegex(page, r'<figure class="image">\s*<img src="'
			r'\.\./media/hamnen/photo\.jpg" alt="Kajen i gryning">\s*'
			r'<figcaption>Kajen i gryning <span class="credit">Foto: '
			r'Ada Berg</span></figcaption>\s*</figure>')
		self.assertIn('<a href="../media/hamnen/report.pdf" '
			'type="application/pdf">Rapporten</a>', page)
		# The page's link resolves to the copy.
		self.assertTrue(os.path.isfile(os.path.join(self.out('releases'),
			'../media/hamnen/photo.jpg')))
		if shutil.which('tidy') is None:
			self.skipTest('tidy not installed (Debian: tidy)')
		r = subprocess.run(['tidy', '-q', '-e', '-utf8',
			self.out('releases/hamnen.html')], capture_output=True,
			text=True)
		self.assertEqual(r.returncode, 0, r.stderr)

	def test_edit_recopies(self):
		self.assertRunOK(self.run_)
		before = os.stat(self.out('media/parken/photo.jpg')).st_mtime_ns
		bigger = PHOTO_A + b' now retouched and larger'
		put(self.ws.release('one/photo.jpg'), bigger)
		os.utime(self.ws.release('one/photo.jpg'),
			(time.time() + 5, time.time() + 5))
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(self.read('media/hamnen/photo.jpg', 'rb'), bigger)
		d = self.assertFeedparserOK(self.ws.atom)
		e = {x.title: x for x in d.entries}['Hamnen rustas']
		self.assertEqual(int(e.enclosures[0].length), len(bigger))
		# The other release's copy was not touched.
		self.assertEqual(os.stat(self.out('media/parken/photo.jpg'))
			.st_mtime_ns, before)

	def test_unused_copies_removed(self):
		self.assertRunOK(self.run_)
		ft.write_release(self.ws.release('one/hamnen.md'),
			A.replace('  - src: report.pdf\n    title: Rapporten\n', ''))
		os.unlink(self.ws.release('two/parken.md'))
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(sorted(os.listdir(self.out('media'))), ['hamnen'])
		self.assertEqual(os.listdir(self.out('media/hamnen')), ['photo.jpg'])

	def test_embargoed_image_not_copied(self):
		self.assertRunOK(self.run_)
		put(self.ws.release('later/secret.jpg'), b'not yet')
		ft.write_release(self.ws.release('later/sen.md'), '---\ntitle: Sen\n'
			'date: 2099-01-01T00:00:00Z\nimage: secret.jpg\n---\nText.\n')
		self.assertRunOK(self.ws.run('--once'))
		self.assertFalse(os.path.exists(self.out('media/sen')))

	def test_hostile_is_an_error_naming_file_and_field(self):
		self.assertRunOK(self.run_)
		cases = {
			'etc.md': ('image: ../../etc/passwd',
				"'image': \"../../etc/passwd\" must stay in the "
				'releases folder'),
			'js.md': ('image: "javascript:alert(1)"',
				'must be an http(s) URL'),
			'gone.md': ('attachments: [nothere.pdf]',
				"'attachments': cannot read nothere.pdf"),
			'link.md': ('image: out.jpg', "'image': out.jpg is a "
				'symlink to a file outside the releases folder'),
			'fifo.md': ('image: pipe.jpg',
				"'image': pipe.jpg is not a regular file"),
		}
		os.symlink('/etc/passwd', self.ws.release('out.jpg'))
		os.mkfifo(self.ws.release('pipe.jpg'))
		for name, (line, _) in cases.items():
			ft.write_release(self.ws.release(name), '---\ntitle: %s\n%s\n'
				'---\nText.\n' % (name, line))
		run = self.ws.run('--once')
		for name, (_, want) in cases.items():
			with self.subTest(release=name):
				self.assertIn(name, run.stderr)
				self.assertIn(want, run.stderr)
		titles = ft.Feeds(self.ws).atom_titles()
		self.assertEqual(sorted(titles), ['Hamnen rustas', 'Parken'])
		self.assertFalse(os.path.exists(self.out('media/etc')))


class DaemonEdit(dt.DaemonCase):
	"""The daemon sees an image edited (not its release) and re-copies
	it; the enclosure length follows."""

	def length(self):
		m = re.search(r'rel="enclosure"[^>]*length="(\d+)"',
			dt.read_atom(self.ws))
		return int(m.group(1)) if m else None

	def test_image_edit(self):
		put(self.ws.release('bild.png'), b'\x89PNG small')
		ft.write_release(self.ws.release('2026-11-30-bild.md'),
			dt.release_text('Med bild', '2026-11-30T10:00:00+01:00',
			extra='image: bild.png\n'))
		self.start()
		self.wait(lambda: self.length() == 10, 'the first length')
		bigger = b'\x89PNG a good deal larger now'
		tmp = self.ws.release('.bild.png.tmp')
		put(tmp, bigger)
		os.rename(tmp, self.ws.release('bild.png'))
		self.wait(lambda: self.length() == len(bigger), 'the new length')
		with open(os.path.join(self.ws.out, 'media', '2026-11-30-bild',
				'bild.png'), 'rb') as f:
			self.assertEqual(f.read(), bigger)

	def test_image_edit_reaches_the_tag_feed(self):
		"""The release's file unchanged, its image edited: the tag feed
		holding it (a sub-feed no release came to or left) follows too."""
		def tag_length():
			try:
				with open(os.path.join(self.ws.out, 'tags',
						'bilder.atom')) as f:
					m = re.search(r'rel="enclosure"[^>]*length="(\d+)"',
						f.read())
			except FileNotFoundError:
				return None
			return int(m.group(1)) if m else None
		put(self.ws.release('bild.png'), b'\x89PNG small')
		ft.write_release(self.ws.release('2026-11-30-bild.md'),
			dt.release_text('Med bild', '2026-11-30T10:00:00+01:00',
			extra='image: bild.png\ntags: [Bilder]\n'))
		ft.write_release(self.ws.release('2026-11-29-annan.md'),
			dt.release_text('Annan', '2026-11-29T10:00:00+01:00',
			extra='tags: [Bilder, Annat]\n'))
		self.start(feed={'tag_feeds': 'true'})
		self.wait(lambda: tag_length() == 10, 'the first length')
		# A publish in between, of another release: the set is updated.
		ft.write_release(self.ws.release('2026-11-28-tredje.md'),
			dt.release_text('Tredje', '2026-11-28T10:00:00+01:00',
			extra='tags: [Annat]\n'))
		self.wait(lambda: os.path.exists(self.ws.release(
			'2026-11-28-tredje.md')) and b'Tredje' in open(os.path.join(
			self.ws.out, 'tags', 'annat.atom'), 'rb').read(), 'Tredje')
		bigger = b'\x89PNG a good deal larger now'
		tmp = self.ws.release('.bild.png.tmp')
		put(tmp, bigger)
		os.rename(tmp, self.ws.release('bild.png'))
		self.wait(lambda: self.length() == len(bigger), 'the new length')
		self.wait(lambda: tag_length() == len(bigger),
			'the new length in the tag feed')

	def test_image_grown_too_large_keeps_last_good(self):
		put(self.ws.release('bild.png'), b'\x89PNG small')
		ft.write_release(self.ws.release('2026-11-30-bild.md'),
			dt.release_text('Med bild', '2026-11-30T10:00:00+01:00',
			extra='image: bild.png\n'))
		self.start(feed={'max_media_size': '1K'})
		self.wait(lambda: self.length() == 10, 'the first length')
		tmp = self.ws.release('.bild.png.tmp')
		put(tmp, b'x' * 2000)
		os.rename(tmp, self.ws.release('bild.png'))
		self.wait(lambda: 'larger than max_media_size' in
			self.daemon.stderr(), 'the error')
		err = self.daemon.stderr()
		self.assertIn('2026-11-30-bild.md', err)
		self.assertIn("'image': bild.png is 2000 bytes", err)
		# The last good version stays live.
		self.assertIn('Med bild', dt.read_atom(self.ws))


if __name__ == '__main__':
	unittest.main()
