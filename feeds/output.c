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

#include "reap.h"

static output_changed_fn *changed_fn;
static void *changed_ud;

void
output_on_change(output_changed_fn *fn, void *ud)
{
	changed_fn = fn;
	changed_ud = ud;
}

static void
changed(const char *dir, const char *name)
{
	if (changed_fn != NULL)
		changed_fn(changed_ud, dir, name);
}

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

/*
 * true if path holds exactly data[0..len); *absent: path is not there.
 * Otherwise *old (old NULL: none) is the open old file, for reap_close()
 * once replaced (its blocks are then freed off this thread: reap.h), or
 * -1.
 */
static bool
same_bytes_or_absent(const char *path, const char *data, size_t len,
    bool *absent, int *old)
{
	char buf[65536];
	struct stat st;
	size_t off = 0;
	ssize_t got;
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (old != NULL)
		*old = -1;
	*absent = fd < 0 && errno == ENOENT;
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
	if (!same && old != NULL)
		*old = fd;
	else
		close(fd);
	return same;
}

static bool
same_bytes(const char *path, const char *data, size_t len, int *old)
{
	bool absent;

	return same_bytes_or_absent(path, data, len, &absent, old);
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

/*
 * Fill the temp file fd (named tmp, beside path) with data, fsync'd when
 * sync, and rename it onto path. Returns 0, or -1 with errno set and the
 * temp file gone.
 */
static int
fill_and_rename(int fd, const char *tmp, const char *path, const void *data,
    size_t len, bool sync)
{
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 ||
	    (sync && fsync(fd) < 0))
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	/* Complete before the rename: a reader sees old bytes or new. */
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	discard_temp(fd, tmp);
	return -1;
}

/*
 * A new file at path (absent a moment ago), complete when it appears:
 * written unnamed (O_TMPFILE) in its folder and linked in. One entry
 * made in the folder, where a temp name is one made and one renamed
 * away, each under the folder's lock: a cold build's 10,000 pages were
 * a third of their kernel time in those. false: not done, nothing left
 * behind (no O_TMPFILE on this file system, no /proc, a missing folder,
 * path made meanwhile, a write error): the temp name's way follows.
 */
static bool
link_new(const char *path, const void *data, size_t len)
{
	const char *slash = strrchr(path, '/');
	char folder[PATH_MAX], proc[32];
	int fd;

	if (slash == NULL || slash == path ||
	    (size_t)(slash - path) >= sizeof(folder))
		return false;
	memcpy(folder, path, (size_t)(slash - path));
	folder[slash - path] = '\0';
	if ((fd = open(folder, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644)) < 0)
		return false;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* linkat() fails on an existing path: nothing is ever replaced. */
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 ||
	    linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		close(fd);
		return false;
	}
	if (close(fd) < 0) {
		unlink(path);
		return false;
	}
	return true;
}

int
output_replace(const char *dir, const char *name, const void *data,
    size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, old;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (same_bytes(path, data, len, &old))
		return 0;
	/* The temp file sits beside the target so rename() is atomic. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0 ||
	    fill_and_rename(fd, tmp, path, data, len, true) < 0) {
		reap_close(old);
		return -1;
	}
	reap_close(old);
	changed(dir, name);
	/* Make the rename itself durable. */
	fsync_dir(dir);
	return 1;
}

/* A file of output_replace_all() that failed: errno kept in f, temp gone. */
static void
all_failed(struct output_file *f, int *fd, const char *tmp)
{
	f->rc = -1;
	f->err = errno;
	discard_temp(*fd, tmp);
	*fd = -1;
}

