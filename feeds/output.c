/*
 * output: atomic replacement of published files (see output.h).
 */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
output_mkdirs(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = c;
		if (c == '\0')
			break;
	}
	/* EEXIST above may have been a file: that is no folder to use. */
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* true if path holds exactly data[0..len). */
static bool
same_bytes(const char *path, const char *data, size_t len)
{
	char buf[65536];
	struct stat st;
	size_t off = 0;
	ssize_t got;
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size != len)
		goto out;
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)got > len ||
		    memcmp(buf, data + off, (size_t)got) != 0)
			goto out;
		off += (size_t)got;
	}
	same = got == 0 && off == len;
out:
	close(fd);
	return same;
}

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		/* A short write is retried for the rest: the error, if any
		 * (ENOSPC, EFBIG), comes then. Nothing written is no progress
		 * and must not loop forever. */
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* A temp file that will not be renamed: closed and unlinked, errno kept. */
static void
discard_temp(int fd, const char *tmp)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
}

int
output_replace(const char *dir, const char *name, const void *data,
    size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (same_bytes(path, data, len))
		return 0;
	/* The temp file sits beside the target so rename() is atomic. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	/* Make the rename itself durable. */
	fsync_dir(dir);
	return 1;
fail:
	discard_temp(fd, tmp);
	return -1;
}

/*
 * true if s is "." name "." and mkstemp's six [A-Za-z0-9]; name "*SUFFIX"
 * stands for any name (not empty, not hidden) that ends in SUFFIX.
 */
static bool
is_temp_name(const char *s, const char *name)
{
	size_t n = strlen(name), len = strlen(s);

	if (name[0] == '*') {
		size_t k = n - 1;

		/* "." X "." XXXXXX, X at least one byte more than SUFFIX. */
		if (s[0] != '.' || len < 1 + k + 1 + 7 || s[1] == '.' ||
		    strncmp(s + len - 7 - k, name + 1, k) != 0 ||
		    s[len - 7] != '.')
			return false;
		s += len - 7 + 1;
		goto suffix;
	}
	if (s[0] != '.' || strncmp(s + 1, name, n) != 0 || s[n + 1] != '.')
		return false;
	s += n + 2;
suffix:
	for (int i = 0; i < 6; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return false;
	}
	return s[6] == '\0';
}

int
output_remove_temps(const char *dir, const char *name)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, removed = 0, saved = 0, rderr;

	if (name[0] == '\0' || strchr(name, '/') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			rderr = errno;	/* 0 at the end of the folder */
			break;
		}
		if (!is_temp_name(e->d_name, name))
			continue;
		/*
		 * Relative to the folder's fd and without following links:
		 * a link swapped in after the check is removed itself, never
		 * what it points at (unlinkat does not follow).
		 */
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			removed++;
		else
			saved = errno;
	}
	closedir(d);	/* closes fd */
	if (rderr != 0) {
		errno = rderr;
		return -1;
	}
	errno = saved;
	return removed;
}

/* ---- batches ----------------------------------------------------------- */

struct staged {
	char *tmp;	/* NULL: a removal */
	char *path;
};

struct output_batch {
	char *dir;
	pthread_mutex_t lock;	/* of v, n, cap: puts come from threads */
	struct staged *v;
	size_t n, cap;
};

struct output_batch *
output_batch_new(const char *dir)
{
	struct output_batch *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->dir = strdup(dir)) == NULL) {
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	return b;
}

static int
batch_push(struct output_batch *b, char *tmp, char *path)
{
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct staged *v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL) {
			rc = -1;
			goto out;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = (struct staged){ tmp, path };
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

/* name's folders under dir exist (mkdir'd as needed), none hidden. */
static int
batch_folders(const char *dir, const char *name)
{
	char path[PATH_MAX];
	const char *slash = strrchr(name, '/');

	if (slash == NULL)
		return 0;
	/* Each folder's name: not empty, not hidden (nor . or ..). */
	for (const char *p = name; p <= slash; p = strchr(p, '/') + 1)
		if (*p == '.' || *p == '/') {
			errno = EINVAL;
			return -1;
		}
	if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", dir,
	    (int)(slash - name), name) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return output_mkdirs(path);
}

int
output_batch_put(struct output_batch *b, const char *name, const void *data,
    size_t len)
{
	const char *base = strrchr(name, '/');
	char path[PATH_MAX], tmp[PATH_MAX], *ptmp = NULL, *ppath = NULL;
	int fd;

	base = base ? base + 1 : name;
	if (*base == '\0' || *base == '.') {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", b->dir, name) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s/%.*s.%s.XXXXXX", b->dir, (int)(base - name), name, base) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (same_bytes(path, data, len))
		return 0;
	if (batch_folders(b->dir, name) < 0)
		return -1;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if ((ptmp = strdup(tmp)) == NULL || (ppath = strdup(path)) == NULL ||
	    batch_push(b, ptmp, ppath) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	return 1;
fail:
	discard_temp(fd, tmp);
	free(ptmp);		/* glibc's free() keeps errno */
	free(ppath);
	return -1;
}

int
output_batch_remove(struct output_batch *b, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", b->dir, name) < 0)
		return -1;
	if (batch_push(b, NULL, path) < 0) {
		free(path);
		return -1;
	}
	return 0;
}

/* The folders of the staged paths, each fsync'd once in a row of them. */
static void
batch_fsync_dirs(struct output_batch *b)
{
	const char *last = NULL;
	size_t lastlen = 0;

	for (size_t i = 0; i < b->n; i++) {
		const char *p = b->v[i].path, *slash = strrchr(p, '/');
		size_t n = (size_t)(slash - p);
		char dir[PATH_MAX];

		if (last != NULL && n == lastlen && memcmp(p, last, n) == 0)
			continue;
		last = p;
		lastlen = n;
		if (n < sizeof(dir)) {
			memcpy(dir, p, n);
			dir[n] = '\0';
			fsync_dir(dir);
		}
	}
}

static void
batch_clear(struct output_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].tmp != NULL)
			unlink(b->v[i].tmp);	/* renamed: ENOENT */
		free(b->v[i].tmp);
		free(b->v[i].path);
	}
	b->n = 0;
}

int
output_batch_commit(struct output_batch *b)
{
	int saved = 0;

	if (b->n == 0)
		return 0;
	for (size_t i = 0; i < b->n; i++) {
		int rc;

		if (b->v[i].tmp != NULL)
			rc = rename(b->v[i].tmp, b->v[i].path);
		else
			rc = unlink(b->v[i].path) == 0 || errno == ENOENT ?
			    0 : -1;
		if (rc < 0 && saved == 0)
			saved = errno;
	}
	batch_fsync_dirs(b);
	batch_clear(b);
	errno = saved;
	return saved != 0 ? -1 : 0;
}

void
output_batch_free(struct output_batch *b)
{
	if (b == NULL)
		return;
	batch_clear(b);
	pthread_mutex_destroy(&b->lock);
	free(b->v);
	free(b->dir);
	free(b);
}
