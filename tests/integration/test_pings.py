"""feedpubd's pings: WebSub hubs, XML-RPC weblogUpdates and webhooks.

Each test runs `feedpubd --config C --verbose` (releases copied from
tests/data/daemon/base: Alfa, Beta, Gamma) with [ping "NAME"] sections
pointing at receivers from pingtest.py, all on 127.0.0.1 with ports the
kernel picked. A first start on an empty output folder is a change of both
feeds, so every target gets one ping per feed (feed.atom, feed.rss) at
start-up; tests either check those or wait for them before changing a
release. The queue is read from $state/feedpubd.db and `--status`.

Backoff is wall-clock time (1 s doubling, jitter 0.75-1.25), so it is not
scaled by $DAEMONTEST_SCALE; the slack added to its bounds is.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_pings.py
"""

import hashlib
import hmac
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import xml.etree.ElementTree as ET

import feedparser

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
import pingtest as pt  # noqa: E402
from daemontest import BASE_SLUGS, entry_id, release_text  # noqa: E402

BASE_URL = ft.BASE_URL
ATOM_URL = BASE_URL + 'feed.atom'
RSS_URL = BASE_URL + 'feed.rss'
FEEDS = (ATOM_URL, RSS_URL)

FAST = 1.0 * dt.SCALE		# "within about a second"
SLACK = 0.5 * dt.SCALE		# added to the upper bounds of backoff gaps
QUIET = 0.4			# proving that nothing more arrives
NO_CONTENT = 'HTTP/1.0 204 No Content'	# BaseHTTPRequestHandler's answer

DELIVERY = 'X-Feedpubd-Delivery'	# one id per change, kept by retries
ID_RE = re.compile(r'^[0-9a-f]{32}$')
STATUS_PINGS_RE = re.compile(r', pings (\d+) pending (\d+) failed')
STATUS_LINE_RE = re.compile(r'^(\S+)\s+(\S+)\s+tries (\d+), next in (\d+) s'
	r'(?:, last error: (.*))?$')


def ping_section(name, kind, url, secret=None):
	s = '\n[ping "%s"]\nkind = %s\nurl = %s\n' % (name, kind, url)
	if secret is not None:
		s += 'secret = %s\n' % secret
	return s


def base_ids(*more):
	return sorted([entry_id(s) for s in BASE_SLUGS.values()] +
		[entry_id(s) for s in more])


class PingCase(dt.DaemonCase):
	"""A DaemonCase whose daemon can be restarted, with ping helpers."""

	def setUp(self):
		super().setUp()
		self.daemons = []
		self.killed = set()

	# ---- set-up ------------------------------------------------------

	def config(self, targets, pings=None, feed=None):
		"""targets: [(name, kind, url[, secret])]; pings: [pings] keys."""
		extra = ''
		if pings:
			extra += '\n[pings]\n' + ''.join('%s = %s\n' % kv
				for kv in pings.items())
		for t in targets:
			extra += ping_section(*t)
		f = ft.default_feed()
		if feed:
			f.update(feed)
		self.ws.write_config(feed=f, extra=extra)

	def launch(self, uid=None):
		"""Start feedpubd (again), as uid if given, and wait for its
		READY=1."""
		if self.daemon is not None:
			# The next daemon writes stderr.log afresh: keep the old one.
			old = self.daemon
			self.assertFalse(old.alive(), 'launch() with a daemon running')
			keep = self.ws.path('stderr.%d.log' % len(self.daemons))
			os.rename(old.errpath, keep)
			old.errpath = keep
		mark = self.notify.mark()
		d = dt.Daemon(self.ws, self.notify, uid=uid)
		self.daemon = d
		self.daemons.append(d)
		self.addCleanup(self._reap, d)

		def ready():
			self.assertTrue(d.alive(), 'daemon exited:\n' + d.describe())
			return self.notify.count('READY=1', mark) >= 1
		dt.wait_for(ready, dt.START_TIMEOUT, 'READY=1')
		return d

	def _reap(self, d):
		"""SIGTERM must end the daemon with 0 and no sanitizer report
		(a daemon the test SIGKILLed is only checked for reports)."""
		if d in self.killed:
			d.kill()
		else:
			rc = d.stop()
			self.assertEqual(rc, 0, 'exit status after SIGTERM\n' +
				d.describe())
		for bad in dt.SANITIZER_MARKS:
			self.assertNotIn(bad, d.stderr(), d.describe())

	def sigkill(self):
		d = self.daemon
		self.killed.add(d)
		d.kill()
		self.assertEqual(d.proc.returncode, -signal.SIGKILL)

	def sigterm(self):
		rc = self.daemon.stop()
		self.assertEqual(rc, 0, self.daemon.describe())

	def receiver(self, respond=None, port=0, start=True):
		r = pt.Receiver(respond, port, start)
		self.addCleanup(r.stop)
		return r

	def xmlrpc(self):
		x = pt.XmlRpc()
		self.addCleanup(x.stop)
		return x

	def hang(self):
		h = pt.Hang()
		self.addCleanup(h.stop)
		return h

	# ---- releases ----------------------------------------------------

	def add_release(self, slug, title, date='2024-06-01T08:00:00+02:00'):
		"""Write a release outside, rename it in; returns the rename's
		monotonic time."""
		src = os.path.join(self.ws.outside, slug + '.md')
		ft.write_release(src, release_text(title, date))
		t = time.monotonic()
		os.rename(src, self.ws.release(slug + '.md'))
		return t

	def atom_entry(self, slug):
		root = ET.parse(self.ws.atom).getroot()
		for e in root.findall('a:entry', ft.NS):
			if ft.text_of(e, 'a:id') == entry_id(slug):
				return e
		self.fail('no Atom entry %s' % entry_id(slug))

	# ---- the queue ---------------------------------------------------

	def rows(self):
		"""The pings table as dicts (soonest due first)."""
		path = self.ws.path('state', 'feedpubd.db')
		if not os.path.exists(path):
			return []
		db = sqlite3.connect(path, timeout=5)
		try:
			db.row_factory = sqlite3.Row
			return [dict(r) for r in db.execute(
				'SELECT target, feed, body, gen, first, due, attempts, '
				'last_error FROM pings ORDER BY due, target, feed')]
		finally:
			db.close()

	def wait_rows(self, pred, what, timeout=dt.TIMEOUT):
		def p():
			r = self.rows()
			return pred(r) and (r or True)
		return self.wait(p, what, timeout)

	def wait_empty_queue(self, timeout=dt.TIMEOUT):
		def empty():
			r = self.rows()
			self.assertEqual(r, [], 'pending rows')
			return True
		self.wait(empty, 'an empty ping queue', timeout)

	def status(self):
		run = self.ws.run('--status')
		self.assertRunOK(run)
		# The ping queue: what comes before the daemon's status.
		lines = run.stdout.split('\n\n')[0].rstrip('\n').split('\n')
		return run, lines

	def wait_count(self, rcv, n, path=None, feed=None, since=0,
			timeout=dt.TIMEOUT, what=None):
		"""Wait until rcv got at least n requests (path, feed)."""
		def enough():
			got = rcv.count(path, feed, since)
			self.assertLessEqual(got, n, 'more requests than %d to %s for '
				'%s: %r' % (n, path, feed, rcv.requests(path, feed, since)))
			return got >= n
		self.wait(enough, what or '%d request(s) to %s for %s' % (n,
			path or 'any path', feed or 'any feed'), timeout)

	def log_lines(self, needle, d=None):
		d = d or self.daemon
		return [l for l in d.stderr_lines() if needle in l]

	def wait_log(self, needle, n=1, timeout=dt.TIMEOUT):
		self.wait(lambda: len(self.log_lines(needle)) >= n,
			'%d log line(s) with %r' % (n, needle), timeout)

	def delivered_line(self, name, kind, feed, status=NO_CONTENT):
		return 'feedpubd: ping %s (%s) for %s: %s' % (name, kind, feed,
			status)

	def start_and_deliver(self, counts):
		"""launch(); wait for the start-up pings: counts is
		[(receiver, path)], each to get one ping per feed."""
		d = self.launch()
		for rcv, path in counts:
			for f in FEEDS:
				self.wait_count(rcv, 1, path, f, what='start-up ping '
					'to %s for %s' % (path, f))
		self.wait_empty_queue()
		return d


