/*
 * test_config: config_load() on config files written to a temporary folder,
 * and on the shipped config/feedpubd.conf. Error output is captured with
 * open_memstream() and compared whole, line numbers included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

#include "testutil.h"

#define HEAD	"[feed]\ntitle = T\nbase_url = https://e.org/\n"
#define SECTIONS	"[feed], [paths], [daemon], [pages], [pings], [http], " \
			"[hub], [publish] or " \
			"[ping \"NAME\"]"
#define BAD_PING_HEAD	"expected [ping \"NAME\"], NAME of letters, " \
			"digits, '-', '_' or '.'"
#define DURATION	"(an integer with an optional unit s, m, h or d)"

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char conf[PATH_MAX];	/* tmpdir/feedpubd.conf */

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/feedpubd.conf", tmpdir);
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Load path; *errs gets what was printed, with path replaced by "F" at the
 * start of each line so expected messages stay readable.
 */
static struct config *
load(const char *path, char **errs)
{
	char *raw = NULL, *out, *o;
	const char *r;
	size_t n, plen = strlen(path);
	FILE *f = open_memstream(&raw, &n);
	struct config *c;

	assert_non_null(f);
	c = config_load(path, f);
	assert_int_equal(fclose(f), 0);
	out = malloc(n + 1);
	assert_non_null(out);
	for (r = raw, o = out; *r != '\0';) {
		if ((r == raw || r[-1] == '\n') &&
		    strncmp(r, path, plen) == 0) {
			*o++ = 'F';
			r += plen;
		} else {
			*o++ = *r++;
		}
	}
	*o = '\0';
	free(raw);
	*errs = out;
	return c;
}

static struct config *
load_text(const char *text, char **errs)
{
	tu_write_file(conf, text);
	return load(conf, errs);
}

/* text must be rejected with exactly the messages expected. */
static void
expect_errors(const char *text, const char *expected)
{
	char *errs;
	struct config *c = load_text(text, &errs);

	assert_string_equal(errs, expected);
	assert_null(c);
	free(errs);
}

/* text must load without a word on errs. */
static struct config *
expect_ok(const char *text)
{
	char *errs;
	struct config *c = load_text(text, &errs);

	assert_string_equal(errs, "");
	assert_non_null(c);
	free(errs);
	return c;
}

/* text must load without a word on errs, and that is all. */
static void
expect_ok_free(const char *text)
{
	config_free(expect_ok(text));
}

static char *
in_tmp(const char *name)
{
	char *s;

	assert_int_not_equal(asprintf(&s, "%s/%s", tmpdir, name), -1);
	return s;
}

static void
test_full(void **state)
{
	struct config *c;
	char *dir;

	(void)state;
	c = expect_ok(
		"; every key set\n"
		"[feed]\n"
		"title = Norrviks kommun\n"
		"subtitle = Pressmeddelanden\n"
		"base_url = https://news.example.org/press/\n"
		"author = Kommunikation\n"
		"language = en-GB\n"
		"timezone = Europe/Stockholm\n"
		"max_entries = 20\n"
		"link_template = https://www.example.org/p/{slug}\n"
		"tag_date = 2019-12-10\n"
		"max_file_size = 512K\n"
		"raw_html = yes\n"
		"date_source = git\n"
		"archive_period = year\n"
		"tag_archive_period = month\n"
		"\n"
		"# paths\n"
		"[paths]\n"
		"releases = in\n"
		"output = /srv/www/feeds\n"
		"state = var/state\n"
		"[daemon]\n"
		"settle_ms = 100\n"
		"settle_cap_ms = 2000\n");
	assert_string_equal(c->path, conf);
	assert_string_equal(c->feed.title, "Norrviks kommun");
	assert_string_equal(c->feed.subtitle, "Pressmeddelanden");
	assert_string_equal(c->feed.base_url,
			    "https://news.example.org/press/");
	assert_string_equal(c->feed.author, "Kommunikation");
	assert_string_equal(c->feed.language, "en-GB");
	assert_string_equal(c->timezone, "Europe/Stockholm");
	assert_int_equal(c->feed.max_entries, 20);
	assert_string_equal(c->feed.link_template,
			    "https://www.example.org/p/{slug}");
	assert_string_equal(c->feed.tag_authority, "news.example.org");
	assert_string_equal(c->feed.tag_path, "/press/");
	assert_string_equal(c->feed.tag_date, "2019-12-10");
	assert_int_equal(c->feed.max_file_size, 512 * 1024);
	assert_true(c->feed.raw_html);
	assert_true(c->date_git);
	assert_int_equal(c->feed.archive_period, PERIOD_YEAR);
	assert_int_equal(c->feed.tag_archive_period, PERIOD_MONTH);
	dir = in_tmp("in");
	assert_string_equal(c->releases_dir, dir);
	free(dir);
	assert_string_equal(c->output_dir, "/srv/www/feeds");
	dir = in_tmp("var/state");
	assert_string_equal(c->state_dir, dir);
	free(dir);
	assert_int_equal(c->settle_ms, 100);
	assert_int_equal(c->settle_cap_ms, 2000);
	config_free(c);
}

static void
test_defaults(void **state)
{
	struct config *c;
	char *dir;

	(void)state;
	c = expect_ok("[feed]\ntitle = T\nbase_url = https://e.org\n");
	assert_string_equal(c->feed.title, "T");
	assert_string_equal(c->feed.base_url, "https://e.org/");
	assert_null(c->feed.subtitle);
	assert_null(c->feed.author);
	assert_null(c->feed.language);
	assert_null(c->feed.link_template);
	assert_string_equal(c->feed.tag_authority, "e.org");
	assert_string_equal(c->feed.tag_path, "/");
	assert_string_equal(c->feed.tag_date, "2000");
	assert_string_equal(c->timezone, "UTC");
	assert_int_equal(c->feed.max_entries, 50);
	assert_int_equal(c->feed.max_file_size, 1024 * 1024);
	assert_false(c->feed.raw_html);
	assert_false(c->date_git);
	assert_int_equal(c->settle_ms, 20);
	assert_int_equal(c->settle_cap_ms, 500);
	dir = in_tmp("releases");
	assert_string_equal(c->releases_dir, dir);
	free(dir);
	dir = in_tmp("public");
	assert_string_equal(c->output_dir, dir);
	free(dir);
	dir = in_tmp("state");
	assert_string_equal(c->state_dir, dir);
	free(dir);
	config_free(c);
}

/* name, from the top of the tree, found from the tests' data folder. */
static char *
in_tree(const char *name)
{
	const char *data = getenv("TESTDATA");
	char *path;

	if (data != NULL)
		assert_int_not_equal(asprintf(&path, "%s/../../%s", data,
					      name), -1);
	else	/* run by hand from the top of the tree */
		path = strdup(name);
	assert_non_null(path);
	return path;
}

/* The installed example must load and say what its comments say. */
static void
test_shipped_example(void **state)
{
	char *path = in_tree("config/feedpubd.conf"), *errs;
	struct config *c;

	(void)state;
	c = load(path, &errs);
	assert_string_equal(errs, "");
	assert_non_null(c);
	assert_string_equal(c->feed.title, "Example Newsroom");
	assert_string_equal(c->feed.base_url, "https://news.example.org/");
	assert_string_equal(c->feed.language, "sv");
	assert_string_equal(c->timezone, "Europe/Stockholm");
	assert_int_equal(c->feed.max_entries, 50);
	assert_int_equal(c->feed.max_file_size, 1024 * 1024);
	assert_false(c->feed.raw_html);
	assert_string_equal(c->feed.tag_date, "2000");
	assert_int_equal(c->releases_dir[0], '/');
	assert_int_equal(c->output_dir[0], '/');
	assert_int_equal(c->state_dir[0], '/');
	assert_int_equal(c->settle_ms, 20);
	assert_int_equal(c->settle_cap_ms, 500);
	/* Its ping sections are examples, commented out. */
	assert_int_equal(c->npings, 0);
	assert_int_equal(c->feed.nhubs, 0);
	assert_int_equal(c->ping_connect_timeout_s, 5);
	assert_int_equal(c->ping_timeout_s, 15);
	assert_int_equal(c->ping_give_up_s, 86400);
	config_free(c);
	free(errs);
	free(path);
}

