"""RFC 6721 tombstones ([feed] deleted_for): a release removed leaves an
at:deleted-entry (ref, when) in feed.atom for that long, across
restarts; feed.json simply drops the item; a release that comes back
takes its tombstone away. Every feed stays valid (xmllint --relaxng,
feedparser). The embedded server answers 410 Gone for the removed
release's page while its tombstone lives (across a restart), 404 for
other unknown names and once the tombstone expired.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_deletions.py
"""

import http.client
import json
import os
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402
import hubtest as ht  # noqa: E402
from feedtest import NS  # noqa: E402

AT = '{http://purl.org/atompub/tombstones/1.0}deleted-entry'


def rid(slug):
	return 'tag:news.example.org,2000:/releases/' + slug


def put(ws, slug, day):
	ft.write_release(ws.release(slug + '.md'), '---\ntitle: %s\n'
		'date: 2025-01-%02dT10:00:00Z\n---\nText.\n' % (slug, day))


def tombs(path):
	root = ET.parse(path).getroot()
	return [(t.get('ref'), t.get('when')) for t in root.iter(AT)]


class Once(ft.FeedCase):

	def setUp(self):
		self.ws = self.new_workspace()
		for i, s in enumerate(('a', 'b', 'c'), 1):
			put(self.ws, s, i)
		self.config('1d')

	def config(self, keep):
		f = ft.default_feed()
		f.update({'deleted_for': keep, 'json': 'true'})
		self.ws.write_config(feed=f)

	def publish(self):
		self.assertRunOK(self.ws.run('--once'))

	def test_removed_release_leaves_a_tombstone(self):
		self.publish()
		self.assertEqual(tombs(self.ws.atom), [])
		os.unlink(self.ws.release('b.md'))
		t0 = time.time()
		self.publish()
		(ref, when), = tombs(self.ws.atom)
		self.assertEqual(ref, rid('b'))
		self.assertLess(abs(ft.utc_epoch(when) - t0), 5)
		self.assertAtomSchema(self.ws.atom)
		d = self.assertFeedparserOK(self.ws.atom)
		self.assertEqual(sorted(e.id for e in d.entries),
			[rid('a'), rid('c')])
		with open(os.path.join(self.ws.out, 'feed.json'),
				encoding='utf-8') as f:
			self.assertEqual(sorted(i['id'] for i in json.load(f)['items']),
				[rid('a'), rid('c')])
		# Another run (a restart): the same tombstone, the same time.
		self.publish()
		self.assertEqual(tombs(self.ws.atom), [(ref, when)])
		# Back again: no tombstone.
		put(self.ws, 'b', 2)
		self.publish()
		self.assertEqual(tombs(self.ws.atom), [])
		self.assertEqual(len(ET.parse(self.ws.atom).getroot().findall(
			'a:entry', NS)), 3)

	def test_tombstone_expires(self):
		self.config('1s')
		self.publish()
		os.unlink(self.ws.release('a.md'))
		self.publish()
		self.assertEqual([r for r, _ in tombs(self.ws.atom)], [rid('a')])
		time.sleep(2.2)
		self.publish()
		self.assertEqual(tombs(self.ws.atom), [])

	def test_off_by_default(self):
		self.ws.write_config()
		self.publish()
		os.unlink(self.ws.release('a.md'))
		self.publish()
		self.assertEqual(tombs(self.ws.atom), [])
		self.assertFalse(os.path.exists(self.ws.path('state',
			'tombstones.json')))

	def test_unreadable_state_is_a_warning(self):
		self.publish()
		with open(self.ws.path('state', 'tombstones.json'), 'w') as f:
			f.write('{"deleted": [{"ref": 1}], "published": "x"')
		run = self.ws.run('--once')
		self.assertRunOK(run)
		self.assertIn('cannot be read as feedpubd wrote it', run.stderr)
		self.assertEqual(tombs(self.ws.atom), [])


class Daemon(dt.DaemonCase):

	def test_removal_while_running(self):
		self.write_config(feed={'deleted_for': '1h'})
		self.start(write_config=False)
		slug = dt.BASE_SLUGS['Beta']
		os.unlink(self.ws.release(slug + '.md'))
		self.wait(lambda: [r for r, _ in tombs(self.ws.atom)] ==
			[rid(slug)], 'the tombstone of ' + slug)
		self.assertAtomSchema(self.ws.atom)



