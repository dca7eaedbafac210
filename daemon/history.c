/*
 * history: see history.h.
 */
#include "history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/inherit.h"
#include "log.h"

static bool
same_time(const struct fp_time *a, const struct fp_time *b)
{
	return a->sec == b->sec && a->off == b->off;
}

/* history_renamed_id() past its look-up: held as it gave (owned). */
static char *
renamed(struct state *st, const struct release *r, char *held,
    bool (*gone)(void *ud, const char *id, const char *path), void *ud)
{
	struct seen_release was = { .path = NULL };
	struct digest_holder v[8];
	char *id = NULL;
	size_t n;

	if (held != NULL) {
		if (strcmp(held, r->id) != 0 && gone(ud, held, NULL))
			return held;
		free(held);
		return NULL;
	}
	if (state_release_get(st, r->id, &was) != 0)
		return NULL;	/* known (or unreadable): not a rename */
	state_release_by_digest(st, r->digest, v, sizeof(v) / sizeof(v[0]), &n);
	for (size_t i = 0; i < n && id == NULL; i++)
		if (strcmp(v[i].path, r->path) != 0 &&
		    gone(ud, v[i].id, v[i].path))
			id = strdup(v[i].id);
	state_digest_holders_free(v, n);
	return id;
}

char *
history_renamed_id(struct state *st, const struct release *r,
    const char *def_id, bool (*gone)(void *ud, const char *id,
    const char *path), void *ud)
{
	if (st == NULL || strcmp(r->id, def_id) != 0)
		return NULL;
	return renamed(st, r, state_release_held(st, r->path), gone, ud);
}

char *
history_renamed_held(struct state *st, const struct release *r,
    const char *def_id, const char *held, bool (*gone)(void *ud,
    const char *id, const char *path), void *ud)
{
	char *copy = NULL;

	if (st == NULL || strcmp(r->id, def_id) != 0)
		return NULL;
	if (held != NULL && (copy = strdup(held)) == NULL)
		return NULL;	/* as state_release_held() out of memory */
	return renamed(st, r, copy, gone, ud);
}

/* history_apply() past its look-up: was (NULL: id unknown). */
static enum history_result
apply(struct state *st, struct release *r, const struct feed_meta *m,
    bool save, const struct seen_release *was, bool same_path)
{
	struct seen_release now = { .has_date = r->has_date, .path = r->path };
	enum history_result res = HISTORY_OK;
	char *text = NULL;
	bool same;

	memcpy(now.digest, r->digest, sizeof(now.digest));
	same = was != NULL &&
	    memcmp(was->digest, now.digest, sizeof(now.digest)) == 0;
	if (was != NULL) {
		struct release_past past = { was->published, was->updated,
		    was->has_date };

		release_inherit(r, &past, same);
	}
	now.published = r->date;
	now.updated = r->updated;
	if (was != NULL && same && same_path && was->has_text &&
	    was->has_date == now.has_date &&
	    same_time(&was->published, &now.published) &&
	    same_time(&was->updated, &now.updated))
		return HISTORY_OK;
	if (!save)
		return HISTORY_UNSAVED;
	/*
	 * The text is read again (the store keeps none). A file changed
	 * since it was parsed is read again anyway, and saved then: the
	 * row keeps its last good text till that.
	 */
	if (release_read_text(r, m, &text, NULL) < 0)
		return HISTORY_OK;
	now.text = text;
	if (state_release_put(st, r->id, &now) < 0)
		res = HISTORY_UNSAVED;
	free(text);
	return res;
}

enum history_result
history_apply(struct state *st, struct release *r,
    const struct feed_meta *m, bool save)
{
	struct seen_release was = { .path = r->path };
	int known;

	if (st == NULL)
		return HISTORY_OK;
	if ((known = state_release_get(st, r->id, &was)) < 0)
		return HISTORY_UNREAD;
	return apply(st, r, m, save, known ? &was : NULL, was.same_path);
}

enum history_result
history_apply_seen(struct state *st, struct release *r,
    const struct feed_meta *m, bool save, const struct seen_release *was)
{
	if (st == NULL)
		return HISTORY_OK;
	return apply(st, r, m, save, was, was != NULL && was->path != NULL &&
	    strcmp(was->path, r->path) == 0);
}
