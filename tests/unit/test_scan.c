/*
 * Unit tests for feeds/scan.c on a temp tree of release files.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "feeds/date.h"
#include "feeds/meta.h"
#include "feeds/release.h"
#include "feeds/scan.h"
#include "feeds/store.h"

#include "testutil.h"

#define T0 1575964440	/* 2019-12-10T07:54:00Z */

/* What the error callback was told. */
struct seen {
	char path[256];
	size_t line;
	int errnum;
	bool clash;
	char msg[256];
};

static char root[64];
static struct store *store;
static struct seen errs[16];
static size_t nerrs;

static void
on_error(void *ud, const char *relpath, const struct release_error *err)
{
	assert_ptr_equal(ud, &nerrs);
	assert_true(nerrs < sizeof(errs) / sizeof(errs[0]));
	snprintf(errs[nerrs].path, sizeof(errs[nerrs].path), "%s", relpath);
	errs[nerrs].line = err->line;
	errs[nerrs].errnum = err->errnum;
	errs[nerrs].clash = err->clash;
	snprintf(errs[nerrs].msg, sizeof(errs[nerrs].msg), "%s", err->msg);
	nerrs++;
}

static int
make_root(void **state)
{
	(void)state;
	nerrs = 0;
	if (tu_mkdtemp(root, sizeof(root), "test_scan") < 0 ||
	    (store = store_new()) == NULL)
		return -1;
	return 0;
}

static int
remove_root(void **state)
{
	(void)state;
	tu_rm_tree(root);
	store_free(store);
	store = NULL;
	return 0;
}

/* Write root/rel (its folders made as needed) and set its mtime. */
static void
put_file(const char *rel, const char *text, time_t mtime)
{
	tu_put_file(root, rel, text, mtime);
}

static void
del_file(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(unlink(path), 0);
}

static int
scan1(const char *rel)
{
	return scan_file(&tu_meta, root, rel, store, on_error, &nerrs);
}

static void
assert_err(size_t i, const char *path, size_t line, const char *part)
{
	assert_true(i < nerrs);
	assert_string_equal(errs[i].path, path);
	assert_int_equal(errs[i].line, line);
	if (strstr(errs[i].msg, part) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", path, errs[i].msg, part);
}

static void
make_tree(void)
{
	put_file("2019/2019-12-10-a.md", "---\ndate: 2019-12-10\n---\n# A\n",
	    T0);
	put_file("2019/sub/b.txt", "B\n\nText.\n", T0);
	put_file("2019/bad-yaml.md", "---\ntitle: x\nsummary: a: b\n---\n",
	    T0);
	put_file("a/samma.md", "# Samma A\n", T0);
	put_file("b/samma.md", "# Samma B\n", T0);
	put_file("bad-utf8.txt", "Title\nbad \xC3\x28 byte\n", T0);
	put_file("c.md", "# C\n", T0);
	/* Skipped without a word. */
	put_file(".hidden/x.md", "# hidden folder\n", T0);
	put_file("2019/.git/y.md", "# hidden folder\n", T0);
	put_file(".dot.md", "# hidden file\n", T0);
	put_file("notes.html", "<p>not a release\n", T0);
	put_file("c.md~", "# backup\n", T0);
	put_file(".c.md.swp", "swap", T0);
	put_file("c.md.swp", "swap", T0);
	put_file("c.md.tmp", "tmp", T0);
	put_file("#c.md#", "autosave", T0);
	put_file("README", "read me", T0);
}

static void
test_scan_folder(void **state)
{
	struct release *r;

	(void)state;
	make_tree();
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 3);
	/* Once per bad file, in byte order of the paths. */
	assert_int_equal(nerrs, 3);
	assert_err(0, "2019/bad-yaml.md", 3, "invalid YAML");
	assert_err(1, "b/samma.md", 0, "a/samma.md");
	assert_err(2, "bad-utf8.txt", 2, "UTF-8");

	assert_int_equal(store_count(store), 4);
	r = store_get(store, "2019/2019-12-10-a.md");
	assert_non_null(r);
	assert_string_equal(r->title, "A");
	assert_true(r->has_date);
	r = store_get(store, "2019/sub/b.txt");
	assert_non_null(r);
	assert_string_equal(r->title, "B");
	assert_int_equal(r->date.sec, T0);	/* the mtime */
	assert_int_equal(r->mtime, T0);
	r = store_get(store, "a/samma.md");
	assert_non_null(r);
	assert_string_equal(r->title, "Samma A");
	assert_non_null(store_get(store, "c.md"));
	assert_null(store_get(store, "b/samma.md"));
	assert_null(store_get(store, ".hidden/x.md"));

	/*
	 * A rescan into a fresh store, the old one as prev: a deleted file
	 * is gone, and what the others inherit comes from prev.
	 */
	{
		struct store *fresh = store_new();

		nerrs = 0;
		del_file("c.md");
		assert_int_equal(scan_folder(&tu_meta, root, fresh, store,
		    on_error, &nerrs), 3);
		assert_int_equal(store_count(fresh), 3);
		assert_null(store_get(fresh, "c.md"));
		assert_non_null(store_get(fresh, "a/samma.md"));
		assert_int_equal(store_get(fresh, "2019/sub/b.txt")->date.sec,
		    T0);
		store_free(fresh);
	}
}

