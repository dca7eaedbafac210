"""feedpubd's command line: options, exit codes and config errors.

Exit codes (sysexits): 0 ok, 1 feeds not written / --check found problems,
64 usage, 78 config error ("CONFIGPATH:LINE: message").

Run: FEEDPUBD=build/feedpubd /usr/bin/python3 tests/integration/test_cli.py
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402

EX_USAGE = 64
EX_CONFIG = 78


class Options(ft.FeedCase):

	def test_version(self):
		run = ft.run_feedpubd('--version')
		self.assertRunOK(run)
		self.assertEqual(run.stdout.strip(), 'feedpubd 0.1.0')

	def test_help(self):
		run = ft.run_feedpubd('--help')
		self.assertRunOK(run)
		for opt in ('--config', '--once', '--check', '--verbose',
				'--version', '--help'):
			self.assertIn(opt, run.stdout)
		self.assertIn('feedpubd', run.stdout)
		self.assertEqual(run.stderr, '')

	def test_unknown_option(self):
		run = ft.run_feedpubd('--bogus-option')
		self.assertEqual(run.returncode, EX_USAGE, run.describe())
		self.assertIn('--once', run.stderr)
		self.assertEqual(run.stdout, '')

	def test_stray_argument(self):
		run = ft.run_feedpubd('--once', 'extra-argument')
		self.assertEqual(run.returncode, EX_USAGE, run.describe())
		self.assertEqual(run.stdout, '')

	def test_once_and_check_exclusive(self):
		ws = self.new_workspace('good')
		ws.write_config()
		run = ws.run('--once', '--check')
		self.assertNotEqual(run.returncode, 0, run.describe())
		self.assertFalse(os.path.exists(ws.out))

	def test_verbose_once(self):
		ws = self.new_workspace('good')
		ws.write_config()
		run = ws.run('--verbose', '--once')
		self.assertRunOK(run)
		self.assertTrue(os.path.exists(ws.atom))
		self.assertTrue(os.path.exists(ws.rss))

	def test_relative_paths_follow_config_folder(self):
		"""releases/output are read relative to the config, not the cwd."""
		ws = self.new_workspace('good')
		ws.write_config()
		elsewhere = ws.path('elsewhere')
		os.mkdir(elsewhere)
		run = ft.run_feedpubd('--config', '../feedpubd.conf', '--once',
			cwd=elsewhere)
		self.assertRunOK(run)
		self.assertTrue(os.path.exists(ws.atom))
		self.assertEqual(os.listdir(elsewhere), [])

	def test_output_folder_created(self):
		ws = self.new_workspace('good')
		paths = ft.default_paths()
		paths['output'] = 'public/feeds/nested'
		ws.write_config(paths=paths)
		self.assertRunOK(ws.run('--once'))
		out = ws.path('public', 'feeds', 'nested')
		self.assertOnlyFeeds(out)
		self.assertWellFormed(os.path.join(out, 'feed.atom'))


class Failures(ft.FeedCase):

	def test_output_not_writable(self):
		ws = self.new_workspace('good')
		with open(ws.path('blocker'), 'w') as f:
			f.write('a regular file where a folder should be\n')
		paths = ft.default_paths()
		paths['output'] = 'blocker/out'
		ws.write_config(paths=paths)
		run = ws.run('--once')
		self.assertEqual(run.returncode, 1, run.describe())
		self.assertIn('blocker', run.stderr)
		self.assertFalse(os.path.exists(ws.path('blocker', 'out')))
		with open(ws.path('blocker')) as f:
			self.assertIn('regular file', f.read())

	def test_missing_config_file(self):
		ws = self.new_workspace()
		missing = ws.path('finns-inte.conf')
		run = ft.run_feedpubd('--config', missing, '--once')
		self.assertEqual(run.returncode, EX_CONFIG, run.describe())
		self.assertEqual(run.stderr, 'feedpubd: cannot read %s: No such '
			'file or directory (use --config FILE)\n' % missing)
		self.assertFalse(os.path.exists(ws.out))

	def test_missing_default_config(self):
		"""Not installed yet, or run as a user: say how to name one."""
		default = '/etc/feedpubd/feedpubd.conf'
		if os.path.exists(default):
			self.skipTest('%s exists here' % default)
		for mode in ('--once', '--check'):
			with self.subTest(mode=mode):
				run = ft.run_feedpubd(mode)
				self.assertEqual(run.returncode,
					EX_CONFIG if mode == '--once' else 1,
					run.describe())
				self.assertEqual(run.stderr, 'feedpubd: cannot '
					'read %s: No such file or directory '
					'(use --config FILE)\n' % default)
				self.assertEqual(run.stdout, '')

	def test_check_good_corpus(self):
		ws = self.new_workspace('good')
		ws.write_config()
		run = ws.run('--check')
		self.assertEqual(run.returncode, 0, run.describe())
		self.assertFalse(os.path.exists(ws.out))

	def test_check_one_bad_release(self):
		ws = self.new_workspace('good')
		ft.write_release(ws.release('2020/trasig.md'),
			'---\ntitle: Trasig\ndate: 2020-13-45\n---\n\nText.\n')
		ws.write_config()
		run = ws.run('--check')
		self.assertEqual(run.returncode, 1, run.describe())
		self.assertIn('2020/trasig.md', run.stdout + run.stderr)
		self.assertFalse(os.path.exists(ws.out))

	def test_check_warns_of_the_example_base_url(self):
		"""Ids are built from base_url's host: --check says when it is
		still config/feedpubd.conf's (a warning: the exit is 0)."""
		warning = ('feedpubd: warning: %s: base_url %s is still the '
			"example's: entry ids are built from its host and must "
			"never change, so set the feed's own before publishing\n")
		for url, warned in (('https://news.example.org/', True),
				('http://NEWS.example.org:8080/press', True),
				('https://press.norrvik.example/', False),
				('https://news.example.org.norrvik.example/', False)):
			with self.subTest(base_url=url):
				ws = self.new_workspace('good')
				ws.write_config(feed=dict(ft.default_feed(),
					base_url=url))
				run = ws.run('--check')
				self.assertEqual(run.returncode, 0, run.describe())
				lines = [l + '\n' for l in
					run.stderr.splitlines() if 'base_url' in l]
				printed = ws.run('--print-config').stdout
				norm = [l.split(' = ')[1].split(' ;')[0] for l in
					printed.splitlines()
					if l.startswith('base_url = ')][0]
				self.assertEqual(lines, [warning % (ws.config,
					norm)] if warned else [], run.describe())
				# Only --check: --once publishes quietly.
				once = ws.run('--once')
				self.assertRunOK(once)
				self.assertNotIn('base_url', once.stderr)