/*
 * Commented-out ping sections, as examples/feedpubd.conf ships them (the
 * fixture is a copy: the example itself is the user's to edit, and
 * test_unit_files.py checks it still loads with its pings uncommented).
 */
static void
test_commented_pings(void **state)
{
	char *path = in_tree("tests/data/config/commented-pings.conf"), *errs;
	struct config *c;

	(void)state;
	c = load(path, &errs);
	assert_string_equal(errs, "");
	assert_non_null(c);
	assert_string_equal(c->feed.base_url, "https://news.example.org/");
	assert_null(c->pings);
	assert_int_equal(c->npings, 0);
	assert_null(c->feed.hubs);
	assert_int_equal(c->feed.nhubs, 0);
	config_free(c);
	free(errs);
	free(path);
}

static void
test_base_url_slash(void **state)
{
	struct config *c;

	(void)state;
	c = expect_ok("[feed]\ntitle = T\n"
		      "base_url = http://news.example.org/a/press\n");
	assert_string_equal(c->feed.base_url,
			    "http://news.example.org/a/press/");
	assert_string_equal(c->feed.tag_path, "/a/press/");
	config_free(c);
}

static void
test_base_url_port_case(void **state)
{
	struct config *c;

	(void)state;
	c = expect_ok("[feed]\ntitle = T\n"
		      "base_url = https://News.Example.org:8443/press\n");
	assert_string_equal(c->feed.tag_authority, "news.example.org");
	assert_string_equal(c->feed.tag_path, "/press/");
	assert_string_equal(c->feed.base_url,
			    "https://News.Example.org:8443/press/");
	config_free(c);
}

struct bad {
	const char *section;
	const char *line;
	const char *msg;	/* printed as "F:5: msg\n" */
};

static const struct bad bad_values[] = {
	{ "feed", "language = en_GB", "invalid language 'en_GB': expected "
	  "a language tag such as 'sv' or 'en-GB' (letters, digits, '-')" },
	{ "feed", "language = -sv", "invalid language '-sv': expected "
	  "a language tag such as 'sv' or 'en-GB' (letters, digits, '-')" },
	{ "feed", "timezone = Mars/Olympus", "invalid timezone "
	  "'Mars/Olympus': not a zone in the tz database (e.g. 'UTC', "
	  "'Europe/Stockholm')" },
	{ "feed", "max_entries = 0",
	  "invalid max_entries '0': expected an integer 1..100000" },
	{ "feed", "max_entries = 100001",
	  "invalid max_entries '100001': expected an integer 1..100000" },
	{ "feed", "max_entries = -5",
	  "invalid max_entries '-5': expected an integer 1..100000" },
	{ "feed", "max_entries = 5x",
	  "invalid max_entries '5x': expected an integer 1..100000" },
	{ "feed", "max_entries = 99999999999999999999999",
	  "invalid max_entries '99999999999999999999999': expected an "
	  "integer 1..100000" },
	{ "feed", "link_template = https://e.org/a.html",
	  "invalid link_template 'https://e.org/a.html': no {slug} in it" },
	{ "feed", "link_template = /releases/{slug}.html",
	  "invalid link_template '/releases/{slug}.html': not an absolute URL (write it as https://host/path/)" },
	{ "feed", "link_template = ftp://e.org/{slug}",
	  "invalid link_template 'ftp://e.org/{slug}': not an http:// or "
	  "https:// URL" },
	{ "feed", "tag_date = 24",
	  "invalid tag_date '24': expected a date YYYY, YYYY-MM or "
	  "YYYY-MM-DD (RFC 4151)" },
	{ "feed", "tag_date = 2023-02-29",
	  "invalid tag_date '2023-02-29': expected a date YYYY, YYYY-MM or "
	  "YYYY-MM-DD (RFC 4151)" },
	{ "feed", "tag_date = 2024-13",
	  "invalid tag_date '2024-13': expected a date YYYY, YYYY-MM or "
	  "YYYY-MM-DD (RFC 4151)" },
	{ "feed", "tag_date = 2024/01/01",
	  "invalid tag_date '2024/01/01': expected a date YYYY, YYYY-MM or "
	  "YYYY-MM-DD (RFC 4151)" },
	{ "feed", "max_file_size = 1023",
	  "invalid max_file_size '1023': expected a size 1K..64M (bytes, or "
	  "with a K or M suffix)" },
	{ "feed", "max_file_size = 65M",
	  "invalid max_file_size '65M': expected a size 1K..64M (bytes, or "
	  "with a K or M suffix)" },
	{ "feed", "max_file_size = 1G",
	  "invalid max_file_size '1G': expected a size 1K..64M (bytes, or "
	  "with a K or M suffix)" },
	{ "feed", "max_file_size = 1KB",
	  "invalid max_file_size '1KB': expected a size 1K..64M (bytes, or "
	  "with a K or M suffix)" },
	{ "feed", "max_file_size = 0M",
	  "invalid max_file_size '0M': expected a size 1K..64M (bytes, or "
	  "with a K or M suffix)" },
	{ "feed", "raw_html = maybe", "invalid raw_html 'maybe': expected "
	  "true/false, yes/no, on/off or 1/0" },
	{ "feed", "date_source = svn", "invalid date_source 'svn': expected "
	  "file or git" },
	{ "feed", "tag_archive_period = week", "invalid tag_archive_period "
	  "'week': expected month or year" },
	{ "daemon", "settle_ms = 10001",
	  "invalid settle_ms '10001': expected an integer 0..10000" },
	{ "daemon", "settle_cap_ms = 60001",
	  "invalid settle_cap_ms '60001': expected an integer 0..60000" },
	{ "daemon", "settle_cap_ms = 10",
	  "invalid settle_cap_ms '10': less than settle_ms (20)" },
	{ "daemon", "settle_ms = 600",
	  "invalid settle_ms '600': more than settle_cap_ms (default 500)" },
	{ "paths", "releases =", "empty value for 'releases' in [paths]" },
	{ "feed", "subtitle =", "empty value for 'subtitle' in [feed]" },
	{ "feed", "author = ; nobody", "empty value for 'author' in [feed]" },
	{ "feed", "title = again",
	  "duplicate key 'title' in [feed] (first set on line 2)" },
	{ "feed", "tittle = T", "unknown key 'tittle' in [feed]" },
	{ "paths", "title = T", "unknown key 'title' in [paths]" },
	{ "feed", "just some words", "syntax error: expected 'key = value', "
	  "'[section]' or a comment" },
};

/* Each bad value alone, on line 5, after a good [feed] head. */
static void
test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]);
	     i++) {
		const struct bad *b = &bad_values[i];
		char *text, *want;

		assert_int_not_equal(asprintf(&text, HEAD "[%s]\n%s\n",
					      b->section, b->line), -1);
		assert_int_not_equal(asprintf(&want, "F:5: %s\n", b->msg),
				     -1);
		expect_errors(text, want);
		free(text);
		free(want);
	}
}

static const struct bad bad_urls[] = {
	{ NULL, "ftp://e.org/", "not an http:// or https:// URL" },
	{ NULL, "e.org/news/", "not an absolute URL (write it as https://host/path/)" },
	{ NULL, "https://e.org/?page=1", "a query ('?') is not allowed" },
	{ NULL, "https://e.org/#top", "a fragment ('#') is not allowed" },
	{ NULL, "https://u:pw@e.org/", "user info is not allowed" },
	{ NULL, "https://e.org/a b/", "spaces are not allowed in a URL (a comment after a value starts with ' ;')" },
	{ NULL, "file:///srv/www/", "not an http:// or https:// URL" },
};

