/*
 * docset: see docset.h.
 */
#include "docset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/*
 * A file changed after a walk stat'ed it has a ctime above the walk's
 * start minus the file system's timestamp granularity: a clock tick (10
 * ms at most: HZ >= 100) on ext4, xfs, btrfs and tmpfs, a second on ext3
 * or some NFS servers, two seconds on FAT. A ctime with nanoseconds tells
 * the fine kind (a fine one that happens to end in .000000000 is taken for
 * coarse: only read once more). Files stamped within the granularity
 * before a walk are read again and compared at the next walk.
 */
#define RACY_FINE_NS (20 * 1000000L)
#define RACY_COARSE_S 2

/* A document and its references: the sets holding it, doc_ref()s. */
struct node {
	atomic_uint refs;
	bool sealed;		/* hashed (and compressed, unless pending) */
	bool pending;		/* its gzip copy is for docset_compress() */
	struct doc d;		/* name, body and gz malloc'd, owned here */
};

/* The file a document was read from, as fstat() saw it when read. */
struct fileid {
	bool known;		/* false: added from memory */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

struct slot {
	struct node *node;	/* one reference */
	struct fileid id;
};

struct docset {
	atomic_uint refs;
	bool sealed;
	bool inorder;		/* v sorted, names distinct (docset_update) */
	struct slot *v;
	size_t n, cap;
	struct timespec walked;	/* CLOCK_REALTIME when the walk began */
	size_t nread;		/* files the walk read */
	size_t npending;	/* documents waiting for docset_compress() */
	char **gone;		/* docset_set_gone()'s, sorted, distinct */
	size_t ngone;
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

static struct node *
node_of(const struct doc *d)
{
	return (struct node *)(void *)((char *)d - offsetof(struct node, d));
}

static void
node_unref(struct node *n)
{
	if (n == NULL || atomic_fetch_sub_explicit(&n->refs, 1,
	    memory_order_acq_rel) != 1)
		return;
	free((char *)n->d.name);
	free((unsigned char *)n->d.body);
	free((unsigned char *)n->d.gz);
	free(n);
}

static struct node *
node_ref(struct node *n)
{
	atomic_fetch_add_explicit(&n->refs, 1, memory_order_relaxed);
	return n;
}

const struct doc *
doc_ref(const struct doc *d)
{
	node_ref(node_of(d));
	return d;
}

void
doc_unref(const struct doc *d)
{
	if (d != NULL)
		node_unref(node_of(d));
}

/* Append a slot holding n (its reference taken over, whatever the
 * result). */
static int
push(struct docset *ds, struct node *n, const struct fileid *id)
{
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 16;
		struct slot *v = reallocarray(ds->v, cap, sizeof(*v));

		if (v == NULL) {
			node_unref(n);
			errno = ENOMEM;
			return -1;
		}
		ds->v = v;
		ds->cap = cap;
	}
	ds->inorder = false;
	ds->v[ds->n].node = n;
	if (id != NULL)
		ds->v[ds->n].id = *id;
	else
		memset(&ds->v[ds->n].id, 0, sizeof(ds->v[ds->n].id));
	ds->n++;
	return 0;
}

/* Add name with body (malloc'd; owned by ds from here on, whatever the
 * result), read from the file id (NULL: from memory). */
static int
add_owned(struct docset *ds, const char *name, unsigned char *body,
    size_t len, time_t mtime, const struct fileid *id)
{
	int t = type_index(name);
	struct node *n;

	if (t < 0 || !valid_name(name) || ds->sealed) {
		free(body);
		errno = EINVAL;
		return -1;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->d.name = strdup(name)) == NULL) {
		free(n);
		free(body);
		errno = ENOMEM;
		return -1;
	}
	atomic_init(&n->refs, 1);
	n->d.type = types[t].type;
	n->d.feed = types[t].feed;
	n->d.body = body;
	n->d.len = len;
	n->d.mtime = mtime;
	return push(ds, n, id);
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
	return add_owned(ds, name, body, len, mtime, NULL);
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

/* What one walk needs besides the folder it is in. */
struct walk {
	struct docset *ds;
	const struct docset *prev;	/* sealed, or NULL */
	const char *dir;		/* for the log */
};

static void
fileid_of(const struct stat *st, struct fileid *id)
{
	id->known = true;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtim = st->st_mtim;
	id->ctim = st->st_ctim;
}

static bool
same_file(const struct fileid *a, const struct fileid *b)
{
	return a->known && b->known && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec &&
	    a->ctim.tv_sec == b->ctim.tv_sec &&
	    a->ctim.tv_nsec == b->ctim.tv_nsec;
}

static const struct slot *find_slot(const struct docset *ds,
    const char *name);

/* Whether a change after a walk that began at walked could leave ctime
 * as it was (see RACY_FINE_NS). */
static bool
racy(const struct timespec *ctime, const struct timespec *walked)
{
	struct timespec edge = *walked;

	if (ctime->tv_nsec == 0) {
		edge.tv_sec -= RACY_COARSE_S;
	} else if ((edge.tv_nsec -= RACY_FINE_NS) < 0) {
		edge.tv_nsec += 1000000000L;
		edge.tv_sec--;
	}
	return ctime->tv_sec > edge.tv_sec || (ctime->tv_sec == edge.tv_sec &&
	    ctime->tv_nsec >= edge.tv_nsec);
}

/* prev's document for path when st is the very file it read, and no
 * change could hide behind equal timestamps. */
static struct node *
unchanged(const struct walk *w, const char *path, const struct stat *st)
{
	const struct slot *old;
	struct fileid id;

	if (w->prev == NULL || (old = find_slot(w->prev, path)) == NULL)
		return NULL;
	fileid_of(st, &id);
	if (!same_file(&old->id, &id) || racy(&old->id.ctim,
	    &w->prev->walked))
		return NULL;
	return old->node;
}

static int load_dir(struct walk *w, int dfd, const char *rel, int depth);
static const char **names_sorted(const char *const *names, size_t n,
    size_t *m);
static int read_entry(struct walk *w, int dfd, const char *path,
    const char *name);

static int
load_entry(struct walk *w, int dfd, const char *rel, const char *name,
    int depth)
{
	char path[4096];
	struct stat st;
	struct fileid id;
	struct node *old;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", rel,
	    *rel ? "/" : "", name) >= sizeof(path))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;	/* gone: fine */
	if (S_ISDIR(st.st_mode)) {
		if (depth >= LOAD_MAX_DEPTH) {
			log_warnx("%s/%s: more than %d folders deep, not "
			    "served", w->dir, path, LOAD_MAX_DEPTH);
			return 0;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)	/* gone, or a symlink by now: skipped */
			return errno == ENOENT || errno == ELOOP ? 0 : -1;
		return load_dir(w, fd, path, depth + 1);
	}
	if (!S_ISREG(st.st_mode) || docset_type(name) == NULL)
		return 0;
	if ((old = unchanged(w, path, &st)) != NULL) {
		fileid_of(&st, &id);
		return push(w->ds, node_ref(old), &id);
	}
	return read_entry(w, dfd, path, name);
}

