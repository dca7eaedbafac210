/*
 * inherit: see inherit.h.
 */
#include "inherit.h"

void
release_inherit(struct release *r, const struct release_past *was, bool same)
{
	if (!r->has_date && !was->has_date)
		r->date = was->published;
	if (!r->has_updated) {
		r->updated = was->updated;
		if (!same && r->mtime > was->updated.sec)
			r->updated = date_from_epoch(r->mtime);
	}
	if (r->updated.sec < r->date.sec)
		r->updated = r->date;
}

struct release_past
release_past_of(const struct release *r)
{
	struct release_past p = {
		.published = r->date,
		.updated = r->updated,
		.has_date = r->has_date,
	};

	return p;
}
