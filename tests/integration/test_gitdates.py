"""date_source = git: undated releases take their dates from git commits.

The test runs git to build the repositories (committer and author dates
set); feedpubd reads them with libgit2 and never runs git.

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_gitdates.py
"""

import os
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402
from feedtest import NS, text_of  # noqa: E402

NOW_ISH = '2026-11-30T12:00:00Z'	# the files' mtime: never a git date


def git(cwd, *args, date=None):
	env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
		'HOME': cwd, 'GIT_CONFIG_NOSYSTEM': '1',
		'GIT_CONFIG_GLOBAL': '/dev/null',
		'GIT_AUTHOR_NAME': 'Editor', 'GIT_AUTHOR_EMAIL': 'ed@example.org',
		'GIT_COMMITTER_NAME': 'Editor',
		'GIT_COMMITTER_EMAIL': 'ed@example.org'}
	if date is not None:
		env['GIT_AUTHOR_DATE'] = env['GIT_COMMITTER_DATE'] = date
	subprocess.run(['git', '-c', 'init.defaultBranch=main'] + list(args),
		cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
		stderr=subprocess.PIPE, timeout=ft.TIMEOUT)


def undated(title, body='Text.'):
	return '---\ntitle: %s\n---\n\n%s\n' % (title, body)


class GitHelpers:
	"""Workspace helpers for a FeedCase."""

	def repo(self):
		"""A workspace whose folder is a git work tree."""
		ws = self.new_workspace()
		git(ws.dir, 'init', '-q')
		return ws

	def put(self, ws, rel, text):
		ft.write_release(ws.release(rel), text)
		ft.set_mtime(ws.release(rel), NOW_ISH)

	def commit(self, ws, date, *paths):
		git(ws.dir, 'add', '-A', *paths)
		git(ws.dir, 'commit', '-q', '-m', 'release', date=date)

	def once(self, ws, source='git'):
		feed = ft.default_feed()
		feed['date_source'] = source
		ws.write_config(feed=feed)
		run = ws.run('--once')
		self.assertRunOK(run)
		return run

	def dates(self, ws):
		"""title -> (published, updated) epochs, from feed.atom."""
		self.assertAtomSchema(ws.atom)
		out = {}
		for e in ET.parse(ws.atom).getroot().findall('a:entry', NS):
			out[text_of(e, 'a:title')] = (
				ft.utc_epoch(text_of(e, 'a:published')),
				ft.utc_epoch(text_of(e, 'a:updated')))
		return out