class WebSubTest(PingCase):

	def test_first_start_pings_each_feed_once_as_a_websub_form(self):
		rcv = self.receiver()
		self.config([('hub', 'websub', rcv.url('/hub'))])
		t0 = time.monotonic()
		self.launch()
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f, timeout=dt.START_TIMEOUT)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		reqs = rcv.requests()
		self.assertEqual(sorted(r.feed for r in reqs), sorted(FEEDS),
			self.daemon.describe())
		for r in reqs:
			self.assertLess(r.t - t0, dt.START_TIMEOUT)
			self.assertEqual(r.method, 'POST')
			self.assertEqual(r.path, '/hub')
			self.assertEqual(r.content_type,
				'application/x-www-form-urlencoded')
			self.assertTrue(r.headers.get('User-Agent', '')
				.startswith('feedpubd/'), r.headers.get('User-Agent'))
			self.assertIsNone(r.headers.get('X-Feedpubd-Signature'))
			self.assertEqual(r.form(), {'hub.mode': ['publish'],
				'hub.url': [r.feed], 'hub.topic': [r.feed]}, r.body)
			self.assertEqual(r.status, 204)
		for f in FEEDS:
			self.assertEqual(len(self.log_lines(self.delivered_line('hub',
				'websub', f))), 1, self.daemon.describe())

	def test_feeds_advertise_the_websub_hubs_only(self):
		rcv = self.receiver()
		hubs = [rcv.url('/hub-1'), rcv.url('/hub-2')]
		self.config([('h1', 'websub', hubs[0]), ('h2', 'websub', hubs[1]),
			('hook', 'webhook', rcv.url('/hook'))])
		self.start_and_deliver([(rcv, '/hub-1'), (rcv, '/hub-2'),
			(rcv, '/hook')])
		d = self.parse()
		self.assertEqual(sorted(l.href for l in d.feed.links
			if l.rel == 'hub'), sorted(hubs))
		channel = ET.parse(self.ws.rss).getroot().find('channel')
		rss_hubs = [l.get('href') for l in
			channel.findall('atom:link', ft.NS) if l.get('rel') == 'hub']
		self.assertEqual(sorted(rss_hubs), sorted(hubs))


class SubFeedTest(PingCase):
	"""[feed] tag_feeds: a WebSub hub hears of each sub-feed whose bytes
	changed, once; webhooks and XML-RPC hear of the main feeds only."""

	def test_a_tag_feed_is_pinged_only_when_it_changes(self):
		rcv = self.receiver()
		self.config([('hub', 'websub', rcv.url('/hub')),
			('hook', 'webhook', rcv.url('/hook'))],
			feed={'tag_feeds': 'true'})
		self.start_and_deliver([(rcv, '/hub'), (rcv, '/hook')])
		solo = [BASE_URL + 'tags/solo.' + ext for ext in ('atom', 'rss')]
		daemon_tag = BASE_URL + 'tags/daemon.atom'
		self.wait_count(rcv, 1, '/hub', daemon_tag, what='the start-up '
			'ping of a tag feed')
		mark = rcv.mark()
		src = os.path.join(self.ws.outside, 'solo.md')
		ft.write_release(src, release_text('Solo', '2024-06-01T08:00:00Z',
			extra='tags: [Solo]'))
		os.rename(src, self.ws.release('solo.md'))
		for f in solo + list(FEEDS):
			self.wait_count(rcv, 1, '/hub', f, mark, what='a ping of %s' % f)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		got = rcv.requests(since=mark)
		self.assertEqual(sorted(r.feed for r in got if r.path == '/hub'),
			sorted(solo + list(FEEDS)), got)
		self.assertEqual(sorted(r.feed for r in got if r.path == '/hook'),
			sorted(FEEDS), got)
		for r in got:
			self.assertRegex(r.delivery or '', ID_RE)
		# A release without the tag: tags/solo.* unchanged, not pinged.
		mark = rcv.mark()
		self.add_release('2024-06-02-annan', 'Annan',
			'2024-06-02T08:00:00Z')
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f, mark)
		self.wait_empty_queue()
		time.sleep(QUIET)
		self.assertEqual(sorted(r.feed for r in rcv.requests('/hub',
			since=mark)), sorted(FEEDS))


