/*
 * archive: RFC 5005 complete archives of the main Atom feed. The feed
 * holds the newest max_entries releases; every older one is in the
 * archive document of the month (UTC) of its date,
 * feed-archive/YYYY-MM.atom, newest first. A month's document depends on
 * its releases only (and on which months are its neighbours), so a new
 * release touches the newest archive alone (the one the release it pushes
 * out of the feed goes to), an edit the archive that holds the release,
 * and a release dated back its own month's. Pure, like feed.h.
 *
 * Ownership: a struct archives owns its arrays; releases are borrowed.
 */
#ifndef FEEDS_ARCHIVE_H
#define FEEDS_ARCHIVE_H

#include <stddef.h>

#include "release.h"

#define ARCHIVE_DIR "feed-archive"

struct archive_month {
	char key[16];		/* "2024-03" */
	char path[64];		/* "feed-archive/2024-03.atom" */
	struct release **rs;	/* newest first */
	size_t n;
};

struct archives {
	struct archive_month *v;	/* newest month first */
	size_t n;
};

/*
 * The months of rs[0..n) (the releases past the main feed, newest first
 * as store_select() gives them). Returns 0 with *out filled (empty for n
 * 0), or -1 when out of memory (*out empty).
 */
int archives_build(struct release *const *rs, size_t n, struct archives *out);

void archives_free(struct archives *a);	/* NULL fine; leaves it empty */

#endif