static void
collect_path(void *ud, const char *relpath)
{
	char *list = ud;

	strcat(list, relpath);
	strcat(list, ";");
}

static void
test_scan_paths(void **state)
{
	char list[1024] = "";

	(void)state;
	make_tree();
	/* Release files only, subfolders included, hidden ones not. */
	assert_int_equal(scan_paths(root, "2019", collect_path, list), 0);
	assert_non_null(strstr(list, "2019/2019-12-10-a.md;"));
	assert_non_null(strstr(list, "2019/sub/b.txt;"));
	assert_non_null(strstr(list, "2019/bad-yaml.md;"));
	assert_null(strstr(list, "a/"));
	assert_int_equal(scan_paths(root, "nonexistent", collect_path, list),
	    -1);
}

/* A rescan keeps an id with the file that held it, not the first path. */
static void
test_rescan_keeps_clash_winner(void **state)
{
	struct store *fresh = store_new();

	(void)state;
	put_file("z/news.md", "# Z version\n", T0);
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 0);
	put_file("a/news.md", "# A version\n", T0);
	/* Byte order alone would make a/news.md the winner. */
	assert_int_equal(scan_folder(&tu_meta, root, fresh, store, on_error,
	    &nerrs), 1);
	assert_int_equal(store_count(fresh), 1);
	assert_non_null(store_get(fresh, "z/news.md"));
	assert_null(store_get(fresh, "a/news.md"));
	assert_int_equal(nerrs, 1);
	assert_err(0, "a/news.md", 0, "same id as z/news.md");
	assert_true(errs[0].clash);
	assert_int_equal(errs[0].errnum, 0);
	store_free(fresh);
}

/* A folder that cannot be read fails the whole scan: no half tree. */
static void
test_scan_unreadable_folder(void **state)
{
	char sub[256];

	(void)state;
	if (geteuid() == 0)
		skip();	/* root reads any folder */
	make_tree();
	snprintf(sub, sizeof(sub), "%s/2019", root);
	chmod(sub, 0);
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), -1);
	chmod(sub, 0755);
}

static void
test_scan_missing_root(void **state)
{
	char dir[128];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/nope", root);
	errno = 0;
	assert_int_equal(scan_folder(&tu_meta, dir, store, NULL, on_error,
	    &nerrs), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(nerrs, 0);
	assert_int_equal(store_count(store), 0);
}

/*
 * scan.h: "in byte order of the paths"; docs: "the second one (in path
 * order) is reported". '-' sorts before '/', so 2019-arkiv/samma.md comes
 * before 2019/samma.md.
 */
static void
test_scan_path_order(void **state)
{
	(void)state;
	put_file("2019/samma.md", "# Ny\n", T0);
	put_file("2019-arkiv/samma.md", "# Gammal\n", T0);
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 1);
	assert_int_equal(nerrs, 1);
	assert_err(0, "2019/samma.md", 0, "2019-arkiv/samma.md");
	assert_non_null(store_get(store, "2019-arkiv/samma.md"));
}

