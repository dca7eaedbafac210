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
};

/*
 * Publish what is live at now (seconds since the epoch); a feed with no
 * entries says it was updated at empty_since (feed_meta's). Returns 0 when
 * every feed is in place (written or unchanged), -1 when one could not be
 * rendered or written (logged; the old file stays).
 */
int publish_feeds(const struct config *c, struct store *s, int64_t now,
    int64_t empty_since, struct publish_result *res);

#endif
