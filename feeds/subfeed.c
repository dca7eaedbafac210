/*
 * subfeed: see subfeed.h. Every (value, release) pair of an axis is sorted
 * by value and then by the release's place in rs, so each run of one
 * value is its feed, newest first; slugs are given per axis afterwards.
 * A tombstone's pairs sort after every release (its place counts on from
 * n), so a run is the feed's releases and then its tombstones.
 */
#include "subfeed.h"

#include <inttypes.h>
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

struct pair {
	const char *value;	/* borrowed from the release, tombstone or m */
	size_t at;		/* index in rs; n + index in tv */
};

static int
by_value(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->value, y->value);

	return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
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

/* Append the pairs of axis a of r (at) to *ps. Returns 0 or -1. */
static int
add_pairs(const struct feed_meta *m, enum subfeed_axis a,
    const struct release *r, size_t at, struct pair **ps, size_t *np,
    size_t *cap)
{
	const char *v[64];
	size_t k = subfeed_values(m, a, r, v, 64);

	if (*np + k > *cap) {
		struct pair *t;

		*cap = (*np + k) * 2 + 16;
		if ((t = realloc(*ps, *cap * sizeof(**ps))) == NULL)
			return -1;
		*ps = t;
	}
	for (size_t j = 0; j < k; j++)
		(*ps)[(*np)++] = (struct pair){ v[j], at };
	return 0;
}

/*
 * Feed f's tombstones: those of ps[0..k) (tv[at - n]), ref and when.
 * Returns 0 or -1.
 */
static int
copy_tombs(struct subfeed *f, const struct pair *ps, size_t k, size_t n,
    const struct tombstone *tv)
{
	if (k == 0)
		return 0;
	if ((f->tombs = calloc(k, sizeof(*f->tombs))) == NULL)
		return -1;
	for (size_t i = 0; i < k; i++) {
		const struct tombstone *t = &tv[ps[i].at - n];

		f->tombs[i].when = t->when;
		if ((f->tombs[i].ref = strdup(t->ref)) == NULL)
			return -1;
		f->ntombs++;
	}
	return 0;
}

/* Append the feeds of axis a to out. Returns 0 or -1. */
static int
build_axis(const struct feed_meta *m, enum subfeed_axis a,
    struct release *const *rs, size_t n, const struct tombstone *tv,
    size_t ntv, struct subfeeds *out)
{
	struct pair *ps = NULL;
	size_t np = 0, cap = 0, first = out->n;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		if (add_pairs(m, a, rs[i], i, &ps, &np, &cap) < 0)
			goto out;
	for (size_t i = 0; i < ntv; i++) {
		/* Filed as its release was (subfeed_values()'s one rule). */
		struct release r = { .tags = tv[i].tags, .ntags = tv[i].ntags,
			.type = tv[i].type, .lang = tv[i].lang };

		if (add_pairs(m, a, &r, n + i, &ps, &np, &cap) < 0)
			goto out;
	}
	if (np == 0)
		return 0;
	qsort(ps, np, sizeof(*ps), by_value);
	for (size_t i = 0; i < np;) {
		size_t j = i, live;
		struct subfeed *f, *t;

		while (j < np && strcmp(ps[j].value, ps[i].value) == 0)
			j++;
		for (live = i; live < j && ps[live].at < n; live++)
			;
		if ((t = realloc(out->v, (out->n + 1) * sizeof(*t))) == NULL)
			goto out;
		out->v = t;
		f = memset(&out->v[out->n++], 0, sizeof(*f));
		f->axis = a;
		f->nall = live - i;
		f->n = f->nall < m->max_entries ? f->nall : m->max_entries;
		if ((f->value = strdup(ps[i].value)) == NULL ||
		    (f->slug = text_slug(ps[i].value)) == NULL)
			goto out;
		if (asprintf(&f->title, "%s: %s", m->title, ps[i].value) < 0) {
			f->title = NULL;
			goto out;
		}
		if ((f->rs = calloc(f->nall + 1, sizeof(*f->rs))) == NULL)
			goto out;
		for (size_t k = 0; k < f->nall; k++)
			f->rs[k] = rs[ps[i + k].at];
		if (copy_tombs(f, ps + live, j - live, n, tv) < 0)
			goto out;
		i = j;
	}
	qsort(out->v + first, out->n - first, sizeof(*out->v), by_slug);
	if (settle_clashes(out->v + first, out->n - first) < 0)
		goto out;
	for (size_t i = first; i < out->n; i++)
		if (asprintf(&out->v[i].id_part, "%s/%s", dirs[a],
		    out->v[i].slug) < 0) {
			out->v[i].id_part = NULL;
			goto out;
		}
	rc = 0;
out:
	free(ps);
	return rc;
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
	out->v = NULL;
	out->n = 0;
	out->by_value = NULL;
	for (int a = 0; a < SUB_NAXES; a++)
		if (axis_on(m, a) && build_axis(m, a, rs, n, tv, ntv, out) < 0)
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
