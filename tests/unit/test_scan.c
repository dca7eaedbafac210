/*
 * Unit tests for feeds/scan.c on a temp tree of release files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "feeds/date.h"
#include "feeds/feed.h"
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
	return scan_file(&tu_meta, root, rel, store, NULL, on_error, &nerrs);
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
	assert_err(0, "2019/bad-yaml.md", 3, "put the summary in quotes");
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

/* The error reported for path, or NULL. */
static const struct seen *
err_for(const char *path)
{
	for (size_t i = 0; i < nerrs; i++)
		if (strcmp(errs[i].path, path) == 0)
			return &errs[i];
	return NULL;
}

static void
assert_refused(const char *path, const char *part)
{
	const struct seen *e = err_for(path);

	if (e == NULL)
		fail_msg("%s: not reported", path);
	if (strstr(e->msg, part) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", path, e->msg, part);
	assert_null(store_get(store, path));
}

static void
link_at(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/*
 * issue 8 item 1: a symlink is followed only if it leads to a file inside
 * the releases folder; `ln -s /etc/shadow releases/x.md` published it.
 */
static void
test_scan_symlink_escapes(void **state)
{
	struct feed_meta never = tu_meta;
	char outside[TU_PATH_MAX], target[TU_PATH_MAX + 16], abs[512];

	(void)state;
	assert_int_equal(tu_mkdtemp(outside, sizeof(outside), "outside"), 0);
	tu_put_file(outside, "secret.md", "# Hemligt\n\nroot:x:0:0\n", T0);
	snprintf(target, sizeof(target), "%s/secret.md", outside);
	link_at(target, "abs-out.md");
	snprintf(target, sizeof(target), "../%s/secret.md",
	    strrchr(outside, '/') + 1);
	link_at(target, "rel-out.md");
	link_at("/etc/passwd", "passwd.md");
	/* Inside: a hidden folder is not scanned, so no id clash. */
	put_file(".shared/inne.md", "# Inne\n", T0);
	link_at(".shared/inne.md", "inne.md");
	snprintf(abs, sizeof(abs), "%s/.shared/abs.md", root);
	put_file(".shared/abs.md", "# Absolut\n", T0);
	link_at(abs, "abs-in.md");
	put_file(".shared/dir/via.md", "# Via mapp\n", T0);
	link_at(".shared/dir", "d");
	link_at("d/via.md", "via.md");	/* a link through a link: inside */

	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 3);
	assert_refused("abs-out.md", "outside the releases folder");
	assert_refused("rel-out.md", "outside the releases folder");
	assert_refused("passwd.md", "outside the releases folder");
	assert_string_equal(store_get(store, "inne.md")->title, "Inne");
	assert_string_equal(store_get(store, "abs-in.md")->title, "Absolut");
	assert_string_equal(store_get(store, "via.md")->title, "Via mapp");
	assert_int_equal(store_count(store), 3);

	/* scan_file() keeps the same rule. */
	nerrs = 0;
	assert_int_equal(scan1("passwd.md"), -1);
	assert_refused("passwd.md", "outside the releases folder");

	/* follow_symlinks off: no link is followed, inside or not. */
	nerrs = 0;
	never.follow_symlinks = false;
	assert_int_equal(scan_file(&never, root, "inne.md", store, NULL, on_error,
	    &nerrs), -1);
	assert_refused("inne.md", "follow_symlinks is off");
	assert_int_equal(scan_file(&never, root, "abs-in.md", store, NULL, on_error,
	    &nerrs), -1);
	assert_refused("abs-in.md", "follow_symlinks is off");
	assert_int_equal(scan_file(&never, root, "passwd.md", store, NULL, on_error,
	    &nerrs), -1);
	tu_rm_tree(outside);
}

static void
on_alarm(int sig)
{
	(void)sig;
	fail_msg("the scan hung (a FIFO or device was opened?)");
}

/*
 * issue 8 item 2: `mkfifo releases/x.md` blocked open() for ever. A FIFO,
 * a device node and a link to one are refused without being opened for
 * reading; the alarm turns a hang into a failure.
 */
static void
test_scan_fifo_device(void **state)
{
	char path[512];

	(void)state;
	signal(SIGALRM, on_alarm);
	alarm(10);
	put_file("ok.md", "# OK\n", T0);
	snprintf(path, sizeof(path), "%s/fifo.md", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	link_at("fifo.md", "to-fifo.md");
	link_at("/dev/null", "null.md");
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/zero.md", root);
		assert_int_equal(mknod(path, S_IFCHR | 0644, makedev(1, 5)),
		    0);
		link_at("zero.md", "to-zero.md");
	}
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), geteuid() == 0 ? 5 : 3);
	assert_refused("fifo.md", "not a regular file");
	assert_refused("to-fifo.md", "not a regular file");
	assert_refused("null.md", "outside the releases folder");
	if (geteuid() == 0) {
		assert_refused("zero.md", "not a regular file");
		assert_refused("to-zero.md", "not a regular file");
	}
	assert_int_equal(store_count(store), 1);
	assert_non_null(store_get(store, "ok.md"));
	/* One file at a time, as the daemon reads them. */
	nerrs = 0;
	assert_int_equal(scan1("fifo.md"), -1);
	assert_refused("fifo.md", "not a regular file");
	assert_int_equal(scan1("to-fifo.md"), -1);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
}

