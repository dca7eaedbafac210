/*
 * test_ini: config/ini.c on byte strings (fmemopen, so NUL bytes reach it).
 * Every item it yields is written to a log, one line each, and the whole
 * log compared:
 *   "S LINE [text]"             a section header
 *   "P LINE section|name|value" a pair
 *   "E LINE message"            a problem
 * Long values are logged by their length only: "P 2 s|url|<4000 bytes>".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config/ini.h"

#include "testutil.h"

#define SYNTAX	"syntax error: expected 'key = value', '[section]' or a " \
		"comment"
#define LONG	"line too long (over 8192 bytes)"

static void
log_item(void *ud, const struct ini_item *it)
{
	FILE *log = ud;

	switch (it->what) {
	case INI_SECTION:
		fprintf(log, "S %d [%s]\n", it->line, it->section);
		break;
	case INI_PAIR:
		if (strlen(it->value) > 100)
			fprintf(log, "P %d %s|%s|<%zu bytes>\n", it->line,
				it->section, it->name, strlen(it->value));
		else
			fprintf(log, "P %d %s|%s|%s\n", it->line, it->section,
				it->name, it->value);
		break;
	case INI_ERROR:
		fprintf(log, "E %d %s\n", it->line, it->message);
		break;
	}
}

/* What ini_read() yields for the n bytes at text; asserts it returns 0. */
static char *
read_bytes(const char *text, size_t n)
{
	char *out = NULL;
	size_t size;
	FILE *log = open_memstream(&out, &size);
	/* fmemopen() wants a buffer of at least one byte. */
	FILE *in = fmemopen((void *)(n > 0 ? text : "x"), n > 0 ? n : 1, "r");

	assert_non_null(log);
	assert_non_null(in);
	if (n == 0)
		assert_int_equal(fgetc(in), 'x');
	assert_int_equal(ini_read(in, log_item, log), 0);
	assert_int_equal(fclose(in), 0);
	assert_int_equal(fclose(log), 0);
	return out;
}

static void
expect(const char *text, size_t n, const char *want)
{
	char *got = read_bytes(text, n);

	assert_string_equal(got, want);
	free(got);
}

/* For text without NUL bytes. */
#define EXPECT(text, want)	expect(text, strlen(text), want)
/* For a literal with NUL bytes in it. */
#define EXPECT_BYTES(lit, want)	expect(lit, sizeof(lit) - 1, want)

static void
test_basic(void **state)
{
	(void)state;
	EXPECT("", "");
	EXPECT("\n\n  \n\t\n", "");
	EXPECT("[feed]\ntitle = T\n", "S 1 [feed]\nP 2 feed|title|T\n");
	EXPECT("; comment\n# comment\n  ; indented\n"
	       "[feed] ; a comment after the header\n"
	       "title = Hej ; a comment after the value\n"
	       "subtitle: colon form\n"
	       "author=no blanks\n"
	       "empty =\n"
	       "semi = a;b\n"
	       "hash = C# #1\n"
	       "eq = a = b\n"
	       "\ttabbed\t=\tv\t\n"
	       "[ping \"x\"]junk\n"
	       "url = https://h/?a=1&b=2\n"
	       "[]\n"
	       "last = no newline",
	       "S 4 [feed]\n"
	       "P 5 feed|title|Hej\n"
	       "P 6 feed|subtitle|colon form\n"
	       "P 7 feed|author|no blanks\n"
	       "P 8 feed|empty|\n"
	       "P 9 feed|semi|a;b\n"
	       "P 10 feed|hash|C# #1\n"
	       "P 11 feed|eq|a = b\n"
	       "P 12 feed|tabbed|v\n"
	       "S 13 [ping \"x\"]\n"
	       "P 14 ping \"x\"|url|https://h/?a=1&b=2\n"
	       "S 15 []\n"
	       "P 16 |last|no newline\n");
	/* Before any header the section is "": the caller decides. */
	EXPECT("k = v\n[s]\n", "P 1 |k|v\nS 2 [s]\n");
	/* Duplicates are the caller's business too. */
	EXPECT("[s]\nk = 1\nk = 2\n[s]\n",
	       "S 1 [s]\nP 2 s|k|1\nP 3 s|k|2\nS 4 [s]\n");
}

