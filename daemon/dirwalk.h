/*
 * dirwalk: the release files under folders that appeared, listed a few
 * entries at a time, so that one rename of a folder holding 100,000 files
 * never holds the loop for the whole listing. Folders are followed but
 * never through symlinks (each one is opened with O_NOFOLLOW from its
 * parent's descriptor); names starting with '.' are skipped; only names
 * of a release format (feeds/release.h) that may be regular files or
 * symlinks are reported, as scan_paths() does.
 *
 * The walk owns its open folders (one descriptor per level it is in) and
 * its copies of the queued paths. Paths are relative to the root given to
 * dirwalk_step(), which must stay the same while a walk is under way
 * (dirwalk_clear() before it changes).
 */
#ifndef DAEMON_DIRWALK_H
#define DAEMON_DIRWALK_H

#include <stdbool.h>
#include <stddef.h>

struct dirwalk;

struct dirwalk *dirwalk_new(void);	/* NULL when out of memory */
void dirwalk_free(struct dirwalk *w);	/* NULL is fine */

/* Walk rel too (again, if it is queued or under way). 0, or -1 (ENOMEM). */
int dirwalk_add(struct dirwalk *w, const char *rel);

/*
 * rel went (moved out, deleted): forget it and everything under it,
 * queued or being listed. What was reported of it stays reported.
 */
void dirwalk_drop(struct dirwalk *w, const char *rel);

void dirwalk_clear(struct dirwalk *w);		/* forget every folder */
bool dirwalk_busy(const struct dirwalk *w);	/* something left to list */

typedef void dirwalk_fn(void *ud, const char *relpath);

/*
 * List at most max entries (files and folders) under root, calling fn for
 * each release file. A folder that cannot be opened or read is skipped
 * (its events, if it comes back, queue it again). Returns 1 when more is
 * left, 0 when the walk is done, -1 when out of memory (the walk is then
 * cleared: the caller rescans).
 */
int dirwalk_step(struct dirwalk *w, const char *root, size_t max,
    dirwalk_fn *fn, void *ud);

#endif
