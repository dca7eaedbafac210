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

/* SHA-256 of r's text into out. Returns 0, or -1 (logged). */
static int
digest_of(const struct release *r, unsigned char out[32])
{
	unsigned int n = 0;

	if (!EVP_Digest(r->text, strlen(r->text), out, &n, EVP_sha256(),
	    NULL) || n != 32) {
		log_errx("%s: cannot digest the release (out of memory)",
		    log_esc(r->path));
		return -1;
	}
	return 0;
}

char *
history_renamed_id(struct state *st, const struct release *r,
    const char *def_id, bool (*gone)(void *ud, const char *id,
    const char *path), void *ud)
{
	struct seen_release was = { .path = NULL };
	struct digest_holder v[8];
	unsigned char dg[32];
	char *held, *id = NULL;
	size_t n;

	if (st == NULL || strcmp(r->id, def_id) != 0)
		return NULL;
	if ((held = state_release_held(st, r->path)) != NULL) {
		if (strcmp(held, r->id) != 0 && gone(ud, held, NULL))
			return held;
		free(held);
		return NULL;
	}
	if (state_release_get(st, r->id, &was) != 0 || digest_of(r, dg) < 0)
		return NULL;	/* known (or unreadable): not a rename */
	state_release_by_digest(st, dg, v, sizeof(v) / sizeof(v[0]), &n);
	for (size_t i = 0; i < n && id == NULL; i++)
		if (strcmp(v[i].path, r->path) != 0 &&
		    gone(ud, v[i].id, v[i].path))
			id = strdup(v[i].id);
	state_digest_holders_free(v, n);
	return id;
}

enum history_result
history_apply(struct state *st, struct release *r, bool save)
{
	struct seen_release was = { .path = r->path },
	    now = { .has_date = r->has_date, .path = r->path,
	    .text = r->text };
	bool same;
	int known;

	if (st == NULL)
		return HISTORY_OK;
	if (digest_of(r, now.digest) < 0)
		return HISTORY_UNREAD;
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
	if (known && same && was.same_path && was.has_text &&
	    was.has_date == now.has_date &&
	    same_time(&was.published, &now.published) &&
	    same_time(&was.updated, &now.updated))
		return HISTORY_OK;
	if (!save || state_release_put(st, r->id, &now) < 0)
		return HISTORY_UNSAVED;
	return HISTORY_OK;
}