/* Add dir/path, open as name in dfd, when it is a regular file (not a
 * symlink, not too large). Returns 0 (added or skipped) or -1. */
static int
read_entry(struct walk *w, int dfd, const char *path, const char *name)
{
	struct stat st;
	struct fileid id;
	unsigned char *body;
	size_t len;
	int fd, rc;

	/* O_NONBLOCK: should it have become a FIFO since the stat. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if ((uintmax_t)st.st_size > LOAD_MAX_SIZE) {
		log_warnx("%s/%s: larger than %u MiB, not served", w->dir, path,
		    LOAD_MAX_SIZE >> 20);
		close(fd);
		return 0;
	}
	body = read_file(fd, (size_t)st.st_size, &len);
	close(fd);
	if (body == NULL)
		return -1;
	w->ds->nread++;
	fileid_of(&st, &id);
	rc = add_owned(w->ds, path, body, len, st.st_mtime, &id);
	return rc < 0 && errno == EINVAL ? 0 : rc;
}

/* Load the folder open as dfd (taken over: closed here), dir/rel. */
static int
load_dir(struct walk *w, int dfd, const char *rel, int depth)
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
			rc = load_entry(w, dirfd(d), rel, e->d_name, depth);
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
docset_reload(struct docset *ds, const char *dir, const struct docset *prev)
{
	struct walk w = { ds, prev && prev->sealed ? prev : NULL, dir };
	size_t before = ds->n;
	int fd;

	/* Before the first stat: what changes after it is seen next time. */
	clock_gettime(CLOCK_REALTIME, &ds->walked);
	ds->nread = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || load_dir(&w, fd, "", 0) < 0) {
		log_err("cannot read %s to serve it", dir);
		return -1;
	}
	return (int)(ds->n - before);
}

