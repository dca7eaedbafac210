/*
 * archive: RFC 5005 complete archives of an Atom feed (the main one, or a
 * sub-feed: subfeed.h). The feed holds the newest max_entries releases;
 * every older one is in the archive document of the month (UTC) of its
 * date, DIR/YYYY-MM.atom, newest first: DIR is feed-archive for the main
 * feed, feed-archive/tags/SLUG for a sub-feed (subfeed_archive_dir()). A month's document depends on
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
	char *path;		/* "feed-archive/2024-03.atom" */
	struct release **rs;	/* newest first */
	size_t n;
};

struct archives {
	struct archive_month *v;	/* newest month first */
	size_t n;
};

/*
 * The months of rs[0..n) (the releases past the feed, newest first as
 * store_select() gives them), their documents in dir ("feed-archive",
 * copied). Returns 0 with *out filled (empty for n 0), or -1 when out of
 * memory (*out empty).
 */
int archives_build(const char *dir, struct release *const *rs, size_t n,
    struct archives *out);

void archives_free(struct archives *a);	/* NULL fine; leaves it empty */

#endif
