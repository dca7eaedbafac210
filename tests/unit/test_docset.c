/*
 * Unit tests for daemon/docset.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "daemon/docset.h"
#include "testutil.h"

/* A feed-like text that compresses: n copies of a Swedish line. */
static char *
feed_text(int n)
{
	static const char line[] = "<entry><title>Ny cykelbana längs "
	    "Ågatan</title></entry>\n";
	char *s = malloc(n * (sizeof(line) - 1) + 1);

	assert_non_null(s);
	s[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(s, line);
	return s;
}

static void
assert_gunzip(const struct doc *d)
{
	unsigned char *out = malloc(d->len + 1);
	z_stream z;

	assert_non_null(out);
	assert_non_null(d->gz);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)d->gz;
	z.avail_in = (uInt)d->gzlen;
	z.next_out = out;
	z.avail_out = (uInt)d->len + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, d->len);
	assert_memory_equal(out, d->body, d->len);
	inflateEnd(&z);
	free(out);
}

/*
 * In dir: secret.html, a symlink to outside's; out, a symlink to outside;
 * fifo.html, a FIFO. None of them may be served.
 */
static void
put_escapes(const char *dir, const char *outside)
{
	char p[TU_PATH_MAX * 2], link[TU_PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/secret.html", outside);
	snprintf(link, sizeof(link), "%s/secret.html", dir);
	assert_int_equal(symlink(p, link), 0);
	snprintf(link, sizeof(link), "%s/out", dir);
	assert_int_equal(symlink(outside, link), 0);
	snprintf(p, sizeof(p), "%s/fifo.html", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
}

static void
test_types(void **state)
{
	(void)state;
	assert_string_equal(docset_type("feed.atom"),
	    "application/atom+xml; charset=utf-8");
	assert_string_equal(docset_type("feed.rss"),
	    "application/rss+xml; charset=utf-8");
	assert_string_equal(docset_type("feed.json"),
	    "application/feed+json; charset=utf-8");
	assert_string_equal(docset_type("releases/a.html"),
	    "text/html; charset=utf-8");
	assert_string_equal(docset_type("style.css"),
	    "text/css; charset=utf-8");
	assert_null(docset_type("feed.atom.bak"));
	assert_null(docset_type("passwd"));
	assert_null(docset_type(".atom"));
}

static void
test_add_seal_find(void **state)
{
	struct docset *ds = docset_new();
	char *big = feed_text(100);
	const struct doc *d;

	(void)state;
	assert_non_null(ds);
	assert_int_equal(docset_add(ds, "feed.rss", "hello", 5, 1000), 0);
	assert_int_equal(docset_add(ds, "feed.atom", big, strlen(big), 2000),
	    0);
	assert_int_equal(docset_add(ds, "releases/a.html", "", 0, 3000), 0);
	assert_int_equal(docset_seal(ds, NULL), 0);
	assert_int_equal(docset_count(ds), 3);
	assert_string_equal(docset_at(ds, 0)->name, "feed.atom");
	assert_string_equal(docset_at(ds, 2)->name, "releases/a.html");
	assert_null(docset_at(ds, 3));

	d = docset_find(ds, "feed.rss");
	assert_non_null(d);
	assert_int_equal(d->len, 5);
	assert_memory_equal(d->body, "hello", 5);
	assert_true(d->feed);
	assert_int_equal(d->mtime, 1000);
	/* SHA-256("hello") = 2cf24dba5fb0a30e26e83b2ac5b9e29e1b16... */
	assert_string_equal(d->etag, "\"2cf24dba5fb0a30e26e83b2ac5b9e29e\"");
	assert_string_equal(d->gzetag,
	    "\"2cf24dba5fb0a30e26e83b2ac5b9e29e-gz\"");
	assert_null(d->gz);		/* too small to gain */

	d = docset_find(ds, "feed.atom");
	assert_non_null(d);
	assert_true(d->gzlen < d->len / 4);
	assert_gunzip(d);

	d = docset_find(ds, "releases/a.html");
	assert_non_null(d);
	assert_false(d->feed);
	assert_int_equal(d->len, 0);
	assert_null(docset_find(ds, "a.html"));
	assert_null(docset_find(ds, "nope.atom"));

	/* Refcounted: this ref and the first one. */
	docset_ref(ds);
	docset_unref(ds);
	docset_unref(ds);
	docset_unref(NULL);
	free(big);
}

static void
test_bad_names(void **state)
{
	static const char *const bad[] = {
		"", "/feed.atom", "a//b.html", "../x.html", "a/../b.html",
		"./a.html", ".feed.atom.Ab12Cd", "a/.b.html", "a/", "passwd",
		"feed.atom/", "a\\b.html", "a\nb.html",
	};
	struct docset *ds = docset_new();

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (docset_add(ds, bad[i], "x", 1, 0) != -1 || errno != EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
	assert_int_equal(docset_add(ds, "a.html", "x", 1, 0), 0);
	assert_int_equal(docset_add(ds, "a.html", "y", 1, 0), 0);
	errno = 0;
	assert_int_equal(docset_seal(ds, NULL), -1);
	assert_int_equal(errno, EEXIST);
	docset_unref(ds);
}

static void
test_prev_keeps_validators(void **state)
{
	struct docset *a = docset_new(), *b = docset_new();
	char *big = feed_text(50), *big2 = feed_text(51);
	const struct doc *da, *db;

	(void)state;
	assert_int_equal(docset_add(a, "feed.atom", big, strlen(big), 100), 0);
	assert_int_equal(docset_add(a, "feed.rss", big, strlen(big), 100), 0);
	assert_int_equal(docset_seal(a, NULL), 0);
	assert_int_equal(docset_add(b, "feed.atom", big, strlen(big), 200), 0);
	assert_int_equal(docset_add(b, "feed.rss", big2, strlen(big2), 200),
	    0);
	assert_int_equal(docset_seal(b, a), 0);
	docset_unref(a);	/* b holds copies, not a's memory */

	da = docset_find(b, "feed.atom");
	assert_int_equal(da->mtime, 100);	/* same bytes: kept */
	assert_gunzip(da);
	db = docset_find(b, "feed.rss");
	assert_int_equal(db->mtime, 200);	/* new bytes */
	assert_gunzip(db);
	assert_string_not_equal(da->etag, db->etag);
	docset_unref(b);
	free(big);
	free(big2);
}

static void
test_load(void **state)
{
	char dir[TU_PATH_MAX], outside[TU_PATH_MAX], p[TU_PATH_MAX * 2];
	struct docset *ds = docset_new();
	const struct doc *d;

	(void)state;
	assert_int_equal(tu_mkdtemp(dir, sizeof(dir), "docset"), 0);
	assert_int_equal(tu_mkdtemp(outside, sizeof(outside), "outside"), 0);
	tu_put_file(dir, "feed.atom", "<feed/>", 1700000000);
	tu_put_file(dir, "feed.rss", "<rss/>", 1700000001);
	tu_put_file(dir, ".feed.atom.XyZ123", "half", 1700000002);
	tu_put_file(dir, "notes.txt", "not served", 1700000003);
	tu_put_file(dir, "releases/a.html", "<p>a</p>", 1700000004);
	tu_put_file(dir, ".git/x.html", "hidden", 1700000005);
	tu_put_file(outside, "secret.html", "secret", 1700000006);
	/* Symlinks out of the folder, to a file and to a folder. */
	put_escapes(dir, outside);

	assert_int_equal(docset_load(ds, dir), 3);
	assert_int_equal(docset_seal(ds, NULL), 0);
	assert_int_equal(docset_count(ds), 3);
	d = docset_find(ds, "feed.atom");
	assert_non_null(d);
	assert_int_equal(d->mtime, 1700000000);
	assert_memory_equal(d->body, "<feed/>", 7);
	assert_non_null(docset_find(ds, "feed.rss"));
	assert_non_null(docset_find(ds, "releases/a.html"));
	assert_null(docset_find(ds, "secret.html"));
	assert_null(docset_find(ds, "out/secret.html"));
	docset_unref(ds);

	ds = docset_new();
	snprintf(p, sizeof(p), "%s/missing", dir);
	assert_int_equal(docset_load(ds, p), -1);
	docset_unref(ds);
	tu_rm_tree(dir);
	tu_rm_tree(outside);
}

/* Replace dir/rel by a new file (a new inode), as output.c does. */
static void
put_renamed(const char *dir, const char *rel, const char *text)
{
	char tmp[TU_PATH_MAX + 16], path[TU_PATH_MAX * 2];

	snprintf(tmp, sizeof(tmp), "%s/.new", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	tu_write_file(tmp, text);
	assert_int_equal(rename(tmp, path), 0);
}

/* Whether dir/rel's ctime has nanoseconds: a file system whose changes
 * a walk 30 ms later no longer takes for racy (docset.c's RACY_FINE_NS). */
static bool
fine_ctime(const char *dir, const char *rel)
{
	char path[TU_PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ctim.tv_nsec != 0;
}

static void
test_reload_reads_only_changes(void **state)
{
	char dir[TU_PATH_MAX], path[TU_PATH_MAX + 32];
	char *big = feed_text(60);
	struct docset *a = docset_new(), *b = docset_new(), *c = docset_new();
	const struct doc *gone, *d;
	bool fine;

	(void)state;
	assert_int_equal(tu_mkdtemp(dir, sizeof(dir), "reload"), 0);
	tu_put_file(dir, "feed.atom", big, 1700000000);
	tu_put_file(dir, "index.html", "<p>index v1</p>", 1700000000);
	tu_put_file(dir, "releases/a.html", "<p>a v1</p>", 1700000000);
	tu_put_file(dir, "releases/b.html", "<p>b v1</p>", 1700000000);
	/* Past the racy window of a fine ctime: files written just before
	 * a walk are read again at the next one. */
	usleep(30 * 1000);
	assert_int_equal(docset_reload(a, dir, NULL), 4);
	assert_int_equal(docset_files_read(a), 4);
	assert_int_equal(docset_seal(a, NULL), 0);
	fine = fine_ctime(dir, "feed.atom");

	/* A publish: a rewritten (renamed into place), b removed, c new. */
	put_renamed(dir, "releases/a.html", "<p>a v2</p>");
	snprintf(path, sizeof(path), "%s/releases/b.html", dir);
	assert_int_equal(unlink(path), 0);
	tu_put_file(dir, "releases/c.html", "<p>c v1</p>", 1700000001);
	usleep(30 * 1000);
	assert_int_equal(docset_reload(b, dir, a), 4);
	if (fine)
		assert_int_equal(docset_files_read(b), 2);	/* a and c */
	assert_int_equal(docset_seal(b, a), 0);
	/* Unchanged: the very same documents, validators and all. */
	assert_ptr_equal(docset_find(b, "feed.atom"),
	    docset_find(a, "feed.atom"));
	assert_ptr_equal(docset_find(b, "index.html"),
	    docset_find(a, "index.html"));
	assert_gunzip(docset_find(b, "feed.atom"));
	d = docset_find(b, "releases/a.html");
	assert_memory_equal(d->body, "<p>a v2</p>", d->len);
	assert_null(docset_find(b, "releases/b.html"));
	assert_non_null(docset_find(b, "releases/c.html"));
	/* The old set is as it was, and a document outlives its sets. */
	d = docset_find(a, "releases/a.html");
	assert_memory_equal(d->body, "<p>a v1</p>", d->len);
	gone = doc_ref(docset_find(a, "releases/b.html"));
	docset_unref(a);
	assert_memory_equal(gone->body, "<p>b v1</p>", gone->len);
	doc_unref(gone);
	doc_unref(NULL);

	/* Rewritten in place, same size, at once (racy) and later: both
	 * seen, the file is the same inode with the same length. */
	tu_put_file(dir, "index.html", "<p>index v2</p>", 1700000000);
	assert_int_equal(docset_reload(c, dir, b), 4);
	assert_int_equal(docset_seal(c, b), 0);
	d = docset_find(c, "index.html");
	assert_memory_equal(d->body, "<p>index v2</p>", d->len);
	assert_string_not_equal(d->etag, docset_find(b, "index.html")->etag);
	docset_unref(b);
	usleep(30 * 1000);
	tu_put_file(dir, "index.html", "<p>index v3</p>", 1700000000);
	b = docset_new();
	assert_int_equal(docset_reload(b, dir, c), 4);
	assert_int_equal(docset_seal(b, c), 0);
	d = docset_find(b, "index.html");
	assert_memory_equal(d->body, "<p>index v3</p>", d->len);
	/* Nothing changed: index.html, written just before b's walk, is
	 * read once more (same bytes: b's document is kept), then nothing
	 * (a fine ctime); the same documents. */
	for (int round = 0; round < 2; round++) {
		docset_unref(c);
		usleep(30 * 1000);
		c = docset_new();
		assert_int_equal(docset_reload(c, dir, b), 4);
		if (fine)
			assert_int_equal(docset_files_read(c), 1 - round);
		assert_int_equal(docset_seal(c, b), 0);
		for (size_t i = 0; i < 4; i++)
			assert_ptr_equal(docset_at(c, i), docset_at(b, i));
		docset_unref(b);
		b = docset_ref(c);
	}
	docset_unref(b);
	docset_unref(c);
	tu_rm_tree(dir);
	free(big);
}

static void
test_seal_plain_then_compress(void **state)
{
	struct docset *a = docset_new(), *c, *b = docset_new();
	char *big = feed_text(80);
	const struct doc *d, *dc;

	(void)state;
	assert_int_equal(docset_add(a, "feed.atom", big, strlen(big), 100), 0);
	assert_int_equal(docset_add(a, "feed.rss", "tiny", 4, 100), 0);
	assert_int_equal(docset_seal_plain(a, NULL), 0);
	/* Served plain meanwhile: validators there, no gzip copy yet. */
	assert_int_equal(docset_pending(a), 1);	/* "tiny" would not gain */
	d = docset_find(a, "feed.atom");
	assert_null(d->gz);
	assert_true(strlen(d->etag) > 2);
	c = docset_compress(a, NULL);
	assert_non_null(c);
	assert_int_equal(docset_pending(c), 0);
	dc = docset_find(c, "feed.atom");
	assert_ptr_not_equal(dc, d);		/* a new document */
	assert_string_equal(dc->etag, d->etag);
	assert_int_equal(dc->mtime, d->mtime);
	assert_gunzip(dc);
	assert_null(d->gz);			/* a's stays as it was */
	assert_ptr_equal(docset_find(c, "feed.rss"), docset_find(a,
	    "feed.rss"));
	docset_unref(a);
	/* The next publish with the same bytes takes the compressed one. */
	assert_int_equal(docset_add(b, "feed.atom", big, strlen(big), 200), 0);
	assert_int_equal(docset_seal_plain(b, c), 0);
	assert_ptr_equal(docset_find(b, "feed.atom"), dc);
	assert_int_equal(docset_pending(b), 0);
	docset_unref(c);
	assert_gunzip(docset_find(b, "feed.atom"));
	docset_unref(b);
	free(big);
}

/*
 * Publishes that come while a site is compressed: each replaces the gzip
 * thread's job with a set still pending in full. Compressed against the
 * thread's last result, a job makes copies only of what changed; before,
 * each job compressed the whole site again and, with publishes more often
 * than that took, no copy was ever served.
 */
static void
test_compress_takes_earlier_copies(void **state)
{
	struct docset *a = docset_new(), *ca, *b = docset_new(), *cb;
	char *big = feed_text(80), *other = feed_text(81);
	const struct doc *d;

	(void)state;
	assert_int_equal(docset_add(a, "feed.atom", big, strlen(big), 100), 0);
	assert_int_equal(docset_add(a, "feed.rss", other, strlen(other), 100),
	    0);
	assert_int_equal(docset_seal_plain(a, NULL), 0);
	/* The next publish, sealed against a (still plain): one changed. */
	assert_int_equal(docset_add(b, "feed.atom", big, strlen(big), 100), 0);
	assert_int_equal(docset_add(b, "feed.rss", big, strlen(big), 100), 0);
	assert_int_equal(docset_seal_plain(b, a), 0);
	assert_int_equal(docset_pending(b), 2);
	ca = docset_compress(a, NULL);
	cb = docset_compress(b, ca);
	assert_non_null(ca);
	assert_non_null(cb);
	assert_int_equal(docset_pending(cb), 0);
	/* The same bytes: ca's copy, not made again. */
	assert_ptr_equal(docset_find(cb, "feed.atom"), docset_find(ca,
	    "feed.atom"));
	/* Changed: its own copy, of its own bytes. */
	d = docset_find(cb, "feed.rss");
	assert_ptr_not_equal(d, docset_find(ca, "feed.rss"));
	assert_int_equal(d->len, strlen(big));
	assert_gunzip(d);
	assert_gunzip(docset_find(cb, "feed.atom"));
	docset_unref(ca);
	docset_unref(a);
	/* Of the same bytes but another Last-Modified: not the copy. */
	a = docset_new();
	assert_int_equal(docset_add(a, "feed.atom", big, strlen(big), 300), 0);
	assert_int_equal(docset_seal_plain(a, NULL), 0);
	ca = docset_compress(a, cb);
	assert_non_null(ca);
	assert_ptr_not_equal(docset_find(ca, "feed.atom"), docset_find(cb,
	    "feed.atom"));
	assert_int_equal(docset_find(ca, "feed.atom")->mtime, 300);
	assert_gunzip(docset_find(ca, "feed.atom"));
	docset_unref(ca);
	docset_unref(cb);
	docset_unref(a);
	docset_unref(b);
	free(big);
	free(other);
}

/* The names gone on purpose: a set, kept by docset_compress(), fixed by
 * sealing, and found only by the very name. */
static void
test_gone(void **state)
{
	static const char *const names[] = { "releases/b.html",
	    "releases/a.html", "releases/b.html" };
	static const char *const same[] = { "releases/a.html",
	    "releases/b.html" };
	static const char *const other[] = { "releases/a.html" };
	struct docset *ds = docset_new(), *c;
	size_t n;
	const char *const *v;

	(void)state;
	assert_non_null(ds);
	assert_int_equal(docset_set_gone(ds, other, 1), 0);
	/* Set again: replaced, not added to. */
	assert_int_equal(docset_set_gone(ds, names, 3), 0);
	assert_int_equal(docset_add(ds, "feed.atom", "<feed/>", 7, 1), 0);
	assert_int_equal(docset_seal(ds, NULL), 0);
	assert_true(docset_gone(ds, "releases/a.html"));
	assert_true(docset_gone(ds, "releases/b.html"));
	assert_false(docset_gone(ds, "releases/c.html"));
	assert_false(docset_gone(ds, "releases/a.htm"));
	assert_false(docset_gone(ds, "releases/a.html/"));
	assert_false(docset_gone(ds, ""));
	v = docset_gone_names(ds, &n);
	assert_int_equal(n, 2);		/* sorted, each once */
	assert_string_equal(v[0], "releases/a.html");
	assert_string_equal(v[1], "releases/b.html");
	assert_true(docset_same_gone(ds, same, 2));
	assert_true(docset_same_gone(ds, names, 3));
	assert_false(docset_same_gone(ds, other, 1));
	assert_false(docset_same_gone(ds, NULL, 0));
	errno = 0;
	assert_int_equal(docset_set_gone(ds, other, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(docset_same_gone(ds, same, 2));
	c = docset_compress(ds, NULL);
	assert_non_null(c);
	assert_true(docset_same_gone(c, same, 2));
	assert_true(docset_gone(c, "releases/b.html"));
	docset_unref(ds);
	docset_unref(c);
	/* None: nothing is gone. */
	ds = docset_new();
	assert_int_equal(docset_seal(ds, NULL), 0);
	assert_false(docset_gone(ds, "releases/a.html"));
	assert_true(docset_same_gone(ds, NULL, 0));
	docset_unref(ds);
}

/* A sealed set's documents are in strictly ascending order of name. */
static void
assert_sorted(const struct docset *ds)
{
	for (size_t i = 1; i < docset_count(ds); i++)
		assert_true(strcmp(docset_at(ds, i - 1)->name,
		    docset_at(ds, i)->name) < 0);
}

static void
test_update_reads_only_named(void **state)
{
	static const char *const gone[] = { "releases/z.html" };
	char dir[TU_PATH_MAX], outside[TU_PATH_MAX], p[TU_PATH_MAX * 2];
	char *big = feed_text(60);
	/* Out of order, a repeat, and names the walk would not serve. */
	const char *const names[] = { "releases/c.html", "releases/a.html",
	    "releases/b.html", "releases/a.html", "secret.html",
	    "out/secret.html", "fifo.html", "dir.html", "../x.html",
	    "releases/.hidden.html", "notes.txt", "", "/feed.atom",
	    "releases//a.html", "nothing/here.html", "empty.html",
	    "a/b/c/d/e/f/g/h/i/deep.html", "releases/same.html" };
	const size_t nnames = sizeof(names) / sizeof(names[0]);
	struct docset *a = docset_new(), *b, *c;
	const struct doc *d;

	(void)state;
	assert_int_equal(tu_mkdtemp(dir, sizeof(dir), "update"), 0);
	assert_int_equal(tu_mkdtemp(outside, sizeof(outside), "outside"), 0);
	tu_put_file(dir, "feed.atom", big, 1700000000);
	tu_put_file(dir, "index.html", "<p>index v1</p>", 1700000000);
	tu_put_file(dir, "releases/a.html", "<p>a v1</p>", 1700000000);
	tu_put_file(dir, "releases/b.html", "<p>b v1</p>", 1700000000);
	tu_put_file(dir, "releases/same.html", "<p>same</p>", 1700000000);
	tu_put_file(outside, "secret.html", "secret", 1700000006);
	assert_int_equal(docset_reload(a, dir, NULL), 5);
	assert_int_equal(docset_seal(a, NULL), 0);

	/* A publish: a rewritten, b removed, c new, same.html rewritten
	 * with its bytes; index.html changed too, but not named. */
	put_renamed(dir, "releases/a.html", "<p>a v2</p>");
	snprintf(p, sizeof(p), "%s/releases/b.html", dir);
	assert_int_equal(unlink(p), 0);
	tu_put_file(dir, "releases/c.html", "<p>c v1</p>", 1700000001);
	put_renamed(dir, "releases/same.html", "<p>same</p>");
	tu_put_file(dir, "index.html", "<p>index v2</p>", 1700000002);
	tu_put_file(dir, "empty.html", "", 1700000003);
	tu_put_file(dir, "a/b/c/d/e/f/g/h/i/deep.html", "deep", 1700000003);
	/* Named, but not documents to serve: symlinks out (a file, and a
	 * folder on the way), a FIFO (not opened to block), a folder. */
	put_escapes(dir, outside);
	snprintf(p, sizeof(p), "%s/dir.html", dir);
	assert_int_equal(mkdir(p, 0755), 0);

	b = docset_new();
	assert_int_equal(docset_set_gone(b, gone, 1), 0);
	assert_int_equal(docset_update(b, dir, a, (const char *const *)names,
	    nnames), 6);
	/* a, c, same and empty: nothing else was opened. */
	assert_int_equal(docset_files_read(b), 4);
	assert_int_equal(docset_seal_plain(b, a), 0);
	assert_sorted(b);
	assert_true(docset_gone(b, "releases/z.html"));
	/* Not named: as served, the very same documents (no walk). */
	assert_ptr_equal(docset_find(b, "index.html"),
	    docset_find(a, "index.html"));
	assert_ptr_equal(docset_find(b, "feed.atom"),
	    docset_find(a, "feed.atom"));
	assert_gunzip(docset_find(b, "feed.atom"));
	/* Named with the same bytes: kept, ETag and all. */
	assert_ptr_equal(docset_find(b, "releases/same.html"),
	    docset_find(a, "releases/same.html"));
	d = docset_find(b, "releases/a.html");
	assert_non_null(d);
	assert_memory_equal(d->body, "<p>a v2</p>", d->len);
	assert_string_not_equal(d->etag,
	    docset_find(a, "releases/a.html")->etag);
	assert_null(docset_find(b, "releases/b.html"));
	assert_non_null(docset_find(b, "releases/c.html"));
	assert_int_equal(docset_find(b, "releases/c.html")->mtime,
	    1700000001);
	assert_int_equal(docset_find(b, "empty.html")->len, 0);
	assert_null(docset_find(b, "secret.html"));
	assert_null(docset_find(b, "out/secret.html"));
	assert_null(docset_find(b, "fifo.html"));
	assert_null(docset_find(b, "dir.html"));
	assert_null(docset_find(b, "a/b/c/d/e/f/g/h/i/deep.html"));
	/* The old set is as it was. */
	d = docset_find(a, "releases/a.html");
	assert_memory_equal(d->body, "<p>a v1</p>", d->len);
	assert_non_null(docset_find(a, "releases/b.html"));

	/* From an update, a walk: what was not named is seen now. */
	c = docset_new();
	assert_int_equal(docset_reload(c, dir, b), 6);
	assert_int_equal(docset_seal(c, b), 0);
	d = docset_find(c, "index.html");
	assert_memory_equal(d->body, "<p>index v2</p>", d->len);
	assert_ptr_equal(docset_find(c, "releases/c.html"),
	    docset_find(b, "releases/c.html"));
	docset_unref(c);

	/* Nothing named: the same documents; a removal of everything. */
	c = docset_new();
	assert_int_equal(docset_update(c, dir, b, NULL, 0), 6);
	assert_int_equal(docset_files_read(c), 0);
	assert_int_equal(docset_seal(c, b), 0);
	for (size_t i = 0; i < 6; i++)
		assert_ptr_equal(docset_at(c, i), docset_at(b, i));
	docset_unref(c);

	/* Misuse, and a folder that cannot be read. */
	c = docset_new();
	errno = 0;
	assert_int_equal(docset_update(c, dir, NULL, names, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(docset_add(c, "x.html", "x", 1, 1), 0);
	assert_int_equal(docset_update(c, dir, b, names, 1), -1);
	docset_unref(c);
	c = docset_new();
	snprintf(p, sizeof(p), "%s/missing", dir);
	assert_int_equal(docset_update(c, p, b, names, 1), -1);
	docset_unref(c);

	docset_unref(a);
	docset_unref(b);
	tu_rm_tree(dir);
	tu_rm_tree(outside);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_add_seal_find),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_prev_keeps_validators),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_reload_reads_only_changes),
		cmocka_unit_test(test_seal_plain_then_compress),
		cmocka_unit_test(test_compress_takes_earlier_copies),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_update_reads_only_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