size_t
output_replace_all(const char *dir, struct output_file *v, size_t n)
{
	struct pending {
		int fd, old;
		char path[PATH_MAX], tmp[PATH_MAX];
	} *t = calloc(n > 0 ? n : 1, sizeof(*t));
	size_t failed = 0;
	bool renamed = false;

	for (size_t i = 0; i < n; i++) {
		v[i].rc = -1;
		v[i].err = ENOMEM;
		if (t != NULL)
			t[i].fd = t[i].old = -1;
	}
	if (t == NULL)
		return n;
	/* Every temp file complete, its writeback under way. */
	for (size_t i = 0; i < n; i++) {
		struct pending *p = &t[i];

		v[i].err = 0;
		if ((size_t)snprintf(p->path, sizeof(p->path), "%s/%s", dir,
		    v[i].name) >= sizeof(p->path) || (size_t)snprintf(p->tmp,
		    sizeof(p->tmp), "%s/.%s.XXXXXX", dir, v[i].name) >=
		    sizeof(p->tmp)) {
			errno = ENAMETOOLONG;
			all_failed(&v[i], &p->fd, "");
			continue;
		}
		if (same_bytes(p->path, v[i].data, v[i].len, &p->old)) {
			v[i].rc = 0;
			continue;
		}
		if ((p->fd = mkostemp(p->tmp, O_CLOEXEC)) < 0) {
			all_failed(&v[i], &p->fd, "");
			continue;
		}
		if (fchmod(p->fd, 0644) < 0 ||
		    write_all(p->fd, v[i].data, v[i].len) < 0) {
			all_failed(&v[i], &p->fd, p->tmp);
			continue;
		}
		v[i].rc = 1;
		/* Only a hint: fdatasync() below is what counts. */
		(void)sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	/* Each durable (the writes above are in flight together). */
	for (size_t i = 0; i < n; i++) {
		struct pending *p = &t[i];

		if (v[i].rc != 1)
			continue;
		if (fdatasync(p->fd) < 0) {
			all_failed(&v[i], &p->fd, p->tmp);
			continue;
		}
		if (close(p->fd) < 0) {
			p->fd = -1;
			all_failed(&v[i], &p->fd, p->tmp);
			continue;
		}
		p->fd = -1;
	}
	/* In place, in order: a reader sees old bytes or new. */
	for (size_t i = 0; i < n; i++) {
		if (v[i].rc == 1 && rename(t[i].tmp, t[i].path) < 0)
			all_failed(&v[i], &t[i].fd, t[i].tmp);
		if (v[i].rc == 1)
			changed(dir, v[i].name);
		renamed = renamed || v[i].rc == 1;
		failed += v[i].rc < 0;
		reap_close(t[i].old);
	}
	/* The renames durable, all at once. */
	if (renamed)
		fsync_dir(dir);
	free(t);
	return failed;
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

/*
 * A put of a queued batch: its path, temp name (name is path's tail) and
 * bytes in the same allocation, as output_batch_put() made them.
 */
struct job {
	struct job *next;
	char *path, *tmp;
	const char *name;
	const char *data;
	size_t len;
	bool absent;		/* the file was not there when queued */
	int old;		/* else the old file, open, or -1 */
};

/* The most bytes queued at once: a put waits for room past it. */
#define QUEUE_BYTES (8u << 20)

struct output_batch {
	char *dir;
	pthread_mutex_t lock;	/* of folders, nfolders: puts from threads */
	char **folders;		/* touched, not synced yet */
	size_t nfolders, cap;
	size_t last;		/* folders[last]: the one touched last */
	int sync_errno;		/* of a sync at once, for output_batch_sync() */
	/* Queued (output_batch_new_queued()): the writer and its queue. */
	bool queued, writer_on, closing, busy;
	pthread_t writer;
	pthread_cond_t more, room;	/* under lock */
	struct job *head, *tail;
	size_t queue_bytes;
	int write_errno;	/* the first queued write that failed */
};

static struct output_batch *
batch_new(const char *dir, bool queued)
{
	struct output_batch *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->dir = strdup(dir)) == NULL) {
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->more, NULL);
	pthread_cond_init(&b->room, NULL);
	b->queued = queued;
	return b;
}

struct output_batch *
output_batch_new(const char *dir)
{
	return batch_new(dir, false);
}

struct output_batch *
output_batch_new_queued(const char *dir)
{
	return batch_new(dir, true);
}

const char *
output_batch_dir(const struct output_batch *b)
{
	return b->dir;
}

/* Whether folders[i] is path's folder, n bytes long. */
static bool
folder_is(const struct output_batch *b, size_t i, const char *path, size_t n)
{
	return strlen(b->folders[i]) == n &&
	    memcmp(b->folders[i], path, n) == 0;
}

/*
 * Note path's folder as touched. A site has three folders, the archives
 * of 200 tags some 200: a list, the last one tried first (puts come
 * folder by folder). Only when the list cannot grow is the folder
 * fsync'd now instead (its rename made durable early is no harm): an
 * fsync per put was most of a cold build's wall time with archives.
 */
static void
batch_touch(struct output_batch *b, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = (size_t)(slash - path);
	char *d = NULL, **t;

	pthread_mutex_lock(&b->lock);
	if (b->nfolders > 0 && folder_is(b, b->last, path, n))
		goto out;
	for (size_t i = 0; i < b->nfolders; i++)
		if (folder_is(b, i, path, n)) {
			b->last = i;
			goto out;
		}
	if (b->nfolders == b->cap && (t = realloc(b->folders,
	    (b->cap * 2 + 4) * sizeof(*t))) != NULL) {
		b->folders = t;
		b->cap = b->cap * 2 + 4;
	}
	if (b->nfolders < b->cap && (d = strndup(path, n)) != NULL) {
		b->last = b->nfolders;
		b->folders[b->nfolders++] = d;
		goto out;
	}
	pthread_mutex_unlock(&b->lock);
	if ((d = strndup(path, n)) == NULL || fsync_dir(d) < 0) {
		int e = d == NULL ? ENOMEM : errno;

		pthread_mutex_lock(&b->lock);
		if (b->sync_errno == 0)
			b->sync_errno = e;
		pthread_mutex_unlock(&b->lock);
	}
	free(d);
	return;
out:
	pthread_mutex_unlock(&b->lock);
}

