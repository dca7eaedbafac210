/*
 * testutil: fixture code shared by the cmocka unit tests (tests/unit/).
 * Linked into every unit test binary; include it after <cmocka.h>.
 *
 * The file helpers assert on every step (cmocka assert_*), so they may only
 * be called from inside a running test or its setup/teardown: a failure
 * ends the test there. Paths are at most TU_PATH_MAX - 1 bytes.
 */
#ifndef TESTS_UNIT_TESTUTIL_H
#define TESTS_UNIT_TESTUTIL_H

#include <stddef.h>
#include <time.h>

#include "feeds/meta.h"

#define TU_PATH_MAX 512

/*
 * The plain feed settings of the release, scan and store tests: title
 * "Nyheter", base_url https://news.example.org/, tag date 2000, 50 entries,
 * files up to 1 MiB, symlinks within the folder followed, no optional
 * field set. Tests that need a variant copy
 * it into a local struct and change the copy.
 */
extern const struct feed_meta tu_meta;

/*
 * Group setup: make Europe/Stockholm the local zone, which the expected
 * local dates in the tests assume. Returns date_set_zone()'s 0/-1.
 */
int tu_setup_zone(void **state);

/*
 * Make a fresh, empty folder "/tmp/<name>.XXXXXX" (mkdtemp) and write its
 * path into dir (size bytes). Returns 0, or -1 with errno set; does not
 * assert, so it suits a setup function.
 */
int tu_mkdtemp(char *dir, size_t size, const char *name);

/*
 * rm -r dir, without following symlinks; dir may also be a plain file.
 * Errors are ignored: it is cleanup for teardowns.
 */
void tu_rm_tree(const char *dir);

/* Write text to path (created or truncated), asserting it worked. */
void tu_write_file(const char *path, const char *text);

/* Set the access and modification times of dir/name to sec (UTC epoch). */
void tu_set_mtime(const char *dir, const char *name, time_t sec);

/*
 * Write text to dir/rel, making the folders of rel as needed, and set its
 * mtime to sec.
 */
void tu_put_file(const char *dir, const char *rel, const char *text,
    time_t sec);

#endif
