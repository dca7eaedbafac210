/*
 * subfeed: see subfeed.h. The releases of an axis are grouped by value
 * in rs's order, so each group is its feed, newest first, and then its
 * tombstones; slugs are given per axis afterwards.
 */
#include "subfeed.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "text.h"

static const char *const dirs[SUB_NAXES] = { "tags", "types", "langs" };

const char *
subfeed_dir(enum subfeed_axis a)
{
	return dirs[a];
}

static int
by_slug(const void *a, const void *b)
{
	const struct subfeed *x = a, *y = b;
	int c = strcmp(x->slug, y->slug);

	return c != 0 ? c : strcmp(x->value, y->value);
}

size_t
subfeed_values(const struct feed_meta *m, enum subfeed_axis a,
    const struct release *r, const char **v, size_t cap)
{
	size_t k = 0;

	if (cap == 0)
		return 0;

	switch (a) {
	case SUB_TAG:
		for (size_t i = 0; i < r->ntags && k < cap; i++) {
			size_t j = 0;

			while (j < k && strcmp(v[j], r->tags[i]) != 0)
				j++;
			if (j == k)	/* a tag named twice counts once */
				v[k++] = r->tags[i];
		}
		break;
	case SUB_TYPE:
		if (r->type != NULL && r->type[0] != '\0')
			v[k++] = r->type;
		break;
	default:
		if (r->lang != NULL || m->language != NULL)
			v[k++] = r->lang != NULL ? r->lang : m->language;
		break;
	}
	return k;
}

static bool
axis_on(const struct feed_meta *m, enum subfeed_axis a)
{
	return a == SUB_TAG ? m->tag_feeds : a == SUB_TYPE ? m->type_feeds :
	    m->lang_feeds;
}

/*
 * Within v[0..n) (one axis, sorted by slug then value): a slug two values
 * share stays with the one written as the slug (else the first), each
 * other one is suffixed with its own hash. Returns 0 or -1.
 */
static int
settle_clashes(struct subfeed *v, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1, keep = i;

		while (j < n && strcmp(v[j].slug, v[i].slug) == 0)
			j++;
		for (size_t k = i; k < j && j - i > 1; k++)
			if (strcmp(v[k].value, v[k].slug) == 0)
				keep = k;
		for (size_t k = i; k < j && j - i > 1; k++) {
			char *s;

			v[k].clash = true;
			if (k == keep)
				continue;
			if (asprintf(&s, "%s-%08" PRIx32, v[k].slug,
			    text_hash32(v[k].value)) < 0)
				return -1;
			free(v[k].slug);
			v[k].slug = s;
		}
		i = j;
	}
	qsort(v, n, sizeof(*v), by_slug);
	return 0;
}

/*
 * The values of one axis while its feeds are built: each one's releases
 * (indexes into rs, in rs's order: newest first) and then its tombstones
 * (indexes into tv), found by a hash of the value. One pass counts, one
 * fills: no sort of all (value, release) pairs each publish.
 */
struct group {
	const char *value;	/* borrowed from a release, tombstone or m */
	size_t nr, nt;		/* releases, tombstones */
	size_t *at;		/* nr indexes into rs, then nt into tv */
	size_t fill;
};

struct groups {
	struct group *v;
	size_t n, cap;
	size_t *slot;		/* 1 + index into v; 0: free */
	size_t nslots;		/* a power of two, over twice n */
};

static void
groups_free(struct groups *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].at);
	free(g->v);
	free(g->slot);
}

static size_t *
slot_of(const struct groups *g, const char *value)
{
	size_t i = text_hash32(value) & (g->nslots - 1);

	while (g->slot[i] != 0 && strcmp(g->v[g->slot[i] - 1].value,
	    value) != 0)
		i = (i + 1) & (g->nslots - 1);
	return &g->slot[i];
}

/* value's group, added when new; NULL when out of memory. */
static struct group *
group_of(struct groups *g, const char *value)
{
	size_t *sl;

	if ((g->n + 1) * 2 > g->nslots) {
		size_t old = g->nslots, *was = g->slot;

		g->nslots = old == 0 ? 256 : old * 2;
		if ((g->slot = calloc(g->nslots, sizeof(*g->slot))) == NULL) {
			g->slot = was;
			g->nslots = old;
			return NULL;
		}
		for (size_t i = 0; i < g->n; i++)
			*slot_of(g, g->v[i].value) = i + 1;
		free(was);
	}
	if (*(sl = slot_of(g, value)) != 0)
		return &g->v[*sl - 1];
	if (g->n == g->cap) {
		size_t cap = g->cap * 2 + 16;
		struct group *t = realloc(g->v, cap * sizeof(*t));

		if (t == NULL)
			return NULL;
		g->v = t;
		g->cap = cap;
	}
	g->v[g->n] = (struct group){ .value = value };
	*sl = ++g->n;
	return &g->v[g->n - 1];
}

