/*
 * archive: see archive.h. rs is sorted by date, newest first, so a period
 * is one run of it.
 */
#include "archive.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum archive_period
archive_period_of(const struct feed_meta *m, bool tag)
{
	return tag ? m->tag_archive_period : m->archive_period;
}

/*
 * r's period: its name into key, and the first second of it, returned
 * (INT64_MIN when r's date is not a calendar date: one period for all).
 */
static int64_t
period_of(const struct release *r, enum archive_period p, char key[32])
{
	time_t t = (time_t)r->date.sec;
	struct tm tm;

	/* Dates are years 0..9999 (date.h): "%04d-%02d" fits. */
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(key, 32, p == PERIOD_YEAR ? "0000" : "0000-00");
		return INT64_MIN;
	}
	if (p == PERIOD_YEAR)
		snprintf(key, 32, "%04d", tm.tm_year + 1900);
	else
		snprintf(key, 32, "%04d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (p == PERIOD_YEAR)
		tm.tm_mon = 0;
	return (int64_t)timegm(&tm);
}

int
archives_build(const char *dir, enum archive_period p,
    struct release *const *rs, size_t n, struct archives *out)
{
	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < n;) {
		struct archive_doc *m, *t;
		char key[32];
		size_t j = i + 1;
		/*
		 * Newest first: the period of rs[i] runs on while the dates
		 * are not before its first second (one gmtime_r() per
		 * period, not per release: every sub-feed's, each publish).
		 */
		int64_t first = period_of(rs[i], p, key);

		while (j < n && rs[j]->date.sec >= first)
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
