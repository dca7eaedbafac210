/*
 * release: one release file -> struct release. See release.h.
 */
#include "release.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <md4c-html.h>
#include <md4c.h>
#include <yaml.h>

#include "text.h"
#include "url.h"

#define SUMMARY_CHARS 300

/*
 * libyaml's time grows faster than the square of the nesting of flow
 * collections ("k: [[[[...": 20 000 deep took seconds, 200 000 minutes),
 * so front matter past these limits is refused before it is parsed.
 * Block (indented) nesting costs libyaml linear time and is bounded by the
 * size alone.
 */
#define FM_MAX_BYTES	(64 * 1024)
#define FM_MAX_DEPTH	32	/* '[' and '{' open at once */
#define FM_MAX_OPENS	1024	/* '[' and '{' in all, quoted or not */

static int fail(struct release_error *err, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct release_error *err, size_t line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	err->errnum = 0;
	err->transient = false;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Like fail(), for when reading failed with errno e. */
static int
fail_read(struct release_error *err, int e, const char *what)
{
	fail(err, 0, "%s: %s", what, strerror(e));
	err->errnum = e;
	switch (e) {
	case EMFILE:
	case ENFILE:
	case EINTR:
	case EAGAIN:
	case ENOMEM:
		err->transient = true;
		break;
	default:
		break;
	}
	return -1;
}

/* Out of memory: likely to pass, so transient too. */
static int
fail_oom(struct release_error *err)
{
	fail(err, 0, "out of memory");
	err->transient = true;
	return -1;
}

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

int
release_format_of(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || name[0] == '.' || name[0] == '#' || name[n - 1] == '~')
		return -1;
	if (ends_with(name, n, ".md") || ends_with(name, n, ".markdown"))
		return RELEASE_MARKDOWN;
	if (ends_with(name, n, ".txt"))
		return RELEASE_TEXT;
	return -1;	/* .swp, .tmp and the rest */
}

static size_t
line_of(const char *s, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += s[i] == '\n';
	return line;
}

/* A copy of buf without a UTF-8 BOM and with CRLF turned into LF. */
static char *
normalise(const char *buf, size_t len, size_t *outlen)
{
	char *t, *w;

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	if ((t = malloc(len + 1)) == NULL)
		return NULL;
	w = t;
	/* Copy the runs between CRs whole: most files have none. */
	for (const char *p = buf, *end = buf + len, *cr; p < end; p = cr + 1) {
		if ((cr = memchr(p, '\r', (size_t)(end - p))) == NULL)
			cr = end;
		memcpy(w, p, (size_t)(cr - p));
		w += cr - p;
		if (cr < end && (cr + 1 == end || cr[1] != '\n'))
			*w++ = '\r';	/* a lone CR stays */
	}
	*w = '\0';
	*outlen = (size_t)(w - t);
	return t;
}

/* Length of the line at s, without its '\n'. */
static size_t
line_len(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? (size_t)(nl - s) : strlen(s);
}

static bool
is_fence(const char *s, size_t n, const char *fence)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == 3 && memcmp(s, fence, 3) == 0;
}

/*
 * Find a front matter block: "---" on the first line, closed by "---" or
 * "..." on a line of its own. Sets fm_off/fm_len and body_off.
 */
static int
split_front_matter(struct release *r, struct release_error *err)
{
	const char *t = r->text, *p;
	size_t n = line_len(t);

	r->fm_off = r->fm_len = r->body_off = 0;
	r->body_line = 1;
	if (!is_fence(t, n, "---") || t[n] != '\n')
		return 0;
	r->fm_off = n + 1;
	for (p = t + r->fm_off; *p != '\0'; p += n + 1) {
		n = line_len(p);
		if (is_fence(p, n, "---") || is_fence(p, n, "...")) {
			r->fm_len = (size_t)(p - t) - r->fm_off;
			r->body_off = (size_t)(p - t) + n + (p[n] == '\n');
			r->body_line = line_of(t, r->body_off);
			return 0;
		}
		if (p[n] == '\0')
			break;
	}
	return fail(err, 1, "front matter is not closed: no '---' line after "
	    "the opening one");
}

static char *
scalar(yaml_node_t *n)
{
	return strndup((const char *)n->data.scalar.value,
	    n->data.scalar.length);
}

