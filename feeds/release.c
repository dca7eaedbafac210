/*
 * release: one release file -> struct release. See release.h.
 */
#include "release.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "docstamp.h"
#include "fileopen.h"
#include "frontmatter.h"
#include "gitdates.h"
#include "markdown.h"
#include "text.h"
#include "url.h"

#define SUMMARY_CHARS 300

int
release_error_set(struct release_error *err, size_t line, const char *fmt,
    ...)
{
	va_list ap;

	err->line = line;
	err->errnum = 0;
	err->transient = false;
	err->clash = false;
	err->empty = false;
	err->stale = false;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
release_error_oom(struct release_error *err)
{
	release_error_set(err, 0, "out of memory");
	err->transient = true;
	return -1;
}

int
release_diag_add(struct release *r, enum release_diag_level level,
    size_t line, const char *fmt, ...)
{
	struct release_diag *d;
	va_list ap;

	d = realloc(r->diags, (r->ndiags + 1) * sizeof(*d));
	if (d == NULL)
		return -1;
	r->diags = d;
	d += r->ndiags;
	d->level = level;
	d->line = line;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	r->ndiags++;
	return 0;
}

const char *
release_diag_name(enum release_diag_level level)
{
	return level == RELEASE_WARNING ? "warning" : "note";
}

/* Like release_error_set(), for when reading failed with errno e. */
static int
fail_read(struct release_error *err, int e, const char *what)
{
	release_error_set(err, 0, "%s: %s", what, strerror(e));
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
	return text_trim_dup(s, n);
}

/* A setext underline of level 1: '=' only, up to 3 spaces before. */
static bool
setext_h1(const char *line)
{
	size_t n = text_line_len(line), i = strspn(line, " ");

	if (i > 3 || i >= n || line[i] != '=')
		return false;
	i += strspn(line + i, "=");
	return i + strspn(line + i, " \t") == n;
}

/*
 * The title of a Markdown heading written in src[0..n): its plain text
 * (markdown.h), or as written when md4c sees no heading there. NULL: out
 * of memory.
 */
static char *
heading_title(const char *src, size_t n, const char *text, size_t tn,
    bool raw_html)
{
	char *t;

	if (markdown_heading_text(src, n, raw_html, &t) < 0)
		return NULL;
	return t != NULL ? t : heading_text(text, tn);
}

/*
 * Without a title in the front matter, take the first "# heading"
 * (Markdown, outside code fences) or the first non-empty line (text), and
 * start the body after it so the title is not repeated. -1: out of memory.
 */
static int
title_from_body(struct release *r, bool raw_html)
{
	bool fenced = false;
	const char *p = r->text + r->body_off;

	while (*p != '\0') {
		size_t n = text_line_len(p), skip = n + (p[n] == '\n');
		const char *s = p;

		while (n > 0 && (*s == ' ' || *s == '\t') && s - p < 3) {
			s++;
			n--;
		}
		if (r->format == RELEASE_TEXT && n > 0 &&
		    strspn(s, " \t") < n) {
			r->title = text_trim_dup(s, n);
		} else if (r->format == RELEASE_MARKDOWN &&
		    (strncmp(s, "```", 3) == 0 || strncmp(s, "~~~", 3) == 0)) {
			fenced = !fenced;
		} else if (r->format == RELEASE_MARKDOWN && !fenced &&
		    n >= 2 && s[0] == '#' && (s[1] == ' ' || s[1] == '\t')) {
			r->title = heading_title(s, n, s + 2, n - 2, raw_html);
			if (r->title == NULL)
				return -1;
		} else if (r->format == RELEASE_MARKDOWN && !fenced &&
		    strspn(s, " \t") < n && p[n] == '\n' &&
		    setext_h1(p + n + 1)) {
			/* "Title" over "=====": a level 1 heading too. */
			skip += text_line_len(p + skip);
			r->title = heading_title(s, skip - (size_t)(s - p), s, n,
			    raw_html);
			if (r->title == NULL)
				return -1;
			skip += p[skip] == '\n';
		}
		if (r->title != NULL) {
			r->body_off = (size_t)(p - r->text) + skip;
			r->body_line = text_line_of(r->text, r->body_off);
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

/*
 * The file name as a title. A name is bytes, not text: invalid UTF-8 and
 * control characters (a newline, an escape) must not reach a feed.
 */
static char *
title_of_name(const char *relpath)
{
	char *name = name_of(relpath), *text, *title;

	if (name == NULL)
		return NULL;
	text = text_from_bytes(name);
	free(name);
	if (text == NULL)
		return NULL;
	title = text_trim_dup(text, strlen(text));
	free(text);
	return title;
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

/*
 * A release without a `date`: the commit that added its file, when git
 * knows the file as it is (then the last commit that changed it is its
 * `updated`, and the time its text changed), else the file's time. The
 * history and the store still have the last word (inherit.h): a date once
 * published does not move.
 */
static int
date_by_default(struct release *r, const struct feed_meta *m,
    const char *buf, size_t len, int64_t mtime)
{
	struct fp_time first, last;
	const char *why = "no 'date': dated by the file's time";

	switch (gitdates_lookup(m->git, r->path, buf, len, &first, &last)) {
	case GITDATE_FOUND:
		r->date = first;
		if (!r->has_updated)
			r->updated = last;
		r->mtime = last.sec;
		return 0;
	case GITDATE_UNCOMMITTED:
		why = "no 'date' and not committed to git as it is: dated by "
		    "the file's time";
		break;
	case GITDATE_NONE:
		break;
	}
	r->date = date_from_epoch(mtime);
	if (!r->has_updated)
		r->updated = r->date;
	return release_diag_add(r, RELEASE_NOTE, 0, "%s", why);
}

static int
fill_defaults(struct release *r, const struct feed_meta *m, const char *buf,
    size_t len, int64_t mtime)
{
	char *s;

	if (r->title == NULL && title_from_body(r, m->raw_html) < 0)
		return -1;
	/* Last resort: the file name as the editor wrote it, not the slug. */
	if (r->title == NULL && (r->title = title_of_name(r->path)) == NULL)
		return -1;
	if (!r->has_date && date_by_default(r, m, buf, len, mtime) < 0)
		return -1;
	if ((!r->has_updated && r->has_date) || r->updated.sec < r->date.sec)
		r->updated = r->date;
	if (r->link == NULL && (r->link = expand_link(m, r->slug)) == NULL)
		return -1;
	/* Feeds want a URI: RSS always, and Atom alike for consistency. */
	if ((s = url_to_uri(r->link)) == NULL)
		return -1;
	free(r->link);
	r->link = s;
	if (r->id == NULL && (r->id = release_default_id(m, r->slug)) == NULL)
		return -1;
	return 0;
}

struct media *
release_medium(const struct release *r, size_t i)
{
	if (r->image != NULL && i-- == 0)
		return r->image;
	return i < r->nattachments ? &r->attachments[i] : NULL;
}

/*
 * Where each medium is and goes. Two files of one release must not be
 * copied to one name: the second would overwrite the first.
 */
static int
resolve_media(struct release *r, const struct feed_meta *m,
    struct release_error *err)
{
	struct media *md, *o;

	for (size_t i = 0; (md = release_medium(r, i)) != NULL; i++) {
		if (media_resolve(md, r->path, r->slug, m->base_url) < 0)
			return release_error_oom(err);
		for (size_t j = 0; md->name && (o = release_medium(r, j)) != md; j++)
			if (o->name != NULL && strcmp(o->name, md->name) == 0 &&
			    strcmp(o->path, md->path) != 0)
				return release_error_set(err, md->line, "two "
				    "media files named %.80s (%.80s, %.80s): "
				    "rename one", strrchr(md->name, '/') + 1,
				    o->src, md->src);
	}
	return 0;
}

/* Every local medium of r must be there to copy (media_check()). */
int
release_check_media(struct release *r, const struct feed_meta *m,
    const char *root, struct release_error *err)
{
	struct media *md;
	char why[200];
	bool transient;

	for (size_t i = 0; (md = release_medium(r, i)) != NULL; i++) {
		if (media_check(md, root, m->follow_symlinks,
		    m->max_media_size, why, sizeof(why), &transient) == 0)
			continue;
		release_error_set(err, md->line, "'%s': %s", md == r->image ?
		    "image" : "attachments", why);
		err->transient = transient;
		return -1;
	}
	return 0;
}

char *
release_default_id(const struct feed_meta *m, const char *slug)
{
	char *s;

	if (asprintf(&s, "tag:%s,%s:%sreleases/%s", m->tag_authority,
	    m->tag_date, m->tag_path, slug) < 0)
		return NULL;
	return s;
}

/*
 * SHA-256 fetched once: EVP_sha256() in EVP_Digest() makes OpenSSL 3 look
 * the implementation up on every call, a third of the digest's cost for a
 * release-sized text. Kept for the life of the process.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* SHA-256 of text into out. Returns 0, or -1 when out of memory. */
static int
digest_of(const char *text, unsigned char out[32])
{
	unsigned int n = 0;

	pthread_once(&sha256_once, sha256_fetch);
	return EVP_Digest(text, strlen(text), out, &n,
	    sha256_md != NULL ? sha256_md : EVP_sha256(), NULL) &&
	    n == 32 ? 0 : -1;
}

int
release_parse(const struct feed_meta *m, const char *relpath,
    const char *buf, size_t len, int64_t mtime, struct release **out,
    struct release_error *err)
{
	struct release *r;
	size_t n, bad;
	int fmt = release_format_of(relpath);

	*out = NULL;
	if (text_utf8_check(buf, len, &bad) < 0)
		return release_error_set(err, text_line_of(buf, bad), "not valid UTF-8 (byte "
		    "%zu); save the file as UTF-8", bad + 1);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return release_error_oom(err);
	r->format = fmt < 0 ? RELEASE_MARKDOWN : (enum release_format)fmt;
	r->mtime = mtime;
	if ((r->path = strdup(relpath)) == NULL ||
	    (r->text = normalise(buf, len, &n)) == NULL ||
	    (r->slug = slug_of(relpath)) == NULL)
		goto oom;
	if (r->text[strspn(r->text, " \t\n\r\f\v")] == '\0') {
		release_error_set(err, 0, "is empty: not a release until it "
		    "has some text");
		err->empty = true;
		goto bad;
	}
	if (frontmatter_split(r, err) < 0 || frontmatter_parse(r, err) < 0)
		goto bad;
	r->has_summary = r->summary != NULL;
	if (fill_defaults(r, m, buf, len, mtime) < 0)
		goto oom;
	if (resolve_media(r, m, err) < 0)
		goto bad;
	if (digest_of(r->text, r->digest) < 0)
		goto oom;
	r->stamp_key = stamp_key(r);
	r->body_empty = r->text[r->body_off + strspn(r->text + r->body_off,
	    " \t\n\r\f\v")] == '\0';
	*out = release_compact(r);
	return 0;
oom:
	release_error_oom(err);
bad:
	release_free(r);
	return -1;
}

/* Open root/relpath as fileopen.h allows, or say why not in *err. */
static int
open_release(const struct feed_meta *m, const char *root,
    const char *relpath, struct stat *st, struct release_error *err)
{
	int fd;

	switch (fileopen(root, relpath, m->follow_symlinks, &fd, st)) {
	case FILEOPEN_OK:
		return fd;
	case FILEOPEN_ERRNO:
		return fail_read(err, errno, "cannot read");
	case FILEOPEN_OUTSIDE:
		return release_error_set(err, 0, "is a symlink to a file "
		    "outside the releases folder: not followed");
	case FILEOPEN_LINK:
		return release_error_set(err, 0, "is a symlink, and "
		    "follow_symlinks is off: not followed");
	case FILEOPEN_NOT_REGULAR:
		break;
	}
	return release_error_set(err, 0, "not a regular file");
}

/*
 * Read all of root/relpath into *buf (caller frees; *len bytes), its
 * stat in *st. Returns 0, or -1 and fills *err.
 */
static int
read_all(const struct feed_meta *m, const char *root, const char *relpath,
    char **buf, size_t *len, struct stat *st, struct release_error *err)
{
	ssize_t got = 0;
	int fd, rc = -1;

	*buf = NULL;
	*len = 0;
	if ((fd = open_release(m, root, relpath, st, err)) < 0)
		return -1;
	if ((size_t)st->st_size > m->max_file_size) {
		release_error_set(err, 0, "file is %lld bytes, larger than "
		    "max_file_size (%zu)", (long long)st->st_size,
		    m->max_file_size);
		goto out;
	}
	if ((*buf = malloc((size_t)st->st_size + 1)) == NULL) {
		release_error_oom(err);
		goto out;
	}
	/*
	 * Ask for one byte more than fstat said, to notice a file still
	 * growing; a short read of a regular file means end of file.
	 */
	do {
		size_t want = (size_t)st->st_size + 1 - *len;

		if ((got = read(fd, *buf + *len, want)) <= 0)
			break;
		*len += (size_t)got;
		if ((size_t)got < want)
			break;
	} while (*len <= (size_t)st->st_size);
	if (got < 0) {
		fail_read(err, errno, "cannot read");
		goto out;
	}
	if (*len != (size_t)st->st_size) {
		/* Saved again under us: the next read will likely do. */
		release_error_set(err, 0, "file changed while being read");
		err->transient = true;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return rc;
}

int
release_load(const struct feed_meta *m, const char *root,
    const char *relpath, struct release **out, struct release_error *err)
{
	struct stat st;
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (read_all(m, root, relpath, &buf, &len, &st, err) < 0)
		return -1;
	rc = release_parse(m, relpath, buf, len, (int64_t)st.st_mtime, out,
	    err);
	free(buf);
	if (rc == 0 && release_check_media(*out, m, root, err) < 0) {
		release_free(*out);
		*out = NULL;
		rc = -1;
	}
	if (rc == 0) {
		/* The body is read again when a document needs it. */
		free((*out)->text);
		(*out)->text = NULL;
	}
	return rc;
}

static int
stale(struct release_error *err, const char *path)
{
	release_error_set(err, 0, "%s changed since it was read; read again",
	    path);
	err->stale = true;
	return -1;
}

int
release_read_text(const struct release *r, const struct feed_meta *m,
    char **text, struct release_error *err)
{
	struct release_error none;
	unsigned char dg[32];
	struct stat st;
	char *buf;
	size_t len, n;

	if (err == NULL)
		err = &none;
	*text = NULL;
	if (r->text != NULL) {
		if ((*text = strdup(r->text)) == NULL)
			return release_error_oom(err);
		return 0;
	}
	if (m->root == NULL)
		return release_error_set(err, 0, "the body of %s is not held "
		    "and no releases folder is known", r->path);
	if (read_all(m, m->root, r->path, &buf, &len, &st, err) < 0) {
		err->stale = err->errnum == ENOENT;
		return -1;
	}
	*text = normalise(buf, len, &n);
	free(buf);
	if (*text == NULL || digest_of(*text, dg) < 0) {
		free(*text);
		*text = NULL;
		return release_error_oom(err);
	}
	if (memcmp(dg, r->digest, sizeof(dg)) != 0) {
		free(*text);
		*text = NULL;
		return stale(err, r->path);
	}
	return 0;
}

int
release_adopt_text(struct release *r, char *text)
{
	unsigned char dg[32];

	if (r->text != NULL || digest_of(text, dg) < 0 ||
	    memcmp(dg, r->digest, sizeof(dg)) != 0 ||
	    strlen(text) < r->body_off)
		return -1;
	r->text = text;
	return 0;
}

/* Render body into r->html (and r->summary if missing). -1: no memory. */
static int
render(struct release *r, const struct feed_meta *m, const char *body)
{
	char *html, *abs, *para = NULL, **want = r->summary == NULL ? &para :
	    NULL;
	int rc;

	rc = r->format == RELEASE_MARKDOWN ?
	    markdown_render(body, m->raw_html, &html, want) :
	    markdown_render_plain(body, &html, want);
	if (rc < 0)
		return -1;
	/* A feed reader has no page to resolve "bild.png" against. */
	if (r->format == RELEASE_MARKDOWN) {
		rc = markdown_resolve_links(html, r->link, &abs);
		free(html);
		html = abs;
		if (rc < 0) {
			free(para);
			return -1;
		}
	}
	if (want != NULL) {
		r->summary = text_summary(para, SUMMARY_CHARS);
		free(para);
		if (r->summary == NULL) {
			free(html);
			return -1;
		}
	}
	r->html = html;
	return 0;
}

int
release_load_body(struct release *r, const struct feed_meta *m,
    struct release_error *err)
{
	struct release_error none;
	char *text;
	int rc;

	if (err == NULL)
		err = &none;
	if (r->html != NULL)
		return 0;
	if (r->text != NULL)
		return render(r, m, r->text + r->body_off) < 0 ?
		    release_error_oom(err) : 0;
	if (release_read_text(r, m, &text, err) < 0)
		return -1;
	rc = render(r, m, text + r->body_off);
	free(text);
	return rc < 0 ? release_error_oom(err) : 0;
}

void
release_drop_body(struct release *r)
{
	free(r->html);
	r->html = NULL;
	/* Derived: ~400 bytes a release, for every one a listing showed. */
	if (!r->has_summary) {
		free(r->summary);
		r->summary = NULL;
	}
}

int
release_load_summary(struct release *r, const struct feed_meta *m,
    struct release_error *err)
{
	bool held = r->html != NULL;

	if (r->summary != NULL)
		return 0;
	if (release_load_body(r, m, err) < 0)
		return -1;
	if (!held) {
		free(r->html);	/* not release_drop_body(): the summary stays */
		r->html = NULL;
	}
	return 0;
}

void
release_drop_summary(struct release *r)
{
	if (r->html == NULL && !r->has_summary) {
		free(r->summary);
		r->summary = NULL;
	}
}

void
release_list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
release_contacts_free(struct contact *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].role);
		free(v[i].organisation);
		free(v[i].phone);
		free(v[i].email);
	}
	free(v);
}

/* Whether p lies in r's one allocation (release_compact()). */
static bool
in_block(const struct release *r, const void *p)
{
	uintptr_t a = (uintptr_t)r, x = (uintptr_t)p;

	return x >= a && x - a < r->packed;
}

/* Frees p unless it is in r's block. */
static void
own_free(const struct release *r, void *p)
{
	if (!in_block(r, p))
		free(p);
}

/* Frees v[0..n) and v unless in r's block. */
static void
own_list_free(const struct release *r, char **v, size_t n)
{
	if (!in_block(r, v))
		release_list_free(v, n);
}

void
release_free(struct release *r)
{
	if (r == NULL)
		return;
	own_free(r, r->path);
	own_free(r, r->slug);
	free(r->id);
	own_free(r, r->title);
	own_free(r, r->link);
	own_free(r, r->summary);
	own_free(r, r->type);
	own_free(r, r->lang);
	own_list_free(r, r->authors, r->nauthors);
	own_list_free(r, r->tags, r->ntags);
	own_free(r, r->facts);
	release_contacts_free(r->contacts, r->ncontacts);
	media_list_free(r->image, 1);
	media_list_free(r->attachments, r->nattachments);
	free(r->text);
	free(r->html);
	free(r->diags);
	free(r);
}

/* Where release_compact() copies to: the block, filled front to back. */
struct fill {
	char *at;
};

static size_t
str_size(const char *s)
{
	return s == NULL ? 0 : strlen(s) + 1;
}

/* Bytes the list v[0..n) takes in the block, its strings included. */
static size_t
list_size(char *const *v, size_t n)
{
	size_t sz = n * sizeof(*v);

	for (size_t i = 0; i < n; i++)
		sz += str_size(v[i]);
	return sz;
}

/* *p copied into the block (NULL stays NULL); the old one is freed. */
static void
move_str(struct fill *f, char **p)
{
	size_t n = str_size(*p);

	if (*p == NULL)
		return;
	memcpy(f->at, *p, n);
	free(*p);
	*p = f->at;
	f->at += n;
}

/*
 * The list *v (n strings) moved into the block: its pointers to, taken
 * from the block's front before any string (so they stay aligned).
 */
static void
move_list(struct fill *f, char ***v, size_t n, char **to)
{
	if (*v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		to[i] = (*v)[i];
		move_str(f, &to[i]);
	}
	free(*v);
	*v = to;
}

struct release *
release_compact(struct release *r)
{
	/* The pointer arrays go right after the struct: aligned for them. */
	size_t head = (sizeof(*r) + sizeof(char *) - 1) / sizeof(char *) *
	    sizeof(char *);
	size_t sz = head + list_size(r->authors, r->nauthors) +
	    list_size(r->tags, r->ntags) + str_size(r->path) +
	    str_size(r->slug) + str_size(r->title) + str_size(r->link) +
	    str_size(r->type) + str_size(r->lang) + str_size(r->facts) +
	    (r->has_summary ? str_size(r->summary) : 0);
	struct release *c;
	struct fill f;
	char **authors, **tags;

	if (r->packed != 0 || sz > UINT32_MAX || (c = malloc(sz)) == NULL)
		return r;
	memcpy(c, r, sizeof(*r));
	free(r);
	authors = (char **)(void *)((char *)c + head);
	tags = authors + (c->authors != NULL ? c->nauthors : 0);
	f.at = (char *)(tags + (c->tags != NULL ? c->ntags : 0));
	move_list(&f, &c->authors, c->nauthors, authors);
	move_list(&f, &c->tags, c->ntags, tags);
	move_str(&f, &c->path);
	move_str(&f, &c->slug);
	move_str(&f, &c->title);
	move_str(&f, &c->link);
	move_str(&f, &c->type);
	move_str(&f, &c->lang);
	move_str(&f, &c->facts);
	if (c->has_summary)
		move_str(&f, &c->summary);
	c->packed = (uint32_t)sz;
	return c;
}
