/*
 * history: see history.h.
 */
#include "history.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "feeds/inherit.h"
#include "log.h"

static bool
same_time(const struct fp_time *a, const struct fp_time *b)
{
	return a->sec == b->sec && a->off == b->off;
}

enum history_result
history_apply(struct state *st, struct release *r, bool save)
{
	struct seen_release was = { .path = r->path },
	    now = { .has_date = r->has_date, .path = r->path };
	unsigned int n = 0;
	bool same;
	int known;

	if (st == NULL)
		return HISTORY_OK;
	if (!EVP_Digest(r->text, strlen(r->text), now.digest, &n,
	    EVP_sha256(), NULL) || n != sizeof(now.digest)) {
		log_errx("%s: cannot digest the release (out of memory)",
		    log_esc(r->path));
		return HISTORY_UNREAD;
	}
	if ((known = state_release_get(st, r->id, &was)) < 0)
		return HISTORY_UNREAD;
	same = known && memcmp(was.digest, now.digest, sizeof(now.digest)) == 0;
	if (known) {
		struct release_past past = { was.published, was.updated,
		    was.has_date };

		release_inherit(r, &past, same);
	}
	now.published = r->date;
	now.updated = r->updated;
	if (known && same && was.same_path && was.has_date == now.has_date &&
	    same_time(&was.published, &now.published) &&
	    same_time(&was.updated, &now.updated))
		return HISTORY_OK;
	if (!save || state_release_put(st, r->id, &now) < 0)
		return HISTORY_UNSAVED;
	return HISTORY_OK;
}
