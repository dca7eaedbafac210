#!/usr/bin/python3
"""[publish] exec: after each publish that changed files the daemon runs a
command (here a script that copies with rsync -a --from0 --files-from
into a second folder, "the remote", and snapshots it after every run).

With order = safe, at every phase boundary no file of the remote links
(href/src in HTML, Atom and RSS links, sitemap locs, JSON Feed urls) to
a file the remote lacks; the command sees each phase's changed and
removed files; a failing command is logged once and retried until it
succeeds, with the changes made meanwhile; a hanging one is killed (its
whole process group) after [publish] timeout; a file name with a newline
and "$(...)" reaches the command byte for byte and never a shell; runs
never overlap; SIGTERM of the daemon leaves no child running.
"""

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemontest as dt  # noqa: E402
import feedtest as ft  # noqa: E402
import pingtest  # noqa: E402

README = os.path.join(ft.REPO, 'README.md')

# The command. argv: WORKSPACE. Flags in WORKSPACE: 'fail' (exit 3 while
# it holds a number > 0, decremented per try), 'hang' (start a sleep and
# wait for it). Each run is recorded as runs/NNNN.json plus a copy of
# the remote after it, runs/NNNN/.
UPLOAD = r'''
import json, os, subprocess, sys, time
ws = sys.argv[1]
runs = os.path.join(ws, 'runs')
os.makedirs(runs, exist_ok=True)
try:
	fd = os.open(os.path.join(ws, 'running'), os.O_CREAT | os.O_EXCL)
	os.close(fd)
except FileExistsError:
	open(os.path.join(ws, 'overlap'), 'a').close()
def names(var):
	with open(os.environ[var], 'rb') as f:
		return [n for n in f.read().split(b'\0') if n]
def done(rc):
	os.unlink(os.path.join(ws, 'running'))
	sys.exit(rc)
fail = os.path.join(ws, 'fail')
if os.path.exists(fail):
	with open(fail) as f:
		left = int(f.read())
	if left > 0:
		with open(fail, 'w') as f:
			f.write(str(left - 1))
		done(3)
if os.path.exists(os.path.join(ws, 'hang')):
	child = subprocess.Popen(['sleep', '300'])
	with open(os.path.join(ws, 'pids'), 'w') as f:
		f.write('%d %d\n' % (os.getpid(), child.pid))
	child.wait()
	done(0)
out = os.environ['FEEDPUBD_OUTPUT']
remote = os.path.join(ws, 'remote')
os.makedirs(remote, exist_ok=True)
changed, removed = names('FEEDPUBD_CHANGED'), names('FEEDPUBD_REMOVED')
if changed:
	subprocess.run(['rsync', '-a', '--from0',
		'--files-from=' + os.environ['FEEDPUBD_CHANGED'],
		out + '/', remote + '/'], check=True)
if removed:	# the README's way: rsync deletes what the list names
	subprocess.run(['rsync', '-a', '--from0', '--delete-missing-args',
		'--files-from=' + os.environ['FEEDPUBD_REMOVED'],
		out + '/', remote + '/'], check=True)
time.sleep(float(os.environ.get('UPLOAD_SLEEP', '0')))
n = len([x for x in os.listdir(runs) if x.endswith('.json')])
snap = os.path.join(runs, '%04d' % n)
subprocess.run(['cp', '-a', remote, snap], check=True)
with open(snap + '.tmp', 'w') as f:	# whole, for whoever reads runs/
	json.dump({'phase': os.environ['FEEDPUBD_PHASE'], 'cwd': os.getcwd(),
		'output': out, 'changed': [x.hex() for x in changed],
		'removed': [x.hex() for x in removed]}, f)
os.rename(snap + '.tmp', snap + '.json')
done(0)
'''

# The main feeds: every page links them, and they link the pages, so on
# the very first upload to an empty remote one side must come first.
MAIN_FEEDS = {'feed.atom', 'feed.rss', 'feed.json'}
ATOM = '{http://www.w3.org/2005/Atom}'


