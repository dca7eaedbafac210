/*
 * scan: walk the releases folder (see scan.h).
 */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Byte order, not the locale's: the same on every machine. */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
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
	if (old == NULL)
		return;
	if (!r->has_date && !old->has_date)
		r->date = old->date;
	if (r->has_updated)
		return;
	if (r->hash == old->hash)
		r->updated = old->updated;
	else if (r->mtime > r->updated.sec)
		r->updated = date_from_epoch(r->mtime);
	if (r->updated.sec < r->date.sec)
		r->updated = r->date;
}

int
scan_file(const struct feed_meta *m, const char *root, const char *relpath,
    struct store *s, scan_error_fn *on_error, void *ud)
{
	const char *base = strrchr(relpath, '/'), *clash = NULL;
	struct release_error err = { 0, 0, "" };
	struct release *r;

	base = base ? base + 1 : relpath;
	if (release_format_of(base) < 0)
		return 1;
	if (release_load(m, root, relpath, &r, &err) < 0) {
		/* A file that vanished is a removal; a dangling link is not. */
		char full[8192];
		struct stat st;
		bool gone = err.errnum == ENOENT && (snprintf(full,
		    sizeof(full), "%s/%s", root, relpath), lstat(full, &st) < 0);

		store_remove(s, relpath);
		if (gone)
			return 1;
		on_error(ud, relpath, &err);
		return -1;
	}
	carry_over(r, store_get(s, relpath));
	if (store_put(s, r, &clash) < 0) {
		err.line = 0;
		snprintf(err.msg, sizeof(err.msg), "has the same id as %s; "
		    "give one of them its own 'id:' in the front matter",
		    clash ? clash : "another release");
		store_remove(s, relpath);
		on_error(ud, relpath, &err);
		return -1;
	}
	return 0;
}

static int
walk(const struct feed_meta *m, const char *root, const char *rel,
    struct store *s, scan_error_fn *on_error, void *ud)
{
	struct dirent **names;
	char dir[4096], sub[4096];
	int n, skipped = 0;

	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	if ((n = scandir(dir, &names, visible, by_name)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct stat st;
		char full[8192];

		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		    names[i]->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		/* Folders are followed, but not through symlinks (loops). */
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			int k = walk(m, root, sub, s, on_error, ud);
			skipped += k > 0 ? k : 0;
		} else if (scan_file(m, root, sub, s, on_error, ud) < 0) {
			skipped++;
		}
		free(names[i]);
	}
	free(names);
	return skipped;
}

int
scan_folder(const struct feed_meta *m, const char *root, struct store *s,
    scan_error_fn *on_error, void *ud)
{
	return walk(m, root, "", s, on_error, ud);
}

int
scan_subfolder(const struct feed_meta *m, const char *root, const char *rel,
    struct store *s, scan_error_fn *on_error, void *ud)
{
	return walk(m, root, rel, s, on_error, ud);
}
