"""`cmake --install`: every file where the unit and the docs say.

Each test installs the build ($FEEDPUBD's folder) into its own DESTDIR:
the tree and the unit for --prefix /usr and /usr/local (the unit's
ExecStart= follows the prefix; `systemd-analyze verify --root` checks the
installed unit), an existing /etc/feedpubd/feedpubd.conf kept like a Debian
conffile, the manifest the README's uninstall removes, and, as root with
systemd-sysusers, systemd-tmpfiles and unshare, the sysusers and tmpfiles
files applied to the temp root: who may write to the releases folder.

Tools that are missing are skipped with the reason printed.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.dirname(os.environ.get(
	'FEEDPUBD', os.path.join(REPO, 'build', 'feedpubd')))
EXAMPLE_CONF = os.path.join(REPO, 'config', 'feedpubd.conf')
CONF = 'etc/feedpubd/feedpubd.conf'
TIMEOUT = 120


def say(msg):
	print('test_install: ' + msg, file=sys.stderr)


def pkg_var(var, default):
	r = subprocess.run(['pkg-config', '--variable=' + var, 'systemd'],
		capture_output=True, text=True)
	return (r.stdout.strip() or default).lstrip('/')


UNITDIR = pkg_var('systemdsystemunitdir', '/usr/lib/systemd/system')
SYSUSERSDIR = pkg_var('sysusersdir', '/usr/lib/sysusers.d')
TMPFILESDIR = pkg_var('tmpfilesdir', '/usr/lib/tmpfiles.d')


def read(path):
	with open(path, encoding='utf-8') as f:
		return f.read()


def unit_value(text, key):
	"""The last key= of the installed unit."""
	found = [l.split('=', 1)[1] for l in text.splitlines()
		 if l.startswith(key + '=')]
	return found[-1] if found else None


class Installs(unittest.TestCase):
	"""A DESTDIR per test, removed after it."""

	def setUp(self):
		self.dest = tempfile.mkdtemp(prefix='feedpubd-install-')
		os.chmod(self.dest, 0o755)	# for the editors' uids below
		self.addCleanup(shutil.rmtree, self.dest, ignore_errors=True)

	def path(self, rel):
		return os.path.join(self.dest, rel.lstrip('/'))

	def install(self, prefix='/usr'):
		r = subprocess.run(['cmake', '--install', BUILD, '--prefix',
				    prefix],
			env=dict(os.environ, DESTDIR=self.dest),
			capture_output=True, text=True, timeout=TIMEOUT)
		self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
		return r.stdout

	def manifest(self):
		"""install_manifest.txt of the last install (no DESTDIR)."""
		return read(os.path.join(BUILD, 'install_manifest.txt')).split()


class Tree(Installs):
	def test_install_tree(self):
		self.install('/usr')
		want = [
			'usr/sbin/feedpubd',
			UNITDIR + '/feedpubd.service',
			UNITDIR + '/feedpubd.socket',
			SYSUSERSDIR + '/feedpubd.conf',
			TMPFILESDIR + '/feedpubd.conf',
			CONF,
			'usr/share/man/man8/feedpubd.8',
			'usr/share/man/man5/feedpubd.conf.5',
			'usr/share/doc/feedpubd/README.md',
		]
		for rel in want:
			self.assertTrue(os.path.isfile(self.path(rel)), rel)
		self.assertEqual(read(self.path(CONF)), read(EXAMPLE_CONF))
		self.assertFalse(os.path.exists(self.path(CONF + '.example')))
		binary = self.path('usr/sbin/feedpubd')
		self.assertTrue(os.access(binary, os.X_OK))
		# The installed binary runs.
		r = subprocess.run([binary, '--version'], capture_output=True,
			text=True, timeout=30)
		self.assertEqual(r.stdout.strip().split()[0], 'feedpubd')


class UnitFollowsPrefix(Installs):
	"""The unit starts the binary this install wrote, with the config at
	/etc/feedpubd whatever the prefix (the binary's own default)."""

	def check_prefix(self, prefix):
		self.install(prefix)
		binary = prefix + '/sbin/feedpubd'
		self.assertTrue(os.access(self.path(binary), os.X_OK), binary)
		unit = read(self.path(UNITDIR + '/feedpubd.service'))
		self.assertNotRegex(unit, r'@\w+@')
		self.assertEqual(unit_value(unit, 'ExecStart'),
				 binary + ' --config /etc/feedpubd/feedpubd.conf')
		self.verify(prefix)

	def verify(self, prefix):
		"""systemd-analyze verify --root=DESTDIR: ExecStart= must name
		an executable in the tree, man: pages must be found there."""
		tool = shutil.which('systemd-analyze')
		if tool is None:
			say('systemd-analyze not installed: not verified')
			return
		# What the unit needs from the system: kill for ExecReload=,
		# the targets it orders itself after.
		kill = shutil.which('kill', path='/usr/bin:/bin')
		os.makedirs(self.path('usr/bin'), exist_ok=True)
		shutil.copy(kill, self.path('usr/bin/kill'))
		if not os.path.lexists(self.path('bin')):
			os.symlink('usr/bin', self.path('bin'))
		host_units = '/' + UNITDIR
		for name in os.listdir(host_units):
			src = os.path.join(host_units, name)
			if name.endswith('.target') and os.path.exists(src):
				shutil.copy(src, self.path(UNITDIR))
		argv = [tool, 'verify', '--root=' + self.dest]
		env = dict(os.environ)
		if shutil.which('man'):
			env['MANPATH'] = self.path(prefix + '/share/man')
		else:
			argv.append('--man=no')
		unit = self.path(UNITDIR + '/feedpubd.service')
		r = subprocess.run(argv + [unit], env=env, capture_output=True,
				   text=True, timeout=TIMEOUT)
		if 'unrecognized option' in r.stderr:
			say('systemd-analyze verify has no --root: not verified')
			return
		self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ''))
		# And it does look for the binary in the tree.
		os.rename(self.path(prefix + '/sbin/feedpubd'),
			  self.path('feedpubd.moved'))
		r = subprocess.run(argv + [unit], env=env, capture_output=True,
				   text=True, timeout=TIMEOUT)
		self.assertNotEqual(r.returncode, 0)
		self.assertIn('Command %s/sbin/feedpubd is not executable'
			      % prefix, r.stderr)

	def test_prefix_usr(self):
		self.check_prefix('/usr')

	def test_prefix_usr_local(self):
		self.check_prefix('/usr/local')

	def test_reinstall_with_another_prefix(self):
		"""The unit is rewritten even within the same second."""
		self.install('/usr/local')
		self.install('/usr')
		unit = read(self.path(UNITDIR + '/feedpubd.service'))
		self.assertEqual(unit_value(unit, 'ExecStart').split()[0],
				 '/usr/sbin/feedpubd')