class ChangeTest(PingCase):

	def test_one_release_one_ping_per_target_and_feed(self):
		rcv = self.receiver()
		rpc = self.xmlrpc()
		rpc.register('weblogUpdates.extendedPing', lambda n, *a:
			{'flerror': False, 'message': 'Thanks'})
		self.config([('hub', 'websub', rcv.url('/hub')),
			('hook', 'webhook', rcv.url('/hook')),
			('rpc', 'xmlrpc', rpc.url())])
		self.start_and_deliver([(rcv, '/hub'), (rcv, '/hook')])
		self.wait(lambda: len(rpc.called()) >= 2, 'start-up XML-RPC calls')
		mark, rmark = rcv.mark(), len(rpc.called())
		t0 = self.add_release('2024-06-01-ny', 'Ny')
		for path in ('/hub', '/hook'):
			for f in FEEDS:
				self.wait_count(rcv, 1, path, f, mark, timeout=FAST,
					what='a ping to %s for %s within %.1f s' % (path, f,
					FAST))
		self.wait(lambda: len(rpc.called()) >= rmark + 2,
			'2 XML-RPC calls', FAST)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		for path in ('/hub', '/hook'):
			got = rcv.requests(path, since=mark)
			self.assertEqual(sorted(r.feed for r in got), sorted(FEEDS),
				'%s: %r' % (path, got))
			for r in got:
				self.assertLess(r.t - t0, FAST, r)
		calls = rpc.called()[rmark:]
		self.assertEqual(sorted(a[3] for _, a in calls), sorted(FEEDS),
			calls)

	def test_burst_of_20_is_not_20_pings(self):
		rcv = self.receiver()
		self.config([('hub', 'websub', rcv.url('/hub')),
			('hook', 'webhook', rcv.url('/hook'))])
		d = self.start_and_deliver([(rcv, '/hub'), (rcv, '/hook')])
		mark, pub = rcv.mark(), d.publish_count()
		slugs = ['skur-%02d' % i for i in range(20)]
		for i, s in enumerate(slugs):
			ft.write_release(os.path.join(self.ws.outside, s + '.md'),
				release_text('Skur %d' % i,
				'2024-07-01T08:%02d:00+02:00' % i))
		for s in slugs:
			os.rename(os.path.join(self.ws.outside, s + '.md'),
				self.ws.release(s + '.md'))
		self.wait(lambda: all(dt.has_id(self.ws, s) for s in slugs),
			'all 20 in the feed')
		for path in ('/hub', '/hook'):
			for f in FEEDS:
				self.wait_count(rcv, 1, path, f, mark, timeout=FAST * 3)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(self.ids(), base_ids(*slugs))
		writes = [p for p in d.publishes() if p[0] > pub]
		for path in ('/hub', '/hook'):
			for f, k in ((ATOM_URL, 2), (RSS_URL, 3)):
				n = rcv.count(path, f, mark)
				changed = sum(1 for p in writes if p[k] == 'written')
				self.assertGreaterEqual(n, 1)
				self.assertLessEqual(n, min(changed, 3),
					'%d pings to %s for %s after a burst of 20 (%d '
					'publishes wrote it)\n%s' % (n, path, f, changed,
					d.describe()))
		for f in FEEDS:
			ids = [e['id'] for r in rcv.requests('/hook', f, mark)
				for e in r.json()['entries']]
			self.assertEqual(sorted(set(ids)),
				sorted(entry_id(s) for s in slugs), f)

	def test_start_pings_only_for_feeds_that_differ_on_disk(self):
		rcv = self.receiver()
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.start_and_deliver([(rcv, '/hub')])
		self.sigterm()

		# The same releases, the same feeds: nothing to tell.
		mark = rcv.mark()
		d = self.launch()
		self.wait(lambda: d.publish_count() >= 1, 'the start-up publish')
		self.assertEqual(d.publishes()[0][2:], ('unchanged', 'unchanged'),
			d.describe())
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(rcv.requests(since=mark), [])
		self.assertEqual(self.rows(), [])
		self.sigterm()

		# feed.rss edited by hand meanwhile: rewritten, so pinged.
		with open(self.ws.rss, 'a', encoding='utf-8') as f:
			f.write('<!-- edited -->\n')
		d = self.launch()
		self.wait_count(rcv, 1, '/hub', RSS_URL, mark)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(d.publishes()[0][2:], ('unchanged', 'written'),
			d.describe())
		self.assertEqual([r.feed for r in rcv.requests(since=mark)],
			[RSS_URL])


