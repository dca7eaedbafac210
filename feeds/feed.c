/*
 * feed: one entry point for every format (feed.h). The Atom and RSS
 * writers share the xmlTextWriter set-up here and the helpers in
 * xmlout.c; the JSON Feed writer is jsonfeed.c.
 */
#include "feed.h"

#include <stdlib.h>
#include <string.h>

#include "feedmemo.h"
#include "jsonfeed.h"
#include "tombstone.h"
#include "xmlout.h"

static const char *const names[FEED_NKINDS] = { "feed.atom", "feed.rss",
	"feed.json" };

const char *
feed_file_name(enum feed_kind k)
{
	return names[k];
}

bool
feed_written(const struct feed_meta *m, enum feed_kind k)
{
	return k != FEED_JSON || m->json;
}

const char *
feed_extension(enum feed_kind k)
{
	return strchr(names[k], '.');
}

/* What xo_document() passes the writers. */
struct feed_args {
	enum feed_kind k;
	const struct feed_meta *m;
	const struct feed_doc *d;
	struct release *const *rs;
	size_t n;
	struct feed_memo *memo;
};

static int
feed_body(xmlTextWriterPtr w, xmlBufferPtr buf, void *arg)
{
	const struct feed_args *a = arg;

	return a->k == FEED_ATOM ? atom_write(w, buf, a->m, a->d, a->rs, a->n,
	    a->memo) : rss_write(w, buf, a->m, a->d, a->rs, a->n, a->memo);
}

int
feed_render_memo(enum feed_kind k, const struct feed_meta *m,
    const struct feed_doc *d, struct release *const *rs, size_t n,
    struct feed_memo *memo, char **data, size_t *len,
    struct release_error *err)
{
	struct release_error none;
	struct feed_meta only_tombs;
	struct feed_args a = { k, m, d, rs, n, memo };
	size_t kept;
	/* The bodies read for this document only, dropped once it is made. */
	bool *read = n > 0 ? calloc(n, sizeof(*read)) : NULL;
	int rc = -1;

	/*
	 * A sub-feed kept for its tombstones alone changed last when the
	 * newest went (the feeds' updated when empty: xmlout.h).
	 */
	if (n == 0 && d->ntombs > 0) {
		only_tombs = *m;
		only_tombs.empty_since = d->tombs[0].when;
		a.m = m = &only_tombs;
	}
	if (err == NULL)
		err = &none;
	*data = NULL;
	if (n > 0 && read == NULL)
		return release_error_oom(err);
	/* An entry memo holds needs no body (it stays: feedmemo.h). */
	feed_memo_next_doc(memo);
	for (size_t i = 0; i < n; i++) {
		if (feed_memo_get(memo, k, rs[i], &kept) != NULL)
			continue;
		read[i] = rs[i]->html == NULL;
		if (release_load_body(rs[i], m, err) < 0)
			goto out;
	}
	rc = k == FEED_JSON ? jsonfeed_render(m, d, rs, n, memo, data, len) :
	    xo_document_buf(feed_body, &a, data, len);
	if (rc < 0)
		release_error_oom(err);
out:
	for (size_t i = 0; i < n; i++)
		if (read[i])
			release_drop_body(rs[i]);
	free(read);
	return rc;
}

int
feed_render_doc(enum feed_kind k, const struct feed_meta *m,
    const struct feed_doc *d, struct release *const *rs, size_t n,
    char **data, size_t *len)
{
	return feed_render_memo(k, m, d, rs, n, NULL, data, len, NULL);
}

int
feed_render(enum feed_kind k, const struct feed_meta *m,
    struct release *const *rs, size_t n, char **data, size_t *len)
{
	struct feed_doc d = { .path = feed_file_name(k) };

	return feed_render_doc(k, m, &d, rs, n, data, len);
}
