"""JSON Feed 1.1 (feed.json): its fields against the Atom feed's, the
spec's required fields (jsonfeedtest.py: a checker and a schema), hostile
values, hubs, and feed.json served and announced by the daemon.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_jsonfeed.py
"""

import copy
import json
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
import hubtest as ht  # noqa: E402
import test_pings as tp  # noqa: E402
import jsonfeedtest as jt  # noqa: E402
from feedtest import NS, XML_LANG, text_of  # noqa: E402


def json_path(ws):
	return os.path.join(ws.out, 'feed.json')


def json_feed():
	"""The tests' [feed] section with feed.json turned on."""
	f = ft.default_feed()
	f['json'] = 'true'
	return f


class Once(ft.FeedCase, jt.Checks):

	def once(self, corpus='good', extra=''):
		ws = self.new_workspace(corpus)
		ws.write_config(feed=json_feed(), extra=extra)
		self.assertRunOK(ws.run('--once'))
		return ws

	def test_fields_match_the_atom_feed(self):
		ws = self.once()
		doc = self.assertJsonFeed(json_path(ws))
		feeds = ft.Feeds(ws)
		self.assertEqual(doc['title'], ft.FEED_TITLE)
		self.assertEqual(doc['description'], ft.FEED_SUBTITLE)
		self.assertEqual(doc['home_page_url'], ft.BASE_URL)
		self.assertEqual(doc['feed_url'], ft.BASE_URL + 'feed.json')
		self.assertEqual(doc['language'], 'sv')
		self.assertEqual(doc['authors'], [{'name': ft.FEED_AUTHOR}])
		self.assertNotIn('hubs', doc)
		self.assertEqual(len(doc['items']), len(feeds.entries))
		self.assertGreater(len(doc['items']), 3)
		for it, e in zip(doc['items'], feeds.entries):
			self.assertEqual(it['id'], text_of(e, 'a:id'))
			self.assertEqual(it['title'], text_of(e, 'a:title'))
			self.assertEqual(it['url'], e.find('a:link[@rel="alternate"]',
				NS).get('href'))
			self.assertEqual(it['content_html'], text_of(e, 'a:content'))
			self.assertEqual(ft.utc_epoch(it['date_published']),
				ft.utc_epoch(text_of(e, 'a:published')))
			self.assertEqual(it['date_published'], text_of(e,
				'a:published'))
			self.assertEqual(it['date_modified'], text_of(e, 'a:updated'))
			self.assertEqual(it.get('tags', []), [c.get('term') for c in
				e.findall('a:category', NS)])
			self.assertEqual([a['name'] for a in it['authors']],
				[text_of(a, 'a:name') for a in e.findall('a:author', NS)])
			self.assertEqual(it.get('language'), e.get(XML_LANG))
		self.assertIn('en', [it.get('language') for it in doc['items']])

	def test_checks_fail_on_a_missing_required_field(self):
		"""The checker and the schema are not rubber stamps."""
		ws = self.once()
		good = jt.load(json_path(ws))
		self.assertEqual(jt.problems(good), [])
		for breaks in (lambda d: d.pop('version'),
				lambda d: d.pop('title'),
				lambda d: d.pop('items'),
				lambda d: d['items'][0].pop('id'),
				lambda d: d['items'][0].pop('content_html'),
				lambda d: d['items'][1].update(date_published='today'),
				lambda d: d['items'][0].update(tags='one'),
				lambda d: d.update(hubs=[{'url': 'https://h/'}])):
			bad = copy.deepcopy(good)
			breaks(bad)
			self.assertNotEqual(jt.problems(bad), [])
			path = ws.path('bad.json')
			with open(path, 'w', encoding='utf-8') as f:
				json.dump(bad, f)
			with self.assertRaises(AssertionError):
				self.assertJsonFeed(path)

	def test_hubs_when_configured(self):
		ws = self.once(extra='\n[hub]\nenabled = true\n'
			'\n[ping "hub2"]\nkind = websub\n'
			'url = https://pubsubhubbub.example.net/\n')
		doc = self.assertJsonFeed(json_path(ws))
		self.assertEqual(doc['hubs'], [
			{'type': 'WebSub', 'url': ft.BASE_URL + 'hub'},
			{'type': 'WebSub', 'url': 'https://pubsubhubbub.example.net/'}])
		# The same hubs as the Atom feed's.
		feeds = ft.Feeds(ws)
		self.assertEqual([h['url'] for h in doc['hubs']],
			[l.get('href') for l in feeds.atom_root.findall(
				'a:link[@rel="hub"]', NS)])

	def test_hostile_values_round_trip(self):
		"""Control characters (which XML cannot hold), quotes, a
		backslash, U+2028 and a half-megabyte body come out exactly."""
		ws = self.new_workspace()
		title = 'Bad\x01 ti\x1btle "q" \\ \u2028 </script> \U0001f389'
		body = 'ord ' * 128 * 1024
		ft.write_release(ws.release('hostile.md'), '---\ntitle: "%s"\n'
			'date: 2025-01-01T10:00:00+01:00\ntags: ["a\\x02b"]\n---\n%s\n'
			% ('Bad\\x01 ti\\x1btle \\"q\\" \\\\ \\u2028 </script> '
			'\\U0001f389', body))
		ws.write_config(feed=json_feed())
		self.assertRunOK(ws.run('--once'))
		doc = self.assertJsonFeed(json_path(ws))
		it, = doc['items']
		self.assertEqual(it['title'], title)
		self.assertEqual(it['tags'], ['a\x02b'])
		self.assertEqual(it['content_html'], '<p>' + body.strip() +
			'</p>\n')
		# The Atom feed drops what XML forbids, and keeps the rest.
		feeds = ft.Feeds(ws)
		self.assertEqual(text_of(feeds.entries[0], 'a:title'),
			title.replace('\x01', '').replace('\x1b', ''))

	def test_listed_on_pages_and_served_type(self):
		ws = self.once()
		with open(os.path.join(ws.out, 'index.html'), encoding='utf-8') as f:
			page = f.read()
		self.assertIn('<link rel="alternate" type="application/feed+json" '
			'href="%sfeed.json"' % ft.BASE_URL, page)

	def test_off_by_default(self):
		ws = self.new_workspace('good')
		ws.write_config()
		run = ws.run('--once')
		self.assertRunOK(run)
		self.assertFalse(os.path.exists(json_path(ws)))
		self.assertNotIn('feed.json', run.stderr)
		with open(os.path.join(ws.out, 'index.html'), encoding='utf-8') as f:
			self.assertNotIn('feed.json', f.read())


