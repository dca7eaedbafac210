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
 * time runs out it returns 1 (call again): no index, sitemap or feed links
 * to a page not there yet, as what links comes later. Returns 0 when the
 * whole site is in place: then the folders are fsync'd (the only call
 * that waits on the disk), and the feeds may follow.
 *
 * The calls of one site publish share its work list: gen is
 * store_generation() of rs's store; while gen, rs, n and nfeed stay the
 * same, a call goes on where the last stopped (each page is looked at
 * once per publish, not once per call); any other starts the site anew.
 *
 * A renamed release (same id, another slug) leaves a redirect page at
 * its old name, for as long as it lives: which slug each id had is kept
 * in the state folder (pages-slugs), read at every publish and written
 * when save_state (not --once, which writes no state).
 *
 * A release page is rendered again only when its release is new (read
 * again) or its pages_stamp() changed; a listing page when its
 * pages_listing_stamp() did. So a file of the site removed by hand comes
 * back at the next start, not at the next publish.
 */
int site_publish(const struct config *c, struct release **rs, size_t n,
    size_t nfeed, uint64_t gen, int64_t now, double slice_ms,
    bool save_state, struct publish_result *res);

/*
 * The config (or the store) the site publish under way was planned for
 * is going away: the next site_publish() starts the site anew. Also frees
 * what the plan holds (the store's releases must still be there).
 */
void site_forget(void);

#endif
