/*
 * docset: see docset.h.
 */
#include "docset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "log.h"

/* A larger file is not served from memory (media: later, from an fd). */
#define LOAD_MAX_SIZE (64u << 20)
#define LOAD_MAX_DEPTH 8
/*
 * Compressing happens once per new document in the loop thread, after the
 * files are written: level 6 (zlib's default) costs a few ms for a 1 MiB
 * feed where 9 takes twice that for ~1% less. Above GZIP_MAX_SIZE a
 * document is served plain rather than stall the loop.
 */
#define GZIP_LEVEL 6
#define GZIP_MAX_SIZE (8u << 20)

struct docset {
	atomic_uint refs;
	bool sealed;
	struct doc *docs;	/* name, body and gz malloc'd, owned here */
	size_t n, cap;
};

static const struct {
	const char *ext;
	const char *type;
	bool feed;
} types[] = {
	{ ".atom", "application/atom+xml; charset=utf-8", true },
	{ ".rss", "application/rss+xml; charset=utf-8", true },
	{ ".json", "application/feed+json; charset=utf-8", true },
	{ ".html", "text/html; charset=utf-8", false },
	{ ".css", "text/css; charset=utf-8", false },
	{ ".xml", "application/xml; charset=utf-8", false },	/* sitemaps */
};

static int
type_index(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return (int)i;
	}
	return -1;
}

const char *
docset_type(const char *name)
{
	int i = type_index(name);

	return i < 0 ? NULL : types[i].type;
}

/* Segments separated by single '/', none empty or starting with '.', no
 * control byte or backslash. */
static bool
valid_name(const char *name)
{
	const char *p = name;

	for (;;) {
		if (*p == '\0' || *p == '/' || *p == '.')
			return false;
		for (; *p != '\0' && *p != '/'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f ||
			    *p == '\\')
				return false;
		if (*p == '\0')
			return true;
		p++;
	}
}

struct docset *
docset_new(void)
{
	struct docset *ds = calloc(1, sizeof(*ds));

	if (ds != NULL)
		atomic_init(&ds->refs, 1);
	return ds;
}

/* Add name with body (malloc'd; owned by ds from here on, whatever the
 * result). */
static int
add_owned(struct docset *ds, const char *name, unsigned char *body,
    size_t len, time_t mtime)
{
	int t = type_index(name);
	struct doc *d;

	if (t < 0 || !valid_name(name) || ds->sealed) {
		free(body);
		errno = EINVAL;
		return -1;
	}
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 8;
		struct doc *docs = reallocarray(ds->docs, cap, sizeof(*docs));

		if (docs == NULL) {
			free(body);
			errno = ENOMEM;
			return -1;
		}
		ds->docs = docs;
		ds->cap = cap;
	}
	d = &ds->docs[ds->n];
	memset(d, 0, sizeof(*d));
	if ((d->name = strdup(name)) == NULL) {
		free(body);
		errno = ENOMEM;
		return -1;
	}
	d->type = types[t].type;
	d->feed = types[t].feed;
	d->body = body;
	d->len = len;
	d->mtime = mtime;
	ds->n++;
	return 0;
}

int
docset_add(struct docset *ds, const char *name, const void *data,
    size_t len, time_t mtime)
{
	/* One byte more, so that an empty document is not malloc(0). */
	unsigned char *body = malloc(len + 1);

	if (body == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(body, data, len);
	return add_owned(ds, name, body, len, mtime);
}

/* Read the regular file fd of size bytes (it may change meanwhile: read
 * what is there up to one byte more than expected, then stop). */
static unsigned char *
read_file(int fd, size_t size, size_t *len)
{
	unsigned char *buf = malloc(size + 1);
	size_t got = 0;

	if (buf == NULL)
		return NULL;
	while (got < size + 1) {
		ssize_t r = read(fd, buf + got, size + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > size) {	/* growing: a writer is not done */
		free(buf);
		errno = EAGAIN;
		return NULL;
	}
	*len = got;
	return buf;
}

static int load_dir(struct docset *ds, int dfd, const char *dir,
    const char *rel, int depth);

static int
load_entry(struct docset *ds, int dfd, const char *dir, const char *rel,
    const char *name, int depth)
{
	char path[4096];
	struct stat st;
	unsigned char *body;
	size_t len;
	int fd, rc;

	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", rel,
	    *rel ? "/" : "", name) >= sizeof(path))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;	/* gone: fine */
	if (S_ISDIR(st.st_mode)) {
		if (depth >= LOAD_MAX_DEPTH) {
			log_warnx("%s/%s: more than %d folders deep, not "
			    "served", dir, path, LOAD_MAX_DEPTH);
			return 0;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)	/* gone, or a symlink by now: skipped */
			return errno == ENOENT || errno == ELOOP ? 0 : -1;
		return load_dir(ds, fd, dir, path, depth + 1);
	}
	if (!S_ISREG(st.st_mode) || docset_type(name) == NULL)
		return 0;
	/* O_NONBLOCK: should it have become a FIFO since the stat. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if ((uintmax_t)st.st_size > LOAD_MAX_SIZE) {
		log_warnx("%s/%s: larger than %u MiB, not served", dir, path,
		    LOAD_MAX_SIZE >> 20);
		close(fd);
		return 0;
	}
	body = read_file(fd, (size_t)st.st_size, &len);
	close(fd);
	if (body == NULL)
		return -1;
	rc = add_owned(ds, path, body, len, st.st_mtime);
	return rc < 0 && errno == EINVAL ? 0 : rc;
}

/* Load the folder open as dfd (taken over: closed here), dir/rel. */
static int
load_dir(struct docset *ds, int dfd, const char *dir, const char *rel,
    int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return -1;
	}
	while (rc == 0) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			if (errno != 0)
				rc = -1;
			break;
		}
		if (e->d_name[0] != '.')
			rc = load_entry(ds, dirfd(d), dir, rel, e->d_name,
			    depth);
	}
	if (rc < 0) {
		int saved = errno;

		closedir(d);
		errno = saved;
		return -1;
	}
	closedir(d);
	return 0;
}