class ConfigKept(Installs):
	"""/etc/feedpubd/feedpubd.conf is the operator's once it exists."""

	def test_changed_config_kept_example_beside_it(self):
		out = self.install()
		self.assertIn('/' + CONF, self.manifest())
		self.assertIn('Installing: %s' % self.path(CONF), out)
		conf = self.path(CONF)
		edited = read(conf).replace('base_url = https://news.example.org/',
			'base_url = https://press.norrvik.example/')
		self.assertNotEqual(edited, read(conf))
		with open(conf, 'w', encoding='utf-8') as f:
			f.write(edited)
		out = self.install()
		self.assertEqual(read(conf), edited)
		self.assertEqual(read(conf + '.example'), read(EXAMPLE_CONF))
		self.assertIn('Keeping: %s' % conf, out)
		self.assertIn('Installing: %s.example' % conf, out)
		# So `xargs rm < install_manifest.txt` leaves the config.
		self.assertNotIn('/' + CONF, self.manifest())
		self.assertIn('/' + CONF + '.example', self.manifest())
		# A third time: still kept.
		self.install()
		self.assertEqual(read(conf), edited)

	def test_unchanged_config_no_example(self):
		self.install()
		self.install()
		self.assertEqual(read(self.path(CONF)), read(EXAMPLE_CONF))
		self.assertFalse(os.path.exists(self.path(CONF + '.example')))


class Uninstall(Installs):
	"""The README's `xargs rm < build/install_manifest.txt` removes every
	file the install wrote."""

	def test_manifest_lists_every_file(self):
		self.install('/usr/local')
		listed = self.manifest()
		self.assertIn('/usr/local/sbin/feedpubd', listed)
		self.assertIn('/%s/feedpubd.service' % UNITDIR, listed)
		for path in listed:
			os.remove(self.path(path))
		left = [os.path.join(d, f) for d, _, files in os.walk(self.dest)
			for f in files]
		self.assertEqual(left, [])