static void
test_bad_base_url(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		const struct bad *b = &bad_urls[i];
		char *text, *want;

		assert_int_not_equal(asprintf(&text,
			"[feed]\ntitle = T\n\nbase_url = %s\n", b->line), -1);
		assert_int_not_equal(asprintf(&want,
			"F:4: invalid base_url '%s': %s\n", b->line, b->msg),
			-1);
		expect_errors(text, want);
		free(text);
		free(want);
	}
}

static void
test_sections(void **state)
{
	(void)state;
	expect_errors("title = T\n" HEAD,
		      "F:1: key 'title' outside any section (" SECTIONS ")\n");
	/* Reported once, not again for each of its keys. */
	expect_errors(HEAD "\n[feeds]\nx = 1\ny = 2\n",
		      "F:5: unknown section [feeds] (expected " SECTIONS ")\n");
	expect_errors(HEAD "[empty]\n",
		      "F:4: unknown section [empty] (expected " SECTIONS ")\n");
	expect_errors(HEAD "[pingx]\n",
		      "F:4: unknown section [pingx] (expected " SECTIONS ")\n");
	expect_errors(HEAD "[paths\nreleases = r\n",
		      "F:4: syntax error: '[' without ']'\n");
}

static void
test_missing_required(void **state)
{
	(void)state;
	expect_errors("[feed]\nsubtitle = S\n",
		      "F: missing required key 'title' in [feed]\n"
		      "F: missing required key 'base_url' in [feed]\n");
	expect_errors("",
		      "F: missing required key 'title' in [feed]\n"
		      "F: missing required key 'base_url' in [feed]\n");
	/* A bad value is not reported as missing too. */
	expect_errors("[feed]\ntitle = T\nbase_url = nope\n",
		      "F:3: invalid base_url 'nope': not an absolute URL (write it as https://host/path/)\n");
}

static void
test_many_errors(void **state)
{
	(void)state;
	expect_errors(
		"[feed]\n"				/* 1 */
		"title = T\n"				/* 2 */
		"base_url = https://e.org/?x\n"		/* 3 */
		"max_entries = many\n"			/* 4 */
		"; fine\n"				/* 5 */
		"colour = blue\n"			/* 6 */
		"title = T2\n"				/* 7 */
		"[extra]\n"				/* 8 */
		"a = b\n"				/* 9 */
		"[daemon]\n"				/* 10 */
		"oops\n"				/* 11 */
		"settle_ms = 1000\n"			/* 12 */
		"settle_cap_ms = 999\n",		/* 13 */
		"F:3: invalid base_url 'https://e.org/?x': a query ('?') is "
		"not allowed\n"
		"F:4: invalid max_entries 'many': expected an integer "
		"1..100000\n"
		"F:6: unknown key 'colour' in [feed]\n"
		"F:7: duplicate key 'title' in [feed] (first set on line 2)\n"
		"F:8: unknown section [extra] (expected " SECTIONS ")\n"
		"F:11: syntax error: expected 'key = value', '[section]' or "
		"a comment\n"
		"F:13: invalid settle_cap_ms '999': less than settle_ms "
		"(1000)\n");
	/* The last line, without a newline, is checked too. */
	expect_errors(HEAD "oops", "F:4: syntax error: expected "
		      "'key = value', '[section]' or a comment\n");
}

/* Several targets of each kind, between other sections, in file order. */
static void
test_pings(void **state)
{
	static const struct {
		const char *name;
		enum ping_kind kind;
		const char *url;
		const char *secret;
	} want[] = {
		{ "superfeedr", PING_WEBSUB, "https://superfeedr.example/",
		  NULL },
		{ "ping-o-matic", PING_XMLRPC, "http://rpc.example.com/RPC2",
		  NULL },
		{ "chat", PING_WEBHOOK,
		  "https://hooks.example/in?token=abc&x=1", "s3cr=t" },
		{ "hub.2", PING_WEBSUB, "https://hub2.example:8443/pub?q=1",
		  NULL },
		{ "plain_hook", PING_WEBHOOK, "http://10.0.0.1/hook", NULL },
		{ "X", PING_XMLRPC, "https://blo.gs/", NULL },
		{ "last", PING_WEBSUB, "http://last.example/hub", NULL },
	};
	struct config *c;

	(void)state;
	c = expect_ok(
		"[ping \"superfeedr\"]\n"
		"kind = websub\n"
		"url = https://superfeedr.example\n"
		HEAD
		"[ping \"ping-o-matic\"]\n"
		"url = http://rpc.example.com/RPC2\n"
		"kind = xmlrpc\n"
		"[ping\t\"chat\"] ; a comment\n"
		"secret = s3cr=t\n"
		"kind = webhook\n"
		"url = https://hooks.example/in?token=abc&x=1\n"
		"[pings]\n"
		"timeout = 20s\n"
		"[ping \"hub.2\"]\n"
		"kind = websub\n"
		"url = https://hub2.example:8443/pub?q=1\n"
		"[ping \"plain_hook\"]\n"
		"kind = webhook\n"
		"url = http://10.0.0.1/hook\n"
		"[daemon]\n"
		"settle_ms = 5\n"
		"[ping \"X\"]\n"
		"kind = xmlrpc\n"
		"url = https://blo.gs/\n"
		"[ping  \"last\"]\n"
		"kind = websub\n"
		"url = http://last.example/hub");
	assert_int_equal(c->npings, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < c->npings; i++) {
		const struct ping_target *t = &c->pings[i];

		assert_string_equal(t->name, want[i].name);
		assert_int_equal(t->kind, want[i].kind);
		assert_string_equal(t->url, want[i].url);
		if (want[i].secret == NULL)
			assert_null(t->secret);
		else
			assert_string_equal(t->secret, want[i].secret);
	}
	/* The websub urls, in file order; the same strings. */
	assert_int_equal(c->feed.nhubs, 3);
	assert_ptr_equal(c->feed.hubs[0], c->pings[0].url);
	assert_ptr_equal(c->feed.hubs[1], c->pings[3].url);
	assert_ptr_equal(c->feed.hubs[2], c->pings[6].url);
	assert_string_equal(c->feed.hubs[2], "http://last.example/hub");
	assert_int_equal(c->ping_connect_timeout_s, 5);
	assert_int_equal(c->ping_timeout_s, 20);
	assert_int_equal(c->ping_give_up_s, 86400);
	assert_int_equal(c->settle_ms, 5);
	config_free(c);
}

/* [publish]: the command as written, order by name, durations. */
static void
test_publish(void **state)
{
	struct config *c;

	(void)state;
	c = expect_ok(HEAD);
	assert_null(c->publish.exec);
	assert_int_equal(c->publish.order, ORDER_ALL);
	assert_int_equal(c->publish.timeout, 600);
	assert_int_equal(c->publish.retry_max, 300);
	config_free(c);
	c = expect_ok(HEAD "[publish]\nexec = rsync -a \"$X\" ./ h:/srv/\n"
		      "order = safe\ntimeout = 30s\nretry_max = 1m\n");
	assert_string_equal(c->publish.exec, "rsync -a \"$X\" ./ h:/srv/");
	assert_int_equal(c->publish.order, ORDER_SAFE);
	assert_int_equal(c->publish.timeout, 30);
	assert_int_equal(c->publish.retry_max, 60);
	config_free(c);
	expect_errors(HEAD "[publish]\norder = Safe\ntimeout = 0s\n",
	    "F:5: invalid order 'Safe': expected all or safe\n"
	    "F:6: invalid timeout '0s': expected a duration 1s..1d "
	    DURATION "\n");
}

