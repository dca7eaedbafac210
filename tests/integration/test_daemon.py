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

	def test_ready_waits_for_a_start_in_slices(self):
		"""READY=1 and its log line come once the feeds are written,
		however many slices the first run takes (feedpubd(8): systemctl
		start returns when the feeds are written). 1,500 releases with
		pages take many 20 ms slices; before, READY=1 followed the first
		one, with no feed yet."""
		for i in range(1500):
			with open(self.ws.release('s-%04d.md' % i), 'w') as f:
				f.write('---\ntitle: S %d\ndate: 2025-02-01T00:%02d:00Z\n'
					'---\n\nText %d.\n' % (i, i % 60, i))
		d = self.start()
		lines = d.stderr_lines()
		pub = [i for i, ln in enumerate(lines)
			if ln.startswith('feedpubd: publish #1: ')]
		feeds = [i for i, ln in enumerate(lines)
			if ln.startswith('feedpubd: feeds: ')]
		self.assertEqual(len(pub), 1, d.describe())
		self.assertEqual(len(feeds), 1, d.describe())
		self.assertTrue(any('more to come' in ln for ln in lines[:pub[0]]),
			'the start ran in one slice: this test proves nothing\n' +
			d.describe())
		self.assertGreater(feeds[0], pub[0], d.describe())
		self.assertEqual(len(self.ids()), 50)
		for v in self.notify.values('EXTEND_TIMEOUT_USEC'):
			self.assertEqual(v, '30000000')

	def test_no_watchdog_without_watchdog_usec(self):
		self.start()
		time.sleep(0.4)		# proving an absence
		self.assertEqual(self.notify.count('WATCHDOG=1'), 0,
			self.daemon.describe())

	def test_watchdog_pings(self):
		self.start(env={'WATCHDOG_USEC': '200000'})
		# Pings every 100 ms. Measured from one that was just received:
		# a reader late by D bunches the queued ones, so a start with no
		# sync (3 pings within 150 ms of an arbitrary moment) failed
		# under load. From a received ping, 5 more take at least 500 ms
		# minus that ping's own delay.
		mark = self.notify.mark()
		self.wait(lambda: self.notify.count('WATCHDOG=1', mark) >= 1,
			'a WATCHDOG=1 ping', timeout=1.0 * dt.SCALE)
		mark = self.notify.mark()
		t0 = time.monotonic()
		self.wait(lambda: self.notify.count('WATCHDOG=1', mark) >= 5,
			'5 more WATCHDOG=1 pings', timeout=2.0 * dt.SCALE)
		self.assertGreater(time.monotonic() - t0, 0.3)


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
		# The 'publish #N' line follows the feed files' rename: wait for
		# it rather than read it at once (failed under load: 1 > 1).
		self.wait_publish_after(n, 'the publish of the renamed file')

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
		# A rename keeps the id (issue 9); the link follows the name.
		self.wait(lambda: '2024-01-10-alfa-nytt-namn.html' in
			dt.read_atom(self.ws), 'the new link')
		d = self.parse()
		e = self.entry(d, BASE_SLUGS['Alfa'])
		self.assertEqual(e.title, 'Alfa')
		self.assertIn('2024-01-10-alfa-nytt-namn', e.link)
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
		due = int(time.time()) + 3 + int(dt.SCALE)
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
			timeout=due + 4 * dt.SCALE - time.time())
		self.assertGreaterEqual(seen, due, 'published before its date')
		# Timer accuracy, not disk speed: the fsyncs of a publish took
		# over a second beside a parallel make check.
		self.assertLessEqual(seen, due + 3.0 * dt.SCALE, 'published late')
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



class OnceAfterDaemonTest(dt.DaemonCase):
	"""--once runs the daemon's pipeline, release history included."""

	def tree(self):
		return sorted(os.path.join(r, n) for r, ds, fs in
			os.walk(self.ws.dir) for n in ds + fs)

	def test_once_after_a_daemon_run_writes_the_same_bytes(self):
		dated, undated = dt.put_history_pair(self.ws)
		d = self.start()
		# Edits while running move updated to the files' mtimes.
		dt.edit_history_pair(dated, undated)
		os.utime(undated, (1700086400, 1700086400))
		self.wait(lambda: dt.read_atom(self.ws).count('Andra.') >= 2,
			'both edits published')
		self.assertEqual(d.stop(), 0, d.describe())
		with open(self.ws.atom, 'rb') as f:
			atom = f.read()
		with open(self.ws.rss, 'rb') as f:
			rss = f.read()
		self.assertIn(b'<updated>2023-11-15T', atom)	# the undated edit
		shutil.rmtree(self.ws.out)
		run = self.ws.run('--once')
		self.assertRunOK(run)
		self.assertLines(run, 'feed.atom: 5 entries (written)')
		with open(self.ws.atom, 'rb') as f:
			self.assertEqual(f.read(), atom)
		with open(self.ws.rss, 'rb') as f:
			self.assertEqual(f.read(), rss)

	def test_once_and_check_make_no_state_database(self):
		self.write_config()
		state = self.ws.path('state')
		run = self.ws.run('--check')
		self.assertRunOK(run)
		self.assertFalse(os.path.exists(self.ws.out), run.describe())
		self.assertFalse(os.path.exists(state), run.describe())
		run = self.ws.run('--once')
		self.assertRunOK(run)
		self.assertFalse(os.path.exists(state), run.describe())
		os.makedirs(state)
		self.assertRunOK(self.ws.run('--once'))
		self.assertEqual(os.listdir(state), [])

	def test_check_writes_nothing_after_a_daemon_run(self):
		d = self.start()
		self.assertEqual(d.stop(), 0, d.describe())
		before = self.tree()
		db = self.ws.path('state', 'feedpubd.db')
		mtime = os.stat(db).st_mtime_ns
		with open(self.ws.release('ny.md'), 'w', encoding='utf-8') as f:
			f.write(release_text('Ny', '2024-06-02T08:00:00+02:00'))
		run = self.ws.run('--check')
		self.assertRunOK(run)
		self.assertEqual(self.tree(), sorted(before +
			[self.ws.release('ny.md')]))
		self.assertEqual(os.stat(db).st_mtime_ns, mtime)