class Links(html.parser.HTMLParser):
	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.links = []

	def handle_starttag(self, tag, attrs):
		for k, v in attrs:
			if k in ('href', 'src') and v:
				self.links.append(v)


def links_of(path):
	"""The URLs a file of the site links to."""
	if path.endswith('.html'):
		p = Links()
		with open(path, encoding='utf-8') as f:
			p.feed(f.read())
		return p.links
	if path.endswith('.json'):
		with open(path, encoding='utf-8') as f:
			d = json.load(f)
		out = [d.get('home_page_url'), d.get('feed_url')]
		out += [i.get('url') for i in d.get('items', [])]
		return [u for u in out if u]
	if path.endswith(('.atom', '.rss', '.xml')):
		out = []
		for el in ET.parse(path).getroot().iter():
			if el.tag in (ATOM + 'link',) and el.get('href'):
				out.append(el.get('href'))
			elif el.tag.endswith('}loc') or el.tag == 'link':
				if el.text:
					out.append(el.text.strip())
		return out
	return []


def dangling(top):
	"""(file, link) for each link of a file under top to a file of the
	site (under BASE_URL) that top lacks."""
	bad = []
	for d, _, files in os.walk(top):
		for name in files:
			path = os.path.join(d, name)
			rel = os.path.relpath(path, top)
			here = urllib.parse.urljoin(ft.BASE_URL, rel)
			for link in links_of(path):
				url = urllib.parse.urljoin(here, link)
				url = urllib.parse.urldefrag(url)[0].split('?')[0]
				if not url.startswith(ft.BASE_URL):
					continue	# another site, mailto:, the hub
				target = urllib.parse.unquote(url[len(ft.BASE_URL):])
				if target == '' or target.endswith('/'):
					target += 'index.html'
				if not os.path.isfile(os.path.join(top, target)):
					bad.append((rel, target))
	return bad


def tree(top):
	"""Relative path -> bytes of every file under top (names as bytes)."""
	out = {}
	topb = os.fsencode(top)
	for d, _, files in os.walk(topb):
		for name in files:
			p = os.path.join(d, name)
			if name.startswith(b'.'):
				continue
			with open(p, 'rb') as f:
				out[os.path.relpath(p, topb)] = f.read()
	return out


def alive(pid):
	try:
		with open('/proc/%d/stat' % pid) as f:
			return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
	except FileNotFoundError:
		return False


