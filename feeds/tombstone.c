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

/* *dst = a copy of s, or NULL for NULL. Returns 0, or -1 (ENOMEM). */
static int
dup_str(char **dst, const char *s)
{
	*dst = s != NULL ? strdup(s) : NULL;
	return s == NULL || *dst != NULL ? 0 : -1;
}

/*
 * dst (any content: overwritten) = a copy of src's strings at when.
 * Returns 0, or -1 (ENOMEM: what was copied is stones_free()'s to free).
 */
static int
copy(struct tombstone *dst, const struct tombstone *src, int64_t when)
{
	memset(dst, 0, sizeof(*dst));
	dst->when = when;
	if (dup_str(&dst->ref, src->ref) < 0 ||
	    dup_str(&dst->slug, src->slug) < 0 ||
	    dup_str(&dst->type, src->type) < 0 ||
	    dup_str(&dst->lang, src->lang) < 0)
		return -1;
	if (src->ntags > 0 &&
	    (dst->tags = calloc(src->ntags, sizeof(*dst->tags))) == NULL)
		return -1;
	for (size_t i = 0; i < src->ntags; i++) {
		if ((dst->tags[i] = strdup(src->tags[i])) == NULL)
			return -1;
		dst->ntags++;
	}
	return 0;
}

/* What of r a tombstone keeps (borrowed). */
static struct tombstone
of_release(const struct release *r)
{
	return (struct tombstone){ .ref = r->id, .slug = r->slug,
		.tags = r->tags, .ntags = r->ntags, .type = r->type,
		.lang = r->lang };
}

/* Whether a and b (one ref) were published alike: slug and filing. */
static bool
same_stone(const struct tombstone *a, const struct tombstone *b)
{
	if (!same_str(a->slug, b->slug) || !same_str(a->type, b->type) ||
	    !same_str(a->lang, b->lang) || a->ntags != b->ntags)
		return false;
	for (size_t i = 0; i < a->ntags; i++)
		if (strcmp(a->tags[i], b->tags[i]) != 0)
			return false;
	return true;
}

static void
stone_clear(struct tombstone *s)
{
	free(s->ref);
	free(s->slug);
	for (size_t i = 0; i < s->ntags; i++)
		free(s->tags[i]);
	free(s->tags);
	free(s->type);
	free(s->lang);
	memset(s, 0, sizeof(*s));
}

static void
stones_free(struct tombstone *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		stone_clear(&v[i]);
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
	for (size_t i = 0; i < n; i++) {
		struct tombstone r = of_release(rs[i]);

		if (copy(&cur[nc++], &r, 0) < 0)
			goto fail;
	}
	qsort(cur, nc, sizeof(*cur), by_ref);
	if ((v = calloc(t->n + t->nseen + 1, sizeof(*v))) == NULL)
		goto fail;
	/* Those that stay: not back, not too old. */
	for (size_t i = 0; i < t->n; i++) {
		if (in(cur, nc, t->v[i].ref) || now - t->v[i].when > keep) {
			*changed = true;
			continue;
		}
		if (copy(&v[nv++], &t->v[i], t->v[i].when) < 0)
			goto fail;
	}
	/* Those that went since. */
	for (size_t i = 0; t->known && i < t->nseen; i++) {
		if (in(cur, nc, t->seen[i].ref))
			continue;
		if (copy(&v[nv++], &t->seen[i], now) < 0)
			goto fail;
	}
	qsort(v, nv, sizeof(*v), newest_first);
	/* A tombstone for an id twice (went, came back, went): the newest. */
	for (size_t i = 0; i < nv; i++)
		for (size_t j = i + 1; j < nv; j++)
			if (v[j].ref != NULL && strcmp(v[i].ref, v[j].ref) == 0)
				stone_clear(&v[j]);
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
		    !same_stone(&cur[i], &t->seen[i]);
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

/* o[key] = s, unless s is NULL. Returns 0, or -1 (ENOMEM). */
static int
set_str(json_t *o, const char *key, const char *s)
{
	return s == NULL ? 0 : json_object_set_new(o, key, json_string(s));
}

/*
 * {"ref": ..., "when": ..., "slug": ..., "tags": [...], "type": ...,
 * "lang": ...}; when (if asked) and the others when there.
 */
static json_t *
stone_json(const struct tombstone *s, bool when)
{
	json_t *o = json_pack("{s:s}", "ref", s->ref), *tags = NULL;
	bool ok = o != NULL;

	if (ok && when)
		ok = json_object_set_new(o, "when",
		    json_integer((json_int_t)s->when)) == 0;
	ok = ok && set_str(o, "slug", s->slug) == 0 &&
	    set_str(o, "type", s->type) == 0 &&
	    set_str(o, "lang", s->lang) == 0;
	if (ok && s->ntags > 0) {
		ok = (tags = json_array()) != NULL;
		for (size_t i = 0; ok && i < s->ntags; i++)
			ok = json_array_append_new(tags,
			    json_string(s->tags[i])) == 0;
		ok = ok && json_object_set_new(o, "tags", tags) == 0;
		if (!ok)
			json_decref(tags);
	}
	if (!ok) {
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

/* Whether e (from the state) is absent or a string. */
static bool
str_or_none(json_t *e)
{
	return e == NULL || json_is_string(e);
}

/*
 * One entry of the state into *dst: an object with a string ref (and
 * when an integer when, if with_when), an optional string slug, type and
 * lang and an array of string tags; or, in "published" as written before
 * slugs were kept, the ref alone. Returns 0, or -1 (damaged, or out of
 * memory).
 */
static int
stone_load(struct tombstone *dst, json_t *e, bool with_when)
{
	struct tombstone s = { 0 };
	json_t *when, *js, *jtype, *jlang, *jtags, *t;
	size_t i;
	int rc;

	memset(dst, 0, sizeof(*dst));
	if (!with_when && json_is_string(e)) {
		s.ref = (char *)json_string_value(e);
		return copy(dst, &s, 0);
	}
	s.ref = (char *)json_string_value(json_object_get(e, "ref"));
	when = json_object_get(e, "when");
	js = json_object_get(e, "slug");
	jtype = json_object_get(e, "type");
	jlang = json_object_get(e, "lang");
	jtags = json_object_get(e, "tags");
	if (s.ref == NULL || (with_when && !json_is_integer(when)) ||
	    !str_or_none(js) || !str_or_none(jtype) || !str_or_none(jlang) ||
	    (jtags != NULL && !json_is_array(jtags)))
		return -1;
	s.slug = (char *)json_string_value(js);
	s.type = (char *)json_string_value(jtype);
	s.lang = (char *)json_string_value(jlang);
	if ((s.ntags = json_array_size(jtags)) > 0 &&
	    (s.tags = calloc(s.ntags, sizeof(*s.tags))) == NULL)
		return -1;
	json_array_foreach(jtags, i, t) {
		if ((s.tags[i] = (char *)json_string_value(t)) == NULL) {
			free(s.tags);
			return -1;
		}
	}
	rc = copy(dst, &s, with_when ? (int64_t)json_integer_value(when) : 0);
	free(s.tags);
	return rc;
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