/* name's folders under dir exist (mkdir'd as needed), none hidden. */
static int
batch_folders(const char *dir, const char *name)
{
	char path[PATH_MAX];
	const char *slash = strrchr(name, '/');

	if (slash == NULL)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", dir,
	    (int)(slash - name), name) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return output_mkdirs(path);
}

/* Each folder's name in name: not empty, not hidden (nor . or ..). */
static bool
batch_name_ok(const char *name)
{
	const char *slash = strrchr(name, '/'), *base;

	base = slash ? slash + 1 : name;
	if (*base == '\0' || *base == '.' || name[0] == '/')
		return false;
	for (const char *p = name; slash != NULL && p <= slash;
	    p = strchr(p, '/') + 1)
		if (*p == '.' || *p == '/')
			return false;
	return true;
}

/*
 * Write data to dir/name (path, its temp name tmp), known to differ from
 * what is there (absent: nothing is; else old, the old file held open for
 * reap_close(), or -1). 1, or -1 with errno set.
 */
static int
batch_write(struct output_batch *b, const char *name, char *path, char *tmp,
    const void *data, size_t len, bool absent, int old)
{
	int fd;

	if (absent && link_new(path, data, len))
		goto done;
	/* The folders are made when missing only: a syscall saved a page. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0 && errno == ENOENT &&
	    batch_folders(b->dir, name) == 0) {
		memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	/* No fsync of its data: output.h says what a power cut may do. */
	if (fd < 0 || fill_and_rename(fd, tmp, path, data, len, false) < 0) {
		reap_close(old);
		return -1;
	}
	reap_close(old);
done:
	changed(b->dir, name);
	batch_touch(b, path);
	return 1;
}