/* Render kind from the store and parse it strictly; returns the doc. */
static xmlDocPtr
render_and_parse(enum feed_kind k)
{
	struct release **rs;
	size_t n, len;
	char *data;
	xmlDocPtr doc;
	struct feed_meta m = tu_meta;

	m.root = root;	/* the store holds no text: bodies are read again */
	assert_int_equal(store_select(store, T0 + 1, 50, &rs, &n), 0);
	assert_int_equal(feed_render(k, &m, rs, n, &data, &len), 0);
	doc = xmlReadMemory(data, (int)len, NULL, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		fail_msg("%s is not well-formed XML:\n%s", feed_file_name(k),
		    data);
	free(data);
	return doc;
}

/* Whether doc has an element named name whose text is text. */
static bool
has_text(xmlDocPtr doc, const char *name, const char *text)
{
	xmlNodePtr stack[64];
	size_t top = 0;
	bool found = false;

	stack[top++] = xmlDocGetRootElement(doc);
	while (top > 0 && !found) {
		xmlNodePtr n = stack[--top];

		for (; n != NULL; n = n->next) {
			xmlChar *c;

			if (n->type != XML_ELEMENT_NODE)
				continue;
			if (strcmp((const char *)n->name, name) == 0) {
				c = xmlNodeGetContent(n);
				found = found || strcmp((char *)c, text) == 0;
				xmlFree(c);
			}
			if (n->children != NULL && top < 64)
				stack[top++] = n->children;
		}
	}
	return found;
}

/*
 * issue 8 item 3: a file name is bytes. Without a title, "\xFF" in the
 * name made both feeds invalid XML; a newline or an escape went in raw.
 */
static void
test_scan_bad_names(void **state)
{
	static const struct {
		const char *name, *title;
	} cases[] = {
		{ "bad\xFFname.md", "bad\xEF\xBF\xBDname" },
		{ "new\nline.md", "new line" },
		{ "esc\x1B[2J.md", "esc [2J" },
		{ "c1\xC2\x85x.md", "c1 x" },
		{ "\xC3\xA5ka.md", "\xC3\xA5ka" },
	};
	xmlDocPtr doc;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		put_file(cases[i].name, "Bara text.\n", T0 - (time_t)i);
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 0);
	assert_int_equal(store_count(store), 5);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(store_get(store, cases[i].name)->title,
		    cases[i].title);
	for (int k = 0; k <= FEED_RSS; k++) {	/* the XML formats */
		doc = render_and_parse(k);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (!has_text(doc, "title", cases[i].title))
				fail_msg("%s: no title \"%s\"",
				    feed_file_name(k), cases[i].title);
		xmlFreeDoc(doc);
	}
}

