/*
 * slugmap: which slug each release id's page has, for the site's sweep
 * (site.c), kept across publishes so that one that changes a release
 * costs that release, not the archive. Ids are unique; slugs need not
 * be (slugmap_has_slug() says whether any id has one). Each id may carry
 * an opaque pointer (its release), which the map never follows; the sum
 * of their slugmap_mix() is kept, so a caller can compare the map's
 * releases with a list of them in one pass over the list.
 *
 * Open addressing with linear probing, at most half full, by id and by
 * slug; one allocation per id holding both strings (~100 B an id).
 */
#ifndef DAEMON_SLUGMAP_H
#define DAEMON_SLUGMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slugmap;

struct slugmap *slugmap_new(void);	/* NULL when out of memory */
void slugmap_free(struct slugmap *m);	/* NULL is fine */

size_t slugmap_count(const struct slugmap *m);

/* id's slug (owned by m, valid until id changes), *r its pointer; or NULL. */
const char *slugmap_get(const struct slugmap *m, const char *id,
    const void **r);

/*
 * id's slug and pointer are now slug and r: returns 1 (a new id), 0 (an
 * id there: replaced, or kept when !replace), -1 when out of memory (m
 * is as it was).
 */
int slugmap_set(struct slugmap *m, const char *id, const char *slug,
    const void *r, bool replace);

/* Whether an id has this slug. */
bool slugmap_has_slug(const struct slugmap *m, const char *slug);

/* fn for every id, in no order; m must not change meanwhile. */
void slugmap_foreach(const struct slugmap *m, void (*fn)(const char *id,
    const char *slug, const void *r, void *arg), void *arg);

/* The sum (mod 2^64) of slugmap_mix() of every id's pointer. */
uint64_t slugmap_print(const struct slugmap *m);

/* A pointer's share of that sum (0 for NULL). */
uint64_t slugmap_mix(const void *r);

#endif