/* path and tmp (PATH_MAX each) of name in b. 0, or -1 with errno set. */
static int
batch_paths(const struct output_batch *b, const char *name, char *path,
    char *tmp)
{
	const char *base = strrchr(name, '/');

	if (!batch_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	base = base ? base + 1 : name;
	if ((size_t)snprintf(path, PATH_MAX, "%s/%s", b->dir, name) >=
	    PATH_MAX || (size_t)snprintf(tmp, PATH_MAX,
	    "%s/%.*s.%s.XXXXXX", b->dir, (int)(base - name), name, base) >=
	    PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * The writer of a queued batch: its jobs in order. After a failure the
 * rest are dropped, not written: a document queued after an archive
 * that failed may link to it.
 */
static void *
writer_main(void *arg)
{
	struct output_batch *b = arg;
	struct job *j;
	int e;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (b->head == NULL && !b->closing)
			pthread_cond_wait(&b->more, &b->lock);
		if ((j = b->head) == NULL)
			break;
		b->head = j->next;
		if (b->head == NULL)
			b->tail = NULL;
		b->busy = true;
		e = b->write_errno;
		pthread_mutex_unlock(&b->lock);
		/* batch_touch() takes the lock itself; batch_write() closes
		 * the old file, which a dropped job leaves as it was. */
		if (e != 0)
			reap_close(j->old);
		else if (batch_write(b, j->name, j->path, j->tmp, j->data,
		    j->len, j->absent, j->old) < 0)
			e = errno != 0 ? errno : EIO;
		pthread_mutex_lock(&b->lock);
		if (b->write_errno == 0)
			b->write_errno = e;
		b->queue_bytes -= j->len;
		b->busy = false;
		free(j);
		pthread_cond_broadcast(&b->room);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* Copy path, tmp and data into b's queue (started on first use). 1 or -1. */
static int
enqueue(struct output_batch *b, const char *path, const char *tmp,
    const void *data, size_t len, bool absent, int old)
{
	size_t plen = strlen(path) + 1, tlen = strlen(tmp) + 1;
	struct job *j = malloc(sizeof(*j) + plen + tlen + len);

	if (j == NULL) {
		reap_close(old);
		return -1;
	}
	j->next = NULL;
	j->path = memcpy((char *)(j + 1), path, plen);
	j->tmp = memcpy(j->path + plen, tmp, tlen);
	j->name = j->path + strlen(b->dir) + 1;
	j->data = memcpy(j->tmp + tlen, data, len);
	j->len = len;
	j->absent = absent;
	j->old = old;
	pthread_mutex_lock(&b->lock);
	if (!b->writer_on) {
		if (pthread_create(&b->writer, NULL, writer_main, b) != 0) {
			pthread_mutex_unlock(&b->lock);
			reap_close(old);
			free(j);
			errno = EAGAIN;
			return -1;
		}
		b->writer_on = true;
	}
	while (b->queue_bytes > 0 && b->queue_bytes + len > QUEUE_BYTES)
		pthread_cond_wait(&b->room, &b->lock);
	if (b->tail != NULL)
		b->tail->next = j;
	else
		b->head = j;
	b->tail = j;
	b->queue_bytes += len;
	pthread_cond_signal(&b->more);
	pthread_mutex_unlock(&b->lock);
	return 1;
}

/* Wait until b's writer has written (or dropped) all it was given. */
static void
drain(struct output_batch *b)
{
	if (!b->queued)
		return;
	pthread_mutex_lock(&b->lock);
	while (b->head != NULL || b->busy)
		pthread_cond_wait(&b->room, &b->lock);
	pthread_mutex_unlock(&b->lock);
}

int
output_batch_put(struct output_batch *b, const char *name, const void *data,
    size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	bool absent;
	int old;

	if (batch_paths(b, name, path, tmp) < 0)
		return -1;
	if (same_bytes_or_absent(path, data, len, &absent, &old))
		return 0;
	if (b->queued)
		return enqueue(b, path, tmp, data, len, absent, old);
	return batch_write(b, name, path, tmp, data, len, absent, old);
}

int
output_batch_remove(struct output_batch *b, const char *name)
{
	char path[PATH_MAX];
	int old;

	if (!batch_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", b->dir, name) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	drain(b);	/* after what was put before it */
	/* Held across the unlink: its blocks are freed off this thread. */
	old = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (unlink(path) < 0) {
		reap_close(old);	/* errno kept */
		return errno == ENOENT ? 0 : -1;
	}
	reap_close(old);
	changed(b->dir, name);
	batch_touch(b, path);
	return 1;
}

/*
 * A descriptor of folder, to fsync, or once it is gone (a sub-feed's
 * archive folder removed with its last archive) of the nearest folder
 * above it still there, up to the batch's own: that one holds the
 * removal. -1 with errno set.
 */
static int
open_folder(const struct output_batch *b, char *folder)
{
	size_t top = strlen(b->dir);
	char *slash;
	int fd;

	while ((fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 &&
	    errno == ENOENT && strlen(folder) > top &&
	    (slash = strrchr(folder, '/')) != NULL &&
	    (size_t)(slash - folder) >= top)
		*slash = '\0';
	return fd;
}

/* The queue written; the first write error since the last sync (0). */
static int
writes_done(struct output_batch *b)
{
	drain(b);
	pthread_mutex_lock(&b->lock);
	if (b->sync_errno == 0)
		b->sync_errno = b->write_errno;
	b->write_errno = 0;
	pthread_mutex_unlock(&b->lock);
	return b->sync_errno;
}

/* Each folder touched, fsync'd now or soon; 0, or -1 with errno set. */
static int
sync_folders(struct output_batch *b, bool soon)
{
	int saved = writes_done(b);

	for (size_t i = 0; i < b->nfolders; i++) {
		int fd = open_folder(b, b->folders[i]);

		if (fd < 0) {
			saved = saved == 0 ? errno : saved;
		} else if (soon) {
			reap_fsync(fd);
		} else {
			if (fsync(fd) < 0 && saved == 0)
				saved = errno;
			close(fd);
		}
		free(b->folders[i]);
	}
	b->nfolders = 0;
	b->last = 0;
	b->sync_errno = 0;
	errno = saved;
	return saved != 0 ? -1 : 0;
}

int
output_batch_sync(struct output_batch *b)
{
	return sync_folders(b, false);
}

int
output_batch_sync_soon(struct output_batch *b)
{
	return sync_folders(b, true);
}

void
output_batch_free(struct output_batch *b)
{
	if (b == NULL)
		return;
	if (b->writer_on) {
		pthread_mutex_lock(&b->lock);
		b->closing = true;
		pthread_cond_signal(&b->more);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->writer, NULL);	/* after the queue's last */
	}
	for (size_t i = 0; i < b->nfolders; i++)
		free(b->folders[i]);
	free(b->folders);
	pthread_cond_destroy(&b->more);
	pthread_cond_destroy(&b->room);
	pthread_mutex_destroy(&b->lock);
	free(b->dir);
	free(b);
}
