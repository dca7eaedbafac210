/*
 * relcache: the store's releases kept in the state database across
 * restarts (state.h's release cache, feeds/relpack.h's bytes), offered to
 * a scan (feeds/scan.h) so that a restart reads only the files whose key
 * changed. Counts what it found and what it was handed, for the log.
 */
#ifndef DAEMON_RELCACHE_H
#define DAEMON_RELCACHE_H

#include <stddef.h>

#include "feeds/meta.h"
#include "feeds/scan.h"
#include "state.h"

struct relcache {
	struct scan_cache sc;	/* what scan_folder_cached() takes */
	struct state_cache *c;
	const struct feed_meta *m;
	const char *root;
	size_t found, put;	/* releases taken from it, written to it */
};

/*
 * Open the cache of st for releases under root read with m, into *rc.
 * Returns &rc->sc, or NULL: no cache (st NULL, or it could not be opened).
 */
const struct scan_cache *relcache_open(struct relcache *rc, struct state *st,
    const struct feed_meta *m, const char *root);

void relcache_close(struct relcache *rc);

#endif
