"""RFC 6721 tombstones ([feed] deleted_for): a release removed leaves an
at:deleted-entry (ref, when) in feed.atom for that long, across
restarts; feed.json simply drops the item; a release that comes back
takes its tombstone away. Every feed stays valid (xmllint --relaxng,
feedparser). The embedded server answers 410 Gone for the removed
release's page while its tombstone lives (across a restart), 404 for
other unknown names and once the tombstone expired. Each Atom sub-feed
(tag, type, lang) the release was in carries the same tombstone, also
one left with no entry (then it goes once the tombstone expired), and
is announced by the hub; the archives that held it are rewritten.

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
import jsonfeedtest as jt  # noqa: E402
from feedtest import NS, text_of  # noqa: E402

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



# The release removed (x) is in two tags, a type and a language. Its tag
# Möllan is no other release's, and shares its slug with y's mollan, so
# its feed is tags/mollan-HASH.atom (subfeed.h) and holds only x; so does
# langs/en.atom.
SUBS = {
	'x': 'tags: [brott, Möllan]\ntype: Nyhet\nlang: en\n',
	'y': 'tags: [brott, mollan]\ntype: Nyhet\n',
	'z': 'tags: [annat]\n',
}
X_FEEDS = ('tags/brott', 'MOLLAN_X', 'types/nyhet', 'langs/en')
ONLY_X = ('MOLLAN_X', 'langs/en')
OTHER_FEEDS = ('tags/mollan', 'tags/annat', 'langs/sv')


def put_sub(ws, slug, day):
	ft.write_release(ws.release(slug + '.md'), '---\ntitle: %s\n'
		'date: 2025-01-%02dT10:00:00Z\n%s---\nText.\n'
		% (slug, day, SUBS[slug]))


def sub_feed_section(keep, **more):
	f = ft.default_feed()
	f.update({'deleted_for': keep, 'json': 'true', 'tag_feeds': 'true',
		'type_feeds': 'true', 'lang_feeds': 'true'})
	f.update(more)
	return f


class SubFeeds(ft.FeedCase, jt.Checks):

	def setUp(self):
		self.ws = self.new_workspace()
		for day, s in enumerate(('z', 'y', 'x'), 1):
			put_sub(self.ws, s, day)
		self.ws.write_config(feed=sub_feed_section('1d'))
		self.publish()
		moved = [p for p in os.listdir(self.out('tags'))
			if p.startswith('mollan-') and p.endswith('.atom')]
		self.assertEqual(len(moved), 1, os.listdir(self.out('tags')))
		self.mollan_x = 'tags/' + moved[0][:-5]
		self.assertEqual(self.ids(self.mollan_x), [rid('x')])

	def publish(self):
		run = self.ws.run('--once')
		self.assertRunOK(run)
		return run

	def out(self, *rel):
		return os.path.join(self.ws.out, *rel)

	def name(self, feed):
		return self.mollan_x if feed == 'MOLLAN_X' else feed

	def ids(self, feed, ext='.atom'):
		path = self.out(self.name(feed) + ext)
		if ext == '.json':
			with open(path, encoding='utf-8') as f:
				return [i['id'] for i in json.load(f)['items']]
		if ext == '.rss':
			return [e.id for e in self.assertFeedparserOK(path).entries]
		return [text_of(e, 'a:id') for e in
			ET.parse(path).getroot().findall('a:entry', NS)]

	def tombs(self, feed):
		return tombs(self.out(self.name(feed) + '.atom'))

	def feeds(self):
		"""Every sub-feed's name (without the extension), by kind."""
		return {ext: sorted(d + '/' + p[:-len(ext)] for d in
			('tags', 'types', 'langs') if os.path.isdir(self.out(d))
			for p in os.listdir(self.out(d)) if p.endswith(ext))
			for ext in ('.atom', '.rss', '.json')}

	def assertValid(self, feed):
		"""The three documents of feed through the real clients."""
		atom = self.out(self.name(feed) + '.atom')
		self.assertAtomSchema(atom)
		self.assertFeedparserOK(atom)
		self.assertFeedparserOK(self.out(self.name(feed) + '.rss'))
		self.assertJsonFeed(self.out(self.name(feed) + '.json'))

	def removed(self):
		"""x removed: returns the main feed's tombstone (ref, when)."""
		before = self.feeds()
		os.unlink(self.ws.release('x.md'))
		t0 = time.time()
		self.publish()
		(ref, when), = tombs(self.ws.atom)
		self.assertEqual(ref, rid('x'))
		self.assertLess(abs(ft.utc_epoch(when) - t0), 5)
		# No sub-feed went: the two with only x live on its tombstone.
		self.assertEqual(self.feeds(), before)
		for feed in ONLY_X:
			self.assertIn(self.name(feed), before['.json'])
		return ref, when

	def test_every_sub_feed_of_a_removed_release_has_its_tombstone(self):
		for feed in OTHER_FEEDS + X_FEEDS:
			self.assertEqual(self.tombs(feed), [], feed)
		ref, when = self.removed()
		for feed in X_FEEDS:
			with self.subTest(feed=feed):
				self.assertEqual(self.tombs(feed), [(ref, when)])
				self.assertValid(feed)
				for ext in ('.atom', '.rss', '.json'):
					self.assertNotIn(rid('x'), self.ids(feed, ext))
		for feed in OTHER_FEEDS:
			self.assertEqual(self.tombs(feed), [], feed)
			self.assertValid(feed)
		self.assertEqual(self.ids('tags/brott'), [rid('y')])
		self.assertEqual(self.ids('tags/mollan'), [rid('y')])
		for feed in ONLY_X:
			for ext in ('.atom', '.rss', '.json'):
				self.assertEqual(self.ids(feed, ext), [], feed + ext)
			# Its updated: when x went, not 1970.
			root = ET.parse(self.out(self.name(feed) + '.atom')).getroot()
			self.assertEqual(text_of(root, 'a:updated'), when)
		# A restart: the same tombstones, the same bytes.
		def snapshot():
			out = {}
			for ext in ('.atom', '.rss', '.json'):
				for feed in X_FEEDS:
					with open(self.out(self.name(feed) + ext), 'rb') as f:
						out[feed + ext] = f.read()
			return out
		before = snapshot()
		self.publish()
		self.assertEqual(snapshot(), before)
		for feed in X_FEEDS:
			self.assertEqual(self.tombs(feed), [(ref, when)], feed)

	def test_coming_back_cancels_every_tombstone(self):
		self.removed()
		put_sub(self.ws, 'x', 3)
		self.publish()
		self.assertEqual(tombs(self.ws.atom), [])
		for feed in X_FEEDS:
			self.assertEqual(self.tombs(feed), [], feed)
			self.assertEqual(self.ids(feed)[0], rid('x'), feed)
			self.assertValid(feed)
		self.assertEqual(self.ids('MOLLAN_X'), [rid('x')])

	def test_expiry_drops_them_and_the_empty_feeds(self):
		self.ws.write_config(feed=sub_feed_section('2s'))
		self.publish()
		self.removed()
		time.sleep(3.2)
		self.publish()
		self.assertEqual(tombs(self.ws.atom), [])
		left = self.feeds()
		for ext, names in left.items():
			for feed in ONLY_X:
				self.assertNotIn(self.name(feed), names, ext)
		self.assertEqual(left['.atom'], sorted(['tags/brott', 'tags/mollan',
			'tags/annat', 'types/nyhet', 'langs/sv']))
		self.assertEqual(left['.atom'], left['.rss'])
		self.assertEqual(left['.atom'], left['.json'])
		for feed in ('tags/brott', 'types/nyhet'):
			self.assertEqual(self.tombs(feed), [], feed)
			self.assertEqual(self.ids(feed), [rid('y')])

	def test_off_no_tombstone_and_the_empty_feeds_go(self):
		"""Without deleted_for: as before, a sub-feed with no release
		left goes at once."""
		self.ws.write_config(feed=sub_feed_section('0s'))
		self.publish()
		os.unlink(self.ws.release('x.md'))
		self.publish()
		for feed in ('tags/brott', 'types/nyhet'):
			self.assertEqual(self.tombs(feed), [], feed)
		for ext, names in self.feeds().items():
			self.assertNotIn(self.mollan_x, names)
			self.assertNotIn('langs/en', names)

	def test_state_from_before_sub_feeds_were_told(self):
		"""A tombstones.json written before the filing was kept: the main
		feed keeps its tombstone, the sub-feeds carry none (they cannot
		know), and nothing fails."""
		os.unlink(self.ws.release('x.md'))
		with open(self.ws.path('state', 'tombstones.json'), 'w') as f:
			json.dump({'deleted': [{'ref': rid('x'), 'when': int(
				time.time())}], 'published': [rid('y'), rid('z')]}, f)
		self.publish()
		self.assertEqual([r for r, _ in tombs(self.ws.atom)], [rid('x')])
		self.assertEqual(self.tombs('tags/brott'), [])
		self.assertNotIn('langs/en', self.feeds()['.atom'])


