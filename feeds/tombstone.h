/*
 * tombstone: RFC 6721 deleted entries. Between publishes it remembers the
 * ids published last; an id gone since (its file removed, or made a draft
 * or embargoed again, or given another id) becomes a tombstone (ref, when)
 * for keep seconds, and leaves the list again if the id comes back. The
 * Atom feed writes them (feed_doc's tombs); JSON Feed and RSS just drop
 * the item. Each id is kept with the slug its release had, so that the
 * caller knows which page went with it (the embedded server's 410), and
 * with its tags, type and lang, so that each sub-feed it was filed under
 * (subfeed.h) carries its tombstone too. Pure:
 * the caller keeps the state where it likes (tombs_dump()/tombs_load(),
 * JSON through jansson).
 *
 * Ownership: a struct tombs owns all its strings.
 */
#ifndef FEEDS_TOMBSTONE_H
#define FEEDS_TOMBSTONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "release.h"

struct tombstone {
	char *ref;		/* the entry's id */
	int64_t when;		/* seconds since the epoch it went */
	char *slug;		/* its release's (release.h); NULL: not */
				/* known (a state written before slugs */
				/* were kept) */
	char **tags;		/* its release's tags, type and lang as */
	size_t ntags;		/* written (release.h: lang NULL is the */
	char *type, *lang;	/* feed's); none in a state written */
				/* before they were kept */
};

struct tombs {
	struct tombstone *v;	/* newest first, then by ref */
	size_t n;
	struct tombstone *seen;	/* the ids (and slugs) published */
	size_t nseen;		/* last, by ref; when unused */
	bool known;		/* seen is known (else: the first publish) */
};

/*
 * rs[0..n) are published at now: tombstone what left, drop what came
 * back and what is older than keep seconds. *changed: t differs from
 * before (worth saving). Returns 0, or -1 when out of memory (t as
 * before).
 */
int tombs_update(struct tombs *t, struct release *const *rs, size_t n,
    int64_t now, int64_t keep, bool *changed);

/* t as JSON text (caller frees), NULL when out of memory. */
char *tombs_dump(const struct tombs *t);

/* t (empty) from tombs_dump()'s text. Returns 0, or -1 (t stays empty). */
int tombs_load(struct tombs *t, const char *json, size_t len);

void tombs_free(struct tombs *t);	/* NULL fine; leaves it empty */

#endif
