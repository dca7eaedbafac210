"""The systemd unit and the man pages: keys, systemd-analyze, rendering.

Checks systemd/feedpubd.service for the keys feedpubd relies on (Type=notify,
the watchdog, reload) and for its sandbox; runs `systemd-analyze verify` and
`systemd-analyze security --offline=yes` when the tool is there; renders
docs/feedpubd.8 and docs/feedpubd.conf.5 and requires no warnings; and holds
the man pages and the installed example config (config/feedpubd.conf) to the
code: every key of config/config.c's keys[] table, its default and range,
every long option of `feedpubd --help`, and the folders the unit opens.

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
UNIT = os.path.join(REPO, 'systemd', 'feedpubd.service')
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
	"""{DEFAULT_KEY: default, MAX_KEY: maximum} of the keys of the keys[]
	table, as a user writes them ("50", "24h", "64M")."""
	out = {}
	for _, name, fields in config_rows():
		for field, prefix in (('dflt', 'DEFAULT_'), ('max', 'MAX_')):
			if field in fields:
				out[prefix + name.upper()] = fields[field]
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


def analyze_unit_copy(tmp):
	"""A copy of the unit that systemd-analyze can check without feedpubd
	installed: ExecStart=/bin/true, same name, in tmp."""
	text = re.sub(r'^ExecStart=.*$', 'ExecStart=/bin/true', read(UNIT),
		      flags=re.M)
	path = os.path.join(tmp, 'feedpubd.service')
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text)
	return path


class UnitKeys(unittest.TestCase):
	def setUp(self):
		self.unit = parse_unit(read(UNIT))

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


class InstalledConfigMatchesUnit(unittest.TestCase):
	"""The example config installed as /etc/feedpubd/feedpubd.conf must
	name folders the sandbox lets feedpubd (and the editors) reach."""

	def setUp(self):
		self.unit = parse_unit(read(UNIT))
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
			if 'DEFAULT_' + up in defs:
				with self.subTest(default=key):
					self.assertRegex(
					    words, r'Default: *(Ql +)?%s\b' %
					    re.escape(defs['DEFAULT_' + up]))
				checked += 1
			if 'MAX_' + up in defs:
				with self.subTest(max=key):
					self.assertRegex(words, r'\b%s\b' %
							 defs['MAX_' + up])
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
				 ['0', '1', '64', '78'])

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
			 '--no-pager', UNIT])
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
