/*
 * store: releases in two open-addressing hash tables (by path and by id)
 * and the published-or-embargoed ones (no drafts) in an array sorted
 * newest first. The tables hold pointers only: a key is the release's own
 * path or id, never a copy (12 bytes a slot, at most 70% full, where
 * libxml2's tables copied both keys: ~250 bytes a release). Linear
 * probing, deletion by shifting the run back, no tombstones.
 * A change moves one release in the array (a binary search and a memmove
 * of pointers), so a publish after one new release costs O(log N) in the
 * store, not a sort of all N. Past PENDING_MAX moves between two
 * selections (a burst) a release leaving leaves a hole and one coming is
 * set aside; the next selection closes the holes and merges the sorted
 * newcomers in: O(N + k log k) for k changes, not a sort of all N.
 * Each slot keeps the date it was sorted by, so a date changed in place
 * cannot break the order: store_redated() moves the release.
 */
#include "store.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>

/* Moves cost a memmove of N pointers each, a merge a pass over N. */
#define PENDING_MAX	64
/* A hole is found by its date, then its pointer among those as old. */
#define RUN_MAX		4096

/*
 * A table of releases keyed by their path or their id (by_id). Each slot
 * keeps its key's hash (32 bits): probing and growing compare and move
 * those, reading a release only when its hash matches.
 */
struct table {
	struct release **slot;		/* cap of them, NULL: free */
	uint32_t *hash;			/* of each slot's key */
	size_t cap;			/* 0 or a power of two (< 2^32) */
	size_t n;
	bool by_id;
};

struct store {
	struct table by_path;
	struct table by_id;
	/* Every release but drafts, newest first (by sec, then id). */
	struct release **rels;
	int64_t *secs;			/* the date each was sorted by */
	size_t n, cap;
	bool dirty;			/* the array needs a rebuild */
	unsigned pending;		/* moves since the last selection */
	size_t holes;			/* NULL slots in rels (secs kept) */
	struct release **add;		/* set aside, to merge in: nadd */
	size_t nadd, capadd;
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
	s->by_id.by_id = true;
	return s;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->by_path.cap; i++)
		release_free(s->by_path.slot[i]);
	xmlFree(s->by_path.slot);
	xmlFree(s->by_path.hash);
	xmlFree(s->by_id.slot);
	xmlFree(s->by_id.hash);
	xmlFree(s->rels);
	xmlFree(s->secs);
	xmlFree(s->add);
	xmlFree(s);
}

/* ---- the tables ------------------------------------------------------- */

static const char *
key_of(const struct table *t, const struct release *r)
{
	return t->by_id ? r->id : r->path;
}

/* FNV-1a, its bits mixed (murmur3's finaliser): low bits pick the slot. */
static uint32_t
hash(const char *k)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 0x100000001b3u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* The slot holding key (of hash h), or the free slot where it would go. */
static size_t
probe(const struct table *t, const char *key, uint32_t h)
{
	size_t mask = t->cap - 1, i = h & mask;

	while (t->slot[i] != NULL && (t->hash[i] != h ||
	    strcmp(key_of(t, t->slot[i]), key) != 0))
		i = (i + 1) & mask;
	return i;
}

static struct release *
find(const struct table *t, const char *key)
{
	return t->cap == 0 ? NULL : t->slot[probe(t, key, hash(key))];
}

/* Room for one more (at most 70% full). Returns 0, or -1: no memory. */
static int
room(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, mask = cap - 1;
	struct release **v;
	uint32_t *h;

	if ((t->n + 1) * 10 <= t->cap * 7)
		return 0;
	if (cap > UINT32_MAX || (v = xmlMalloc(cap * sizeof(*v))) == NULL)
		return -1;
	if ((h = xmlMalloc(cap * sizeof(*h))) == NULL) {
		xmlFree(v);
		return -1;
	}
	memset(v, 0, cap * sizeof(*v));
	/* Keys are unique: each goes to the first free slot from home. */
	for (size_t i = 0; i < t->cap; i++) {
		size_t k;

		if (t->slot[i] == NULL)
			continue;
		for (k = t->hash[i] & mask; v[k] != NULL; k = (k + 1) & mask)
			;
		v[k] = t->slot[i];
		h[k] = t->hash[i];
	}
	xmlFree(t->slot);
	xmlFree(t->hash);
	t->slot = v;
	t->hash = h;
	t->cap = cap;
	return 0;
}