int
docset_load(struct docset *ds, const char *dir)
{
	size_t before = ds->n;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || load_dir(ds, fd, dir, "", 0) < 0) {
		log_err("cannot read %s to serve it", dir);
		return -1;
	}
	return (int)(ds->n - before);
}

static int
cmp_doc(const void *a, const void *b)
{
	return strcmp(((const struct doc *)a)->name,
	    ((const struct doc *)b)->name);
}

static int
cmp_key(const void *key, const void *d)
{
	return strcmp(key, ((const struct doc *)d)->name);
}

/* gzip (RFC 1952, mtime 0: the same bytes give the same copy). Returns
 * 0 with *gz (NULL when not smaller), or -1 out of memory. */
static int
compress_doc(const struct doc *d, unsigned char **gz, size_t *gzlen)
{
	z_stream z;
	unsigned char *out;
	uLong bound;
	int rc;

	*gz = NULL;
	*gzlen = 0;
	if (d->len > GZIP_MAX_SIZE || d->len < 64)
		return 0;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 9,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)d->len);
	if ((out = malloc(bound)) == NULL) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)d->body;
	z.avail_in = (uInt)d->len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END || z.total_out >= d->len) {
		free(out);
		return rc == Z_STREAM_END ? 0 : -1;
	}
	*gz = out;
	*gzlen = z.total_out;
	return 0;
}

static int
hash_doc(struct doc *d)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char hex[33];

	if (EVP_Digest(d->body, d->len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(d->etag, sizeof(d->etag), "\"%s\"", hex);
	snprintf(d->gzetag, sizeof(d->gzetag), "\"%s-gz\"", hex);
	return 0;
}

/* Give d its gzip copy: prev's when it has the same bytes. */
static int
seal_doc(struct doc *d, const struct docset *prev)
{
	const struct doc *old = prev ? docset_find(prev, d->name) : NULL;
	unsigned char *gz;
	size_t gzlen;

	if (hash_doc(d) < 0)
		return -1;
	if (old != NULL && old->len == d->len &&
	    memcmp(old->body, d->body, d->len) == 0) {
		d->mtime = old->mtime;
		gzlen = old->gzlen;
		gz = NULL;
		if (old->gz != NULL && (gz = malloc(gzlen)) == NULL)
			return -1;
		if (gz != NULL)
			memcpy(gz, old->gz, gzlen);
	} else if (compress_doc(d, &gz, &gzlen) < 0) {
		return -1;
	}
	d->gz = gz;
	d->gzlen = gzlen;
	return 0;
}

int
docset_seal(struct docset *ds, const struct docset *prev)
{
	if (ds->sealed)
		return 0;
	if (ds->n > 0)
		qsort(ds->docs, ds->n, sizeof(*ds->docs), cmp_doc);
	for (size_t i = 0; i + 1 < ds->n; i++)
		if (strcmp(ds->docs[i].name, ds->docs[i + 1].name) == 0) {
			errno = EEXIST;
			return -1;
		}
	for (size_t i = 0; i < ds->n; i++)
		if (seal_doc(&ds->docs[i], prev) < 0)
			return -1;
	ds->sealed = true;
	return 0;
}

size_t
docset_count(const struct docset *ds)
{
	return ds->n;
}

const struct doc *
docset_at(const struct docset *ds, size_t i)
{
	return i < ds->n ? &ds->docs[i] : NULL;
}

const struct doc *
docset_find(const struct docset *ds, const char *name)
{
	if (!ds->sealed || ds->n == 0)
		return NULL;
	return bsearch(name, ds->docs, ds->n, sizeof(*ds->docs), cmp_key);
}

struct docset *
docset_ref(struct docset *ds)
{
	atomic_fetch_add_explicit(&ds->refs, 1, memory_order_relaxed);
	return ds;
}

void
docset_unref(struct docset *ds)
{
	if (ds == NULL ||
	    atomic_fetch_sub_explicit(&ds->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < ds->n; i++) {
		free((char *)ds->docs[i].name);
		free((unsigned char *)ds->docs[i].body);
		free((unsigned char *)ds->docs[i].gz);
	}
	free(ds->docs);
	free(ds);
}