class Served(ht.HubCase):
	"""The daemon's own HTTP server and the pages of removed releases."""

	KEEP = 8	# seconds a tombstone lives: room for a restart

	def status(self, path, method='GET'):
		"""(status, Content-Type, body) of path, over http.client."""
		host, port = self.base[len('http://'):-1].rsplit(':', 1)
		c = http.client.HTTPConnection(host, int(port), timeout=dt.TIMEOUT)
		try:
			c.request(method, '/' + path)
			r = c.getresponse()
			return r.status, r.getheader('Content-Type'), r.read()
		finally:
			c.close()

	def test_page_of_a_removed_release_is_gone(self):
		self.start_hub(feed=dict(ft.default_feed(),
			deleted_for='%ds' % self.KEEP), hub={'enabled': 'false'})
		slug = dt.BASE_SLUGS['Beta']
		page = 'releases/%s.html' % slug
		self.assertEqual(self.status(page)[0], 200)
		# Before any deletion, an unknown page is a plain 404.
		self.assertEqual(self.status('releases/nothing.html')[0], 404)
		os.unlink(self.ws.release(slug + '.md'))
		dt.wait_for(lambda: self.status(page)[0] == 410, what='410 for '
			+ page + '\n' + self.daemon.describe())
		gone_at = time.monotonic()
		self.assertFalse(os.path.exists(os.path.join(self.ws.out, page)))
		status, ctype, body = self.status(page)
		self.assertEqual(ctype, 'text/html; charset=utf-8')
		self.assertIn(b'<title>Gone</title>', body)
		self.assertEqual(self.status(page, 'HEAD')[:2], (410, ctype))
		# Only that very name: others stay 404, the live pages 200.
		for other in ('releases/nothing.html', page + '/', page[:-1],
				'releases/%s.atom' % slug, 'x/' + page,
				page.upper()):
			self.assertEqual(self.status(other)[0], 404, other)
		self.assertEqual(self.status('releases/%s.html'
			% dt.BASE_SLUGS['Alfa'])[0], 200)
		# A restart while the tombstone lives: still gone.
		self.daemon.stop()
		self.relaunch()
		self.assertEqual(self.status(page)[0], 410)
		# It expires by itself (no other change): 404 from then on.
		dt.wait_for(lambda: self.status(page)[0] == 404, self.KEEP + 10,
			'404 after the tombstone expired\n' + self.daemon.describe())
		self.assertGreater(time.monotonic() - gone_at, self.KEEP - 2)
		self.assertEqual(tombs(self.ws.atom), [])


	def test_a_page_served_again_wins_over_its_tombstone(self):
		"""The release comes back: 200. Another release takes the slug
		(another id, so the old id's tombstone lives on): 200 too."""
		self.start_hub(feed=dict(ft.default_feed(), deleted_for='1h'),
			hub={'enabled': 'false'})
		slug = dt.BASE_SLUGS['Beta']
		path = self.ws.release(slug + '.md')
		page = 'releases/%s.html' % slug
		with open(path, encoding='utf-8') as f:
			text = f.read()
		os.unlink(path)
		dt.wait_for(lambda: self.status(page)[0] == 410, what='410')
		ft.write_release(path, text)
		dt.wait_for(lambda: self.status(page)[0] == 200, what='200 again')
		self.assertEqual(tombs(self.ws.atom), [])
		os.unlink(path)
		dt.wait_for(lambda: self.status(page)[0] == 410, what='410 again')
		ft.write_release(path, '---\ntitle: Other\nid: urn:x:other\n'
			'date: 2025-01-01T10:00:00Z\n---\nText.\n')
		dt.wait_for(lambda: self.status(page)[0] == 200, what='200, other')
		self.assertIn(b'Other', self.status(page)[2])
		self.assertEqual([r for r, _ in tombs(self.ws.atom)], [rid(slug)])


if __name__ == '__main__':
	unittest.main()