class WebhookTest(PingCase):

	SECRET = 'hemligt-0123'

	def test_signed_and_plain_webhooks_carry_the_changed_entries(self):
		rcv = self.receiver()
		self.config([('signed', 'webhook', rcv.url('/signed'),
			self.SECRET), ('plain', 'webhook', rcv.url('/plain'))])
		self.start_and_deliver([(rcv, '/signed'), (rcv, '/plain')])
		# The first publish: every entry is new.
		for r in rcv.requests():
			self.assertEqual(sorted(e['id'] for e in r.json()['entries']),
				base_ids(), r)

		mark = rcv.mark()
		self.add_release('2024-06-02-webhook', 'Krok & hake <1>')
		for path in ('/signed', '/plain'):
			for f in FEEDS:
				self.wait_count(rcv, 1, path, f, mark, timeout=FAST)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(rcv.count(since=mark), 4, rcv.requests(since=mark))

		e = self.atom_entry('2024-06-02-webhook')
		link = e.find('a:link[@rel="alternate"]', ft.NS).get('href')
		updated = ft.utc_epoch(ft.text_of(e, 'a:updated'))
		for r in rcv.requests(since=mark):
			self.assertEqual(r.method, 'POST')
			self.assertEqual(r.content_type, 'application/json')
			self.assertTrue(r.headers.get('User-Agent', '')
				.startswith('feedpubd/'))
			j = r.json()
			self.assertEqual(set(j), {'feed', 'url', 'entries',
				'delivery'}, j)
			self.assertEqual(j['delivery'], r.headers.get(DELIVERY), j)
			self.assertEqual(j['url'], r.feed)
			self.assertEqual(j['feed'], r.feed[len(BASE_URL):], j)
			self.assertEqual(len(j['entries']), 1, j)
			got = j['entries'][0]
			self.assertEqual(set(got), {'id', 'title', 'link', 'updated'})
			self.assertEqual(got['id'], entry_id('2024-06-02-webhook'))
			self.assertEqual(got['title'], 'Krok & hake <1>')
			self.assertEqual(got['link'], link)
			self.assertEqual(ft.utc_epoch(got['updated']), updated)
			sig = r.headers.get('X-Feedpubd-Signature')
			if r.path == '/plain':
				self.assertIsNone(sig)
				continue
			want = 'sha256=' + hmac.new(self.SECRET.encode(), r.body,
				hashlib.sha256).hexdigest()
			self.assertIsNotNone(sig, 'no signature header')
			self.assertTrue(hmac.compare_digest(sig, want),
				'%s != %s' % (sig, want))


	def test_webhook_after_a_failed_publish_carries_the_entries(self):
		rcv = self.receiver()
		self.config([('hook', 'webhook', rcv.url('/hook'))])
		d = self.start_and_deliver([(rcv, '/hook')])
		mark, n = rcv.mark(), d.publish_count()
		# feed.atom cannot be replaced while a folder has its name.
		os.remove(self.ws.atom)
		os.mkdir(self.ws.atom)
		self.add_release('two', 'Två')

		def failed():
			return [p for p in d.publishes() if p[0] > n and
				p[2] == 'failed']
		first = self.wait(failed, 'a publish with feed.atom failed')[0]
		self.assertEqual(first[1:], (4, 'failed', 'written'), d.describe())
		self.assertTrue(any(l.startswith('feedpubd: publish #%d: 4 '
			'entries, feed.atom failed, feed.rss written, ' % first[0])
			for l in d.stderr_lines()), d.describe())
		self.wait_count(rcv, 1, '/hook', RSS_URL, mark)
		got = rcv.requests('/hook', RSS_URL, mark)[0].json()
		self.assertEqual([e['id'] for e in got['entries']],
			[entry_id('two')], got)
		self.assertEqual(rcv.requests('/hook', ATOM_URL, mark), [],
			'a ping for a feed that was not written')

		# The folder goes: the retried publish writes feed.atom, and its
		# webhook tells of two.md, which feed.atom never had.
		os.rmdir(self.ws.atom)
		self.wait(lambda: any(p[0] > first[0] and p[2] == 'written' for
			p in d.publishes()), 'feed.atom written after the failure',
			timeout=dt.TIMEOUT + 2)
		self.wait_count(rcv, 1, '/hook', ATOM_URL, mark)
		got = rcv.requests('/hook', ATOM_URL, mark)[0].json()
		self.assertEqual([e['id'] for e in got['entries']],
			[entry_id('two')], got)
		self.atom_entry('two')		# fails if it is not there
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(rcv.count(since=mark), 2, rcv.requests(since=mark))
		self.assertNoTemps()


class XmlRpcTest(PingCase):

	def test_extended_ping(self):
		rpc = self.xmlrpc()
		rpc.register('weblogUpdates.extendedPing', lambda n, *a:
			{'flerror': False, 'message': 'Thanks'})
		rpc.register('weblogUpdates.ping', lambda n, *a:
			{'flerror': False, 'message': 'Thanks'})
		self.config([('rpc', 'xmlrpc', rpc.url())])
		self.launch()
		self.wait(lambda: len(rpc.called()) >= 2, '2 XML-RPC calls')
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		calls = rpc.called()
		self.assertEqual([m for m, _ in calls],
			['weblogUpdates.extendedPing'] * 2)
		self.assertEqual(sorted(a[3] for _, a in calls), sorted(FEEDS))
		for _, a in calls:
			self.assertEqual(len(a), 4, a)
			self.assertEqual(a[:2], (ft.FEED_TITLE, BASE_URL))
			self.assertRegex(a[2], r'^https?://\S+$')
		for path, headers in rpc.requests:
			self.assertEqual(path, '/RPC2')
			self.assertTrue(headers.get('User-Agent', '')
				.startswith('feedpubd/'))
			self.assertIn('xml', headers.get('Content-Type', ''))
		for f in FEEDS:
			self.assertEqual(len(self.log_lines(self.delivered_line('rpc',
				'xmlrpc', f, 'HTTP/1.0 200 OK'))), 1)

	def test_falls_back_to_weblogupdates_ping(self):
		rpc = self.xmlrpc()
		rpc.register('weblogUpdates.ping', lambda n, *a:
			{'flerror': False, 'message': 'Thanks'})
		self.config([('old', 'xmlrpc', rpc.url())])
		self.launch()
		self.wait(lambda: len(rpc.called()) >= 2, '2 weblogUpdates.ping')
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(rpc.called(), [('weblogUpdates.ping',
			(ft.FEED_TITLE, BASE_URL))] * 2)
		# Each feed: extendedPing (a fault), then ping.
		self.assertEqual(len(rpc.requests), 4)
		for f in FEEDS:
			self.assertEqual(len(self.log_lines(self.delivered_line('old',
				'xmlrpc', f, 'HTTP/1.0 200 OK'))), 1)
		self.assertEqual(self.log_lines('giving up'), [])

	def test_flerror_is_logged_and_retried(self):
		rpc = self.xmlrpc()
		rpc.register('weblogUpdates.extendedPing', lambda n, *a:
			{'flerror': n == 1, 'message': 'Too busy' if n == 1 else
			'Thanks'})
		self.config([('rpc', 'xmlrpc', rpc.url())])
		self.launch()
		for f in FEEDS:
			self.wait(lambda: sum(1 for _, a in rpc.called() if a[3] == f)
				>= 2, 'a second call for %s' % f, dt.TIMEOUT)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		for f in FEEDS:
			self.assertEqual(sum(1 for _, a in rpc.called()
				if a[3] == f), 2)
			warn = self.log_lines('feedpubd: warning: ping rpc (xmlrpc) '
				'for %s: flerror: Too busy; try 2 in ' % f)
			self.assertEqual(len(warn), 1, self.daemon.describe())
			self.assertEqual(len(self.log_lines(self.delivered_line('rpc',
				'xmlrpc', f, 'HTTP/1.0 200 OK'))), 1)


