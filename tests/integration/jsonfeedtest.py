"""JSON Feed 1.1 checks for the integration tests: a checker of the
spec's required fields and types written here from the spec, and the
schema tests/data/schemas/jsonfeed-1.1.json through python3-jsonschema
(Debian's). Either fails on a feed that misses a required field."""

import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import feedtest as ft  # noqa: E402

VERSION = 'https://jsonfeed.org/version/1.1'
SCHEMA = os.path.join(ft.TESTDATA, 'schemas', 'jsonfeed-1.1.json')
RFC3339 = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?'
	r'(Z|[+-]\d\d:\d\d)$')


def problems(doc):
	"""What doc gets wrong against JSON Feed 1.1 (empty: nothing)."""
	out = []

	def want(obj, key, kind, where, required=False):
		if key not in obj:
			if required:
				out.append('%s: no "%s"' % (where, key))
			return None
		if not isinstance(obj[key], kind):
			out.append('%s: "%s" is %s' % (where, key,
				type(obj[key]).__name__))
			return None
		return obj[key]

	def authors(obj, where):
		for i, a in enumerate(want(obj, 'authors', list, where) or []):
			if not isinstance(a, dict) or not a:
				out.append('%s: author %d is empty' % (where, i))
			elif not isinstance(a.get('name', ''), str):
				out.append('%s: author %d name' % (where, i))

	if not isinstance(doc, dict):
		return ['the document is not an object']
	if want(doc, 'version', str, 'feed', True) not in (None, VERSION):
		out.append('feed: version %r' % doc['version'])
	want(doc, 'title', str, 'feed', True)
	for k in ('home_page_url', 'feed_url', 'description', 'language'):
		want(doc, k, str, 'feed')
	authors(doc, 'feed')
	for i, h in enumerate(want(doc, 'hubs', list, 'feed') or []):
		if not isinstance(h, dict):
			out.append('hub %d is not an object' % i)
			continue
		want(h, 'type', str, 'hub %d' % i, True)
		want(h, 'url', str, 'hub %d' % i, True)
	ids = set()
	for i, it in enumerate(want(doc, 'items', list, 'feed', True) or []):
		where = 'item %d' % i
		if not isinstance(it, dict):
			out.append(where + ' is not an object')
			continue
		iid = want(it, 'id', str, where, True)
		if iid in ids:
			out.append('%s: id %r twice' % (where, iid))
		ids.add(iid)
		if 'content_html' not in it and 'content_text' not in it:
			out.append(where + ': neither content_html nor content_text')
		for k in ('url', 'title', 'content_html', 'content_text',
				'summary', 'image', 'language'):
			want(it, k, str, where)
		for k in ('date_published', 'date_modified'):
			v = want(it, k, str, where)
			if v is not None and not RFC3339.match(v):
				out.append('%s: %s %r is not RFC 3339' % (where, k, v))
		tags = want(it, 'tags', list, where) or []
		if not all(isinstance(t, str) for t in tags):
			out.append(where + ': a tag is not a string')
		authors(it, where)
	return out


def load(path):
	with open(path, 'rb') as f:
		raw = f.read()
	return json.loads(raw.decode('utf-8'))


class Checks:
	"""Mixed into a FeedCase."""

	def assertJsonFeed(self, path):
		doc = load(path)
		self.assertEqual(problems(doc), [], path)
		try:
			import jsonschema
		except ImportError:
			print('SKIP: python3-jsonschema not installed: the schema '
				'check of %s' % path, file=sys.stderr)
			return doc
		with open(SCHEMA, encoding='utf-8') as f:
			schema = json.load(f)
		jsonschema.Draft7Validator.check_schema(schema)
		errs = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc),
			key=str)
		self.assertEqual([e.message for e in errs], [], path)
		return doc