/* [http] listen is a list; [hub] adds its own URL first among the hubs. */
static void
test_http_hub(void **state)
{
	struct config *c;

	(void)state;
	c = expect_ok(HEAD "[http]\nlisten = 127.0.0.1:0, [::1]:8080  *:80\n"
		      "base_path = /feeds\n[hub]\nenabled = yes\n"
		      "lease_min = 2s\n[ping \"x\"]\nkind = websub\n"
		      "url = https://hub.example/\n");
	assert_int_equal(c->http.nlisten, 3);
	assert_string_equal(c->http.listenv[0], "127.0.0.1:0");
	assert_string_equal(c->http.listenv[1], "[::1]:8080");
	assert_string_equal(c->http.listenv[2], "*:80");
	assert_string_equal(c->http.base_path, "/feeds");
	assert_true(c->hub.enabled);
	assert_int_equal(c->hub.lease_min, 2);
	assert_int_equal(c->hub.lease_default, 10 * 86400);
	assert_string_equal(c->hub.self_url, "https://e.org/hub");
	assert_int_equal(c->feed.nhubs, 2);
	assert_string_equal(c->feed.hubs[0], "https://e.org/hub");
	assert_string_equal(c->feed.hubs[1], "https://hub.example/");
	config_free(c);
	c = expect_ok(HEAD "[hub]\nenabled = true\nurl = https://h.e.org/x\n");
	assert_string_equal(c->feed.hubs[0], "https://h.e.org/x");
	assert_int_equal(c->feed.nhubs, 1);
	assert_int_equal(c->http.nlisten, 0);
	config_free(c);
	c = expect_ok(HEAD "[hub]\nurl = https://h.e.org/x\n");
	assert_null(c->hub.self_url);
	assert_int_equal(c->feed.nhubs, 0);
	config_free(c);
	expect_errors(HEAD "[http]\nlisten = localhost:80\nbase_path = x\n"
		      "[hub]\nlease_min = 2d\nlease_max = 1d\n",
		      "F:5: invalid listen 'localhost:80': expected addresses "
		      "HOST:PORT (an IPv4 address, [an IPv6 address] or *, and "
		      "a port 0..65535)\n"
		      "F:6: invalid base_path 'x': expected a URL path starting "
		      "with '/' (printable ASCII, no blank, '?', '#' or "
		      "backslash)\n"
		      "F:9: invalid lease_max: 86400s is less than "
		      "lease_default (default 864000s)\n");
}

static void
test_pings_none(void **state)
{
	struct config *c;

	(void)state;
	c = expect_ok(HEAD);
	assert_null(c->pings);
	assert_int_equal(c->npings, 0);
	assert_null(c->feed.hubs);
	assert_int_equal(c->feed.nhubs, 0);
	assert_int_equal(c->ping_connect_timeout_s, 5);
	assert_int_equal(c->ping_timeout_s, 15);
	assert_int_equal(c->ping_give_up_s, 24 * 60 * 60);
	config_free(c);

	/* Targets but no websub one: nothing to advertise. */
	c = expect_ok(HEAD "[pings]\n[ping \"a\"]\nkind = webhook\n"
		      "url = https://a.example/\n[ping \"b\"]\n"
		      "kind = xmlrpc\nurl = https://b.example/\n");
	assert_int_equal(c->npings, 2);
	assert_null(c->feed.hubs);
	assert_int_equal(c->feed.nhubs, 0);
	config_free(c);
}

static void
test_durations(void **state)
{
	static const struct {
		const char *lines;
		unsigned connect, timeout, give_up;
	} cases[] = {
		{ "connect_timeout = 1\ntimeout = 1", 1, 1, 86400 },
		{ "connect_timeout = 7s\ntimeout = 7s", 7, 7, 86400 },
		{ "connect_timeout = 5m\ntimeout = 1h", 300, 3600, 86400 },
		{ "connect_timeout = 300\ntimeout = 3600s", 300, 3600,
		  86400 },
		{ "timeout = 2m\ngive_up_after = 1m", 5, 120, 60 },
		{ "give_up_after = 60", 5, 15, 60 },
		{ "give_up_after = 90m", 5, 15, 5400 },
		{ "give_up_after = 3h", 5, 15, 10800 },
		{ "give_up_after = 2d", 5, 15, 172800 },
		{ "give_up_after = 30d", 5, 15, 2592000 },
		{ "give_up_after = 720h", 5, 15, 2592000 },
		/* Equal to the default timeout is fine. */
		{ "connect_timeout = 15s", 15, 15, 86400 },
	};
	struct config *c;
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(asprintf(&text, HEAD "[pings]\n%s\n",
					      cases[i].lines), -1);
		c = expect_ok(text);
		assert_int_equal(c->ping_connect_timeout_s, cases[i].connect);
		assert_int_equal(c->ping_timeout_s, cases[i].timeout);
		assert_int_equal(c->ping_give_up_s, cases[i].give_up);
		config_free(c);
		free(text);
	}
}

static const struct bad bad_durations[] = {
	{ NULL, "connect_timeout = 0", "invalid connect_timeout '0': "
	  "expected a duration 1s..5m " DURATION },
	{ NULL, "connect_timeout = 301s", "invalid connect_timeout "
	  "'301s': expected a duration 1s..5m " DURATION },
	{ NULL, "connect_timeout = 6m", "invalid connect_timeout '6m': "
	  "expected a duration 1s..5m " DURATION },
	{ NULL, "connect_timeout = 5 s", "invalid connect_timeout '5 s': "
	  "expected a duration 1s..5m " DURATION },
	{ NULL, "connect_timeout = 5S", "invalid connect_timeout '5S': "
	  "expected a duration 1s..5m " DURATION },
	{ NULL, "timeout = 0s", "invalid timeout '0s': expected a duration "
	  "1s..1h " DURATION },
	{ NULL, "timeout = 3601", "invalid timeout '3601': expected a "
	  "duration 1s..1h " DURATION },
	{ NULL, "timeout = 2h", "invalid timeout '2h': expected a duration "
	  "1s..1h " DURATION },
	{ NULL, "timeout = 10ms", "invalid timeout '10ms': expected a "
	  "duration 1s..1h " DURATION },
	{ NULL, "timeout = 1.5m", "invalid timeout '1.5m': expected a "
	  "duration 1s..1h " DURATION },
	{ NULL, "timeout = -1", "invalid timeout '-1': expected a "
	  "duration 1s..1h " DURATION },
	{ NULL, "timeout = s", "invalid timeout 's': expected a "
	  "duration 1s..1h " DURATION },
	{ NULL, "give_up_after = 59s", "invalid give_up_after '59s': "
	  "expected a duration 1m..30d " DURATION },
	{ NULL, "give_up_after = 31d", "invalid give_up_after '31d': "
	  "expected a duration 1m..30d " DURATION },
	{ NULL, "give_up_after = 1w", "invalid give_up_after '1w': "
	  "expected a duration 1m..30d " DURATION },
	{ NULL, "give_up_after = 99999999999999999999d", "invalid "
	  "give_up_after '99999999999999999999d': expected a duration "
	  "1m..30d " DURATION },
	{ NULL, "give_up_after = 999999999999999999d", "invalid "
	  "give_up_after '999999999999999999d': expected a duration "
	  "1m..30d " DURATION },
	{ NULL, "timeout = 3s",
	  "invalid timeout: 3s is less than connect_timeout (default 5s)" },
	{ NULL, "connect_timeout = 1m", "invalid connect_timeout: 60s is "
	  "more than timeout (default 15s)" },
	{ NULL, "retries = 3", "unknown key 'retries' in [pings]" },
	{ NULL, "timeout =", "empty value for 'timeout' in [pings]" },
};