/* CRLF, a byte order mark, and indented keys (not continuation lines). */
static void
test_line_ends(void **state)
{
	(void)state;
	EXPECT("\xEF\xBB\xBF[a]\r\nk = v\r\n  j = w\r\n\tmore\r\n",
	       "S 1 [a]\nP 2 a|k|v\nP 3 a|j|w\nE 4 " SYNTAX "\n");
	/* A BOM anywhere else is not one. */
	EXPECT("[a]\n\xEF\xBB\xBFk = v\n", "S 1 [a]\nP 2 a|\xEF\xBB\xBFk|v\n");
	/* Old Mac line ends: one line with control characters in it. */
	EXPECT("[a]\rk = v\r", "E 1 control character 0x0D at column 4 "
	       "(only tab is allowed)\n");
	/* A CR inside a line is not a line end, and cuts nothing. */
	EXPECT("[a]\nk = rel\r/etc\n", "S 1 [a]\nE 2 control character "
	       "0x0D at column 8 (only tab is allowed)\n");
}

static void
test_syntax(void **state)
{
	(void)state;
	EXPECT("[a]\njust some words\nk = v\n",
	       "S 1 [a]\nE 2 " SYNTAX "\nP 3 a|k|v\n");
	/* The last line, without a newline, is checked too. */
	EXPECT("[a]\noops", "S 1 [a]\nE 2 " SYNTAX "\n");
	/* A bad header: reported once, its keys skipped up to the next. */
	EXPECT("[a]\nk = 1\n[b\nk = 2\nbad\n[c]\nk = 3\n",
	       "S 1 [a]\nP 2 a|k|1\nE 3 syntax error: '[' without ']'\n"
	       "E 5 " SYNTAX "\nS 6 [c]\nP 7 c|k|3\n");
	EXPECT("[ping \"x\"\nkind = websub\n",
	       "E 1 syntax error: '[' without ']'\n");
	/* What libinih makes of a line without a name. */
	EXPECT("[a]\n= v\n", "S 1 [a]\nP 2 a||v\n");
}

/*
 * A NUL byte ends a line for fgets(), which libinih reads with: the value
 * was cut there. It is an error, wherever it is.
 */
static void
test_nul(void **state)
{
	(void)state;
	EXPECT_BYTES("[paths]\nreleases = rel\0/etc\nstate = s\n",
		     "S 1 [paths]\nE 2 NUL byte at column 15 (a config file "
		     "is text)\nP 3 paths|state|s\n");
	EXPECT_BYTES("[a]\nti\0tle = x\n",
		     "S 1 [a]\nE 2 NUL byte at column 3 (a config file is "
		     "text)\n");
	EXPECT_BYTES("[a]\n; a comment \0 too\n",
		     "S 1 [a]\nE 2 NUL byte at column 13 (a config file is "
		     "text)\n");
	/* A header that cannot be read: its keys are in no known section. */
	EXPECT_BYTES("[a]\nk = 1\n[b\0]\nk = 2\n[c]\nk = 3\n",
		     "S 1 [a]\nP 2 a|k|1\n"
		     "E 3 NUL byte at column 3 (a config file is text)\n"
		     "S 5 [c]\nP 6 c|k|3\n");
	EXPECT_BYTES("\0", "E 1 NUL byte at column 1 (a config file is "
		     "text)\n");
	/* Columns count characters, not bytes. */
	EXPECT_BYTES("[a]\nk = \xc3\xa5\xc3\xa4\0\n",
		     "S 1 [a]\nE 2 NUL byte at column 7 (a config file is "
		     "text)\n");
}

