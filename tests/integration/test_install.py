"""`cmake --install` puts every file where the unit and the docs say."""
import os
import subprocess
import tempfile
import unittest

BUILD = os.path.dirname(os.environ.get(
	'FEEDPUBD', os.path.join(os.path.dirname(__file__), '../../build/feedpubd')))


def pkg_var(var):
	r = subprocess.run(['pkg-config', '--variable=' + var, 'systemd'],
		capture_output=True, text=True)
	return r.stdout.strip() or None


class Install(unittest.TestCase):
	def test_install_tree(self):
		with tempfile.TemporaryDirectory() as dest:
			env = dict(os.environ, DESTDIR=dest)
			r = subprocess.run(['cmake', '--install', BUILD, '--prefix', '/usr'],
				env=env, capture_output=True, text=True, timeout=120)
			self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
			unitdir = pkg_var('systemdsystemunitdir') or '/usr/lib/systemd/system'
			want = [
				'usr/sbin/feedpubd',
				unitdir.lstrip('/') + '/feedpubd.service',
				'etc/feedpubd/feedpubd.conf',
				'usr/share/man/man8/feedpubd.8',
				'usr/share/man/man5/feedpubd.conf.5',
				'usr/share/doc/feedpubd/README.md',
			]
			for rel in want:
				self.assertTrue(os.path.isfile(os.path.join(dest, rel)), rel)
			binary = os.path.join(dest, 'usr/sbin/feedpubd')
			self.assertTrue(os.access(binary, os.X_OK))
			# The unit starts exactly the installed binary and config.
			with open(os.path.join(dest, unitdir.lstrip('/'),
					'feedpubd.service')) as f:
				unit = f.read()
			self.assertIn('ExecStart=/usr/sbin/feedpubd --config '
				'/etc/feedpubd/feedpubd.conf', unit)
			# The installed binary runs.
			r = subprocess.run([binary, '--version'], capture_output=True,
				text=True, timeout=30)
			self.assertEqual(r.stdout.strip().split()[0], 'feedpubd')


if __name__ == '__main__':
	unittest.main()
