/*
 * xmlout: the xmlTextWriter helpers the feed writers share (internal to
 * feeds/). Each returns the libxml2 convention: < 0 on error. Strings are
 * UTF-8 and only borrowed; the returned ones are malloc'd, caller frees.
 */
#ifndef FEEDS_XMLOUT_H
#define FEEDS_XMLOUT_H

#include <libxml/xmlwriter.h>

#include "feed.h"
#include "feedmemo.h"
#include "meta.h"
#include "release.h"

/*
 * In a writer function with an `out:` label: go there when a libxml2
 * writer call (or an xo_ helper) fails.
 */
#define CHECK(x) do { if ((x) < 0) goto out; } while (0)

/* Text content with the characters XML 1.0 forbids dropped. */
int xo_string(xmlTextWriterPtr w, const char *s);

/* <name>s</name>, s cleaned as by xo_string(). ns may be NULL. */
int xo_element(xmlTextWriterPtr w, const char *prefix, const char *name,
    const char *s);

/* An attribute, cleaned likewise. */
int xo_attribute(xmlTextWriterPtr w, const char *name, const char *s);

/* The URL of a feed file: base_url + name. Caller frees. */
char *xo_feed_url(const struct feed_meta *m, const char *name);

/*
 * The newest `updated` among rs[0..n), or m->empty_since when n is 0 (in
 * the zone's offset at that instant).
 */
struct fp_time xo_feed_updated(const struct feed_meta *m,
    struct release *const *rs, size_t n);

/*
 * The feed's id: tag:authority,date:path, and id_part after it when not
 * NULL (a sub-feed's). Caller frees.
 */
char *xo_feed_id(const struct feed_meta *m, const char *id_part);

/*
 * A whole document in memory: the UTF-8 declaration, then body(w, arg)
 * (< 0: failure), indented by two spaces. Returns 0 with *data
 * (NUL-terminated, caller frees) and *len, or -1.
 */
int xo_document(int (*body)(xmlTextWriterPtr w, void *arg), void *arg,
    char **data, size_t *len);

/* The same, body given the buffer w flushes into too (for xo_raw()). */
int xo_document_buf(int (*body)(xmlTextWriterPtr w, xmlBufferPtr buf,
    void *arg), void *arg, char **data, size_t *len);

/*
 * The bytes body(w, arg) writes as one element at depth (1: a child of
 * the root), as xo_document() would write them there after a sibling: the
 * indent before it and the newline after it included. Returns 0 with
 * *data (NUL-terminated, caller frees) and *len, or -1.
 */
int xo_fragment(int depth, int (*body)(xmlTextWriterPtr w, void *arg),
    void *arg, char **data, size_t *len);

/*
 * Append s[0..n) (an xo_fragment() of the element due next, at its depth)
 * to the document: as if w had written that element. Returns 0 or -1.
 */
int xo_raw(xmlTextWriterPtr w, xmlBufferPtr buf, const char *s, size_t n);

/* The two XML writers: the document d of rs[0..n) into w (feed.c). */
int atom_write(xmlTextWriterPtr w, xmlBufferPtr buf,
    const struct feed_meta *m, const struct feed_doc *d,
    struct release *const *rs, size_t n, struct feed_memo *memo);
int rss_write(xmlTextWriterPtr w, xmlBufferPtr buf,
    const struct feed_meta *m, const struct feed_doc *d,
    struct release *const *rs, size_t n, struct feed_memo *memo);

/*
 * Write r with put(w, m, r) (an element at depth), or copy its bytes from
 * memo (feedmemo.h: kind k), rendered as a fragment and kept there when
 * not found. memo NULL: always put.
 */
int xo_entry(xmlTextWriterPtr w, xmlBufferPtr buf, struct feed_memo *memo,
    enum feed_kind k, int depth, int (*put)(xmlTextWriterPtr w,
    const struct feed_meta *m, const struct release *r),
    const struct feed_meta *m, const struct release *r);

#endif
