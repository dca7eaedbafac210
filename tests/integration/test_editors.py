"""Issue 9, the daemon side: what editors' slips do to the running daemon.

Warnings printed as releases load, empty files that are not releases yet,
a live release kept when its file turns bad, renames that keep the id,
the empty feed's time and the feedback (info line per publish, --status).

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_editors.py
"""

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
from daemontest import BASE_SLUGS, entry_id, release_text  # noqa: E402

BAD_YAML = release_text('Trasig', '2024-08-01T10:00:00+02:00',
	extra='title: "oavslutad\ntags: [a')


def lines_naming(daemon, name):
	return [l for l in daemon.stderr_lines() if name in l]


def read_bytes(path):
	with open(path, 'rb') as f:
		return f.read()


def run_cli(ws, *args):
	return subprocess.run([os.path.abspath(ft.FEEDPUBD), '--config',
		ws.config] + list(args), capture_output=True, text=True,
		timeout=dt.START_TIMEOUT)


class EditorCase(dt.DaemonCase):

	def restart(self):
		"""Stop the daemon (status 0), start another on the same folder
		and wait for its READY=1."""
		self.assertEqual(self.daemon.stop(), 0, self.daemon.describe())
		mark = self.notify.mark()
		d = dt.Daemon(self.ws, self.notify)
		self.daemon = d
		# In start()'s order: the kill runs after the clean stop.
		self.addCleanup(d.kill)
		self.addCleanup(self._stop_cleanly)
		self.wait(lambda: self.notify.count('READY=1', since=mark) >= 1,
			'READY=1 after the restart', dt.START_TIMEOUT)
		return d


class DiagTest(EditorCase):

	def test_warning_printed_when_loaded_notes_only_in_check(self):
		path = self.ws.release('2024-09-01-varning.md')
		ft.write_release(path, release_text('Varning',
			'2024-09-01T10:00:00+02:00', extra='titel: Fel\nkontakt: x'))
		d = self.start()
		name = os.path.join('releases', '2024-09-01-varning.md')
		w = self.wait(lambda: [l for l in lines_naming(d, name)
			if re.search(r'varning\.md:\d+: warning: .*titel', l)],
			'a warning naming the file and line')
		self.assertTrue(w[0].startswith('feedpubd: warning: '), w)
		self.assertEqual([l for l in lines_naming(d, name)
			if 'note:' in l], [], d.describe())
		self.assertTrue(dt.has_id(self.ws, '2024-09-01-varning'))
		# An edit that keeps the warning tells it again.
		n = len(w)
		with open(path, 'a', encoding='utf-8') as f:
			f.write('Mer text.\n')
		self.wait(lambda: len([l for l in lines_naming(d, name)
			if ': warning: ' in l]) > n, 'the warning again')
		r = run_cli(self.ws, '--check')
		self.assertEqual(r.returncode, 0, r.stderr)
		self.assertRegex(r.stderr, r'varning\.md:\d+: warning: ')
		self.assertRegex(r.stderr, r'varning\.md:\d+: note: .*kontakt')


class EmptyTest(EditorCase):

	def test_empty_file_is_not_an_error(self):
		d = self.start()
		n = d.publish_count()
		path = self.ws.release('ny.md')
		open(path, 'w').close()
		self.wait_publish_after(n)
		lines = self.wait(lambda: lines_naming(d, 'ny.md'), 'a line')
		self.assertEqual([l for l in lines if 'error' in l or
			'warning' in l], [], d.describe())
		self.assertEqual(self.ids(), self.base_ids())
		st = dt.wait_for(lambda: [v for v in self.notify.values('STATUS')
			if v.startswith('3 releases')])
		self.assertNotIn('skipped', st[-1].replace('0 skipped', ''))
		r = run_cli(self.ws, '--check')
		self.assertEqual(r.returncode, 0, r.stderr)
		self.assertNotIn('error', r.stderr)
		ft.write_release(path, release_text('Ny', '2024-09-02T10:00:00Z'))
		self.wait_id('ny')


