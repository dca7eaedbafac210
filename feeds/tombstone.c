/*
 * tombstone: see tombstone.h. Sets of ids are sorted arrays, compared by
 * one merge walk.
 */
#include "tombstone.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
in(char *const *v, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, v, n, sizeof(*v), by_str) != NULL;
}

static void
strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
tombs_update(struct tombs *t, struct release *const *rs, size_t n,
    int64_t now, int64_t keep, bool *changed)
{
	char **cur = calloc(n + 1, sizeof(*cur));
	struct tombstone *v = NULL;
	size_t nv = 0, nc = 0;

	*changed = false;
	if (cur == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((cur[nc++] = strdup(rs[i]->id)) == NULL)
			goto fail;
	qsort(cur, nc, sizeof(*cur), by_str);
	if ((v = calloc(t->n + t->nseen + 1, sizeof(*v))) == NULL)
		goto fail;
	/* Those that stay: not back, not too old. */
	for (size_t i = 0; i < t->n; i++) {
		if (in(cur, nc, t->v[i].ref) || now - t->v[i].when > keep) {
			*changed = true;
			continue;
		}
		if ((v[nv].ref = strdup(t->v[i].ref)) == NULL)
			goto fail;
		v[nv++].when = t->v[i].when;
	}
	/* Those that went since. */
	for (size_t i = 0; t->known && i < t->nseen; i++) {
		if (in(cur, nc, t->seen[i]))
			continue;
		if ((v[nv].ref = strdup(t->seen[i])) == NULL)
			goto fail;
		v[nv++].when = now;
	}
	qsort(v, nv, sizeof(*v), newest_first);
	/* A tombstone for an id twice (went, came back, went): the newest. */
	for (size_t i = 0; i < nv; i++)
		for (size_t j = i + 1; j < nv; j++)
			if (v[j].ref != NULL && strcmp(v[i].ref, v[j].ref) == 0) {
				free(v[j].ref);
				v[j].ref = NULL;
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
		*changed = strcmp(cur[i], t->seen[i]) != 0;
	tombs_free(t);
	t->v = v;
	t->n = nv;
	t->seen = cur;
	t->nseen = nc;
	t->known = true;
	return 0;
fail:
	for (size_t i = 0; i < nv; i++)
		free(v[i].ref);
	free(v);
	strs_free(cur, nc);
	return -1;
}

char *
tombs_dump(const struct tombs *t)
{
	json_t *o = json_object(), *d = json_array(), *s = json_array();
	char *out = NULL;
	bool ok = o != NULL && d != NULL && s != NULL;

	for (size_t i = 0; ok && i < t->n; i++)
		ok = json_array_append_new(d, json_pack("{s:s, s:I}", "ref",
		    t->v[i].ref, "when", (json_int_t)t->v[i].when)) == 0;
	for (size_t i = 0; ok && i < t->nseen; i++)
		ok = json_array_append_new(s, json_string(t->seen[i])) == 0;
	if (ok && json_object_set(o, "deleted", d) == 0 &&
	    json_object_set(o, "published", s) == 0)
		out = json_dumps(o, JSON_COMPACT);
	json_decref(d);
	json_decref(s);
	json_decref(o);
	return out;
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
		const char *ref = json_string_value(json_object_get(e, "ref"));
		json_t *when = json_object_get(e, "when");

		if (ref == NULL || !json_is_integer(when) ||
		    (t->v[t->n].ref = strdup(ref)) == NULL)
			goto fail;
		t->v[t->n++].when = (int64_t)json_integer_value(when);
	}
	json_array_foreach(s, i, e) {
		if (!json_is_string(e) || (t->seen[t->nseen] =
		    strdup(json_string_value(e))) == NULL)
			goto fail;
		t->nseen++;
	}
	qsort(t->seen, t->nseen, sizeof(*t->seen), by_str);
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
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].ref);
	free(t->v);
	strs_free(t->seen, t->nseen);
	memset(t, 0, sizeof(*t));
}