/* Each bad [pings] value alone, on line 5. */
static void
test_bad_durations(void **state)
{
	(void)state;
	for (size_t i = 0;
	     i < sizeof(bad_durations) / sizeof(bad_durations[0]); i++) {
		const struct bad *b = &bad_durations[i];
		char *text, *want;

		assert_int_not_equal(asprintf(&text, HEAD "[pings]\n%s\n",
					      b->line), -1);
		assert_int_not_equal(asprintf(&want, "F:5: %s\n", b->msg),
				     -1);
		expect_errors(text, want);
		free(text);
		free(want);
	}
	/* Both set: reported at timeout, in seconds whatever the units. */
	expect_errors(HEAD "[pings]\ntimeout = 1m\n\nconnect_timeout = 2m\n",
		      "F:5: invalid timeout: 60s is less than connect_timeout "
		      "(120s)\n");
	/* A bad value is not compared as well. */
	expect_errors(HEAD "[pings]\nconnect_timeout = 99m\ntimeout = 2\n",
		      "F:5: invalid connect_timeout '99m': expected a "
		      "duration 1s..5m " DURATION "\n");
	expect_errors(HEAD "[pings]\ntimeout = 1\ntimeout = 30\n"
		      "[pings]\ntimeout = 40\n",
		      "F:6: duplicate key 'timeout' in [pings] (first set on "
		      "line 5)\n"
		      "F:8: duplicate key 'timeout' in [pings] (first set on "
		      "line 5)\n"
		      "F:5: invalid timeout: 1s is less than connect_timeout "
		      "(default 5s)\n");
}

#define NO_KIND	"url = https://h.example/\n; no kind yet"
#define NO_URL	"kind = webhook\n; no url yet"
#define BOTH	"kind = webhook\nurl = https://h.example/"

/* .section: lines 5-6 of the [ping "h-1"] section; .line: line 7. */
static const struct bad bad_ping_keys[] = {
	{ NO_KIND, "kind = pubsub",
	  "invalid kind 'pubsub': expected websub, xmlrpc or webhook" },
	{ NO_KIND, "kind = WebSub",
	  "invalid kind 'WebSub': expected websub, xmlrpc or webhook" },
	{ NO_URL, "url = ftp://hub.example/",
	  "invalid url 'ftp://hub.example/': not an http:// or https:// URL" },
	{ NO_URL, "url = hub.example/", "invalid url 'hub.example/': "
	  "not an absolute URL (write it as https://host/path/)" },
	{ NO_URL, "url = https://hub.example/#x", "invalid url "
	  "'https://hub.example/#x': a fragment ('#') is not allowed" },
	{ NO_URL, "url = https://me:pw@hub.example/", "invalid url "
	  "'https://me:pw@hub.example/': user info is not allowed" },
	{ NO_URL, "url = https://h.example/a b", "invalid url "
	  "'https://h.example/a b': spaces are not allowed in a URL (a comment after a value starts with ' ;')" },
	{ BOTH, "token = abc", "unknown key 'token' in [ping \"h-1\"]" },
	{ BOTH, "title = T", "unknown key 'title' in [ping \"h-1\"]" },
	{ BOTH, "kind = webhook", "duplicate key 'kind' in [ping \"h-1\"] "
	  "(first set on line 5)" },
	{ BOTH, "url = https://other.example/", "duplicate key 'url' in "
	  "[ping \"h-1\"] (first set on line 6)" },
	{ BOTH, "secret =", "empty value for 'secret' in [ping \"h-1\"]" },
	{ BOTH, "words", "syntax error: expected 'key = value', "
	  "'[section]' or a comment" },
};

static void
test_bad_ping_keys(void **state)
{
	(void)state;
	for (size_t i = 0;
	     i < sizeof(bad_ping_keys) / sizeof(bad_ping_keys[0]); i++) {
		const struct bad *b = &bad_ping_keys[i];
		char *text, *want;

		assert_int_not_equal(asprintf(&text, HEAD "[ping \"h-1\"]\n"
			"%s\n%s\n", b->section, b->line), -1);
		assert_int_not_equal(asprintf(&want, "F:7: %s\n", b->msg),
				     -1);
		expect_errors(text, want);
		free(text);
		free(want);
	}
}

static void
test_ping_sections(void **state)
{
	static const char *const heads[] = {
		"ping", "ping \"\"", "ping \"a b\"", "ping x", "ping \"x",
		"ping \"x\"y", "ping \"x\" ", "ping\"x\"", "ping \"a/b\"",
		"ping 'x'",
	};
	char *text, *want;

	(void)state;
	/* Malformed headers: reported once, their keys skipped. */
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		assert_int_not_equal(asprintf(&text, HEAD "[%s]\n"
			"kind = websub\nbogus = 1\n", heads[i]), -1);
		assert_int_not_equal(asprintf(&want,
			"F:4: invalid section [%s]: " BAD_PING_HEAD "\n",
			heads[i]), -1);
		expect_errors(text, want);
		free(text);
		free(want);
	}
	expect_errors(HEAD "[ping \"x\"\nkind = websub\n",
		      "F:4: syntax error: '[' without ']'\n");
	/* A duplicate name is reported at its line, its keys still read. */
	expect_errors(HEAD
		"[ping \"a\"]\n"			/* 4 */
		"kind = websub\n"			/* 5 */
		"url = https://a.example/\n"		/* 6 */
		"[ping \"b\"]\n"			/* 7 */
		"kind = websub\n"			/* 8 */
		"url = https://b.example/\n"		/* 9 */
		"[ping \"a\"]\n"			/* 10 */
		"kind = webhook\n"			/* 11 */
		"url = nope\n",				/* 12 */
		"F:10: duplicate section [ping \"a\"] (first on line 4)\n"
		"F:12: invalid url 'nope': not an absolute URL (write it as https://host/path/)\n");
	/* Names are case-sensitive. */
	expect_ok_free(HEAD "[ping \"a\"]\nkind = websub\n"
		       "url = https://a.example/\n[ping \"A\"]\n"
		       "kind = websub\nurl = https://a.example/\n");
}

static void
test_ping_missing_and_secret(void **state)
{
	(void)state;
	expect_errors(HEAD "[ping \"h\"]\nkind = websub\n",
		      "F:4: [ping \"h\"]: missing required key 'url'\n");
	expect_errors(HEAD "[ping \"h\"]\nurl = https://h.example/\n"
		      "[paths]\n",
		      "F:4: [ping \"h\"]: missing required key 'kind'\n");
	expect_errors(HEAD "\n[ping \"h\"]\n\n[ping \"i\"]\n",
		      "F:5: [ping \"h\"]: missing required key 'kind'\n"
		      "F:5: [ping \"h\"]: missing required key 'url'\n"
		      "F:7: [ping \"i\"]: missing required key 'kind'\n"
		      "F:7: [ping \"i\"]: missing required key 'url'\n");
	/* A bad value is not reported as missing too. */
	expect_errors(HEAD "[ping \"h\"]\nkind = hub\nurl = ftp://h/\n",
		      "F:5: invalid kind 'hub': expected websub, xmlrpc or "
		      "webhook\n"
		      "F:6: invalid url 'ftp://h/': not an http:// or "
		      "https:// URL\n");
	/* secret only with kind = webhook, whichever comes first. */
	expect_errors(HEAD "[ping \"h\"]\nsecret = s\nkind = websub\n"
		      "url = https://h.example/\n",
		      "F:5: key 'secret' in [ping \"h\"]: only webhook pings "
		      "are signed (kind is websub)\n");
	expect_errors(HEAD "[ping \"h\"]\nkind = xmlrpc\n"
		      "url = https://h.example/\nsecret = s\n",
		      "F:7: key 'secret' in [ping \"h\"]: only webhook pings "
		      "are signed (kind is xmlrpc)\n");
	/* With a bad kind, the kind alone is reported. */
	expect_errors(HEAD "[ping \"h\"]\nkind = hook\n"
		      "url = https://h.example/\nsecret = s\n",
		      "F:5: invalid kind 'hook': expected websub, xmlrpc or "
		      "webhook\n");
}

