/*
 * store: releases in two libxml2 hash tables (by path and by id) and the
 * published-or-embargoed ones (no drafts) in an array sorted newest first.
 * A change moves one release in the array (a binary search and a memmove
 * of pointers), so a publish after one new release costs O(log N) in the
 * store, not a sort of all N; past PENDING_MAX moves between two
 * selections (a full scan, a burst) the array is rebuilt once instead.
 * Each slot keeps the date it was sorted by, so a date changed in place
 * cannot break the order: store_redated() moves the release.
 */
#include "store.h"
#include "xmlstr.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/hash.h>

/* Moves cost a memmove of N pointers each, a rebuild a sort of N. */
#define PENDING_MAX	64

struct store {
	xmlHashTablePtr by_path;
	xmlHashTablePtr by_id;
	/* Every release but drafts, newest first (by sec, then id). */
	struct release **rels;
	int64_t *secs;			/* the date each was sorted by */
	size_t n, cap;
	bool dirty;			/* the array needs a rebuild */
	unsigned pending;		/* moves since the last selection */
	uint64_t gen;			/* store_generation() */
};

/* Unique across the process's stores: a new one is no old one again. */
static uint64_t generations;

struct store *
store_new(void)
{
	struct store *s = xmlMalloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->gen = ++generations;
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
	xmlFree(s->rels);
	xmlFree(s->secs);
	xmlFree(s);
}


/* Whether (sec, id) sorts before slot i: newer, or as new with a lower id. */
static bool
before(const struct store *s, int64_t sec, const char *id, size_t i)
{
	if (sec != s->secs[i])
		return sec > s->secs[i];
	return strcmp(id, s->rels[i]->id) < 0;
}

/* The first slot (sec, id) does not sort after. */
static size_t
slot_of(const struct store *s, int64_t sec, const char *id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (before(s, sec, id, mid))
			hi = mid;
		else if (sec == s->secs[mid] && strcmp(id,
		    s->rels[mid]->id) == 0)
			return mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Whether the array may be moved in: else it is rebuilt at selection. */
static bool
movable(struct store *s)
{
	if (s->dirty)
		return false;
	if (s->pending++ >= PENDING_MAX) {
		s->dirty = true;
		return false;
	}
	return true;
}

static int
reserve(struct store *s, size_t want)
{
	size_t cap = s->cap ? s->cap : 64;
	struct release **a;
	int64_t *b;

	if (want <= s->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	if ((a = xmlRealloc(s->rels, cap * sizeof(*a))) != NULL)
		s->rels = a;
	if ((b = xmlRealloc(s->secs, cap * sizeof(*b))) != NULL)
		s->secs = b;
	if (a == NULL || b == NULL)
		return -1;
	s->cap = cap;
	return 0;
}

/* Take r out of the array, where it was sorted by sec. */
static void
unsort(struct store *s, const struct release *r, int64_t sec)
{
	size_t i;

	if (r->draft || !movable(s))
		return;
	i = slot_of(s, sec, r->id);
	if (i == s->n || s->rels[i] != r) {
		s->dirty = true;	/* not where it should be: rebuild */
		return;
	}
	memmove(s->rels + i, s->rels + i + 1, (s->n - i - 1) *
	    sizeof(*s->rels));
	memmove(s->secs + i, s->secs + i + 1, (s->n - i - 1) *
	    sizeof(*s->secs));
	s->n--;
}

/* Put r into the array at its date. */
static void
sort_in(struct store *s, struct release *r)
{
	size_t i;

	if (r->draft || !movable(s))
		return;
	if (reserve(s, s->n + 1) < 0) {
		s->dirty = true;
		return;
	}
	i = slot_of(s, r->date.sec, r->id);
	memmove(s->rels + i + 1, s->rels + i, (s->n - i) * sizeof(*s->rels));
	memmove(s->secs + i + 1, s->secs + i, (s->n - i) * sizeof(*s->secs));
	s->rels[i] = r;
	s->secs[i] = r->date.sec;
	s->n++;
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
	unsort(s, old, old->date.sec);
	s->gen = ++generations;
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
		unsort(s, old, old->date.sec);
		release_free(old);
	}
	sort_in(s, r);
	s->gen = ++generations;
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
	struct release *r = payload;

	(void)name;
	if (!r->draft)
		s->rels[s->n++] = r;
}

static int
resort(struct store *s)
{
	if (s->dirty) {
		if (reserve(s, store_count(s)) < 0)
			return -1;
		s->n = 0;
		xmlHashScan(s->by_path, collect, s);
		if (s->n > 1)
			qsort(s->rels, s->n, sizeof(*s->rels), newest_first);
		for (size_t i = 0; i < s->n; i++)
			s->secs[i] = s->rels[i]->date.sec;
		s->dirty = false;
	}
	s->pending = 0;
	return 0;
}

/* The first slot dated at or before now: the embargoed lead the array. */
static size_t
first_published(const struct store *s, int64_t now)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->secs[mid] > now)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
store_select(struct store *s, int64_t now, size_t max,
    struct release ***out, size_t *n)
{
	size_t first;

	*out = NULL;
	*n = 0;
	if (resort(s) < 0)
		return -1;
	if (s->n == 0)
		return 0;
	first = first_published(s, now);
	*out = s->rels + first;
	*n = s->n - first < max ? s->n - first : max;
	return 0;
}

int
store_embargoed(struct store *s, int64_t now, struct release ***out,
    size_t *n)
{
	*out = NULL;
	*n = 0;
	if (resort(s) < 0)
		return -1;
	*out = s->rels;
	*n = first_published(s, now);
	return 0;
}

int64_t
store_next_embargo(struct store *s, int64_t now)
{
	size_t first;

	if (resort(s) < 0)
		return INT64_MAX;
	first = first_published(s, now);
	return first > 0 ? s->secs[first - 1] : INT64_MAX;
}

void
store_redated(struct store *s, struct release *r, int64_t was)
{
	s->gen = ++generations;
	if (r->date.sec == was)
		return;
	unsort(s, r, was);
	sort_in(s, r);
}

struct matching {
	bool (*match)(const struct release *, const void *);
	const void *arg;
	struct release **v;
	size_t n;
};

static void
gather(void *payload, void *data, const xmlChar *name)
{
	struct matching *m = data;

	(void)name;
	if (m->match(payload, m->arg))
		m->v[m->n++] = payload;
}

/* Removes releases matching a predicate, gathered first: a safe scan. */
static size_t
remove_if(struct store *s, bool (*match)(const struct release *,
    const void *), const void *arg)
{
	struct matching m = { match, arg, NULL, 0 };

	if ((m.v = xmlMalloc((store_count(s) + 1) * sizeof(*m.v))) == NULL)
		return 0;
	xmlHashScan(s->by_path, gather, &m);
	for (size_t i = 0; i < m.n; i++)
		store_remove(s, m.v[i]->path);
	xmlFree(m.v);
	return m.n;
}

static bool
under(const struct release *r, const void *arg)
{
	const char *prefix = arg;
	size_t n = strlen(prefix);

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
	s->gen = ++generations;
}

uint64_t
store_generation(const struct store *s)
{
	return s->gen;
}