/*
 * One release or tombstone filed under one value: the walk below counts
 * and notes these, then puts each index in place from the notes alone,
 * without a second look at the releases (scattered in memory: the
 * second walk of 10,000 of them, per axis, was most of a publish's
 * grouping).
 */
struct filing {
	size_t at;		/* index into rs, or into tv */
	size_t group;		/* index into its axis's groups */
	enum subfeed_axis axis;
};

struct filings {
	struct filing *v;
	size_t n, cap;
};

/* File r (index at) under its values of axis a, counted. 0 or -1. */
static int
file_one(const struct feed_meta *m, enum subfeed_axis a,
    const struct release *r, size_t at, bool tomb, struct groups *g,
    struct filings *fs)
{
	const char *v[64];
	size_t k = subfeed_values(m, a, r, v, 64);

	for (size_t j = 0; j < k; j++) {
		struct group *e = group_of(g, v[j]);

		if (e == NULL)
			return -1;
		*(tomb ? &e->nt : &e->nr) += 1;
		if (fs->n == fs->cap) {
			size_t cap = fs->cap * 2 + 1024;
			struct filing *t = realloc(fs->v, cap * sizeof(*t));

			if (t == NULL)
				return -1;
			fs->v = t;
			fs->cap = cap;
		}
		fs->v[fs->n++] = (struct filing){ at, (size_t)(e - g->v), a };
	}
	return 0;
}

/*
 * Every release (each once, for every axis m turns on), then every
 * tombstone, into the groups of its axis: each group's indexes in rs's
 * order, then its tombstones in tv's. Returns 0 or -1.
 */
static int
file_all(const struct feed_meta *m, struct release *const *rs, size_t n,
    const struct tombstone *tv, size_t ntv, struct groups *g)
{
	struct filings fs = { 0 };
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		for (int a = 0; a < SUB_NAXES; a++)
			if (axis_on(m, a) && file_one(m, a, rs[i], i, false,
			    &g[a], &fs) < 0)
				goto out;
	for (size_t i = 0; i < ntv; i++) {
		/* Filed as its release was (subfeed_values()'s one rule). */
		struct release r = { .tags = tv[i].tags, .ntags = tv[i].ntags,
			.type = tv[i].type, .lang = tv[i].lang };

		for (int a = 0; a < SUB_NAXES; a++)
			if (axis_on(m, a) && file_one(m, a, &r, i, true, &g[a],
			    &fs) < 0)
				goto out;
	}
	for (int a = 0; a < SUB_NAXES; a++)
		for (size_t i = 0; i < g[a].n; i++)
			if ((g[a].v[i].at = malloc((g[a].v[i].nr +
			    g[a].v[i].nt + 1) * sizeof(*g[a].v[i].at))) ==
			    NULL)
				goto out;
	for (size_t i = 0; i < fs.n; i++) {
		struct group *e = &g[fs.v[i].axis].v[fs.v[i].group];

		e->at[e->fill++] = fs.v[i].at;
	}
	rc = 0;
out:
	free(fs.v);
	return rc;
}

/* Feed f's tombstones: tv[at[0..k)], ref and when. Returns 0 or -1. */
static int
copy_tombs(struct subfeed *f, const size_t *at, size_t k,
    const struct tombstone *tv)
{
	if (k == 0)
		return 0;
	if ((f->tombs = calloc(k, sizeof(*f->tombs))) == NULL)
		return -1;
	for (size_t i = 0; i < k; i++) {
		const struct tombstone *t = &tv[at[i]];

		f->tombs[i].when = t->when;
		if ((f->tombs[i].ref = strdup(t->ref)) == NULL)
			return -1;
		f->ntombs++;
	}
	return 0;
}