/* Problems in several ping sections, all in one run. */
static void
test_ping_many_errors(void **state)
{
	(void)state;
	expect_errors(
		"[ping \"a\"]\n"			/* 1 */
		"kind = websub\n"			/* 2 */
		"secret = x\n"				/* 3 */
		"url = https://a.example/?hub\n"	/* 4 */
		"[ping]\n"				/* 5 */
		"url = https://b.example/\n"		/* 6 */
		"[feed]\n"				/* 7 */
		"title = T\n"				/* 8 */
		"[ping \"a\"]\n"			/* 9 */
		"colour = red\n"			/* 10 */
		"[pings]\n"				/* 11 */
		"give_up_after = forever\n"		/* 12 */
		"[ping \"c\"]\n"			/* 13 */
		"kind = xmlrpc\n",			/* 14 */
		"F:3: key 'secret' in [ping \"a\"]: only webhook pings are "
		"signed (kind is websub)\n"
		"F:5: invalid section [ping]: " BAD_PING_HEAD "\n"
		"F:9: duplicate section [ping \"a\"] (first on line 1)\n"
		"F:10: unknown key 'colour' in [ping \"a\"]\n"
		"F:9: [ping \"a\"]: missing required key 'kind'\n"
		"F:9: [ping \"a\"]: missing required key 'url'\n"
		"F:12: invalid give_up_after 'forever': expected a duration "
		"1m..30d " DURATION "\n"
		"F:13: [ping \"c\"]: missing required key 'url'\n"
		"F: missing required key 'base_url' in [feed]\n");
}

/* Most likely the default path: the message says how to name another. */
static void
test_cannot_read(void **state)
{
	char *path = in_tmp("no-such.conf"), *errs, *want;

	(void)state;
	assert_null(load(path, &errs));
	assert_int_not_equal(asprintf(&want, "feedpubd: cannot read %s: No "
	    "such file or directory (use --config FILE)\n", path), -1);
	assert_string_equal(errs, want);
	free(want);
	free(errs);
	free(path);
	/* fopen() takes a folder; reading it fails. */
	assert_null(load(tmpdir, &errs));
	assert_string_equal(errs, "F: cannot read: Is a directory\n");
	free(errs);
}

/*
 * inih (as Debian builds it) would read an indented key as more of the
 * previous value; comments, CRLF, a BOM and "key: value" must work too.
 */
static void
test_syntax_variants(void **state)
{
	struct config *c;

	(void)state;
	c = expect_ok("\xEF\xBB\xBF# comment\r\n"
		      "[feed]\r\n"
		      "    title = Indented ; inline comment\r\n"
		      "\tbase_url = https://e.org/\r\n"
		      "  ; indented comment\r\n"
		      "\tsubtitle: colon form\r\n"
		      "   \r\n"
		      "  [daemon]\r\n"
		      "  settle_ms = 0\r\n"
		      "  settle_cap_ms = 0\r\n");
	assert_string_equal(c->feed.title, "Indented");
	assert_string_equal(c->feed.base_url, "https://e.org/");
	assert_string_equal(c->feed.subtitle, "colon form");
	assert_int_equal(c->settle_ms, 0);
	assert_int_equal(c->settle_cap_ms, 0);
	config_free(c);
}

