"""Shared helpers for feedpubd's integration tests.

Each test gets its own temp folder holding a config, a copy of a fixture
corpus (tests/data/corpus/NAME) as "releases" and the output folder. The
binary comes from $FEEDPUBD, the fixtures from $TESTDATA and the Atom schema
from $SHARED/schemas (ctest sets all three; the defaults suit a manual run
from a checkout with a build/ folder).
"""

import calendar
import datetime
import email.utils
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FEEDPUBD = os.environ.get('FEEDPUBD') or os.path.join(REPO, 'build', 'feedpubd')
TESTDATA = os.environ.get('TESTDATA') or os.path.join(REPO, 'tests', 'data')
SHARED = os.environ.get('SHARED') or os.path.join(REPO, '..', 'shared')
CORPUS = os.path.join(TESTDATA, 'corpus')
ATOM_RNG = os.path.join(SHARED, 'schemas', 'atom.rng')
TIMEOUT = 60

# $VALGRIND=1 (`make valgrind`): every feedpubd the tests start runs under
# memcheck. An error or a definite leak makes it exit 99, which fails the
# test that ran it; each process logs to $VALGRIND_LOGS/PID.log (quiet:
# empty when clean), which `make valgrind` sums up.
VALGRIND = bool(os.environ.get('VALGRIND'))
VALGRIND_LOGS = os.environ.get('VALGRIND_LOGS') or '/tmp/feedpubd-valgrind'
if VALGRIND:
	TIMEOUT *= 10


def wrap(argv):
	"""argv, under valgrind when $VALGRIND is set."""
	if not VALGRIND:
		return argv
	os.makedirs(VALGRIND_LOGS, exist_ok=True)
	# A daemon a test runs as nobody logs here too.
	os.chmod(VALGRIND_LOGS, 0o1777)
	# The daemon links jemalloc: memcheck watches its malloc too.
	return ['valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
		'--soname-synonyms=somalloc=*jemalloc*',
		'--errors-for-leak-kinds=definite', '--show-leak-kinds=definite',
		'--log-file=%s/%%p.log' % VALGRIND_LOGS] + argv

ATOM_NS = 'http://www.w3.org/2005/Atom'
NS = {
	'a': ATOM_NS,
	'atom': ATOM_NS,
	'content': 'http://purl.org/rss/1.0/modules/content/',
	'dc': 'http://purl.org/dc/elements/1.1/',
}
XML_LANG = '{http://www.w3.org/XML/1998/namespace}lang'

# Characters XML 1.0 forbids: C0 controls but TAB/LF/CR, U+FFFE, U+FFFF.
XML_FORBIDDEN = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')

BASE_URL = 'https://news.example.org/'
FEED_TITLE = 'Nyheter från Exempelstad'
FEED_SUBTITLE = 'Pressmeddelanden & nyheter från kommunen'
FEED_AUTHOR = 'Kommunikationsavdelningen'


def default_feed():
	"""The [feed] section most tests use (an ordered dict: line numbers)."""
	return {
		'title': FEED_TITLE,
		'subtitle': FEED_SUBTITLE,
		'base_url': BASE_URL,
		'author': FEED_AUTHOR,
		'language': 'sv',
		'timezone': 'Europe/Stockholm',
		'max_entries': '50',
		'tag_date': '2000',
	}


def default_paths():
	return {'releases': 'releases', 'output': 'out', 'state': 'state'}


def config_text(feed=None, paths=None, daemon=None, extra=''):
	"""INI text. A value of None drops that key; extra is appended as is."""
	out = ['# feedpubd integration test config', '']
	for name, sect in (('feed', feed), ('paths', paths), ('daemon', daemon)):
		if sect is None:
			continue
		out.append('[%s]' % name)
		for k, v in sect.items():
			if v is not None:
				out.append('%s = %s' % (k, v))
		out.append('')
	return '\n'.join(out) + extra


def line_of(text, needle):
	"""1-based number of the first line of text that contains needle."""
	for i, line in enumerate(text.split('\n'), 1):
		if needle in line:
			return i
	raise AssertionError('%r not in config text' % needle)


def utc_epoch(s):
	"""Epoch seconds of an RFC 3339 string."""
	s = s.strip().replace('Z', '+00:00').replace('z', '+00:00')
	return int(datetime.datetime.fromisoformat(s).timestamp())


