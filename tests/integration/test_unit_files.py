"""The systemd files, the man pages and the examples: keys, systemd-analyze,
rendering.

Checks systemd/feedpubd.service.in (written out as `cmake --install` does for
--prefix /usr; test_install.py checks the real install) for the keys feedpubd
relies on (Type=notify, the watchdog, reload) and for its sandbox; runs
`systemd-analyze verify` and `systemd-analyze security --offline=yes` when the
tool is there; checks the sysusers and tmpfiles lines (who may write to the
releases folder) and the README's steps for a service; renders docs/feedpubd.8
and docs/feedpubd.conf.5 and requires no warnings; holds the man pages and the
installed example config (config/feedpubd.conf) to the code: every key of
config/config.c's keys[] table, its default and range, every long option of
`feedpubd --help`, and the folders the unit opens; and checks that the example
newsroom (examples/) may be edited as its comments invite: a copy with every
ping uncommented still checks, and the unit tests pass on it.

Tools that are missing are skipped with the reason printed. The feedpubd
binary ($FEEDPUBD, default build/feedpubd) is only needed for the checks
that run it.
"""

import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
UNIT_IN = os.path.join(REPO, 'systemd', 'feedpubd.service.in')
SYSUSERS = os.path.join(REPO, 'systemd', 'feedpubd.sysusers')
TMPFILES = os.path.join(REPO, 'systemd', 'feedpubd.tmpfiles')
README = os.path.join(REPO, 'README.md')
EXAMPLES = os.path.join(REPO, 'examples')
MAN8 = os.path.join(REPO, 'docs', 'feedpubd.8')
MAN5 = os.path.join(REPO, 'docs', 'feedpubd.conf.5')
CONFIG_C = os.path.join(REPO, 'config', 'config.c')
CONFIG_H = os.path.join(REPO, 'config', 'config.h')
EXAMPLE_CONF = os.path.join(REPO, 'config', 'feedpubd.conf')
FEEDPUBD = os.environ.get('FEEDPUBD') or os.path.join(REPO, 'build', 'feedpubd')
TIMEOUT = 120
MAX_EXPOSURE = 4.9	# "OK" or better in systemd-analyze security
# config.h fields whose key is named otherwise: field -> (section, key).
FIELD_KEYS = {
	'ping_connect_timeout_s': ('pings', 'connect_timeout'),
	'ping_timeout_s': ('pings', 'timeout'),
	'ping_give_up_s': ('pings', 'give_up_after'),
}

# Hardening every version of the unit must keep: key -> the value.
HARDENING = {
	'ProtectSystem': 'strict',
	'ProtectHome': 'yes',
	'PrivateTmp': 'yes',
	'PrivateDevices': 'yes',
	'NoNewPrivileges': 'yes',
	'SystemCallArchitectures': 'native',
	'ProtectKernelTunables': 'yes',
	'ProtectKernelModules': 'yes',
	'ProtectKernelLogs': 'yes',
	'ProtectControlGroups': 'yes',
	'ProtectClock': 'yes',
	'ProtectHostname': 'yes',
	'RestrictNamespaces': 'yes',
	'RestrictRealtime': 'yes',
	'RestrictSUIDSGID': 'yes',
	'LockPersonality': 'yes',
	'MemoryDenyWriteExecute': 'yes',
	'CapabilityBoundingSet': '',
	'UMask': '0022',
	'ProtectProc': 'invisible',
	'ProcSubset': 'pid',
}


def say(msg):
	print('test_unit_files: ' + msg, file=sys.stderr)


def read(path):
	with open(path, encoding='utf-8') as f:
		return f.read()


def parse_unit(text):
	"""[(section, key, value)] in file order; keys may repeat."""
	out = []
	section = None
	pending = ''
	for raw in text.splitlines():
		line = pending + raw.strip()
		pending = ''
		if line.endswith('\\'):
			pending = line[:-1] + ' '
			continue
		if not line or line[0] in '#;':
			continue
		if line.startswith('['):
			section = line.strip('[]')
			continue
		key, sep, value = line.partition('=')
		if not sep:
			raise ValueError('not key=value: %r' % line)
		out.append((section, key.strip(), value.strip()))
	return out


