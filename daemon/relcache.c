/*
 * relcache: see relcache.h.
 */
#include "relcache.h"

#include <stdlib.h>

#include "feeds/relpack.h"
#include "log.h"

static const void *
find(void *ud, const char *relpath, const struct scan_key *key, size_t *len)
{
	struct relcache *rc = ud;
	const void *b = state_cache_find(rc->c, relpath, key, len);

	rc->found += b != NULL;
	return b;
}

/* From any thread: relpack_unpack() touches nothing shared. */
static struct release *
unpack(void *ud, const char *relpath, const void *b, size_t len,
    struct release_error *err)
{
	struct relcache *rc = ud;
	struct release *r = NULL;

	return relpack_unpack(rc->m, rc->root, relpath, b, len, &r, err) < 0 ?
	    NULL : r;
}

/* Bytes it cannot take (or a medium gone): the file is read. */
static void
rejected(void *ud, const char *relpath, const struct release_error *err)
{
	struct relcache *rc = ud;

	rc->found--;
	log_debug("%s: not from the cache: %s", log_esc(relpath),
	    log_esc(err->msg));
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
	rc->sc = (struct scan_cache){ find, unpack, rejected, put, rc };
	return &rc->sc;
}

void
relcache_close(struct relcache *rc)
{
	state_cache_close(rc->c);
	rc->c = NULL;
}