class Daemon(ht.HubCase, jt.Checks):
	"""feed.json served as application/feed+json, announced to the
	built-in hub's subscribers when its bytes change."""

	def test_served_and_delivered(self):
		self.start_hub(feed=json_feed())
		status, headers, body = self.get('feed.json', {'Accept-Encoding':
			'identity'})
		self.assertEqual(status, 200)
		self.assertEqual(headers['Content-Type'],
			'application/feed+json; charset=utf-8')
		doc = json.loads(body)
		self.assertEqual(doc['hubs'], [{'type': 'WebSub',
			'url': ht.HUB_URL}])
		sub = self.subscriber()
		topic = ft.BASE_URL + 'feed.json'
		self.assertEqual(self.subscribe(sub.url(), topic=topic)[0], 202)
		self.subscribed(sub.url(), topic=topic)
		self.new_release('Delta')
		d, = self.wait_delivered(sub, 1)
		self.assertTrue(d[1]['Content-Type'].startswith(
			'application/feed+json'))
		_, served = self.served_plain('feed.json')
		self.assertEqual(d[2], served)
		self.assertIn('Delta', [it['title'] for it in
			json.loads(served)['items']])
		path = self.ws.path('got.json')
		with open(path, 'wb') as f:
			f.write(d[2])
		self.assertJsonFeed(path)


class Pings(tp.PingCase):
	"""feed.json is pinged like the others: a webhook hears of a new
	release in it, once, with the entry."""

	def test_webhook_for_feed_json(self):
		rcv = self.receiver()
		self.config([('hook', 'webhook', rcv.url('/hook'))],
			feed={'json': 'true'})
		self.launch()
		url = ft.BASE_URL + 'feed.json'
		for f in tp.FEEDS + (url,):
			self.wait_count(rcv, 1, '/hook', f)
		self.wait_empty_queue()
		mark = rcv.mark()
		self.add_release('2024-06-02-json', 'Ny i JSON')
		self.wait_count(rcv, 1, '/hook', url, mark)
		self.wait_empty_queue()
		got, = rcv.requests('/hook', url, mark)
		self.assertEqual([e['id'] for e in got.json()['entries']],
			[dt.entry_id('2024-06-02-json')])


if __name__ == '__main__':
	unittest.main()
