/*
 * Unit tests for feeds/text.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/text.h"

/* Asserts that s[0..n) is rejected with the first bad byte at want. */
static void
assert_bad(const char *s, size_t n, size_t want)
{
	size_t off = (size_t)-1;

	assert_int_equal(text_utf8_check(s, n, &off), -1);
	assert_int_equal(off, want);
}

static void
test_utf8_valid(void **state)
{
	static const char *const ok[] = {
		"",
		"plain ASCII, long enough to use the 8-byte path.\n",
		"\x7F",
		"\xC2\x80",			/* U+0080 */
		"\xDF\xBF",			/* U+07FF */
		"\xE0\xA0\x80",			/* U+0800 */
		"\xED\x9F\xBF",			/* U+D7FF */
		"\xEE\x80\x80",			/* U+E000 */
		"\xEF\xBF\xBF",			/* U+FFFF */
		"\xF0\x90\x80\x80",		/* U+10000 */
		"\xF4\x8F\xBF\xBF",		/* U+10FFFF */
		("Trygghet p\xC3\xA5 M\xC3\xB6llan \xE2\x80\xA6 "
		"\xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(text_utf8_check(ok[i], strlen(ok[i]), NULL),
		    0);
	/* Only s[0..n) is looked at. */
	assert_int_equal(text_utf8_check("ab\xFF", 2, NULL), 0);
	assert_int_equal(text_utf8_check(NULL, 0, NULL), 0);
}

static void
test_utf8_invalid(void **state)
{
	static const struct {
		const char *s;
		size_t off;
	} bad[] = {
		{ "\xC0\x80", 0 },		/* overlong NUL */
		{ "\xC1\xBF", 0 },		/* overlong U+007F */
		{ "\xE0\x80\x80", 0 },		/* overlong */
		{ "\xE0\x9F\xBF", 0 },		/* overlong U+07FF */
		{ "\xF0\x80\x80\x80", 0 },	/* overlong */
		{ "\xF0\x8F\xBF\xBF", 0 },	/* overlong U+FFFF */
		{ "\xED\xA0\x80", 0 },		/* U+D800 */
		{ "\xED\xBF\xBF", 0 },		/* U+DFFF */
		{ "\xF4\x90\x80\x80", 0 },	/* U+110000 */
		{ "\xF5\x80\x80\x80", 0 },
		{ "\xF8\x88\x80\x80\x80", 0 },
		{ "\xFE", 0 },
		{ "\xFF", 0 },
		{ "\x80", 0 },			/* stray continuation */
		{ "a\xBF", 1 },
		{ "\xC3", 0 },			/* truncated */
		{ "ab\xE2\x82", 2 },
		{ "\xF0\x9F\x98", 0 },
		{ "\xC3\x28", 0 },		/* bad continuation */
		{ "\xE2\x28\xA1", 0 },
		{ "\xE2\x82\x28", 0 },
		{ "\xF0\x9F\x28\x80", 0 },
		{ "\xF0\x9F\x98\x28", 0 },
		{ "\xC3\xA5\xC3\xA5\xC3", 4 },
		{ "0123456789\xED\xA0\x80", 10 },
		{ "0123456789abcdef\xC3\xA5\xC3\xA5\xE0\x80\x80 x", 20 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_bad(bad[i].s, strlen(bad[i].s), bad[i].off);
	/* NUL is invalid; bad_off may be NULL. */
	assert_bad("abc\0def", 7, 3);
	assert_int_equal(text_utf8_check("\0", 1, NULL), -1);
	/* A sequence cut by n is truncated even if the buffer goes on. */
	assert_bad("xy\xC3\xA5", 3, 2);
}

/*
 * Every offset around the 8-byte chunks, for each kind of bad byte, so the
 * fast path can neither skip a bad byte nor misreport where it is.
 */
static void
test_utf8_offsets(void **state)
{
	static const char bytes[] = { '\0', '\x80', '\xC0', '\xFF', '\xC3' };
	char buf[40];
	size_t pos, k;

	(void)state;
	for (k = 0; k < sizeof(bytes); k++) {
		for (pos = 0; pos < sizeof(buf); pos++) {
			memset(buf, 'a', sizeof(buf));
			buf[pos] = bytes[k];
			/* C3 followed by 'a' is a bad continuation. */
			assert_bad(buf, sizeof(buf), pos);
		}
	}
	/* Multibyte characters straddling chunk boundaries are fine. */
	for (pos = 0; pos + 4 <= sizeof(buf); pos++) {
		memset(buf, 'a', sizeof(buf));
		memcpy(buf + pos, "\xF0\x9F\x98\x80", 4);
		assert_int_equal(text_utf8_check(buf, sizeof(buf), NULL), 0);
	}
}

/* A release-sized file: mostly ASCII with Swedish letters sprinkled in. */
static void
test_utf8_large(void **state)
{
	static const char line[] = "Trygghet p\xC3\xA5 M\xC3\xB6llan, "
	    "kl.\xC2\xA0" "18 \xE2\x80\x93 mer text h\xC3\xA4r.\n";
	size_t n = 1 << 20, i, off;
	char *buf;

	(void)state;
	buf = malloc(n);
	assert_non_null(buf);
	for (i = 0; i + sizeof(line) - 1 <= n; i += sizeof(line) - 1)
		memcpy(buf + i, line, sizeof(line) - 1);
	memset(buf + i, 'x', n - i);
	assert_int_equal(text_utf8_check(buf, n, NULL), 0);
	buf[n - 3] = '\xED';
	buf[n - 2] = '\xA0';
	buf[n - 1] = '\x80';
	assert_int_equal(text_utf8_check(buf, n, &off), -1);
	assert_int_equal(off, n - 3);
	free(buf);
}

static void
test_xml_ok(void **state)
{
	static const char *const ok[] = {
		"",
		"plain <text> & more",
		"tab\there\nLF\r\nCRLF",
		"\x7F DEL is allowed",
		"\xC2\x80 \xC2\x85 \xC2\x9F C1 controls are allowed",
		"\xEF\xBF\xBD replacement char, \xEF\xBF\xAF",
		"\xEE\x80\x80 \xF0\x9F\x98\x80",
	};
	static const char *const bad[] = {
		"\x01", "a\x08", "\x0B", "\x0C", "x\x0E", "\x1F y",
		"ok \xEF\xBF\xBE", "\xEF\xBF\xBF end",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(text_xml_ok(ok[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(text_xml_ok(bad[i]));
	/* Checked 16 bytes at a time: each forbidden character at every
	 * offset of a long text, one straddling two blocks too. */
	for (size_t at = 0; at < 60; at++) {
		static const char *const put[] = { "\x01", "\x1F",
		    "\xEF\xBF\xBE", "\xEF\xBF\xBF" };
		char buf[80];

		for (size_t k = 0; k < sizeof(put) / sizeof(put[0]); k++) {
			memset(buf, 'a', sizeof(buf));
			buf[sizeof(buf) - 1] = '\0';
			memcpy(buf + at, put[k], strlen(put[k]));
			assert_false(text_xml_ok(buf));
			/* Allowed neighbours: TAB, LF, CR, EF BF BD. */
			memcpy(buf + at, at % 2 ? "\t\r\n" : "\xEF\xBF\xBD",
			    3);
			assert_true(text_xml_ok(buf));
		}
	}
}

static void
test_xml_clean(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "keep\t\r\n\x7F\xC2\x85", "keep\t\r\n\x7F\xC2\x85" },
		{ "a\x01" "b\x0B" "c\x0C" "d\x1F" "e", "abcde" },
		{ "\x08x\xEF\xBF\xBEy\xEF\xBF\xBFz\xEF\xBF\xBD",
		    "xyz\xEF\xBF\xBD" },
		{ "\x01\x02\x03\xEF\xBF\xBF", "" },
		{ "M\xC3\xB6llan\x1B[0m", "M\xC3\xB6llan[0m" },
	};
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = text_xml_clean(cases[i].in);
		assert_non_null(s);
		assert_string_equal(s, cases[i].out);
		assert_true(text_xml_ok(s));
		free(s);
	}
}

static void
test_slug(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "2019-12-10 Trygghet p\xC3\xA5 M\xC3\xB6llan!",
		    "2019-12-10-trygghet-pa-mollan" },
		{ "\xC3\x85ngstr\xC3\xB6m & Sons", "angstrom-sons" },
		{ "  --  ", "release" },
		{ "", "release" },
		{ "\xC3\x87\xC3\xA0 et l\xC3\xA0", "ca-et-la" },
		{ "Stra\xC3\x9F" "e", "strasse" },
		{ "a__b..c", "a-b-c" },
		{ "HELLO World 42", "hello-world-42" },
		{ "-Leading and trailing-", "leading-and-trailing" },
		{ "a\xF0\x9F\x98\x80" "b", "a-b" },
		{ "1\xC3\x97" "2\xC3\xB7" "3", "1-2-3" },	/* × ÷ */
		{ "\xC3\x86\xC3\x98\xC3\x85 \xC3\xA6\xC3\xB8\xC3\xA5",
		    "aeoa-aeoa" },
		{ "\xC3\x89\xC3\x9C\xC3\x84\xC3\x96 \xC3\xA9\xC3\xBC",
		    "euao-eu" },
		{ "\xC5\x92uvre \xC5\x93uf", "oeuvre-oeuf" },
		{ "\xC3\x9E\xC3\xB3r \xC3\x90" "a\xC3\xB0", "thor-dad" },
		{ "\xC3\x91" "and\xC3\xBA \xC3\x9D\xC3\xBF", "nandu-yy" },
		{ "\xC5\x81\xC3\xB3" "d\xC5\xBA \xC5\x82" "a", "lodz-la" },
		{ "\xC5\xA0i\xC5\xA1ka \xC5\xBD" "i\xC5\xBE" "ek",
		    "siska-zizek" },
		{ "\xC4\x8C" "apek \xC5\x98" "e\xC5\x99icha", "capek-rericha" },
		{ "\xC5\x9E" "i\xC5\x9Fli \xC4\x9E" "\xC4\x9F",
		    "sisli-gg" },
		{ "\xC4\xB0stanbul \xC4\xB1", "istanbul-i" },
		/* Decomposed (NFD) letters fold like precomposed ones. */
		{ "Mo\xCC\x88llan pa\xCC\x8A", "mollan-pa" },
		/* A stray bad byte is a separator, not an overrun. */
		{ "a\xFF" "b", "a-b" },
		/* Punctuation, symbols and emoji of any block: no hash. */
		{ "utkast \xE2\x80\x93 ny plan", "utkast-ny-plan" },	/* – */
		/* « » § ° © */
		{ "\xC2\xAB" "Citat\xC2\xBB \xC2\xA7 3 \xC2\xB0 \xC2\xA9",
		    "citat-3" },
		{ "\xF0\x9F\x87\xB8\xF0\x9F\x87\xAA Sverige", "sverige" },
		{ "x\xE2\x80\x8D" "y", "x-y" },			/* ZWJ */
		{ "\xE3\x80\x8C\xE3\x80\x8D\xE3\x80\x82", "release" },
	};
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = text_slug(cases[i].in);
		assert_non_null(s);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

/*
 * Letters of other scripts add "-" and the FNV-1a hash of the whole name
 * (the expected hashes were computed independently, with Python).
 */
static void
test_slug_other_scripts(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* 日本語, 中文: once both "release". */
		{ "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
		    "release-805f5ce7" },
		{ "\xE4\xB8\xAD\xE6\x96\x87", "release-c488f045" },
		/* Once both "2026-01-01". */
		{ "2026-01-01 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
		    "2026-01-01-607064db" },
		{ "2026-01-01 \xE4\xB8\xAD\xE6\x96\x87",
		    "2026-01-01-ba3fec31" },
		/* Привет мир, Αθήνα 2026, Ελλάδα, Arabic-Indic ٣ (a digit). */
		{ "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 "
		    "\xD0\xBC\xD0\xB8\xD1\x80", "release-3c8d0350" },
		{ "\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1 2026",
		    "2026-851c9814" },
		{ "\xCE\x95\xCE\xBB\xCE\xBB\xCE\xAC\xCE\xB4\xCE\xB1",
		    "release-cec0e4d1" },
		{ "\xD9\xA3", "release-9cd4c915" },
		/* The shortest name that grows the most: ж (2 bytes). */
		{ "\xD0\xB6", "release-99c37b3b" },
		{ "a \xD0\xB6", "a-85568ede" },
		/* Latin outside the fold table: Ș (U+0218). */
		{ "\xC8\x98tiri", "tiri-22fc814f" },
		/* The hash is of the name as given, combining mark and all. */
		{ "Mo\xCC\x88llan \xE6\x97\xA5\xE6\x9C\xAC",
		    "mollan-4a72c7c2" },
		{ "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E / Nytt",
		    "nytt-dc68f61f" },
	};
	char *s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = text_slug(cases[i].in);
		assert_non_null(s);
		if (strcmp(s, cases[i].out) != 0)
			print_error("case %zu: \"%s\"\n", i, s);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

/* Asserts text_summary(in, limit) == want. */
static void
assert_summary(const char *in, size_t limit, const char *want)
{
	char *s = text_summary(in, limit);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void
test_summary_collapse(void **state)
{
	(void)state;
	assert_summary("  Hej\t\n  v\xC3\xA4rlden \r\n ", 100,
	    "Hej v\xC3\xA4rlden");
	assert_summary("", 10, "");
	assert_summary(" \t\r\n ", 10, "");
	/* NBSP is content, not whitespace to collapse. */
	assert_summary("kl.\xC2\xA0\xC2\xA0" "18", 10,
	    "kl.\xC2\xA0\xC2\xA0" "18");
}

static void
test_summary_cut(void **state)
{
	(void)state;
	/* 7 code points but 13 bytes: limits count code points. */
	assert_summary("\xC3\xA5\xC3\xA4\xC3\xB6 \xC3\xA5\xC3\xA4\xC3\xB6", 7,
	    "\xC3\xA5\xC3\xA4\xC3\xB6 \xC3\xA5\xC3\xA4\xC3\xB6");
	assert_summary("\xC3\xA5\xC3\xA4\xC3\xB6 \xC3\xA5\xC3\xA4\xC3\xB6", 6,
	    "\xC3\xA5\xC3\xA4\xC3\xB6\xE2\x80\xA6");
	/* Collapsing happens before counting. */
	assert_summary("ab   cd\n\nef", 8, "ab cd ef");
	/* A space right after the limit still ends a word that fits. */
	assert_summary("abcde fgh", 5, "abcde\xE2\x80\xA6");
	assert_summary("abc defgh ijk", 10, "abc defgh\xE2\x80\xA6");
	/* The last space at or before the limit wins. */
	assert_summary("one two three four five", 15,
	    "one two three\xE2\x80\xA6");
	/* A space only in the first half: cut hard at the limit. */
	assert_summary("ab cdefghijklmnop", 10, "ab cdefghi\xE2\x80\xA6");
	/* A long word with no spaces. */
	assert_summary("Donaudampfschifffahrtsgesellschaftskapit\xC3\xA4n",
	    10, "Donaudampf\xE2\x80\xA6");
	/* A hard cut never splits a multibyte sequence. */
	assert_summary("\xC3\x85\xC3\x85\xC3\x85\xC3\x85\xC3\x85\xC3\x85\xC3"
	    "\x85", 5, "\xC3\x85\xC3\x85\xC3\x85\xC3\x85\xC3\x85\xE2\x80\xA6");
	assert_summary("\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 2,
	    "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xE2\x80\xA6");
	assert_summary("abc", 0, "\xE2\x80\xA6");
}

static void
test_summary_nbsp(void **state)
{
	/*
	 * "Mötet börjar kl.<NBSP>10.00 i Malmö": the NBSP is code point 16,
	 * the last ASCII space at or before 20 is code point 12.
	 */
	static const char in[] = "M\xC3\xB6tet b\xC3\xB6rjar kl.\xC2\xA0"
	    "10.00 i Malm\xC3\xB6";

	(void)state;
	assert_summary(in, 20, "M\xC3\xB6tet b\xC3\xB6rjar\xE2\x80\xA6");
	assert_summary(in, 22, "M\xC3\xB6tet b\xC3\xB6rjar kl.\xC2\xA0"
	    "10.00\xE2\x80\xA6");
	/* With no ASCII space at all, NBSP is cut through like a letter. */
	assert_summary("ett\xC2\xA0tv\xC3\xA5\xC2\xA0tre", 6,
	    "ett\xC2\xA0tv\xE2\x80\xA6");
	assert_summary("ett\xC2\xA0tv\xC3\xA5\xC2\xA0tre", 4,
	    "ett\xC2\xA0\xE2\x80\xA6");
}

/* Run fn on each input and compare with the expected output. */
static void
check_table(char *(*fn)(const char *), const char *const (*cases)[2],
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = fn(cases[i][0]);

		assert_non_null(got);
		if (strcmp(got, cases[i][1]) != 0)
			fail_msg("case %zu: \"%s\" != \"%s\"", i, got,
			    cases[i][1]);
		assert_int_equal(text_utf8_check(got, strlen(got), NULL), 0);
		free(got);
	}
}

/* issue 8 item 12: what a log line may show of a file name. */
static void
test_log_escape(void **state)
{
	static const char *const cases[][2] = {
		{ "", "" },
		{ "plain/path.md", "plain/path.md" },
		{ "r\xC3\xA4ksm\xC3\xB6rg\xC3\xA5s \xE6\x97\xA5 \xF0\x9F\x98\x80",
		    "r\xC3\xA4ksm\xC3\xB6rg\xC3\xA5s \xE6\x97\xA5 "
		    "\xF0\x9F\x98\x80" },
		{ "evil\nfeedpubd: info: x", "evil\\nfeedpubd: info: x" },
		{ "esc\x1B[2Jx", "esc\\x1B[2Jx" },
		{ "tab\tcr\rdel\x7F", "tab\\x09cr\\x0Ddel\\x7F" },
		{ "back\\slash", "back\\\\slash" },
		{ "bad\xFF\xFE", "bad\\xFF\\xFE" },
		{ "trunc\xC3", "trunc\\xC3" },
		{ "over\xC0\xAF", "over\\xC0\\xAF" },
		{ "surr\xED\xA0\x80", "surr\\xED\\xA0\\x80" },
		{ "c1\xC2\x85", "c1\\xC2\\x85" },
		{ "nbsp\xC2\xA0", "nbsp\xC2\xA0" },
	};

	(void)state;
	check_table(text_log_escape, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A file name made text: invalid bytes U+FFFD, controls a space. */
static void
test_from_bytes(void **state)
{
	static const char *const cases[][2] = {
		{ "", "" },
		{ "2019 Tr\xC3\xA4""d", "2019 Tr\xC3\xA4""d" },
		{ "a\xFF""b", "a\xEF\xBF\xBD""b" },
		{ "\xC3\x28", "\xEF\xBF\xBD(" },
		{ "new\nline", "new line" },
		{ "esc\x1B[1m", "esc [1m" },
		{ "c1\xC2\x9Fx", "c1 x" },
		{ "\xF0\x9F\x98", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
	};

	(void)state;
	check_table(text_from_bytes, cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_lines(void **state)
{
	static const char t[] = "one\ntwo\n\nfour";
	char *s;

	(void)state;
	assert_int_equal(text_line_len(t), 3);
	assert_int_equal(text_line_len(t + 4), 3);
	assert_int_equal(text_line_len(t + 8), 0);
	assert_int_equal(text_line_len(t + 9), 4);
	assert_int_equal(text_line_of(t, 0), 1);
	assert_int_equal(text_line_of(t, 4), 2);
	assert_int_equal(text_line_of(t, 9), 4);
	s = text_trim_dup(" \t a b \t", 8);
	assert_string_equal(s, "a b");
	free(s);
	s = text_trim_dup("  ", 2);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_utf8_offsets),
		cmocka_unit_test(test_utf8_large),
		cmocka_unit_test(test_xml_ok),
		cmocka_unit_test(test_xml_clean),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_slug_other_scripts),
		cmocka_unit_test(test_summary_collapse),
		cmocka_unit_test(test_summary_cut),
		cmocka_unit_test(test_summary_nbsp),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_from_bytes),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