static char *
trimmed_dup(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A string, or a list of strings (tags, authors); a repeated key wins. */
static int
string_list(yaml_document_t *doc, yaml_node_t *v, char ***out, size_t *nout)
{
	yaml_node_item_t *it;
	size_t n = 0;

	free_list(*out, *nout);
	*out = NULL;
	*nout = 0;
	if (v->type == YAML_SCALAR_NODE) {
		if (v->data.scalar.length == 0)
			return 0;
		if ((*out = calloc(1, sizeof(char *))) == NULL ||
		    ((*out)[0] = scalar(v)) == NULL)
			return -1;
		*nout = 1;
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return -1;
	it = v->data.sequence.items.start;
	n = (size_t)(v->data.sequence.items.top - it);
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(char *))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = yaml_document_get_node(doc, it[i]);

		if (e == NULL || e->type != YAML_SCALAR_NODE)
			return -1;
		if (((*out)[(*nout)++] = scalar(e)) == NULL)
			return -1;
	}
	return 0;
}

static bool
yaml_true(const char *s)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
	    "Yes", "YES", "on", "On", "ON", "y", "Y" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(s, yes[i]) == 0)
			return true;
	return false;
}

/* A release's link: any absolute http(s) URL a reader can follow. */
static bool
is_http_url(const char *s)
{
	return url_check_http(s, URL_ALLOW_QUERY | URL_ALLOW_FRAGMENT |
	    URL_ALLOW_USER | URL_ALLOW_IRI) == NULL;
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * An IRI as far as an id needs one: an RFC 3986 scheme (ALPHA *( ALPHA /
 * DIGIT / "+" / "-" / "." )), ':', at least one more character, and no
 * white space or control character anywhere. Feed readers compare ids as
 * strings, so nothing more is checked.
 */
static bool
is_iri(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!is_alpha(*p))
		return false;
	while (is_alpha(*p) || (*p >= '0' && *p <= '9') || *p == '+' ||
	    *p == '-' || *p == '.')
		p++;
	if (*p != ':' || p[1] == '\0')
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7F)
			return false;
	return true;
}

/* Set one known field from the front matter; unknown ones are left be. */
static int
set_field(struct release *r, yaml_document_t *doc, const char *key,
    yaml_node_t *v, struct release_error *err, size_t line)
{
	static const char *const strings[] = { "title", "id", "summary",
	    "type", "lang", "link" };
	char **slots[] = { &r->title, &r->id, &r->summary, &r->type, &r->lang,
	    &r->link };
	char *s;

	if (strcmp(key, "tags") == 0 || strcmp(key, "author") == 0) {
		bool tags = key[0] == 't';

		if (string_list(doc, v, tags ? &r->tags : &r->authors,
		    tags ? &r->ntags : &r->nauthors) < 0)
			return fail(err, line, "'%s' must be a string or a "
			    "list of strings", key);
		return 0;
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strcmp(key, strings[i]) != 0)
			continue;
		if (v->type != YAML_SCALAR_NODE)
			return fail(err, line, "'%s' must be a string", key);
		free(*slots[i]);
		*slots[i] = trimmed_dup((const char *)v->data.scalar.value,
		    v->data.scalar.length);
		if (*slots[i] != NULL && **slots[i] == '\0') {
			free(*slots[i]);
			*slots[i] = NULL;
		}
		if (*slots[i] == NULL)
			return 0;
		if (slots[i] == &r->link && !is_http_url(r->link))
			return fail(err, line, "'link' must be an absolute "
			    "http(s) URL: \"%.80s\"", r->link);
		if (slots[i] == &r->id && !is_iri(r->id))
			return fail(err, line, "'id' must be an IRI such as "
			    "tag:..., urn:uuid:... or https://...: \"%.80s\"",
			    r->id);
		return 0;
	}
	if (strcmp(key, "date") != 0 && strcmp(key, "updated") != 0 &&
	    strcmp(key, "draft") != 0)
		return 0;
	if (v->type != YAML_SCALAR_NODE)
		return fail(err, line, "'%s' must be a single value", key);
	if ((s = scalar(v)) == NULL)
		return fail_oom(err);
	if (strcmp(key, "draft") == 0) {
		r->draft = yaml_true(s);
	} else if (date_parse(s, key[0] == 'd' ? &r->date : &r->updated) < 0) {
		fail(err, line, "'%s' is not a date: \"%.60s\" (use e.g. "
		    "2019-12-10T08:54:00+01:00 or 2019-12-10 08:54)", key, s);
		free(s);
		return -1;
	} else if (key[0] == 'u') {
		r->has_updated = true;
	}
	free(s);
	return 0;
}