/* bytes[0..n) into the config file: NUL bytes included. */
static void
write_bytes(const char *bytes, size_t n)
{
	FILE *f = fopen(conf, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A string of n bytes: prefix, then 'x' up to n. */
static char *
padded(const char *prefix, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, 'x', n);
	memcpy(s, prefix, strlen(prefix));
	s[n] = '\0';
	return s;
}

/*
 * Lines up to 8 KiB are read whole (libinih's own buffer holds 199 bytes);
 * longer ones are refused with their line, never cut.
 */
static void
test_long_lines(void **state)
{
	char *line, *url, *text, *want;
	struct config *c;

	(void)state;
	line = padded("subtitle = ", 8192);
	assert_int_not_equal(asprintf(&text, HEAD "%s\n", line), -1);
	c = expect_ok(text);
	assert_string_equal(c->feed.subtitle, line + strlen("subtitle = "));
	config_free(c);
	free(text);

	/* One byte more; then 100 KiB; the lines after are still read. */
	for (size_t n = 8193; n <= 100 * 1024; n += 100 * 1024 - 8193) {
		free(line);
		line = padded("subtitle = ", n);
		assert_int_not_equal(asprintf(&text, HEAD "%s\nbad\n", line),
				     -1);
		expect_errors(text, "F:4: line too long (over 8192 bytes)\n"
			      "F:5: syntax error: expected 'key = value', "
			      "'[section]' or a comment\n");
		free(text);
	}
	free(line);

	/* A webhook URL of 4,000 characters, token in the query. */
	url = padded("https://hooks.example/in?token=", 4000);
	assert_int_not_equal(asprintf(&text, HEAD "[ping \"chat\"]\n"
				      "kind = webhook\nurl = %s ; token\n",
				      url), -1);
	c = expect_ok(text);
	assert_int_equal(c->npings, 1);
	assert_string_equal(c->pings[0].url, url);
	config_free(c);
	free(text);
	/* Bad, it is reported whole. */
	url[strlen("https://hooks.example/in")] = '#';
	assert_int_not_equal(asprintf(&text, HEAD "[ping \"chat\"]\n"
				      "kind = webhook\nurl = %s\n", url), -1);
	assert_int_not_equal(asprintf(&want, "F:6: invalid url '%s': a "
				      "fragment ('#') is not allowed\n", url),
			     -1);
	expect_errors(text, want);
	free(want);
	free(text);
	free(url);
}

/* A NUL byte cut the value ("rel\0/etc" was "rel"); now it is an error. */
static void
test_nul_byte(void **state)
{
	static const char nul_value[] = HEAD "[paths]\nreleases = rel\0/etc\n";
	static const char nul_key[] = HEAD "sub\0title = S\n";
	char *errs;

	(void)state;
	write_bytes(nul_value, sizeof(nul_value) - 1);
	assert_null(load(conf, &errs));
	assert_string_equal(errs, "F:5: NUL byte at column 15 (a config "
			    "file is text)\n");
	free(errs);
	write_bytes(nul_key, sizeof(nul_key) - 1);
	assert_null(load(conf, &errs));
	assert_string_equal(errs, "F:4: NUL byte at column 4 (a config "
			    "file is text)\n");
	free(errs);
}

/* Values end up in XML: they must be UTF-8 without control characters. */
static void
test_bad_text(void **state)
{
	(void)state;
	expect_errors("[feed]\ntitle = Bad \xff title\n"
		      "base_url = https://e.org/\n",
		      "F:2: invalid UTF-8 at column 13 (the file must be "
		      "UTF-8)\n"
		      "F: missing required key 'title' in [feed]\n");
	expect_errors(HEAD "author = A\x01" "B\n",
		      "F:4: control character 0x01 at column 11 (only tab is "
		      "allowed)\n");
	expect_errors(HEAD "[ping \"a\x1b[2Jb\"]\nkind = websub\n",
		      "F:4: control character 0x1B at column 9 (only tab is "
		      "allowed)\n");
	/* Good UTF-8 is taken as it is. */
	config_free(expect_ok("[feed]\ntitle = Trygghet p\xc3\xa5 "
			      "M\xc3\xb6llan \xe2\x80\x94 \xf0\x9f\x93\xb0\n"
			      "base_url = https://e.org/\n"));
}

/* /dev/zero is not a config file: refused, not read for ever. */
static void
test_huge_file(void **state)
{
	char *errs;

	(void)state;
	assert_null(load("/dev/zero", &errs));
	assert_string_equal(errs, "F:1: file too large (over 16 MiB): is it "
			    "the config file?\n");
	free(errs);
}

/* URLs are kept the way a client requests them. */
static void
test_urls_normalised(void **state)
{
	struct config *c;

	(void)state;
	c = expect_ok("[feed]\ntitle = T\n"
		      "base_url = HTTPS://News.Example.org/a/./b/../press\n"
		      "[ping \"h\"]\nkind = webhook\n"
		      "url = HTTP://Hooks.Example:8080/x/../in?t=A%2Fb&u=1\n"
		      "[ping \"i\"]\nkind = xmlrpc\n"
		      "url = https://rpc.example\n");
	assert_string_equal(c->feed.base_url,
			    "https://News.Example.org/a/press/");
	assert_string_equal(c->feed.tag_authority, "news.example.org");
	assert_string_equal(c->feed.tag_path, "/a/press/");
	assert_string_equal(c->pings[0].url,
			    "http://Hooks.Example:8080/in?t=A%2Fb&u=1");
	assert_string_equal(c->pings[1].url, "https://rpc.example/");
	config_free(c);
}

/* config_print() of c, with the config path replaced by "CONF". */
static char *
print(const struct config *c)
{
	char *out = NULL, *hit;
	size_t n;
	FILE *f = open_memstream(&out, &n);

	assert_non_null(f);
	assert_int_equal(config_print(c, f), 0);
	assert_int_equal(fclose(f), 0);
	hit = strstr(out, conf);
	assert_non_null(hit);
	memmove(hit + 4, hit + strlen(conf), strlen(hit + strlen(conf)) + 1);
	memcpy(hit, "CONF", 4);
	return out;
}

#define PRINT_HEAD \
	"# feedpubd --print-config: CONF\n" \
	"# Every key with its value in effect, and where it came from: a " \
	"line of\n# the file, or the default.\n"

/* The end of [pages], an argument: the format string has a length cap. */
#define PAGES_TAIL \
	"# URLs per sitemap file; more: sitemap.xml is an index\n" \
	"sitemap_max_urls = 50000 ; default\n" \
	"# write robots.txt naming the sitemaps\n" \
	"robots = true ; default\n"
#define HTTP_HUB_DEFAULTS \
	"\n[http]\n" \
	"# addresses to serve the output folder on (HOST:PORT, [IPv6]:PORT, " \
	"*:PORT)\n" \
	"# listen is not set\n" \
	"# Cache-Control: max-age of the documents\n" \
	"max_age = 1m ; default\n" \
	"# serving threads per address\n" \
	"threads = 1 ; default\n" \
	"# open connections per address\n" \
	"max_connections = 512 ; default\n" \
	"# connections from one client address (0: no limit)\n" \
	"max_per_ip = 32 ; default\n" \
	"# a silent connection is closed after this long\n" \
	"timeout = 15s ; default\n" \
	"# memory per connection; caps the request headers\n" \
	"conn_memory = 16K ; default\n" \
	"# longest request target (414 beyond)\n" \
	"max_url = 2K ; default\n" \
	"# URL path the output folder is served under; unset: /\n" \
	"# base_path is not set\n" \
	"\n[hub]\n" \
	"# be the WebSub hub of the feeds (needs [http])\n" \
	"enabled = false ; default\n" \
	"# the hub's public URL; unset: base_url hub\n" \
	"# url is not set\n" \
	"# shortest subscription lease granted\n" \
	"lease_min = 1h ; default\n" \
	"# lease of a subscriber that asks for none\n" \
	"lease_default = 10d ; default\n" \
	"# longest subscription lease granted\n" \
	"lease_max = 31d ; default\n" \
	"# tries of one delivery before it is dropped\n" \
	"max_attempts = 20 ; default\n" \
	"# subscriptions to one feed\n" \
	"max_per_topic = 10000 ; default\n" \
	"# subscriptions with callbacks on one host\n" \
	"max_per_host = 100 ; default\n" \
	"# verification requests per second, at most\n" \
	"verify_rate = 10 ; default\n" \
	"# allow callbacks on loopback and private addresses\n" \
	"allow_private_callbacks = false ; default\n"

/* [publish] with its defaults, as printed. */
static const char PUBLISH_DEFAULTS[] =
	"\n[publish]\n"
	"# run after each publish that changed files (rsync -a ...; "
	"docs/feedpubd.conf.5); unset: none\n"
	"# exec is not set\n"
	"# all: one run per publish; safe: media, pages, feeds, deletions, "
	"one run each\n"
	"order = all ; default\n"
	"# a run taking longer is killed and counts as failed\n"
	"timeout = 10m ; default\n"
	"# longest wait between tries of a failing run (1 s, 2 s, 4 s ... "
	"up to this)\n"
	"retry_max = 5m ; default\n";

/* The [feed] keys of feeds/feed.h's formats and sub-feeds, as printed. */
static const char FEED_FORMATS[] =
	"# also write feed.json (JSON Feed 1.1; docs/feeds.md)\n"
	"json = false ; default\n"
	"# a feed per tag: tags/SLUG.atom (docs/feeds.md)\n"
	"tag_feeds = false ; default\n"
	"# a feed per type: types/SLUG.atom\n"
	"type_feeds = false ; default\n"
	"# a feed per language: langs/SLUG.atom\n"
	"lang_feeds = false ; default\n"
	"# older entries in feed-archive/YYYY-MM.atom (RFC 5005)\n"
	"archives = false ; default\n"
	"# one archive per month or year: the main, type and language feeds\n"
	"archive_period = month ; default\n"
	"# one archive per month or year: the tag feeds\n"
	"tag_archive_period = year ; default\n"
	"# RFC 6721 tombstones of removed releases (0s: none)\n"
	"deleted_for = 0s ; default\n"
	"# dates of releases without 'date': file (its time) or git (its "
	"first commit)\n"
	"date_source = file ; default\n";

static void
test_print_config(void **state)
{
	struct config *c;
	char *got, *want;

	(void)state;
	c = expect_ok(
		"[feed]\n"					/* 1 */
		"title = Norrviks kommun\n"			/* 2 */
		"base_url = HTTPS://News.Example.org/press\n"	/* 3 */
		"language = sv\n"				/* 4 */
		"max_file_size = 512K\n"				/* 5 */
		"raw_html = on\n"				/* 6 */
		"[pings]\n"					/* 7 */
		"give_up_after = 48h\n"				/* 8 */
		"[paths]\n"					/* 9 */
		"output = /srv/www/feeds\n"			/* 10 */
		"[ping \"chat\"]\n"				/* 11 */
		"kind = webhook\n"				/* 12 */
		"url = https://hooks.example/in?token=abc\n"	/* 13 */
		"secret = s3cr3t-v4lue\n"			/* 14 */
		"[ping \"hub\"]\n"				/* 15 */
		"url = https://hub.example\n"			/* 16 */
		"kind = websub\n");				/* 17 */
	got = print(c);
	assert_int_not_equal(asprintf(&want, PRINT_HEAD
		"\n[feed]\n"
		"# the feed's title\n"
		"title = Norrviks kommun ; line 2\n"
		"# a one line description\n"
		"# subtitle is not set\n"
		"# the web site; part of every entry id: never change it\n"
		"base_url = https://News.Example.org/press/ ; line 3\n"
		"# author of entries whose release names none\n"
		"# author is not set\n"
		"# language tag of the feed ('sv', 'en-GB')\n"
		"language = sv ; line 4\n"
		"# zone of release dates written without an offset\n"
		"timezone = UTC ; default\n"
		"# newest releases per feed\n"
		"max_entries = 50 ; default\n"
		"# a release's page, with {slug}; unset: base_url "
		"releases/{slug}.html\n"
		"# link_template is not set\n"
		"# date part of entry ids (RFC 4151): never change it\n"
		"tag_date = 2000 ; default\n"
		"# larger release files are reported and skipped\n"
		"max_file_size = 512K ; line 5\n"
		"# a release whose image or attachment is larger is an error\n"
		"max_media_size = 20M ; default\n"
		"# pass raw HTML in Markdown through (trusted editors only)\n"
		"raw_html = true ; line 6\n"
		"%s"	/* FEED_FORMATS: one literal would be too long */
		"\n[paths]\n"
		"# the folder of release files\n"
		"releases = %s/releases ; default\n"
		"# follow links that stay inside the releases folder "
		"(false: never)\n"
		"follow_symlinks = true ; default\n"
		"# where feed.atom and feed.rss are written\n"
		"output = /srv/www/feeds ; line 10\n"
		"# what the daemon remembers between runs\n"
		"state = %s/state ; default\n"
		"\n[daemon]\n"
		"# rebuild once the folder has been quiet this long (ms)\n"
		"settle_ms = 20 ; default\n"
		"# but never later than this after the first change (ms)\n"
		"settle_cap_ms = 500 ; default\n"
		"\n[pages]\n"
		"# write a web page per release, index.html, listings and "
		"sitemaps\n"
		"enabled = true ; default\n"
		"# the XSLT stylesheet of the pages; unset: the built-in\n"
		"# stylesheet is not set\n"
		"# written as style.css; unset: the built-in\n"
		"# css is not set\n"
		"# Markdown appended as 'About'; {lang} in the name: one per "
		"language\n"
		"# boilerplate is not set\n"
		"# releases per listing page (archive/N.html)\n"
		"per_page = 50 ; default\n"
		"# newest releases on index.html\n"
		"index_entries = 20 ; default\n"
		"%s"	/* PAGES_TAIL */
		"\n[pings]\n"
		"# how long connecting to a target may take\n"
		"connect_timeout = 5s ; default\n"
		"# how long a whole request may take\n"
		"timeout = 15s ; default\n"
		"# how long a failing ping is retried after a change\n"
		"give_up_after = 2d ; line 8\n"
		HTTP_HUB_DEFAULTS
		"%s"	/* PUBLISH_DEFAULTS */
		"\n[ping \"chat\"]\n"
		"# websub, xmlrpc or webhook\n"
		"kind = webhook ; line 12\n"
		"# where the ping is sent; may have a query\n"
		"url = https://hooks.example/in?token=abc ; line 13\n"
		"# webhook only: the key that signs each request\n"
		"secret = (set) ; line 14\n"
		"\n[ping \"hub\"]\n"
		"# websub, xmlrpc or webhook\n"
		"kind = websub ; line 17\n"
		"# where the ping is sent; may have a query\n"
		"url = https://hub.example/ ; line 16\n"
		"# webhook only: the key that signs each request\n"
		"# secret is not set\n", FEED_FORMATS, tmpdir, tmpdir,
		PAGES_TAIL, PUBLISH_DEFAULTS), -1);
	assert_string_equal(got, want);
	assert_null(strstr(got, "s3cr3t"));
	free(got);
	free(want);
	config_free(c);
}

/*
 * printed without its header (up to the first blank line) and without the
 * " ; line N" / " ; default" at the end of each key's line. In place.
 */
static char *
values_only(char *printed)
{
	char *o = printed, *r = strstr(printed, "\n\n");

	assert_non_null(r);
	while (*r != '\0') {
		size_t n = strcspn(r, "\n"), keep = n;

		for (size_t i = 0; i + 3 <= n; i++)
			if (memcmp(r + i, " ; ", 3) == 0)
				keep = i;
		memmove(o, r, keep);
		o += keep;
		r += n;
		if (*r == '\n')
			*o++ = *r++;
	}
	*o = '\0';
	return printed;
}

/* What --print-config writes is a config file that means the same. */
static void
test_print_round_trip(void **state)
{
	static const char *const texts[] = {
		HEAD,
		"[feed]\ntitle = T ; x\nbase_url = https://e.org/a/../b\n"
		"subtitle = S; not a comment\nauthor = \xc3\x85sa # C\n"
		"link_template = https://e.org/p/{slug}\n"
		"timezone = Europe/Stockholm\ntag_date = 2024-02-29\n"
		"max_entries = 100000\nmax_file_size = 1536\n"
		"[daemon]\nsettle_ms = 0\nsettle_cap_ms = 0\n"
		"[pings]\nconnect_timeout = 60\ntimeout = 3600s\n"
		"give_up_after = 90061\n"
		"[ping \"a\"]\nkind = xmlrpc\nurl = http://A.example\n"
		"[paths]\nreleases = /abs/in\nstate = rel/state\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct config *c = expect_ok(texts[i]);
		char *first = print(c), *second;

		config_free(c);
		c = expect_ok(first);
		second = print(c);
		config_free(c);
		assert_string_equal(values_only(second), values_only(first));
		free(first);
		free(second);
	}
}

static void
test_good_values(void **state)
{
	static const struct {
		const char *line;
		size_t size;
		bool raw;
	} cases[] = {
		{ "max_file_size = 1K", 1024, false },
		{ "max_file_size = 1k", 1024, false },
		{ "max_file_size = 64M", 64 << 20, false },
		{ "max_file_size = 2048", 2048, false },
		{ "raw_html = TRUE", 1 << 20, true },
		{ "raw_html = on", 1 << 20, true },
		{ "raw_html = 1", 1 << 20, true },
		{ "raw_html = Off", 1 << 20, false },
		{ "raw_html = no", 1 << 20, false },
		{ "raw_html = 0", 1 << 20, false },
	};
	static const char *const dates[] = { "2000", "2024-02", "2024-02-29",
					     "2000-02-29", "1999-12-31" };
	struct config *c;
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(asprintf(&text, HEAD "%s\n",
					      cases[i].line), -1);
		c = expect_ok(text);
		assert_int_equal(c->feed.max_file_size, cases[i].size);
		assert_int_equal(c->feed.raw_html, cases[i].raw);
		config_free(c);
		free(text);
	}
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		assert_int_not_equal(asprintf(&text, HEAD "tag_date = %s\n",
					      dates[i]), -1);
		c = expect_ok(text);
		assert_string_equal(c->feed.tag_date, dates[i]);
		config_free(c);
		free(text);
	}
	c = expect_ok(HEAD "max_entries = 100000\n[daemon]\n"
		      "settle_ms = 10000\nsettle_cap_ms = 60000\n");
	assert_int_equal(c->feed.max_entries, 100000);
	assert_int_equal(c->settle_ms, 10000);
	assert_int_equal(c->settle_cap_ms, 60000);
	config_free(c);
}

