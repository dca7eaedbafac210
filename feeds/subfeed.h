/*
 * subfeed: the feeds beside the main one, one per tag, per type and per
 * language of the published releases (turned on by feed_meta's tag_feeds,
 * type_feeds, lang_feeds). Pure: it groups releases and names documents;
 * feed.h renders them.
 *
 * Names. A sub-feed lives at DIR/SLUG.EXT ("tags/brott.atom"): DIR is
 * "tags", "types" or "langs"; SLUG is text_slug() of the value as written
 * (lower case, diacritics folded, other runs of characters one '-', another
 * script's letters kept apart by a hash: "Brottsförebyggande" ->
 * "brottsforebyggande", "Möllan" -> "mollan"; see text.h).
 * Two values with one slug ("Möllan", "möllan") never share a file: the
 * value written exactly as its slug keeps it (else the one first in byte
 * order), each other gets "-" and the 8 hex digits of text_hash32() of
 * itself ("mollan-1a2b3c4d"). So the order files are read in changes
 * nothing, and a value written as its slug never moves; a suffixed one
 * takes the plain slug once the other value is gone. Such a clash is
 * reported (struct subfeed's clash) for the caller to warn of: two
 * spellings of one tag are usually a mistake to merge. A value with no
 * letter or digit of the fold table gets text_slug()'s "release-HASH".
 *
 * Deletions. Each RFC 6721 tombstone (tombstone.h) goes to every sub-feed
 * its release was filed under, and keeps that sub-feed alive while it
 * lives, with no entry left if need be: its value takes part in the slugs
 * as before, so the tombstone lands in the very file the entry left.
 *
 * Ownership: a struct subfeeds owns its strings and arrays; the releases
 * are borrowed from the caller's rs.
 */
#ifndef FEEDS_SUBFEED_H
#define FEEDS_SUBFEED_H

#include <stdbool.h>
#include <stddef.h>

#include "feed.h"
#include "meta.h"
#include "release.h"
#include "tombstone.h"

enum subfeed_axis { SUB_TAG, SUB_TYPE, SUB_LANG, SUB_NAXES };

struct subfeed {
	enum subfeed_axis axis;
	char *value;		/* the tag, type or language as written */
	char *slug;		/* unique within the axis */
	char *title;		/* "FEED TITLE: value" */
	char *id_part;		/* "tags/SLUG": see feed_doc */
	bool clash;		/* another value had this slug: suffixed, */
				/* or kept it and another was */
	struct release **rs;	/* every one with the value, newest first */
	size_t n;		/* the feed's: the first min(nall, max_entries) */
	size_t nall;		/* the rest go to its archives (archive.h) */
	struct tombstone *tombs;	/* of releases gone filed under */
	size_t ntombs;		/* value, newest first: ref (owned) and */
				/* when only */
};

struct subfeeds {
	struct subfeed *v;	/* by axis, then slug (byte order) */
	size_t n;
	struct subfeed **by_value;	/* v by axis, then value: _find() */
};

/* "tags", "types", "langs". */
const char *subfeed_dir(enum subfeed_axis a);

/*
 * The sub-feeds of rs[0..n) (every published release, newest first) for
 * the axes m turns on. A release is in the feed of each of its tags, of
 * its type, and of its language (its lang, else m->language; none: in no
 * language feed); so is each tombstone of tv[0..ntv) (newest first; NULL
 * for none), by the tags, type and lang it keeps. Returns 0 with *out
 * filled (empty when no axis is on), or -1 when out of memory (*out
 * empty).
 */
int subfeeds_build(const struct feed_meta *m, struct release *const *rs,
    size_t n, const struct tombstone *tv, size_t ntv, struct subfeeds *out);

/*
 * Make set (subfeeds_build()'s, of an earlier selection, and of the
 * tombstones it is still to carry, with the same m) what subfeeds_build()
 * makes of rs[0..n), when the change between the two is small: the
 * releases at gone[0..ngone) (addresses only: they may be freed, and one
 * may be at an address rs holds now) left, rs[added[0..nadded)] came
 * (indexes in increasing order), and every other release of rs is one
 * set holds, at its address, unchanged. O(releases in the sub-feeds the
 * change touches), without reading any release but the new ones: the
 * build reads them all. Returns 0 when done; 1 when this change is not
 * one it makes (a value comes or goes, or set is not what it says: build
 * again); -1 when out of memory. On 1 and -1 set is left as it was or
 * part done: free it. On 0, touched[i] (set->n of them, NULL: not
 * wanted) is made true for each sub-feed set->v[i] whose releases
 * changed (others are left as they were).
 */
int subfeeds_update(struct subfeeds *set, const struct feed_meta *m,
    struct release *const *rs, size_t n, const size_t *added,
    size_t nadded, const struct release *const *gone, size_t ngone,
    bool *touched);

/*
 * The values of axis a release r is filed under, into v[0..cap): its tags
 * (each once), its type, its language (r->lang, else m->language). The
 * one rule subfeeds_build() and the pages' links share. Returns how many.
 */
size_t subfeed_values(const struct feed_meta *m, enum subfeed_axis a,
    const struct release *r, const char **v, size_t cap);

/* The sub-feed of value on axis a in s, or NULL (none: axis off, unknown). */
const struct subfeed *subfeed_find(const struct subfeeds *s,
    enum subfeed_axis a, const char *value);

/*
 * Where f's RFC 5005 archives go: "feed-archive/tags/SLUG" (archive.h),
 * into buf; -1 if it does not fit.
 */
int subfeed_archive_dir(const struct subfeed *f, char *buf, size_t size);

/* "tags/SLUG.atom" for kind k. Caller frees; NULL: out of memory. */
char *subfeed_path(const struct subfeed *f, enum feed_kind k);

/*
 * The document f is, in kind k (its tombstones with it); path as
 * subfeed_path() gave it.
 */
struct feed_doc subfeed_doc(const struct subfeed *f, const char *path);

void subfeeds_free(struct subfeeds *s);	/* NULL fine; leaves it empty */

#endif
