/*
 * watch: recursive inotify (see watch.h).
 *
 * We read IN_CLOSE_WRITE and IN_MOVED_TO rather than IN_MODIFY: they mark a
 * file that is complete. IN_MODIFY and IN_CREATE only say "being written",
 * so the caller can hold such a file back instead of publishing half of it.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "log.h"

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB | \
	IN_CREATE | IN_DELETE | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | \
	IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

struct dirwatch {
	int wd;
	char *rel;		/* "" for the root */
};

struct watch {
	struct ev_loop *loop;
	ev_io io;
	int fd;
	char *root;
	struct dirwatch *dirs;
	size_t ndirs, cap;
	watch_fn *fn;
	void *ud;
};

static struct dirwatch *
find_wd(struct watch *w, int wd)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

static void
forget(struct watch *w, size_t i)
{
	free(w->dirs[i].rel);
	w->dirs[i] = w->dirs[--w->ndirs];
}

static char *
join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s%s%s", a, *a ? "/" : "", b) < 0)
		return NULL;
	return s;
}

/* Stop watching rel and everything below it (moved out or deleted). */
static void
drop_tree(struct watch *w, const char *rel)
{
	size_t n = strlen(rel);

	for (size_t i = 0; i < w->ndirs; ) {
		const char *r = w->dirs[i].rel;

		if (strncmp(r, rel, n) == 0 && (r[n] == '\0' || r[n] == '/')) {
			inotify_rm_watch(w->fd, w->dirs[i].wd);
			forget(w, i);
		} else {
			i++;
		}
	}
}

/*
 * Whether the folder fd has no subfolder, by its link count (2: its name
 * in the parent and its own "."), on the file systems known to count a
 * subfolder's ".." there. A folder of 55,000 files was listed whole to
 * learn it (a tenth of a restart at 1,000,000). Elsewhere (btrfs says 1)
 * it is listed. A subfolder made after the count has its event: the
 * folder is watched before it is counted.
 */
static bool
no_subfolders(int fd)
{
	struct stat st;
	struct statfs fs;

	if (fstat(fd, &st) < 0 || st.st_nlink != 2 || fstatfs(fd, &fs) < 0)
		return false;
	switch ((unsigned long)fs.f_type) {
	case EXT4_SUPER_MAGIC:	/* ext2 and ext3 too */
	case XFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return true;
	}
	return false;
}

/* Watch root/rel and every visible folder below it. */
static int
add_tree(struct watch *w, const char *rel)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct dirwatch *d;
	DIR *dir;
	bool leaf;
	int wd;

	snprintf(path, sizeof(path), "%s%s%s", w->root, *rel ? "/" : "", rel);
	/* The root may be a symlink (a deploy's "current/"); below, no. */
	if ((wd = inotify_add_watch(w->fd, path, *rel ? DIR_EVENTS :
	    DIR_EVENTS & ~IN_DONT_FOLLOW)) < 0)
		return -1;
	if ((d = find_wd(w, wd)) != NULL && strcmp(d->rel, rel) != 0) {
		/*
		 * A folder we watch under another name, moved here before we
		 * saw it leave: drop the old name (and what it held) first,
		 * so the releases are not seen twice.
		 */
		char *old = strdup(d->rel);

		if (old == NULL)
			return -1;
		drop_tree(w, old);
		w->fn(w->ud, WATCH_DIR_REMOVED, old);
		free(old);
		if ((wd = inotify_add_watch(w->fd, path, DIR_EVENTS)) < 0)
			return -1;
		d = find_wd(w, wd);
	}
	if (d == NULL) {
		if (w->ndirs == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 16;
			struct dirwatch *v = realloc(w->dirs, cap * sizeof(*v));

			if (v == NULL)
				return -1;
			w->dirs = v;
			w->cap = cap;
		}
		d = &w->dirs[w->ndirs++];
		d->wd = wd;
	} else {
		free(d->rel);
	}
	if ((d->rel = strdup(rel)) == NULL) {
		inotify_rm_watch(w->fd, wd);
		forget(w, (size_t)(d - w->dirs));
		return -1;
	}
	/* Folders made before the watch existed are found here. */
	if ((dir = opendir(path)) == NULL)
		return 0;
	leaf = no_subfolders(dirfd(dir));
	while (!leaf && (de = readdir(dir)) != NULL) {
		char *sub;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		/* d_type spares a stat per file: 100,000 of them held the
		 * loop when a folder that size was moved in. */
		if (de->d_type != DT_DIR && (de->d_type != DT_UNKNOWN ||
		    fstatat(dirfd(dir), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)))
			continue;
		if ((sub = join(rel, de->d_name)) == NULL)
			break;
		if (add_tree(w, sub) < 0)
			log_warn("cannot watch %s/%s", log_esc(w->root),
			    log_esc(sub));
		free(sub);
	}
	closedir(dir);
	return 0;
}