static void
test_text(void **state)
{
	(void)state;
	EXPECT("[a]\nk = caf\xe9\n", "S 1 [a]\nE 2 invalid UTF-8 at column "
	       "8 (the file must be UTF-8)\n");
	EXPECT("[a]\nk = \xc3\xa5\xc3\xa4\xc3\xb6 \xff\n",
	       "S 1 [a]\nE 2 invalid UTF-8 at column 9 (the file must be "
	       "UTF-8)\n");
	/* Overlong '/', a surrogate, past U+10FFFF, a cut sequence. */
	EXPECT("k = \xc0\xaf\n", "E 1 invalid UTF-8 at column 5 (the file "
	       "must be UTF-8)\n");
	EXPECT("k = \xed\xa0\x80\n", "E 1 invalid UTF-8 at column 5 (the "
	       "file must be UTF-8)\n");
	EXPECT("k = \xf4\x90\x80\x80\n", "E 1 invalid UTF-8 at column 5 "
	       "(the file must be UTF-8)\n");
	EXPECT("k = \xe2\x82\n", "E 1 invalid UTF-8 at column 5 (the file "
	       "must be UTF-8)\n");
	/* In a comment too: the file is UTF-8. */
	EXPECT("; Malm\xf6\n", "E 1 invalid UTF-8 at column 7 (the file "
	       "must be UTF-8)\n");
	EXPECT("[a]\nk = a\x01" "b\n", "S 1 [a]\nE 2 control character "
	       "0x01 at column 6 (only tab is allowed)\n");
	EXPECT("[a]\nk = \x1b[31mred\n", "S 1 [a]\nE 2 control character "
	       "0x1B at column 5 (only tab is allowed)\n");
	EXPECT("[a]\nk = a\x7f\n", "S 1 [a]\nE 2 control character 0x7F "
	       "at column 6 (only tab is allowed)\n");
	/* The leftmost problem is the one reported. */
	EXPECT("k = \x01\xff\n", "E 1 control character 0x01 at column 5 "
	       "(only tab is allowed)\n");
	EXPECT("k = \xff\x01\n", "E 1 invalid UTF-8 at column 5 (the file "
	       "must be UTF-8)\n");
	/* Good UTF-8 and tabs pass through as they are. */
	EXPECT("[a]\nk = Trygghet p\xc3\xa5 M\xc3\xb6llan \xe2\x80\x94 "
	       "\xf0\x9f\x93\xb0\ta\tb\n",
	       "S 1 [a]\nP 2 a|k|Trygghet p\xc3\xa5 M\xc3\xb6llan \xe2\x80"
	       "\x94 \xf0\x9f\x93\xb0\ta\tb\n");
}

/* "k = " and a value of n - 4 bytes: a line of n bytes, then "\n". */
static char *
line_of(size_t n, const char *end)
{
	char *s = malloc(n + strlen(end) + 1);

	assert_non_null(s);
	memset(s, 'x', n);
	memcpy(s, "k = ", 4);
	strcpy(s + n, end);
	return s;
}

static void
expect_line(size_t n, const char *end, const char *want)
{
	char *body = line_of(n, end), *text;

	assert_int_not_equal(asprintf(&text, "[s]\n%s[t]\nj = after\n",
				      body), -1);
	EXPECT(text, want);
	free(text);
	free(body);
}

static void
test_long_lines(void **state)
{
	char *want, *body;

	(void)state;
	/* Up to INI_LINE_MAX bytes, the line end not counted. */
	assert_int_not_equal(asprintf(&want, "S 1 [s]\nP 2 s|k|<%d bytes>\n"
				      "S 3 [t]\nP 4 t|j|after\n",
				      INI_LINE_MAX - 4), -1);
	expect_line(INI_LINE_MAX, "\n", want);
	expect_line(INI_LINE_MAX, "\r\n", want);
	free(want);
	/* One more, 100 KiB, 1 MiB: reported, never cut, the rest read. */
	expect_line(INI_LINE_MAX + 1, "\n",
		    "S 1 [s]\nE 2 " LONG "\nS 3 [t]\nP 4 t|j|after\n");
	expect_line(INI_LINE_MAX + 1, "\r\n",
		    "S 1 [s]\nE 2 " LONG "\nS 3 [t]\nP 4 t|j|after\n");
	expect_line(100 * 1024, "\n",
		    "S 1 [s]\nE 2 " LONG "\nS 3 [t]\nP 4 t|j|after\n");
	expect_line(1024 * 1024, "\n",
		    "S 1 [s]\nE 2 " LONG "\nS 3 [t]\nP 4 t|j|after\n");
	/* 5 KiB, and lines around libinih's own 200 bytes. */
	expect_line(5 * 1024, "\n", "S 1 [s]\nP 2 s|k|<5116 bytes>\n"
		    "S 3 [t]\nP 4 t|j|after\n");
	for (size_t n = 195; n < 205; n++) {
		body = line_of(n, "\n");
		assert_int_not_equal(asprintf(&want, "P 1 |k|<%zu bytes>\n",
					      n - 4), -1);
		EXPECT(body, want);
		free(want);
		free(body);
	}
	/* A header too long to read: its keys are skipped. */
	body = line_of(INI_LINE_MAX + 1, "\nk = v\n[u]\n");
	body[0] = '[';
	EXPECT(body, "E 1 " LONG "\nS 3 [u]\n");
	free(body);
}

