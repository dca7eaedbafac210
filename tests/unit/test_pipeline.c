/*
 * Unit tests for daemon/pipeline.c: what each sequence of marks makes a
 * run read, rescans, id clashes across removals, the release history
 * (also when its database is locked) and the status line. Each test gets
 * a temp folder with releases/, out/ and a config; no event loop.
 */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config/config.h"
#include "daemon/pipeline.h"
#include "daemon/state.h"
#include "feeds/date.h"

#include "testutil.h"

#define T0 1700000000	/* 2023-11-14T22:13:20Z */

static char root[64], rel_dir[128];
static struct config *cfg;
static struct state *st;
static struct pipeline *p;

static int
setup(void **state)
{
	char path[TU_PATH_MAX];
	FILE *f;

	(void)state;
	if (tu_mkdtemp(root, sizeof(root), "test_pipeline") < 0)
		return -1;
	snprintf(rel_dir, sizeof(rel_dir), "%s/releases", root);
	if (mkdir(rel_dir, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/feedpubd.conf", root);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "[feed]\ntitle = Nyheter\nbase_url = "
	    "https://news.example.org/\ntag_date = 2000\ntimezone = "
	    "Europe/Stockholm\n\n[paths]\nreleases = %s/releases\noutput = "
	    "%s/out\nstate = %s/state\n", root, root, root);
	fclose(f);
	if ((cfg = config_load(path, stderr)) == NULL)
		return -1;
	st = NULL;
	p = NULL;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pipeline_free(p);
	state_close(st);
	config_free(cfg);
	tu_rm_tree(root);
	return 0;
}

/* A new pipeline, with the history database when history is true. */
static void
start(bool history)
{
	pipeline_free(p);
	state_close(st);
	st = NULL;
	if (history)
		assert_non_null(st = state_open(cfg->state_dir, STATE_CREATE, NULL, 0));
	assert_non_null(p = pipeline_new(cfg, st, NULL));
}

static void
put(const char *rel, const char *front, const char *body, time_t mtime)
{
	char text[1024];

	snprintf(text, sizeof(text), "---\n%s---\n\n%s\n", front, body);
	tu_put_file(rel_dir, rel, text, mtime);
}

/* A release file titled title, dated, with an id of its own. */
static void
put_titled(const char *rel, const char *title)
{
	char front[256];

	snprintf(front, sizeof(front), "title: %s\ndate: "
	    "2024-05-01T10:00:00+02:00\n", title);
	put(rel, front, "Text.", T0);
}

static void
rm(const char *rel)
{
	char path[TU_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", rel_dir, rel);
	assert_int_equal(unlink(path), 0);
}

static struct pipe_result
run(void)
{
	struct pipe_result res;

	assert_int_equal(pipeline_run(p, T0 + 86400 * 400, &res), 0);
	assert_int_equal(res.outcome, PIPE_PUBLISHED);
	return res;
}

/* a.md titled A1, read by a first run without history. */
static void
start_with_a1(void)
{
	put_titled("a.md", "A1");
	start(false);
	run();
}

/* The title the store holds for rel, or NULL. */
static const char *
title(const char *rel)
{
	struct release *r = pipeline_release(p, rel);

	return r != NULL ? r->title : NULL;
}

/* ---- what a run reads --------------------------------------------------- */

static void
test_first_run_reads_all_then_only_marks(void **state)
{
	struct pipe_result res;

	(void)state;
	put_titled("a.md", "A1");
	put_titled("b.md", "B1");
	start(false);
	res = run();
	assert_int_equal(res.entries, 2);
	assert_true(res.changed[FEED_ATOM] && res.changed[FEED_RSS]);
	assert_string_equal(title("a.md"), "A1");

	/* Unmarked changes are not read; a marked one is. */
	put_titled("a.md", "A2");
	put_titled("b.md", "B2");
	res = run();
	assert_false(res.changed[FEED_ATOM] || res.changed[FEED_RSS]);
	assert_string_equal(title("a.md"), "A1");
	pipeline_mark(p, "a.md", PIPE_DIRTY);
	res = run();
	assert_true(res.changed[FEED_ATOM]);
	assert_string_equal(title("a.md"), "A2");
	assert_string_equal(title("b.md"), "B1");
	/* The mark was used up. */
	put_titled("a.md", "A3");
	run();
	assert_string_equal(title("a.md"), "A2");
}

static void
test_writing_holds_back_until_dirty(void **state)
{
	(void)state;
	start_with_a1();
	pipeline_mark(p, "a.md", PIPE_WRITING);
	put_titled("a.md", "A2");
	run();
	assert_string_equal(title("a.md"), "A1");
	/* chmod or touch while being written: still held back. */
	pipeline_mark(p, "a.md", PIPE_TOUCHED);
	run();
	assert_string_equal(title("a.md"), "A1");
	pipeline_mark(p, "a.md", PIPE_DIRTY);
	run();
	assert_string_equal(title("a.md"), "A2");
}

static void
test_writing_after_dirty_holds_back(void **state)
{
	(void)state;
	start_with_a1();
	put_titled("a.md", "A2");
	pipeline_mark(p, "a.md", PIPE_DIRTY);
	pipeline_mark(p, "a.md", PIPE_WRITING);
	run();
	assert_string_equal(title("a.md"), "A1");
}

static void
test_touched_alone_rereads(void **state)
{
	(void)state;
	start_with_a1();
	put_titled("a.md", "A2");
	pipeline_mark(p, "a.md", PIPE_TOUCHED);
	run();
	assert_string_equal(title("a.md"), "A2");
}

static void
test_rescan_forgets_marks_made_before(void **state)
{
	(void)state;
	start_with_a1();
	pipeline_mark(p, "a.md", PIPE_WRITING);
	put_titled("a.md", "A2");
	put_titled("b.md", "B1");
	pipeline_rescan(p);
	run();
	assert_string_equal(title("a.md"), "A2");
	assert_string_equal(title("b.md"), "B1");
}

static void
test_rescan_keeps_a_file_being_written(void **state)
{
	(void)state;
	start_with_a1();
	/* Marked after the rescan was asked for: the new watch saw it. */
	pipeline_rescan(p);
	pipeline_mark(p, "a.md", PIPE_WRITING);
	put("a.md", "title: [half\n", "", T0);
	run();
	assert_string_equal(title("a.md"), "A1");
	assert_int_equal(pipeline_skipped(p), 0);
	put_titled("a.md", "A2");
	pipeline_mark(p, "a.md", PIPE_DIRTY);
	run();
	assert_string_equal(title("a.md"), "A2");
}

static void
test_bad_file_counted_until_fixed(void **state)
{
	(void)state;
	put_titled("a.md", "A1");
	put("b.md", "title: [unclosed\n", "", T0);
	start(false);
	run();
	assert_int_equal(pipeline_skipped(p), 1);
	assert_null(title("b.md"));
	put_titled("b.md", "B1");
	pipeline_mark(p, "b.md", PIPE_DIRTY);
	run();
	assert_int_equal(pipeline_skipped(p), 0);
	assert_string_equal(title("b.md"), "B1");
}

/* ---- ids: removals first, clash losers retried ---------------------------- */

static const char same_id[] = "title: Same\ndate: 2024-05-01T10:00:00+02:00\n"
    "id: tag:news.example.org,2000:samma\n";

static void
test_rename_keeps_its_id(void **state)
{
	char from[TU_PATH_MAX], to[TU_PATH_MAX];

	(void)state;
	put("c.md", same_id, "Text.", T0);
	start(false);
	run();
	/* c.md -> a.md: a sorts first, so its id must be free by then. */
	snprintf(from, sizeof(from), "%s/c.md", rel_dir);
	snprintf(to, sizeof(to), "%s/a.md", rel_dir);
	assert_int_equal(rename(from, to), 0);
	pipeline_mark(p, "c.md", PIPE_DIRTY);
	pipeline_mark(p, "a.md", PIPE_DIRTY);
	run();
	assert_string_equal(title("a.md"), "Same");
	assert_null(title("c.md"));
	assert_int_equal(pipeline_skipped(p), 0);
}

static void
test_clash_loser_published_when_winner_goes(void **state)
{
	(void)state;
	put("a.md", same_id, "Text.", T0);
	put("b.md", same_id, "Text.", T0);
	start(false);
	run();
	assert_non_null(title("a.md"));	/* byte order: a wins */
	assert_null(title("b.md"));
	assert_int_equal(pipeline_skipped(p), 1);
	rm("a.md");
	pipeline_mark(p, "a.md", PIPE_DIRTY);
	run();
	assert_null(title("a.md"));
	assert_string_equal(title("b.md"), "Same");
	assert_int_equal(pipeline_skipped(p), 0);
}

static void
test_folder_gone_retries_clash_losers(void **state)
{
	char sub[TU_PATH_MAX];

	(void)state;
	put("a/x.md", same_id, "Text.", T0);
	put("z.md", same_id, "Text.", T0);
	start(false);
	run();
	assert_non_null(title("a/x.md"));
	assert_null(title("z.md"));
	snprintf(sub, sizeof(sub), "%s/a", rel_dir);
	tu_rm_tree(sub);
	pipeline_folder_gone(p, "a");
	assert_int_equal(pipeline_releases(p), 0);
	run();
	assert_string_equal(title("z.md"), "Same");
}

static void
test_new_folder_read_except_what_is_being_written(void **state)
{
	(void)state;
	start(false);
	run();
	put_titled("ny/a.md", "A1");
	put_titled("ny/b.md", "B1");
	pipeline_mark(p, "ny/b.md", PIPE_WRITING);
	pipeline_mark_folder(p, "ny");
	run();
	assert_string_equal(title("ny/a.md"), "A1");
	assert_null(title("ny/b.md"));
	pipeline_mark(p, "ny/b.md", PIPE_DIRTY);
	run();
	assert_string_equal(title("ny/b.md"), "B1");
}

/* ---- a folder moved in, listed in slices -------------------------------- */

/* Runs as finely sliced as can be until one publishes: how many before. */
static size_t
run_sliced(void)
{
	struct pipe_result res;
	size_t more = 0;
	int rc;

	while ((rc = pipeline_run(p, T0 + 86400 * 400, &res)) == 1) {
		assert_int_equal(res.outcome, PIPE_MORE);
		assert_true(++more < 100000);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(res.outcome, PIPE_PUBLISHED);
	return more;
}

/* n release files under dir, titled and named prefix-000, -001 ... */
static void
put_many(const char *dir, const char *prefix, int n)
{
	char rel[160], title[64];

	for (int i = 0; i < n; i++) {
		snprintf(title, sizeof(title), "%s-%03d", prefix, i);
		snprintf(rel, sizeof(rel), "%s/%s.md", dir, title);
		put_titled(rel, title);
	}
}

static void
move(const char *from, const char *to)
{
	assert_int_equal(rename(from, to), 0);
}

/*
 * The nastiest order for a folder moved in: replaced by another of the
 * same name while it is being listed, the listing going on a slice in
 * the old one before the events say so. Nothing is published before the
 * new folder is listed whole, and then exactly its files are.
 */
static void
test_folder_replaced_while_listed(void **state)
{
	char in[TU_PATH_MAX], aside[TU_PATH_MAX];
	struct pipe_result res;

	(void)state;
	start(false);
	run();
	pipeline_slice(p, 1e-6);
	put_many("in", "old", 600);
	pipeline_mark_folder(p, "in");
	assert_int_equal(pipeline_run(p, T0, &res), 1);
	assert_int_equal(res.outcome, PIPE_MORE);
	snprintf(in, sizeof(in), "%s/in", rel_dir);
	snprintf(aside, sizeof(aside), "%s/aside", root);
	move(in, aside);
	put_many("in", "new", 300);
	/* The listing goes on in the folder it has open, now elsewhere. */
	assert_int_equal(pipeline_run(p, T0, &res), 1);
	pipeline_folder_gone(p, "in");
	pipeline_mark_folder(p, "in");
	assert_true(run_sliced() > 300);
	assert_int_equal(pipeline_releases(p), 300);
	assert_string_equal(title("in/new-000.md"), "new-000");
	assert_string_equal(title("in/new-299.md"), "new-299");
	assert_null(title("in/old-000.md"));
	assert_null(title("in/old-599.md"));
	tu_rm_tree(aside);
}

/*
 * A publish asked for while a batch is read (an embargo ends, a retry)
 * waits for the batch's last run: the store holds only part of the
 * folder meanwhile.
 */
static void
test_publish_waits_for_the_batch(void **state)
{
	struct pipe_result res;
	int more = 0;

	(void)state;
	start(false);
	run();
	pipeline_slice(p, 1e-6);
	put_many("in", "n", 600);
	pipeline_mark_folder(p, "in");
	while (pipeline_releases(p) == 0) {
		assert_int_equal(pipeline_run(p, T0, &res), 1);
		assert_true(++more < 1000);
	}
	assert_int_equal(pipeline_publish(p, T0, &res), 1);
	assert_int_equal(res.outcome, PIPE_MORE);
	assert_int_equal(pipeline_entries(p), 0);
	run_sliced();
	assert_int_equal(pipeline_releases(p), 600);
	assert_true(pipeline_entries(p) > 0);
}

/* Moved out again while listed: none of it is published. */
static void
test_folder_moved_out_while_listed(void **state)
{
	char in[TU_PATH_MAX], aside[TU_PATH_MAX];
	struct pipe_result res;

	(void)state;
	start(false);
	run();
	pipeline_slice(p, 1e-6);
	put_many("in/a", "a", 400);
	put_many("in/b", "b", 400);
	pipeline_mark_folder(p, "in");
	assert_int_equal(pipeline_run(p, T0, &res), 1);
	snprintf(in, sizeof(in), "%s/in", rel_dir);
	snprintf(aside, sizeof(aside), "%s/aside", root);
	move(in, aside);
	pipeline_folder_gone(p, "in");
	run_sliced();
	assert_int_equal(pipeline_releases(p), 0);
	tu_rm_tree(aside);
}

/*
 * Inside the folder moved in: symlinks to itself and to its parent (a
 * loop, if followed), a FIFO with a release's name (blocks if opened), a
 * subfolder a link away, and folders nested deeper than the walk keeps
 * open. The listing ends, and publishes the regular files once each.
 */
static void
test_folder_with_loops_and_fifo_listed(void **state)
{
	char path[TU_PATH_MAX], deep[128] = "in";

	(void)state;
	start(false);
	run();
	pipeline_slice(p, 1e-6);
	put_many("in", "top", 300);
	for (int i = 0; i < 40; i++)
		strcat(deep, "/d");
	put_many(deep, "deep", 3);
	snprintf(path, sizeof(path), "%s/in/self", rel_dir);
	assert_int_equal(symlink(".", path), 0);
	snprintf(path, sizeof(path), "%s/in/up", rel_dir);
	assert_int_equal(symlink("..", path), 0);
	snprintf(path, sizeof(path), "%s/in/d/via-link", rel_dir);
	assert_int_equal(symlink("..", path), 0);
	snprintf(path, sizeof(path), "%s/in/fifo.md", rel_dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	pipeline_mark_folder(p, "in");
	run_sliced();
	assert_int_equal(pipeline_releases(p), 303);
	snprintf(path, sizeof(path), "%s/deep-002.md", deep);
	assert_string_equal(title(path), "deep-002");
	assert_null(title("in/self/top-000.md"));
	assert_null(title("in/fifo.md"));
}

/* ---- the site's sweep across plans -------------------------------------- */

/* The pages in out/releases. */
static int
pages_out(void)
{
	char dir[TU_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/out/releases", root);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".html") != NULL;
	closedir(d);
	return n;
}

/* Runs sliced until the site is written whole. */
static void
run_site_whole(void)
{
	struct pipe_result res;
	int rc, runs = 0;

	while ((rc = pipeline_run(p, T0 + 86400 * 400, &res)) == 1 ||
	    res.site_more)
		assert_true(++runs < 100000);
	assert_int_equal(rc, 0);
}

/*
 * Issue 13's sweep lists releases/ only when a release left or was
 * renamed. A sweep of releases/ cut short by the slice (more than 64
 * pages to remove), then a release arriving before the next slice: the
 * site is planned again, and the pages the sweep had not removed yet
 * must still go.
 */
static void
test_site_sweep_cut_short_then_a_new_release(void **state)
{
	struct pipe_result res;
	char rel[64];
	int runs = 0;

	(void)state;
	put_many("g", "gone", 200);
	put_titled("keep.md", "Keep");
	start(false);
	run();
	assert_int_equal(pages_out(), 201);
	for (int i = 0; i < 200; i++) {
		snprintf(rel, sizeof(rel), "g/gone-%03d.md", i);
		rm(rel);
		pipeline_mark(p, rel, PIPE_DIRTY);
	}
	pipeline_slice(p, 1e-6);
	/* Until the sweep has removed some of the pages, not all. */
	while (pages_out() == 201) {
		assert_true(pipeline_run(p, T0 + 86400 * 400, &res) == 1 ||
		    res.site_more);
		assert_true(++runs < 100000);
	}
	assert_true(pages_out() > 1);
	put_titled("ny.md", "Ny");
	pipeline_mark(p, "ny.md", PIPE_DIRTY);
	run_site_whole();
	pipeline_slice(p, 0);
	run();
	assert_int_equal(pages_out(), 2);
}

static bool
page_there(const char *slug)
{
	char path[TU_PATH_MAX];

	snprintf(path, sizeof(path), "%s/out/releases/%s.html", root, slug);
	return access(path, F_OK) == 0;
}

static void
move_release(const char *from, const char *to)
{
	char a[TU_PATH_MAX], b[TU_PATH_MAX];

	snprintf(a, sizeof(a), "%s/%s", rel_dir, from);
	snprintf(b, sizeof(b), "%s/%s", rel_dir, to);
	move(a, b);
	pipeline_mark(p, from, PIPE_DIRTY);
	pipeline_mark(p, to, PIPE_DIRTY);
}

/*
 * Renamed, its page made under the new name by a slice, then renamed
 * back before the site's sweep: the page of the name between is none of
 * a fresh build's, and must go (the release is where it was).
 */
static void
test_site_renamed_and_back_before_the_sweep(void **state)
{
	struct pipe_result res;
	int runs = 0;

	(void)state;
	put("x.md", "title: X\ndate: 2024-06-01T10:00:00+02:00\n"
	    "id: tag:news.example.org,2000:x\n", "Text.", T0);
	put_many("o", "old", 5);
	start(false);
	run();
	assert_true(page_there("x"));
	pipeline_slice(p, 1e-6);
	move_release("x.md", "y.md");
	while (!page_there("y")) {
		assert_true(pipeline_run(p, T0 + 86400 * 400, &res) == 1 ||
		    res.site_more);
		assert_true(++runs < 100000);
	}
	move_release("y.md", "x.md");
	run_site_whole();
	pipeline_slice(p, 0);
	run();
	assert_true(page_there("x"));
	assert_false(page_there("y"));
	assert_int_equal(pages_out(), 6);
}

/*
 * pages-slugs is the daemon's own, but read as found: a slug no release
 * can have (a path out of releases/, none, one too long for a name)
 * makes no redirect page, anywhere.
 */
static void
test_site_hostile_pages_slugs(void **state)
{
	char path[TU_PATH_MAX], line[1024];
	FILE *f;

	(void)state;
	put("x.md", "title: X\ndate: 2024-06-01T10:00:00+02:00\n"
	    "id: tag:news.example.org,2000:x\n", "Text.", T0);
	snprintf(path, sizeof(path), "%s/state", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/state/pages-slugs", root);
	assert_non_null(f = fopen(path, "w"));
	memset(line, 'a', 600);
	line[600] = '\0';
	fprintf(f, "P\t../../escape\ttag:news.example.org,2000:x\n"
	    "R\t../../escape-r\ttag:news.example.org,2000:x\n"
	    "R\t\ttag:news.example.org,2000:x\n"
	    "R\tsub/dir\ttag:news.example.org,2000:x\n"
	    "R\t%s\ttag:news.example.org,2000:x\n"
	    "R\tgammal\ttag:news.example.org,2000:x\n", line);
	fclose(f);
	start(false);
	run();
	snprintf(path, sizeof(path), "%s/escape.html", root);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/escape-r.html", root);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/out/releases/sub", root);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_false(page_there(""));
	/* Only the page and the one redirect a release could have left. */
	assert_true(page_there("x"));
	assert_true(page_there("gammal"));
	assert_int_equal(pages_out(), 2);
}

/* Whether out/releases/slug.html names url. */
static bool
page_names(const char *slug, const char *url)
{
	char path[TU_PATH_MAX], buf[8192];
	size_t got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/out/releases/%s.html", root, slug);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	return strstr(buf, url) != NULL;
}

/*
 * A reload (SIGHUP) between the slice that made a renamed release's page
 * and the site's sweep: what the sweep kept in memory is gone, and
 * pages-slugs, read again, still gives the old name its redirect.
 */
static void
test_site_reload_between_page_and_sweep(void **state)
{
	struct pipe_result res;
	char path[TU_PATH_MAX];
	int runs = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/state", root);
	assert_int_equal(mkdir(path, 0755), 0);
	put("x.md", "title: X\ndate: 2024-06-01T10:00:00+02:00\n"
	    "id: tag:news.example.org,2000:x\n", "Text.", T0);
	put_many("o", "old", 5);
	start(false);
	run();
	pipeline_slice(p, 1e-6);
	move_release("x.md", "y.md");
	while (!page_there("y")) {
		assert_true(pipeline_run(p, T0 + 86400 * 400, &res) == 1 ||
		    res.site_more);
		assert_true(++runs < 100000);
	}
	pipeline_configure(p, cfg);
	run_site_whole();
	pipeline_slice(p, 0);
	run();
	assert_true(page_there("y"));
	assert_true(page_names("x", "releases/y.html"));
	assert_int_equal(pages_out(), 7);
}

/*
 * Once the site was swept (what it keeps in memory is used), in one
 * publish: two releases swap names, a third takes the name a fourth
 * leaves. Each name is its release's page, no redirect; then the fourth
 * renamed back: its page again, and the third's old name a redirect.
 */
static void
test_site_swaps_and_takeovers(void **state)
{
	char path[TU_PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/state", root);
	assert_int_equal(mkdir(path, 0755), 0);
	put("a.md", "title: Alfa\nid: tag:news.example.org,2000:a\n", "A.",
	    T0);
	put("b.md", "title: Beta\nid: tag:news.example.org,2000:b\n", "B.",
	    T0);
	put("d.md", "title: Delta\nid: tag:news.example.org,2000:d\n", "D.",
	    T0);
	start(false);
	run();
	run();
	put("a.md", "title: Beta\nid: tag:news.example.org,2000:b\n", "B.",
	    T0);
	put("b.md", "title: Alfa\nid: tag:news.example.org,2000:a\n", "A.",
	    T0);
	move_release("d.md", "e.md");
	put("d.md", "title: Gamma\nid: tag:news.example.org,2000:c\n", "C.",
	    T0);
	pipeline_mark(p, "a.md", PIPE_DIRTY);
	pipeline_mark(p, "b.md", PIPE_DIRTY);
	run();
	assert_true(page_names("a", "Beta"));
	assert_true(page_names("b", "Alfa"));
	assert_true(page_names("d", "Gamma"));
	assert_true(page_names("e", "Delta"));
	assert_int_equal(pages_out(), 4);
	/* Gamma to f, Delta back to d. */
	move_release("d.md", "f.md");
	move_release("e.md", "d.md");
	run();
	assert_true(page_names("d", "Delta"));
	assert_true(page_names("f", "Gamma"));
	assert_true(page_names("e", "releases/d.html"));
	assert_int_equal(pages_out(), 5);
}

/* Release i of the sub-feed test: tag t-(i % 3), a month apart. */
static void
put_tagged(int i, const char *body)
{
	char rel[64], front[256];

	snprintf(rel, sizeof(rel), "t/r-%02d.md", i);
	snprintf(front, sizeof(front), "title: R%d\ndate: %04d-%02d-01T10:00:00"
	    "+02:00\ntags: [t-%d]\n", i, 2022 + i / 12, i % 12 + 1, i % 3);
	put(rel, front, body, T0);
}

/* Whether the file under out/ holds s. */
static bool
out_holds(const char *rel, const char *s)
{
	char path[TU_PATH_MAX], buf[65536];
	size_t got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/out/%s", root, rel);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	return strstr(buf, s) != NULL;
}

/*
 * Bodies kept past their page for the sub-feeds and archives, with the
 * site in slices: releases read again and removed between the slices
 * (between a page and the feeds). The sub-feeds hold each release's
 * last text, never an earlier one's (run under ASan: no use after free,
 * no leak).
 */
static void
test_site_kept_bodies_across_slices(void **state)
{
	char path[TU_PATH_MAX], body[64], rel[64];
	struct pipe_result res;
	FILE *f;
	int runs = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/feedpubd.conf", root);
	assert_non_null(f = fopen(path, "a"));
	fprintf(f, "\n[feed]\nmax_entries = 3\ntag_feeds = true\n"
	    "archives = true\n");
	fclose(f);
	config_free(cfg);
	assert_non_null(cfg = config_load(path, stderr));
	for (int i = 0; i < 30; i++)
		put_tagged(i, "Version one.");
	start(false);
	run();
	assert_true(out_holds("tags/t-0.atom", "Version one."));
	for (int i = 0; i < 30; i++) {
		put_tagged(i, "Version two.");
		snprintf(rel, sizeof(rel), "t/r-%02d.md", i);
		pipeline_mark(p, rel, PIPE_DIRTY);
	}
	pipeline_slice(p, 1e-6);
	/* Every third slice: one release read again (or gone). */
	for (int k = 0; k < 30 || runs < 120; runs++) {
		if (k < 30 && runs % 3 == 2) {
			snprintf(body, sizeof(body), "Version three %d.", k);
			snprintf(rel, sizeof(rel), "t/r-%02d.md", k);
			if (k % 7 == 6)
				rm(rel);
			else
				put_tagged(k, body);
			pipeline_mark(p, rel, PIPE_DIRTY);
			k++;
		}
		(void)pipeline_run(p, T0 + 86400 * 400, &res);
		assert_true(runs < 100000);
	}
	run_site_whole();
	pipeline_slice(p, 0);
	run();
	assert_true(out_holds("tags/t-0.atom", "Version three 24."));
	assert_true(out_holds("tags/t-2.atom", "Version three 29."));
	assert_true(out_holds("feed-archive/tags/t-0/2022.atom",
	    "Version three 0."));
	assert_true(out_holds("feed-archive/2022-01.atom",
	    "Version three 0."));
	assert_true(out_holds("releases/r-00.html", "Version three 0."));
	for (int i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "tags/t-%d.atom", i);
		assert_false(out_holds(rel, "Version one."));
		assert_false(out_holds(rel, "Version two."));
		snprintf(rel, sizeof(rel), "feed-archive/tags/t-%d/2022.atom",
		    i);
		assert_false(out_holds(rel, "Version one."));
		assert_false(out_holds(rel, "Version two."));
	}
	assert_false(out_holds("feed-archive/tags/t-0/2022.atom",
	    "Version three 6."));
}

static void
test_unreadable_root_publishes_nothing(void **state)
{
	struct pipe_result res;
	char moved[TU_PATH_MAX];

	(void)state;
	start_with_a1();
	snprintf(moved, sizeof(moved), "%s/elsewhere", root);
	assert_int_equal(rename(rel_dir, moved), 0);
	pipeline_rescan(p);
	assert_int_equal(pipeline_run(p, T0, &res), -1);
	assert_int_equal(res.outcome, PIPE_UNREAD);
	assert_string_equal(title("a.md"), "A1");	/* kept */
	assert_int_equal(rename(moved, rel_dir), 0);
	run();			/* the rescan is still owed */
	assert_string_equal(title("a.md"), "A1");
}

/* ---- the release history -------------------------------------------------- */

static const char undated[] = "title: Odaterad\n";

static void
test_history_keeps_dates_across_restarts(void **state)
{
	struct seen_release seen;
	struct release *r;

	(void)state;
	put("u.md", undated, "Första.", T0);
	put_titled("d.md", "Daterad");
	start(true);
	run();
	assert_int_equal(pipeline_release(p, "u.md")->date.sec, T0);
	assert_int_equal(state_release_get(st, pipeline_release(p,
	    "d.md")->id, &seen), 1);
	assert_true(seen.has_date);
	assert_int_equal(state_release_get(st, pipeline_release(p,
	    "u.md")->id, &seen), 1);
	assert_false(seen.has_date);

	/* Touched, not changed, while not running: nothing moves. */
	tu_set_mtime(rel_dir, "u.md", T0 + 500);
	start(true);
	run();
	r = pipeline_release(p, "u.md");
	assert_int_equal(r->date.sec, T0);
	assert_int_equal(r->updated.sec, T0);

	/* Edited while not running: updated is the mtime, date stays. */
	put("u.md", undated, "Andra.", T0 + 900);
	start(true);
	run();
	r = pipeline_release(p, "u.md");
	assert_int_equal(r->date.sec, T0);
	assert_int_equal(r->updated.sec, T0 + 900);
}

/* A database from before has_date: migrated, its dates still kept. */
static void
test_history_from_an_older_database(void **state)
{
	char path[TU_PATH_MAX], *sql;
	struct seen_release seen;
	sqlite3 *db;
	sqlite3_stmt *q;

	(void)state;
	assert_int_equal(mkdir(cfg->state_dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/feedpubd.db", cfg->state_dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sql = sqlite3_mprintf("CREATE TABLE releases (id TEXT PRIMARY KEY, "
	    "published INTEGER NOT NULL, published_off INTEGER NOT NULL, "
	    "updated INTEGER NOT NULL, updated_off INTEGER NOT NULL, "
	    "digest BLOB NOT NULL); INSERT INTO releases VALUES ("
	    "'tag:news.example.org,2000:gammal', %d, 3600, %d, 3600, "
	    "zeroblob(32));", T0 - 1000, T0 - 1000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);

	put("u.md", "title: Gammal\nid: tag:news.example.org,2000:gammal\n",
	    "Text.", T0);
	start(true);
	run();
	/* Published as first seen; the text changed: updated is the mtime. */
	assert_int_equal(pipeline_release(p, "u.md")->date.sec, T0 - 1000);
	assert_int_equal(pipeline_release(p, "u.md")->updated.sec, T0);
	assert_int_equal(state_release_get(st,
	    "tag:news.example.org,2000:gammal", &seen), 1);
	assert_false(seen.has_date);
	assert_int_equal(seen.updated.sec, T0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_true(sqlite3_column_int(q, 0) >= 1);	/* and on */
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* The history's database locked by another process during a run. */
static void
test_history_owed_while_locked(void **state)
{
	char path[TU_PATH_MAX];
	struct seen_release seen;
	sqlite3 *other;

	(void)state;
	put_titled("a.md", "A1");
	start(true);
	run();
	snprintf(path, sizeof(path), "%s/feedpubd.db", cfg->state_dir);
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	put("u.md", undated, "Text.", T0 + 60);
	pipeline_mark(p, "u.md", PIPE_DIRTY);
	run();			/* publishes, the history waits */
	assert_int_equal(pipeline_release(p, "u.md")->date.sec, T0 + 60);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(state_release_get(st, pipeline_release(p,
	    "u.md")->id, &seen), 0);
	/* The next run, with nothing marked, saves what is owed. */
	run();
	assert_int_equal(state_release_get(st, pipeline_release(p,
	    "u.md")->id, &seen), 1);
	assert_int_equal(seen.published.sec, T0 + 60);
}

/* ---- the status line ------------------------------------------------------ */

static void
test_status_line(void **state)
{
	char line[512];
	regex_t re;

	(void)state;
	put_titled("a.md", "A1");
	put("b.md", "title: [unclosed\n", "", T0);
	put("later.md", "title: Sen\ndate: 2030-01-01T00:00:00Z\n", "x",
	    T0);
	start(false);
	pipeline_status(p, line, sizeof(line));
	assert_string_equal(line, "0 releases, 0 in feeds, 0 publishes, last "
	    "never (0.0 ms), 0 skipped");
	run();
	pipeline_status(p, line, sizeof(line));
	assert_int_equal(regcomp(&re, "^2 releases, 1 in feeds, 1 publishes, "
	    "last [0-9]{2}:[0-9]{2}:[0-9]{2} \\([0-9]+\\.[0-9] ms\\), "
	    "1 skipped, next embargo 2030-01-01T01:00:00\\+01:00$",
	    REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, line, 0, NULL, 0), 0);
	regfree(&re);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_first_run_reads_all_then_only_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writing_holds_back_until_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writing_after_dirty_holds_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touched_alone_rereads,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_rescan_forgets_marks_made_before, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_rescan_keeps_a_file_being_written, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_file_counted_until_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_keeps_its_id,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_clash_loser_published_when_winner_goes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_folder_gone_retries_clash_losers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_new_folder_read_except_what_is_being_written, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_unreadable_root_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_keeps_dates_across_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_from_an_older_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_owed_while_locked,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_folder_replaced_while_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_folder_moved_out_while_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_publish_waits_for_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_folder_with_loops_and_fifo_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_site_sweep_cut_short_then_a_new_release, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_site_renamed_and_back_before_the_sweep, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_site_hostile_pages_slugs, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_site_reload_between_page_and_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_site_swaps_and_takeovers,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_site_kept_bodies_across_slices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_line, setup,
		    teardown),
	};

	if (tu_setup_zone(NULL) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