/* rm -r of a tree deeper than PATH_MAX: relative to each folder's fd. */
static void
rm_deep(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW);
		if (fd >= 0) {
			rm_deep(fd);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

static void
write_at(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * issue 8 item 7: a path longer than PATH_MAX made the whole scan fail,
 * so --once published nothing. Now the one folder past the limit is
 * reported and the rest published, the shallow part of the deep tree too.
 */
static void
test_scan_deep_tree(void **state)
{
	char name[201];
	int fd, next, depth = 0;
	size_t len = strlen(root);

	(void)state;
	memset(name, 'd', 200);
	name[200] = '\0';
	put_file("top.md", "# Top\n", T0);
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	while (len <= PATH_MAX + 400) {
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
		len += 201;
		depth++;
		if (depth == 3)
			write_at(fd, "shallow.md", "# Shallow\n");
	}
	write_at(fd, "deep.md", "# Deep\n");
	close(fd);

	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 1);
	assert_int_equal(nerrs, 1);
	assert_non_null(strstr(errs[0].msg, "path too long"));
	assert_int_equal(errs[0].errnum, ENAMETOOLONG);
	assert_int_equal(store_count(store), 2);
	assert_non_null(store_get(store, "top.md"));
	assert_int_equal(strncmp(store_get_id(store, "tag:news.example.org,"
	    "2000:/releases/shallow")->path, name, 200), 0);
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	rm_deep(fd);
}

/*
 * The store keeps no text: a body is read again when a document needs it,
 * and a file changed underneath (same size, same mtime: only the digest
 * tells) is an error, never the new body under the old title.
 */
static void
test_body_read_again(void **state)
{
	const char *old = "---\ntitle: Old title\n---\nOld body text.\n";
	struct feed_meta m = tu_meta;
	struct release_error err = { .line = 0 };
	struct feed_doc doc = { .path = "feed.atom" };
	struct release *r, *h;
	char *data = (char *)"unset", *text;
	size_t len;

	(void)state;
	m.root = root;
	put_file("a.md", old, T0);
	put_file("h.md", "# Heading\n\nUnder it.\n", T0);
	assert_int_equal(scan_folder(&tu_meta, root, store, NULL, on_error,
	    &nerrs), 0);
	assert_non_null(r = store_get(store, "a.md"));
	assert_non_null(h = store_get(store, "h.md"));
	assert_null(r->text);
	assert_null(r->html);
	assert_false(r->body_empty);
	assert_int_equal(release_load_body(h, &m, &err), 0);
	assert_string_equal(h->title, "Heading");
	assert_string_equal(h->html, "<p>Under it.</p>\n");
	release_drop_body(h);
	assert_null(h->html);
	assert_int_equal(release_load_body(r, &m, &err), 0);
	assert_string_equal(r->html, "<p>Old body text.</p>\n");
	release_drop_body(r);

	/* Without the folder, a body not held cannot be had. */
	assert_int_equal(release_load_body(r, &tu_meta, &err), -1);
	assert_false(err.stale);
	assert_null(r->html);

	put_file("a.md", "---\ntitle: New title\n---\nNew body text.\n", T0);
	assert_int_equal(release_load_body(r, &m, &err), -1);
	assert_true(err.stale);
	assert_non_null(strstr(err.msg, "changed since it was read"));
	assert_null(r->html);
	assert_string_equal(r->title, "Old title");
	assert_int_equal(feed_render(FEED_ATOM, &m, &r, 1, &data, &len), -1);
	assert_null(data);
	/* The publisher learns which file and why, to say so. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(feed_render_memo(FEED_ATOM, &m, &doc, &r, 1, NULL,
	    &data, &len, &err), -1);
	assert_true(err.stale);
	assert_non_null(strstr(err.msg, "a.md changed since it was read"));
	assert_int_equal(release_read_text(r, &m, &text, &err), -1);
	assert_null(text);

	/* The old text, as a history holds it, is the body again. */
	assert_non_null(text = strdup("---\ntitle: New title\n---\n"));
	assert_int_equal(release_adopt_text(r, text), -1);
	free(text);
	assert_non_null(text = strdup(old));
	assert_int_equal(release_adopt_text(r, text), 0);
	assert_int_equal(feed_render(FEED_ATOM, &m, &r, 1, &data, &len), 0);
	assert_non_null(strstr(data, "Old body text."));
	assert_null(strstr(data, "New body"));
	assert_null(r->html);	/* read for that document only */
	free(data);

	/* Gone: stale too (the store will lose it). */
	del_file("h.md");
	assert_int_equal(release_load_body(h, &m, &err), -1);
	assert_true(err.stale);
	assert_int_equal(err.errnum, ENOENT);
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
		T(test_scan_symlink_escapes),
		T(test_scan_fifo_device),
		T(test_scan_bad_names),
		T(test_scan_deep_tree),
		T(test_body_read_again),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
