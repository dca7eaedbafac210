/*
 * scan: walk the releases folder (see scan.h).
 */
#include "scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileopen.h"
#include "inherit.h"

static int
by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What an edited release inherits from the version it replaces. */
static void
carry_over(struct release *r, const struct release *old)
{
	struct release_past was;

	if (old == NULL)
		return;
	was = release_past_of(old);
	release_inherit(r, &was, memcmp(r->digest, old->digest,
	    sizeof(r->digest)) == 0);
}

/*
 * The one place an id clash is settled and told: the file at loser (its
 * release in s, if any, leaves s) gives up the id to the file at winner.
 */
static void
lose_id(struct store *s, const char *loser, const char *winner,
    scan_error_fn *on_error, void *ud)
{
	struct release_error err = { .clash = true };
	struct release *r;

	snprintf(err.msg, sizeof(err.msg), "has the same id as %s; give one "
	    "of them its own 'id:' in the front matter", winner);
	r = store_take(s, loser);
	on_error(ud, loser, &err);
	release_free(r);
}

/*
 * Of two files with one id, the one that held it in prev keeps it, so a
 * full rescan does not swap the published entry for the other file.
 */
static void
evict_newcomer(struct store *s, struct store *prev, const struct release *r,
    scan_error_fn *on_error, void *ud)
{
	struct release *other, *held;

	/* No previous state (a start): no look-up of r's id either. */
	if (prev == NULL || store_count(prev) == 0 ||
	    (other = store_get_id(s, r->id)) == NULL ||
	    strcmp(other->path, r->path) == 0 ||
	    (held = store_get_id(prev, r->id)) == NULL ||
	    strcmp(held->path, r->path) != 0)
		return;
	lose_id(s, other->path, r->path, on_error, ud);
}

/* Whether root/relpath is not there, not even as a dangling link. */
static bool
is_gone(const char *root, const char *relpath)
{
	struct stat st;
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool gone = fd >= 0 && fstatat(fd, relpath, &st,
	    AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;

	if (fd >= 0)
		close(fd);
	return gone;
}

/* What commit() did with a file. */
enum commit_result {
	COMMIT_IN,		/* the release is in s */
	COMMIT_GONE,		/* the file is gone: not in s */
	COMMIT_SKIPPED,		/* reported (on_error) */
	COMMIT_NOMEM,		/* reported too, and s lacks what it should hold */
};

/*
 * A file that failed to read: a removal when it is gone (a dangling link
 * is not gone), else reported; a passing read error keeps what was
 * published (from s itself, or from prev).
 */
static enum commit_result
commit_failed(const char *root, const char *relpath,
    struct release_error *err, struct store *s, struct store *prev,
    scan_error_fn *on_error, void *ud)
{
	enum commit_result res = COMMIT_SKIPPED;
	struct release *old;
	bool gone = err->errnum == ENOENT && is_gone(root, relpath);

	if (!err->transient)
		store_remove(s, relpath);
	else if (prev != NULL && (old = store_take(prev, relpath)) != NULL &&
	    store_put(s, old, NULL) != STORE_PUT_OK)
		res = COMMIT_NOMEM;
	if (gone && res != COMMIT_NOMEM)
		return COMMIT_GONE;
	on_error(ud, relpath, err);
	return res;
}

/*
 * Put the result of loading relpath into s: the release, or a removal when
 * the file is gone, or an error.
 */
static enum commit_result
commit(const char *root, const char *relpath, struct release *r,
    struct release_error *err, struct store *s, struct store *prev,
    scan_error_fn *on_error, void *ud)
{
	const char *clash = NULL;
	struct release *old;

	if (r == NULL)
		return commit_failed(root, relpath, err, s, prev, on_error, ud);
	if ((old = store_get(s, relpath)) == NULL && prev != NULL)
		old = store_get(prev, relpath);
	carry_over(r, old);
	evict_newcomer(s, prev, r, on_error, ud);
	switch (store_put(s, r, &clash)) {
	case STORE_PUT_OK:
		return COMMIT_IN;
	case STORE_PUT_CLASH:
		/* Its old version, if any, goes too. */
		lose_id(s, relpath, clash, on_error, ud);
		break;
	case STORE_PUT_NOMEM:
		release_error_oom(err);
		on_error(ud, relpath, err);
		return COMMIT_NOMEM;
	}
	return COMMIT_SKIPPED;
}

static bool
wanted(const char *relpath)
{
	const char *base = strrchr(relpath, '/');

	return release_format_of(base ? base + 1 : relpath) >= 0;
}

/* The key of root/relpath (dirfd: root, or -1), false when it has none. */
static bool
key_of(int dirfd, const char *root, const char *relpath, struct scan_key *k)
{
	char full[PATH_MAX];
	struct stat st;
	int rc;

	if (dirfd >= 0) {
		rc = fstatat(dirfd, relpath, &st, AT_SYMLINK_NOFOLLOW);
	} else {
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", root,
		    relpath) >= sizeof(full))
			return false;
		rc = lstat(full, &st);
	}
	/* A symlink is read each time: its target has a key of its own. */
	if (rc < 0 || !S_ISREG(st.st_mode))
		return false;
	k->size = (int64_t)st.st_size;
	k->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	k->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
	    st.st_ctim.tv_nsec;
	k->ino = (int64_t)st.st_ino;
	k->dev = (int64_t)st.st_dev;
	return true;
}

