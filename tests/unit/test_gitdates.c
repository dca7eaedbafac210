/*
 * Unit tests for feeds/gitdates: a repository built with git (the test
 * may run it; feedpubd never does), then read with the module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "feeds/gitdates.h"
#include "testutil.h"

static char dir[TU_PATH_MAX], rel[TU_PATH_MAX + 16];

/* Run a shell command in dir with fixed identities; assert it worked. */
static void
sh(const char *date, const char *cmd)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "cd '%s' && env -i PATH=/usr/bin:/bin "
	    "HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="
	    "/dev/null GIT_AUTHOR_NAME=E GIT_AUTHOR_EMAIL=e@example.org "
	    "GIT_COMMITTER_NAME=E GIT_COMMITTER_EMAIL=e@example.org "
	    "GIT_AUTHOR_DATE='%s' GIT_COMMITTER_DATE='%s' sh -c '%s' "
	    ">/dev/null 2>&1", dir, date, date, cmd);
	assert_int_equal(system(buf), 0);
}

static int
setup(void **state)
{
	(void)state;
	if (tu_mkdtemp(dir, sizeof(dir), "test_gitdates") < 0)
		return -1;
	snprintf(rel, sizeof(rel), "%s/releases", dir);
	return mkdir(rel, 0755);
}

static int
teardown(void **state)
{
	(void)state;
	tu_rm_tree(dir);
	return 0;
}

static enum gitdate_result
lookup(struct gitdates *g, const char *path, const char *text,
    struct fp_time *first, struct fp_time *last)
{
	return gitdates_lookup(g, path, text, strlen(text), first, last);
}

#define A	"---\ntitle: A\n---\n\nText.\n"

static void
test_same_head_no_walk(void **state)
{
	struct gitdates *g;
	struct fp_time first, last;
	char why[256];

	(void)state;
	tu_put_file(rel, "a.md", A, 0);
	sh("2021-01-01T10:00:00+02:00",
	    "git -c init.defaultBranch=main init -q && git add -A && "
	    "git commit -q -m a");
	assert_non_null(g = gitdates_new(rel));
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);
	assert_int_equal(lookup(g, "a.md", A, &first, &last), GITDATE_FOUND);
	assert_int_equal(first.sec, 1609488000);
	assert_int_equal(first.off, 7200);
	assert_int_equal(last.sec, first.sec);
	assert_int_equal(lookup(g, "a.md", A "more\n", &first, &last),
	    GITDATE_UNCOMMITTED);
	assert_int_equal(lookup(g, "b.md", A, &first, &last),
	    GITDATE_UNCOMMITTED);

	/*
	 * Without its objects, the repository could not be walked again: a
	 * refresh at the same HEAD must not try, and the dates stay.
	 */
	sh("2021-01-01T10:00:00Z", "mv .git/objects .git/objects.away && "
	    "mkdir .git/objects");
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);
	assert_int_equal(lookup(g, "a.md", A, &first, &last), GITDATE_FOUND);

	/* A new HEAD is walked: it fails once, loudly, then quietly. */
	sh("2021-01-01T10:00:00Z", "rm -r .git/objects && "
	    "mv .git/objects.away .git/objects && "
	    "echo x > x && git add x && git commit -q -m x && "
	    "mv .git/objects .git/objects.away && mkdir .git/objects");
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "cannot read the git history"));
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);
	assert_int_equal(lookup(g, "a.md", A, &first, &last), GITDATE_NONE);

	/* Repaired: the dates are back. */
	sh("2021-01-01T10:00:00Z", "rm -r .git/objects && "
	    "mv .git/objects.away .git/objects");
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);
	assert_int_equal(lookup(g, "a.md", A, &first, &last), GITDATE_FOUND);
	gitdates_free(g);
}

