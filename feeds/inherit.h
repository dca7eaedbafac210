/*
 * inherit: what a new reading of a release keeps from the version known
 * before, whether that was read a moment ago (the store) or published
 * before a restart (the state database). The one home of that rule.
 */
#ifndef FEEDS_INHERIT_H
#define FEEDS_INHERIT_H

#include <stdbool.h>

#include "date.h"
#include "release.h"

/* The earlier version of a release, as far as the rule needs it. */
struct release_past {
	struct fp_time published;	/* its date */
	struct fp_time updated;
	bool has_date;			/* published came from front matter */
};

/*
 * r is a fresh parse of a file that was known as was; same is true when
 * its content did not change. Without a front matter `date` in either
 * version, r keeps the first date (the id's publication time does not
 * move). Without `updated`, r keeps the old one, unless its content
 * changed: then the file's mtime, if later. updated is never before date.
 */
void release_inherit(struct release *r, const struct release_past *was,
    bool same);

/* The past that r leaves for the next reading of the same release. */
struct release_past release_past_of(const struct release *r);

#endif