/*
 * Refuse front matter that would take libyaml too long (FM_MAX_*). line is
 * that of s[0]. Depth is counted outside quoted strings and comments, the
 * way YAML reads them, so '[' in a title does not count; a quote opens only
 * where a scalar can start. That reading is a cheap guess, so every '['
 * and '{', quoted or not, also counts towards FM_MAX_OPENS, which bounds
 * the real depth whatever the guess gets wrong.
 */
static int
check_limits(const char *s, size_t n, size_t line, struct release_error *err)
{
	size_t depth = 0, opens = 0;
	char state = 0;		/* '\'' or '"': quoted; '#': a comment */
	char prev = '\n';	/* the last non-blank outside them */
	bool esc = false;	/* the next character is escaped */

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c == '[' || c == '{') && ++opens > FM_MAX_OPENS)
			return fail(err, line, "front matter has more than %d "
			    "'[' and '{'", FM_MAX_OPENS);
		if (c == '\n') {
			line++;
			esc = false;
			if (state == '#')
				state = 0;
			if (state == 0)
				prev = c;
			continue;
		}
		if (esc) {
			esc = false;
			continue;
		}
		if (state == '#')
			continue;
		if (state != 0) {
			if (state == '"' && c == '\\')
				esc = true;
			else if (state == '\'' && c == '\'' && i + 1 < n &&
			    s[i + 1] == '\'')
				esc = true;	/* '' stands for ' */
			else if (c == state)
				state = 0;
			prev = c;
			continue;
		}
		if (c == ' ' || c == '\t')
			continue;
		if (c == '#' && (i == 0 || s[i - 1] == ' ' ||
		    s[i - 1] == '\t' || s[i - 1] == '\n')) {
			state = c;
		} else if ((c == '\'' || c == '"') &&
		    strchr("\n[{,:-?", prev) != NULL) {
			state = c;
		} else if ((c == '[' || c == '{') && ++depth > FM_MAX_DEPTH) {
			return fail(err, line, "front matter nests '[' and '{' "
			    "more than %d deep", FM_MAX_DEPTH);
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
		prev = c;
	}
	return 0;
}

