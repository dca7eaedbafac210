/*
 * docstamp: a 64-bit stamp of everything a document rendered by
 * feed_render_doc() is made of, so a caller that keeps the stamp of what
 * it wrote need not render the document again while the stamp is the
 * same. Equal stamps mean equal bytes (barring a 64-bit FNV collision);
 * the stamp is computed from the releases' file text, path and dates (the
 * history may change dates in place), the document's fields and the
 * feed settings, never from pointers, so a release read again at the same
 * address cannot pass for the old one.
 */
#ifndef FEEDS_DOCSTAMP_H
#define FEEDS_DOCSTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "feed.h"
#include "meta.h"
#include "release.h"

/*
 * Per-release hashes kept for one publish (a release is in several
 * documents): valid while the releases it saw are not freed or changed.
 * NULL when out of memory.
 */
struct stamp_memo;
struct stamp_memo *stamp_memo_new(size_t hint);
void stamp_memo_free(struct stamp_memo *sm);	/* NULL fine */

/*
 * r's own part (its text, path, dates, media sizes), kept in sm: what an
 * entry rendered from r depends on beside the settings. 0: out of memory.
 */
uint64_t stamp_release(struct stamp_memo *sm, const struct release *r);

/*
 * The part of r's that stays while r does (its path and text digest), for
 * r->stamp_key: set once r is made, stamping needs no memo for r.
 */
uint64_t stamp_key(const struct release *r);

/* The settings' part: m's strings and flags, and zone (the date zone). */
uint64_t stamp_meta(const struct feed_meta *m, const char *zone);

/*
 * The stamp of document d of kind k holding rs[0..n), seeded with
 * stamp_meta()'s. Returns 0 when out of memory (a stamp is never 0).
 */
uint64_t stamp_doc(struct stamp_memo *sm, uint64_t meta, enum feed_kind k,
    const struct feed_doc *d, struct release *const *rs, size_t n);

/*
 * The stamp of document d's inputs by address: the settings' stamp meta,
 * kind k, d's fields, and rs[0..n) as pointers, never read. Equal for
 * the same releases at the same addresses; it stands for stamp_doc()'s
 * only while none of them changed in place and no address went to
 * another release meanwhile (what the caller knows). Never 0.
 */
uint64_t stamp_doc_addresses(uint64_t meta, enum feed_kind k,
    const struct feed_doc *d, struct release *const *rs, size_t n);

/*
 * The parts of a caller's own stamp (of several documents at once):
 * h continued with s (NULL differs from ""), with v, and with rs[0..n)
 * as stamp_doc() hashes them. stamp_releases() returns 0 when out of
 * memory, never else.
 */
uint64_t stamp_str(uint64_t h, const char *s);
uint64_t stamp_num(uint64_t h, int64_t v);
uint64_t stamp_releases(struct stamp_memo *sm, uint64_t h,
    struct release *const *rs, size_t n);
/* h continued with the bytes p[0..n) (FNV-1a, 8 bytes a step). */
uint64_t stamp_bytes(uint64_t h, const void *p, size_t n);
/* h continued with rs[0..n) as addresses (see stamp_doc_addresses()). */
uint64_t stamp_addresses(uint64_t h, struct release *const *rs, size_t n);

#endif