/* g and a fresh reading agree on the dates of each of the files. */
static void
assert_same_as_fresh(struct gitdates *g, const char *const *names,
    const char *const *texts, size_t n)
{
	struct gitdates *f = gitdates_new(rel);
	char why[256];

	assert_non_null(f);
	assert_int_equal(gitdates_refresh(f, why, sizeof(why)), 0);
	for (size_t i = 0; i < n; i++) {
		struct fp_time a1, a2, b1, b2;

		assert_int_equal(lookup(f, names[i], texts[i], &a1, &a2),
		    GITDATE_FOUND);
		assert_int_equal(lookup(g, names[i], texts[i], &b1, &b2),
		    GITDATE_FOUND);
		assert_int_equal(a1.sec, b1.sec);
		assert_int_equal(a2.sec, b2.sec);
	}
	gitdates_free(f);
}

#define B	"---\ntitle: B\n---\n\nA text that is long enough to be " \
		"recognised when its file is renamed.\n"

static void
test_new_commits_only(void **state)
{
	const char *names[] = { "a.md", "d/c.md", "x/b.md", "e.md" };
	const char *texts[] = { A "edit\n", B, A, A };
	struct gitdates *g;
	struct fp_time first, last;
	char why[256];

	(void)state;
	tu_put_file(rel, "a.md", A, 0);
	tu_put_file(rel, "x/b.md", A, 0);
	tu_put_file(rel, "c.md", B, 0);
	sh("2020-01-01T10:00:00Z",
	    "git -c init.defaultBranch=main init -q && git add -A && "
	    "git commit -q -m 1");
	tu_put_file(rel, "f.md", A, 0);
	sh("2020-02-01T10:00:00Z", "git add -A && git commit -q -m 2");
	assert_non_null(g = gitdates_new(rel));
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);

	/* Edited, renamed, added, removed: read from the old HEAD on. */
	tu_put_file(rel, "a.md", A "edit\n", 0);
	sh("2021-01-01T10:00:00Z", "git add -A && git commit -q -m 3 && "
	    "mkdir releases/d && git mv releases/c.md releases/d/c.md && "
	    "git rm -q releases/f.md && git commit -q -m 4");
	tu_put_file(rel, "e.md", A, 0);
	sh("2022-01-01T10:00:00Z", "git add -A && git commit -q -m 5");
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);
	assert_same_as_fresh(g, names, texts, 4);
	assert_int_equal(lookup(g, "d/c.md", B, &first, &last),
	    GITDATE_FOUND);
	assert_int_equal(first.sec, 1577872800);	/* 2020-01-01T10Z */
	assert_int_equal(lookup(g, "a.md", A "edit\n", &first, &last),
	    GITDATE_FOUND);
	assert_int_equal(first.sec, 1577872800);
	assert_int_equal(last.sec, 1609495200);		/* 2021-01-01T10Z */
	assert_int_equal(lookup(g, "f.md", A, &first, &last),
	    GITDATE_UNCOMMITTED);

	/* Back in time (not a descendant): read again from the start. */
	sh("2022-01-01T10:00:00Z", "git reset -q --hard HEAD~1");
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);
	assert_int_equal(lookup(g, "e.md", A, &first, &last),
	    GITDATE_UNCOMMITTED);
	assert_same_as_fresh(g, names, texts, 3);
	gitdates_free(g);
}

static void
test_not_a_repository(void **state)
{
	struct gitdates *g;
	struct fp_time first, last;
	char why[256];

	(void)state;
	tu_put_file(rel, "a.md", A, 0);
	assert_non_null(g = gitdates_new(rel));
	assert_int_equal(gitdates_refresh(g, why, sizeof(why)), 0);
	assert_int_equal(lookup(g, "a.md", A, &first, &last), GITDATE_NONE);
	gitdates_free(g);
	assert_int_equal(gitdates_lookup(NULL, "a.md", A, 1, &first, &last),
	    GITDATE_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_head_no_walk, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_commits_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_a_repository, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
