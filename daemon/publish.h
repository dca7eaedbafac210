/*
 * publish: the pipeline's last step. Render every feed format from the
 * store and replace the files whose bytes changed.
 */
#ifndef DAEMON_PUBLISH_H
#define DAEMON_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "feeds/feed.h"
#include "feeds/store.h"

struct publish_result {
	size_t entries;			/* in each feed */
	struct release **rs;		/* them, owned by the store */
	bool changed[FEED_NKINDS];	/* bytes differed and were written */
	bool failed_k[FEED_NKINDS];	/* could not be rendered or written */
	unsigned failed;		/* feeds that could not be written */
	double render_ms;		/* of the total, rendering alone */
	size_t pages_written;		/* files of the site written */
	size_t pages_removed;		/* and removed */
	unsigned pages_failed;		/* could not be rendered or written */
	int64_t next_change;		/* when the site changes by itself */
					/* (the news sitemap), INT64_MAX: never */
	bool site_more;			/* a slice of the site was written, */
					/* no feed: publish again soon */
};

/*
 * Publish what is live at now (seconds since the epoch): the site first
 * (c->pages: pages, listings, sitemaps; only files whose bytes changed
 * are written, pages of releases gone are removed), so a feed never links
 * to a page not written yet; then the feeds. A feed with no entries says
 * it was updated at empty_since (feed_meta's). Returns 0 when every feed
 * is in place (written or unchanged), -1 when one could not be rendered
 * or written (logged; the old file stays). A page that fails is logged
 * and counted in pages_failed; it does not fail the publish.
 *
 * save_state false (--once) leaves the state folder alone (site_publish()).
 *
 * slice_ms (0: no limit) bounds the time spent on release pages: when
 * more are left, those written so far are in place, nothing else is
 * (no listing, sitemap or feed links to a page not there yet), and
 * res->site_more says to call again; the call that writes the last page
 * publishes the rest, so a big batch is still published once.
 */
int publish_feeds(const struct config *c, struct store *s, int64_t now,
    int64_t empty_since, double slice_ms, bool save_state,
    struct publish_result *res);

#endif