static int
parse_front_matter(struct release *r, bool *has_date,
    struct release_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t base = line_of(r->text, r->fm_off) - 1;
	int rc = -1;

	*has_date = false;
	if (r->fm_len == 0)
		return 0;
	if (r->fm_len > FM_MAX_BYTES)
		return fail(err, base, "front matter is larger than %d KiB",
		    FM_MAX_BYTES / 1024);
	if (check_limits(r->text + r->fm_off, r->fm_len, base + 1, err) < 0)
		return -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser,
	    (const unsigned char *)r->text + r->fm_off, r->fm_len);
	if (!yaml_parser_load(&parser, &doc)) {
		/* An unclosed quote fails at the end: name where it began. */
		bool at_end = parser.context != NULL && parser.problem &&
		    strstr(parser.problem, "end of stream") != NULL;

		fail(err, base + (at_end ? parser.context_mark.line :
		    parser.problem_mark.line) + 1,
		    "invalid YAML in front matter: %s%s%s",
		    parser.problem ? parser.problem : "syntax error",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = 0;	/* an empty block */
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		fail(err, base + root->start_mark.line + 1,
		    "front matter must be a mapping of fields (title: ...)");
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		char key[32];

		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE ||
		    k->data.scalar.length >= sizeof(key))
			continue;
		memcpy(key, k->data.scalar.value, k->data.scalar.length);
		key[k->data.scalar.length] = '\0';
		if (set_field(r, &doc, key, v, err,
		    base + k->start_mark.line + 1) < 0)
			goto out;
		if (strcmp(key, "date") == 0)
			*has_date = true;
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/*
 * The text of an ATX heading: CommonMark drops a closing run of '#' only
 * when a space precedes it ("C#" keeps its '#').
 */
static char *
heading_text(const char *s, size_t n)
{
	size_t e;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (e = n; e > 0 && s[e - 1] == '#'; e--)
		;
	if (e < n && (e == 0 || s[e - 1] == ' ' || s[e - 1] == '\t'))
		n = e;
	return trimmed_dup(s, n);
}

/* A setext underline of level 1: '=' only, up to 3 spaces before. */
static bool
setext_h1(const char *line)
{
	size_t n = line_len(line), i = strspn(line, " ");

	if (i > 3 || i >= n || line[i] != '=')
		return false;
	i += strspn(line + i, "=");
	return i + strspn(line + i, " \t") == n;
}

/*
 * Without a title in the front matter, take the first "# heading"
 * (Markdown, outside code fences) or the first non-empty line (text), and
 * start the body after it so the title is not repeated.
 */
static int
title_from_body(struct release *r)
{
	bool fenced = false;
	const char *p = r->text + r->body_off;

	while (*p != '\0') {
		size_t n = line_len(p), skip = n + (p[n] == '\n');
		const char *s = p;

		while (n > 0 && (*s == ' ' || *s == '\t') && s - p < 3) {
			s++;
			n--;
		}
		if (r->format == RELEASE_TEXT && n > 0 &&
		    strspn(s, " \t") < n) {
			r->title = trimmed_dup(s, n);
		} else if (r->format == RELEASE_MARKDOWN &&
		    (strncmp(s, "```", 3) == 0 || strncmp(s, "~~~", 3) == 0)) {
			fenced = !fenced;
		} else if (r->format == RELEASE_MARKDOWN && !fenced &&
		    n >= 2 && s[0] == '#' && (s[1] == ' ' || s[1] == '\t')) {
			r->title = heading_text(s + 2, n - 2);
		} else if (r->format == RELEASE_MARKDOWN && !fenced &&
		    strspn(s, " \t") < n && p[n] == '\n' &&
		    setext_h1(p + n + 1)) {
			/* "Title" over "=====": a level 1 heading too. */
			r->title = trimmed_dup(s, n);
			skip += line_len(p + skip);
			skip += p[skip] == '\n';
		}
		if (r->title != NULL) {
			r->body_off = (size_t)(p - r->text) + skip;
			r->body_line = line_of(r->text, r->body_off);
			return 0;
		}
		p += skip;
	}
	return 0;
}

/* The file's base name without its extension. Caller frees. */
static char *
name_of(const char *relpath)
{
	const char *b = strrchr(relpath, '/'), *dot;

	b = b ? b + 1 : relpath;
	dot = strrchr(b, '.');
	return strndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

static char *
slug_of(const char *relpath)
{
	char *name = name_of(relpath), *slug;

	if (name == NULL)
		return NULL;
	slug = text_slug(name);
	free(name);
	return slug;
}

static char *
expand_link(const struct feed_meta *m, const char *slug)
{
	const char *tpl = m->link_template, *at;
	char *s = NULL;

	if (tpl == NULL) {
		if (asprintf(&s, "%sreleases/%s.html", m->base_url, slug) < 0)
			return NULL;
		return s;
	}
	if ((at = strstr(tpl, "{slug}")) == NULL)
		return strdup(tpl);
	if (asprintf(&s, "%.*s%s%s", (int)(at - tpl), tpl, slug,
	    at + strlen("{slug}")) < 0)
		return NULL;
	return s;
}

static int
fill_defaults(struct release *r, const struct feed_meta *m, bool has_date,
    int64_t mtime)
{
	char *s;

	if (r->title == NULL && title_from_body(r) < 0)
		return -1;
	/* Last resort: the file name as the editor wrote it, not the slug. */
	if (r->title == NULL && (r->title = name_of(r->path)) == NULL)
		return -1;
	if (!has_date)
		r->date = date_from_epoch(mtime);
	if (!r->has_updated || r->updated.sec < r->date.sec)
		r->updated = r->date;
	if (r->link == NULL && (r->link = expand_link(m, r->slug)) == NULL)
		return -1;
	if (r->id == NULL) {
		if (asprintf(&s, "tag:%s,%s:%sreleases/%s", m->tag_authority,
		    m->tag_date, m->tag_path, r->slug) < 0)
			return -1;
		r->id = s;
	}
	return 0;
}

int
release_parse(const struct feed_meta *m, const char *relpath,
    const char *buf, size_t len, int64_t mtime, struct release **out,
    struct release_error *err)
{
	struct release *r;
	size_t n, bad;
	bool has_date;
	int fmt = release_format_of(relpath);

	*out = NULL;
	if (text_utf8_check(buf, len, &bad) < 0)
		return fail(err, line_of(buf, bad), "not valid UTF-8 (byte "
		    "%zu); save the file as UTF-8", bad + 1);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return fail_oom(err);
	r->format = fmt < 0 ? RELEASE_MARKDOWN : (enum release_format)fmt;
	r->mtime = mtime;
	if ((r->path = strdup(relpath)) == NULL ||
	    (r->text = normalise(buf, len, &n)) == NULL ||
	    (r->slug = slug_of(relpath)) == NULL)
		goto oom;
	if (split_front_matter(r, err) < 0 ||
	    parse_front_matter(r, &has_date, err) < 0)
		goto bad;
	r->has_date = has_date;
	if (fill_defaults(r, m, has_date, mtime) < 0)
		goto oom;
	*out = r;
	return 0;
oom:
	fail_oom(err);
bad:
	release_free(r);
	return -1;
}

int
release_load(const struct feed_meta *m, const char *root,
    const char *relpath, struct release **out, struct release_error *err)
{
	char path[4096];
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	size_t len = 0;
	int fd, rc = -1;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, relpath) >=
	    sizeof(path))
		return fail(err, 0, "path too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 &&
	    errno == ELOOP)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_read(err, errno, "cannot read");
	if (fstat(fd, &st) < 0) {
		fail_read(err, errno, "cannot read");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, 0, "not a regular file");
		goto out;
	}
	if ((size_t)st.st_size > m->max_file_size) {
		fail(err, 0, "file is %lld bytes, larger than max_file_size "
		    "(%zu)", (long long)st.st_size, m->max_file_size);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fail_oom(err);
		goto out;
	}
	/*
	 * Ask for one byte more than fstat said, to notice a file still
	 * growing; a short read of a regular file means end of file.
	 */
	do {
		size_t want = (size_t)st.st_size + 1 - len;

		if ((got = read(fd, buf + len, want)) <= 0)
			break;
		len += (size_t)got;
		if ((size_t)got < want)
			break;
	} while (len <= (size_t)st.st_size);
	if (got < 0) {
		fail_read(err, errno, "cannot read");
		goto out;
	}
	if (len != (size_t)st.st_size) {
		/* Saved again under us: the next read will likely do. */
		fail(err, 0, "file changed while being read");
		err->transient = true;
		goto out;
	}
	rc = release_parse(m, relpath, buf, len, (int64_t)st.st_mtime, out,
	    err);
