/*
 * store: the set of parsed releases, keyed by path, kept so that the newest
 * published ones can be selected cheaply after every change.
 *
 * The store allocates through libxml2 (xmlMalloc and kin), its hash tables
 * and its own arrays alike, so xmlMemSetup() reaches all of it. Its tables
 * point at each release's own path and id, copying neither: a release in
 * the store must not have them changed (take it out, change, put back).
 */
#ifndef FEEDS_STORE_H
#define FEEDS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "release.h"

struct store;

struct store *store_new(void);
void store_free(struct store *s);	/* frees every release too */

enum store_put_result {
	STORE_PUT_OK,		/* r is in, the old release of its path freed */
	STORE_PUT_CLASH,	/* another file has r's id */
	STORE_PUT_NOMEM,	/* out of memory */
};

/*
 * Add r, replacing (and freeing) the release with the same path. The store
 * owns r from here on, whatever the result. Unless STORE_PUT_OK, r is
 * freed and nothing changes (the old release of r's path stays); on
 * STORE_PUT_CLASH, *clash (if not NULL) points at the other file's path,
 * valid until the next change.
 */
enum store_put_result store_put(struct store *s, struct release *r,
    const char **clash);

/* Remove every release whose path is under the folder prefix (no '/'). */
size_t store_remove_under(struct store *s, const char *prefix);

/* Remove the release from path and hand it to the caller (NULL: none). */
struct release *store_take(struct store *s, const char *path);

/* Remove and free the release from path. Returns 0, or -1 if none. */
int store_remove(struct store *s, const char *path);

/* The release from path, or NULL. Owned by the store. */
struct release *store_get(struct store *s, const char *path);

/* The release with this id, or NULL. Owned by the store. */
struct release *store_get_id(struct store *s, const char *id);

size_t store_count(const struct store *s);

/* Call fn for every release, in no order; fn must not add or remove. */
void store_foreach(struct store *s, void (*fn)(struct release *r, void *ud),
    void *ud);

/* Releases' dates were changed in place: sort all again before selecting. */
void store_touch(struct store *s);

/* r's date was changed in place from was (seconds): move r alone. */
void store_redated(struct store *s, struct release *r, int64_t was);

/*
 * Changes with every change above (put, take, remove, touch, redated),
 * never the same in two stores of the process: while it and now stay, store_select() gives the same releases at the
 * same addresses, so a caller may keep work it planned on them.
 */
uint64_t store_generation(const struct store *s);

/*
 * The releases published at now (seconds): no drafts, date <= now, newest
 * first (by date, then id), at most max. Returns 0 with *n of them in *out,
 * an array owned by the store, valid until the next change; or -1 when out
 * of memory, with *out NULL and *n 0: then nothing is known to be
 * published, and nothing must be written as if it were. Costs O(log N)
 * unless many releases changed since the last call (then a sort).
 */
int store_select(struct store *s, int64_t now, size_t max,
    struct release ***out, size_t *n);

/*
 * The releases held back until a date after now (no drafts), latest first:
 * as store_select(), without a maximum.
 */
int store_embargoed(struct store *s, int64_t now, struct release ***out,
    size_t *n);

/* The earliest embargo date after now, or INT64_MAX if there is none. */
int64_t store_next_embargo(struct store *s, int64_t now);

#endif