class RetryTest(PingCase):

	def feed_gaps(self, rcv, f):
		ts = [r.t for r in rcv.requests(feed=f)]
		return [b - a for a, b in zip(ts, ts[1:])]

	def test_503_backs_off_then_delivers_once(self):
		rcv = self.receiver(pt.script(503, 503, 503, 204))
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.launch()
		for f in FEEDS:
			self.wait_count(rcv, 4, feed=f, timeout=8.75 + 4 * SLACK)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		for f in FEEDS:
			reqs = rcv.requests(feed=f)
			self.assertEqual([r.status for r in reqs], [503] * 3 + [204])
			gaps = self.feed_gaps(rcv, f)
			for k, g in enumerate(gaps):
				base = 2.0 ** k
				self.assertGreaterEqual(g, 0.75 * base - 0.05,
					'gap %d of %s: %r' % (k + 1, f, gaps))
				self.assertLessEqual(g, 1.25 * base + SLACK,
					'gap %d of %s: %r' % (k + 1, f, gaps))
			for n in (2, 3, 4):
				self.assertEqual(len(self.log_lines('feedpubd: warning: '
					'ping hub (websub) for %s: HTTP/1.0 503 Service '
					'Unavailable; try %d in ' % (f, n))), 1,
					self.daemon.describe())
			self.assertEqual(len(self.log_lines(self.delivered_line('hub',
				'websub', f))), 1)

	def test_404_gives_up_after_one_request(self):
		rcv = self.receiver(pt.script((404, {}, b'No such hub\n')))
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.launch()
		for f in FEEDS:
			self.wait_log('ping hub (websub) for %s: HTTP/1.0 404' % f)
		self.wait_empty_queue()
		time.sleep(1.25 + QUIET)	# past the first retry's latest time
		for f in FEEDS:
			self.assertEqual(rcv.count(feed=f), 1, rcv.requests())
			lines = self.log_lines('ping hub (websub) for %s' % f)
			lines = [l for l in lines if 'HTTP/1.0 404' in l]
			self.assertEqual(lines, ['feedpubd: error: ping hub (websub) '
				'for %s: HTTP/1.0 404 Not Found: No such hub; giving up'
				% f], self.daemon.describe())
		self.assertEqual(self.rows(), [])

	def test_give_up_keeps_a_newer_change(self):
		hold = 1.0 * dt.SCALE
		lock = threading.Lock()
		inflight = []

		def respond(req, n):
			if n != 1:
				return (204, {}, b'')
			with lock:
				inflight.append(req.feed)
			time.sleep(hold)	# a slow 404
			return (404, {}, b'not here\n')
		rcv = self.receiver(respond)
		self.config([('hook', 'webhook', rcv.url('/hook'))])
		d = self.start_and_deliver([(rcv, '/hook')])
		self.add_release('ett', 'Ett')
		self.wait(lambda: len(inflight) == 2, 'both 404s under way', FAST)
		# A newer change while the requests that will fail are out.
		self.add_release('tva', 'Två')
		self.wait_rows(lambda r: len(r) == 2 and all(x['gen'] == 2
			for x in r), 'the newer change queued (gen 2)')
		self.assertEqual(self.log_lines('giving up'), [], d.describe())
		for f in FEEDS:
			self.wait_log('feedpubd: error: ping hook (webhook) for %s: '
				'HTTP/1.0 404 Not Found: not here; giving up' % f,
				timeout=hold + dt.TIMEOUT)
		# The give-up dropped its own change only: the newer one goes.
		for f in FEEDS:
			self.wait_count(rcv, 3, '/hook', f)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		for f in FEEDS:
			reqs = rcv.requests('/hook', f)
			self.assertEqual([r.status for r in reqs], [204, 404, 204])
			self.assertEqual([e['id'] for e in reqs[1].json()['entries']],
				[entry_id('ett')])
			ids = [e['id'] for e in reqs[2].json()['entries']]
			self.assertIn(entry_id('tva'), ids, reqs[2])
			self.assertEqual(len(self.log_lines(self.delivered_line('hook',
				'webhook', f))), 2, d.describe())

	def test_retry_after_is_honoured(self):
		rcv = self.receiver(pt.script((503, {'Retry-After': '2'},
			b'busy\n'), 204))
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.launch()
		for f in FEEDS:
			self.wait_count(rcv, 2, feed=f, timeout=2 + 2 * SLACK + 1)
		self.wait_empty_queue()
		for f in FEEDS:
			gaps = self.feed_gaps(rcv, f)
			self.assertEqual(len(gaps), 1)
			# Without Retry-After the gap would be 0.75-1.25 s.
			self.assertGreaterEqual(gaps[0], 1.95, f)
			self.assertLessEqual(gaps[0], 2 + SLACK, f)
			self.assertEqual([r.status for r in rcv.requests(feed=f)],
				[503, 204])

	def test_429_is_retried(self):
		rcv = self.receiver(pt.script((429, {}, b'slow down\n'), 204))
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.launch()
		for f in FEEDS:
			self.wait_count(rcv, 2, feed=f, timeout=1.25 + 2 * SLACK + 1)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		for f in FEEDS:
			self.assertEqual([r.status for r in rcv.requests(feed=f)],
				[429, 204])
			self.assertEqual(len(self.log_lines('feedpubd: warning: ping '
				'hub (websub) for %s: HTTP/1.0 429 Too Many Requests: '
				'slow down; try 2 in ' % f)), 1, self.daemon.describe())

	def test_unreachable_receiver_is_retried_until_it_is_up(self):
		port = pt.free_port()
		rcv = self.receiver(port=port, start=False)
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.launch()
		rows = self.wait_rows(lambda r: len(r) == 2 and
			all(x['attempts'] >= 2 for x in r), '2 rows tried twice')
		for x in rows:
			self.assertEqual(x['target'], 'hub')
			self.assertIsNotNone(x['last_error'])
		self.assertEqual(sorted(x['feed'] for x in rows), sorted(FEEDS))
		run, lines = self.status()
		self.assertEqual(lines[0], '2 pending pings', run.describe())
		for line in lines[1:]:
			m = STATUS_LINE_RE.match(line)
			self.assertIsNotNone(m, line)
			self.assertEqual(m.group(1), 'hub')
			self.assertGreaterEqual(int(m.group(3)), 2, line)
			self.assertTrue(m.group(5), line)
		self.assertEqual(sorted(STATUS_LINE_RE.match(l).group(2)
			for l in lines[1:]), sorted(FEEDS))

		rcv.start()
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f, timeout=2.5 + 2 * SLACK)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(sorted(r.feed for r in rcv.requests()),
			sorted(FEEDS))
		self.assertEqual(self.status()[1], ['0 pending pings'])

	def test_status_lists_pending_pings_by_target(self):
		port = pt.free_port()
		url = 'http://127.0.0.1:%d' % port
		self.config([('hub', 'websub', url + '/hub'),
			('hook', 'webhook', url + '/hook')])
		self.launch()
		self.wait_rows(lambda r: len(r) == 4 and all(x['attempts'] >= 1
			for x in r), '4 rows tried once')
		run, lines = self.status()
		self.assertEqual(lines[0], '4 pending pings', run.describe())
		got = []
		for line in lines[1:]:
			m = STATUS_LINE_RE.match(line)
			self.assertIsNotNone(m, run.describe())
			got.append((m.group(1), m.group(2)))
		self.assertEqual(sorted(got), sorted((t, f) for t in
			('hub', 'hook') for f in FEEDS))

	def test_status_line_counts_pending_and_failed(self):
		rcv = self.receiver(pt.script((404, {}, b'gone\n')))
		self.config([('gone', 'websub', rcv.url('/gone'))])
		self.launch()
		self.wait_log('giving up', 2)
		self.wait_empty_queue()

		def settled():
			s = self.notify.values('STATUS')
			m = STATUS_PINGS_RE.search(s[-1]) if s else None
			self.assertIsNotNone(m, 'STATUS=%r' % s)
			self.assertEqual(m.group(1, 2), ('0', '2'),
				'the last STATUS= once both pings were given up: %r'
				% s[-1])
			return True
		self.wait(settled, 'STATUS= with the given-up pings', FAST)