def values(unit, section, key):
	"""Every assignment of key, with an empty one resetting the list."""
	vals = []
	for sec, k, v in unit:
		if sec == section and k == key:
			vals = [] if v == '' else vals + [v]
	return vals


def last(unit, section, key):
	"""The value in effect for a single-valued key, or None if unset."""
	found = [v for sec, k, v in unit if sec == section and k == key]
	return found[-1] if found else None


def config_rows():
	"""[(section, key, {field: value})] of the keys[] table of
	config/config.c, one a row: the designated fields (.min, .max, .dflt,
	.required) as written there, strings unquoted."""
	text = read(CONFIG_C)
	table = re.search(r'static const struct key keys\[\] = \{(.*?)\n\};',
			  text, re.S)
	if table is None:
		raise AssertionError('no keys[] table in %s' % CONFIG_C)
	rows = []
	row = r'\{\s*SEC_(\w+),\s*"(\w+)",(.*?)\},?(?:\n|$)'
	for sec, name, body in re.findall(row, table.group(1), re.S):
		fields = {f: v.strip('"') for f, v in re.findall(
		    r'\.(\w+) = ("[^"]*"|\w+)', body)}
		rows.append((sec.lower(), name, fields))
	return rows


def config_keys():
	"""{(section, key)} from the keys[] table of config/config.c."""
	return {(sec, name) for sec, name, _ in config_rows()}


def config_defines():
	"""{(section, DEFAULT_KEY): default, (section, MAX_KEY): maximum} of
	the keys of the keys[] table, as a user writes them ("50", "24h",
	"64M"). By section: [pages] and [hub] both have an 'enabled'."""
	out = {}
	for sec, name, fields in config_rows():
		for field, prefix in (('dflt', 'DEFAULT_'), ('max', 'MAX_')):
			if field in fields:
				out[(sec, prefix + name.upper())] = fields[field]
	return out


def config_required():
	"""(section, name) of the required keys of the keys[] table."""
	return [(sec, name) for sec, name, fields in config_rows()
		if fields.get('required') == 'true']


def man5_keys():
	"""{(section, key): text of its .It block} from feedpubd.conf.5.
	[ping "NAME"] is section 'ping'."""
	out = {}
	section = key = None
	for line in read(MAN5).splitlines():
		m = re.match(r'\.Ss \[(\w+)(?: [^\]]*)?\]', line)
		if m:
			section, key = m.group(1), None
			continue
		if line.startswith('.Sh '):
			section = key = None
			continue
		m = re.match(r'\.It Cm (\w+)', line)
		if m and section is not None:
			key = (section, m.group(1))
			out[key] = ''
			continue
		if line.startswith('.It') or line.startswith('.El'):
			key = None
			continue
		if key is not None:
			out[key] += line + '\n'
	return out


def literal_blocks(path):
	"""The text of every .Bd -literal ... .Ed display in a man page."""
	return re.findall(r'^\.Bd -literal[^\n]*\n(.*?)^\.Ed$', read(path),
			  re.S | re.M)


def ini(text):
	p = configparser.ConfigParser(interpolation=None,
				      comment_prefixes=('#', ';'))
	p.read_string(text)
	return p


def run(argv, **kw):
	return subprocess.run(argv, stdout=subprocess.PIPE,
			      stderr=subprocess.PIPE, universal_newlines=True,
			      timeout=TIMEOUT, **kw)


def unit_text():
	"""The unit as `cmake --install --prefix /usr` writes it (see
	systemd/install.cmake)."""
	text = read(UNIT_IN)
	for var, value in (('FEEDPUBD_SBINDIR', '/usr/sbin'),
			   ('FEEDPUBD_CONFIG', '/etc/feedpubd/feedpubd.conf')):
		text = text.replace('@%s@' % var, value)
	return text


def analyze_unit_copy(tmp, exec_start='/bin/true'):
	"""A copy of the unit that systemd-analyze can check without feedpubd
	installed: ExecStart=/bin/true, same name, in tmp."""
	text = unit_text()
	if exec_start is not None:
		text = re.sub(r'^ExecStart=.*$', 'ExecStart=' + exec_start,
			      text, flags=re.M)
	path = os.path.join(tmp, 'feedpubd.service')
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text)
	return path


