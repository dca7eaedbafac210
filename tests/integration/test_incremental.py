"""The incremental publish (sub-feeds skipped, kept, updated; stamps by
address; entries primed from files) against a full build: after a
sequence of changes to the releases (and the config), the daemon's output
folder is what `feedpubd --once` makes of the same releases, byte for byte.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_incremental.py
"""

import os
import random
import shutil
import signal
import sqlite3
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402

TAGS = ['alfa', 'beta', 'gamma', 'delta', 'Alfa']
TYPES = ['Nyhet', 'Pressmeddelande', None]
LANGS = ['sv', 'en', None]


def feed_section(**more):
	f = ft.default_feed()
	f.update({'json': 'true', 'tag_feeds': 'true', 'type_feeds': 'true',
		'lang_feeds': 'true', 'archives': 'true', 'max_entries': '3',
		'tag_archive_period': 'month'})
	f.update(more)
	return f


def tree(top):
	out = {}
	for root, dirs, files in os.walk(top):
		for n in files:
			p = os.path.join(root, n)
			with open(p, 'rb') as f:
				out[os.path.relpath(p, top)] = f.read()
	return out


class Incremental(dt.DaemonCase):

	def setUp(self):
		self.ws = dt.Workspace(base=None)
		self.addCleanup(self.ws.cleanup)
		self.notify = dt.Notify(self.ws.path('notify.sock'))
		self.addCleanup(self.notify.close)
		self.daemon = None
		self.feed = feed_section()

	def put(self, name, title, date, tags=(), typ=None, lang=None,
			body='Text.', image=None):
		# updated given: the daemon's edit history is not --once's.
		fm = ['---', 'title: "%s"' % title, 'date: %s' % date,
			'updated: %s' % date]
		if tags:
			fm.append('tags: [%s]' % ', '.join('"%s"' % t for t in tags))
		if typ:
			fm.append('type: %s' % typ)
		if lang:
			fm.append('lang: %s' % lang)
		if image:
			fm.append('image: %s' % image)
		fm.append('---')
		tmp = os.path.join(self.ws.outside, name)
		with open(tmp, 'w', encoding='utf-8') as f:
			f.write('\n'.join(fm) + '\n\n' + body + '\n')
		os.replace(tmp, self.ws.release(name))

	def settle(self, before):
		"""Wait for a publish after before, then for quiet."""
		d = self.daemon
		t = time.monotonic()
		# Some changes publish nothing (an image written as it was).
		while d.publish_count() <= before and time.monotonic() - t < 1.5:
			self.assertTrue(d.alive(), d.describe())
			time.sleep(0.02)
		last = d.publish_count()
		t = time.monotonic()
		while time.monotonic() - t < 0.4:
			time.sleep(0.05)
			if d.publish_count() != last:
				last = d.publish_count()
				t = time.monotonic()

	def once_tree(self):
		"""What --once makes of the releases, into another folder."""
		paths = ft.default_paths()
		paths.update({'output': 'once-out', 'state': 'once-state'})
		# The daemon's history (renamed ids, edit times) as of now.
		os.makedirs(self.ws.path('once-state'), exist_ok=True)
		for n in os.listdir(self.ws.path('state')):
			if not n.startswith('feedpubd.db') and os.path.isfile(
					self.ws.path('state', n)):
				shutil.copy(self.ws.path('state', n),
					self.ws.path('once-state', n))
		src = sqlite3.connect(self.ws.path('state', 'feedpubd.db'))
		dst = sqlite3.connect(self.ws.path('once-state', 'feedpubd.db'))
		with dst:
			src.backup(dst)
		src.close()
		dst.close()
		cfg = self.ws.path('once.conf')
		with open(cfg, 'w', encoding='utf-8') as f:
			f.write(ft.config_text(self.feed, paths))
		run = ft.run_feedpubd('--config', cfg, '--once')
		self.assertRunOK(run)
		return tree(self.ws.path('once-out'))

	def assertSameAsOnce(self, what):
		got = tree(self.ws.out)
		want = self.once_tree()
		shutil.rmtree(self.ws.path('once-out'), ignore_errors=True)
		shutil.rmtree(self.ws.path('once-state'), ignore_errors=True)
		diff = sorted(set(got) ^ set(want)) + sorted(k for k in
			set(got) & set(want) if got[k] != want[k])
		if diff:
			import difflib
			detail = ''
			for k in [k for k in diff if k in got and k in want][:3]:
				detail += '\n'.join(difflib.unified_diff(
					got[k].decode('utf-8', 'replace').split('\n'),
					want[k].decode('utf-8', 'replace').split('\n'),
					'daemon/' + k, 'once/' + k, lineterm='', n=1))
			self.fail('%s: differ from --once: %s%s' % (what, diff[:20],
				detail))

	def random_release(self, rnd, i):
		return dict(title='R%d v%d' % (i, rnd.randrange(1000)),
			date='2025-%02d-%02dT10:00:00Z' % (rnd.randint(1, 6),
			rnd.randint(1, 28)),
			tags=rnd.sample(TAGS, rnd.randint(0, 3)),
			typ=rnd.choice(TYPES), lang=rnd.choice(LANGS),
			body='Text %d.' % rnd.randrange(1000))

	def put_image(self, name, data):
		tmp = os.path.join(self.ws.outside, name)
		with open(tmp, 'wb') as f:
			f.write(data)
		os.replace(tmp, self.ws.release(name))

	def run_random(self, seed, steps=30, ops=None):
		rnd = random.Random(seed)
		live = {}
		for i in range(3):
			self.put_image('img%d.png' % i, b'\x89PNG ' + b'x' * i)
		for i in range(6):
			live['r%d.md' % i] = self.random_release(rnd, i)
			self.put('r%d.md' % i, **live['r%d.md' % i])
		self.start(feed=self.feed)
		self.settle(0)
		self.assertSameAsOnce('seed %d start' % seed)
		nxt = 6
		log = []
		for step in range(steps):
			before = self.daemon.publish_count()
			op = rnd.choice(ops or ['add', 'edit', 'edit', 'remove',
				'date', 'tags', 'rename', 'many', 'image', 'imgedit',
				'hand'])
			if op == 'add' or (not live and op != 'many'):
				name = 'r%d.md' % nxt
				live[name] = self.random_release(rnd, nxt)
				nxt += 1
				self.put(name, **live[name])
			elif op == 'edit':
				name = rnd.choice(sorted(live))
				live[name]['body'] = 'Edited %d.' % rnd.randrange(1000)
				live[name]['title'] += '!'
				self.put(name, **live[name])
			elif op == 'image':
				name = rnd.choice(sorted(live))
				live[name]['image'] = rnd.choice([None, 'img0.png',
					'img1.png', 'img2.png'])
				self.put(name, **live[name])
			elif op == 'imgedit':
				# The same size, or another.
				i = rnd.randrange(3)
				self.put_image('img%d.png' % i, b'\x89PNG ' + bytes(
					[rnd.randrange(97, 123)]) * rnd.randint(1, 4))
			elif op == 'hand':
				# A sub-feed's file edited by hand (an entry's bytes,
				# the length kept), then a release to that tag.
				tag = rnd.choice(['alfa', 'beta', 'gamma', 'delta'])
				p = os.path.join(self.ws.out, 'tags', tag + '.atom')
				if os.path.exists(p):
					with open(p, 'rb') as f:
						b = f.read()
					b = b.replace(b'Text ', b'Tekz ')
					b = b.replace(b'Edited ', b'Edite! ')
					with open(p, 'wb') as f:
						f.write(b)
				name = 'r%d.md' % nxt
				live[name] = self.random_release(rnd, nxt)
				live[name]['tags'] = [tag]
				# The newest: the feed's bytes change.
				live[name]['date'] = '2025-12-%02dT10:00:00Z' % (
					nxt % 28 + 1)
				live[name]['title'] = 'Hand %d' % nxt
				nxt += 1
				self.put(name, **live[name])
			elif op == 'bulk':
				with self.daemon.stopped():
					for _ in range(70):
						name = 'r%d.md' % nxt
						live[name] = self.random_release(rnd, nxt)
						nxt += 1
						self.put(name, **live[name])
			elif op == 'unbulk':
				with self.daemon.stopped():
					for name in rnd.sample(sorted(live), max(0,
							len(live) - 5)):
						del live[name]
						os.unlink(self.ws.release(name))
			elif op == 'remove':
				name = rnd.choice(sorted(live))
				del live[name]
				os.unlink(self.ws.release(name))
			elif op == 'date':
				name = rnd.choice(sorted(live))
				live[name]['date'] = '2025-%02d-%02dT10:00:00Z' % (
					rnd.randint(1, 6), rnd.randint(1, 28))
				self.put(name, **live[name])
			elif op == 'tags':
				name = rnd.choice(sorted(live))
				live[name]['tags'] = rnd.sample(TAGS, rnd.randint(0, 3))
				self.put(name, **live[name])
			elif op == 'rename':
				name = rnd.choice(sorted(live))
				new = 'r%d.md' % nxt
				nxt += 1
				os.replace(self.ws.release(name), self.ws.release(new))
				live[new] = live.pop(name)
			else:
				with self.daemon.stopped():
					for _ in range(rnd.randint(2, 5)):
						name = 'r%d.md' % nxt
						live[name] = self.random_release(rnd, nxt)
						nxt += 1
						self.put(name, **live[name])
					for name in rnd.sample(sorted(live), min(2, len(live))):
						live[name]['tags'] = rnd.sample(TAGS, 2)
						self.put(name, **live[name])
			log.append(op)
			self.settle(before)
			self.assertSameAsOnce('seed %d after %s' % (seed, log))

	def start_then_reload(self, check_start=False):
		"""8 releases published, then base_url changed by a reload."""
		rnd = random.Random(5)
		for i in range(8):
			self.put('r%d.md' % i, **self.random_release(rnd, i))
		self.start(feed=self.feed)
		self.settle(0)
		if check_start:
			self.assertSameAsOnce('start')
		before = self.daemon.publish_count()
		self.feed['base_url'] = 'https://other.example.net/'
		self.write_config(feed=self.feed)
		self.daemon.signal(signal.SIGHUP)
		self.wait(lambda: 'other.example.net' in dt.read_atom(self.ws),
			'the new base_url in feed.atom')
		self.settle(before)

	def test_reload_with_another_base_url(self):
		"""A config reload that changes how every entry reads (its links):
		no document takes an entry from its old file."""
		self.start_then_reload(check_start=True)
		self.assertSameAsOnce('after the reload')

	def test_reload_then_main_feed(self):
		"""After a reload that changes the entries, a release removed
		brings an older one into feed.atom: its entry is the new one."""
		self.start_then_reload()
		for name in ('r0.md', 'r1.md', 'r2.md', 'r3.md'):
			before = self.daemon.publish_count()
			os.unlink(self.ws.release(name))
			self.settle(before)
		self.assertNotIn('news.example.org/releases', dt.read_atom(self.ws))

	def test_random(self):
		self.run_random(int(os.environ.get('SEED', '1')))

	def test_random_tombstones(self):
		self.feed['deleted_for'] = '1d'
		self.run_random(int(os.environ.get('SEED', '1')) + 100)

	def test_bulk(self):
		self.run_random(int(os.environ.get('SEED', '1')) + 200, steps=12,
			ops=['bulk', 'unbulk', 'edit', 'tags', 'remove', 'add'])


if __name__ == '__main__':
	unittest.main()