class PublishExecTest(dt.DaemonCase):

	def setUp(self):
		super().setUp()
		self.script = self.ws.path('upload.py')
		with open(self.script, 'w') as f:
			f.write(UPLOAD)
		self.remote = self.ws.path('remote')
		self.runs_dir = self.ws.path('runs')

	def boot(self, order='safe', exec_=None, extra='', env=None):
		exec_ = exec_ or '/usr/bin/python3 %s %s' % (self.script,
			self.ws.dir)
		self.write_config(feed={'json': 'true', 'archives': 'true'},
			extra='\n[publish]\nexec = %s\norder = %s\n%s' %
			(exec_, order, extra))
		return self.start(write_config=False, env=env)

	def runs(self):
		"""Each run's record, oldest first, with 'snap': its copy."""
		out = []
		try:
			names = sorted(os.listdir(self.runs_dir))
		except FileNotFoundError:
			return out
		for n in names:
			if n.endswith('.json'):
				with open(os.path.join(self.runs_dir, n)) as f:
					r = json.load(f)
				r['snap'] = os.path.join(self.runs_dir, n[:-5])
				r['changed'] = [bytes.fromhex(x) for x in r['changed']]
				r['removed'] = [bytes.fromhex(x) for x in r['removed']]
				out.append(r)
		return out

	def wait_synced(self, what='the remote equals the output folder',
			after=0):
		"""Until more than after runs were recorded and the remote
		holds what the output folder holds."""
		self.wait(lambda: len(self.runs()) > after and
			not os.path.exists(self.ws.path('running')) and
			os.path.isdir(self.remote) and
			tree(self.remote) == tree(self.ws.out), what)

	def add_release(self, slug, title, date):
		ft.write_release(self.ws.release(slug + '.md'),
			dt.release_text(title, date))

	def assertNoOverlap(self):
		self.assertFalse(os.path.exists(self.ws.path('overlap')),
			'two runs of the command at once')

	def test_safe_order_never_links_a_missing_file(self):
		self.boot()
		self.wait_synced('the first upload')
		first = self.runs()
		self.assertEqual([r['phase'] for r in first],
			['media', 'pages', 'feeds'])
		for r in first:
			self.assertEqual(r['cwd'], os.path.realpath(self.ws.out))
			self.assertEqual(r['output'], self.ws.out)
			# The first upload to an empty remote: pages link the main
			# feeds, which link the pages; nothing else may dangle.
			bad = [b for b in dangling(r['snap'])
				if b[1] not in MAIN_FEEDS]
			self.assertEqual(bad, [], r['phase'])
		self.assertIn(b'style.css', first[0]['changed'])
		self.assertIn(b'releases/2024-01-10-alfa.html', first[1]['changed'])
		self.assertIn(b'index.html', first[1]['changed'])
		self.assertIn(b'feed.atom', first[2]['changed'])
		self.assertIn(b'sitemap.xml', first[2]['changed'])

		# A new release, an edited one, a deleted one, as one batch.
		with self.daemon.stopped():
			self.add_release('2024-05-05-delta', 'Delta',
				'2024-05-05T10:00:00+02:00')
			ft.write_release(self.ws.release('2024-01-10-alfa.md'),
				dt.release_text('Alfa igen', '2024-01-10T10:00:00+01:00'))
			os.unlink(self.ws.release('2024-02-20-beta.md'))
		self.wait_synced('the second upload', after=len(first))
		second = self.runs()[len(first):]
		phases = [r['phase'] for r in second]
		# A loaded machine may write the site in slices (the feeds once
		# the pages they link are in place, the rest after): then the
		# batch is uploaded in two goes, each in safe order, and the
		# deletion comes last, once.
		self.assertIn(phases, (['pages', 'feeds', 'delete'],
			['pages', 'feeds', 'pages', 'feeds', 'delete'],
			['pages', 'feeds', 'pages', 'delete']), phases)
		for r in second:
			self.assertEqual(dangling(r['snap']), [], r['phase'])
		pages = [r for r in second if r['phase'] == 'pages']
		feeds = [r for r in second if r['phase'] == 'feeds']
		delete = second[-1]
		changed = [f for r in pages for f in r['changed']]
		self.assertIn(b'releases/2024-05-05-delta.html', changed)
		self.assertIn(b'releases/2024-01-10-alfa.html', changed)
		self.assertNotIn(b'style.css', changed)
		self.assertEqual([f for r in pages for f in r['removed']], [])
		self.assertIn(b'feed.atom', feeds[0]['changed'])
		self.assertEqual(delete['changed'], [])
		self.assertEqual(delete['removed'],
			[b'releases/2024-02-20-beta.html'])
		self.assertNoOverlap()

	def test_all_in_one_run_and_no_overlap(self):
		self.boot(order='all', env={'UPLOAD_SLEEP': '0.5'})
		self.wait_synced('the first upload')
		n = len(self.runs())
		self.assertEqual([r['phase'] for r in self.runs()], ['all'])
		# Changes while a run is under way wait for the next one.
		for i in range(5):
			self.add_release('2024-06-0%d-n%d' % (i + 1, i), 'N%d' % i,
				'2024-06-0%dT10:00:00+02:00' % (i + 1))
			time.sleep(0.15)
		os.unlink(self.ws.release('2024-03-30-gamma.txt'))
		self.wait(lambda: not os.path.exists(os.path.join(self.remote,
			'releases', '2024-03-30-gamma.html')), 'the removal uploaded')
		self.wait_synced('the later uploads', after=n)
		later = self.runs()[n:]
		self.assertGreaterEqual(len(later), 1)
		self.assertLess(len(later), 6, 'changes during a run were not '
			'merged into the next')
		self.assertIn(b'releases/2024-03-30-gamma.html',
			[x for r in later for x in r['removed']])
		self.assertNoOverlap()

	def test_hostile_names_never_reach_a_shell(self):
		# A shell form (a redirection): the names still go in files only.
		self.boot(exec_='/usr/bin/python3 %s %s 2>>%s' % (self.script,
			self.ws.dir, self.ws.path('upload.err')))
		self.wait_synced('the first upload')
		# No '/' in a name: the shell would run in the output folder.
		name = 'media/a\n$(touch PWNED)`touch PWNED` ;b.png'
		os.makedirs(os.path.join(self.ws.out, 'media'), exist_ok=True)
		with open(os.path.join(self.ws.out, name), 'wb') as f:
			f.write(b'\x89PNG')
		n = len(self.runs())
		self.add_release('2024-05-05-delta', 'Delta',
			'2024-05-05T10:00:00+02:00')
		self.wait_synced('the upload with the hostile name', after=n)
		later = self.runs()[n:]
		self.assertEqual(later[0]['phase'], 'media')
		self.assertEqual(later[0]['changed'], [name.encode()])
		with open(os.path.join(self.remote, name), 'rb') as f:
			self.assertEqual(f.read(), b'\x89PNG')
		for top in (self.ws.out, self.ws.dir, os.path.join(self.ws.out,
				'media'), '/'):
			self.assertFalse(os.path.exists(os.path.join(top, 'PWNED')),
				'a name reached a shell')

	def test_failure_logged_once_and_retried(self):
		with open(self.ws.path('fail'), 'w') as f:
			f.write('3')
		self.boot(extra='retry_max = 1s\n')
		self.wait(lambda: 'failed: exit status 3' in self.daemon.stderr(),
			'the failure logged')
		# Changed meanwhile: merged into the retry that succeeds.
		self.add_release('2024-05-05-delta', 'Delta',
			'2024-05-05T10:00:00+02:00')
		# Three tries 1 s apart, each a Python start: give it time.
		self.wait(lambda: 'succeeded again' in self.daemon.stderr(),
			'the success logged', timeout=dt.TIMEOUT + 10 * dt.SCALE)
		self.wait_synced('the upload after the failures')
		err = self.daemon.stderr()
		self.assertEqual(err.count('failed: exit status 3'), 1, err)
		self.assertIn('succeeded again, after 3 failed tries', err)
		with open(self.ws.path('fail')) as f:
			self.assertEqual(f.read(), '0')
		self.assertTrue(os.path.exists(os.path.join(self.remote,
			'releases', '2024-05-05-delta.html')))

	def test_hanging_command_killed_after_timeout(self):
		open(self.ws.path('hang'), 'w').close()
		# 3 s: a Python start on a loaded machine took over 1 s, and
		# the runs that should not hang were killed too.
		self.boot(extra='timeout = 3s\nretry_max = 1s\n')
		self.wait(lambda: os.path.exists(self.ws.path('pids')),
			'the command hanging', timeout=dt.TIMEOUT + 3)
		self.wait(lambda: 'killed after 3 s' in self.daemon.stderr(),
			'the timeout logged', timeout=dt.TIMEOUT + 3)
		# Before the retry (1 s later): it must not hang again.
		os.unlink(self.ws.path('hang'))
		os.unlink(self.ws.path('running'))	# the killed run's
		with open(self.ws.path('pids')) as f:
			pids = [int(x) for x in f.read().split()]
		# The whole group: the script and the sleep it started.
		self.wait(lambda: not any(alive(p) for p in pids),
			'the command and its child gone')
		self.wait_synced('the upload once it no longer hangs')
		err = self.daemon.stderr()
		self.assertEqual(err.count('killed after 3 s'), 1, err)

	def test_sigterm_leaves_no_child(self):
		open(self.ws.path('hang'), 'w').close()
		d = self.boot()
		self.wait(lambda: os.path.exists(self.ws.path('pids')),
			'the command running')
		with open(self.ws.path('pids')) as f:
			pids = [int(x) for x in f.read().split()]
		self.assertTrue(all(alive(p) for p in pids))
		t0 = time.monotonic()
		self.assertEqual(d.stop(), 0, d.describe())
		self.assertLess(time.monotonic() - t0, 8 * dt.SCALE)
		self.assertEqual([p for p in pids if alive(p)], [],
			'a child left running after SIGTERM')
		self.assertIn('stopping publish exec', d.stderr())

	def readme_block(self, lang):
		with open(README, encoding='utf-8') as f:
			text = f.read()
		part = text.split('## Publishing beyond this machine', 1)[1]
		return re.search(r'```%s\n(.*?)```' % lang, part, re.S).group(1)

	def test_readme_recipe_served_by_nginx(self):
		nginx = shutil.which('nginx') or '/usr/sbin/nginx'
		if not os.path.exists(nginx):
			self.skipTest('nginx not installed '
				'(scripts/install-deps.sh bench)')
		script = self.readme_block('sh').replace('/srv/www/news/',
			self.remote + '/')
		up = self.ws.path('feedpubd-upload')
		with open(up, 'w') as f:
			f.write(script)
		os.chmod(up, 0o755)
		os.makedirs(self.remote)
		port = pingtest.free_port()
		server = self.readme_block('nginx').replace('listen 80;',
			'listen 127.0.0.1:%d;' % port).replace('/srv/www/news',
			self.remote)
		conf = self.ws.path('nginx.conf')
		with open(conf, 'w') as f:
			f.write('daemon off; master_process off; pid %s;\n'
				'error_log %s;\nevents {}\nhttp {\naccess_log off;\n'
				'client_body_temp_path %s;\n%s}\n' % (
				self.ws.path('nginx.pid'), self.ws.path('nginx.err'),
				self.ws.path('nginx.tmp'), server))
		ng = subprocess.Popen([nginx, '-p', self.ws.dir, '-c', conf],
			stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
		self.addCleanup(ng.wait, 10)
		self.addCleanup(ng.kill)
		self.write_config(extra='\n[publish]\nexec = %s\norder = safe\n'
			% up)
		self.start(write_config=False)

		def get(path):
			r = subprocess.run(['curl', '-s', '-o', '-', '-w',
				'\n%{http_code} %{content_type}',
				'http://127.0.0.1:%d/%s' % (port, path)],
				stdout=subprocess.PIPE, timeout=dt.TIMEOUT)
			body, _, status = r.stdout.rpartition(b'\n')
			return body, status.decode()

		def served(path):
			with open(os.path.join(self.ws.out, path), 'rb') as f:
				return get(path)[0] == f.read()
		self.wait(lambda: served('feed.atom') and served('index.html'),
			'nginx serving the copy')
		self.assertEqual(get('feed.atom')[1],
			'200 application/atom+xml')
		page = 'releases/2024-02-20-beta.html'
		self.assertEqual(get(page)[1].split()[0], '200')
		os.unlink(self.ws.release('2024-02-20-beta.md'))
		self.wait(lambda: get(page)[1].split()[0] == '404',
			'the removed page gone from the copy')
		self.wait(lambda: served('feed.atom'), 'the new feed served')
		self.assertEqual(dangling(self.remote), [])

	def test_bad_order_is_a_config_error(self):
		self.write_config(extra='\n[publish]\nexec = true\norder = fast\n')
		run = self.ws.run('--check')
		self.assertNotEqual(run.returncode, 0)
		self.assertIn("invalid order 'fast'", run.stderr)


if __name__ == '__main__':
	dt.main()
