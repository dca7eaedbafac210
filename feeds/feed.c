/*
 * feed: the xmlTextWriter set-up shared by the Atom and RSS writers
 * (feed.h); the helpers they share are in xmlout.c.
 */
#include "feed.h"

#include <stdlib.h>
#include <string.h>

#include "xmlout.h"

static const char *const names[FEED_NKINDS] = { "feed.atom", "feed.rss" };

const char *
feed_file_name(enum feed_kind k)
{
	return names[k];
}

/* What xo_document() passes the writers. */
struct feed_args {
	enum feed_kind k;
	const struct feed_meta *m;
	struct release *const *rs;
	size_t n;
};

static int
feed_body(xmlTextWriterPtr w, void *arg)
{
	const struct feed_args *a = arg;

	return a->k == FEED_ATOM ? atom_write(w, a->m, a->rs, a->n) :
	    rss_write(w, a->m, a->rs, a->n);
}

int
feed_render(enum feed_kind k, const struct feed_meta *m,
    struct release *const *rs, size_t n, char **data, size_t *len)
{
	struct feed_args a = { k, m, rs, n };

	*data = NULL;
	for (size_t i = 0; i < n; i++)
		if (release_render(rs[i], m) < 0)
			return -1;
	return xo_document(feed_body, &a, data, len);
}