class SubFeedArchives(ft.FeedCase):
	"""A release removed from a sub-feed's RFC 5005 archive: that archive
	is rewritten without it (the main feed's too), the others stay."""

	def test_archive_rewritten_without_the_release(self):
		ws = self.new_workspace()
		for month in range(1, 5):
			ft.write_release(ws.release('m%d.md' % month), '---\ntitle: M%d'
				'\ndate: 2025-%02d-10T10:00:00Z\ntags: [brott]\n---\nText.\n'
				% (month, month))
		# Monthly, as the main feed's: the same months in both.
		ws.write_config(feed=sub_feed_section('1d', max_entries='1',
			archives='true', tag_archive_period='month'))
		self.assertRunOK(ws.run('--once'))
		tag_dir = os.path.join(ws.out, 'feed-archive', 'tags', 'brott')

		def archives(d):
			out = {}
			for p in sorted(os.listdir(d)):
				if p.endswith('.atom'):
					with open(os.path.join(d, p), 'rb') as f:
						out[p] = f.read()
			return out
		tag_before = archives(tag_dir)
		main_before = archives(os.path.join(ws.out, 'feed-archive'))
		self.assertEqual(sorted(tag_before), ['2025-01.atom', '2025-02.atom',
			'2025-03.atom'])
		os.unlink(ws.release('m2.md'))
		self.assertRunOK(ws.run('--once'))
		tag_after = archives(tag_dir)
		main_after = archives(os.path.join(ws.out, 'feed-archive'))
		# February held only m2: gone; the chain skips it.
		self.assertEqual(sorted(tag_after), ['2025-01.atom', '2025-03.atom'])
		self.assertEqual(sorted(main_after), sorted(tag_after))
		for arch in (tag_after, main_after):
			for p, data in arch.items():
				self.assertNotIn(rid('m2').encode(), data, p)
		for d in (tag_dir, os.path.join(ws.out, 'feed-archive')):
			for p in os.listdir(d):
				if p.endswith('.atom'):
					self.assertAtomSchema(os.path.join(d, p))
					self.assertFeedparserOK(os.path.join(d, p))
		# The tombstone is in the tag feed, not in its archives.
		self.assertEqual([r for r, _ in tombs(os.path.join(ws.out, 'tags',
			'brott.atom'))], [rid('m2')])
		for p in tag_after:
			self.assertEqual(tombs(os.path.join(tag_dir, p)), [])
		# A release removed from a month that keeps others: that archive
		# alone is rewritten.
		ft.write_release(ws.release('m3b.md'), '---\ntitle: M3b\n'
			'date: 2025-03-20T10:00:00Z\ntags: [brott]\n---\nText.\n')
		self.assertRunOK(ws.run('--once'))
		before = archives(tag_dir)
		self.assertIn(rid('m3b').encode(), before['2025-03.atom'])
		os.unlink(ws.release('m3b.md'))
		self.assertRunOK(ws.run('--once'))
		after = archives(tag_dir)
		self.assertNotIn(rid('m3b').encode(), after['2025-03.atom'])
		self.assertIn(rid('m3').encode(), after['2025-03.atom'])
		self.assertEqual(after['2025-01.atom'], before['2025-01.atom'])