int
scan_file(const struct feed_meta *m, const char *root, const char *relpath,
    struct store *s, struct store *prev, scan_error_fn *on_error, void *ud)
{
	return scan_file_cached(m, root, relpath, s, prev, NULL, on_error, ud);
}

int
scan_file_cached(const struct feed_meta *m, const char *root,
    const char *relpath, struct store *s, struct store *prev,
    const struct scan_cache *cache, scan_error_fn *on_error, void *ud)
{
	struct release_error err = { .line = 0 };
	struct release *r = NULL;
	struct scan_key key;
	bool keyed;

	if (!wanted(relpath))
		return 1;
	keyed = cache != NULL && key_of(-1, root, relpath, &key);
	release_load(m, root, relpath, &r, &err);
	if (keyed && r != NULL)
		cache->put(cache->ud, r, &key);
	switch (commit(root, relpath, r, &err, s, prev, on_error, ud)) {
	case COMMIT_IN:
		return 0;
	case COMMIT_GONE:
		return 1;
	case COMMIT_SKIPPED:
	case COMMIT_NOMEM:
		break;
	}
	return -1;
}

/* The release files under a folder, in byte order of their paths. */
struct job {
	const struct feed_meta *m;
	const char *root;
	char **paths;
	struct release **rs;
	struct release_error **errs;	/* of the files that failed */
	size_t n, cap;
	bool broken;		/* a folder could not be read */
	char **bad_dirs;	/* those folders (not the root) */
	size_t nbad;
	scan_error_fn *on_error;
	void *ud;
	bool want_keys;		/* a cache: key each file as it is listed */
	struct scan_key *keys;	/* with a cache: of each path */
	unsigned char *keyed;	/* KEY_* of each path */
};

enum { KEY_NONE, KEY_READ, KEY_CACHED };

static bool key_of(int dirfd, const char *root, const char *relpath,
    struct scan_key *k);

/* Room for cap paths (and their keys, if wanted). */
static int
grow_paths(struct job *j, size_t cap)
{
	char **v = realloc(j->paths, cap * sizeof(*v));
	struct scan_key *k;
	unsigned char *kd;

	if (v == NULL)
		return -1;
	j->paths = v;
	if (j->want_keys) {
		if ((k = realloc(j->keys, cap * sizeof(*k))) == NULL)
			return -1;
		j->keys = k;
		if ((kd = realloc(j->keyed, cap)) == NULL)
			return -1;
		j->keyed = kd;
	}
	j->cap = cap;
	return 0;
}