/* A new regular file is complete at once only if it is a link. */
static bool
is_link(struct watch *w, const char *rel)
{
	char full[PATH_MAX];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", w->root, rel);
	return lstat(full, &st) == 0 &&
	    (S_ISLNK(st.st_mode) || st.st_nlink > 1);
}

static void
on_dir_event(struct watch *w, const struct inotify_event *e, const char *rel)
{
	/* IN_ATTRIB: e.g. chmod made a folder readable, so watchable. */
	if (e->mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) {
		if (add_tree(w, rel) < 0)
			log_warn("cannot watch %s/%s", log_esc(w->root),
			    log_esc(rel));
		w->fn(w->ud, WATCH_DIR_ADDED, rel);
	} else if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
		drop_tree(w, rel);
		w->fn(w->ud, WATCH_DIR_REMOVED, rel);
	}
}

static void
on_file_event(struct watch *w, const struct inotify_event *e, const char *rel)
{
	if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
		w->fn(w->ud, WATCH_CHANGED, rel);
	else if (e->mask & (IN_DELETE | IN_MOVED_FROM))
		w->fn(w->ud, WATCH_REMOVED, rel);
	else if (e->mask & IN_CREATE)
		w->fn(w->ud, is_link(w, rel) ? WATCH_CHANGED : WATCH_WRITING,
		    rel);
	else if (e->mask & IN_MODIFY)
		w->fn(w->ud, WATCH_WRITING, rel);
	else if (e->mask & IN_ATTRIB)
		w->fn(w->ud, WATCH_TOUCHED, rel);
}

/* Returns false once the root is gone: the watch must not be used. */
static bool
dispatch(struct watch *w, const struct inotify_event *e)
{
	struct dirwatch *d;
	char *rel;

	if (e->mask & IN_Q_OVERFLOW) {
		w->fn(w->ud, WATCH_RESCAN, "");
		return false;	/* the caller starts a new watch */
	}
	if ((d = find_wd(w, e->wd)) == NULL)
		return true;	/* a folder we stopped watching */
	if (e->mask & IN_IGNORED) {
		bool root = d->rel[0] == '\0';

		forget(w, (size_t)(d - w->dirs));
		if (root)
			w->fn(w->ud, WATCH_ROOT_GONE, "");
		return !root;
	}
	if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		if (d->rel[0] != '\0')
			return true;	/* the parent reports it */
		w->fn(w->ud, WATCH_ROOT_GONE, "");
		return false;
	}
	if (e->len == 0 || e->name[0] == '.')
		return true;
	if ((rel = join(d->rel, e->name)) == NULL)
		return true;
	if (e->mask & IN_ISDIR)
		on_dir_event(w, e, rel);
	else
		on_file_event(w, e, rel);
	free(rel);
	return true;
}

static void
readable_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct watch *w = io->data;
	char buf[64 * 1024]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)loop;
	(void)revents;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *e = (void *)p;

			p += sizeof(*e) + e->len;
			if (!dispatch(w, e))
				return;	/* w may be freed by now */
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("inotify read");
}

struct watch *
watch_new(struct ev_loop *loop, const char *root, watch_fn *fn, void *ud)
{
	struct watch *w = calloc(1, sizeof(*w));
	int saved;

	if (w == NULL)
		return NULL;
	w->fd = -1;
	w->loop = loop;
	w->fn = fn;
	w->ud = ud;
	if ((w->root = strdup(root)) == NULL ||
	    (w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		goto fail;
	if (add_tree(w, "") < 0)
		goto fail;
	ev_io_init(&w->io, readable_cb, w->fd, EV_READ);
	w->io.data = w;
	ev_io_start(loop, &w->io);
	return w;
fail:
	saved = errno;
	watch_free(w);
	errno = saved;
	return NULL;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0) {
		ev_io_stop(w->loop, &w->io);
		close(w->fd);
	}
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].rel);
	free(w->dirs);
	free(w->root);
	free(w);
}
