/*
 * site: publish's step for the web pages (feeds/pages.h, sitemap.h):
 * render what may have changed, write the files whose bytes did, remove
 * the pages of releases gone, all through one output batch.
 */
#ifndef DAEMON_SITE_H
#define DAEMON_SITE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "publish.h"

/* What a call of site_publish() leaves to do. */
enum site_step {
	SITE_DONE,	/* the whole site is in place: the feeds follow */
	SITE_MORE,	/* more to come: call again; the feeds wait */
	SITE_FEEDS,	/* more to come, and the pages the feeds link are */
			/* in place: write the feeds now, call again */
};

/*
 * Write c->pages's site for rs[0..n) (every release published at now,
 * newest first); the first nfeed are in the feeds, whose rendered bodies
 * are kept, the others' are freed once their page is made. Fills
 * res->pages_* and res->next_change. Problems are logged here.
 *
 * slice_ms > 0 bounds the time of one call (a page, or MIN_REMOVALS
 * removals, at least, so every call gets somewhere): the release pages
 * newest first, then the listing pages, then the index, the sitemaps and
 * the removal of pages gone. Each file is in place when written; when
 * time runs out it returns SITE_MORE (call again): no index, sitemap or
 * feed links to a page not there yet, as what links comes later. Returns
 * SITE_DONE when the whole site is in place: then the folders are
 * fsync'd (the only call that waits on the disk), and the feeds follow.
 *
 * The feeds need not wait for all of it: they link the pages of
 * rs[0..need) (the main feeds' nfeed, or all n with sub-feeds or
 * archives). Once those are in place, their renames fsync'd, none failed,
 * and a whole site was written before (index.html), a call returns
 * SITE_FEEDS once: the caller writes the feeds then, and calls again for
 * the rest. With slice_ms > 0 that call is the one that finishes the
 * release pages, whatever time is left: no feed links a listing page,
 * the index's new bytes or a sitemap, so they follow the feeds.
 * *feeds_out says the feeds of this site publish went in an earlier call
 * (then SITE_DONE needs no feeds again). Never with slice_ms 0 (--once
 * makes everything in one call).
 *
 * The calls of one site publish share its work list: gen is
 * store_generation() of rs's store; while gen, rs, n and nfeed stay the
 * same, a call goes on where the last stopped (each page is looked at
 * once per publish, not once per call); any other starts the site anew.
 *
 * A renamed release (same id, another slug) leaves a redirect page at
 * its old name, for as long as it lives: which slug each id had is kept
 * in memory across publishes and in the state folder (pages-slugs), read
 * once (the first publish, and the first after site_forget()) and, when
 * save_state (not --once, which writes no state), appended to for the
 * releases whose page was made, rewritten whole now and then. So a
 * publish that changes a few releases costs those, not the archive:
 * releases/ is listed (to remove pages gone) only when a release left the
 * selection or was renamed, archive/ and sitemaps/ only when there were
 * more listing pages or sitemap chunks than now (and at the first).
 *
 * A release page is rendered again only when its release is new (read
 * again) or its pages_stamp() changed; a listing page when its
 * pages_listing_stamp() did. So a file of the site removed by hand comes
 * back at the next start, not at the next publish.
 */
enum site_step site_publish(const struct config *c, struct release **rs,
    size_t n, size_t nfeed, size_t need, uint64_t gen, int64_t now,
    double slice_ms, bool save_state, struct publish_result *res,
    bool *feeds_out);

/*
 * The feeds of rs[0..all) are made: free the bodies the release pages
 * of rs[n..all) kept for them (those of rs[0..n), the main feed's, stay).
 */
void site_feeds_done(struct release **rs, size_t n, size_t all);

/*
 * The config (or the store) the site publish under way was planned for
 * is going away: the next site_publish() starts the site anew. Also frees
 * what the plan holds (the store's releases must still be there) and
 * what is kept across publishes (pages-slugs is read again, releases/
 * listed again).
 */
void site_forget(void);

#endif
