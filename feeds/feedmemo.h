/*
 * feedmemo: rendered entries kept from one publish to the next. A
 * release's Atom entry, RSS item and JSON Feed item are the same bytes in
 * every document of that kind that holds it (they depend on the release
 * and on the feed settings only), so feed_render_memo() (feed.h) renders
 * each once and copies it into the main feed, the sub-feeds and the
 * archives holding it, in this publish and the next ones while the
 * release stays the same.
 *
 * Keyed by the release's stamp (docstamp.h: its text, path, dates and
 * media sizes) and the kind, never by address; everything kept goes when
 * the settings' stamp (stamp_meta()) changes. Bounded: at most cap bytes
 * of entries, the least recently used dropped first, so memory does not
 * grow with the number of releases (a full build keeps the last cap
 * bytes' worth; a warm publish finds the feeds' newest there).
 *
 * Ownership: the memo owns copies of the bytes; what feed_memo_get()
 * returns is valid until the next feed_memo_next_doc() or
 * feed_memo_begin().
 */
#ifndef FEEDS_FEEDMEMO_H
#define FEEDS_FEEDMEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docstamp.h"
#include "feed.h"
#include "release.h"

struct feed_memo;

/* An empty memo of at most cap bytes, or NULL when out of memory. */
struct feed_memo *feed_memo_new(size_t cap);
void feed_memo_free(struct feed_memo *fm);	/* NULL fine */

/*
 * Before a publish: meta is its stamp_meta() (another one drops every
 * entry), sm the stamp memo that names its releases (borrowed until the
 * next call; NULL: the memo is not used, as after a publish).
 */
void feed_memo_begin(struct feed_memo *fm, uint64_t meta,
    struct stamp_memo *sm);

/* Bytes held now, and how many lookups found their entry (for tests). */
size_t feed_memo_bytes(const struct feed_memo *fm);
size_t feed_memo_hits(const struct feed_memo *fm);

/*
 * Where each entry of a document went in its bytes, so that the document
 * rendered again later takes the entries its file still holds from the
 * file (feed_memo_prime()) instead of rendering them: the memo's cap
 * holds the newest releases, and a tag's older ones are out of it by
 * the time a new release of that tag comes (each drop rendered some 100
 * entries of its tags' feeds, reading and converting their bodies).
 * key: the release's stamp; sum: a hash of the entry's bytes, checked
 * before they are used (a file changed by hand gives no entry).
 */
struct entry_spot {
	uint64_t key, sum;
	size_t off, len;
};

struct entry_spots {
	struct entry_spot *v;
	size_t n;
};

/*
 * The spots of the entries in the document just rendered (data[0..len),
 * as feed_render_memo() made it from this memo), into *out (caller frees
 * with entry_spots_free()). 0, or -1 when out of memory (*out empty).
 */
int feed_memo_spots(struct feed_memo *fm, const char *data, size_t len,
    struct entry_spots *out);
void entry_spots_free(struct entry_spots *sp);	/* leaves it empty */

/*
 * Keep the entries of kind k that sp says data[0..len) holds (the file of
 * a document rendered before), each whose bytes still have their sum.
 */
void feed_memo_prime(struct feed_memo *fm, enum feed_kind k,
    const struct entry_spots *sp, const char *data, size_t len);

/* Whether an entry of kind k that sp names is not kept (the file's read). */
bool feed_memo_lacks(struct feed_memo *fm, enum feed_kind k,
    const struct entry_spots *sp);

/* Internal to feeds/ (feed.c, xmlout.c, jsonfeed.c). */

/*
 * A document begins: what feed_memo_get() finds from here on stays until
 * the next call (held past cap if need be, by one document's entries at
 * most), so a release found kept needs no body for this document.
 */
void feed_memo_next_doc(struct feed_memo *fm);

/* r's entry of kind k, *len bytes, or NULL: not kept (fm NULL: none). */
const char *feed_memo_get(struct feed_memo *fm, enum feed_kind k,
    const struct release *r, size_t *len);

/* Keep a copy of data[0..len) as r's entry of kind k (no-op if fm NULL). */
void feed_memo_put(struct feed_memo *fm, enum feed_kind k,
    const struct release *r, const char *data, size_t len);

/* r's entry went at offset off, len bytes, of the document under way. */
void feed_memo_mark(struct feed_memo *fm, const struct release *r,
    size_t off, size_t len);

#endif
