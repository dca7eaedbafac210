/*
 * archive: RFC 5005 complete archives of an Atom feed (the main one, or a
 * sub-feed: subfeed.h). The feed holds the newest max_entries releases;
 * every older one is in the archive document of the period (UTC) of its
 * date, newest first: DIR/YYYY-MM.atom for a month, DIR/YYYY.atom for a
 * year. DIR is feed-archive for the main feed, feed-archive/tags/SLUG for
 * a sub-feed (subfeed_archive_dir()); archive_period_of() says which
 * period a feed's archives use.
 *
 * A period's document depends on its releases only (and on which periods
 * are its neighbours), so a new release touches the newest archive alone
 * (the one the release it pushes out of the feed goes to), an edit the
 * archive that holds the release, and a release dated back its own
 * period's. Calendar periods, not runs of N entries: a release dated back
 * or removed would shift every later run. Pure, like feed.h.
 *
 * Ownership: a struct archives owns its arrays; releases are borrowed.
 */
#ifndef FEEDS_ARCHIVE_H
#define FEEDS_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "meta.h"
#include "release.h"

#define ARCHIVE_DIR "feed-archive"

struct archive_doc {
	char key[32];		/* "2024-03" (a month), "2024" (a year) */
	char *path;		/* "feed-archive/2024-03.atom" */
	struct release **rs;	/* newest first */
	size_t n;
};

struct archives {
	struct archive_doc *v;	/* newest period first */
	size_t n;
};

/*
 * The period of the archives of the main feed (tag false) or of a tag's
 * feed (tag true): m->tag_archive_period for tags, else m->archive_period
 * (types and languages are few and each holds much of the whole, like the
 * main feed; tags are many and each holds few).
 */
enum archive_period archive_period_of(const struct feed_meta *m, bool tag);

/*
 * The periods p of rs[0..n) (the releases past the feed, newest first as
 * store_select() gives them), their documents in dir ("feed-archive",
 * copied). Returns 0 with *out filled (empty for n 0), or -1 when out of
 * memory (*out empty).
 */
int archives_build(const char *dir, enum archive_period p,
    struct release *const *rs, size_t n, struct archives *out);

void archives_free(struct archives *a);	/* NULL fine; leaves it empty */

#endif
