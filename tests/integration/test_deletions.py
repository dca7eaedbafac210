"""RFC 6721 tombstones ([feed] deleted_for): a release removed leaves an
at:deleted-entry (ref, when) in feed.atom for that long, across
restarts; feed.json simply drops the item; a release that comes back
takes its tombstone away. Every feed stays valid (xmllint --relaxng,
feedparser).

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_deletions.py
"""

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


if __name__ == '__main__':
	unittest.main()
