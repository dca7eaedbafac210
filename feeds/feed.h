/*
 * feed: render the selected releases as feed documents, in memory.
 * No I/O: output.h writes the bytes.
 */
#ifndef FEEDS_FEED_H
#define FEEDS_FEED_H

#include <stddef.h>

#include "meta.h"
#include "release.h"

enum feed_kind { FEED_ATOM, FEED_RSS, FEED_NKINDS };

/* "feed.atom", "feed.rss": the file name in the output folder. */
const char *feed_file_name(enum feed_kind k);

/*
 * Render rs[0..n) (newest first, as store_select() gives them) as a feed of
 * kind k. Renders each release's body on demand (release_render()). Returns
 * 0 with *data (NUL-terminated, caller frees with free()) and *len, or -1.
 */
int feed_render(enum feed_kind k, const struct feed_meta *m,
    struct release *const *rs, size_t n, char **data, size_t *len);

#endif