int
docset_load(struct docset *ds, const char *dir)
{
	return docset_reload(ds, dir, NULL);
}

/*
 * Add dir/name (rfd: dir open) when it is a document the walk would add:
 * a served name, no folder on the way a symlink, at most LOAD_MAX_DEPTH
 * folders deep. Returns 0 (added or not there) or -1.
 */
static int
read_named(struct walk *w, int rfd, const char *name)
{
	char buf[4096], *seg = buf, *slash;
	int dfd = rfd, fd, rc, depth = 0;

	if (!valid_name(name) || docset_type(name) == NULL ||
	    strlen(name) >= sizeof(buf))
		return 0;
	memcpy(buf, name, strlen(name) + 1);
	for (; (slash = strchr(seg, '/')) != NULL; seg = slash + 1) {
		*slash = '\0';
		fd = ++depth > LOAD_MAX_DEPTH ? -2 : openat(dfd, seg,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd != rfd)
			close(dfd);
		if (fd < 0)	/* not there, or a symlink: not served */
			return fd == -2 || errno == ENOENT || errno == ELOOP ||
			    errno == ENOTDIR ? 0 : -1;
		dfd = fd;
	}
	rc = read_entry(w, dfd, name, seg);
	if (dfd != rfd) {
		int saved = errno;

		close(dfd);
		errno = saved;
	}
	return rc;
}

