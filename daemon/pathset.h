/*
 * pathset: a set of relative paths (byte strings, compared with strcmp)
 * that grows with what it holds, for the pipeline's change set. Adding,
 * finding and removing a path take constant time however many there are
 * (100,000 files moved in at once), unlike libxml2 2.9's hash, whose
 * xmlHashUpdateEntry never grows the table.
 *
 * The set owns copies of its paths; pathset_sorted() hands out copies the
 * caller owns, so the set may change while the caller walks them.
 */
#ifndef DAEMON_PATHSET_H
#define DAEMON_PATHSET_H

#include <stdbool.h>
#include <stddef.h>

struct pathset;

struct pathset *pathset_new(void);	/* NULL when out of memory */
void pathset_free(struct pathset *s);	/* NULL is fine */

/* Returns 0 (added, or there already), or -1 when out of memory. */
int pathset_add(struct pathset *s, const char *path);

/* True when path was in s (and is not any more). */
bool pathset_remove(struct pathset *s, const char *path);

bool pathset_has(const struct pathset *s, const char *path);
size_t pathset_count(const struct pathset *s);
void pathset_clear(struct pathset *s);

/*
 * Copies of every path, in byte order, as an array of *n strings: free
 * with pathset_sorted_free(v, *n). NULL when out of memory.
 */
char **pathset_sorted(const struct pathset *s, size_t *n);
void pathset_sorted_free(char **v, size_t n);	/* NULL entries are fine */

/*
 * Every path of s moved out (s is empty then) into an array of *n strings
 * the caller owns, in no order: free with pathset_sorted_free(v, *n).
 * Constant work per slot, no copies. NULL when out of memory (s is kept).
 */
char **pathset_take(struct pathset *s, size_t *n);

/*
 * Sorting v[0..n) in byte order a step at a time (a merge sort), so that
 * 100,000 paths (~200 ms in one qsort here) never hold a loop for long.
 * pathsort_init() takes v over and returns 0, or -1 when out of memory
 * (v is still the caller's then). Each pathsort_step() merges about max
 * entries and returns true once ps->v holds the paths sorted. ps->v (not
 * always the array given) holds every path between steps too; after
 * pathsort_finish(), which frees the other buffer, the caller owns it.
 */
struct pathsort {
	char **v, **tmp;	/* tmp: n entries */
	size_t n, width, lo;	/* the runs being merged, the next pair */
};

int pathsort_init(struct pathsort *ps, char **v, size_t n);
bool pathsort_step(struct pathsort *ps, size_t max);
void pathsort_finish(struct pathsort *ps);

#endif
