/*
 * media: see media.h.
 */
#include "media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/uri.h>

#include "fileopen.h"
#include "output.h"
#include "url.h"

static const struct {
	const char *ext, *mime;
} mimes[] = {
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "png", "image/png" }, { "gif", "image/gif" },
	{ "webp", "image/webp" }, { "svg", "image/svg+xml" },
	{ "avif", "image/avif" }, { "tif", "image/tiff" },
	{ "tiff", "image/tiff" }, { "pdf", "application/pdf" },
	{ "mp3", "audio/mpeg" }, { "m4a", "audio/mp4" },
	{ "ogg", "audio/ogg" }, { "wav", "audio/wav" },
	{ "mp4", "video/mp4" }, { "webm", "video/webm" },
	{ "mov", "video/quicktime" }, { "zip", "application/zip" },
	{ "txt", "text/plain" }, { "csv", "text/csv" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
};

/* The type of name[0..n) by its extension. */
static const char *
mime_of(const char *name, size_t n)
{
	const char *dot = NULL;

	for (const char *p = name; p < name + n; p++)
		if (*p == '.')
			dot = p + 1;
		else if (*p == '/')
			dot = NULL;
	for (size_t i = 0; dot != NULL && i < sizeof(mimes) / sizeof(mimes[0]);
	    i++)
		if (strlen(mimes[i].ext) == (size_t)(name + n - dot) &&
		    strncasecmp(dot, mimes[i].ext, (size_t)(name + n - dot)) == 0)
			return mimes[i].mime;
	return "application/octet-stream";
}

const char *
media_mime(const char *name)
{
	return mime_of(name, strlen(name));
}

/* RFC 3986 scheme ':' at the start of s. */
static bool
has_scheme(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	    "VWXYZ0123456789+-.");

	return n > 0 && s[n] == ':';
}

const char *
media_check_src(const char *src)
{
	const char *p = src;

	for (const unsigned char *c = (const unsigned char *)src; *c; c++)
		if (*c < ' ' || *c == 0x7F)
			return "holds a control character (a line break?)";
	if (has_scheme(src))
		return url_check_http(src, URL_ALLOW_QUERY |
		    URL_ALLOW_FRAGMENT | URL_ALLOW_IRI) == NULL ? NULL :
		    "must be an http(s) URL or a file beside the release";
	if (*src == '\0')
		return "is empty";
	if (*src == '/')
		return "is an absolute path: name the file relative to the "
		    "release file";
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return "must stay in the releases folder: no '..', '.' "
			    "or '//' parts";
		if (p[0] == '.')
			return "names a hidden file (a part starting with '.')";
		p += n + (p[n] == '/');
		if (p[-1] == '/' && *p == '\0')
			return "ends in '/': name a file";
	}
	return NULL;
}

int
media_resolve(struct media *md, const char *relpath, const char *slug,
    const char *base_url)
{
	const char *slash = strrchr(relpath, '/'), *base;
	xmlChar *esc = NULL;

	md->mime = media_mime(md->src);
	md->size = -1;
	if (has_scheme(md->src)) {
		/* A URL's path only: "x.gif?v=2". */
		md->mime = mime_of(md->src, strcspn(md->src, "?#"));
		md->url = url_to_uri(md->src);
		return md->url == NULL ? -1 : 0;
	}
	base = strrchr(md->src, '/');
	base = base != NULL ? base + 1 : md->src;
	if (asprintf(&md->path, "%.*s%s", slash ? (int)(slash - relpath + 1) :
	    0, relpath, md->src) < 0) {
		md->path = NULL;
		return -1;
	}
	if (asprintf(&md->name, "media/%s/%s", slug, base) < 0) {
		md->name = NULL;
		return -1;
	}
	/* A file name may hold ' ', '#', '?' or '%': escape all but '/'. */
	if ((esc = xmlURIEscapeStr((const xmlChar *)md->name,
	    (const xmlChar *)"/")) == NULL)
		return -1;
	if (asprintf(&md->url, "%s%s", base_url, (const char *)esc) < 0)
		md->url = NULL;
	xmlFree(esc);
	return md->url == NULL ? -1 : 0;
}

