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

#endif