int
docset_update(struct docset *ds, const char *dir, const struct docset *prev,
    const char *const *names, size_t n)
{
	struct walk w = { ds, prev, dir };
	const char **v;
	size_t m, i = 0, j = 0;
	int fd, rc = 0;

	if (ds->sealed || ds->n > 0 || prev == NULL || !prev->sealed) {
		errno = EINVAL;
		return -1;
	}
	if ((v = names_sorted(names, n, &m)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* The files not named are as the last walk saw them: its time
	 * stays, so that those it took for racy are read at the next. */
	ds->walked = prev->walked;
	ds->nread = 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = -1;
	/* Both sorted: merged in order, so sealing sorts nothing. */
	while (rc == 0 && (i < prev->n || j < m)) {
		int c = i == prev->n ? 1 : j == m ? -1 :
		    strcmp(prev->v[i].node->d.name, v[j]);

		if (c < 0) {
			rc = push(ds, node_ref(prev->v[i].node), &prev->v[i].id);
			i++;
			continue;
		}
		i += c == 0;
		rc = read_named(&w, fd, v[j++]);
	}
	if (fd >= 0)
		close(fd);
	free(v);
	if (rc < 0) {
		log_err("cannot read %s to serve it", dir);
		return -1;
	}
	ds->inorder = true;
	return (int)ds->n;
}

size_t
docset_files_read(const struct docset *ds)
{
	return ds->nread;
}

static int
cmp_slot(const void *a, const void *b)
{
	return strcmp(((const struct slot *)a)->node->d.name,
	    ((const struct slot *)b)->node->d.name);
}

static int
cmp_key(const void *key, const void *s)
{
	return strcmp(key, ((const struct slot *)s)->node->d.name);
}

static const struct slot *
find_slot(const struct docset *ds, const char *name)
{
	if (!ds->sealed || ds->n == 0)
		return NULL;
	return bsearch(name, ds->v, ds->n, sizeof(*ds->v), cmp_key);
}

/* Too small to gain, or too large to stall the loop with. */
static bool
worth_compressing(const struct doc *d)
{
	return d->len >= 64 && d->len <= GZIP_MAX_SIZE;
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
	if (!worth_compressing(d))
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

/* Hash and compress s's document (or leave that for docset_compress()),
 * or take prev's when it has the same bytes (then s holds prev's node,
 * validators and all). */
static int
seal_slot(struct slot *s, const struct docset *prev, bool compress)
{
	const struct slot *old;
	struct doc *d = &s->node->d;
	unsigned char *gz;
	size_t gzlen;

	/* First: a set of N shared documents seals without N lookups. */
	if (s->node->sealed)
		return 0;
	old = prev ? find_slot(prev, d->name) : NULL;
	if (old != NULL && old->node->d.len == d->len &&
	    memcmp(old->node->d.body, d->body, d->len) == 0) {
		node_unref(s->node);
		s->node = node_ref(old->node);
		return 0;
	}
	if (hash_doc(d) < 0)
		return -1;
	if (!compress) {
		s->node->pending = worth_compressing(d);
	} else if (compress_doc(d, &gz, &gzlen) < 0) {
		return -1;
	} else {
		d->gz = gz;
		d->gzlen = gzlen;
	}
	s->node->sealed = true;
	return 0;
}

static int
seal(struct docset *ds, const struct docset *prev, bool compress)
{
	if (ds->sealed)
		return 0;
	if (prev != NULL && !prev->sealed)
		prev = NULL;
	if (ds->n > 0 && !ds->inorder)
		qsort(ds->v, ds->n, sizeof(*ds->v), cmp_slot);
	for (size_t i = 0; !ds->inorder && i + 1 < ds->n; i++)
		if (strcmp(ds->v[i].node->d.name,
		    ds->v[i + 1].node->d.name) == 0) {
			errno = EEXIST;
			return -1;
		}
	ds->npending = 0;
	for (size_t i = 0; i < ds->n; i++) {
		if (seal_slot(&ds->v[i], prev, compress) < 0)
			return -1;
		ds->npending += ds->v[i].node->pending;
	}
	ds->sealed = true;
	return 0;
}

int
docset_seal(struct docset *ds, const struct docset *prev)
{
	return seal(ds, prev, true);
}

int
docset_seal_plain(struct docset *ds, const struct docset *prev)
{
	return seal(ds, prev, false);
}

size_t
docset_pending(const struct docset *ds)
{
	return ds->sealed ? ds->npending : 0;
}

/* A sealed node with n's document and its gzip copy, or NULL. */
static struct node *
compressed(const struct node *n)
{
	struct node *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	atomic_init(&c->refs, 1);
	c->sealed = true;
	c->d = n->d;
	c->d.gz = NULL;
	c->d.name = strdup(n->d.name);
	/* One byte more, as docset_add(). */
	if ((c->d.body = malloc(n->d.len + 1)) != NULL)
		memcpy((unsigned char *)c->d.body, n->d.body, n->d.len);
	if (c->d.name == NULL || c->d.body == NULL ||
	    compress_doc(&c->d, (unsigned char **)&c->d.gz, &c->d.gzlen) < 0) {
		node_unref(c);
		return NULL;
	}
	return c;
}

/*
 * done's copy of n's document when it has one made from the same bytes
 * (name, length, SHA-256) and Last-Modified, or NULL: done is kept by the
 * gzip thread, so a publish while it works costs the documents it
 * changed, not the whole site.
 */
static struct node *
compressed_before(const struct docset *done, const struct node *n)
{
	const struct slot *s = done ? find_slot(done, n->d.name) : NULL;

	if (s == NULL || s->node->pending || !s->node->sealed ||
	    s->node->d.len != n->d.len || s->node->d.mtime != n->d.mtime ||
	    strcmp(s->node->d.etag, n->d.etag) != 0)
		return NULL;
	return node_ref(s->node);
}

struct docset *
docset_compress(const struct docset *ds, const struct docset *done)
{
	struct docset *c = docset_new();

	if (c == NULL || (ds->n > 0 && (c->v = calloc(ds->n,
	    sizeof(*c->v))) == NULL))
		goto fail;
	c->cap = ds->n;
	c->walked = ds->walked;
	c->nread = ds->nread;
	for (; c->n < ds->n; c->n++) {
		struct node *n = ds->v[c->n].node;

		c->v[c->n].id = ds->v[c->n].id;
		if (!n->pending)
			c->v[c->n].node = node_ref(n);
		else if ((c->v[c->n].node = compressed_before(done, n)) ==
		    NULL && (c->v[c->n].node = compressed(n)) == NULL)
			goto fail;
	}
	if (docset_set_gone(c, (const char *const *)ds->gone, ds->ngone) < 0)
		goto fail;
	c->sealed = true;
	return c;
fail:
	docset_unref(c);
	errno = ENOMEM;
	return NULL;
}

/* ---- gone on purpose ---------------------------------------------------- */

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* names[0..n), sorted, each once, as pointers into names (caller frees
 * the array alone); *m their count. NULL when out of memory. */
static const char **
names_sorted(const char *const *names, size_t n, size_t *m)
{
	const char **v = malloc((n + 1) * sizeof(*v));

	*m = 0;
	if (v == NULL)
		return NULL;
	if (n > 0)
		memcpy(v, names, n * sizeof(*v));
	qsort(v, n, sizeof(*v), by_name);
	for (size_t i = 0; i < n; i++)
		if (*m == 0 || strcmp(v[*m - 1], v[i]) != 0)
			v[(*m)++] = v[i];
	return v;
}

int
docset_set_gone(struct docset *ds, const char *const *names, size_t n)
{
	const char **v;
	char **c;
	size_t m, i;

	if (ds->sealed) {
		errno = EINVAL;
		return -1;
	}
	if ((v = names_sorted(names, n, &m)) == NULL ||
	    (c = calloc(m + 1, sizeof(*c))) == NULL) {
		free(v);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < m && (c[i] = strdup(v[i])) != NULL; i++)
		;
	free(v);
	if (i < m) {
		names_free(c, i);
		errno = ENOMEM;
		return -1;
	}
	names_free(ds->gone, ds->ngone);
	ds->gone = c;
	ds->ngone = m;
	return 0;
}

bool
docset_gone(const struct docset *ds, const char *name)
{
	return ds->ngone > 0 && bsearch(&name, ds->gone, ds->ngone,
	    sizeof(*ds->gone), by_name) != NULL;
}

const char *const *
docset_gone_names(const struct docset *ds, size_t *n)
{
	*n = ds->ngone;
	return (const char *const *)ds->gone;
}

bool
docset_same_gone(const struct docset *ds, const char *const *names,
    size_t n)
{
	size_t m;
	const char **v = names_sorted(names, n, &m);
	bool same = v != NULL && m == ds->ngone;

	for (size_t i = 0; same && i < m; i++)
		same = strcmp(v[i], ds->gone[i]) == 0;
	free(v);
	return same;	/* out of memory: not known to be the same */
}

size_t
docset_count(const struct docset *ds)
{
	return ds->n;
}

const struct doc *
docset_at(const struct docset *ds, size_t i)
{
	return i < ds->n ? &ds->v[i].node->d : NULL;
}

const struct doc *
docset_find(const struct docset *ds, const char *name)
{
	const struct slot *s = find_slot(ds, name);

	return s ? &s->node->d : NULL;
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
	for (size_t i = 0; i < ds->n; i++)
		node_unref(ds->v[i].node);
	free(ds->v);
	names_free(ds->gone, ds->ngone);
	free(ds);
}
