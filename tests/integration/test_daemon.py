"""feedpubd's daemon mode: watching the releases folder, sd_notify, signals.

Each test runs its own `feedpubd --config C --verbose` on a temp folder
(releases copied from tests/data/daemon/base: Alfa, Beta, Gamma) with
NOTIFY_SOCKET bound by the test.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_daemon.py
"""

import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402
import daemontest as dt  # noqa: E402
from daemontest import BASE_SLUGS, entry_id, release_text  # noqa: E402

STATUS_RE = re.compile(r'^(\d+) releases, (\d+) in feeds, (\d+) '
	r'publish(?:es)?, last \d\d:\d\d:\d\d \(\d+(?:\.\d+)? ms\)'
	r'(?:, (\d+) skipped)?(?:, next embargo (\S+))?$')

CET = datetime.timezone(datetime.timedelta(hours=1))


def rfc3339(epoch):
	return datetime.datetime.fromtimestamp(epoch, CET).isoformat()


def epoch_of(s):
	return datetime.datetime.fromisoformat(s.replace('Z', '+00:00')) \
		.timestamp()


class StartTest(dt.DaemonCase):

	def test_start_publishes_then_ready_and_status(self):
		d = self.start()
		self.assertEqual(self.ids(), self.base_ids())
		self.assertEqual(d.publish_count(), 1, d.describe())
		self.assertEqual(d.publishes()[0][1], 3, d.describe())
		status = self.wait(lambda: self.notify.values('STATUS'), 'STATUS')
		m = STATUS_RE.match(status[-1])
		self.assertIsNotNone(m, 'STATUS=%r' % status[-1])
		self.assertEqual(m.group(1, 2, 3), ('3', '3', '1'), status[-1])
		self.assertIn(m.group(4), (None, '0'), status[-1])
		self.assertIsNone(m.group(5), status[-1])
		self.assertWellFormed(self.ws.atom)
		self.assertWellFormed(self.ws.rss)
		self.assertNoTemps()

	def test_no_watchdog_without_watchdog_usec(self):
		self.start()
		time.sleep(0.4)		# proving an absence
		self.assertEqual(self.notify.count('WATCHDOG=1'), 0,
			self.daemon.describe())

	def test_watchdog_pings(self):
		self.start(env={'WATCHDOG_USEC': '200000'})
		mark = self.notify.mark()
		t0 = time.monotonic()
		self.wait(lambda: self.notify.count('WATCHDOG=1', mark) >= 3,
			'3 WATCHDOG=1 pings', timeout=1.0)
		# Pings every 100 ms: not 3 within the first ~150 ms.
		self.assertGreater(time.monotonic() - t0, 0.15)