static void
test_scan_file(void **state)
{
	struct release *r;

	(void)state;
	put_file("a.md", "# One\n", T0);
	assert_int_equal(scan1("a.md"), 0);
	assert_string_equal(store_get(store, "a.md")->title, "One");

	/* Changed: replaced. */
	put_file("a.md", "# Two\n", T0 + 60);
	assert_int_equal(scan1("a.md"), 0);
	assert_int_equal(store_count(store), 1);
	assert_string_equal(store_get(store, "a.md")->title, "Two");

	/* Broken: skipped, reported, out of the store. */
	put_file("a.md", "---\ndate: 2019-13-01\n---\n", T0 + 120);
	assert_int_equal(scan1("a.md"), -1);
	assert_int_equal(nerrs, 1);
	assert_err(0, "a.md", 2, "'date'");
	assert_null(store_get(store, "a.md"));

	/* Fixed again. */
	put_file("a.md", "# Three\n", T0 + 180);
	assert_int_equal(scan1("a.md"), 0);
	assert_string_equal(store_get(store, "a.md")->title, "Three");

	/* Vanished: removed, no error. */
	del_file("a.md");
	assert_int_equal(scan1("a.md"), 1);
	assert_null(store_get(store, "a.md"));
	assert_int_equal(store_count(store), 0);
	assert_int_equal(scan1("never.md"), 1);
	assert_int_equal(scan1("sub/never.md"), 1);

	/* Not a release file. */
	put_file("x.html", "<p>\n", T0);
	assert_int_equal(scan1("x.html"), 1);
	assert_int_equal(scan1("2019/x.md~"), 1);
	assert_int_equal(scan1("2019/.x.md"), 1);
	assert_int_equal(nerrs, 1);
	assert_int_equal(store_count(store), 0);

	/* In a subfolder, by its relative path. */
	put_file("2020/b.md", "# B\n", T0);
	assert_int_equal(scan1("2020/b.md"), 0);
	r = store_get(store, "2020/b.md");
	assert_non_null(r);
	assert_string_equal(r->path, "2020/b.md");
}

static void
test_scan_file_clash(void **state)
{
	(void)state;
	put_file("a/samma.md", "# A\n", T0);
	put_file("b/samma.md", "# B\n", T0);
	assert_int_equal(scan1("a/samma.md"), 0);
	assert_int_equal(scan1("b/samma.md"), -1);
	assert_int_equal(nerrs, 1);
	assert_err(0, "b/samma.md", 0, "a/samma.md");
	assert_null(store_get(store, "b/samma.md"));
	assert_string_equal(store_get(store, "a/samma.md")->title, "A");

	/* Given its own id, it is welcome. */
	put_file("b/samma.md", "---\nid: tag:x,2020:b\n---\n# B\n", T0);
	assert_int_equal(scan1("b/samma.md"), 0);
	assert_int_equal(store_count(store), 2);
}

static void
test_scan_symlinks(void **state)
{
	char link[256];

	(void)state;
	/* Dangling: an error, not a removal. */
	snprintf(link, sizeof(link), "%s/link.md", root);
	assert_int_equal(symlink("nowhere.md", link), 0);
	assert_int_equal(scan1("link.md"), -1);
	assert_int_equal(nerrs, 1);
	assert_err(0, "link.md", 0, "");
	assert_int_equal(errs[0].errnum, ENOENT);
	assert_null(store_get(store, "link.md"));

	/* Once the target exists, it is read through the link. */
	put_file("nowhere.md", "# Target\n", T0);
	assert_int_equal(scan1("link.md"), 0);
	assert_string_equal(store_get(store, "link.md")->title, "Target");

	/* The full scan reports the dangling one once. */
	nerrs = 0;
	del_file("nowhere.md");
	put_file("ok.md", "# OK\n", T0);
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 1);
	assert_int_equal(nerrs, 1);
	assert_err(0, "link.md", 0, "");
	assert_null(store_get(store, "link.md"));
	assert_non_null(store_get(store, "ok.md"));
	assert_int_equal(store_count(store), 1);
}