class UnitKeys(unittest.TestCase):
	def setUp(self):
		self.unit = parse_unit(unit_text())

	def get(self, key):
		return last(self.unit, 'Service', key)

	def test_service_type_and_commands(self):
		self.assertEqual(self.get('Type'), 'notify')
		self.assertEqual(self.get('NotifyAccess'), 'main')
		self.assertEqual(self.get('ExecStart').split(),
				 ['/usr/sbin/feedpubd', '--config',
				  '/etc/feedpubd/feedpubd.conf'])
		self.assertEqual(self.get('ExecReload'),
				 '/bin/kill -HUP $MAINPID')
		self.assertEqual(self.get('Restart'), 'on-failure')
		self.assertEqual(self.get('WatchdogSec'), '30s')
		# Restarting cannot fix a usage (64) or config (78) error.
		prevent = ' '.join(values(self.unit, 'Service',
					  'RestartPreventExitStatus')).split()
		self.assertIn('64', prevent)
		self.assertIn('78', prevent)

	def test_dedicated_user_and_state(self):
		self.assertTrue(self.get('DynamicUser') == 'yes' or
				self.get('User') not in (None, '', 'root', '0'),
				'needs DynamicUser=yes or a non-root User=')
		self.assertEqual(self.get('StateDirectory'), 'feedpubd')

	def test_hardening(self):
		for key, want in sorted(HARDENING.items()):
			with self.subTest(key=key):
				self.assertEqual(self.get(key), want)
		families = ' '.join(values(self.unit, 'Service',
					   'RestrictAddressFamilies')).split()
		self.assertEqual(sorted(families),
				 ['AF_INET', 'AF_INET6', 'AF_UNIX'])
		filters = ' '.join(values(self.unit, 'Service',
					  'SystemCallFilter')).split()
		self.assertIn('@system-service', filters)
		# Pings must reach hubs and webhooks anywhere.
		self.assertEqual(values(self.unit, 'Service', 'IPAddressDeny'),
				 [])
		self.assertNotEqual(self.get('PrivateNetwork'), 'yes')

	def test_documentation_names_the_man_pages(self):
		docs = ' '.join(values(self.unit, 'Unit', 'Documentation'))
		self.assertIn('man:feedpubd(8)', docs)
		self.assertIn('man:feedpubd.conf(5)', docs)
		self.assertEqual(last(self.unit, 'Install', 'WantedBy'),
				 'multi-user.target')


	def test_exec_start_follows_the_prefix(self):
		"""`cmake --install` fills in the binary's folder for its
		--prefix (test_install.py installs two)."""
		self.assertEqual(set(re.findall(r'@(\w+)@', read(UNIT_IN))),
				 {'FEEDPUBD_SBINDIR', 'FEEDPUBD_CONFIG'})
		self.assertIn('\nExecStart=@FEEDPUBD_SBINDIR@/feedpubd --config '
			      '@FEEDPUBD_CONFIG@\n', read(UNIT_IN))

	def test_not_an_editor(self):
		"""feedpubd only reads the releases: no editors' group."""
		groups = ' '.join(values(self.unit, 'Service', 'Group') +
				  values(self.unit, 'Service',
					 'SupplementaryGroups'))
		self.assertNotIn('feedpubd-editors', groups)


def lines(path):
	"""The non-comment lines of a sysusers.d or tmpfiles.d file, split."""
	return [l.split() for l in read(path).splitlines()
		if l.strip() and not l.startswith('#')]


class SysusersTmpfiles(unittest.TestCase):
	"""Editors (the group feedpubd-editors) write the releases folder,
	feedpubd reads it; test_install.py applies both files to a temp root
	and tries it with real uids."""

	def test_sysusers(self):
		got = lines(SYSUSERS)
		self.assertIn(['u', 'feedpubd', '-', '"feedpubd', 'feed',
			       'publisher"', '/var/lib/feedpubd'], got)
		self.assertIn(['g', 'feedpubd-editors', '-'], got)
		# No "m feedpubd feedpubd-editors": it only reads.
		self.assertEqual([l for l in got if l[0] == 'm'], [])

	def test_tmpfiles(self):
		got = lines(TMPFILES)
		self.assertIn(['d', '/var/www/feedpubd', '0755', 'feedpubd',
			       'feedpubd', '-'], got)
		# Group-writable and setgid, for every editor; others read.
		self.assertIn(['d', '/srv/newsroom/releases', '2775', 'root',
			       'feedpubd-editors', '-'], got)
		# New files stay writable by the group whatever the umask.
		self.assertIn(['a+', '/srv/newsroom/releases', '-', '-', '-',
			       '-', 'd:group:feedpubd-editors:rwx'], got)
		self.assertEqual(len(got), 3)


