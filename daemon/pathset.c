/*
 * pathset: see pathset.h. Open addressing with linear probing, at most
 * half full; a removal shifts the entries after it back (Knuth's
 * algorithm R), so there are no tombstones to skip or to clean up.
 */
#include "pathset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* FNV-1a: paths are short and this is no defence against chosen names. */
static uint64_t
hash_of(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

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
	uint64_t h = hash_of(path);
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
	return s->slots[find(s, path, hash_of(path))].path != NULL;
}

bool
pathset_remove(struct pathset *s, const char *path)
{
	size_t mask = s->nslots - 1, i = find(s, path, hash_of(path)), j;

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

void
pathset_sorted_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
