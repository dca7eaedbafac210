/*
 * store: releases in two libxml2 hash tables (by path and by id) and an
 * array sorted newest first, rebuilt lazily after a change.
 */
#include "store.h"
#include "xmlstr.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/hash.h>

struct store {
	xmlHashTablePtr by_path;
	xmlHashTablePtr by_id;
	struct release **sorted;	/* every release, newest first */
	size_t n, cap;
	bool dirty;			/* sorted needs a rebuild */
	struct release **sel;		/* the last store_select() */
};

struct store *
store_new(void)
{
	struct store *s = xmlMalloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->by_path = xmlHashCreate(256);
	s->by_id = xmlHashCreate(256);
	if (s->by_path == NULL || s->by_id == NULL) {
		store_free(s);
		return NULL;
	}
	return s;
}

static void
free_release(void *payload, const xmlChar *name)
{
	(void)name;
	release_free(payload);
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	xmlHashFree(s->by_id, NULL);
	xmlHashFree(s->by_path, free_release);
	xmlFree(s->sorted);
	xmlFree(s->sel);
	xmlFree(s);
}


struct release *
store_get(struct store *s, const char *path)
{
	return xmlHashLookup(s->by_path, X(path));
}

struct release *
store_get_id(struct store *s, const char *id)
{
	return xmlHashLookup(s->by_id, X(id));
}

size_t
store_count(const struct store *s)
{
	return (size_t)xmlHashSize(s->by_path);
}

struct release *
store_take(struct store *s, const char *path)
{
	struct release *old = store_get(s, path);

	if (old == NULL)
		return NULL;
	xmlHashRemoveEntry(s->by_id, X(old->id), NULL);
	xmlHashRemoveEntry(s->by_path, X(path), NULL);
	s->dirty = true;
	return old;
}

int
store_remove(struct store *s, const char *path)
{
	struct release *old = store_take(s, path);

	if (old == NULL)
		return -1;
	release_free(old);
	return 0;
}

/*
 * The new keys are claimed before anything is let go, and replacing an
 * entry that exists allocates nothing: whatever fails, the store is as it
 * was.
 */
enum store_put_result
store_put(struct store *s, struct release *r, const char **clash)
{
	struct release *other = store_get_id(s, r->id);
	struct release *old = store_get(s, r->path);

	if (other != NULL && other != old) {
		if (clash != NULL)
			*clash = other->path;
		release_free(r);
		return STORE_PUT_CLASH;
	}
	if (other == NULL && xmlHashAddEntry(s->by_id, X(r->id), r) < 0)
		goto nomem;
	if (old == NULL && xmlHashAddEntry(s->by_path, X(r->path), r) < 0) {
		xmlHashRemoveEntry(s->by_id, X(r->id), NULL);
		goto nomem;
	}
	if (old != NULL) {
		xmlHashUpdateEntry(s->by_path, X(r->path), r, NULL);
		if (other == NULL)	/* r's id is new: drop old's */
			xmlHashRemoveEntry(s->by_id, X(old->id), NULL);
		else
			xmlHashUpdateEntry(s->by_id, X(r->id), r, NULL);
		release_free(old);
	}
	s->dirty = true;
	return STORE_PUT_OK;
nomem:
	release_free(r);
	return STORE_PUT_NOMEM;
}

static int
newest_first(const void *a, const void *b)
{
	const struct release *x = *(struct release *const *)a;
	const struct release *y = *(struct release *const *)b;

	if (x->date.sec != y->date.sec)
		return x->date.sec > y->date.sec ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void
collect(void *payload, void *data, const xmlChar *name)
{
	struct store *s = data;

	(void)name;
	s->sorted[s->n++] = payload;
}

static int
resort(struct store *s)
{
	size_t want = store_count(s);

	if (!s->dirty)
		return 0;
	if (want > s->cap) {
		struct release **a = xmlRealloc(s->sorted, want * sizeof(*a));
		struct release **b = xmlRealloc(s->sel, want * sizeof(*b));

		if (a != NULL)
			s->sorted = a;
		if (b != NULL)
			s->sel = b;
		if (a == NULL || b == NULL)
			return -1;
		s->cap = want;
	}
	s->n = 0;
	xmlHashScan(s->by_path, collect, s);
	qsort(s->sorted, s->n, sizeof(*s->sorted), newest_first);
	s->dirty = false;
	return 0;
}

int
store_select(struct store *s, int64_t now, size_t max,
    struct release ***out, size_t *n)
{
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (resort(s) < 0)
		return -1;
	for (size_t i = 0; i < s->n && k < max; i++) {
		struct release *r = s->sorted[i];

		if (!r->draft && r->date.sec <= now)
			s->sel[k++] = r;
	}
	*out = s->sel;
	*n = k;
	return 0;
}

int64_t
store_next_embargo(struct store *s, int64_t now)
{
	int64_t next = INT64_MAX;

	if (resort(s) < 0)
		return next;
	/* Newest first: the embargoed ones lead the array. */
	for (size_t i = 0; i < s->n && s->sorted[i]->date.sec > now; i++)
		if (!s->sorted[i]->draft)
			next = s->sorted[i]->date.sec;
	return next;
}

/* Removes releases matching a predicate; the array makes the scan safe. */
static size_t
remove_if(struct store *s, bool (*match)(const struct store *,
    const struct release *, const void *), const void *arg)
{
	size_t removed = 0;

	if (resort(s) < 0)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		if (match(s, s->sorted[i], arg)) {
			store_remove(s, s->sorted[i]->path);
			removed++;
		}
	}
	return removed;
}

static bool
under(const struct store *s, const struct release *r, const void *arg)
{
	const char *prefix = arg;
	size_t n = strlen(prefix);

	(void)s;
	return strncmp(r->path, prefix, n) == 0 && r->path[n] == '/';
}

size_t
store_remove_under(struct store *s, const char *prefix)
{
	return remove_if(s, under, prefix);
}


struct each {
	void (*fn)(struct release *, void *);
	void *ud;
};

static void
each_one(void *payload, void *data, const xmlChar *name)
{
	struct each *e = data;

	(void)name;
	e->fn(payload, e->ud);
}

void
store_foreach(struct store *s, void (*fn)(struct release *r, void *ud),
    void *ud)
{
	struct each e = { fn, ud };

	xmlHashScan(s->by_path, each_one, &e);
}

void
store_touch(struct store *s)
{
	s->dirty = true;
}
