/*
 * pathset: see pathset.h. Open addressing with linear probing, at most
 * half full; a removal shifts the entries after it back (Knuth's
 * algorithm R), so there are no tombstones to skip or to clean up.
 */
#include "pathset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/text.h"

#define MIN_SLOTS	64	/* a power of two */

struct slot {
	char *path;		/* NULL: empty */
	uint64_t hash;
};

struct pathset {
	struct slot *slots;
	size_t nslots;		/* a power of two */
	size_t count;
};

struct pathset *
pathset_new(void)
{
	struct pathset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if ((s->slots = calloc(MIN_SLOTS, sizeof(*s->slots))) == NULL) {
		free(s);
		return NULL;
	}
	s->nslots = MIN_SLOTS;
	return s;
}

void
pathset_clear(struct pathset *s)
{
	for (size_t i = 0; i < s->nslots; i++) {
		free(s->slots[i].path);
		s->slots[i].path = NULL;
	}
	s->count = 0;
}

void
pathset_free(struct pathset *s)
{
	if (s == NULL)
		return;
	pathset_clear(s);
	free(s->slots);
	free(s);
}

/* The slot holding path, or the empty one where it would go. */
static size_t
find(const struct pathset *s, const char *path, uint64_t h)
{
	size_t mask = s->nslots - 1, i = (size_t)h & mask;

	while (s->slots[i].path != NULL && (s->slots[i].hash != h ||
	    strcmp(s->slots[i].path, path) != 0))
		i = (i + 1) & mask;
	return i;
}

static int
grow(struct pathset *s)
{
	size_t n = s->nslots * 2;
	struct slot *old = s->slots, *v = calloc(n, sizeof(*v));

	if (v == NULL)
		return -1;
	s->slots = v;
	s->nslots = n;
	for (size_t i = 0; i < n / 2; i++)
		if (old[i].path != NULL)
			v[find(s, old[i].path, old[i].hash)] = old[i];
	free(old);
	return 0;
}

int
pathset_add(struct pathset *s, const char *path)
{
	uint64_t h = text_hash(path);
	size_t i = find(s, path, h);

	if (s->slots[i].path != NULL)
		return 0;
	if ((s->count + 1) * 2 > s->nslots) {
		if (grow(s) < 0)
			return -1;
		i = find(s, path, h);
	}
	if ((s->slots[i].path = strdup(path)) == NULL)
		return -1;
	s->slots[i].hash = h;
	s->count++;
	return 0;
}

bool
pathset_has(const struct pathset *s, const char *path)
{
	return s->slots[find(s, path, text_hash(path))].path != NULL;
}

bool
pathset_remove(struct pathset *s, const char *path)
{
	size_t mask = s->nslots - 1, i = find(s, path, text_hash(path)), j;

	if (s->slots[i].path == NULL)
		return false;
	free(s->slots[i].path);
	/* Move back each later entry of the run that may live in slot i. */
	for (j = (i + 1) & mask; s->slots[j].path != NULL; j = (j + 1) & mask) {
		size_t home = (size_t)s->slots[j].hash & mask;

		/* home cyclically in (i, j]: it stays where it is. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		s->slots[i] = s->slots[j];
		i = j;
	}
	s->slots[i].path = NULL;
	s->count--;
	return true;
}

size_t
pathset_count(const struct pathset *s)
{
	return s->count;
}

static int
by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
pathset_sorted(const struct pathset *s, size_t *n)
{
	char **v = calloc(s->count + 1, sizeof(*v));
	size_t k = 0;

	*n = 0;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i].path == NULL)
			continue;
		if ((v[k] = strdup(s->slots[i].path)) == NULL) {
			pathset_sorted_free(v, k);
			return NULL;
		}
		k++;
	}
	qsort(v, k, sizeof(*v), by_bytes);
	*n = k;
	return v;
}

char **
pathset_take(struct pathset *s, size_t *n)
{
	char **v = malloc((s->count + 1) * sizeof(*v));
	size_t k = 0;

	*n = 0;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i].path != NULL) {
			v[k++] = s->slots[i].path;
			s->slots[i].path = NULL;
		}
	s->count = 0;
	*n = k;
	return v;
}

#define RUN	32	/* sorted by insertion first */

int
pathsort_init(struct pathsort *ps, char **v, size_t n)
{
	*ps = (struct pathsort){ .v = v, .n = n, .width = 0 };
	if ((ps->tmp = malloc((n + 1) * sizeof(*ps->tmp))) == NULL)
		return -1;
	return 0;
}

/* v[lo..hi) by insertion: short runs, few comparisons. */
static void
insertion(char **v, size_t lo, size_t hi)
{
	for (size_t i = lo + 1; i < hi; i++) {
		char *x = v[i];
		size_t j = i;

		for (; j > lo && strcmp(v[j - 1], x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* The runs v[lo..mid) and v[mid..hi), sorted, into out[lo..hi). */
static void
merge(char *const *v, char **out, size_t lo, size_t mid, size_t hi)
{
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi)
		out[k++] = strcmp(v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		out[k++] = v[i++];
	while (j < hi)
		out[k++] = v[j++];
}

bool
pathsort_step(struct pathsort *ps, size_t max)
{
	size_t done = 0;

	while (done < max) {
		size_t hi;

		if (ps->width == 0) {
			/* First pass: runs of RUN, in place. */
			if (ps->lo >= ps->n) {
				ps->width = RUN;
				ps->lo = 0;
				continue;
			}
			hi = ps->lo + RUN < ps->n ? ps->lo + RUN : ps->n;
			insertion(ps->v, ps->lo, hi);
		} else {
			size_t mid;
			char **t;

			if (ps->width >= ps->n)
				return true;
			if (ps->lo >= ps->n) {
				/* A pass is over: its output is the input. */
				t = ps->v;
				ps->v = ps->tmp;
				ps->tmp = t;
				ps->width *= 2;
				ps->lo = 0;
				continue;
			}
			mid = ps->lo + ps->width < ps->n ? ps->lo + ps->width :
			    ps->n;
			hi = mid + ps->width < ps->n ? mid + ps->width : ps->n;
			merge(ps->v, ps->tmp, ps->lo, mid, hi);
		}
		done += hi - ps->lo;
		ps->lo = hi;
	}
	return false;
}

void
pathsort_finish(struct pathsort *ps)
{
	free(ps->tmp);
	ps->tmp = NULL;
}

void
pathset_sorted_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