/* Edits without `updated`: the mtime becomes updated, date stays. */
static void
test_carry_over_dated(void **state)
{
	struct release *r;

	(void)state;
	put_file("a.md", "---\ndate: 2019-12-10T08:00:00+01:00\n---\n# A\n",
	    T0 + 100);
	assert_int_equal(scan1("a.md"), 0);
	r = store_get(store, "a.md");
	assert_int_equal(r->date.sec, T0 - 54 * 60);
	assert_int_equal(r->updated.sec, r->date.sec);

	put_file("a.md", "---\ndate: 2019-12-10T08:00:00+01:00\n---\n# A2\n",
	    T0 + 3600);
	assert_int_equal(scan1("a.md"), 0);
	r = store_get(store, "a.md");
	assert_string_equal(r->title, "A2");
	assert_int_equal(r->date.sec, T0 - 54 * 60);
	assert_int_equal(r->updated.sec, T0 + 3600);
	assert_int_equal(r->updated.off, 3600);

	/* Touched but not changed: updated stays. */
	put_file("a.md", "---\ndate: 2019-12-10T08:00:00+01:00\n---\n# A2\n",
	    T0 + 7200);
	assert_int_equal(scan1("a.md"), 0);
	r = store_get(store, "a.md");
	assert_int_equal(r->date.sec, T0 - 54 * 60);
	assert_int_equal(r->updated.sec, T0 + 3600);

	/* An `updated` in the file is the file's word. */
	put_file("a.md", "---\ndate: 2019-12-10T08:00:00+01:00\n"
	    "updated: 2019-12-10T09:00:00Z\n---\n# A3\n", T0 + 9000);
	assert_int_equal(scan1("a.md"), 0);
	r = store_get(store, "a.md");
	assert_int_equal(r->updated.sec, T0 - 54 * 60 + 7200);
	assert_int_equal(r->updated.off, 0);
}

/* Without a front matter date, the first date seen stays. */
static void
test_carry_over_undated(void **state)
{
	struct release *r;
	char *id;

	(void)state;
	put_file("b.md", "# B\n", T0);
	assert_int_equal(scan1("b.md"), 0);
	r = store_get(store, "b.md");
	assert_false(r->has_date);
	assert_int_equal(r->date.sec, T0);
	assert_int_equal(r->updated.sec, T0);
	id = strdup(r->id);
	assert_non_null(id);

	put_file("b.md", "# B\n\nMore.\n", T0 + 86400);
	assert_int_equal(scan1("b.md"), 0);
	r = store_get(store, "b.md");
	assert_int_equal(r->date.sec, T0);
	assert_int_equal(r->updated.sec, T0 + 86400);
	assert_string_equal(r->id, id);
	free(id);

	/* Touched only: both stay. */
	put_file("b.md", "# B\n\nMore.\n", T0 + 2 * 86400);
	assert_int_equal(scan1("b.md"), 0);
	r = store_get(store, "b.md");
	assert_int_equal(r->date.sec, T0);
	assert_int_equal(r->updated.sec, T0 + 86400);

	/* Edited again. */
	put_file("b.md", "# B\n\nEven more.\n", T0 + 3 * 86400);
	assert_int_equal(scan1("b.md"), 0);
	r = store_get(store, "b.md");
	assert_int_equal(r->date.sec, T0);
	assert_int_equal(r->updated.sec, T0 + 3 * 86400);

	/* Once gone, a new file of that name starts afresh. */
	del_file("b.md");
	assert_int_equal(scan1("b.md"), 1);
	put_file("b.md", "# B\n", T0 + 4 * 86400);
	assert_int_equal(scan1("b.md"), 0);
	assert_int_equal(store_get(store, "b.md")->date.sec, T0 + 4 * 86400);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_root, remove_root)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_scan_folder),
		T(test_scan_paths),
		T(test_rescan_keeps_clash_winner),
		T(test_scan_unreadable_folder),
		T(test_scan_missing_root),
		T(test_scan_path_order),
		T(test_scan_file),
		T(test_scan_file_clash),
		T(test_scan_symlinks),
		T(test_carry_over_dated),
		T(test_carry_over_undated),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