def readme_section(title):
	"""The text of the README's "## title" section."""
	m = re.search(r'^## %s\n(.*?)(?=^## |\Z)' % re.escape(title),
		      read(README), re.S | re.M)
	if m is None:
		raise AssertionError('no "## %s" in README.md' % title)
	return m.group(1)


class ReadmeService(unittest.TestCase):
	"""The README's "Running as a service": the steps in their order."""

	def setUp(self):
		self.text = readme_section('Running as a service')
		blocks = re.findall(r'^```\w*\n(.*?)^```$', self.text,
				    re.S | re.M)
		self.steps = [l.strip() for l in blocks[0].splitlines()
			      if l.strip()]

	def index(self, pattern):
		found = [i for i, l in enumerate(self.steps)
			 if re.search(pattern, l)]
		self.assertTrue(found, '%s not in %s' % (pattern, self.steps))
		return found[0]

	def test_steps_in_order(self):
		order = [self.index(p) for p in (
			r'^sudo cmake --install build',
			# Our files only, not every package's.
			r'^sudo systemd-sysusers feedpubd\.conf$',
			r'^sudo systemd-tmpfiles --create feedpubd\.conf$',
			r'/etc/feedpubd/feedpubd\.conf',	# edit it
			r'^sudo feedpubd --check$',
			r'^sudo systemctl enable --now feedpubd$')]
		self.assertEqual(order, sorted(order), self.steps)
		for l in self.steps:
			self.assertNotRegex(l, r'systemd-(sysusers|tmpfiles)'
					    r'( --create)?$')

	def test_editors_prefix_upgrade_uninstall(self):
		missing = []
		for needle in (
			'usermod -aG feedpubd-editors anna',
			'base_url',
			'feedpubd.conf.example',
			'/usr/local/sbin/feedpubd',
			'xargs rm -v < build/install_manifest.txt',
			'systemctl disable --now feedpubd',
			'userdel feedpubd',
			'groupdel feedpubd-editors',
			'/var/lib/private/feedpubd'):
			if needle not in self.text:
				missing.append(needle)
		self.assertEqual(missing, [])


def uncomment_pings(text):
	"""text with every commented-out key and section ("#kind = ...",
	"#[ping ...]") uncommented; prose ("# text") stays."""
	return re.sub(r'^#(?=[\[\w])', '', text, flags=re.M)