/* Append the feeds of axis a, grouped in g (file_all()), to out. 0 or -1. */
static int
build_axis(const struct feed_meta *m, enum subfeed_axis a,
    struct release *const *rs, const struct tombstone *tv,
    const struct groups *g, struct subfeeds *out)
{
	struct subfeed *t;
	size_t first = out->n;

	if (g->n == 0)
		return 0;	/* no value on this axis */
	if ((t = realloc(out->v, (out->n + g->n) * sizeof(*t))) == NULL)
		return -1;
	out->v = t;
	for (size_t i = 0; i < g->n; i++) {
		const struct group *e = &g->v[i];
		struct subfeed *f = memset(&out->v[out->n++], 0, sizeof(*f));

		f->axis = a;
		f->nall = e->nr;
		f->n = f->nall < m->max_entries ? f->nall : m->max_entries;
		if ((f->value = strdup(e->value)) == NULL ||
		    (f->slug = text_slug(e->value)) == NULL)
			return -1;
		if (asprintf(&f->title, "%s: %s", m->title, e->value) < 0) {
			f->title = NULL;
			return -1;
		}
		if ((f->rs = calloc(f->nall + 1, sizeof(*f->rs))) == NULL)
			return -1;
		for (size_t k = 0; k < f->nall; k++)
			f->rs[k] = rs[e->at[k]];
		if (copy_tombs(f, e->at + e->nr, e->nt, tv) < 0)
			return -1;
	}
	qsort(out->v + first, out->n - first, sizeof(*out->v), by_slug);
	if (settle_clashes(out->v + first, out->n - first) < 0)
		return -1;
	for (size_t i = first; i < out->n; i++)
		if (asprintf(&out->v[i].id_part, "%s/%s", dirs[a],
		    out->v[i].slug) < 0) {
			out->v[i].id_part = NULL;
			return -1;
		}
	return 0;
}

static int
by_axis_value(const void *a, const void *b)
{
	const struct subfeed *x = *(const struct subfeed *const *)a;
	const struct subfeed *y = *(const struct subfeed *const *)b;

	return x->axis != y->axis ? (int)x->axis - (int)y->axis :
	    strcmp(x->value, y->value);
}

int
subfeeds_build(const struct feed_meta *m, struct release *const *rs,
    size_t n, const struct tombstone *tv, size_t ntv, struct subfeeds *out)
{
	struct groups g[SUB_NAXES] = { { 0 } };
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	out->by_value = NULL;
	if (file_all(m, rs, n, tv, ntv, g) < 0)
		rc = -1;
	for (int a = 0; a < SUB_NAXES && rc == 0; a++)
		if (axis_on(m, a) && build_axis(m, a, rs, tv, &g[a], out) < 0)
			rc = -1;
	for (int a = 0; a < SUB_NAXES; a++)
		groups_free(&g[a]);
	if (rc < 0)
		goto fail;
	if (out->n == 0)
		return 0;
	if ((out->by_value = malloc(out->n * sizeof(*out->by_value))) == NULL)
		goto fail;
	for (size_t i = 0; i < out->n; i++)
		out->by_value[i] = &out->v[i];
	qsort(out->by_value, out->n, sizeof(*out->by_value), by_axis_value);
	return 0;
fail:
	subfeeds_free(out);
	return -1;
}

/* ---- a small change ---------------------------------------------------- */

/* rs's index of each release address, for the sub-feeds being redone. */
struct where {
	const struct release **key;
	size_t *at;
	size_t cap;		/* a power of two, over twice the count */
};

static size_t
where_slot(const struct where *w, const struct release *r)
{
	size_t i = (size_t)(((uintptr_t)r >> 4) * 0x9E3779B97F4A7C15ULL) &
	    (w->cap - 1);

	while (w->key[i] != NULL && w->key[i] != r)
		i = (i + 1) & (w->cap - 1);
	return i;
}

static int
where_fill(struct where *w, struct release *const *rs, size_t n)
{
	for (w->cap = 64; w->cap < n * 2 + 2; w->cap *= 2)
		;
	w->key = calloc(w->cap, sizeof(*w->key));
	w->at = malloc(w->cap * sizeof(*w->at));
	if (w->key == NULL || w->at == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t j = where_slot(w, rs[i]);

		w->key[j] = rs[i];
		w->at[j] = i;
	}
	return 0;
}

static bool
is_gone(const struct release *r, const struct release *const *gone,
    size_t ngone)
{
	for (size_t i = 0; i < ngone; i++)
		if (gone[i] == r)
			return true;
	return false;
}

static int
by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * f's releases again: its own still in rs, and rs[add[0..nadd)], in
 * rs's order. 0, 1 (an old one is not in rs: not the set it says), -1.
 */
static int
redo(struct subfeed *f, const struct feed_meta *m, struct release *const *rs,
    const struct where *w, const size_t *add, size_t nadd,
    const struct release *const *gone, size_t ngone)
{
	size_t *at = malloc((f->nall + nadd + 1) * sizeof(*at)), k = 0;
	struct release **v;

	if (at == NULL)
		return -1;
	for (size_t i = 0; i < f->nall; i++) {
		size_t j;

		if (is_gone(f->rs[i], gone, ngone))
			continue;
		if (w->key[j = where_slot(w, f->rs[i])] == NULL) {
			free(at);
			return 1;
		}
		at[k++] = w->at[j];
	}
	for (size_t i = 0; i < nadd; i++)
		at[k++] = add[i];
	qsort(at, k, sizeof(*at), by_index);
	if ((v = realloc(f->rs, (k + 1) * sizeof(*v))) == NULL) {
		free(at);
		return -1;
	}
	for (size_t i = 0; i < k; i++)
		v[i] = rs[at[i]];
	free(at);
	f->rs = v;
	f->nall = k;
	f->n = k < m->max_entries ? k : m->max_entries;
	return 0;
}