class StatusTest(PingCase):

	def test_status_before_the_daemon_ever_ran(self):
		self.config([('hub', 'websub', 'http://127.0.0.1:%d/hub'
			% pt.free_port())])
		state = self.ws.path('state')
		self.assertFalse(os.path.exists(state))

		def tree():
			return sorted(os.path.join(r, n) for r, ds, fs in
				os.walk(self.ws.dir) for n in ds + fs)
		before = tree()
		run = self.ws.run('--status')
		self.assertRunOK(run)
		self.assertEqual(run.stdout, '0 pending pings\n', run.describe())
		self.assertFalse(os.path.exists(state), 'the state folder was '
			'made by --status\n' + run.describe())
		self.assertEqual(tree(), before)


class DurabilityTest(PingCase):

	def test_pending_ping_survives_sigkill(self):
		port = pt.free_port()
		rcv = self.receiver(port=port, start=False)
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.launch()
		self.wait_rows(lambda r: len(r) == 2 and all(x['attempts'] >= 1
			for x in r), '2 rows tried once')
		self.sigkill()
		rcv.start()
		d = self.launch()
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(sorted(r.feed for r in rcv.requests()),
			sorted(FEEDS))
		for f in FEEDS:
			self.assertEqual(len(self.log_lines(self.delivered_line('hub',
				'websub', f), d)), 1, d.describe())

	def test_delivered_ping_is_not_sent_again_after_restart(self):
		rcv = self.receiver()
		self.config([('hub', 'websub', rcv.url('/hub'))])
		self.start_and_deliver([(rcv, '/hub')])
		self.sigkill()
		d = self.launch()
		self.wait(lambda: d.publish_count() >= 1, 'the start-up publish')
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(sorted(r.feed for r in rcv.requests()),
			sorted(FEEDS))
		self.assertEqual(self.rows(), [])
		self.assertEqual(self.status()[1], ['0 pending pings'])

	def test_restart_then_one_new_release_lists_one_entry(self):
		rcv = self.receiver()
		self.config([('hook', 'webhook', rcv.url('/hook'))])
		self.start_and_deliver([(rcv, '/hook')])
		self.sigterm()
		# What was announced is durable: after a restart, one new
		# release is the one entry each webhook lists.
		self.add_release('2024-06-04-medan', 'Medan nere')
		mark = rcv.mark()
		self.launch()
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hook', f, mark)
		self.wait_empty_queue()
		for r in rcv.requests('/hook', since=mark):
			self.assertEqual([e['id'] for e in r.json()['entries']],
				[entry_id('2024-06-04-medan')], r)