class ExampleNewsroom(unittest.TestCase):
	"""examples/ is the user's to edit (`make run` publishes it): no test
	reads examples/feedpubd.conf for what it says. Its comments invite
	uncommenting a ping: a copy with all of them uncommented still
	checks, and the one unit test that reads examples/ passes on it."""

	def setUp(self):
		if not os.access(FEEDPUBD, os.X_OK):
			self.skipTest('no feedpubd binary at %s' % FEEDPUBD)
		self.tmp = tempfile.mkdtemp(prefix='feedpubd-examples-')
		self.addCleanup(shutil.rmtree, self.tmp)
		self.examples = os.path.join(self.tmp, 'examples')
		# Not what `make run` left there.
		shutil.copytree(EXAMPLES, self.examples, symlinks=True,
				ignore=lambda d, names: [n for n in names
				    if d == EXAMPLES and n in ('public', 'state')])
		self.conf = os.path.join(self.examples, 'feedpubd.conf')
		text = read(self.conf)
		edited = uncomment_pings(text)
		with open(self.conf, 'w', encoding='utf-8') as f:
			f.write(edited)
		self.pings = re.findall(r'^\[ping "([^"]+)"\]$', edited, re.M)
		self.assertGreaterEqual(len(self.pings), 3)
		self.assertEqual(re.findall(r'^\[ping ', text, re.M), [])

	def test_uncommented_pings_check(self):
		r = run([FEEDPUBD, '--check', '--config', self.conf])
		self.assertEqual(r.returncode, 0, r.stderr)
		self.assertIn('0 with problems', r.stderr)
		r = run([FEEDPUBD, '--print-config', '--config', self.conf])
		self.assertEqual(r.returncode, 0, r.stderr)
		self.assertEqual(re.findall(r'^\[ping "([^"]+)"\]$', r.stdout,
					    re.M), self.pings)
		self.assertRegex(r.stdout, r'\ngive_up_after = \w+ ; line \d+\n')
		# --check writes nothing (the about.*.md are the example's
		# [pages] boilerplate).
		self.assertEqual(sorted(os.listdir(self.examples)),
				 ['about.en.md', 'about.sv.md', 'feedpubd.conf',
				  'releases'])

	def test_unit_tests_pass_on_it(self):
		"""test_config finds the tree from $TESTDATA: point it at a
		tree whose examples/ is the edited copy."""
		unit = os.path.join(os.path.dirname(FEEDPUBD), 'tests',
				    'test_config')
		if not os.access(unit, os.X_OK):
			self.skipTest('no test_config binary at %s' % unit)
		# Real folders down to tests/data, so its ../.. is self.tmp.
		data = os.path.join(self.tmp, 'tests', 'data')
		os.makedirs(data)
		for name in os.listdir(os.path.join(REPO, 'tests', 'data')):
			os.symlink(os.path.join(REPO, 'tests', 'data', name),
				   os.path.join(data, name))
		for top in os.listdir(REPO):
			if not os.path.lexists(os.path.join(self.tmp, top)):
				os.symlink(os.path.join(REPO, top),
					   os.path.join(self.tmp, top))
		env = dict(os.environ, TESTDATA=data)
		r = run([unit], env=env, cwd=self.tmp)
		self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class InstalledConfigMatchesUnit(unittest.TestCase):
	"""The example config installed as /etc/feedpubd/feedpubd.conf must
	name folders the sandbox lets feedpubd (and the editors) reach."""

	def setUp(self):
		self.unit = parse_unit(unit_text())
		self.paths = ini(read(EXAMPLE_CONF))['paths']

	def test_output_is_writable(self):
		rw = ' '.join(values(self.unit, 'Service',
				     'ReadWritePaths')).split()
		rw = [p.lstrip('-+') for p in rw]
		out = self.paths['output']
		self.assertTrue(any(out == p or out.startswith(p + '/')
				    for p in rw),
				'output %s not in ReadWritePaths %s'
				% (out, rw))

	def test_state_is_the_state_directory(self):
		state = self.paths['state']
		base = '/var/lib/' + last(self.unit, 'Service',
					  'StateDirectory')
		self.assertTrue(state == base or state.startswith(base + '/'),
				'state %s outside %s' % (state, base))

	def test_releases_reachable_by_editors(self):
		rel = self.paths['releases']
		self.assertTrue(rel.startswith('/'), rel)
		# DynamicUser= hides /var/lib/<dir> in 0700 /var/lib/private;
		# ProtectHome= and PrivateTmp= hide the others from feedpubd.
		hidden = ['/home', '/root', '/run/user', '/tmp', '/var/tmp']
		if last(self.unit, 'Service', 'DynamicUser') == 'yes':
			hidden.append('/var/lib/' + last(self.unit, 'Service',
							 'StateDirectory'))
		for h in hidden:
			self.assertFalse(rel == h or rel.startswith(h + '/'),
					 'releases %s is under %s' % (rel, h))

	def test_man_pages_show_the_same_folders(self):
		files = re.findall(r'^\.It Pa (\S+)', read(MAN8), re.M)
		for key in ('releases', 'output', 'state'):
			with self.subTest(key=key):
				p = self.paths[key]
				self.assertTrue(
				    any(f == p or f.startswith(p + '/')
					for f in files),
				    '%s not in FILES %s' % (p, files))
		shipped = [b for b in literal_blocks(MAN5) if '[paths]' in b]
		self.assertEqual(len(shipped), 1)
		self.assertEqual(dict(ini(shipped[0])['paths']),
				 dict(self.paths))


