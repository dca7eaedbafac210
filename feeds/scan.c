/*
 * scan: walk the releases folder (see scan.h).
 */
#include "scan.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inherit.h"

/* Byte order, not the locale's: the same on every machine. */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* What an edited release inherits from the version it replaces. */
static void
carry_over(struct release *r, const struct release *old)
{
	struct release_past was;

	if (old == NULL)
		return;
	was = release_past_of(old);
	release_inherit(r, &was, strcmp(r->text, old->text) == 0);
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
	struct release *other = store_get_id(s, r->id), *held;

	if (other == NULL || prev == NULL || strcmp(other->path, r->path) == 0 ||
	    (held = store_get_id(prev, r->id)) == NULL ||
	    strcmp(held->path, r->path) != 0)
		return;
	lose_id(s, other->path, r->path, on_error, ud);
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
	char full[8192];
	struct stat st;
	struct release *old;
	bool gone = err->errnum == ENOENT && (snprintf(full, sizeof(full),
	    "%s/%s", root, relpath), lstat(full, &st) < 0);

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

int
scan_file(const struct feed_meta *m, const char *root, const char *relpath,
    struct store *s, scan_error_fn *on_error, void *ud)
{
	struct release_error err = { .line = 0 };
	struct release *r = NULL;

	if (!wanted(relpath))
		return 1;
	release_load(m, root, relpath, &r, &err);
	switch (commit(root, relpath, r, &err, s, NULL, on_error, ud)) {
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
	struct release_error *errs;
	size_t n, cap;
	bool broken;		/* a folder could not be read */
	char **bad_dirs;	/* those folders (not the root) */
	size_t nbad;
	scan_error_fn *on_error;
	void *ud;
	size_t stride, first;	/* a worker loads first, first+stride... */
};

/* d_type saves a stat per file; not every file system fills it in. */
static bool
is_dir(const struct dirent *d, const char *full)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	return lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
add_path(struct job *j, const char *rel)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 256;
		char **v = realloc(j->paths, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		j->paths = v;
		j->cap = cap;
	}
	if ((j->paths[j->n] = strdup(rel)) == NULL)
		return -1;
	j->n++;
	return 0;
}

static int
walk(struct job *j, const char *rel)
{
	struct dirent **names;
	char dir[4096];
	int n, rc = 0;

	snprintf(dir, sizeof(dir), "%s%s%s", j->root, *rel ? "/" : "", rel);
	if ((n = scandir(dir, &names, visible, by_name)) < 0) {
		struct release_error err = { .errnum = errno };
		int saved = errno;

		snprintf(err.msg, sizeof(err.msg), "cannot read this folder: "
		    "%s", strerror(saved));
		if (*rel && j->on_error != NULL)
			j->on_error(j->ud, rel, &err);
		j->broken = true;
		if (*rel) {
			char **v = realloc(j->bad_dirs,
			    (j->nbad + 1) * sizeof(*v));

			if (v != NULL && (v[j->nbad] = strdup(rel)) != NULL)
				j->nbad++;
			if (v != NULL)
				j->bad_dirs = v;
		}
		errno = saved;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096], full[8192];

		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		    names[i]->d_name);
		snprintf(full, sizeof(full), "%s/%s", j->root, sub);
		/* Folders are followed, but not through symlinks (loops). */
		if (rc == 0 && is_dir(names[i], full))
			walk(j, sub);
		else if (rc == 0 && wanted(sub))
			rc = add_path(j, sub);
		free(names[i]);
	}
	free(names);
	return rc;
}

static void *
load_some(void *arg)
{
	struct job *j = arg;

	for (size_t i = j->first; i < j->n; i += j->stride)
		release_load(j->m, j->root, j->paths[i], &j->rs[i],
		    &j->errs[i]);
	return NULL;
}

/*
 * Reading and parsing thousands of files is the cold start's whole cost,
 * and each file stands alone: spread them over the CPUs. Results are put
 * in the store in path order afterwards, so the outcome is the same.
 */
static void
load_all(struct job *j)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = j->n < 256 || cpus < 2 ? 1 : cpus > 8 ? 8 : (size_t)cpus;
	pthread_t tid[8];
	bool started[8] = { false };
	struct job w[8];

	for (size_t t = 0; t < nt; t++) {
		w[t] = *j;
		w[t].first = t;
		w[t].stride = nt;
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL, load_some,
			    &w[t]) == 0;
	}
	load_some(&w[0]);
	/* A worker that could not start has its share done here. */
	for (size_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			load_some(&w[t]);
	}
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

int
scan_folder(const struct feed_meta *m, const char *root, struct store *s,
    struct store *prev, scan_error_fn *on_error, void *ud)
{
	struct tally t = { on_error, ud, 0 };
	struct job j = { .m = m, .root = root, .on_error = count_error,
	    .ud = &t };
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
	/* "2019-x/a" before "2019/a": whole paths in byte order. */
	if (j.n > 1)
		qsort(j.paths, j.n, sizeof(*j.paths), by_path);
	j.rs = calloc(j.n ? j.n : 1, sizeof(*j.rs));
	j.errs = calloc(j.n ? j.n : 1, sizeof(*j.errs));
	if (j.rs == NULL || j.errs == NULL) {
		rc = -1;
		goto out;
	}
	load_all(&j);
	for (size_t i = 0; i < j.n; i++) {
		if (nomem)
			release_free(j.rs[i]);
		else
			nomem = commit(root, j.paths[i], j.rs[i], &j.errs[i],
			    s, prev, count_error, &t) == COMMIT_NOMEM;
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
	free(j.errs);
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