/* The new releases of one sub-feed (indexes into rs). */
struct adds {
	size_t *v;
	size_t n;
};

int
subfeeds_update(struct subfeeds *set, const struct feed_meta *m,
    struct release *const *rs, size_t n, const size_t *added,
    size_t nadded, const struct release *const *gone, size_t ngone,
    bool *touched_out)
{
	struct adds *adds = calloc(set->n + 1, sizeof(*adds));
	bool *touched = calloc(set->n + 1, sizeof(*touched));
	struct where w = { 0 };
	int rc = -1;

	if (adds == NULL || touched == NULL)
		goto out;
	/* Each new release into the sub-feeds of its values, all known. */
	for (size_t i = 0; i < nadded; i++) {
		const struct release *r = rs[added[i]];

		for (int a = 0; a < SUB_NAXES; a++) {
			const char *v[64];
			size_t k = axis_on(m, a) ? subfeed_values(m, a, r, v,
			    64) : 0;

			for (size_t j = 0; j < k; j++) {
				const struct subfeed *f = subfeed_find(set, a,
				    v[j]);
				struct adds *d;
				size_t *t;

				if (f == NULL) {
					rc = 1;		/* a new value */
					goto out;
				}
				d = &adds[f - set->v];
				if ((t = realloc(d->v, (d->n + 1) *
				    sizeof(*t))) == NULL)
					goto out;
				d->v = t;
				d->v[d->n++] = added[i];
				touched[f - set->v] = true;
			}
		}
	}
	/* The sub-feeds the releases gone were in. */
	for (size_t i = 0; ngone > 0 && i < set->n; i++)
		for (size_t j = 0; !touched[i] && j < set->v[i].nall; j++)
			touched[i] = is_gone(set->v[i].rs[j], gone, ngone);
	if (where_fill(&w, rs, n) < 0)
		goto out;
	for (size_t i = 0; i < set->n; i++) {
		struct subfeed *f = &set->v[i];

		if (!touched[i])
			continue;
		if ((rc = redo(f, m, rs, &w, adds[i].v, adds[i].n, gone,
		    ngone)) != 0)
			goto out;
		if (f->nall == 0 && f->ntombs == 0) {
			rc = 1;			/* a value gone */
			goto out;
		}
	}
	for (size_t i = 0; touched_out != NULL && i < set->n; i++)
		touched_out[i] = touched_out[i] || touched[i];
	rc = 0;
out:
	for (size_t i = 0; adds != NULL && i < set->n; i++)
		free(adds[i].v);
	free(adds);
	free(touched);
	free(w.key);
	free(w.at);
	return rc;
}

const struct subfeed *
subfeed_find(const struct subfeeds *s, enum subfeed_axis a,
    const char *value)
{
	struct subfeed key = { .axis = a, .value = (char *)value };
	const struct subfeed *kp = &key, *const *hit;

	if (s == NULL || s->n == 0)
		return NULL;
	hit = bsearch(&kp, s->by_value, s->n, sizeof(*s->by_value),
	    by_axis_value);
	return hit != NULL ? *hit : NULL;
}

int
subfeed_archive_dir(const struct subfeed *f, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s/%s/%s", ARCHIVE_DIR,
	    dirs[f->axis], f->slug) < size ? 0 : -1;
}

char *
subfeed_path(const struct subfeed *f, enum feed_kind k)
{
	char *s;

	return asprintf(&s, "%s/%s%s", dirs[f->axis], f->slug,
	    feed_extension(k)) < 0 ? NULL : s;
}

struct feed_doc
subfeed_doc(const struct subfeed *f, const char *path)
{
	return (struct feed_doc){ .path = path, .title = f->title,
		.id_part = f->id_part, .tombs = f->tombs,
		.ntombs = f->ntombs };
}

void
subfeeds_free(struct subfeeds *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].value);
		free(s->v[i].slug);
		free(s->v[i].title);
		free(s->v[i].id_part);
		free(s->v[i].rs);
		for (size_t k = 0; k < s->v[i].ntombs; k++)
			free(s->v[i].tombs[k].ref);
		free(s->v[i].tombs);
	}
	free(s->v);
	free(s->by_value);
	s->v = NULL;
	s->by_value = NULL;
	s->n = 0;
}