class SubFeedsAnnounced(ht.HubCase):
	"""The daemon: a tag feed left with only x's tombstone changed its
	bytes, so the built-in hub delivers them; a tag feed x was not in
	gets nothing."""

	def test_hub_delivers_the_tombstone(self):
		for day, s in enumerate(('z', 'y', 'x'), 1):
			put_sub(self.ws, s, day)
		self.start_hub(feed=sub_feed_section('1h'))
		moved = [p for p in os.listdir(os.path.join(self.ws.out, 'tags'))
			if p.startswith('mollan-') and p.endswith('.atom')]
		self.assertEqual(len(moved), 1)
		topic = ft.BASE_URL + 'tags/' + moved[0]
		other = ft.BASE_URL + 'tags/annat.atom'
		sub = self.subscriber()
		cb, ocb = sub.url('/x'), sub.url('/other')
		self.assertEqual(self.subscribe(cb, topic=topic)[0], 202)
		self.assertEqual(self.subscribe(ocb, topic=other)[0], 202)
		self.subscribed(cb, topic)
		self.subscribed(ocb, other)
		os.unlink(self.ws.release('x.md'))
		(_, headers, body), = self.wait_delivered(sub, 1, '/x')
		root = ET.fromstring(body)
		self.assertEqual([t.get('ref') for t in root.iter(AT)], [rid('x')])
		self.assertEqual(root.findall('a:entry', NS), [])
		self.assertEqual(body, self.served_plain('tags/' + moved[0])[1])
		self.assertIn('<%s>; rel="self"' % topic, headers['Link'])
		self.quiet()
		self.assertEqual(len(sub.got('/x')), 1)
		self.assertEqual(sub.got('/other'), [])

	def test_restart_keeps_them_and_the_timer_drops_them(self):
		"""A restart while the tombstones live: the same bytes served;
		then they expire by themselves (no other change): the feeds x
		alone was in go (404), the others lose the tombstone."""
		keep = int(8 * dt.SCALE)
		for day, s in enumerate(('z', 'y', 'x'), 1):
			put_sub(self.ws, s, day)
		self.start_hub(feed=sub_feed_section('%ds' % keep),
			hub={'enabled': 'false'})
		en = os.path.join(self.ws.out, 'langs', 'en.atom')
		brott = os.path.join(self.ws.out, 'tags', 'brott.atom')
		os.unlink(self.ws.release('x.md'))
		# The files of one publish land one by one: wait for both.
		dt.wait_for(lambda: [r for r, _ in tombs(en)] == [rid('x')] and
			tombs(brott) == tombs(en),
			what='the tombstone in langs/en.atom and tags/brott.atom\n' +
			self.daemon.describe())
		gone_at = time.monotonic()
		with open(en, 'rb') as f:
			before = f.read()
		self.daemon.stop()
		self.relaunch()
		self.assertEqual(self.served_plain('langs/en.atom')[1], before)
		self.assertEqual(tombs(brott), tombs(en))
		# Done when the publish is: files first, then the served set.
		dt.wait_for(lambda: not any(os.path.exists(en[:-5] + e) for e in
			('.atom', '.json', '.rss')) and tombs(brott) == [] and
			self.get('langs/en.atom')[0] == 404, keep + 10 * dt.SCALE,
			'langs/en.* gone (404) and tags/brott.atom without it after '
			'expiry\n' + self.daemon.describe())
		self.assertGreater(time.monotonic() - gone_at, keep - 2)


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