/* Relative config path: results stay relative to the cwd. */
static void
test_paths(void **state)
{
	char cwd[PATH_MAX], *errs;
	struct config *c;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(mkdir("examples", 0700), 0);
	tu_write_file("examples/feedpubd.conf",
		   HEAD "[paths]\noutput = out/feeds\nstate = /var/x\n");
	c = load("examples/feedpubd.conf", &errs);
	assert_string_equal(errs, "");
	assert_non_null(c);
	assert_string_equal(c->path, "examples/feedpubd.conf");
	assert_string_equal(c->releases_dir, "examples/releases");
	assert_string_equal(c->output_dir, "examples/out/feeds");
	assert_string_equal(c->state_dir, "/var/x");
	config_free(c);
	free(errs);

	tu_write_file("here.conf", HEAD);
	c = load("here.conf", &errs);
	assert_string_equal(errs, "");
	assert_non_null(c);
	assert_string_equal(c->releases_dir, "releases");
	assert_string_equal(c->output_dir, "public");
	config_free(c);
	free(errs);
	assert_int_equal(chdir(cwd), 0);
}

static void
test_free_null(void **state)
{
	(void)state;
	config_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_shipped_example),
		cmocka_unit_test(test_commented_pings),
		cmocka_unit_test(test_base_url_slash),
		cmocka_unit_test(test_base_url_port_case),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_base_url),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_pings),
		cmocka_unit_test(test_pings_none),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_bad_durations),
		cmocka_unit_test(test_bad_ping_keys),
		cmocka_unit_test(test_ping_sections),
		cmocka_unit_test(test_ping_missing_and_secret),
		cmocka_unit_test(test_ping_many_errors),
		cmocka_unit_test(test_cannot_read),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_urls_normalised),
		cmocka_unit_test(test_print_config),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_http_hub),
		cmocka_unit_test(test_publish),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