out:
	free(buf);
	close(fd);
	return rc;
}

/* md4c output callback: append to an xmlBuffer. */
static void
html_out(const MD_CHAR *text, MD_SIZE size, void *ud)
{
	xmlBufferAdd(ud, (const xmlChar *)text, (int)size);
}

/* Collects the plain text of the first paragraph (md4c parser callbacks). */
struct first_para {
	xmlBufferPtr buf;
	int depth;	/* of P blocks entered; 1 while inside the first */
	bool done;
};

static int
fp_enter(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct first_para *fp = ud;

	(void)detail;
	if (type == MD_BLOCK_P && !fp->done)
		fp->depth++;
	return 0;
}

static int
fp_leave(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct first_para *fp = ud;

	(void)detail;
	if (type == MD_BLOCK_P && fp->depth > 0 && !fp->done) {
		fp->done = true;
		return 1;	/* stop parsing: we have what we need */
	}
	return 0;
}

static int
fp_span(MD_SPANTYPE type, void *detail, void *ud)
{
	(void)type;
	(void)detail;
	(void)ud;
	return 0;
}

/*
 * Decode an entity md4c found ("&eacute;", "&#8212;", "&#x2014;") into
 * out as UTF-8, with libxml2's HTML entity table. Returns the length, 0 if
 * unknown (the caller keeps the text as typed).
 */
static int
entity(const MD_CHAR *t, MD_SIZE n, xmlChar out[8])
{
	char name[40];
	int cp = 0;

	if (n < 3 || n >= sizeof(name) || t[0] != '&' || t[n - 1] != ';')
		return 0;
	memcpy(name, t + 1, n - 2);
	name[n - 2] = '\0';
	if (name[0] == '#') {
		char *end;
		long v = (name[1] == 'x' || name[1] == 'X') ?
		    strtol(name + 2, &end, 16) : strtol(name + 1, &end, 10);

		cp = *end == '\0' && v > 0 && v <= 0x10FFFF ? (int)v : 0;
	} else {
		const htmlEntityDesc *e = htmlEntityLookup((xmlChar *)name);

		cp = e != NULL ? (int)e->value : 0;
	}
	return cp > 0 ? xmlCopyCharMultiByte(out, cp) : 0;
}

