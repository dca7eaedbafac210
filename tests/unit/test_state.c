/*
 * Unit tests for daemon/state.c: the pending pings' delivery ids (one per
 * queued change, the same across retries and reopening, a new one for a
 * new change), for config targets and the hub's queue alike, the
 * migration that gives rows of an older database theirs, reading the
 * due rows a few at a time past a cursor, the queue's batches, and the
 * walks of the history a start makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "daemon/state.h"

#include "testutil.h"

#define T0	1700000000.0
#define FEED	"https://news.example.org/feed.atom"

static char dir[64];
static struct state *st;

static int
setup(void **state)
{
	(void)state;
	st = NULL;
	return tu_mkdtemp(dir, sizeof(dir), "test_state");
}

static int
teardown(void **state)
{
	(void)state;
	state_close(st);
	tu_rm_tree(dir);
	return 0;
}

static void
reopen(void)
{
	state_close(st);
	assert_non_null(st = state_open(dir, STATE_CREATE, NULL, 0));
}

/* 32 lower-case hex digits. */
static void
assert_id(const char *id)
{
	assert_non_null(id);
	assert_int_equal(strlen(id), 32);
	assert_int_equal(strspn(id, "0123456789abcdef"), 32);
}

/* The one pending row: a copy of its delivery id, and its gen. */
static char *
only_row(int64_t *gen)
{
	struct pending_ping *v;
	size_t n;
	char *id;

	assert_int_equal(state_ping_list(st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_id(v[0].delivery);
	id = strdup(v[0].delivery);
	if (gen != NULL)
		*gen = v[0].gen;
	state_pings_free(v, n);
	return id;
}

static void
test_id_kept_by_retry_and_reopen(void **state)
{
	char *a, *b, *c;
	int64_t gen;

	(void)state;
	reopen();
	assert_int_equal(state_ping_add(st, "hook", FEED, "[]", T0), 0);
	a = only_row(&gen);
	assert_int_equal(gen, 1);
	/* A failed try: retried later, the same delivery. */
	assert_int_equal(state_ping_retry(st, "hook", FEED, 1, T0 + 1, "503"),
	    0);
	b = only_row(NULL);
	assert_string_equal(a, b);
	free(b);
	/* A restart (the daemon killed before the answer). */
	reopen();
	b = only_row(NULL);
	assert_string_equal(a, b);
	free(b);
	/* A new change merged into it: another delivery. */
	assert_int_equal(state_ping_add(st, "hook", FEED, "[1]", T0 + 2), 0);
	b = only_row(&gen);
	assert_int_equal(gen, 2);
	assert_string_not_equal(a, b);
	/* The old gen's answer leaves it; its own deletes it. */
	assert_int_equal(state_ping_done(st, "hook", FEED, 1), 0);
	free(only_row(NULL));
	assert_int_equal(state_ping_done(st, "hook", FEED, 2), 0);
	assert_int_equal(state_ping_count(st), 0);
	/* The next change after a delivery: a third id. */
	assert_int_equal(state_ping_add(st, "hook", FEED, "[2]", T0 + 3), 0);
	c = only_row(&gen);
	assert_int_equal(gen, 1);
	assert_string_not_equal(c, a);
	assert_string_not_equal(c, b);
	free(a);
	free(b);
	free(c);
}

static void
test_each_target_its_own_id(void **state)
{
	struct pending_ping *v;
	size_t n;

	(void)state;
	reopen();
	assert_int_equal(state_ping_add(st, "a", FEED, NULL, T0), 0);
	assert_int_equal(state_ping_add(st, "b", FEED, NULL, T0), 0);
	assert_int_equal(state_ping_due(st, T0, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_id(v[0].delivery);
	assert_id(v[1].delivery);
	assert_string_not_equal(v[0].delivery, v[1].delivery);
	state_pings_free(v, n);
}

/* The hub queues many rows in one statement: an id per row. */
static void
test_hub_rows_get_ids(void **state)
{
	struct hub_sub s = { .topic = FEED, .host = "127.0.0.1",
	    .expires = T0 + 3600 };
	struct pending_ping *v, *w;
	size_t n, m;

	(void)state;
	reopen();
	s.callback = "http://127.0.0.1/one";
	assert_int_equal(state_hub_put(st, &s, T0), 0);
	s.callback = "http://127.0.0.1/two";
	assert_int_equal(state_hub_put(st, &s, T0), 0);
	assert_int_equal(state_hub_queue(st, FEED, "hub/", T0), 2);
	assert_int_equal(state_ping_list(st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_id(v[0].delivery);
	assert_id(v[1].delivery);
	assert_string_not_equal(v[0].delivery, v[1].delivery);
	/* A retry keeps it, a new change of the topic replaces it. */
	assert_int_equal(state_ping_retry(st, v[0].target, FEED, v[0].gen,
	    T0 + 1, "503"), 0);
	assert_int_equal(state_ping_list(st, &w, &m), 0);
	assert_int_equal(m, 2);
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++)
			if (strcmp(w[i].target, v[j].target) == 0)
				assert_string_equal(w[i].delivery,
				    v[j].delivery);
	state_pings_free(w, m);
	assert_int_equal(state_hub_queue(st, FEED, "hub/", T0 + 2), 2);
	assert_int_equal(state_ping_list(st, &w, &m), 0);
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(w[i].delivery, v[j].delivery);
	state_pings_free(w, m);
	state_pings_free(v, n);
}

#define NSUBS	300
#define PAGE	7

/* a's place (due, seq) against b's. */
static int
place_cmp(const struct pending_ping *a, const struct pending_ping *b)
{
	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * A hub's rows all due at the same time, a config target's due later and
 * one not due yet: page by page past the last row read, each due row
 * comes exactly once, in the queue's order, and the one not due never;
 * one queued later comes past the cursor once due. The hub's in order of
 * subscription, not of callback ("cb/10" sorts before "cb/2").
 */
static void
test_due_rows_paged_past_cursor(void **state)
{
	struct hub_sub s = { .topic = FEED, .host = "127.0.0.1",
	    .expires = T0 + 3600 };
	struct pending_ping *all, *v, last = { 0 };
	size_t nall, n, seen = 0;
	char cb[64], *last_target = NULL;
	long hub_id = 0;
	bool *got;

	(void)state;
	reopen();
	for (int i = 0; i < NSUBS; i++) {
		snprintf(cb, sizeof(cb), "http://127.0.0.1/cb/%d", i);
		s.callback = cb;
		assert_int_equal(state_hub_put(st, &s, T0), 0);
	}
	assert_int_equal(state_hub_queue(st, FEED, "hub/", T0), NSUBS);
	assert_int_equal(state_ping_add(st, "hook", FEED, NULL, T0 + 1), 0);
	assert_int_equal(state_ping_add(st, "later", FEED, NULL, T0 + 50), 0);
	assert_int_equal(state_ping_due(st, T0 + 1, &all, &nall), 0);
	assert_int_equal(nall, NSUBS + 1);
	assert_non_null(got = calloc(nall, sizeof(*got)));
	assert_int_equal(state_ping_due_max(st, T0 + 1, NULL, PAGE, &v, &n),
	    0);
	assert_int_equal(n, PAGE);
	for (size_t j = 0; j < nall; j++)	/* from the very first */
		assert_true(place_cmp(&all[j], &v[0]) >= 0);
	while (n > 0) {
		for (size_t i = 0; i < n; i++) {
			size_t j = 0;

			if (seen > 0 || i > 0)
				assert_true(place_cmp(&v[i], &last) > 0);
			while (j < nall && strcmp(all[j].target, v[i].target))
				j++;
			assert_true(j < nall);
			assert_false(got[j]);
			got[j] = true;
			if (strncmp(v[i].target, "hub/", 4) == 0) {
				assert_true(atol(v[i].target + 4) > hub_id);
				hub_id = atol(v[i].target + 4);
			}
			last.due = v[i].due;
			last.seq = v[i].seq;
			free(last_target);
			assert_non_null(last_target = strdup(v[i].target));
		}
		seen += n;
		state_pings_free(v, n);
		assert_int_equal(state_ping_due_max(st, T0 + 1, &last, PAGE,
		    &v, &n), 0);
		assert_true(n <= PAGE);
	}
	state_pings_free(v, n);
	assert_int_equal(seen, nall);
	assert_string_equal(last_target, "hook");
	/* Due later: past the cursor, once its time comes. */
	assert_int_equal(state_ping_due_max(st, T0 + 50, &last, PAGE, &v, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].target, "later");
	state_pings_free(v, n);
	free(last_target);
	free(got);
	state_pings_free(all, nall);
}

static void
sql(const char *path, const char *q)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * A row queued by a feedpubd from before delivery ids: --status reads it
 * (no id), the daemon's open gives it one, kept from then on.
 */
static void
test_older_database_migrated(void **state)
{
	char path[TU_PATH_MAX], *a, *b;
	struct pending_ping *v;
	size_t n;

	(void)state;
	reopen();
	state_close(st);
	st = NULL;
	snprintf(path, sizeof(path), "%s/feedpubd.db", dir);
	sql(path, "ALTER TABLE pings DROP COLUMN delivery;"
	    "DROP TABLE release_texts;"
	    "ALTER TABLE releases ADD COLUMN text BLOB;"
	    "PRAGMA user_version = 5;"
	    "INSERT INTO pings (target, feed, body, gen, first, due, attempts) "
	    "VALUES ('hook', '" FEED "', NULL, 3, 1, 1, 2);");
	assert_non_null(st = state_open(dir, STATE_READONLY, NULL, 0));
	assert_int_equal(state_ping_list(st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].gen, 3);
	assert_null(v[0].delivery);
	state_pings_free(v, n);
	reopen();
	a = only_row(NULL);
	reopen();
	b = only_row(NULL);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/*
 * A release history from before migration 7, texts in the releases rows:
 * the texts move to their own table, every row keeps its dates and path,
 * and a row saved without a text stays without one.
 */
static void
test_texts_moved_out_of_history(void **state)
{
	struct seen_release got = { .path = "a.md" };
	char path[TU_PATH_MAX], *text;

	(void)state;
	reopen();
	state_close(st);
	st = NULL;
	snprintf(path, sizeof(path), "%s/feedpubd.db", dir);
	sql(path, "DROP TABLE release_texts;"
	    "ALTER TABLE releases ADD COLUMN text BLOB;"
	    "PRAGMA user_version = 6;"
	    "INSERT INTO releases VALUES ('tag:a', 100, 60, 200, -120, "
	    "  zeroblob(32), 1, CAST('a.md' AS BLOB), CAST('body <a>' AS BLOB));"
	    "INSERT INTO releases VALUES ('tag:b', 300, 0, 400, 0, "
	    "  zeroblob(32), 0, CAST('b.md' AS BLOB), NULL);");
	reopen();
	assert_int_equal(state_release_get(st, "tag:a", &got), 1);
	assert_int_equal(got.published.sec, 100);
	assert_int_equal(got.published.off, 60);
	assert_int_equal(got.updated.sec, 200);
	assert_int_equal(got.updated.off, -120);
	assert_true(got.has_date);
	assert_true(got.same_path);
	assert_true(got.has_text);
	assert_non_null(text = state_release_text(st, "tag:a"));
	assert_string_equal(text, "body <a>");
	free(text);
	assert_string_equal(text = state_release_held(st, "b.md"), "tag:b");
	free(text);
	got.path = "b.md";
	assert_int_equal(state_release_get(st, "tag:b", &got), 1);
	assert_false(got.has_text);
	assert_null(state_release_text(st, "tag:b"));

	/* A put with no text drops the saved one (as the column did). */
	got.path = "a.md";
	got.text = NULL;
	assert_int_equal(state_release_put(st, "tag:a", &got), 0);
	assert_int_equal(state_release_get(st, "tag:a", &got), 1);
	assert_false(got.has_text);
	got.text = "new";
	assert_int_equal(state_release_put(st, "tag:a", &got), 0);
	reopen();
	assert_non_null(text = state_release_text(st, "tag:a"));
	assert_string_equal(text, "new");
	free(text);
}

/*
 * A batch begins only where no transaction is open (inside the
 * pipeline's it is that one's part), and what it wrote is there once
 * committed, gone when rolled back.
 */
static void
test_batch_only_outside_a_transaction(void **state)
{
	(void)state;
	assert_false(state_batch_begin(NULL));
	reopen();
	assert_true(state_batch_begin(st));
	assert_false(state_batch_begin(st));	/* open: not nested */
	assert_int_equal(state_ping_add(st, "a", FEED, NULL, T0), 0);
	assert_int_equal(state_commit(st), 0);
	assert_int_equal(state_ping_count(st), 1);

	assert_int_equal(state_begin(st), 0);
	assert_false(state_batch_begin(st));
	assert_int_equal(state_ping_done(st, "a", FEED, 1), 0);
	state_rollback(st);
	assert_int_equal(state_ping_count(st), 1);

	assert_true(state_batch_begin(st));
	assert_int_equal(state_ping_drop(st, "a", FEED), 0);
	assert_int_equal(state_commit(st), 0);
	reopen();
	assert_int_equal(state_ping_count(st), 0);
}

/* The size of dir/name in bytes, 0 when absent. */
static off_t
size_of(const char *name)
{
	char path[TU_PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/*
 * Commits no longer checkpoint in the loop's thread: the WAL must still
 * be copied back into the database (by the checkpoint thread), or it
 * would grow with every release ever saved. 3,000 releases of 3 KB in
 * 30 transactions (~2,300 pages, twice SQLite's threshold): the database
 * file grows past 4 MiB within 10 s, and the history reads back whole
 * after a reopen.
 */
static void
test_wal_checkpointed_apart(void **state)
{
	static char text[3001];
	char id[64];
	struct seen_release r = { .has_date = true, .text = text };
	struct seen_release got = { .path = NULL };

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	reopen();
	for (int t = 0; t < 30; t++) {
		assert_int_equal(state_begin(st), 0);
		for (int i = 0; i < 100; i++) {
			snprintf(id, sizeof(id), "tag:x,2024:%05d", t * 100 + i);
			r.published.sec = T0 + t * 100 + i;
			assert_int_equal(state_release_put(st, id, &r), 0);
		}
		assert_int_equal(state_commit(st), 0);
	}
	for (int i = 0; i < 1000 && size_of("feedpubd.db") < 4 << 20; i++)
		usleep(10000);
	assert_true(size_of("feedpubd.db") >= 4 << 20);
	reopen();
	assert_int_equal(state_release_get(st, "tag:x,2024:02999", &got), 1);
	assert_int_equal(got.published.sec, T0 + 2999);
	assert_true(got.has_text);
}

/* What a walk gave: "id path|" (or "path id|"), at most stop rows. */
struct walked {
	char got[512];
	char texts[512];	/* "id|" of each row said to have a text */
	int calls, stop;
	bool rewrite;		/* put each row again, dates moved */
	int corrupt_at;		/* overwrite the file past page 1 there */
};

static int
on_release(void *ud, const char *id, const struct seen_release *r)
{
	struct walked *w = ud;
	size_t k = strlen(w->got);

	snprintf(w->got + k, sizeof(w->got) - k, "%s %s|", id,
	    r->path != NULL ? r->path : "-");
	k = strlen(w->texts);
	if (r->has_text)
		snprintf(w->texts + k, sizeof(w->texts) - k, "%s|", id);
	assert_false(r->same_path);
	assert_true(w->calls < 3000);	/* not a row given again and again */
	if (w->rewrite) {
		struct seen_release again = *r;

		again.published.sec += 1000;
		again.text = "again";
		assert_int_equal(state_release_put(st, id, &again), 0);
	}
	if (++w->calls == w->corrupt_at) {
		char path[TU_PATH_MAX], junk[4096];
		int fd;

		memset(junk, 0xa5, sizeof(junk));
		snprintf(path, sizeof(path), "%s/feedpubd.db", dir);
		assert_true((fd = open(path, O_WRONLY)) >= 0);
		for (off_t at = 4096; at < size_of("feedpubd.db"); at += 4096)
			assert_int_equal(pwrite(fd, junk, sizeof(junk), at),
			    (ssize_t)sizeof(junk));
		close(fd);
	}
	return w->calls == w->stop;
}

static int
on_held(void *ud, const char *path, const char *id)
{
	struct walked *w = ud;
	size_t k = strlen(w->got);

	snprintf(w->got + k, sizeof(w->got) - k, "%s %s|", path, id);
	return ++w->calls == w->stop;
}

static void
put_at(const char *id, const char *path, int64_t published)
{
	struct seen_release r = { .published.sec = published, .path = path,
	    .text = path != NULL ? "text" : NULL };

	assert_int_equal(state_release_put(st, id, &r), 0);
}

/*
 * The walks a start makes of the history: nothing from an empty one;
 * then every row once, in byte order of ids (and of paths, each with the
 * id state_release_held() gives, a text path left out as it never
 * matches), with the row's values; a callback stops it (1); one that
 * rewrites each row it is given sees each once, and its writes stay.
 */
static void
test_history_walks(void **state)
{
	struct walked w = { .stop = -1 };
	struct seen_release got = { .path = "b.md" };
	char path[TU_PATH_MAX], *held;

	(void)state;
	reopen();
	assert_int_equal(state_release_each(st, on_release, &w), 0);
	assert_int_equal(state_held_each(st, on_held, &w), 0);
	assert_int_equal(w.calls, 0);

	put_at("tag:c", "b.md", 30);
	put_at("tag:a", "c.md", 10);
	put_at("tag:d", "a.md", 40);
	put_at("tag:b", "a.md", 20);	/* a.md holds two: b is first */
	put_at("tag:\xc3\xa5", "\xc3\xa5.md", 50);	/* after z in bytes */
	put_at("tag:e", NULL, 60);
	state_close(st);
	st = NULL;
	snprintf(path, sizeof(path), "%s/feedpubd.db", dir);
	sql(path, "INSERT INTO releases VALUES ('tag:f', 70, 0, 70, 0, "
	    "zeroblob(32), 0, 'text.md')");
	/* Texts of no row: before the first id, between two, after all. */
	sql(path, "INSERT INTO release_texts (id, text) VALUES ('tag:0', 'x'), "
	    "('tag:bb', 'x'), ('tag:z', 'x'), (x'ff', 'x')");
	reopen();
	assert_int_equal(state_release_each(st, on_release, &w), 0);
	assert_string_equal(w.got, "tag:a c.md|tag:b a.md|tag:c b.md|"
	    "tag:d a.md|tag:e -|tag:f -|tag:\xc3\xa5 \xc3\xa5.md|");
	assert_string_equal(w.texts, "tag:a|tag:b|tag:c|tag:d|"
	    "tag:\xc3\xa5|");
	assert_int_equal(w.calls, 7);
	w = (struct walked){ .stop = -1 };
	assert_int_equal(state_held_each(st, on_held, &w), 0);
	assert_string_equal(w.got, "a.md tag:b|b.md tag:c|c.md tag:a|"
	    "\xc3\xa5.md tag:\xc3\xa5|");
	assert_string_equal(held = state_release_held(st, "a.md"), "tag:b");
	free(held);
	assert_null(state_release_held(st, "text.md"));

	w = (struct walked){ .stop = 2 };
	assert_int_equal(state_release_each(st, on_release, &w), 1);
	assert_string_equal(w.got, "tag:a c.md|tag:b a.md|");
	w = (struct walked){ .stop = 1 };
	assert_int_equal(state_held_each(st, on_held, &w), 1);
	assert_string_equal(w.got, "a.md tag:b|");

	/* Writing the row it was given, in a transaction, as remember does. */
	w = (struct walked){ .stop = -1, .rewrite = true };
	assert_int_equal(state_begin(st), 0);
	assert_int_equal(state_release_each(st, on_release, &w), 0);
	assert_int_equal(state_commit(st), 0);
	assert_int_equal(w.calls, 7);
	assert_string_equal(w.texts, "tag:a|tag:b|tag:c|tag:d|"
	    "tag:\xc3\xa5|");
	w = (struct walked){ .stop = -1 };
	assert_int_equal(state_release_each(st, on_release, &w), 0);
	assert_string_equal(w.texts, "tag:a|tag:b|tag:c|tag:d|tag:e|tag:f|"
	    "tag:\xc3\xa5|");
	assert_int_equal(state_release_get(st, "tag:c", &got), 1);
	assert_int_equal(got.published.sec, 1030);
	assert_true(got.same_path);
	assert_true(got.has_text);
}

/*
 * A database that fails under a walk (its pages past the first turned
 * to junk once the first rows are read): -1, the rows before it given
 * right, never a row read from junk.
 */
static void
test_history_walk_fails_midway(void **state)
{
	struct walked w = { .stop = -1, .corrupt_at = 3 };
	char id[64], path[300];

	(void)state;
	reopen();
	assert_int_equal(state_begin(st), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "tag:x,2024:%05d", i);
		snprintf(path, sizeof(path), "%0200d.md", i);
		put_at(id, path, i);
	}
	assert_int_equal(state_commit(st), 0);
	reopen();	/* closed clean: no quick_check reads it all first */
	assert_int_equal(state_release_each(st, on_release, &w), -1);
	assert_true(w.calls >= 3);
	assert_true(w.calls < 3000);
	assert_int_equal(strncmp(w.got, "tag:x,2024:00000 ", 17), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_kept_by_retry_and_reopen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_target_its_own_id,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub_rows_get_ids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_older_database_migrated,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_texts_moved_out_of_history,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_rows_paged_past_cursor,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_checkpointed_apart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_batch_only_outside_a_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_walks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history_walk_fails_midway,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