class DeliveryIdTest(PingCase):
	"""Every queued change has a delivery id, sent on every try as
	X-Feedpubd-Delivery (and in a webhook's body): a retry, or a resend
	after a crash, has the same id, a new change a new one, so that a
	receiver that keeps the ids it saw can drop a resend."""

	def ids(self, reqs):
		return [r.headers.get(DELIVERY) for r in reqs]

	def test_retry_keeps_the_id_and_a_new_change_gets_one(self):
		rcv = self.receiver(pt.script(503, 204))
		rpc = self.xmlrpc()
		rpc.register('weblogUpdates.extendedPing', lambda n, *a:
			{'flerror': False, 'message': 'Thanks'})
		self.config([('hook', 'webhook', rcv.url('/hook')),
			('hub', 'websub', rcv.url('/hub')),
			('rpc', 'xmlrpc', rpc.url())])
		self.launch()
		for path in ('/hook', '/hub'):
			for f in FEEDS:
				self.wait_count(rcv, 2, path, f, timeout=FAST + 1.25 + SLACK)
		self.wait(lambda: len(rpc.requests) >= 2, '2 XML-RPC calls')
		self.wait_empty_queue()
		first = set()
		for path in ('/hook', '/hub'):
			for f in FEEDS:
				reqs = rcv.requests(path, f)
				self.assertEqual([r.status for r in reqs], [503, 204])
				ids = self.ids(reqs)
				self.assertRegex(ids[0] or '', ID_RE, reqs)
				self.assertEqual(ids[0], ids[1], 'the retry of %s %s' % (
					path, f))
				if path == '/hook':
					self.assertEqual([r.json()['delivery'] for r in reqs],
						ids)
				first.add(ids[0])
		rpc_ids = [h.get(DELIVERY) for _, h in rpc.requests]
		for i in rpc_ids:
			self.assertRegex(i or '', ID_RE)
		first |= set(rpc_ids)
		self.assertEqual(len(first), 6, 'one id per target and feed')
		# The next change: new ids, delivered at once (204 from now on).
		mark = rcv.mark()
		self.add_release('2024-06-05-ny', 'Ny')
		for path in ('/hook', '/hub'):
			for f in FEEDS:
				self.wait_count(rcv, 1, path, f, mark)
		self.wait(lambda: len(rpc.requests) >= 4, '4 XML-RPC calls')
		self.wait_empty_queue()
		new = set(self.ids(rcv.requests(since=mark))) | {
			h.get(DELIVERY) for _, h in rpc.requests[2:]}
		self.assertEqual(len(new), 6, new)
		self.assertEqual(new & first, set())
		for i in new:
			self.assertRegex(i or '', ID_RE)

	def test_resend_after_a_kill_before_the_answer_has_the_same_id(self):
		"""The receiver holds the first webhook for feed.atom; the daemon
		is killed meanwhile, so the row stays owed and the restarted one
		sends it again: same id (and same body)."""
		hold = threading.Event()
		held = []

		def respond(req, n):
			if req.feed == ATOM_URL and n == 0:
				held.append(req)
				hold.wait(10 * dt.SCALE)
			return 204, {}, b''
		self.addCleanup(hold.set)
		rcv = self.receiver(respond)
		self.config([('hook', 'webhook', rcv.url('/hook'))])
		self.launch()
		self.wait(lambda: held, 'the first webhook for feed.atom held')
		# feed.rss's answered: its row gone, so it is not owed again.
		self.wait_rows(lambda r: [x['feed'] for x in r] == [ATOM_URL],
			"only feed.atom's row left")
		self.sigkill()
		hold.set()
		self.launch()
		self.wait_count(rcv, 2, '/hook', ATOM_URL)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		reqs = rcv.requests('/hook', ATOM_URL)
		self.assertEqual(len(reqs), 2, reqs)
		ids = self.ids(reqs)
		self.assertRegex(ids[0] or '', ID_RE)
		self.assertEqual(ids[0], ids[1], 'the resend after the restart')
		self.assertEqual(reqs[0].body, reqs[1].body)
		self.assertEqual(reqs[0].json()['delivery'], ids[0])
		# feed.rss was answered in time: sent once, another id.
		rss = rcv.requests('/hook', RSS_URL)
		self.assertEqual(len(rss), 1, rss)
		self.assertNotEqual(self.ids(rss)[0], ids[0])


class HangTest(PingCase):

	def test_hanging_receiver_delays_neither_publishing_nor_others(self):
		h = self.hang()
		rcv = self.receiver()
		self.config([('stuck', 'websub', h.url('/hub')),
			('ok', 'websub', rcv.url('/hub'))],
			pings={'connect_timeout': '1s', 'timeout': '2s'})
		d = self.launch()
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f)
		self.wait(lambda: h.accepted() >= 2, 'both hung connections')
		mark = rcv.mark()
		t0 = self.add_release('2024-06-03-medan', 'Medan')
		self.wait_id('2024-06-03-medan', timeout=FAST)
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f, mark, timeout=FAST)
		for r in rcv.requests(since=mark):
			self.assertLess(r.t - t0, FAST, r)
		self.assertGreaterEqual(h.accepted(), 2)
		# The hung transfers end by the [pings] timeout, and are retried.
		for f in FEEDS:
			self.wait_log('warning: ping stuck (websub) for %s: '
				'Operation timed out' % f, timeout=2 + 1 + 2 * SLACK)
		self.assertTrue(d.alive())