class ConfigErrors(ft.FeedCase):
	"""Each broken config: exit 78, "CONFIG:LINE:" and nothing written."""

	def check_config_error(self, text, needle, with_line=True):
		ws = self.new_workspace('good')
		ws.write_config(text=text)
		run = ws.run('--once')
		self.assertEqual(run.returncode, EX_CONFIG, run.describe())
		if with_line:
			want = '%s:%d:' % (ws.config, ft.line_of(text, needle))
		else:
			want = ws.config
		self.assertIn(want, run.stderr, run.describe())
		self.assertFalse(os.path.exists(ws.out), 'output written')
		check = ws.run('--check')
		self.assertNotEqual(check.returncode, 0, check.describe())
		self.assertIn(want, check.stdout + check.stderr, check.describe())
		self.assertFalse(os.path.exists(ws.out), 'output written')
		return run

	def feed_with(self, **kw):
		feed = ft.default_feed()
		feed.update(kw)
		return feed

	def test_unknown_key(self):
		feed = self.feed_with(colour='blue')
		self.check_config_error(ft.config_text(feed, ft.default_paths()),
			'colour = blue')

	def test_unknown_key_in_paths(self):
		paths = ft.default_paths()
		paths['cache'] = 'cache'
		self.check_config_error(ft.config_text(ft.default_feed(), paths),
			'cache = cache')

	def test_unknown_section(self):
		text = ft.config_text(ft.default_feed(), ft.default_paths(),
			extra='[ping]\nurl = https://example.org/ping\n')
		self.check_config_error(text, '[ping]')

	def test_bad_max_entries(self):
		for bad in ('0', 'many', '-3'):
			with self.subTest(max_entries=bad):
				feed = self.feed_with(max_entries=bad)
				self.check_config_error(
					ft.config_text(feed, ft.default_paths()),
					'max_entries = ' + bad)

	def test_bad_timezone(self):
		feed = self.feed_with(timezone='Mars/Olympus_Mons')
		self.check_config_error(ft.config_text(feed, ft.default_paths()),
			'timezone = Mars')

	def test_bad_base_url(self):
		feed = self.feed_with(base_url='news.example.org')
		self.check_config_error(ft.config_text(feed, ft.default_paths()),
			'base_url = ')

	def test_bad_raw_html(self):
		feed = self.feed_with(raw_html='kanske')
		self.check_config_error(ft.config_text(feed, ft.default_paths()),
			'raw_html = kanske')

	def test_bad_max_file_size(self):
		feed = self.feed_with(max_file_size='stor')
		self.check_config_error(ft.config_text(feed, ft.default_paths()),
			'max_file_size = stor')

	def test_bad_settle_ms(self):
		text = ft.config_text(ft.default_feed(), ft.default_paths(),
			{'settle_ms': 'snart'})
		self.check_config_error(text, 'settle_ms = snart')

	def test_missing_title(self):
		feed = self.feed_with(title=None)
		run = self.check_config_error(
			ft.config_text(feed, ft.default_paths()), None,
			with_line=False)
		self.assertIn('title', run.stderr)

	def test_syntax_error(self):
		text = ft.config_text(ft.default_feed(), ft.default_paths(),
			extra='det här är ingen nyckel\n')
		self.check_config_error(text, 'det här är ingen nyckel')

	def test_nul_byte(self):
		"""A NUL byte cut the value short ("rel"); now it is an error."""
		paths = ft.default_paths()
		paths['releases'] = 'rel\0/etc'
		self.check_config_error(ft.config_text(ft.default_feed(), paths),
			'releases = rel')

	def test_line_too_long(self):
		feed = self.feed_with(subtitle='x' * 9000)
		run = self.check_config_error(
			ft.config_text(feed, ft.default_paths()), 'subtitle = ')
		self.assertIn('line too long (over 8192 bytes)', run.stderr)

	def test_every_problem_reported(self):
		"""All problems are printed, not just the first."""
		feed = self.feed_with(colour='blue', max_entries='many')
		text = ft.config_text(feed, ft.default_paths())
		run = self.check_config_error(text, 'colour = blue')
		self.assertIn('%s:%d:' % (run.args[2], ft.line_of(text,
			'max_entries = many')), run.stderr)