class KeepTest(EditorCase):
	"""A live release whose file turns bad stays as it was published."""

	def broken(self, path, text, name, n_before):
		with open(path, 'w', encoding='utf-8') as f:
			f.write(text)
		return self.wait(lambda: [l for l in lines_naming(self.daemon, name)
			if 'kept the published version from' in l][n_before:],
			'an error saying the published version is kept')

	def test_bad_yaml_empty_and_bodyless_keep_it_until_removed(self):
		path = self.ws.release('vaxlar.md')
		good = release_text('Hel', '2024-08-01T10:00:00+02:00',
			body='Den goda texten.')
		ft.write_release(path, good)
		d = self.start()
		name = os.path.join('releases', 'vaxlar.md')
		before = read_bytes(self.ws.atom)
		rss = read_bytes(self.ws.rss)
		kept = 0
		for text in (BAD_YAML, '', release_text('Hel',
				'2024-08-01T10:00:00+02:00', body=''),
				release_text('Hel', 'i morgon')):
			n = d.publish_count()
			lines = self.broken(path, text, name, kept)
			kept += len(lines)
			self.assertRegex(lines[0], r'^feedpubd: error: \S*vaxlar\.md')
			self.assertIn('2024-08-01T10:00:00+02:00', lines[0])
			self.wait_publish_after(n)
			self.assertEqual(read_bytes(self.ws.atom), before)
			self.assertEqual(read_bytes(self.ws.rss), rss)
		# A restart with the file still bad: still published, as it was.
		with open(path, 'w', encoding='utf-8') as f:
			f.write(BAD_YAML)
		os.remove(self.ws.atom)
		d = self.restart()
		self.wait(lambda: [l for l in lines_naming(d, name)
			if 'kept the published version' in l], 'kept after restart')
		self.assertEqual(read_bytes(self.ws.atom), before)
		# The fix publishes.
		ft.write_release(path, release_text('Lagad',
			'2024-08-01T10:00:00+02:00', body='Den goda texten.'))
		self.wait(lambda: 'Lagad' in dt.read_atom(self.ws), 'the fix')
		self.assertEqual(self.entry(self.parse(), 'vaxlar').title, 'Lagad')
		# Broken again, then removed: only the removal unpublishes.
		with open(path, 'w', encoding='utf-8') as f:
			f.write(BAD_YAML)
		self.wait(lambda: len([l for l in lines_naming(d, name)
			if 'kept' in l]) >= 2, 'kept again')
		self.assertTrue(dt.has_id(self.ws, 'vaxlar'))
		os.remove(path)
		self.wait_id('vaxlar', present=False)
		self.assertEqual(self.ids(), self.base_ids())

	def test_bad_new_file_is_still_skipped(self):
		d = self.start()
		path = self.ws.release('trasig.md')
		with open(path, 'w', encoding='utf-8') as f:
			f.write(BAD_YAML)
		lines = self.wait(lambda: lines_naming(d, 'trasig.md'), 'an error')
		self.assertNotIn('kept', lines[0])
		self.assertIn('error', lines[0])
		self.assertEqual(self.ids(), self.base_ids())


class EmptyFeedTest(EditorCase):

	def feed_updated(self):
		d = self.parse()
		self.assertEqual(d.entries, [])
		return ft.struct_epoch(d.feed.updated_parsed)

	def test_emptied_folder_says_when_it_became_empty(self):
		d = self.start()
		n = d.publish_count()
		t0 = time.time()
		for name in os.listdir(self.ws.releases):
			os.remove(self.ws.release(name))
		self.wait(lambda: d.publish_count() > n and
			d.publishes()[-1][1] == 0, 'an empty publish')
		t1 = time.time()
		when = self.feed_updated()
		self.assertGreaterEqual(when, int(t0) - 1)
		self.assertLessEqual(when, t1 + 1)
		before = read_bytes(self.ws.atom)
		# Stable across restarts: restart once the clock has moved on,
		# so a time taken at the start would differ.
		dt.wait_for(lambda: time.time() >= when + 2, what='2 s to pass')
		self.restart()
		self.assertEqual(read_bytes(self.ws.atom), before)
		self.assertEqual(self.feed_updated(), when)

	def test_once_uses_the_config_files_time(self):
		for name in os.listdir(self.ws.releases):
			os.remove(self.ws.release(name))
		self.write_config()
		os.utime(self.ws.config, (1700000000, 1700000000))
		r = run_cli(self.ws, '--once')
		self.assertEqual(r.returncode, 0, r.stderr)
		self.assertEqual(self.feed_updated(), 1700000000)
		self.daemon = None


