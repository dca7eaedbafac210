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
	/* Of the total, by stage (wall time, for the debug line): the site,
	 * the main feed's archives, the main feeds, the sub-feeds. */
	double site_ms, archives_ms, feeds_ms, subs_ms;
	size_t pages_written;		/* files of the site written */
	size_t pages_removed;		/* and removed */
	unsigned pages_failed;		/* could not be rendered or written */
	int64_t next_change;		/* when the site changes by itself */
					/* (the news sitemap), INT64_MAX: never */
	/*
	 * A slice of the site was written: publish again soon. With no feed
	 * written (feeds untouched), or after the feeds, whose pages were in
	 * place (site.h's SITE_FEEDS): the rest of the site follows.
	 */
	bool site_more;
	bool feeds_went;		/* the feeds were rendered this call */
	bool site_rest;			/* the last of that rest, no feed */
	/*
	 * Sub-feeds (feeds/subfeed.h) and archives (feeds/archive.h) whose
	 * bytes changed and were written (or removed): names under the output folder ("tags/brott.atom"),
	 * for the hub and the HTTP snapshot. Owned by publish.c, valid
	 * until the next publish_feeds().
	 */
	const char *const *subs_changed;
	size_t nsubs_changed;
	unsigned subs_failed;		/* sub-feed, archive files not written */
	/*
	 * The pages of releases gone whose tombstone lives ([feed]
	 * deleted_for, with [pages]): "releases/x.html", for the embedded
	 * server's 410. NULL: not known (a publish that stopped early).
	 * Owned by publish.c, valid until the next publish_feeds().
	 */
	const char *const *gone;
	size_t ngone;
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
 * With [feed] archives, the RFC 5005 archives of what the feeds have no
 * room for come before the feeds (which link the newest); then the
 * sub-feeds the config turns on, each file written only when its
 * bytes changed; those of values gone (and of axes turned off) are
 * removed. A failure there is logged and counted in subs_failed; it does
 * not fail the publish (the main feeds are in place). The tombstones'
 * expiry counts as a change of the site (next_change).
 *
 * save_state false (--once) leaves the state folder alone (site_publish()).
 *
 * slice_ms (0: no limit) bounds the time spent on release pages: when
 * more are left, those written so far are in place, nothing else is
 * (no listing, sitemap or feed links to a page not there yet), and
 * res->site_more says to call again. The feeds are written once per
 * batch, by the call after whose slice the pages they link are all in
 * place (site.h's SITE_FEEDS; else the one that completes the site):
 * when that leaves more of the site, res->site_more is set with the
 * feeds' results, the next calls write the rest and the last of them
 * says res->site_rest (no feed rendered or written).
 */
int publish_feeds(const struct config *c, struct store *s, int64_t now,
    int64_t empty_since, double slice_ms, bool save_state,
    struct publish_result *res);

/*
 * What publish_feeds() keeps across the slices of one site (the sub-feed
 * set) and across publishes (the rendered entries) goes: the config or
 * the store it was made from is going away.
 */
void publish_forget(void);

#endif
