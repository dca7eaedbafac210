/*
 * slugmap: see slugmap.h. Two tables of the same entries, by id and by
 * slug, each at most half full; a removal from the slug table shifts the
 * later entries of its run back (Knuth's algorithm R, as pathset.c).
 */
#include "slugmap.h"

#include <stdlib.h>
#include <string.h>

#include "feeds/text.h"

#define MIN_SLOTS	64	/* a power of two */

struct ent {
	const void *r;
	size_t idlen;
	char s[];		/* id NUL slug NUL */
};

struct slugmap {
	struct ent **byid, **byslug;
	size_t nslots;		/* of each; a power of two */
	size_t count;
	uint64_t print;
};

#define SLUG(e)	((e)->s + (e)->idlen + 1)

uint64_t
slugmap_mix(const void *r)
{
	/* splitmix64's finaliser: addresses differ in few bits. */
	uint64_t z = (uint64_t)(uintptr_t)r;

	if (z == 0)
		return 0;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct slugmap *
slugmap_new(void)
{
	struct slugmap *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->byid = calloc(MIN_SLOTS, sizeof(*m->byid));
	m->byslug = calloc(MIN_SLOTS, sizeof(*m->byslug));
	if (m->byid == NULL || m->byslug == NULL) {
		slugmap_free(m);
		return NULL;
	}
	m->nslots = MIN_SLOTS;
	return m;
}

void
slugmap_free(struct slugmap *m)
{
	if (m == NULL)
		return;
	if (m->byid != NULL)
		for (size_t i = 0; i < m->nslots; i++)
			free(m->byid[i]);
	free(m->byid);
	free(m->byslug);
	free(m);
}

size_t
slugmap_count(const struct slugmap *m)
{
	return m->count;
}

/* The slot of id in v, or the empty one where it would go. */
static size_t
find_id(struct ent *const *v, size_t nslots, const char *id)
{
	size_t mask = nslots - 1, i = (size_t)text_hash(id) & mask;

	while (v[i] != NULL && strcmp(v[i]->s, id) != 0)
		i = (i + 1) & mask;
	return i;
}

/* The first empty slot of slug's run in v. */
static size_t
free_slug(struct ent *const *v, size_t nslots, const char *slug)
{
	size_t mask = nslots - 1, i = (size_t)text_hash(slug) & mask;

	while (v[i] != NULL)
		i = (i + 1) & mask;
	return i;
}

static int
grow(struct slugmap *m)
{
	size_t n = m->nslots * 2;
	struct ent **id = calloc(n, sizeof(*id)), **sl = calloc(n,
	    sizeof(*sl));

	if (id == NULL || sl == NULL) {
		free(id);
		free(sl);
		return -1;
	}
	for (size_t i = 0; i < m->nslots; i++) {
		struct ent *e = m->byid[i];

		if (e == NULL)
			continue;
		id[find_id(id, n, e->s)] = e;
		sl[free_slug(sl, n, SLUG(e))] = e;
	}
	free(m->byid);
	free(m->byslug);
	m->byid = id;
	m->byslug = sl;
	m->nslots = n;
	return 0;
}

/* Take e out of the slug table. */
static void
unlink_slug(struct slugmap *m, const struct ent *e)
{
	size_t mask = m->nslots - 1, i = (size_t)text_hash(SLUG(e)) & mask, j;

	while (m->byslug[i] != e)
		i = (i + 1) & mask;
	/* Move back each later entry of the run that may live in slot i. */
	for (j = (i + 1) & mask; m->byslug[j] != NULL; j = (j + 1) & mask) {
		size_t home = (size_t)text_hash(SLUG(m->byslug[j])) & mask;

		/* home cyclically in (i, j]: it stays where it is. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->byslug[i] = m->byslug[j];
		i = j;
	}
	m->byslug[i] = NULL;
}

const char *
slugmap_get(const struct slugmap *m, const char *id, const void **r)
{
	struct ent *e = m->byid[find_id(m->byid, m->nslots, id)];

	if (e == NULL)
		return NULL;
	if (r != NULL)
		*r = e->r;
	return SLUG(e);
}

int
slugmap_set(struct slugmap *m, const char *id, const char *slug,
    const void *r, bool replace)
{
	size_t i = find_id(m->byid, m->nslots, id), idlen, slen;
	struct ent *old = m->byid[i], *e;

	if (old != NULL && (!replace || strcmp(SLUG(old), slug) == 0)) {
		if (replace) {
			m->print += slugmap_mix(r) - slugmap_mix(old->r);
			old->r = r;
		}
		return 0;
	}
	if (old == NULL && (m->count + 1) * 2 > m->nslots) {
		if (grow(m) < 0)
			return -1;
		i = find_id(m->byid, m->nslots, id);
	}
	idlen = strlen(id);
	slen = strlen(slug);
	if ((e = malloc(sizeof(*e) + idlen + slen + 2)) == NULL)
		return -1;
	e->r = r;
	e->idlen = idlen;
	memcpy(e->s, id, idlen + 1);
	memcpy(SLUG(e), slug, slen + 1);
	if (old != NULL) {
		unlink_slug(m, old);
		m->print -= slugmap_mix(old->r);
		free(old);
	} else {
		m->count++;
	}
	m->byid[i] = e;
	m->byslug[free_slug(m->byslug, m->nslots, slug)] = e;
	m->print += slugmap_mix(r);
	return old == NULL ? 1 : 0;
}

bool
slugmap_has_slug(const struct slugmap *m, const char *slug)
{
	size_t mask = m->nslots - 1, i = (size_t)text_hash(slug) & mask;

	for (; m->byslug[i] != NULL; i = (i + 1) & mask)
		if (strcmp(SLUG(m->byslug[i]), slug) == 0)
			return true;
	return false;
}

void
slugmap_foreach(const struct slugmap *m, void (*fn)(const char *id,
    const char *slug, const void *r, void *arg), void *arg)
{
	for (size_t i = 0; i < m->nslots; i++)
		if (m->byid[i] != NULL)
			fn(m->byid[i]->s, SLUG(m->byid[i]), m->byid[i]->r, arg);
}

uint64_t
slugmap_print(const struct slugmap *m)
{
	return m->print;
}