class PrintConfig(ft.FeedCase):
	"""--print-config: every key, its value in effect, where it came from."""

	def ping_text(self):
		"""A webhook URL of 4,000 characters, token in its query."""
		url = ('https://hooks.example/in?token=' + 'T0k3n' * 800)[:4000]
		return url, ft.config_text(ft.default_feed(), ft.default_paths(),
			extra='[ping "chat"]\nkind = webhook\nurl = %s\n'
			'secret = hemligt-v4rde\n' % url)

	def test_values_and_origins(self):
		ws = self.new_workspace('good')
		url, text = self.ping_text()
		ws.write_config(text=text)
		run = ws.run('--print-config')
		self.assertRunOK(run)
		self.assertEqual(run.stderr, '')
		out = run.stdout
		self.assertIn('# feedpubd --print-config: %s\n' % ws.config, out)
		self.assertIn('\n[feed]\n', out)
		self.assertIn('\ntitle = %s ; line %d\n' % (
			ft.default_feed()['title'], ft.line_of(text, 'title = ')), out)
		self.assertIn('\nreleases = %s ; line %d\n' % (ws.releases,
			ft.line_of(text, 'releases = ')), out)
		self.assertIn('\ntimeout = 15s ; default\n', out)
		self.assertIn('\nsettle_ms = 20 ; default\n', out)
		self.assertIn('\n[ping "chat"]\n', out)
		self.assertIn('\nurl = %s ; line %d\n' % (url,
			ft.line_of(text, 'url = https://hooks')), out)
		self.assertIn('\nsecret = (set) ; line %d\n' %
			ft.line_of(text, 'secret = '), out)
		self.assertNotIn('hemligt', out)
		self.assertFalse(os.path.exists(ws.out), 'output written')

	def test_output_is_a_config(self):
		ws = self.new_workspace('good')
		ws.write_config(text=self.ping_text()[1])
		first = ws.run('--print-config')
		self.assertRunOK(first)
		again = ws.path('printed.conf')
		with open(again, 'w', encoding='utf-8') as f:
			f.write(first.stdout)
		check = ft.run_feedpubd('--config', again, '--check')
		self.assertEqual(check.returncode, 0, check.describe())
		second = ft.run_feedpubd('--config', again, '--print-config')
		self.assertRunOK(second)
		strip = lambda out: [l.split(' ; ')[0] for l in
			out.split('\n')[1:]]
		self.assertEqual(strip(second.stdout), strip(first.stdout))

	def test_config_error(self):
		ws = self.new_workspace('good')
		text = ft.config_text(ft.default_feed(), ft.default_paths(),
			{'settle_ms': 'snart'})
		ws.write_config(text=text)
		run = ws.run('--print-config')
		self.assertEqual(run.returncode, EX_CONFIG, run.describe())
		self.assertIn('%s:%d:' % (ws.config, ft.line_of(text,
			'settle_ms')), run.stderr)
		self.assertEqual(run.stdout, '')

	def test_a_mode_of_its_own(self):
		ws = self.new_workspace('good')
		ws.write_config()
		for other in ('--once', '--check', '--status'):
			with self.subTest(other=other):
				run = ws.run('--print-config', other)
				self.assertEqual(run.returncode, EX_USAGE,
					run.describe())
				self.assertEqual(run.stdout, '')
		self.assertFalse(os.path.exists(ws.out), 'output written')


if __name__ == '__main__':
	unittest.main()