class GitDates(GitHelpers, ft.FeedCase):

	def test_first_and_last_commit(self):
		ws = self.repo()
		self.put(ws, 'a.md', undated('Alpha'))
		self.put(ws, '2024/b.md', undated('Beta'))
		self.put(ws, 'dated.md', '---\ntitle: Dated\ndate: '
			'2019-05-05T08:00:00Z\n---\n\nText.\n')
		self.commit(ws, '2021-01-01T10:00:00+01:00')
		self.put(ws, 'a.md', undated('Alpha', 'Edited.'))
		self.commit(ws, '2022-06-01T12:00:00+00:00')
		git(ws.dir, 'commit', '-q', '--allow-empty', '-m', 'later',
			date='2023-01-01T00:00:00Z')
		run = self.once(ws)
		d = self.dates(ws)
		self.assertEqual(d['Alpha'], (ft.utc_epoch('2021-01-01T09:00:00Z'),
			ft.utc_epoch('2022-06-01T12:00:00Z')))
		self.assertEqual(d['Beta'], (ft.utc_epoch('2021-01-01T09:00:00Z'),) * 2)
		self.assertEqual(d['Dated'][0], ft.utc_epoch('2019-05-05T08:00:00Z'))
		self.assertNotIn('git', run.stderr)
		# The commit's own offset is kept.
		with open(ws.atom, encoding='utf-8') as f:
			self.assertIn('2021-01-01T10:00:00+01:00', f.read())

	def test_file_time_without_git(self):
		for source in ('file', 'git'):
			with self.subTest(source=source):
				ws = self.repo() if source == 'file' else \
					self.new_workspace()
				self.put(ws, 'a.md', undated('Alpha'))
				if source == 'file':
					self.commit(ws, '2021-01-01T10:00:00Z')
				run = self.once(ws, source)
				self.assertEqual(self.dates(ws)['Alpha'],
					(ft.utc_epoch(NOW_ISH),) * 2)
				self.assertNotIn('git', run.stderr)

	def test_uncommitted_falls_back(self):
		ws = self.repo()
		self.put(ws, 'a.md', undated('Alpha'))
		self.put(ws, 'b.md', undated('Beta'))
		self.commit(ws, '2021-01-01T10:00:00Z')
		self.put(ws, 'b.md', undated('Beta', 'Edited, not committed.'))
		self.put(ws, 'c.md', undated('Gamma'))		# untracked
		self.once(ws)
		d = self.dates(ws)
		self.assertEqual(d['Alpha'][0], ft.utc_epoch('2021-01-01T10:00:00Z'))
		self.assertEqual(d['Beta'], (ft.utc_epoch(NOW_ISH),) * 2)
		self.assertEqual(d['Gamma'], (ft.utc_epoch(NOW_ISH),) * 2)
		run = ws.run('--check')
		self.assertEqual(run.stderr.count('not committed to git'), 2,
			run.describe())
		self.assertIn('c.md', run.stderr)

	def test_rename_keeps_first_date(self):
		ws = self.repo()
		self.put(ws, 'old-name.md', undated('Alpha', 'A longer text that '
			'stays the same when the file is renamed.'))
		self.commit(ws, '2020-02-02T10:00:00Z')
		os.makedirs(ws.release('2020'))
		git(ws.dir, 'mv', 'releases/old-name.md', 'releases/2020/new.md')
		self.commit(ws, '2024-04-04T10:00:00Z')
		self.once(ws)
		self.assertEqual(self.dates(ws)['Alpha'],
			(ft.utc_epoch('2020-02-02T10:00:00Z'),) * 2)

	def test_rename_with_an_edit_keeps_first_date(self):
		ws = self.repo()
		body = ('A longer text of several sentences. It stays mostly the '
			'same when the file is renamed. Only a line is added.')
		self.put(ws, 'old-name.md', undated('Alpha', body))
		self.commit(ws, '2020-02-02T10:00:00Z')
		git(ws.dir, 'mv', 'releases/old-name.md', 'releases/new.md')
		self.put(ws, 'new.md', undated('Alpha', body + '\n\nA line.'))
		self.commit(ws, '2024-04-04T10:00:00Z')
		self.once(ws)
		self.assertEqual(self.dates(ws)['Alpha'],
			(ft.utc_epoch('2020-02-02T10:00:00Z'),
			ft.utc_epoch('2024-04-04T10:00:00Z')))

	def test_readded_file_is_new(self):
		ws = self.repo()
		self.put(ws, 'a.md', undated('Alpha'))
		self.commit(ws, '2020-02-02T10:00:00Z')
		git(ws.dir, 'rm', '-q', 'releases/a.md')
		self.commit(ws, '2021-02-02T10:00:00Z')
		self.put(ws, 'a.md', undated('Alpha'))
		self.commit(ws, '2022-02-02T10:00:00Z')
		self.once(ws)
		self.assertEqual(self.dates(ws)['Alpha'][0],
			ft.utc_epoch('2022-02-02T10:00:00Z'))

	def test_shallow_clone_warns(self):
		src = self.repo()
		self.put(src, 'a.md', undated('Alpha'))
		self.commit(src, '2020-01-01T10:00:00Z')
		self.put(src, 'b.md', undated('Beta'))
		self.commit(src, '2021-01-01T10:00:00Z')
		ws = self.new_workspace()
		shutil.rmtree(ws.dir)
		git('/', 'clone', '-q', '--depth', '1', 'file://' + src.dir, ws.dir)
		for rel in ('a.md', 'b.md'):
			ft.set_mtime(ws.release(rel), NOW_ISH)
		run = self.once(ws)
		self.assertEqual(self.dates(ws)['Alpha'], (ft.utc_epoch(NOW_ISH),) * 2)
		self.assertEqual(run.stderr.count('shallow'), 1, run.describe())

	def test_corrupt_repository_warns(self):
		for how in ('objects', 'head'):
			with self.subTest(how=how):
				ws = self.repo()
				self.put(ws, 'a.md', undated('Alpha'))
				self.commit(ws, '2020-01-01T10:00:00Z')
				if how == 'objects':
					shutil.rmtree(ws.path('.git', 'objects'))
					os.makedirs(ws.path('.git', 'objects'))
				else:
					with open(ws.path('.git', 'HEAD'), 'w') as f:
						f.write('garbage\n')
				run = self.once(ws)
				self.assertEqual(self.dates(ws)['Alpha'],
					(ft.utc_epoch(NOW_ISH),) * 2)
				self.assertEqual(len([l for l in run.stderr_lines()
					if 'git' in l]), 1, run.describe())
				self.assertIn('file\'s time', run.stderr)


class HistoryFirst(GitHelpers, dt.DaemonCase):
	"""The history has the last word: a date once published by the
	daemon does not move when git is turned on (or knows better)."""

	def test_history_wins(self):
		ws = self.ws
		git(ws.dir, 'init', '-q')
		self.put(ws, 'a.md', undated('Alpha'))
		d = self.start(feed={'date_source': 'file'})
		self.assertEqual(d.stop(), 0, d.describe())
		self.commit(ws, '2021-01-01T10:00:00Z')
		self.put(ws, 'b.md', undated('Beta'))
		self.commit(ws, '2021-02-01T10:00:00Z')
		self.once(ws, 'git')
		dates = self.dates(ws)
		self.assertEqual(dates['Alpha'][0], ft.utc_epoch(NOW_ISH))
		# Not in the history yet: git's date.
		self.assertEqual(dates['Beta'][0],
			ft.utc_epoch('2021-02-01T10:00:00Z'))


if __name__ == '__main__':
	unittest.main()