def rfc822_epoch(s):
	return int(email.utils.parsedate_to_datetime(s.strip()).timestamp())


def struct_epoch(st):
	"""feedparser's *_parsed values are UTC struct_times."""
	return calendar.timegm(st)


def require_binary():
	if not (os.path.isfile(FEEDPUBD) and os.access(FEEDPUBD, os.X_OK)):
		raise RuntimeError('feedpubd binary not found at %r (set FEEDPUBD)'
			% FEEDPUBD)


class Run:
	"""A finished run of feedpubd: args, returncode, stdout, stderr (str)."""

	def __init__(self, args, proc):
		self.args = args
		self.returncode = proc.returncode
		self.stdout = proc.stdout.decode('utf-8', 'replace')
		self.stderr = proc.stderr.decode('utf-8', 'replace')

	def describe(self):
		return ('command: %s\nexit: %d\n--- stdout ---\n%s--- stderr ---\n%s'
			% (' '.join(self.args), self.returncode, self.stdout,
			self.stderr))

	def stderr_lines(self):
		return [l for l in self.stderr.split('\n') if l.strip()]


def run_feedpubd(*args, cwd='/', env=None):
	"""Run the binary (cwd '/' so no path can silently depend on the cwd)."""
	require_binary()
	argv = [FEEDPUBD] + [str(a) for a in args]
	e = dict(os.environ)
	if env:
		e.update(env)
	proc = subprocess.run(wrap(argv), stdin=subprocess.DEVNULL,
		stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=e,
		timeout=TIMEOUT)
	return Run(argv, proc)


def xmllint(*args):
	proc = subprocess.run(['xmllint'] + list(args), stdout=subprocess.PIPE,
		stderr=subprocess.PIPE, timeout=TIMEOUT)
	return proc.returncode, proc.stderr.decode('utf-8', 'replace')


def set_mtime(path, iso_utc):
	t = utc_epoch(iso_utc)
	os.utime(path, (t, t))


def write_release(path, text):
	os.makedirs(os.path.dirname(path), exist_ok=True)
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text)


class Workspace:
	"""A temp folder with a config, a releases copy and an output path."""

	def __init__(self, corpus=None):
		self.dir = tempfile.mkdtemp(prefix='feedpubd-itest-')
		self.releases = os.path.join(self.dir, 'releases')
		self.out = os.path.join(self.dir, 'out')
		self.config = os.path.join(self.dir, 'feedpubd.conf')
		self.config_src = ''
		if corpus is None:
			os.makedirs(self.releases)
		else:
			shutil.copytree(os.path.join(CORPUS, corpus), self.releases,
				symlinks=True)

	def cleanup(self):
		shutil.rmtree(self.dir, ignore_errors=True)

	def path(self, *rel):
		return os.path.join(self.dir, *rel)

	def release(self, rel):
		return os.path.join(self.releases, rel)

	def write_config(self, feed=None, paths=None, daemon=None, extra='',
			text=None):
		if text is None:
			text = config_text(default_feed() if feed is None else feed,
				default_paths() if paths is None else paths, daemon,
				extra)
		self.config_src = text
		with open(self.config, 'w', encoding='utf-8') as f:
			f.write(text)
		return self.config

	def run(self, *args, **kw):
		return run_feedpubd('--config', self.config, *args, **kw)

	@property
	def atom(self):
		return os.path.join(self.out, 'feed.atom')

	@property
	def rss(self):
		return os.path.join(self.out, 'feed.rss')


def text_of(el, path):
	"""Text of the first match of path under el ('' when absent)."""
	found = el.find(path, NS)
	if found is None:
		return None
	return found.text or ''


class Feeds:
	"""Both feeds parsed with ElementTree, entries keyed by title."""

	def __init__(self, ws):
		self.atom_root = ET.parse(ws.atom).getroot()
		self.rss_root = ET.parse(ws.rss).getroot()
		self.channel = self.rss_root.find('channel')
		self.entries = self.atom_root.findall('a:entry', NS)
		self.items = self.channel.findall('item') if \
			self.channel is not None else []
		with open(ws.atom, encoding='utf-8') as f:
			self.atom_text = f.read()
		with open(ws.rss, encoding='utf-8') as f:
			self.rss_text = f.read()

	def atom_titles(self):
		return [text_of(e, 'a:title') for e in self.entries]

	def rss_titles(self):
		return [text_of(i, 'title') for i in self.items]

	def entry(self, title):
		for e in self.entries:
			if text_of(e, 'a:title') == title:
				return e
		raise AssertionError('no Atom entry titled %r; titles: %r'
			% (title, self.atom_titles()))

	def item(self, title):
		for i in self.items:
			if text_of(i, 'title') == title:
				return i
		raise AssertionError('no RSS item titled %r; titles: %r'
			% (title, self.rss_titles()))


