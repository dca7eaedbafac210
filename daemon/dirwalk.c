/*
 * dirwalk: see dirwalk.h. A stack of open folders, deepest last, and a
 * queue of folders still to open. A subfolder is opened from its parent's
 * descriptor while the stack is shallow; deeper ones (and the queued
 * roots) wait in the queue, so the walk holds MAX_DEPTH descriptors at
 * most however deep the tree. Marks are only hints: the pipeline reads
 * each reported path with its own checks, so a folder replaced while it
 * is listed costs a few marks of paths that are not there, never a file
 * missed (its replacement's event queues it again).
 */
#include "dirwalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feeds/release.h"

#define MAX_DEPTH	16	/* open folders at once */

struct frame {
	DIR *d;
	char *rel;
};

struct dirwalk {
	char **queue;		/* folders to open, by path (owned) */
	size_t nq, capq;
	struct frame stack[MAX_DEPTH];
	size_t depth;
};

struct dirwalk *
dirwalk_new(void)
{
	return calloc(1, sizeof(struct dirwalk));
}

static void
pop(struct dirwalk *w)
{
	struct frame *f = &w->stack[--w->depth];

	closedir(f->d);
	free(f->rel);
}

void
dirwalk_clear(struct dirwalk *w)
{
	while (w->depth > 0)
		pop(w);
	for (size_t i = 0; i < w->nq; i++)
		free(w->queue[i]);
	w->nq = 0;
}

void
dirwalk_free(struct dirwalk *w)
{
	if (w == NULL)
		return;
	dirwalk_clear(w);
	free(w->queue);
	free(w);
}

bool
dirwalk_busy(const struct dirwalk *w)
{
	return w->depth > 0 || w->nq > 0;
}

/* Queue rel, taking it over. 0, or -1 (rel freed). */
static int
enqueue(struct dirwalk *w, char *rel)
{
	if (w->nq == w->capq) {
		size_t cap = w->capq ? w->capq * 2 : 8;
		char **v = realloc(w->queue, cap * sizeof(*v));

		if (v == NULL) {
			free(rel);
			return -1;
		}
		w->queue = v;
		w->capq = cap;
	}
	w->queue[w->nq++] = rel;
	return 0;
}

int
dirwalk_add(struct dirwalk *w, const char *rel)
{
	char *copy;

	for (size_t i = 0; i < w->nq; i++)
		if (strcmp(w->queue[i], rel) == 0)
			return 0;
	if ((copy = strdup(rel)) == NULL)
		return -1;
	return enqueue(w, copy);
}

/* Whether path is rel or under it ("" is the root: everything is). */
static bool
under(const char *path, const char *rel)
{
	size_t n = strlen(rel);

	return n == 0 || (strncmp(path, rel, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}

void
dirwalk_drop(struct dirwalk *w, const char *rel)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nq; i++) {
		if (under(w->queue[i], rel))
			free(w->queue[i]);
		else
			w->queue[k++] = w->queue[i];
	}
	w->nq = k;
	/* Frames nest: the first one under rel and all deeper go. */
	for (size_t i = 0; i < w->depth; i++)
		if (under(w->stack[i].rel, rel)) {
			while (w->depth > i)
				pop(w);
			break;
		}
}

/* Push the folder fd (taken over) as rel (taken over). 0, or -1. */
static int
push(struct dirwalk *w, int fd, char *rel)
{
	DIR *d = fdopendir(fd);

	if (d == NULL) {
		close(fd);
		free(rel);
		return errno == ENOMEM ? -1 : 0;
	}
	w->stack[w->depth].d = d;
	w->stack[w->depth++].rel = rel;
	return 0;
}

/* Open the last queued folder under root. 0, or -1 when out of memory. */
static int
open_queued(struct dirwalk *w, const char *root)
{
	char *rel = w->queue[--w->nq];
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (rootfd < 0) {
		free(rel);
		return 0;
	}
	fd = *rel ? openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC) : rootfd;
	if (fd != rootfd)
		close(rootfd);
	if (fd < 0) {
		free(rel);	/* gone meanwhile, or unreadable */
		return 0;
	}
	return push(w, fd, rel);
}

/* The entry's type, looked up when the file system gives none. */
static unsigned char
type_of(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type;
	if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG :
	    S_ISLNK(st.st_mode) ? DT_LNK : DT_FIFO;
}

/* One entry of the deepest folder. 0, or -1 when out of memory. */
static int
entry(struct dirwalk *w, const char *root, const struct dirent *de,
    dirwalk_fn *fn, void *ud)
{
	struct frame *f = &w->stack[w->depth - 1];
	unsigned char type = type_of(f->d, de);
	char *sub;
	int fd;

	if (type == DT_DIR || release_format_of(de->d_name) >= 0) {
		if (asprintf(&sub, "%s%s%s", f->rel, *f->rel ? "/" : "",
		    de->d_name) < 0)
			return -1;
	} else {
		return 0;	/* not a release file: nothing to say */
	}
	if (type != DT_DIR) {
		/* A FIFO or device is not read; nor a path too long to. */
		if ((type == DT_REG || type == DT_LNK || type == DT_UNKNOWN) &&
		    strlen(root) + 1 + strlen(sub) < PATH_MAX)
			fn(ud, sub);
		free(sub);
		return 0;
	}
	if (w->depth == MAX_DEPTH)
		return enqueue(w, sub);
	fd = openat(dirfd(f->d), de->d_name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		free(sub);	/* replaced by a symlink, gone, unreadable */
		return 0;
	}
	return push(w, fd, sub);
}

int
dirwalk_step(struct dirwalk *w, const char *root, size_t max,
    dirwalk_fn *fn, void *ud)
{
	size_t seen = 0;

	while (seen < max) {
		struct dirent *de;
		int rc;

		if (w->depth == 0) {
			if (w->nq == 0)
				return 0;
			rc = open_queued(w, root);
		} else if ((de = readdir(w->stack[w->depth - 1].d)) == NULL) {
			pop(w);		/* done, or unreadable: skipped */
			rc = 0;
		} else {
			seen++;
			rc = de->d_name[0] == '.' ? 0 :
			    entry(w, root, de, fn, ud);
		}
		if (rc < 0) {
			dirwalk_clear(w);
			return -1;
		}
	}
	return dirwalk_busy(w);
}
