/*
 * archive: see archive.h. rs is sorted by date, newest first, so a month
 * is one run of it.
 */
#include "archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
month_of(const struct release *r, char key[16])
{
	time_t t = (time_t)r->date.sec;
	struct tm tm;

	/* Dates are years 0..9999 (date.h): "%04d-%02d" fits. */
	if (gmtime_r(&t, &tm) == NULL || strftime(key, 16, "%Y-%m", &tm) == 0)
		snprintf(key, 16, "0000-00");
}

int
archives_build(const char *dir, struct release *const *rs, size_t n,
    struct archives *out)
{
	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < n;) {
		struct archive_month *m, *t;
		char key[16], next[16];
		size_t j = i + 1;

		month_of(rs[i], key);
		while (j < n && (month_of(rs[j], next), strcmp(next, key) == 0))
			j++;
		if ((t = realloc(out->v, (out->n + 1) * sizeof(*t))) == NULL)
			goto fail;
		out->v = t;
		m = memset(&out->v[out->n++], 0, sizeof(*m));
		memcpy(m->key, key, sizeof(m->key));
		if (asprintf(&m->path, "%s/%s.atom", dir, key) < 0) {
			m->path = NULL;
			goto fail;
		}
		if ((m->rs = malloc((j - i) * sizeof(*m->rs))) == NULL)
			goto fail;
		memcpy(m->rs, rs + i, (j - i) * sizeof(*m->rs));
		m->n = j - i;
		i = j;
	}
	return 0;
fail:
	archives_free(out);
	return -1;
}

void
archives_free(struct archives *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].path);
		free(a->v[i].rs);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