static int
fp_text(MD_TEXTTYPE type, const MD_CHAR *t, MD_SIZE n, void *ud)
{
	struct first_para *fp = ud;
	xmlChar u[8];
	int k;

	if (fp->depth == 0 || fp->done)
		return 0;
	switch (type) {
	case MD_TEXT_BR:
	case MD_TEXT_SOFTBR:
		xmlBufferAdd(fp->buf, (const xmlChar *)" ", 1);
		break;
	case MD_TEXT_HTML:	/* raw tags are markup, not summary text */
		break;
	case MD_TEXT_ENTITY:
		k = entity(t, n, u);
		if (k > 0)
			xmlBufferAdd(fp->buf, u, k);
		else
			xmlBufferAdd(fp->buf, (const xmlChar *)t, (int)n);
		break;
	default:
		xmlBufferAdd(fp->buf, (const xmlChar *)t, (int)n);
	}
	return 0;
}

static unsigned
md_flags(const struct feed_meta *m)
{
	return MD_DIALECT_GITHUB | (m->raw_html ? 0 : MD_FLAG_NOHTML);
}

static int
render_markdown(struct release *r, const struct feed_meta *m,
    xmlBufferPtr html, xmlBufferPtr para)
{
	const char *body = r->text + r->body_off;
	MD_SIZE n = (MD_SIZE)strlen(body);
	struct first_para fp = { .buf = para };
	MD_PARSER parser = {
		.flags = md_flags(m),
		.enter_block = fp_enter, .leave_block = fp_leave,
		.enter_span = fp_span, .leave_span = fp_span,
		.text = fp_text,
	};

	if (md_html(body, n, html_out, html, md_flags(m), 0) != 0)
		return -1;
	if (r->summary == NULL)
		md_parse(body, n, &parser, &fp);	/* 1 = stopped early */
	return 0;
}

/* Plain text: paragraphs split by blank lines, escaped by libxml2. */
static int
render_text(struct release *r, xmlBufferPtr html, xmlBufferPtr para)
{
	const char *p = r->text + r->body_off;

	while (*p != '\0') {
		size_t n = line_len(p);
		const char *start;
		char *raw;
		xmlChar *esc;

		if (strspn(p, " \t") >= n) {	/* a blank line */
			p += n + (p[n] == '\n');
			continue;
		}
		start = p;
		while (*p != '\0' && strspn(p, " \t") < (n = line_len(p)))
			p += n + (p[n] == '\n');
		raw = strndup(start, (size_t)(p - start));
		if (raw == NULL)
			return -1;
		while (*raw != '\0' && raw[strlen(raw) - 1] == '\n')
			raw[strlen(raw) - 1] = '\0';
		esc = xmlEncodeSpecialChars(NULL, (const xmlChar *)raw);
		if (esc == NULL) {
			free(raw);
			return -1;
		}
		xmlBufferCCat(html, "<p>");
		xmlBufferCat(html, esc);
		xmlBufferCCat(html, "</p>\n");
		if (xmlBufferLength(para) == 0)
			xmlBufferCCat(para, raw);
		xmlFree(esc);
		free(raw);
	}
	return 0;
}

int
release_render(struct release *r, const struct feed_meta *m)
{
	xmlBufferPtr html, para;
	int rc = -1;

	if (r->html != NULL)
		return 0;
	html = xmlBufferCreate();
	para = xmlBufferCreate();
	if (html == NULL || para == NULL)
		goto out;
	if ((r->format == RELEASE_MARKDOWN ?
	    render_markdown(r, m, html, para) : render_text(r, html, para)) < 0)
		goto out;
	if (r->summary == NULL && (r->summary = text_summary(
	    (const char *)xmlBufferContent(para), SUMMARY_CHARS)) == NULL)
		goto out;
	if ((r->html = strdup((const char *)xmlBufferContent(html))) == NULL)
		goto out;
	rc = 0;
out:
	xmlBufferFree(html);
	xmlBufferFree(para);
	return rc;
}

void
release_free(struct release *r)
{
	if (r == NULL)
		return;
	free(r->path);
	free(r->slug);
	free(r->id);
	free(r->title);
	free(r->link);
	free(r->summary);
	free(r->type);
	free(r->lang);
	free_list(r->authors, r->nauthors);
	free_list(r->tags, r->ntags);
	free(r->text);
	free(r->html);
	free(r);
}