/* The byte order mark does not count toward the limit. */
static void
test_long_first_line(void **state)
{
	char *body = line_of(INI_LINE_MAX, "\n"), *text, *want;

	(void)state;
	assert_int_not_equal(asprintf(&text, "\xEF\xBB\xBF%s", body), -1);
	assert_int_not_equal(asprintf(&want, "P 1 |k|<%d bytes>\n",
				      INI_LINE_MAX - 4), -1);
	EXPECT(text, want);
	free(text);
	free(want);
	free(body);
	body = line_of(INI_LINE_MAX + 1, "");
	assert_int_not_equal(asprintf(&text, "\xEF\xBB\xBF%s", body), -1);
	EXPECT(text, "E 1 " LONG "\n");
	free(text);
	free(body);
}

/* A 4,000-byte webhook URL, as chat services hand out with tokens. */
static void
test_webhook_url(void **state)
{
	char token[4000 - 27 + 1], *text, *got;

	(void)state;
	memset(token, 'A', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	assert_int_not_equal(asprintf(&text, "[ping \"chat\"]\nkind = webhook\n"
				      "url = https://hooks.example/in?t=%s ; "
				      "token\n", token), -1);
	got = read_bytes(text, strlen(text));
	assert_string_equal(got, "S 1 [ping \"chat\"]\n"
			    "P 2 ping \"chat\"|kind|webhook\n"
			    "P 3 ping \"chat\"|url|<4000 bytes>\n");
	free(got);
	free(text);
}

/* A value is handed over whole: compare the bytes, not just the length. */
static void
capture_value(void *ud, const struct ini_item *it)
{
	char **out = ud;

	if (it->what == INI_PAIR) {
		free(*out);
		*out = strdup(it->value);
	}
}

static void
test_value_whole(void **state)
{
	char *body = line_of(INI_LINE_MAX, "\n"), *got = NULL;
	FILE *in;

	(void)state;
	for (size_t i = 4; i < INI_LINE_MAX; i++)
		body[i] = (char)('a' + i % 26);
	in = fmemopen(body, strlen(body), "r");
	assert_non_null(in);
	assert_int_equal(ini_read(in, capture_value, &got), 0);
	fclose(in);
	assert_non_null(got);
	body[INI_LINE_MAX] = '\0';
	assert_string_equal(got, body + 4);
	free(got);
	free(body);
}

/* libinih's options are process-wide: they are put back. */
static void
test_options_restored(void **state)
{
	(void)state;
#ifdef HAVE_INI_RUNTIME_OPTIONS
	{
		int max_line = ini_max_line;
		bool use_stack = ini_use_stack;

		EXPECT("[a]\nk = v\n", "S 1 [a]\nP 2 a|k|v\n");
		assert_int_equal(ini_max_line, max_line);
		assert_int_equal(ini_use_stack, use_stack);
	}
#else
	skip();
#endif
}

static void
ignore(void *ud, const struct ini_item *it)
{
	(void)ud;
	(void)it;
}

/* /dev/zero is no config file: it is not read for ever. */
static void
test_huge_file(void **state)
{
	FILE *in = fopen("/dev/zero", "r"), *log;
	char *out = NULL;
	size_t size;

	(void)state;
	assert_non_null(in);
	assert_non_null(log = open_memstream(&out, &size));
	errno = 0;
	assert_int_equal(ini_read(in, log_item, log), -1);
	assert_int_equal(errno, EFBIG);
	fclose(in);
	fclose(log);
	assert_string_equal(out, "E 1 file too large (over 16 MiB): is it "
			    "the config file?\n");
	free(out);
}

static void
test_read_error(void **state)
{
	FILE *in = fopen("/", "r");

	(void)state;
	assert_non_null(in);
	errno = 0;
	assert_int_equal(ini_read(in, ignore, NULL), -1);
	assert_int_equal(errno, EISDIR);
	fclose(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_first_line),
		cmocka_unit_test(test_webhook_url),
		cmocka_unit_test(test_value_whole),
		cmocka_unit_test(test_options_restored),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_read_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