class RenameTest(EditorCase):
	"""A renamed file keeps its release: id, published date, one entry."""

	SLUG = BASE_SLUGS['Beta']

	def setUp(self):
		super().setUp()
		# Undated: its published date is the history's, not the file's.
		self.path = self.ws.release('odaterad.md')
		ft.write_release(self.path, '# Odaterad\n\nText om inget datum.\n')
		os.utime(self.path, (1700000000, 1700000000))

	def snapshot(self, slug):
		d = self.parse()
		e = self.entry(d, slug)
		return e.id, e.published, len(d.entries)

	def assertKept(self, before, new_slug):
		d = self.parse()
		ids = [e.id for e in d.entries]
		self.assertEqual(len(d.entries), before[2], ids)
		e = [e for e in d.entries if e.id == before[0]]
		self.assertEqual(len(e), 1, ids)
		self.assertEqual(e[0].published, before[1])
		self.assertTrue(e[0].link.endswith('/' + new_slug + '.html'),
			e[0].link)
		self.assertNotIn(entry_id(new_slug), ids)

	def wait_link(self, slug):
		self.wait(lambda: '/releases/%s.html' % slug in
			dt.read_atom(self.ws), 'the link to ' + slug)

	def test_rename_in_place(self):
		self.start()
		before = self.snapshot('odaterad')
		os.rename(self.path, self.ws.release('nytt-namn.md'))
		self.wait_link('nytt-namn')
		self.assertKept(before, 'nytt-namn')
		# An edit under the new name keeps it too.
		with open(self.ws.release('nytt-namn.md'), 'a') as f:
			f.write('Mer.\n')
		self.wait(lambda: 'Mer.' in dt.read_atom(self.ws), 'the edit')
		self.assertKept(before, 'nytt-namn')

	def test_move_across_folders(self):
		os.mkdir(self.ws.release('arkiv'))
		self.start()
		before = self.snapshot('odaterad')
		os.rename(self.path, self.ws.release('arkiv', 'flyttad.md'))
		self.wait_link('flyttad')
		self.assertKept(before, 'flyttad')

	def test_rename_while_stopped(self):
		self.start()
		before = self.snapshot('odaterad')
		self.assertEqual(self.daemon.stop(), 0, self.daemon.describe())
		os.rename(self.path, self.ws.release('medan-stoppad.md'))
		os.utime(self.ws.release('medan-stoppad.md'), None)
		self.restart()
		self.wait_link('medan-stoppad')
		self.assertKept(before, 'medan-stoppad')


class FeedbackTest(EditorCase):

	def info_lines(self, since):
		return [l for l in self.daemon.stderr_lines()[since:]
			if l.startswith('feedpubd: published ')]

	def test_each_publish_says_what_changed(self):
		d = self.start()
		k = len(d.stderr_lines())
		ft.write_release(self.ws.release('ny.md'), release_text('Nyhet',
			'2024-09-01T10:00:00Z'))
		lines = self.wait(lambda: self.info_lines(k), 'an info line')
		self.assertRegex(lines[0], r'1 added \("Nyhet"\)')
		k = len(d.stderr_lines())
		# One batch (a loaded machine could split three writes across
		# settle windows otherwise).
		with d.stopped():
			ft.write_release(self.ws.release('2024-02-20-beta.md'),
				release_text('Beta', '2024-02-20T10:00:00+01:00',
				body='Ny text.'))
			os.remove(self.ws.release('2024-01-10-alfa.md'))
			ft.write_release(self.ws.release('sen.md'),
				release_text('Senare', '2099-01-01T10:00:00Z'))
		lines = self.wait(lambda: [l for l in self.info_lines(k)
			if 'removed' in l and 'embargo' in l and 'updated' in l],
			'updated, removed and embargo in one line')
		self.assertIn('1 updated ("Beta")', lines[0])
		self.assertIn('1 removed ("Alfa")', lines[0])
		self.assertIn('1 embargo scheduled ("Senare" at 2099-01-01', lines[0])
		# The debug line the tests parse is still there.
		self.assertTrue(d.publishes())

	def test_status_prints_the_daemons_status_and_skipped_files(self):
		d = self.start()
		with open(self.ws.release('trasig.md'), 'w') as f:
			f.write(BAD_YAML)
		self.wait(lambda: [v for v in self.notify.values('STATUS')
			if '1 skipped' in v], 'STATUS with 1 skipped')

		def status():
			r = run_cli(self.ws, '--status')
			self.assertEqual(r.returncode, 0, r.stderr)
			self.assertIn('1 skipped file\n', r.stdout)
			return r.stdout
		out = self.wait(status, '--status with the skipped file')
		lines = out.split('\n')
		self.assertEqual(lines[0], '0 pending pings', out)
		self.assertRegex(out, r'\nlast publish \S+: 3 releases, 3 in feeds, '
			r'\d+ publishes, .*1 skipped')
		self.assertRegex(out, r'\n  trasig\.md: the quote opened on line '
			r'\d+ is not closed')
		# Fixed: the list empties.
		os.remove(self.ws.release('trasig.md'))
		self.wait(lambda: '\n0 skipped files\n' in run_cli(self.ws,
			'--status').stdout, '--status with no skipped file')


if __name__ == '__main__':
	dt.main()
