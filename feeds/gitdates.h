/*
 * gitdates: the dates git knows of the release files (date_source = git).
 * A release without a front matter `date` takes the committer time of the
 * commit that added its file, and `updated` that of the last commit that
 * changed it, so a fresh clone does not date every release "now".
 *
 * It lives in feeds/ because it only reads files (the .git folder, with
 * libgit2, never by running git) and the release loader asks it where the
 * fallback date is chosen; the daemon decides when to refresh it and logs
 * what it reports. One revwalk from HEAD per refresh, along first parents,
 * newest to oldest, diffing each commit's releases subtree against its
 * parent's (skipped when the subtree's oid did not change); renames are
 * followed, so a `git mv` keeps the first date. A refresh with the same
 * HEAD does no git work; one whose HEAD descends from the last along first
 * parents (a pull, a new commit) walks only the new commits.
 */
#ifndef FEEDS_GITDATES_H
#define FEEDS_GITDATES_H

#include <stddef.h>

#include "date.h"

struct gitdates;

/* For root (the releases folder). NULL when out of memory. */
struct gitdates *gitdates_new(const char *root);
void gitdates_free(struct gitdates *g);

/*
 * Read the dates of the commit HEAD points at now, unless they are known
 * already (see above for what is read again). Returns 1 with a warning in why (shallow clone, unreadable
 * repository, out of memory: then no file has a git date) the first time
 * that warning holds, else 0 (dates read, the same HEAD, or root is not
 * in a git work tree: nothing to say).
 */
int gitdates_refresh(struct gitdates *g, char *why, size_t whylen);

enum gitdate_result {
	GITDATE_NONE,		/* no repository (or it failed): no dates */
	GITDATE_UNCOMMITTED,	/* untracked, or differs from HEAD */
	GITDATE_FOUND,		/* *first and *last are set */
};

/*
 * The dates of relpath (under root) whose bytes are buf/len: committed as
 * they are at HEAD, the time of the commit that added it (*first) and of
 * the last that changed it (*last). Thread-safe between refreshes.
 */
enum gitdate_result gitdates_lookup(const struct gitdates *g,
    const char *relpath, const char *buf, size_t len, struct fp_time *first,
    struct fp_time *last);

#endif