class ConfManPage(unittest.TestCase):
	def test_every_key_documented_in_its_section(self):
		code = config_keys()
		man = man5_keys()
		self.assertGreaterEqual(len(code), 16)
		self.assertEqual(sorted(code - set(man)), [],
				 'keys missing from feedpubd.conf.5')
		self.assertEqual(sorted(set(man) - code), [],
				 'feedpubd.conf.5 documents unknown keys')

	def test_config_h_fields_have_keys(self):
		# config.h's fields with a [daemon], [paths] or [pings] key.
		fields = set(re.findall(r'^\s*(?:unsigned|char \*)\s*\*?(\w+);',
					read(CONFIG_H), re.M))
		code = config_keys()
		keys = {k for _, k in code}
		for field in fields - {'path'}:
			with self.subTest(field=field):
				if field in FIELD_KEYS:
					self.assertIn(FIELD_KEYS[field], code)
					continue
				self.assertIn(re.sub(r'_dir$', '', field), keys)

	def test_defaults_and_limits_match_the_code(self):
		defs = config_defines()
		man = man5_keys()
		checked = 0
		for (sec, key), text in man.items():
			up = key.upper()
			words = re.sub(r'\\&|\n|\.[A-Z][a-z] ?', ' ', text)
			if (sec, 'DEFAULT_' + up) in defs:
				with self.subTest(default=key):
					self.assertRegex(
					    words, r'Default: *(Ql +)?%s\b' %
					    re.escape(defs[(sec, 'DEFAULT_' + up)]))
				checked += 1
			if (sec, 'MAX_' + up) in defs:
				with self.subTest(max=key):
					self.assertRegex(words, r'\b%s\b' %
							 defs[(sec, 'MAX_' + up)])
				checked += 1
		self.assertGreaterEqual(checked, 8)

	def test_required_keys_say_so(self):
		required = config_required()
		man = man5_keys()
		self.assertTrue(required)
		for (sec, key), text in man.items():
			with self.subTest(key=key):
				self.assertEqual(text.startswith('Required.'),
						 (sec, key) in required)

	def test_examples_are_valid_configs(self):
		if not os.access(FEEDPUBD, os.X_OK):
			self.skipTest('no feedpubd binary at %s' % FEEDPUBD)
		blocks = [b for b in literal_blocks(MAN5) if '[feed]' in b]
		self.assertGreaterEqual(len(blocks), 2)
		for i, block in enumerate(blocks):
			with self.subTest(example=i), \
			     tempfile.TemporaryDirectory() as tmp:
				# Own folders, so --check reads an empty one.
				block = re.sub(
				    r'^(releases|output|state) = .*$',
				    r'\1 = \1', block, flags=re.M)
				conf = os.path.join(tmp, 'feedpubd.conf')
				with open(conf, 'w', encoding='utf-8') as f:
					f.write(block)
				os.mkdir(os.path.join(tmp, 'releases'))
				r = run([FEEDPUBD, '--check', '--config', conf])
				self.assertEqual(r.returncode, 0, r.stderr)


class DaemonManPage(unittest.TestCase):
	def test_sections(self):
		heads = re.findall(r'^\.Sh (.*)$', read(MAN8), re.M)
		for want in ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS',
			     'SIGNALS', 'ENVIRONMENT', 'FILES', 'EXIT STATUS',
			     'EXAMPLES', 'SEE ALSO'):
			self.assertIn(want, heads)

	def test_signals_environment_exit_codes(self):
		text = read(MAN8)
		for word in ('SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1',
			     'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'JOURNAL_STREAM',
			     'READY=1', 'RELOADING=1', 'STOPPING=1',
			     'WATCHDOG=1', 'STATUS='):
			self.assertIn(word, text)
		codes = re.findall(r'^\.Sh EXIT STATUS\n(.*?)^\.Sh', text,
				   re.S | re.M)[0]
		self.assertEqual(re.findall(r'^\.It (\d+)$', codes, re.M),
				 ['0', '1', '64', '75', '78'])

	def test_every_option_of_help(self):
		if not os.access(FEEDPUBD, os.X_OK):
			self.skipTest('no feedpubd binary at %s' % FEEDPUBD)
		r = run([FEEDPUBD, '--help'])
		self.assertEqual(r.returncode, 0)
		opts = re.findall(r'-(\w), --([\w-]+)', r.stdout)
		self.assertGreaterEqual(len(opts), 6)
		items = re.findall(r'^\.It Fl (.*)$', read(MAN8), re.M)
		for short, long in opts:
			want = re.compile(r'^%s( Ar \w+)? , Fl -%s\b'
					  % (re.escape(short), re.escape(long)))
			with self.subTest(option=long):
				self.assertTrue(
				    any(want.match(i) for i in items),
				    'no .It Fl %s , Fl -%s in %s'
				    % (short, long, items))