class AddTest(dt.DaemonCase):

	def test_add_by_copy(self):
		self.start()
		src = os.path.join(self.ws.outside, '2024-04-01-kopia.md')
		ft.write_release(src, release_text('Kopia',
			'2024-04-01T08:00:00+02:00'))
		shutil.copy(src, self.ws.release('2024-04-01-kopia.md'))
		self.wait_id('2024-04-01-kopia')
		d = self.parse()
		self.assertEqual(self.entry(d, '2024-04-01-kopia').title, 'Kopia')
		self.assertEqual(self.ids(), self.base_ids('2024-04-01-kopia'))

	def test_add_by_move_from_outside(self):
		self.start()
		src = os.path.join(self.ws.outside, 'flytt.md')
		ft.write_release(src, release_text('Flyttad',
			'2024-04-02T08:00:00+02:00'))
		os.rename(src, self.ws.release('flytt.md'))
		self.wait_id('flytt')
		self.assertEqual(self.entry(self.parse(), 'flytt').title, 'Flyttad')
		self.assertEqual(self.ids(), self.base_ids('flytt'))

	def _editor_save(self, temp):
		self.start()
		text = release_text('Redigerad', '2024-04-03T08:00:00+02:00')
		ft.write_release(self.ws.release(temp), text)
		n = self.daemon.publish_count()
		time.sleep(0.15)	# > settle window: the temp must stay out
		self.assertEqual(self.ids(), self.base_ids(),
			'temp file %s published' % temp)
		os.rename(self.ws.release(temp), self.ws.release('redigerad.md'))
		self.wait_id('redigerad')
		d = self.parse()
		self.assertEqual(self.ids(), self.base_ids('redigerad'))
		self.assertEqual([e.title for e in d.entries].count('Redigerad'),
			1)
		self.assertGreater(self.daemon.publish_count(), n)

	def test_editor_swp_then_rename(self):
		self._editor_save('.redigerad.md.swp')

	def test_editor_backup_then_rename(self):
		self._editor_save('redigerad.md~')

	def test_editor_hidden_temp_then_rename(self):
		self._editor_save('.#tmp')

	@unittest.skipIf(shutil.which('rsync') is None, 'rsync not installed')
	def test_add_by_rsync(self):
		self.start()
		src = os.path.join(self.ws.outside, 'sync')
		ft.write_release(os.path.join(src, 'rsynkad.md'), release_text(
			'Rsynkad', '2024-04-04T08:00:00+02:00'))
		ft.write_release(os.path.join(src, '2024', 'rsynkad-2.txt'),
			release_text('Rsynkad två', '2024-04-05T08:00:00+02:00'))
		r = subprocess.run(['rsync', '-a', src + '/', self.ws.releases +
			'/'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
			timeout=dt.START_TIMEOUT)
		self.assertEqual(r.returncode, 0, r.stdout)
		self.wait_id('rsynkad')
		self.wait_id('rsynkad-2')
		self.assertEqual(self.ids(), self.base_ids('rsynkad',
			'rsynkad-2'))

	def test_burst_of_500(self):
		self.start(feed={'max_entries': '1000'})
		n = self.daemon.publish_count()
		slugs = []
		for i in range(500):
			slug = 'burst-%03d' % i
			slugs.append(slug)
			date = '2025-01-01T00:%02d:%02d+01:00' % (i // 60, i % 60)
			with open(self.ws.release(slug + '.md'), 'w',
					encoding='utf-8') as f:
				f.write(release_text('Skur %d' % i, date))

		def all_there():
			p = self.daemon.publishes()
			return p and p[-1][1] == 503
		self.wait(all_there, '503 entries', timeout=dt.TIMEOUT * 2)
		self.assertEqual(self.ids(), self.base_ids(*slugs))
		runs = self.daemon.publish_count() - n
		self.assertLessEqual(runs, 20, self.daemon.describe())
		self.assertGreaterEqual(runs, 1)


class ChangeTest(dt.DaemonCase):

	def test_write_in_place_bumps_updated(self):
		path = self.ws.release('2024-05-05-andras.md')
		ft.write_release(path, release_text('Ändras',
			'2024-05-05T10:00:00+02:00', body='Första versionen.'))
		self.start()
		d = self.parse()
		before = self.entry(d, '2024-05-05-andras')
		published = ft.struct_epoch(before.published_parsed)
		self.assertEqual(published, epoch_of('2024-05-05T10:00:00+02:00'))
		self.assertEqual(ft.struct_epoch(before.updated_parsed), published)

		t0 = time.time()
		with open(path, 'w', encoding='utf-8') as f:
			f.write(release_text('Ändras', '2024-05-05T10:00:00+02:00',
				body='Andra versionen.'))
		self.wait(lambda: 'Andra versionen.' in dt.read_atom(self.ws),
			'the new content')
		t1 = time.time()
		after = self.entry(self.parse(), '2024-05-05-andras')
		self.assertEqual(after.id, before.id)
		self.assertEqual(ft.struct_epoch(after.published_parsed), published)
		updated = ft.struct_epoch(after.updated_parsed)
		# Feed dates have whole seconds.
		self.assertGreaterEqual(updated, int(t0) - 1, after.updated)
		self.assertLessEqual(updated, t1 + 1, after.updated)
		self.assertIn('Andra versionen.', after.content[0].value)
		self.assertNotIn('Första versionen.', dt.read_atom(self.ws))

	def test_delete(self):
		self.start()
		os.remove(self.ws.release('2024-02-20-beta.md'))
		self.wait_id(BASE_SLUGS['Beta'], present=False)
		self.assertEqual(self.ids(), sorted([entry_id(BASE_SLUGS['Alfa']),
			entry_id(BASE_SLUGS['Gamma'])]))

	def test_rename(self):
		self.start()
		os.rename(self.ws.release('2024-01-10-alfa.md'),
			self.ws.release('2024-01-10-alfa-nytt-namn.md'))
		self.wait_id('2024-01-10-alfa-nytt-namn')
		self.wait_id(BASE_SLUGS['Alfa'], present=False)
		d = self.parse()
		self.assertEqual(self.entry(d, '2024-01-10-alfa-nytt-namn').title,
			'Alfa')
		self.assertEqual(len(d.entries), 3)

	def test_half_written_file(self):
		self.start()
		path = self.ws.release('halv.md')
		head = release_text('Halvfärdig', '2024-06-01T12:00:00+02:00',
			body='Början av texten, ')
		with open(path, 'w', encoding='utf-8') as f:
			f.write(head.rstrip('\n'))
			f.flush()
			os.fsync(f.fileno())
			time.sleep(0.3)		# > settle window, file still open
			self.assertNotIn('Halvfärdig', dt.read_atom(self.ws))
			self.assertFalse(dt.has_id(self.ws, 'halv'))
			f.write('och slutet av texten.\n')
		self.wait_id('halv')
		e = self.entry(self.parse(), 'halv')
		self.assertEqual(e.title, 'Halvfärdig')
		self.assertIn('Början av texten, och slutet av texten.',
			e.content[0].value)

	def test_bad_release_is_reported_and_skipped(self):
		self.start()
		n = self.daemon.publish_count()
		shutil.copy(os.path.join(ft.CORPUS, 'bad', 'bad-yaml.md'),
			self.ws.release('trasig.md'))
		name = os.path.join('releases', 'trasig.md')

		def reported():
			return [l for l in self.daemon.stderr_lines()
				if name in l and 'error' in l]
		lines = self.wait(reported, 'an error naming %s' % name)
		self.assertRegex(lines[0], r'trasig\.md:\d+: ', lines)
		self.wait_publish_after(n)
		self.assertAlive()
		self.assertEqual(self.ids(), self.base_ids())
		self.assertNotIn('Felaktig YAML', dt.read_atom(self.ws))
		# Still watching.
		ft.write_release(self.ws.release('efter.md'), release_text('Efter',
			'2024-06-02T12:00:00+02:00'))
		self.wait_id('efter')


class EmbargoTest(dt.DaemonCase):

	def test_embargo_published_when_due(self):
		self.start()
		due = int(time.time()) + 3
		ft.write_release(self.ws.release('embargo.md'),
			release_text('Embargo', rfc3339(due)))

		def announced():
			for s in self.notify.values('STATUS'):
				m = STATUS_RE.match(s)
				if m and m.group(5):
					return m.group(5)
		nxt = self.wait(announced, 'STATUS with the next embargo')
		self.assertEqual(epoch_of(nxt), due, nxt)
		self.assertLess(time.time(), due - 0.5,
			'too slow to see the embargo announced')
		self.assertFalse(dt.has_id(self.ws, 'embargo'))

		seen = self.wait(lambda: dt.has_id(self.ws, 'embargo') and
			time.time(), 'the embargoed release',
			timeout=due + 3 - time.time())
		self.assertGreaterEqual(seen, due, 'published before its date')
		self.assertLessEqual(seen, due + 1.0, 'published late')
		self.assertEqual(self.ids(), self.base_ids('embargo'))
		e = self.entry(self.parse(), 'embargo')
		self.assertEqual(ft.struct_epoch(e.published_parsed), due)


class FolderTest(dt.DaemonCase):

	def test_subfolder_created_after_start(self):
		self.start()
		sub = self.ws.release('2025')
		os.mkdir(sub)
		time.sleep(0.05)
		ft.write_release(os.path.join(sub, 'i-mapp.md'),
			release_text('I mapp', '2025-01-02T10:00:00+01:00'))
		self.wait_id('i-mapp')
		# Created faster than a watch could be added on each level.
		deep = self.ws.release('a', 'b', 'c')
		os.makedirs(deep)
		with open(os.path.join(deep, 'djup.md'), 'w',
				encoding='utf-8') as f:
			f.write(release_text('Djup', '2025-01-03T10:00:00+01:00'))
		self.wait_id('djup')
		self.assertEqual(self.ids(), self.base_ids('i-mapp', 'djup'))
		# The new folders are watched from now on.
		ft.write_release(os.path.join(deep, 'djup-2.md'),
			release_text('Djup två', '2025-01-04T10:00:00+01:00'))
		self.wait_id('djup-2')

	def test_releases_folder_removed_and_recreated(self):
		self.start()
		before = dt.read_atom(self.ws)
		shutil.rmtree(self.ws.releases)
		time.sleep(0.3)		# proving an absence
		self.assertAlive()
		self.assertEqual(dt.read_atom(self.ws), before,
			'feeds changed while the releases folder was gone')
		self.assertTrue(os.path.exists(self.ws.rss))
		os.mkdir(self.ws.releases)
		ft.write_release(self.ws.release('tillbaka.md'),
			release_text('Tillbaka', '2025-02-01T10:00:00+01:00'))
		ft.write_release(self.ws.release('2025', 'tillbaka-2.md'),
			release_text('Tillbaka två', '2025-02-02T10:00:00+01:00'))
		self.wait(lambda: self.ids() == sorted([entry_id('tillbaka'),
			entry_id('tillbaka-2')]), 'only the new releases',
			timeout=dt.TIMEOUT * 2)
		self.assertAlive()


class SignalTest(dt.DaemonCase):

	def test_sighup_good_config(self):
		self.start()
		mark = self.notify.mark()
		t0 = time.monotonic()
		self.write_config(feed={'title': 'Ny titel efter SIGHUP'})
		self.daemon.signal(signal.SIGHUP)
		self.wait(lambda: self.parse().feed.title == 'Ny titel efter SIGHUP',
			'the new title')
		self.wait(lambda: 'READY=1' in self.notify.lines(mark), 'READY=1')
		msgs = [ls for _, ls in self.notify.all()[mark:]]
		i = next(i for i, ls in enumerate(msgs) if 'RELOADING=1' in ls)
		self.assertTrue(any('READY=1' in ls for ls in msgs[i:]), msgs)
		usec = [l for l in msgs[i] if l.startswith('MONOTONIC_USEC=')]
		self.assertEqual(len(usec), 1, msgs[i])
		usec = int(usec[0].split('=', 1)[1])
		self.assertGreaterEqual(usec, int(t0 * 1e6) - 1000, msgs[i])
		self.assertLessEqual(usec, time.monotonic() * 1e6, msgs[i])
		self.assertEqual(self.ids(), self.base_ids())
		self.assertEqual(self.parse(self.ws.rss).feed.title,
			'Ny titel efter SIGHUP')

	def test_sighup_broken_config(self):
		self.start()
		mark = self.notify.mark()
		self.write_config(feed={'title': 'Får inte synas',
			'obekant_nyckel': 'x'})
		line = ft.line_of(self.ws.config_src, 'obekant_nyckel')
		where = '%s:%d:' % (self.ws.config, line)
		self.daemon.signal(signal.SIGHUP)
		self.wait(lambda: any(where in l for l in
			self.daemon.stderr_lines()), 'an error naming ' + where)
		self.wait(lambda: 'READY=1' in self.notify.lines(mark),
			'READY=1 after the failed reload')
		self.assertAlive()
		self.assertEqual(self.parse().feed.title, ft.FEED_TITLE)
		# The old config is still in force.
		ft.write_release(self.ws.release('efter.md'), release_text('Efter',
			'2024-06-02T12:00:00+02:00'))
		self.wait_id('efter')
		self.assertEqual(self.parse().feed.title, ft.FEED_TITLE)

	def test_sigterm(self):
		self.start()
		# Stop in the middle of a burst of changes.
		for i in range(50):
			ft.write_release(self.ws.release('stopp-%02d.md' % i),
				release_text('Stopp %d' % i, '2025-03-01T10:00:00+01:00'))
		self.daemon.signal(signal.SIGTERM)
		rc = self.daemon.proc.wait(dt.START_TIMEOUT)
		self.assertEqual(rc, 0, self.daemon.describe())
		self.assertIn('STOPPING=1', self.notify.lines(), self.daemon.describe())
		self.assertWellFormed(self.ws.atom)
		self.assertWellFormed(self.ws.rss)
		self.parse()
		self.assertOnlyFeeds(self.ws.out)

	def test_sigusr1_rescans(self):
		self.start()
		n = self.daemon.publish_count()
		self.daemon.signal(signal.SIGUSR1)
		self.wait_publish_after(n, 'a publish after SIGUSR1')

		def status_count():
			for s in reversed(self.notify.values('STATUS')):
				m = STATUS_RE.match(s)
				if m:
					return int(m.group(3))
		self.wait(lambda: status_count() == n + 1,
			'STATUS with %d publishes' % (n + 1))
		p = self.daemon.publishes()[-1]
		self.assertEqual(p[1:], (3, 'unchanged', 'unchanged'))
		self.assertAlive()
		self.assertEqual(self.ids(), self.base_ids())


if __name__ == '__main__':
	dt.main()