class FeedCase(unittest.TestCase):
	"""Assertions shared by the test scripts."""

	maxDiff = None

	def new_workspace(self, corpus=None):
		ws = Workspace(corpus)
		self.addCleanup(ws.cleanup)
		return ws

	def assertRunOK(self, run):
		self.assertEqual(run.returncode, 0, run.describe())

	def assertWellFormed(self, path):
		rc, err = xmllint('--noout', path)
		self.assertEqual(rc, 0, 'xmllint --noout %s:\n%s' % (path, err))

	def assertAtomSchema(self, path):
		if not os.path.exists(ATOM_RNG):
			print('SKIP: ../shared/schemas/atom.rng not found',
				file=sys.stderr)
			self.skipTest('../shared/schemas/atom.rng not found')
		rc, err = xmllint('--noout', '--relaxng', ATOM_RNG, path)
		self.assertEqual(rc, 0, 'RELAX NG (%s) on %s:\n%s'
			% (ATOM_RNG, path, err))

	def assertFeedparserOK(self, path):
		import feedparser
		d = feedparser.parse(path)
		self.assertEqual(d.bozo, 0, 'feedparser bozo on %s: %r'
			% (path, d.get('bozo_exception')))
		return d

	# What [pages] (on by default) writes beside the feeds.
	SITE_FILES = ('archive', 'index.html', 'releases', 'robots.txt',
		'sitemap-news.xml', 'sitemap.xml', 'style.css')

	def assertOnlyFeeds(self, out):
		"""The output folder holds the feeds (and the site) and no temp
		leftovers."""
		names = sorted(os.listdir(out))
		self.assertIn('feed.atom', names)
		self.assertIn('feed.rss', names)
		extra = [n for n in names if n not in
			('feed.atom', 'feed.rss', 'feed.json') + self.SITE_FILES]
		self.assertEqual(extra, [], 'unexpected files in %s' % out)
		for sub in ('archive', 'releases'):
			if os.path.isdir(os.path.join(out, sub)):
				hidden = [n for n in os.listdir(os.path.join(out, sub))
					if n.startswith('.')]
				self.assertEqual(hidden, [], 'temp files in %s/%s'
					% (out, sub))

	def assertNoForbiddenChars(self, path):
		with open(path, encoding='utf-8') as f:
			text = f.read()
		m = XML_FORBIDDEN.search(text)
		if m is not None:
			self.fail('%s holds forbidden character %r at offset %d'
				% (path, m.group(), m.start()))

	def assertLines(self, run, needle, count=1):
		"""Exactly count lines of stderr contain needle."""
		hits = [l for l in run.stderr_lines() if needle in l]
		self.assertEqual(len(hits), count, 'lines with %r: %r\n%s'
			% (needle, hits, run.describe()))
		return hits


class OnceCase(FeedCase):
	"""Tests sharing one --once run over a corpus, made by setUpClass."""

	@classmethod
	def run_once(cls, corpus, prepare, parse_if):
		"""Copy corpus to cls.ws, call prepare(ws), run --once (cls.run_).
		cls.feeds: the feeds parsed when parse_if(ws, run) holds, else
		None; cls.parse_error: why they did not parse, so each test that
		needs them can say so instead of the whole class erroring."""
		cls.ws = Workspace(corpus)
		try:
			prepare(cls.ws)
			cls.run_ = cls.ws.run('--once')
			cls.feeds, cls.parse_error = None, None
			if parse_if(cls.ws, cls.run_):
				try:
					cls.feeds = Feeds(cls.ws)
				except Exception as e:
					cls.parse_error = e
		except BaseException:
			cls.ws.cleanup()
			raise

	@classmethod
	def tearDownClass(cls):
		cls.ws.cleanup()