/* Add r, whose key is not in t yet, after room(). */
static void
insert(struct table *t, struct release *r)
{
	uint32_t h = hash(key_of(t, r));
	size_t i = probe(t, key_of(t, r), h);

	t->slot[i] = r;
	t->hash[i] = h;
	t->n++;
}

/* Put r in place of the release with its key (there is one). */
static void
replace(struct table *t, struct release *r)
{
	t->slot[probe(t, key_of(t, r), hash(key_of(t, r)))] = r;
}

/*
 * Remove the release with key, if any: the entries after it in its run
 * move back into the hole unless that would put them before their home.
 */
static void
delete(struct table *t, const char *key)
{
	size_t mask = t->cap - 1, i, j;

	if (t->cap == 0 || t->slot[i = probe(t, key, hash(key))] == NULL)
		return;
	t->slot[i] = NULL;
	t->n--;
	for (j = (i + 1) & mask; t->slot[j] != NULL; j = (j + 1) & mask) {
		size_t home = t->hash[j] & mask;

		/* j may stay if home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slot[i] = t->slot[j];
		t->hash[i] = t->hash[j];
		t->slot[j] = NULL;
		i = j;
	}
}

/* ---- the sorted array ------------------------------------------------- */

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

/* Whether the array may be moved in now: else holes and set aside. */
static bool
movable(struct store *s)
{
	return s->holes == 0 && s->nadd == 0 && s->pending++ < PENDING_MAX;
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

/* The slot of r, sorted by sec, or s->n: looked for among those as old. */
static size_t
find_slot(const struct store *s, const struct release *r, int64_t sec)
{
	size_t lo = first_published(s, sec);

	for (size_t i = lo; i < s->n && i < lo + RUN_MAX; i++) {
		if (s->secs[i] != sec)
			break;
		if (s->rels[i] == r)
			return i;
	}
	return s->n;
}

/* Take r out of the array, where it was sorted by sec. */
static void
unsort(struct store *s, const struct release *r, int64_t sec)
{
	size_t i;

	if (r->draft || s->dirty)
		return;
	if (movable(s)) {
		i = slot_of(s, sec, r->id);
		if (i == s->n || s->rels[i] != r) {
			s->dirty = true;	/* not where it should be */
			return;
		}
		memmove(s->rels + i, s->rels + i + 1, (s->n - i - 1) *
		    sizeof(*s->rels));
		memmove(s->secs + i, s->secs + i + 1, (s->n - i - 1) *
		    sizeof(*s->secs));
		s->n--;
		return;
	}
	if ((i = find_slot(s, r, sec)) < s->n) {
		s->rels[i] = NULL;
		s->holes++;
		return;
	}
	for (size_t j = s->nadd; j-- > 0;)
		if (s->add[j] == r) {
			s->add[j] = s->add[--s->nadd];
			return;
		}
	s->dirty = true;
}

/* Put r into the array at its date. */
static void
sort_in(struct store *s, struct release *r)
{
	size_t i;

	if (r->draft || s->dirty)
		return;
	if (!movable(s)) {
		if (s->nadd == s->capadd) {
			size_t cap = s->capadd ? 2 * s->capadd : 64;
			struct release **a = xmlRealloc(s->add,
			    cap * sizeof(*a));

			if (a == NULL) {
				s->dirty = true;
				return;
			}
			s->add = a;
			s->capadd = cap;
		}
		s->add[s->nadd++] = r;
		return;
	}
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
	return find(&s->by_path, path);
}

struct release *
store_get_id(struct store *s, const char *id)
{
	return find(&s->by_id, id);
}

size_t
store_count(const struct store *s)
{
	return s->by_path.n;
}

struct release *
store_take(struct store *s, const char *path)
{
	struct release *old = store_get(s, path);

	if (old == NULL)
		return NULL;
	delete(&s->by_id, old->id);
	delete(&s->by_path, old->path);
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
 * Room for the new keys is made before anything changes, and nothing after
 * that can fail: whatever fails, the store is as it was.
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
	if ((other == NULL && room(&s->by_id) < 0) ||
	    (old == NULL && room(&s->by_path) < 0))
		goto nomem;
	if (old != NULL) {
		replace(&s->by_path, r);
		if (other == NULL)	/* r's id is new: drop old's */
			delete(&s->by_id, old->id);
		unsort(s, old, old->date.sec);
	} else {
		insert(&s->by_path, r);
	}
	if (other == NULL)
		insert(&s->by_id, r);
	else
		replace(&s->by_id, r);
	release_free(old);
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

/* Close the holes, then merge the set-aside releases in (sorted first). */
static int
merge_in(struct store *s)
{
	size_t j = 0, i, k = s->nadd, w;

	if (s->holes == 0 && k == 0)
		return 0;	/* a selection stays O(log N) */
	for (i = 0; i < s->n; i++)
		if (s->rels[i] != NULL) {
			s->rels[j] = s->rels[i];
			s->secs[j++] = s->secs[i];
		}
	s->n = j;
	s->holes = 0;
	if (k == 0)
		return 0;
	if (reserve(s, s->n + k) < 0)
		return -1;
	if (k > 1)
		qsort(s->add, k, sizeof(*s->add), newest_first);
	/* From the back: the array's tail is free. */
	for (i = s->n, w = s->n + k; k > 0; w--) {
		struct release *a = s->add[k - 1];

		if (i > 0 && before(s, a->date.sec, a->id, i - 1)) {
			s->rels[w - 1] = s->rels[i - 1];
			s->secs[w - 1] = s->secs[i - 1];
			i--;
		} else {
			s->rels[w - 1] = a;
			s->secs[w - 1] = a->date.sec;
			k--;
		}
	}
	s->n += s->nadd;
	s->nadd = 0;
	return 0;
}

static int
resort(struct store *s)
{
	if (!s->dirty && merge_in(s) < 0)
		s->dirty = true;
	if (s->dirty) {
		s->holes = 0;
		s->nadd = 0;
		if (reserve(s, store_count(s)) < 0)
			return -1;
		s->n = 0;
		for (size_t i = 0; i < s->by_path.cap; i++) {
			struct release *r = s->by_path.slot[i];

			if (r != NULL && !r->draft)
				s->rels[s->n++] = r;
		}
		if (s->n > 1)
			qsort(s->rels, s->n, sizeof(*s->rels), newest_first);
		for (size_t i = 0; i < s->n; i++)
			s->secs[i] = s->rels[i]->date.sec;
		s->dirty = false;
	}
	s->pending = 0;
	return 0;
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

/* Removes releases matching a predicate, gathered first: a safe scan. */
static size_t
remove_if(struct store *s, bool (*match)(const struct release *,
    const void *), const void *arg)
{
	struct release **v;
	size_t n = 0;

	if ((v = xmlMalloc((store_count(s) + 1) * sizeof(*v))) == NULL)
		return 0;
	for (size_t i = 0; i < s->by_path.cap; i++)
		if (s->by_path.slot[i] != NULL && match(s->by_path.slot[i], arg))
			v[n++] = s->by_path.slot[i];
	for (size_t i = 0; i < n; i++)
		store_remove(s, v[i]->path);
	xmlFree(v);
	return n;
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


void
store_foreach(struct store *s, void (*fn)(struct release *r, void *ud),
    void *ud)
{
	for (size_t i = 0; i < s->by_path.cap; i++)
		if (s->by_path.slot[i] != NULL)
			fn(s->by_path.slot[i], ud);
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