class SysusersTmpfiles(Installs):
	"""The installed sysusers.d and tmpfiles.d files, applied to the
	DESTDIR as a root (as root only: tmpfiles resolves names through the
	host's NSS, so the root's passwd and group are bound over the host's in
	a mount namespace of its own)."""

	ANNA, BOB = 61001, 61002	# two editors, not in any passwd

	def setUp(self):
		super().setUp()
		for tool in ('systemd-sysusers', 'systemd-tmpfiles', 'unshare'):
			if shutil.which(tool) is None:
				self.skipTest(tool + ' not installed')
		if os.geteuid() != 0:
			self.skipTest('not root')
		self.install()
		os.makedirs(self.path('etc'), exist_ok=True)
		r = subprocess.run(['systemd-sysusers', '--root=' + self.dest,
				    'feedpubd.conf'], capture_output=True,
				   text=True, timeout=TIMEOUT)
		self.assertEqual(r.returncode, 0, r.stderr)
		script = ('mount --bind "$1/etc/passwd" /etc/passwd && '
			  'mount --bind "$1/etc/group" /etc/group && '
			  'exec systemd-tmpfiles --create --root="$1" '
			  'feedpubd.conf')
		r = subprocess.run(['unshare', '--mount', 'sh', '-c', script,
				    'sh', self.dest], capture_output=True,
				   text=True, timeout=TIMEOUT)
		if r.returncode != 0 and 'unshare' in r.stderr:
			self.skipTest('no mount namespace here: ' + r.stderr)
		self.assertEqual(r.returncode, 0, r.stderr)
		self.users = {l.split(':')[0]: l.split(':') for l in
			      read(self.path('etc/passwd')).splitlines()}
		self.groups = {l.split(':')[0]: l.split(':') for l in
			       read(self.path('etc/group')).splitlines()}
		self.releases = self.path('srv/newsroom/releases')

	def test_users_and_groups(self):
		self.assertIn('feedpubd', self.users)
		self.assertIn('feedpubd-editors', self.groups)
		# feedpubd only reads the releases: not an editor.
		self.assertEqual(self.groups['feedpubd-editors'][3], '')
		self.assertNotEqual(self.users['feedpubd'][3],
				    self.groups['feedpubd-editors'][2])

	def test_folders(self):
		st = os.stat(self.releases)
		self.assertEqual(stat.S_IMODE(st.st_mode), 0o2775)
		self.assertEqual(st.st_uid, 0)
		self.assertEqual(st.st_gid,
				 int(self.groups['feedpubd-editors'][2]))
		out = os.stat(self.path('var/www/feedpubd'))
		self.assertEqual(stat.S_IMODE(out.st_mode), 0o755)
		self.assertEqual(out.st_uid, int(self.users['feedpubd'][2]))

	def as_user(self, uid, groups, script):
		"""sh -c script as uid (gid = uid) with these extra groups,
		umask 022, in the releases folder."""
		def become():
			os.setgroups(groups)
			os.setresgid(uid, uid, uid)
			os.setresuid(uid, uid, uid)
		return subprocess.run(['sh', '-c', 'umask 022; ' + script],
				      cwd=self.releases, preexec_fn=become,
				      capture_output=True, text=True,
				      timeout=TIMEOUT)

	def test_editors_write_feedpubd_reads(self):
		editors = [int(self.groups['feedpubd-editors'][2])]
		r = self.as_user(self.ANNA, editors,
				 'echo anna > a.md && mkdir 2026 && '
				 'echo anna > 2026/b.md')
		self.assertEqual(r.returncode, 0, r.stderr)
		for rel in ('a.md', '2026', '2026/b.md'):
			st = os.stat(os.path.join(self.releases, rel))
			self.assertEqual(st.st_gid, editors[0], rel)
		# Another editor changes anna's files, umask 022 or not.
		r = self.as_user(self.BOB, editors,
				 'echo bob >> a.md && echo bob >> 2026/b.md && '
				 'echo bob > 2026/c.md')
		self.assertEqual(r.returncode, 0, r.stderr)
		self.assertEqual(read(os.path.join(self.releases, 'a.md')),
				 'anna\nbob\n')
		# feedpubd reads them all and writes none.
		uid = int(self.users['feedpubd'][2])
		r = self.as_user(uid, [], 'cat a.md 2026/b.md 2026/c.md')
		self.assertEqual((r.returncode, r.stdout),
				 (0, 'anna\nbob\nanna\nbob\nbob\n'), r.stderr)
		for script in ('echo x >> a.md', 'echo x > new.md',
			       'echo x > 2026/new.md'):
			r = self.as_user(uid, [], script)
			self.assertNotEqual(r.returncode, 0, script)
			self.assertIn('Permission denied', r.stderr)
		# Nor can a user outside the group.
		r = self.as_user(self.BOB, [], 'echo x > new.md')
		self.assertIn('Permission denied', r.stderr)


if __name__ == '__main__':
	unittest.main(verbosity=2)
