/*
 * relpack: a parsed release as bytes and back, so the daemon can keep what
 * the store holds of each release across restarts (a metadata cache) and
 * read only the files changed meanwhile. Everything a release has after
 * release_load() is packed (no text, no html; a summary only when it came
 * from the front matter); the bytes are this build's and this machine's,
 * never meant for another: relpack_meta_key() changes with the format and
 * with everything of the config a parse depends on, so a cache keyed by it
 * never hands back a release another config would have read otherwise.
 */
#ifndef FEEDS_RELPACK_H
#define FEEDS_RELPACK_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "release.h"

/*
 * r as bytes in *out (caller frees), *len of them. Returns 0, or -1 when
 * out of memory.
 */
int relpack_pack(const struct release *r, unsigned char **out, size_t *len);

/*
 * The release packed in buf[0..len) for the file relpath, in *out; its
 * media are checked again under root (their sizes are the files' now).
 * Returns 0; or -1 and fills *err: bytes that are not a packed release
 * (then read the file), out of memory, or a medium that fails its check
 * (as release_load() would fail).
 */
int relpack_unpack(const struct feed_meta *m, const char *root,
    const char *relpath, const void *buf, size_t len, struct release **out,
    struct release_error *err);

/*
 * A key of everything a parse depends on besides the file (the format of
 * the bytes, m's fields a parse reads, the root, the time zone): a cached
 * release is good only under the same key. Never 0.
 */
uint64_t relpack_meta_key(const struct feed_meta *m, const char *root);

#endif