def statuses(notify, since=0):
	"""The STATUS= values from message index since on, each matched
	against STATUS_RE (None where it does not match)."""
	return [(v, STATUS_RE.match(v)) for v in notify.values('STATUS', since)]


def problems(daemon, *names):
	"""Error and warning lines, plus any line naming one of names."""
	return [l for l in daemon.stderr_lines() if l.startswith(
		('feedpubd: error: ', 'feedpubd: warning: ', '<3>', '<4>')) or
		any(n in l for n in names)]


class GitTest(dt.DaemonCase):
	"""The releases folder is a git work tree; editors switch branches."""

	# Whoever runs the tests may have a global config (signing, hooks).
	GIT_ENV = {'GIT_CONFIG_NOSYSTEM': '1', 'GIT_CONFIG_GLOBAL': os.devnull,
		'GIT_TERMINAL_PROMPT': '0', 'LC_ALL': 'C'}
	MORE = 200

	def git(self, *args):
		e = {k: v for k, v in os.environ.items() if not k.startswith('GIT_')}
		e.update(self.GIT_ENV)
		r = subprocess.run(['git', '-C', self.ws.releases] + list(args),
			stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
			stderr=subprocess.STDOUT, env=e, timeout=dt.START_TIMEOUT)
		self.assertEqual(r.returncode, 0, 'git %s:\n%s' % (' '.join(args),
			r.stdout.decode('utf-8', 'replace')))

	def more_slug(self, i):
		return 'git-%03d' % i

	def make_repo(self):
		"""main: the 3 base releases. more: 200 added (half of them in
		a folder main does not have), Beta removed, Gamma retitled."""
		self.git('init', '-q', '-b', 'main')
		self.git('config', 'user.name', 'Feedpubd Test')
		self.git('config', 'user.email', 'feedpubd-test@example.org')
		self.git('config', 'commit.gpgsign', 'false')
		self.git('add', '-A')
		self.git('commit', '-q', '-m', 'Tre releaser')
		self.git('checkout', '-q', '-b', 'more')
		for i in range(self.MORE):
			sub = '2025' if i % 2 else ''
			date = '2025-02-01T%02d:%02d:00+01:00' % (i // 60, i % 60)
			ft.write_release(self.ws.release(sub, self.more_slug(i) +
				'.md'), release_text('Git %d' % i, date))
		os.remove(self.ws.release('2024-02-20-beta.md'))
		with open(self.ws.release('2024-03-30-gamma.txt'), 'w',
				encoding='utf-8') as f:
			f.write(release_text('Gamma ändrad', '2024-03-30',
				body='Den tredje releasen, omskriven på grenen.'))
		self.git('add', '-A')
		self.git('commit', '-q', '-m', '200 till')
		self.git('checkout', '-q', 'main')

	def more_ids(self):
		return sorted([entry_id(BASE_SLUGS['Alfa']),
			entry_id(BASE_SLUGS['Gamma'])] +
			[entry_id(self.more_slug(i)) for i in range(self.MORE)])

	def test_checkout_branches(self):
		self.make_repo()
		# Bait: a valid release inside .git must stay out all the same.
		ft.write_release(self.ws.release('.git', 'info', 'dold.md'),
			release_text('Dold i git', '2024-04-01T10:00:00+02:00'))
		d = self.start(feed={'max_entries': '1000'})
		self.assertEqual(self.ids(), self.base_ids())
		gamma = BASE_SLUGS['Gamma']

		n = d.publish_count()
		self.git('checkout', '-q', 'more')

		def on_more():
			p = d.publishes()
			return p and p[-1][1] == self.MORE + 2 and \
				'Gamma ändrad' in dt.read_atom(self.ws) and \
				not dt.has_id(self.ws, BASE_SLUGS['Beta'])
		self.wait(on_more, 'the feed of branch more',
			timeout=dt.TIMEOUT * 2)
		self.assertEqual(self.ids(), self.more_ids())
		self.assertEqual(self.entry(self.parse(), gamma).title,
			'Gamma ändrad')
		runs = d.publish_count() - n
		self.assertGreaterEqual(runs, 1)
		self.assertLessEqual(runs, 10, d.describe())

		n = d.publish_count()
		self.git('checkout', '-q', 'main')

		def on_main():
			p = d.publishes()
			return p and p[-1][1] == 3 and \
				'Gamma ändrad' not in dt.read_atom(self.ws)
		self.wait(on_main, 'the feed of branch main',
			timeout=dt.TIMEOUT * 2)
		self.assertFalse(os.path.exists(self.ws.release('2025')))
		self.assertEqual(self.ids(), self.base_ids())
		self.assertEqual(self.entry(self.parse(), gamma).title, 'Gamma')
		runs = d.publish_count() - n
		self.assertGreaterEqual(runs, 1)
		self.assertLessEqual(runs, 10, d.describe())
		# Nor after a full rescan.
		n = d.publish_count()
		d.signal(signal.SIGUSR1)
		self.wait_publish_after(n, 'a publish after SIGUSR1')
		self.assertEqual(self.ids(), self.base_ids())
		# .git is hidden: no entry, no error, not even a mention.
		self.assertEqual(problems(d, '.git', 'dold'), [], d.describe())
		self.assertNotIn('Dold i git', dt.read_atom(self.ws))
		self.assertAlive()


class EmbargoRescheduleTest(dt.DaemonCase):

	def next_embargo(self, since=0):
		"""Epoch of the next embargo in the latest STATUS since the mark
		(None: no embargo announced); False while there is no STATUS."""
		st = statuses(self.notify, since)
		if not st:
			return False
		v, m = st[-1]
		self.assertIsNotNone(m, 'STATUS=%r' % v)
		return epoch_of(m.group(5)) if m.group(5) else None

	def test_embargo_moved_earlier_then_other_deleted(self):
		self.start()
		now = int(time.time())
		due_a, due_b = now + 30, now + 40
		ft.write_release(self.ws.release('flyttas.md'),
			release_text('Flyttas fram', rfc3339(due_a)))
		ft.write_release(self.ws.release('stryks.md'),
			release_text('Stryks', rfc3339(due_b)))
		self.wait(lambda: self.next_embargo() == due_a,
			'STATUS announcing %s' % rfc3339(due_a))

		# Brought forward: it must go live then, not at the old date.
		mark = self.notify.mark()
		due = int(time.time()) + 2 + int(dt.SCALE)
		with open(self.ws.release('flyttas.md'), 'w',
				encoding='utf-8') as f:
			f.write(release_text('Flyttas fram', rfc3339(due)))
		self.wait(lambda: self.next_embargo(mark) == due,
			'STATUS announcing %s' % rfc3339(due))
		self.assertLess(time.time(), due - 0.5,
			'too slow to see the new embargo announced')
		self.assertFalse(dt.has_id(self.ws, 'flyttas'))
		seen = self.wait(lambda: dt.has_id(self.ws, 'flyttas') and
			time.time(), 'the rescheduled release',
			timeout=due + 4 * dt.SCALE - time.time())
		self.assertGreaterEqual(seen, due, 'published before its date')
		# Timer accuracy, not disk speed: the fsyncs of a publish took
		# over a second beside a parallel make check.
		self.assertLessEqual(seen, due + 3.0 * dt.SCALE, 'published late')
		e = self.entry(self.parse(), 'flyttas')
		self.assertEqual(ft.struct_epoch(e.published_parsed), due)
		self.assertFalse(dt.has_id(self.ws, 'stryks'))
		self.wait(lambda: self.next_embargo() == due_b,
			'STATUS announcing %s' % rfc3339(due_b))

		# Deleted: nothing left to announce.
		mark = self.notify.mark()
		n = self.daemon.publish_count()
		os.remove(self.ws.release('stryks.md'))
		self.wait_publish_after(n, 'a publish after the delete')
		self.wait(lambda: self.next_embargo(mark) is None,
			'STATUS without a next embargo')
		self.assertEqual(self.ids(), self.base_ids('flyttas'))
		self.assertEqual(problems(self.daemon), [], self.daemon.describe())


class JournalTest(dt.DaemonCase):
	"""JOURNAL_STREAM naming our stderr file makes it "the journal"."""

	BAD = 'trasig.md'

	def start_stream(self, stream):
		"""stream(os.stat of the stderr file) -> JOURNAL_STREAM."""
		path = dt.stderr_path(self.ws)
		open(path, 'wb').close()
		st = os.stat(path)
		d = self.start(env={'JOURNAL_STREAM': stream(st)})
		self.assertEqual(os.stat(path).st_ino, st.st_ino,
			'the stderr file was replaced, not truncated')
		return d

	def bad_release_then_stop(self):
		"""Drops a bad release, waits for its error; stops the daemon.
		Returns the daemon's stderr lines."""
		d = self.daemon
		n = d.publish_count() if d.publishes() else None
		shutil.copy(os.path.join(ft.CORPUS, 'bad', 'bad-yaml.md'),
			self.ws.release(self.BAD))
		name = os.path.join('releases', self.BAD)
		self.wait(lambda: any(name in l for l in d.stderr_lines()),
			'an error naming ' + name)
		if n is not None:
			self.wait_publish_after(n)
		self.assertEqual(d.stop(), 0, d.describe())
		return d.stderr_lines()

	def test_journal_priorities(self):
		self.start_stream(lambda st: '%d:%d' % (st.st_dev, st.st_ino))
		lines = self.bad_release_then_stop()
		d = self.daemon
		self.assertEqual([l for l in lines if not re.match(r'<[0-7]>', l)],
			[], d.describe())
		self.assertEqual([l for l in lines if 'feedpubd: ' in l], [],
			d.describe())
		pubs = [l for l in lines if dt.JOURNAL_PUBLISH_RE.match(l)]
		self.assertGreaterEqual(len(pubs), 2, d.describe())
		self.assertTrue(pubs[0].startswith('<7>publish #1: 3 entries, '),
			pubs)
		self.assertTrue(any(l.startswith('<7>full scan: ') for l in lines),
			d.describe())
		self.assertTrue(any(l.startswith('<6>feeds: ') for l in lines),
			d.describe())
		bad = [l for l in lines if self.BAD in l]
		self.assertEqual(len(bad), 1, d.describe())
		self.assertRegex(bad[0], r'^<3>/\S*/releases/trasig\.md:\d+: \S')
		self.assertEqual(lines[-1], '<6>stopping on signal %d'
			% signal.SIGTERM, d.describe())

	def _plain(self, stream):
		self.start_stream(stream)
		lines = self.bad_release_then_stop()
		d = self.daemon
		self.assertEqual([l for l in lines if re.match(r'<\d>', l)], [],
			d.describe())
		self.assertEqual([l for l in lines if
			not l.startswith('feedpubd: ')], [], d.describe())
		self.assertGreaterEqual(len(d.publishes()), 2, d.describe())
		self.assertTrue(any(l.startswith('feedpubd: feeds: ')
			for l in lines), d.describe())
		bad = [l for l in lines if self.BAD in l]
		self.assertEqual(len(bad), 1, d.describe())
		self.assertRegex(bad[0],
			r'^feedpubd: error: /\S*/releases/trasig\.md:\d+: \S')
		self.assertEqual(lines[-1], 'feedpubd: stopping on signal %d'
			% signal.SIGTERM, d.describe())

	def test_other_inode_is_not_the_journal(self):
		self._plain(lambda st: '%d:%d' % (st.st_dev, st.st_ino + 1))

	def test_other_device_is_not_the_journal(self):
		self._plain(lambda st: '%d:%d' % (st.st_dev + 1, st.st_ino))

	def test_malformed_stream_is_not_the_journal(self):
		self._plain(lambda st: 'journal')


class LinkTest(dt.DaemonCase):

	SLUG = '2024-07-01-byte'

	def setUp(self):
		super().setUp()
		self.path = self.ws.release(self.SLUG + '.md')
		ft.write_release(self.path, release_text('Version ett',
			'2024-07-01T10:00:00+02:00', body='Första texten.'))

	def outside(self, name, title, body):
		p = os.path.join(self.ws.outside, name)
		ft.write_release(p, release_text(title, '2024-07-01T10:00:00+02:00',
			body=body))
		return p

	def wait_version(self, title, body):
		self.wait(lambda: body in dt.read_atom(self.ws), repr(body))
		d = self.parse()
		e = self.entry(d, self.SLUG)
		self.assertEqual(e.title, title)
		self.assertEqual(sorted(x.id for x in d.entries),
			self.base_ids(self.SLUG))
		self.assertEqual(dt.read_atom(self.ws).count('<id>%s</id>'
			% entry_id(self.SLUG)), 1)

	def test_replace_by_rename_over(self):
		self.start()
		self.wait_version('Version ett', 'Första texten.')
		tmp = self.ws.release('.%s.md.ny' % self.SLUG)
		ft.write_release(tmp, release_text('Version två',
			'2024-07-01T10:00:00+02:00', body='Andra texten.'))
		os.rename(tmp, self.path)
		self.wait_version('Version två', 'Andra texten.')
		self.assertNotIn('Första texten.', dt.read_atom(self.ws))

	def test_replace_by_hard_link(self):
		self.start()
		self.wait_version('Version ett', 'Första texten.')
		# ln new .tmp && mv .tmp file: the atomic way.
		new = self.outside('v2.md', 'Version två', 'Andra texten.')
		tmp = self.ws.release('.lank.tmp')
		os.link(new, tmp)
		os.rename(tmp, self.path)
		self.wait_version('Version två', 'Andra texten.')
		# rm file && ln new file: only IN_CREATE, never IN_CLOSE_WRITE.
		new = self.outside('v3.md', 'Version tre', 'Tredje texten.')
		os.remove(self.path)
		os.link(new, self.path)
		self.wait_version('Version tre', 'Tredje texten.')
		self.assertNotIn('Andra texten.', dt.read_atom(self.ws))
		# A new release arriving as a hard link.
		os.link(self.outside('ny.md', 'Hårdlänkad', 'Länkad text.'),
			self.ws.release('hardlankad.md'))
		self.wait_id('hardlankad')
		self.assertEqual(self.entry(self.parse(), 'hardlankad').title,
			'Hårdlänkad')
		self.assertEqual(problems(self.daemon), [], self.daemon.describe())

	def test_symlinks(self):
		self.start()
		# A link to a file inside the folder is followed (a hidden
		# folder is not scanned, so the target has no entry of its own).
		target = self.ws.release('.delat/mal.md')
		ft.write_release(target, release_text('Symlänkad',
			'2024-07-01T10:00:00+02:00', body='Via en symlänk.'))
		os.symlink(target, self.ws.release('symlankad.md'))
		self.wait_id('symlankad')
		self.assertEqual(self.entry(self.parse(), 'symlankad').title,
			'Symlänkad')
		# A link out of the folder is not (issue 8 item 1): one line.
		os.symlink(self.outside('hemlig.md', 'Hemlig', 'Utanför.'),
			self.ws.release('utanfor.md'))
		# A symlinked folder is not descended into (loops, escapes).
		folder = os.path.join(self.ws.outside, 'mapp')
		for i in range(2):
			ft.write_release(os.path.join(folder, 'i-lankad-mapp-%d.md'
				% i), release_text('I länkad mapp %d' % i,
				'2024-07-02T10:00:00+02:00'))
		os.symlink(folder, self.ws.release('lankad-mapp'))
		# Events arrive in order: once this is in, the link was seen.
		ft.write_release(self.ws.release('efter.md'),
			release_text('Efter', '2024-07-03T10:00:00+02:00'))
		self.wait_id('efter')
		want = self.base_ids(self.SLUG, 'symlankad', 'efter')
		self.assertEqual(self.ids(), want)
		# Nor by a full rescan. The publish line comes after the feeds:
		# wait for efter's, or n is one short.
		self.wait(lambda: self.daemon.publishes() and
			self.daemon.publishes()[-1][1] == len(want),
			'the publish line of efter')
		n = self.daemon.publish_count()
		self.daemon.signal(signal.SIGUSR1)
		self.wait_publish_after(n, 'a publish after SIGUSR1')
		self.assertEqual(self.ids(), want)
		refused = problems(self.daemon, 'lankad-mapp')
		self.assertTrue(refused, self.daemon.describe())
		self.assertTrue(all(('utanfor.md' in l or 'lankad-mapp' in l) and
			'outside the releases folder' in l for l in refused),
			self.daemon.describe())
		# The folder link: one line by the full scan (scan.c's walk;
		# the inotify path ignores a name that is no release file).
		self.assertEqual(len([l for l in refused if 'lankad-mapp' in l
			and 'a symlink to a folder' in l]), 1, self.daemon.describe())
		self.assertNotIn('Utanför.', dt.read_atom(self.ws))


class BadEditTest(dt.DaemonCase):

	def skipped(self):
		st = statuses(self.notify)
		if st and st[-1][1]:
			return int(st[-1][1].group(4) or 0)
		return None

	def test_release_broken_then_fixed(self):
		path = self.ws.release('vaxlar.md')
		ft.write_release(path, release_text('Hel', '2024-08-01T10:00:00+02:00'))
		self.start()
		self.assertEqual(self.entry(self.parse(), 'vaxlar').title, 'Hel')
		name = os.path.join('releases', 'vaxlar.md')

		def named():
			return [l for l in self.daemon.stderr_lines() if name in l]
		self.assertEqual(named(), [])

		shutil.copyfile(os.path.join(ft.CORPUS, 'bad', 'bad-yaml.md'), path)
		lines = self.wait(named, 'an error naming ' + name)
		self.assertRegex(lines[0], r'^feedpubd: error: \S*vaxlar\.md:\d+: ')
		# Live: its published version stays until the file is removed
		# (issue 9).
		self.assertIn('kept the published version', lines[0])
		self.assertEqual(self.entry(self.parse(), 'vaxlar').title, 'Hel')
		self.assertEqual(self.ids(), self.base_ids('vaxlar'))
		self.wait(lambda: self.skipped() == 1, 'STATUS with 1 skipped')

		# Other changes do not report it again.
		ft.write_release(self.ws.release('annan.md'), release_text('Annan',
			'2024-08-02T10:00:00+02:00'))
		self.wait_id('annan')
		self.assertEqual(len(named()), 1, self.daemon.describe())

		ft.write_release(path, release_text('Lagad',
			'2024-08-01T10:00:00+02:00'))
		self.wait(lambda: 'Lagad' in dt.read_atom(self.ws), 'the fix')
		self.assertEqual(self.entry(self.parse(), 'vaxlar').title, 'Lagad')
		self.assertEqual(self.ids(), self.base_ids('vaxlar', 'annan'))
		self.wait(lambda: self.skipped() == 0, 'STATUS with 0 skipped')
		self.assertEqual(len(named()), 1, self.daemon.describe())


def same_id_lines(daemon):
	return [l for l in daemon.stderr_lines() if 'has the same id' in l]


class MoveTest(dt.DaemonCase):
	"""Releases moved within the tree keep their ids (slugs come from
	file names): a move must never publish them as gone."""

	DRAFTS = ['2026-03-%02d-utkast' % i for i in range(1, 9)]

	def write_drafts(self, folder, slugs):
		for i, s in enumerate(slugs):
			ft.write_release(self.ws.release(folder, s + '.md'),
				release_text('Utkast %d' % i,
				'2026-03-%02dT09:00:00+01:00' % (i + 1)))

	def wait_entries_after(self, n, count, what):
		"""A publish after #n whose entry count is count."""
		d = self.daemon
		return self.wait(lambda: d.publish_count() > n and
			d.publishes()[-1][1] == count, what)

	def test_files_moved_between_subfolders(self):
		self.write_drafts('drafts', self.DRAFTS)
		os.mkdir(self.ws.release('2026'))
		d = self.start()
		want = self.base_ids(*self.DRAFTS)
		self.assertEqual(self.ids(), want)
		n = d.publish_count()
		# mv drafts/* 2026/: 8 IN_MOVED_FROM/IN_MOVED_TO pairs at once.
		for s in self.DRAFTS:
			os.rename(self.ws.release('drafts', s + '.md'),
				self.ws.release('2026', s + '.md'))
		self.wait_entries_after(n, 11, 'a publish of all 11 releases')
		self.assertEqual(self.ids(), want)
		self.assertEqual(same_id_lines(d), [], d.describe())
		dd = self.parse()
		for i, s in enumerate(self.DRAFTS):
			self.assertEqual(self.entry(dd, s).title, 'Utkast %d' % i)
		# They are known under their new paths: a delete is seen.
		os.remove(self.ws.release('2026', self.DRAFTS[0] + '.md'))
		self.wait_id(self.DRAFTS[0], present=False)
		self.assertEqual(self.ids(), self.base_ids(*self.DRAFTS[1:]))
		self.assertEqual(problems(d), [], d.describe())

	def test_folder_moved_into_a_new_folder_in_one_batch(self):
		slugs = ['flyttmapp-%d' % i for i in range(3)]
		self.write_drafts('a', slugs)
		d = self.start()
		want = self.base_ids(*slugs)
		self.assertEqual(self.ids(), want)
		n = d.publish_count()
		# mkdir x && mv a x/a before the daemon sees either: it finds
		# x/a (a folder it watches as "a") while adding x.
		with d.stopped():
			os.mkdir(self.ws.release('x'))
			os.rename(self.ws.release('a'), self.ws.release('x', 'a'))
		self.wait_publish_after(n, 'a publish after the move')
		time.sleep(0.1)		# proving an absence (no later removal)
		self.assertEqual(self.ids(), want, d.describe())
		self.assertEqual(problems(d), [], d.describe())
		self.assertEqual(d.publishes()[-1][1], 6, d.describe())
		# x/a is watched under its new name.
		ft.write_release(self.ws.release('x', 'a', 'efter-flytt.md'),
			release_text('Efter flytten', '2026-04-01T10:00:00+02:00'))
		self.wait_id('efter-flytt')
		os.remove(self.ws.release('x', 'a', slugs[0] + '.md'))
		self.wait_id(slugs[0], present=False)
		self.assertEqual(self.ids(), self.base_ids(*(slugs[1:] +
			['efter-flytt'])))
		self.assertEqual(problems(d), [], d.describe())

	def test_releases_folder_swapped_out_and_back(self):
		drafts = self.DRAFTS[:4]
		self.write_drafts('drafts', drafts)
		ft.write_release(self.ws.release('2026', 'redan-2026.md'),
			release_text('Redan 2026', '2026-01-01T10:00:00+01:00'))
		d = self.start()
		want = self.base_ids('redan-2026', *drafts)
		self.assertEqual(self.ids(), want)
		n = d.publish_count()
		# mv releases tmp; mv tmp/drafts/* tmp/2026/; mv tmp releases
		tmp = self.ws.path('tmp')
		os.rename(self.ws.releases, tmp)
		for s in drafts:
			os.rename(os.path.join(tmp, 'drafts', s + '.md'),
				os.path.join(tmp, '2026', s + '.md'))
		os.rename(tmp, self.ws.releases)

		def back_and_published():
			lines = d.stderr_lines()
			back = [i for i, l in enumerate(lines) if 'is back' in l]
			return back and any(dt.PUBLISH_RE.match(l)
				for l in lines[back[-1]:])
		self.wait(back_and_published, 'a publish after "is back"',
			timeout=dt.TIMEOUT * 2)
		self.assertGreater(d.publish_count(), n)
		self.assertEqual(d.publishes()[-1][1], 8, d.describe())
		self.assertEqual(self.ids(), want)
		self.assertEqual(same_id_lines(d), [], d.describe())
		# Watching the folder again, with 2026/ holding the drafts.
		os.remove(self.ws.release('2026', drafts[0] + '.md'))
		self.wait_id(drafts[0], present=False)
		self.assertAlive()


class ClashTest(dt.DaemonCase):

	def test_clash_loser_published_when_the_winner_goes(self):
		ft.write_release(self.ws.release('2025', 'report.md'),
			release_text('Rapport 2025', '2025-12-01T10:00:00+01:00'))
		ft.write_release(self.ws.release('2026', 'report.md'),
			release_text('Rapport 2026', '2026-02-01T10:00:00+01:00'))
		d = self.start()
		# Same slug, same id: the first path in byte order wins.
		self.assertEqual(self.ids(), self.base_ids('report'))
		self.assertEqual(self.entry(self.parse(), 'report').title,
			'Rapport 2025')
		clash = same_id_lines(d)
		self.assertEqual(len(clash), 1, d.describe())
		self.assertRegex(clash[0], r'^feedpubd: error: \S*/releases/'
			r'2026/report\.md: has the same id as 2025/report\.md')
		# The winner goes: the loser gets its turn, untouched.
		os.remove(self.ws.release('2025', 'report.md'))
		self.wait(lambda: 'Rapport 2026' in dt.read_atom(self.ws),
			'2026/report.md in the feed')
		self.assertEqual(self.ids(), self.base_ids('report'))
		self.assertEqual(self.entry(self.parse(), 'report').title,
			'Rapport 2026')
		self.assertNotIn('Rapport 2025', dt.read_atom(self.ws))

		def skipped():
			st = statuses(self.notify)
			return st and st[-1][1] and int(st[-1][1].group(4) or 0) == 0
		self.wait(skipped, 'STATUS with 0 skipped')
		self.assertEqual(len(same_id_lines(d)), 1, d.describe())


NOBODY = dt.NOBODY
chown_tree = dt.chown_tree


@unittest.skipIf(os.geteuid() == 0 and shutil.which('setpriv') is None,
	'setpriv not installed: cannot run the daemon as an unprivileged user')
class UnreadableTest(dt.DaemonCase):
	"""Root reads every folder: run by root, the daemon runs as nobody."""

	UID = NOBODY if os.geteuid() == 0 else None

	def setUp(self):
		super().setUp()
		ft.write_release(self.ws.release('2025', 'gammal-1.md'),
			release_text('Gammal 1', '2025-03-01T10:00:00+01:00'))
		ft.write_release(self.ws.release('2025', 'gammal-2.md'),
			release_text('Gammal 2', '2025-03-02T10:00:00+01:00'))
		if self.UID is not None:
			# Its output and state folders are made inside.
			chown_tree(self.ws.dir, self.UID)
		self.addCleanup(self.readable)

	def readable(self):
		for p in (self.ws.releases, self.ws.release('2025')):
			if os.path.exists(p):
				os.chmod(p, 0o755)

	def rescan_fails(self, needle):
		"""SIGUSR1 with part of the tree unreadable: an error line with
		needle, the feeds kept as they are, no publish."""
		d = self.daemon
		want = self.base_ids('gammal-1', 'gammal-2')
		before, n = dt.read_atom(self.ws), d.publish_count()
		seen = len(d.stderr_lines())
		d.signal(signal.SIGUSR1)

		def kept():
			return [l for l in d.stderr_lines()[seen:] if
				'the feeds stay as they are' in l]
		self.wait(kept, 'a warning that the feeds stay')
		lines = [l for l in d.stderr_lines()[seen:] if needle in l and
			l.startswith(('feedpubd: error: ', 'feedpubd: warning: '))]
		self.assertNotEqual(lines, [], 'no error naming %s\n%s' % (needle,
			d.describe()))
		time.sleep(0.1)		# proving an absence
		self.assertEqual(d.publish_count(), n, d.describe())
		self.assertEqual(dt.read_atom(self.ws), before)
		self.assertEqual(self.ids(), want)
		return lines

	def rescan_keeps_folder(self, needle):
		"""SIGUSR1 with one subfolder unreadable: an error naming it, a
		publish, and its releases still in the feed (kept from before)."""
		d = self.daemon
		n = d.publish_count()
		seen = len(d.stderr_lines())
		d.signal(signal.SIGUSR1)
		self.wait_publish_after(n, 'a publish after SIGUSR1')
		lines = [l for l in d.stderr_lines()[seen:] if needle in l and
			l.startswith('feedpubd: error: ')]
		self.assertNotEqual(lines, [], 'no error naming %s\n%s' % (needle,
			d.describe()))
		self.assertEqual(self.ids(), self.base_ids('gammal-1', 'gammal-2'))
		return lines

	def rescan_works(self):
		d = self.daemon
		n = d.publish_count()
		d.signal(signal.SIGUSR1)
		self.wait_publish_after(n, 'a publish after SIGUSR1')
		self.assertEqual(d.publishes()[-1][1], 5, d.describe())
		self.assertEqual(self.ids(), self.base_ids('gammal-1', 'gammal-2'))

	def test_unreadable_subfolder_then_root(self):
		d = self.start(uid=self.UID)
		self.assertEqual(self.ids(), self.base_ids('gammal-1', 'gammal-2'))
		sub = self.ws.release('2025')
		os.chmod(sub, 0)
		lines = self.rescan_keeps_folder(sub + ':')
		self.assertIn('Permission denied', lines[0], d.describe())
		# A file added elsewhere meanwhile still publishes.
		ft.write_release(self.ws.release('ny.md'),
			release_text('Ny', '2025-04-01T10:00:00+01:00'))
		self.wait(lambda: 'ny' in ' '.join(self.ids()), 'ny published')
		os.remove(self.ws.release('ny.md'))
		self.wait(lambda: 'ny' not in ' '.join(self.ids()), 'ny gone')
		os.chmod(sub, 0o755)
		self.rescan_works()

		os.chmod(self.ws.releases, 0)
		lines = self.rescan_fails(self.ws.releases)
		self.assertIn('Permission denied', lines[-1], d.describe())
		os.chmod(self.ws.releases, 0o755)
		self.rescan_works()
		self.assertAlive()


class SymlinkRootTest(dt.DaemonCase):
	"""[paths] releases is a symlink (a deploy's "current")."""

	def setUp(self):
		super().setUp()
		self.real = self.ws.path('real-releases')
		os.rename(self.ws.releases, self.real)
		os.symlink(self.real, self.ws.releases)

	def test_symlinked_releases_folder(self):
		d = self.start()
		self.assertEqual(self.ids(), self.base_ids())
		ft.write_release(os.path.join(self.real, 'via-lanken.md'),
			release_text('Via länken', '2025-05-01T10:00:00+02:00'))
		self.wait_id('via-lanken')
		ft.write_release(os.path.join(self.real, '2025', 'djupare.md'),
			release_text('Djupare', '2025-05-02T10:00:00+02:00'))
		self.wait_id('djupare')
		self.assertEqual(self.ids(), self.base_ids('via-lanken', 'djupare'))
		self.assertEqual(problems(d), [], d.describe())


class NewFolderWriteTest(dt.DaemonCase):
	"""A file being written in a folder the daemon has not seen yet."""

	HEAD = release_text('Halv i ny mapp', '2025-06-01T12:00:00+02:00',
		body='Början av texten, ').rstrip('\n')
	TAIL = 'och slutet av texten.\n'

	def new_folder_with_half_a_file(self, f, sub):
		"""mkdir sub, open sub/halv-ny.md, write half of it, all before
		the daemon could add a watch on sub."""
		with self.daemon.stopped():
			os.mkdir(sub)
			f.append(open(os.path.join(sub, 'halv-ny.md'), 'w',
				encoding='utf-8'))
			f[0].write(self.HEAD)
			f[0].flush()
			os.fsync(f[0].fileno())

	def finish(self, f, text='Början av texten, och slutet av texten.'):
		f.write(self.TAIL)
		f.close()
		self.wait_id('halv-ny')
		e = self.entry(self.parse(), 'halv-ny')
		self.assertEqual(e.title, 'Halv i ny mapp')
		self.assertIn(text, e.content[0].value)

	def test_write_after_the_watch_holds_it_back(self):
		# A wide settle window: time to write once the watch exists.
		d = self.start(daemon={'settle_ms': '2000', 'settle_cap_ms': '4000'})
		sub = self.ws.release('2026')
		f = []
		try:
			self.new_folder_with_half_a_file(f, sub)
			ino = os.stat(sub).st_ino
			self.wait(lambda: ino in d.inotify_inodes(),
				'a watch on the new folder', timeout=1.0 * dt.SCALE)
			f[0].write('mer ')
			f[0].flush()
			time.sleep(2.3)		# > settle window, file still open
			self.assertFalse(dt.has_id(self.ws, 'halv-ny'),
				'published while still open for writing')
			self.assertNotIn('Halv i ny mapp', dt.read_atom(self.ws))
			self.finish(f[0], 'Början av texten, mer och slutet av '
				'texten.')
		finally:
			for x in f:
				x.close()

	# Known limitation: a file written completely before its new folder
	# had a watch, and still held open with no write since, looks done:
	# inotify never says so, and a lease (F_SETLEASE) needs us to own
	# the file. Kept to show the limit; documented in the README.
	@unittest.expectedFailure
	def test_half_written_file_in_new_folder_is_not_published(self):
		d = self.start()
		sub = self.ws.release('2026')
		f = []
		try:
			self.new_folder_with_half_a_file(f, sub)
			# Well past the settle window (the file still open): a
			# fixed 0.3 s let a slow daemon pass unexpectedly.
			deadline = time.monotonic() + 3.0 * dt.SCALE
			while (time.monotonic() < deadline and
					not dt.has_id(self.ws, 'halv-ny')):
				time.sleep(dt.STEP)
			self.assertFalse(dt.has_id(self.ws, 'halv-ny'),
				'half a file published (no write after the watch '
				'existed):\n' + d.describe())
			self.finish(f[0])
		finally:
			for x in f:
				x.close()


BIG = 20000
# Enough text that reading the batch takes a while on any machine.
BODY = ('Ett *stycke* med [en länk](https://example.org/) och lite mer '
	'text.\n\n' * 24)
FILE_BYTES = 100 + len(BODY.encode())


class BigMoveTest(dt.DaemonCase):
	"""Issue 8 item 9: a folder of 20,000 files moved in is read in
	slices, so the loop keeps sending WATCHDOG=1 and honours SIGTERM at
	once, and the feed gets the whole move in one publish."""

	def make_batch(self, body='', count=BIG):
		"""body: more text per file (the SIGTERM test wants reading to
		take a while; a feed of 20,000 such entries would be 40 MB)."""
		self.count = count
		src = os.path.join(self.ws.outside, 'flytt')
		os.makedirs(src)
		for i in range(count):
			with open(os.path.join(src, 'r-%05d.md' % i), 'w') as f:
				f.write('---\ntitle: R %d\ndate: 2025-01-01T00:00:%02dZ\n'
					'---\n\nText %d.\n\n%s' % (i, i % 60, i, body))
		return src

	def start_big(self, max_entries=50, pages=False, feed=None):
		"""Pages off but where pages are the subject: 20,000 release
		pages take minutes on a loaded machine (see docs/reliability.md),
		and these tests are about reading and publishing in slices."""
		self.write_config(feed=dict(feed or {},
			max_entries=str(max_entries)),
			extra='' if pages else '\n[pages]\nenabled = false\n')
		return self.start(env={'WATCHDOG_USEC': '200000'},
			write_config=False)

	def rchar(self):
		with open('/proc/%d/io' % self.daemon.pid) as f:
			for line in f:
				if line.startswith('rchar:'):
					return int(line.split()[1])
		return 0

	def test_big_move_publishes_once_and_keeps_the_watchdog_fed(self):
		src = self.make_batch()
		d = self.start_big()
		self.check_move(d, src, 50)

	def test_big_move_publishes_every_release(self):
		src = self.make_batch()
		d = self.start_big(max_entries=BIG + 10)
		self.check_move(d, src, BIG + 3, watchdog=False)

	def test_big_move_with_pages_keeps_the_watchdog_fed(self):
		"""Pages too: every slice of page work is bounded (issue 11), and
		the pages are one work list taken slice by slice, not started
		again by every slice (D12 in docs/reliability.md). 5,000 files:
		20,000 pages took the Release suite from ~100 s to its 300 s
		limit beside a parallel make check (bench/scale --pages has the
		big figures)."""
		count = BIG // 4
		src = self.make_batch(count=count)
		d = self.start_big(pages=True)
		pubs_before = d.publish_count()
		# The watchdog is checked over the whole site, below: the feeds
		# now go before most of the pages.
		mark = self.check_move(d, src, 50, watchdog=False)
		# The feeds went as soon as the pages they link were there:
		# every entry's page exists now, the rest of the site comes.
		linked = re.findall(r'<link[^>]*href="[^"]*/releases/([^"/]+)'
			r'\.html"', dt.read_atom(self.ws))
		self.assertEqual(len(linked), 50)
		for slug in linked:
			self.assertTrue(os.path.exists(os.path.join(self.ws.out,
				'releases', slug + '.html')), slug)
		rest = 'site: the rest after publish'
		self.wait(lambda: any(rest in ln for ln in d.stderr_lines()),
			'the rest of the site', timeout=dt.START_TIMEOUT * 12)
		self.check_watchdog(d, mark)
		lines = d.stderr_lines()
		pub = max(i for i, ln in enumerate(lines)
			if re.match(r'feedpubd: publish #\d+: ', ln))
		after = [ln for ln in lines[pub:] if 'files written' in ln]
		print('site slices after the feeds: %d' % len(after),
			file=sys.stderr)
		self.assertGreater(len(after), 2, d.describe())
		self.assertEqual(d.publish_count(), pubs_before + 1)
		for i in (0, count // 2, count - 1):
			self.assertTrue(os.path.exists(os.path.join(self.ws.out,
				'releases', 'r-%05d.html' % i)), d.describe())
		self.assertEqual(len(os.listdir(os.path.join(self.ws.out,
			'releases'))), count + 3, d.describe())
		# Every page looked at once by the move's slices, not once per
		# slice (before, each slice stamped all 20,000 again: millions).
		slices = [re.search(r'site: (\d+) files written, .*, (\d+) pages '
			r'looked at', ln) for ln in d.stderr_lines()
			if 'files written' in ln]
		self.assertTrue(slices and all(slices), d.describe())
		pages = count + 3 + (count + 3 + 49) // 50	# per_page 50
		looked = sum(int(m.group(2)) for m in slices)
		print('site slices: %d, %d pages looked at' % (len(slices), looked),
			file=sys.stderr)
		self.assertGreater(len(slices), 2)
		self.assertLessEqual(looked, 2 * pages, d.describe())
		self.assertGreaterEqual(sum(int(m.group(1)) for m in slices), count)

	def test_big_move_with_sub_feeds_waits_for_every_page(self):
		"""A sub-feed may link any release's page: with sub-feeds on,
		the feeds go only once every release page is in place."""
		count = BIG // 10
		src = self.make_batch(count=count)
		d = self.start_big(pages=True, feed={'tag_feeds': 'true'})
		self.check_move(d, src, 50, watchdog=False)
		self.assertEqual(len(os.listdir(os.path.join(self.ws.out,
			'releases'))), count + 3, d.describe())

	def check_move(self, d, src, entries, watchdog=True):
		n = d.publish_count()
		mark = self.notify.mark()
		os.rename(src, self.ws.release('flytt'))

		def all_in():
			s = self.notify.values('STATUS', mark)
			return any(v.startswith('%d releases' % (self.count + 3))
				for v in s)
		self.wait(all_in, 'STATUS= with every release',
			timeout=dt.START_TIMEOUT * 6)
		pubs = [p for p in d.publishes() if p[0] > n]
		# One publish for the move: never half of it.
		self.assertEqual([p[1] for p in pubs], [entries], d.describe())
		self.assertEqual(dt.read_atom(self.ws).count('<entry>'), entries)
		if watchdog:	# rendering 20,000 entries is one step, not sliced
			self.check_watchdog(d, mark)
		return mark

	def check_watchdog(self, d, mark):
		"""The watchdog kept coming since mark (every 0.1 s; without
		slices reading 20,000 files stops it for seconds)."""
		times = [t for t, ls in self.notify.all()[mark:]
			if 'WATCHDOG=1' in ls]
		gaps = [b - a for a, b in zip(times, times[1:])]
		self.assertGreater(len(gaps), 2)
		print('\nwatchdog gaps: max %.3f s over %d; %s' % (max(gaps),
			len(gaps), sorted(gaps)[-5:]), file=sys.stderr)
		self.assertLess(max(gaps), 1.0 * dt.SCALE, d.describe())

	def test_sigterm_mid_batch_is_honoured_within_a_second(self):
		src = self.make_batch(BODY)
		d = self.start_big()
		base = self.rchar()
		os.rename(src, self.ws.release('flytt'))
		# Reading has begun: a fiftieth of the files' bytes came in.
		self.wait(lambda: self.rchar() - base > BIG * FILE_BYTES // 50,
			'the batch under way', timeout=dt.START_TIMEOUT)
		t0 = time.monotonic()
		d.signal(signal.SIGTERM)
		d.proc.wait(dt.START_TIMEOUT * 3)
		took = time.monotonic() - t0
		self.assertLess(took, 1.0 * dt.SCALE, d.describe())
		self.assertEqual(d.proc.returncode, 0, d.describe())
		# Stopped before the batch's end: not half of it published.
		self.assertEqual(dt.read_atom(self.ws).count('<entry>'), 3)


if __name__ == '__main__':
	dt.main()