class CoalesceTest(PingCase):

	def test_changes_while_down_merge_into_one_ping(self):
		rcv = self.receiver()
		self.config([('hub', 'websub', rcv.url('/hub')),
			('hook', 'webhook', rcv.url('/hook'))])
		d = self.start_and_deliver([(rcv, '/hub'), (rcv, '/hook')])
		rcv.stop()
		mark = rcv.mark()
		slugs = ['2024-06-1%d-nere' % i for i in range(3)]
		for i, s in enumerate(slugs):
			n = d.publish_count()
			self.add_release(s, 'Nere %d' % i,
				'2024-06-1%dT08:00:00+02:00' % i)
			self.wait_id(s)
			# The feed is in place a moment before its log line.
			self.wait_publish_after(n)
		rows = self.wait_rows(lambda r: len(r) == 4 and
			all(x['attempts'] >= 1 for x in r), '4 rows, tried')
		self.assertEqual(sorted((x['target'], x['feed']) for x in rows),
			sorted((t, f) for t in ('hub', 'hook') for f in FEEDS))

		rcv.start()
		for path in ('/hub', '/hook'):
			for f in FEEDS:
				self.wait_count(rcv, 1, path, f, mark)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(rcv.count(since=mark), 4, rcv.requests(since=mark))
		for r in rcv.requests('/hook', since=mark):
			self.assertEqual(sorted(e['id'] for e in r.json()['entries']),
				sorted(entry_id(s) for s in slugs), r)


class ReloadTest(PingCase):
	"""SIGHUP swaps the targets; the old config is freed only after the
	ping queue and the pipeline let go of it (run under ASan too)."""

	def test_sighup_with_pings_uses_the_new_targets(self):
		rcv = self.receiver()
		self.config([('hub', 'websub', rcv.url('/hub')),
			('hook', 'webhook', rcv.url('/hook'))])
		d = self.start_and_deliver([(rcv, '/hub'), (rcv, '/hook')])
		mark = rcv.mark()
		n = self.notify.mark()
		self.config([('hub', 'websub', rcv.url('/hub')),
			('hook', 'webhook', rcv.url('/hook2')),
			('ny', 'websub', rcv.url('/ny'))],
			feed={'title': 'Ny titel'})
		d.signal(signal.SIGHUP)
		self.wait(lambda: 'READY=1' in self.notify.lines(n),
			'READY=1 after the reload')
		# The new title changes both feeds: every new target hears.
		for path in ('/hub', '/hook2', '/ny'):
			for f in FEEDS:
				self.wait_count(rcv, 1, path, f, mark)
		self.assertEqual(rcv.count('/hook', since=mark), 0)

		# And back: the second config is freed in its turn.
		mark = rcv.mark()
		n = self.notify.mark()
		self.config([('hub', 'websub', rcv.url('/hub'))])
		d.signal(signal.SIGHUP)
		self.wait(lambda: 'READY=1' in self.notify.lines(n),
			'READY=1 after the second reload')
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f, mark)
		mark = rcv.mark()
		self.add_release('2024-06-05-efter', 'Efter')
		self.wait_id('2024-06-05-efter')
		for f in FEEDS:
			self.wait_count(rcv, 1, '/hub', f, mark)
		self.wait_empty_queue()
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(rcv.count(since=mark), 2,
			rcv.requests(since=mark))
		self.assertAlive()


class HistoryTest(PingCase):
	"""Dates survive a restart: no feed change, no ping, after one."""

	def test_edit_then_restart_changes_nothing(self):
		rcv = self.receiver()
		self.config([('hook', 'webhook', rcv.url('/hook'))])
		dated, undated = dt.put_history_pair(self.ws)
		self.start_and_deliver([(rcv, '/hook')])

		# Edits while running: updated moves, published does not.
		t0 = time.time()
		mark0 = rcv.mark()
		dt.edit_history_pair(dated, undated)

		# Each entry's own text, not a count over the feed: one entry
		# holds 'Andra.' twice (summary and content), so a count of 2
		# could be the first edit alone, published before the second.
		def edited(path, ids):
			d = feedparser.parse(path)
			got = {e.id: e for e in d.entries}
			return all(i in got and 'Andra.' in got[i].get('summary', '')
				+ ''.join(c.value for c in got[i].get('content', []))
				for i in ids)
		both = (entry_id('2024-06-01-daterad'), entry_id('odaterad'))
		self.wait(lambda: edited(self.ws.atom, both) and
			edited(self.ws.rss, both), 'both edits published')

		# The webhooks since the edits (both feeds) name the undated
		# release, edited last: wait for them, then for an empty queue.
		# (The start-up webhook named every entry: not counted.)
		def delivered():
			return all(any(entry_id('odaterad') in
				[x['id'] for x in r.json()['entries']]
				for r in rcv.requests('/hook', f, since=mark0))
				for f in FEEDS)
		self.wait(delivered, 'the webhooks of the last edit')
		self.wait_empty_queue()
		d = feedparser.parse(self.ws.atom)
		by_id = {e.id: e for e in d.entries}
		e = by_id[entry_id('2024-06-01-daterad')]
		self.assertGreaterEqual(ft.struct_epoch(e.updated_parsed),
			int(t0) - 1)
		u = by_id[entry_id('odaterad')]
		self.assertEqual(ft.struct_epoch(u.published_parsed), 1700000000)
		before = dt.read_atom(self.ws), open(self.ws.rss).read()

		# A restart reads the same files: same dates, same bytes, no ping.
		self.sigterm()
		mark = rcv.mark()
		n = self.notify.mark()
		self.launch()
		self.wait(lambda: any('publishes' in v for v in
			self.notify.values('STATUS', n)), 'a publish after restart')
		self.assertEqual((dt.read_atom(self.ws), open(self.ws.rss).read()),
			before)
		time.sleep(QUIET)		# proving an absence
		self.assertEqual(rcv.count(since=mark), 0, rcv.requests(since=mark))


if __name__ == '__main__':
	dt.main()