class Render(unittest.TestCase):
	PAGES = (MAN8, MAN5)

	def test_groff_no_warnings(self):
		groff = shutil.which('groff')
		if groff is None:
			self.skipTest('groff not installed')
		for page in self.PAGES:
			with self.subTest(page=page):
				r = run([groff, '-mdoc', '-ww', '-z', page])
				self.assertEqual(r.returncode, 0, r.stderr)
				self.assertEqual(r.stderr, '')

	def test_man_renders(self):
		man = shutil.which('man')
		if man is None:
			self.skipTest('man not installed')
		env = dict(os.environ, MANWIDTH='80', MAN_KEEP_FORMATTING='',
			   LC_ALL='C.UTF-8')
		for page, title in ((MAN8, 'FEEDPUBD(8)'),
				    (MAN5, 'FEEDPUBD.CONF(5)')):
			with self.subTest(page=page):
				r = run([man, '-l', page], env=env)
				self.assertEqual(r.returncode, 0, r.stderr)
				self.assertEqual(r.stderr, '')
				first = r.stdout.lstrip().splitlines()[0]
				self.assertTrue(first.startswith(title), first)
				self.assertIn('SEE ALSO', r.stdout)

	def test_mandoc_lint(self):
		mandoc = shutil.which('mandoc')
		if mandoc is None:
			self.skipTest('mandoc not installed')
		for page in self.PAGES:
			with self.subTest(page=page):
				r = run([mandoc, '-Tlint', '-Wwarning', page])
				self.assertEqual(r.returncode, 0,
						 r.stdout + r.stderr)


class SystemdAnalyze(unittest.TestCase):
	def setUp(self):
		self.tool = shutil.which('systemd-analyze')
		if self.tool is None:
			self.skipTest('systemd-analyze not installed')
		self.tmp = tempfile.mkdtemp(prefix='feedpubd-unit-')
		self.addCleanup(shutil.rmtree, self.tmp)

	def test_verify(self):
		unit = analyze_unit_copy(self.tmp)
		argv = [self.tool, 'verify']
		env = dict(os.environ)
		if shutil.which('man'):
			# Documentation= must name pages man can find.
			for page, sec in ((MAN8, '8'), (MAN5, '5')):
				d = os.path.join(self.tmp, 'man', 'man' + sec)
				os.makedirs(d, exist_ok=True)
				shutil.copy(page, d)
			env['MANPATH'] = os.path.join(self.tmp, 'man')
		else:
			say('man not installed: verify --man=no')
			argv.append('--man=no')
		r = run(argv + [unit], env=env)
		self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
		self.assertEqual(r.stderr.strip(), '')

	def test_security_exposure(self):
		r = run([self.tool, 'security', '--offline=yes',
			 '--no-pager', analyze_unit_copy(self.tmp, None)])
		if 'offline' in r.stderr and r.returncode != 0 and \
		   'Overall exposure' not in r.stdout:
			self.skipTest('systemd-analyze lacks --offline: ' +
				      r.stderr.strip().splitlines()[0])
		m = re.search(r'Overall exposure level for feedpubd\.service: '
			      r'([0-9.]+) (\w+)', r.stdout)
		self.assertIsNotNone(m, r.stdout + r.stderr)
		say('systemd-analyze security: %s %s' % m.groups())
		self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE,
				     r.stdout)


if __name__ == '__main__':
	unittest.main(verbosity=2)
