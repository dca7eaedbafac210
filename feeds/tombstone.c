/*
 * tombstone: see tombstone.h. Sets of ids are arrays sorted by ref.
 */
#include "tombstone.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int
by_ref(const void *a, const void *b)
{
	return strcmp(((const struct tombstone *)a)->ref,
	    ((const struct tombstone *)b)->ref);
}

static int
newest_first(const void *a, const void *b)
{
	const struct tombstone *x = a, *y = b;

	if (x->when != y->when)
		return x->when > y->when ? -1 : 1;
	return strcmp(x->ref, y->ref);
}

static bool
in(const struct tombstone *v, size_t n, const char *ref)
{
	struct tombstone key = { .ref = (char *)ref };

	return n > 0 && bsearch(&key, v, n, sizeof(*v), by_ref) != NULL;
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* dst = a copy of src's ref and slug at when. Returns 0, or -1 (ENOMEM). */
static int
copy(struct tombstone *dst, const char *ref, const char *slug, int64_t when)
{
	dst->when = when;
	dst->ref = strdup(ref);
	dst->slug = slug != NULL ? strdup(slug) : NULL;
	return dst->ref != NULL && (slug == NULL || dst->slug != NULL) ? 0 :
	    -1;
}

static void
stones_free(struct tombstone *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ref);
		free(v[i].slug);
	}
	free(v);
}

int
tombs_update(struct tombs *t, struct release *const *rs, size_t n,
    int64_t now, int64_t keep, bool *changed)
{
	struct tombstone *cur = calloc(n + 1, sizeof(*cur));
	struct tombstone *v = NULL;
	size_t nv = 0, nc = 0;

	*changed = false;
	if (cur == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (copy(&cur[nc++], rs[i]->id, rs[i]->slug, 0) < 0)
			goto fail;
	qsort(cur, nc, sizeof(*cur), by_ref);
	if ((v = calloc(t->n + t->nseen + 1, sizeof(*v))) == NULL)
		goto fail;
	/* Those that stay: not back, not too old. */
	for (size_t i = 0; i < t->n; i++) {
		if (in(cur, nc, t->v[i].ref) || now - t->v[i].when > keep) {
			*changed = true;
			continue;
		}
		if (copy(&v[nv++], t->v[i].ref, t->v[i].slug, t->v[i].when) < 0)
			goto fail;
	}
	/* Those that went since. */
	for (size_t i = 0; t->known && i < t->nseen; i++) {
		if (in(cur, nc, t->seen[i].ref))
			continue;
		if (copy(&v[nv++], t->seen[i].ref, t->seen[i].slug, now) < 0)
			goto fail;
	}
	qsort(v, nv, sizeof(*v), newest_first);
	/* A tombstone for an id twice (went, came back, went): the newest. */
	for (size_t i = 0; i < nv; i++)
		for (size_t j = i + 1; j < nv; j++)
			if (v[j].ref != NULL && strcmp(v[i].ref, v[j].ref) == 0) {
				free(v[j].ref);
				free(v[j].slug);
				v[j].ref = v[j].slug = NULL;
			}
	{
		size_t k = 0;

		for (size_t i = 0; i < nv; i++)
			if (v[i].ref != NULL)
				v[k++] = v[i];
		nv = k;
	}
	*changed = *changed || !t->known || nc != t->nseen ||
	    nv != t->n;
	for (size_t i = 0; !*changed && i < nc; i++)
		*changed = strcmp(cur[i].ref, t->seen[i].ref) != 0 ||
		    !same_str(cur[i].slug, t->seen[i].slug);
	tombs_free(t);
	t->v = v;
	t->n = nv;
	t->seen = cur;
	t->nseen = nc;
	t->known = true;
	return 0;
fail:
	stones_free(v, nv);
	stones_free(cur, nc);
	return -1;
}

/* {"ref": ..., "when": ..., "slug": ...}; when and slug when there. */
static json_t *
stone_json(const struct tombstone *s, bool when)
{
	json_t *o = json_pack("{s:s}", "ref", s->ref);

	if (o != NULL && when && json_object_set_new(o, "when",
	    json_integer((json_int_t)s->when)) < 0) {
		json_decref(o);
		return NULL;
	}
	if (o != NULL && s->slug != NULL && json_object_set_new(o, "slug",
	    json_string(s->slug)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
tombs_dump(const struct tombs *t)
{
	json_t *o = json_object(), *d = json_array(), *s = json_array();
	char *out = NULL;
	bool ok = o != NULL && d != NULL && s != NULL;

	for (size_t i = 0; ok && i < t->n; i++)
		ok = json_array_append_new(d, stone_json(&t->v[i], true)) == 0;
	for (size_t i = 0; ok && i < t->nseen; i++)
		ok = json_array_append_new(s, stone_json(&t->seen[i], false)) ==
		    0;
	if (ok && json_object_set(o, "deleted", d) == 0 &&
	    json_object_set(o, "published", s) == 0)
		out = json_dumps(o, JSON_COMPACT);
	json_decref(d);
	json_decref(s);
	json_decref(o);
	return out;
}

/*
 * One entry of the state into *dst: an object with a string ref (and
 * when an integer when, if with_when), an optional string slug; or, in
 * "published" as written before slugs were kept, the ref alone. Returns
 * 0, or -1 (damaged, or out of memory).
 */
static int
stone_load(struct tombstone *dst, json_t *e, bool with_when)
{
	const char *ref, *slug;
	json_t *when, *js;

	if (!with_when && json_is_string(e))
		return copy(dst, json_string_value(e), NULL, 0);
	ref = json_string_value(json_object_get(e, "ref"));
	when = json_object_get(e, "when");
	js = json_object_get(e, "slug");
	slug = json_string_value(js);
	if (ref == NULL || (with_when && !json_is_integer(when)) ||
	    (js != NULL && slug == NULL))
		return -1;
	return copy(dst, ref, slug, with_when ?
	    (int64_t)json_integer_value(when) : 0);
}

int
tombs_load(struct tombs *t, const char *json, size_t len)
{
	json_t *o = json_loadb(json, len, 0, NULL), *d, *s, *e;
	size_t i;

	memset(t, 0, sizeof(*t));
	d = json_object_get(o, "deleted");
	s = json_object_get(o, "published");
	if (!json_is_array(d) || !json_is_array(s))
		goto fail;
	if ((t->v = calloc(json_array_size(d) + 1, sizeof(*t->v))) == NULL ||
	    (t->seen = calloc(json_array_size(s) + 1, sizeof(*t->seen))) ==
	    NULL)
		goto fail;
	json_array_foreach(d, i, e) {
		/* Counted first: a half-copied entry is freed too. */
		if (stone_load(&t->v[t->n++], e, true) < 0)
			goto fail;
	}
	json_array_foreach(s, i, e) {
		if (stone_load(&t->seen[t->nseen++], e, false) < 0)
			goto fail;
	}
	qsort(t->seen, t->nseen, sizeof(*t->seen), by_ref);
	qsort(t->v, t->n, sizeof(*t->v), newest_first);
	t->known = true;
	json_decref(o);
	return 0;
fail:
	json_decref(o);
	tombs_free(t);
	return -1;
}

void
tombs_free(struct tombs *t)
{
	if (t == NULL)
		return;
	stones_free(t->v, t->n);
	stones_free(t->seen, t->nseen);
	memset(t, 0, sizeof(*t));
}
