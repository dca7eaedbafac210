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
 * slice_ms > 0 bounds the time spent on the pages of the releases past
 * the feeds and the index (those are always made), then on the listing
 * pages (one at least): when time runs out, the pages made so far are
 * written, nothing else (no index, sitemap or feed links to a page not
 * there yet), and it returns 1: call again. Returns 0 when the whole
 * site is in place.
 *
 * A release page is rendered again only when its release is new (read
 * again) or its pages_stamp() changed; a listing page when its
 * pages_listing_stamp() did. So a file of the site removed by hand comes
 * back at the next start, not at the next publish.
 */
int site_publish(const struct config *c, struct release **rs, size_t n,
    size_t nfeed, int64_t now, double slice_ms, struct publish_result *res);

#endif
