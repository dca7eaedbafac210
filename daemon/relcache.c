/*
 * relcache: see relcache.h.
 */
#include "relcache.h"

#include <stdlib.h>

#include "feeds/relpack.h"
#include "log.h"

static struct release *
get(void *ud, const char *relpath, const struct scan_key *key)
{
	struct relcache *rc = ud;
	struct release_error err = { .line = 0 };
	struct release *r = NULL;
	const void *b;
	size_t len = 0;

	if ((b = state_cache_find(rc->c, relpath, key, &len)) == NULL)
		return NULL;
	/* Bytes it cannot take (or a medium gone): the file is read. */
	if (relpack_unpack(rc->m, rc->root, relpath, b, len, &r, &err) < 0) {
		log_debug("%s: not from the cache: %s", log_esc(relpath),
		    log_esc(err.msg));
		return NULL;
	}
	rc->found++;
	return r;
}

static void
put(void *ud, const struct release *r, const struct scan_key *key)
{
	struct relcache *rc = ud;
	unsigned char *b;
	size_t len;

	if (relpack_pack(r, &b, &len) < 0)
		return;	/* out of memory: read again at the next start */
	if (state_cache_put(rc->c, r->path, key, b, len) == 0)
		rc->put++;
	free(b);
}

const struct scan_cache *
relcache_open(struct relcache *rc, struct state *st,
    const struct feed_meta *m, const char *root)
{
	*rc = (struct relcache){ .m = m, .root = root };
	if (st == NULL || (rc->c = state_cache_open(st,
	    relpack_meta_key(m, root))) == NULL)
		return NULL;
	rc->sc = (struct scan_cache){ get, put, rc };
	return &rc->sc;
}

void
relcache_close(struct relcache *rc)
{
	state_cache_close(rc->c);
	rc->c = NULL;
}
