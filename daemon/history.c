/*
 * history: see history.h.
 */
#include "history.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "feeds/inherit.h"

static bool
same_time(const struct fp_time *a, const struct fp_time *b)
{
	return a->sec == b->sec && a->off == b->off;
}

void
history_apply(struct state *st, struct release *r)
{
	struct seen_release was, now;
	unsigned int n = 0;
	int known;

	if (st == NULL || !EVP_Digest(r->text, strlen(r->text), now.digest,
	    &n, EVP_sha256(), NULL) || n != sizeof(now.digest))
		return;
	if ((known = state_release_get(st, r->id, &was)) < 0)
		return;
	if (known) {
		/* The database does not record whether the date was given. */
		struct release_past past = { was.published, was.updated, false };

		release_inherit(r, &past, memcmp(was.digest, now.digest,
		    sizeof(now.digest)) == 0);
	}
	now.published = r->date;
	now.updated = r->updated;
	if (!known || !same_time(&was.published, &now.published) ||
	    !same_time(&was.updated, &now.updated) ||
	    memcmp(was.digest, now.digest, sizeof(now.digest)) != 0)
		state_release_put(st, r->id, &now);
}