/* Open md's file as fileopen.h allows, or say why not. */
static int
open_medium(const struct media *md, const char *root, bool follow,
    size_t max, struct stat *st, char *why, size_t whysz, bool *transient)
{
	int fd = -1, e;

	*transient = false;
	switch (fileopen(root, md->path, follow, &fd, st)) {
	case FILEOPEN_OK:
		if ((size_t)st->st_size <= max)
			return fd;
		close(fd);
		snprintf(why, whysz, "%.80s is %lld bytes, larger than "
		    "max_media_size (%zu)", md->src, (long long)st->st_size,
		    max);
		return -1;
	case FILEOPEN_ERRNO:
		e = errno;
		*transient = e == EMFILE || e == ENFILE || e == EINTR ||
		    e == ENOMEM || e == EAGAIN;
		snprintf(why, whysz, "cannot read %.80s: %s", md->src,
		    e == ENOENT ? "no such file beside the release" :
		    strerror(e));
		return -1;
	case FILEOPEN_OUTSIDE:
		snprintf(why, whysz, "%.80s is a symlink to a file outside "
		    "the releases folder: not followed", md->src);
		return -1;
	case FILEOPEN_LINK:
		snprintf(why, whysz, "%.80s is a symlink, and follow_symlinks "
		    "is off: not followed", md->src);
		return -1;
	case FILEOPEN_NOT_REGULAR:
		break;
	}
	snprintf(why, whysz, "%.80s is not a regular file", md->src);
	return -1;
}

int
media_check(struct media *md, const char *root, bool follow, size_t max,
    char *why, size_t whysz, bool *transient)
{
	struct stat st;
	int fd;

	*transient = false;
	if (md->path == NULL)
		return 0;
	if ((fd = open_medium(md, root, follow, max, &st, why, whysz,
	    transient)) < 0)
		return -1;
	close(fd);
	md->size = (int64_t)st.st_size;
	md->mtime = (int64_t)st.st_mtime;
	return 0;
}

/* Read all of fd (st_size bytes, as fstat said) into *buf. */
static int
read_all(int fd, size_t size, char **buf, size_t *len)
{
	ssize_t got = 0;

	*len = 0;
	if ((*buf = malloc(size + 1)) == NULL)
		return -1;
	/* One byte more, to notice a file still growing. */
	while (*len <= size && (got = read(fd, *buf + *len, size + 1 - *len))
	    > 0)
		*len += (size_t)got;
	if (got < 0 || *len != size) {
		if (got >= 0)
			errno = EAGAIN;	/* changed while being read */
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

static bool
newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec &&
	    a->tv_nsec > b->tv_nsec);
}

int
media_copy(struct media *md, const char *root, bool follow, size_t max,
    const char *outdir, struct output_batch *b, char *why, size_t whysz)
{
	struct stat st, ost;
	char *dir = NULL, *buf = NULL, *slash, *target = NULL;
	size_t len;
	bool transient;
	int fd, rc = -1;

	if (md->path == NULL)
		return 0;
	if ((fd = open_medium(md, root, follow, max, &st, why, whysz,
	    &transient)) < 0)
		return -1;
	if (asprintf(&target, "%s/%s", outdir, md->name) < 0) {
		target = NULL;
		goto oom;
	}
	/*
	 * Unchanged since the last copy, or (at start) a copy of its size
	 * written after the file last changed: spare reading it again.
	 */
	if (stat(target, &ost) == 0 && ost.st_size == st.st_size &&
	    (md->copied ? md->size == (int64_t)st.st_size && md->mtime ==
	    (int64_t)st.st_mtime : newer(&ost.st_mtim, &st.st_mtim))) {
		md->size = (int64_t)st.st_size;
		md->mtime = (int64_t)st.st_mtime;
		md->copied = true;
		rc = 0;
		goto out;
	}
	if (read_all(fd, (size_t)st.st_size, &buf, &len) < 0) {
		snprintf(why, whysz, "cannot read %.80s: %s", md->src,
		    strerror(errno));
		goto out;
	}
	if ((dir = strdup(target)) == NULL)
		goto oom;
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (b != NULL)
		rc = output_batch_put(b, md->name, buf, len);
	else if (output_mkdirs(dir) == 0)
		rc = output_replace(dir, slash + 1, buf, len);
	if (rc < 0) {
		snprintf(why, whysz, "cannot write %.200s: %s", target,
		    strerror(errno));
		rc = -1;
		goto out;
	}
	md->size = (int64_t)st.st_size;
	md->mtime = (int64_t)st.st_mtime;
	md->copied = true;
	goto out;
oom:
	snprintf(why, whysz, "out of memory");
out:
	free(buf);
	free(dir);
	free(target);
	close(fd);
	return rc;
}

void
media_clear(struct media *md)
{
	if (md == NULL)
		return;
	free(md->src);
	free(md->caption);
	free(md->credit);
	free(md->title);
	free(md->path);
	free(md->name);
	free(md->url);
	memset(md, 0, sizeof(*md));
}

void
media_list_free(struct media *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		media_clear(&v[i]);
	free(v);
}
