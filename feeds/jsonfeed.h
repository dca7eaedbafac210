/*
 * jsonfeed: a JSON Feed 1.1 document (https://jsonfeed.org/version/1.1),
 * built with jansson. Internal to feeds/: callers go through feed.h
 * (FEED_JSON), which renders the releases' bodies first.
 */
#ifndef FEEDS_JSONFEED_H
#define FEEDS_JSONFEED_H

#include <stddef.h>

#include "feed.h"
#include "feedmemo.h"
#include "meta.h"
#include "release.h"

/*
 * The document d of rs[0..n), rendered (r->html set) unless memo (NULL:
 * none) holds their items. Item ids are the
 * Atom entries' ids. Strings go in as they are, control characters
 * included (JSON escapes them); a byte of invalid UTF-8 becomes U+FFFD.
 * Returns 0 with *data (NUL-terminated, ends in a newline; caller frees
 * with free()) and *len, or -1 when out of memory.
 */
int jsonfeed_render(const struct feed_meta *m, const struct feed_doc *d,
    struct release *const *rs, size_t n, struct feed_memo *memo,
    char **data, size_t *len);

#endif