/* The file rel, with its key when the job wants keys (NULL: none). */
static int
add_path(struct job *j, const char *rel, const struct scan_key *key)
{
	if (j->n == j->cap && grow_paths(j, j->cap ? j->cap * 2 : 256) < 0)
		return -1;
	if ((j->paths[j->n] = strdup(rel)) == NULL)
		return -1;
	if (j->want_keys) {
		j->keyed[j->n] = key != NULL ? KEY_READ : KEY_NONE;
		if (key != NULL)
			j->keys[j->n] = *key;
	}
	j->n++;
	return 0;
}

/* Tell on_error (if any) about rel: a permanent problem, msg printf-style. */
static void
report(struct job *j, const char *rel, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(struct job *j, const char *rel, int errnum, const char *fmt, ...)
{
	struct release_error err = { .errnum = errnum };
	va_list ap;

	if (j->on_error == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	j->on_error(j->ud, rel, &err);
}

/*
 * A folder that cannot be read: reported (unless it is the root), and the
 * scan is broken (see scan_folder()). Returns -1 with errno e.
 */
static int
dir_failed(struct job *j, const char *rel, int e)
{
	if (*rel)
		report(j, rel, e, "cannot read this folder: %s", strerror(e));
	j->broken = true;
	if (*rel) {
		char **v = realloc(j->bad_dirs, (j->nbad + 1) * sizeof(*v));

		if (v != NULL && (v[j->nbad] = strdup(rel)) != NULL)
			j->nbad++;
		if (v != NULL)
			j->bad_dirs = v;
	}
	errno = e;
	return -1;
}

/* One folder entry: its name and what d_type (or fstatat) says it is. */
struct entry {
	char *name;
	unsigned char type;	/* DT_DIR, DT_REG, DT_LNK, ... */
};

/*
 * Names as their paths sort: a folder's name as if it ended in '/', so
 * "2019-x" (its files "2019-x/...") comes before "2019" ("2019/...").
 * A walk in this order lists the whole paths in byte order.
 */
static int
by_entry_name(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->name,
	    *q = (const unsigned char *)y->name;
	int cp, cq;

	/* Two files (most of a big folder): their names are the order. */
	if (x->type != DT_DIR && y->type != DT_DIR)
		return strcmp(x->name, y->name);
	for (; *p != '\0' && *p == *q; p++, q++)
		;
	cp = *p != '\0' ? *p : x->type == DT_DIR ? '/' : 0;
	cq = *q != '\0' ? *q : y->type == DT_DIR ? '/' : 0;
	return cp - cq;
}

static void
free_entries(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/*
 * The visible entries of the folder dirfd (left open: it reads a
 * duplicate), in byte order of their names. d_type saves a stat per entry; where the
 * file system leaves it DT_UNKNOWN, fstatat() without following links
 * stands in. Returns 0, or -1 with errno set.
 */
static int
list_dir(int dirfd, struct entry **out, size_t *nout)
{
	int dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	struct entry *v = NULL, *w;
	struct dirent *de;
	size_t n = 0, cap = 0;
	int e = 0;

	if (d == NULL) {
		e = errno;
		if (dup >= 0)
			close(dup);
		errno = e;
		return -1;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((w = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = w;
		}
		if ((v[n].name = strdup(de->d_name)) == NULL)
			break;
		v[n].type = de->d_type;
		if (v[n].type == DT_UNKNOWN && fstatat(dirfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0)
			v[n].type = S_ISDIR(st.st_mode) ? DT_DIR :
			    S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ?
			    DT_LNK : DT_FIFO;	/* something else, anyway */
		n++;
	}
	e = errno != 0 ? errno : (de != NULL ? ENOMEM : 0);
	closedir(d);
	if (e != 0) {
		free_entries(v, n);
		errno = e;
		return -1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_entry_name);
	*out = v;
	*nout = n;
	return 0;
}

/*
 * What a release file can be told by its folder entry: a regular file or
 * a symlink (fileopen() decides where it may lead); anything else (FIFO,
 * device, socket) is refused here, without opening it.
 */
static bool
may_be_file(unsigned char type)
{
	return type == DT_REG || type == DT_LNK || type == DT_UNKNOWN;
}

/*
 * Whether the symlink name in dirfd, root/rel, leads to a folder outside
 * root. Folder links are never walked; one inside (a shortcut that release
 * links go through) is nothing to tell.
 */
static bool
link_out_to_dir(const struct job *j, int dirfd, const char *name,
    const char *rel)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
		return false;
	if (fileopen(j->root, rel, true, &fd, &st) == FILEOPEN_OUTSIDE)
		return true;
	if (fd >= 0)
		close(fd);
	return false;
}

static void spread(size_t n, void (*fn)(void *ud, size_t t, size_t nt),
    void *ud);

/*
 * The keys of a folder's entries that may be release files, by their
 * names in the folder (a stat of the whole path from the root walked
 * every folder of it again), on the CPUs: a stat per file was a fifth of
 * a restart. ok[i]: entry i has a key.
 */
struct keying {
	int dirfd;
	const struct entry *v;
	size_t n;
	struct scan_key *keys;
	bool *ok;
};

static void
key_some(void *ud, size_t first, size_t stride)
{
	struct keying *k = ud;

	for (size_t i = first; i < k->n; i += stride)
		k->ok[i] = k->v[i].type != DT_DIR && may_be_file(k->v[i].type) &&
		    wanted(k->v[i].name) && key_of(k->dirfd, NULL,
		    k->v[i].name, &k->keys[i]);
}

/* Keys for the n entries v of dirfd, or -1 when out of memory. */
static int
key_entries(int dirfd, const struct entry *v, size_t n, struct keying *k)
{
	*k = (struct keying){ dirfd, v, n, malloc(n * sizeof(*k->keys) + 1),
	    calloc(n + 1, sizeof(*k->ok)) };
	if (k->keys == NULL || k->ok == NULL) {
		free(k->keys);
		free(k->ok);
		return -1;
	}
	spread(n, key_some, k);
	return 0;
}

/*
 * Walk the folder dirfd (closed here), rel under the root, relative to
 * the parent's descriptor all the way down, so depth is no limit for the
 * walk itself. What could not be opened by path later (root/rel longer
 * than PATH_MAX) is reported once, at the first folder or file past the
 * limit, and left out; the rest is published. Returns 0, or -1 when out
 * of memory or the folder cannot be read.
 */
static int
walk_fd(struct job *j, int dirfd, const char *rel)
{
	struct entry *v;
	struct keying k = { .ok = NULL };
	size_t n, root_len = strlen(j->root);
	int rc = 0;

	if (list_dir(dirfd, &v, &n) < 0) {
		int e = errno;

		close(dirfd);
		return dir_failed(j, rel, e);
	}
	if (j->want_keys && key_entries(dirfd, v, n, &k) < 0) {
		free_entries(v, n);
		close(dirfd);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *sub;
		int fd;

		if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "",
		    v[i].name) < 0) {
			rc = -1;
			break;
		}
		if (v[i].type == DT_LNK && !wanted(sub) &&
		    link_out_to_dir(j, dirfd, v[i].name, sub)) {
			/* Item 1: what it leads to is not read; say so. */
			report(j, sub, 0, "a symlink to a folder outside the "
			    "releases folder: not followed");
		} else if (v[i].type != DT_DIR && !wanted(sub)) {
			/* Not a release file: nothing to say. */
		} else if (root_len + 1 + strlen(sub) >= PATH_MAX) {
			report(j, sub, ENAMETOOLONG, "path too long (%zu "
			    "bytes; at most %d): not read", root_len + 1 +
			    strlen(sub), PATH_MAX - 1);
		} else if (v[i].type == DT_DIR) {
			/* Folders are followed, but not through symlinks. */
			fd = openat(dirfd, v[i].name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				dir_failed(j, sub, errno);
			else
				walk_fd(j, fd, sub);
		} else if (!may_be_file(v[i].type)) {
			report(j, sub, 0, "not a regular file");
		} else {
			rc = add_path(j, sub, k.ok != NULL && k.ok[i] ?
			    &k.keys[i] : NULL);
		}
		free(sub);
	}
	free(k.keys);
	free(k.ok);
	free_entries(v, n);
	close(dirfd);
	return rc;
}

/* Walk root/rel (rel "" for the root itself). */
static int
walk(struct job *j, const char *rel)
{
	int rootfd, fd, e;

	if ((rootfd = open(j->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return dir_failed(j, "", errno);
	fd = *rel ? openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC) : rootfd;
	e = errno;
	if (fd != rootfd)
		close(rootfd);
	if (fd < 0)
		return dir_failed(j, rel, e);
	return walk_fd(j, fd, rel);
}

/*
 * Load file i. Its error is kept only when it fails: a million files are
 * a million errors' room otherwise (NULL then: out of memory).
 */
static void
load_one(struct job *j, size_t i)
{
	struct release_error err = { .line = 0 };

	if (release_load(j->m, j->root, j->paths[i], &j->rs[i], &err) < 0 &&
	    (j->errs[i] = malloc(sizeof(err))) != NULL)
		*j->errs[i] = err;
}

struct share {
	void (*fn)(void *ud, size_t t, size_t nt);
	void *ud;
	size_t t, nt;
};

static void *
share_run(void *arg)
{
	struct share *w = arg;

	w->fn(w->ud, w->t, w->nt);
	return NULL;
}

/*
 * fn(ud, t, nt) on nt threads (t = 0 on this one), each doing every nt-th
 * of n items from its t: the CPUs share work whose items stand alone. A
 * thread that could not start has its share done here.
 */
static void
spread(size_t n, void (*fn)(void *ud, size_t t, size_t nt), void *ud)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = n < 256 || cpus < 2 ? 1 : cpus > 8 ? 8 : (size_t)cpus;
	struct share w[8];
	pthread_t tid[8];
	bool started[8] = { false };

	for (size_t t = 0; t < nt; t++) {
		w[t] = (struct share){ fn, ud, t, nt };
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL, share_run,
			    &w[t]) == 0;
	}
	fn(ud, 0, nt);
	for (size_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fn(ud, t, nt);
	}
}

static void
load_some(void *ud, size_t first, size_t stride)
{
	struct job *j = ud;

	for (size_t i = first; i < j->n; i += stride)
		if (j->keyed == NULL || j->keyed[i] != KEY_CACHED)
			load_one(j, i);
}

/*
 * Reading and parsing thousands of files is the cold start's whole cost,
 * and each file stands alone: spread them over the CPUs. Results are put
 * in the store in path order afterwards, so the outcome is the same.
 */
static void
load_all(struct job *j)
{
	spread(j->n, load_some, j);
}

struct under {
	const char *prefix;
	size_t n;
	char **paths;
	size_t count;
};

static void
collect_under(struct release *r, void *ud)
{
	struct under *u = ud;

	/* paths has room for every release in the store. */
	if (strncmp(r->path, u->prefix, u->n) == 0 && r->path[u->n] == '/')
		u->paths[u->count++] = r->path;
}

/*
 * The releases under a folder that could not be read stay as they were in
 * prev, and keep their ids: a file elsewhere that took one meanwhile is
 * the one left out (reported). Returns 0, or -1 when out of memory: then s
 * lacks some of them and must not be published.
 */
static int
keep_folder(struct store *prev, const char *prefix, struct store *s,
    scan_error_fn *on_error, void *ud)
{
	struct under u = { prefix, strlen(prefix), NULL, 0 };
	int rc = 0;

	if ((u.paths = calloc(store_count(prev) + 1, sizeof(char *))) == NULL)
		return -1;
	store_foreach(prev, collect_under, &u);
	for (size_t i = 0; i < u.count && rc == 0; i++) {
		struct release *r = store_take(prev, u.paths[i]), *other;

		if (r == NULL)
			continue;
		other = store_get_id(s, r->id);
		if (other != NULL && strcmp(other->path, r->path) != 0)
			lose_id(s, other->path, r->path, on_error, ud);
		if (store_put(s, r, NULL) != STORE_PUT_OK)
			rc = -1;
	}
	free(u.paths);
	return rc;
}

/* Counts the problems reported, whoever reports them. */
struct tally {
	scan_error_fn *fn;
	void *ud;
	int n;
};

static void
count_error(void *ud, const char *relpath, const struct release_error *err)
{
	struct tally *t = ud;

	t->n++;
	t->fn(t->ud, relpath, err);
}

/*
 * A slice of the probe: the cached bytes of up to PROBE_SLICE files,
 * copied out of the cache (valid there only until its next find), to be
 * unpacked on the CPUs (a tenth of a restart on one).
 */
#define PROBE_SLICE	4096

struct slice {
	struct job *j;
	const struct scan_cache *cache;
	size_t first, n;		/* files first..first+n-1 */
	unsigned char *bytes;		/* their bytes, one after another */
	size_t used, cap;
	size_t off[PROBE_SLICE], len[PROBE_SLICE];
	bool has[PROBE_SLICE];
	struct release_error err[PROBE_SLICE];
};

/* Copy the bytes b (len) of file first+k in. Returns 0, or -1: no room. */
static int
slice_add(struct slice *sl, size_t k, const void *b, size_t len)
{
	if (sl->used + len > sl->cap) {
		size_t cap = (sl->used + len) * 2;
		unsigned char *v = realloc(sl->bytes, cap);

		if (v == NULL)
			return -1;
		sl->bytes = v;
		sl->cap = cap;
	}
	memcpy(sl->bytes + sl->used, b, len);
	sl->off[k] = sl->used;
	sl->len[k] = len;
	sl->has[k] = true;
	sl->used += len;
	return 0;
}

static void
unpack_some(void *ud, size_t first, size_t stride)
{
	struct slice *sl = ud;

	for (size_t k = first; k < sl->n; k += stride)
		if (sl->has[k])
			sl->j->rs[sl->first + k] = sl->cache->unpack(
			    sl->cache->ud, sl->j->paths[sl->first + k],
			    sl->bytes + sl->off[k], sl->len[k], &sl->err[k]);
}

/*
 * Take from the cache each file whose key it knows (keyed by the walk),
 * asked in path order; the rest are read (and put in the cache). Out of
 * memory: the files not taken yet are read.
 */
static void
probe(struct job *j, const struct scan_cache *cache)
{
	struct slice *sl = calloc(1, sizeof(*sl));
	const void *b;
	size_t len;

	for (size_t i = 0; sl != NULL && i < j->n; i += sl->n) {
		sl->j = j;
		sl->cache = cache;
		sl->first = i;
		sl->n = j->n - i < PROBE_SLICE ? j->n - i : PROBE_SLICE;
		sl->used = 0;
		memset(sl->has, 0, sizeof(sl->has));
		for (size_t k = 0; k < sl->n; k++)
			if (j->keyed[i + k] == KEY_READ && (b = cache->find(
			    cache->ud, j->paths[i + k], &j->keys[i + k],
			    &len)) != NULL && slice_add(sl, k, b, len) < 0) {
				release_error_oom(&sl->err[k]);
				cache->rejected(cache->ud, j->paths[i + k],
				    &sl->err[k]);
				sl->n = k;	/* the rest are read */
				break;
			}
		spread(sl->n, unpack_some, sl);
		for (size_t k = 0; k < sl->n; k++) {
			if (!sl->has[k])
				continue;
			if (j->rs[i + k] != NULL)
				j->keyed[i + k] = KEY_CACHED;
			else
				cache->rejected(cache->ud, j->paths[i + k],
				    &sl->err[k]);
		}
		if (sl->n < PROBE_SLICE && i + sl->n < j->n)
			break;	/* out of memory */
	}
	cache->find(cache->ud, NULL, NULL, NULL);
	if (sl != NULL)
		free(sl->bytes);
	free(sl);
}

/* Whether the walk listed the paths in byte order (list_dir's order). */
static bool
in_order(char *const *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) >= 0)
			return false;
	return true;
}

int
scan_folder(const struct feed_meta *m, const char *root, struct store *s,
    struct store *prev, scan_error_fn *on_error, void *ud)
{
	return scan_folder_cached(m, root, s, prev, NULL, on_error, ud);
}

int
scan_folder_cached(const struct feed_meta *m, const char *root,
    struct store *s, struct store *prev, const struct scan_cache *cache,
    scan_error_fn *on_error, void *ud)
{
	struct tally t = { on_error, ud, 0 };
	struct job j = { .m = m, .root = root, .on_error = count_error,
	    .ud = &t, .want_keys = cache != NULL };
	struct release_error oom;
	bool nomem = false;
	int rc = 0;

	/*
	 * Half a tree would publish as releases removed. Without a previous
	 * state that is a failure; with one, what lies in the folders that
	 * could not be read stays as it was (below).
	 */
	if (walk(&j, "") < 0 || (j.broken && (prev == NULL ||
	    j.nbad == 0))) {
		rc = -1;
		goto out;
	}
	/*
	 * "2019-x/a" before "2019/a": whole paths in byte order, as the walk
	 * lists them. Should it not, they are sorted, and their keys (in
	 * the walk's order) are dropped: no cache then, every file is read.
	 */
	if (j.n > 1 && !in_order(j.paths, j.n)) {
		qsort(j.paths, j.n, sizeof(*j.paths), by_path);
		free(j.keys);
		free(j.keyed);
		j.keys = NULL;
		j.keyed = NULL;
		cache = NULL;
	}
	j.rs = calloc(j.n ? j.n : 1, sizeof(*j.rs));
	j.errs = calloc(j.n ? j.n : 1, sizeof(*j.errs));
	if (j.rs == NULL || j.errs == NULL) {
		rc = -1;
		goto out;
	}
	release_error_oom(&oom);
	if (cache != NULL && j.n > 0)
		probe(&j, cache);
	load_all(&j);
	for (size_t i = 0; i < j.n; i++) {
		if (j.keyed != NULL && j.keyed[i] == KEY_READ &&
		    j.rs[i] != NULL && !nomem)
			cache->put(cache->ud, j.rs[i], &j.keys[i]);
		if (nomem)
			release_free(j.rs[i]);
		else
			nomem = commit(root, j.paths[i], j.rs[i],
			    j.errs[i] ? j.errs[i] : &oom, s, prev, count_error,
			    &t) == COMMIT_NOMEM;
	}
	for (size_t i = 0; i < j.nbad && !nomem; i++)
		nomem = keep_folder(prev, j.bad_dirs[i], s, count_error, &t) < 0;
	rc = nomem ? -1 : t.n;
	if (nomem)
		errno = ENOMEM;
out:
	for (size_t i = 0; i < j.nbad; i++)
		free(j.bad_dirs[i]);
	free(j.bad_dirs);
	for (size_t i = 0; i < j.n; i++)
		free(j.paths[i]);
	free(j.paths);
	free(j.rs);
	for (size_t i = 0; j.errs != NULL && i < j.n; i++)
		free(j.errs[i]);
	free(j.errs);
	free(j.keys);
	free(j.keyed);
	return rc;
}

int
scan_paths(const char *root, const char *rel,
    void (*fn)(void *ud, const char *relpath), void *ud)
{
	struct job j = { .root = root };
	int rc = walk(&j, rel);

	for (size_t i = 0; i < j.n; i++) {
		fn(ud, j.paths[i]);
		free(j.paths[i]);
	}
	free(j.paths);
	for (size_t i = 0; i < j.nbad; i++)
		free(j.bad_dirs[i]);
	free(j.bad_dirs);
	return rc < 0 || j.broken ? -1 : 0;
}
