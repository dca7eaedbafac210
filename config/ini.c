/*
 * ini: see ini.h.
 *
 * libinih parses each "name = value" line (the split at '=' or ':', the
 * trimming, the " ;" comment after a value); the file reaches it through
 * read_line(), an ini_reader that hands it one whole line per call. That
 * lets this file do what libinih cannot:
 *  - count lines: the handler is told no line number;
 *  - notice the lines libinih rejects without calling the handler, and
 *    report them (the "pending" line below);
 *  - report section headers, also those with no key under them, which the
 *    handler never hears of (libinih also cuts a section name at 50 bytes);
 *  - drop the blanks at the start of a line, because Debian builds libinih
 *    with multi-line values on, which would read an indented "key = value"
 *    as more of the previous value;
 *  - refuse NUL bytes (libinih's fgets() reading would end the line there:
 *    "releases = rel\0/etc" was read as "rel"), control characters and
 *    bytes that are not UTF-8.
 *
 * Long lines. libinih reads into a buffer of INI_MAX_LINE bytes, a number
 * compiled into the library: 200 in Debian's build, on the stack. With its
 * own fgets() reader a longer line arrives in pieces, and each piece is
 * parsed as a line: the first one as the key with its value cut at 193
 * bytes, the rest as syntax errors (or, with a '=' in them, as more keys). Debian's libinih, though, reads its
 * build options from exported variables at run time (ini_max_line,
 * ini_use_stack: its ini.h declares them), so where CMake found them
 * (HAVE_INI_RUNTIME_OPTIONS) ini_read() sets a stack buffer of
 * INI_LINE_MAX + 3 bytes (libinih's own rule for '\r', '\n' and the NUL)
 * for the call and puts the old values back afterwards. Elsewhere the
 * limit is whatever the library was built with. Either way the limit that
 * counts is the buffer size libinih passes to read_line(), which reads
 * whole lines itself and reports a line that does not fit as too long
 * instead of handing libinih part of it. Copying libinih into the tree
 * (to build it with a bigger INI_MAX_LINE) or passing long values around it
 * would mean keeping a second INI parser.
 *
 * Not reentrant: libinih's options are process-wide, and config loading
 * happens on the main thread only (at start and on SIGHUP).
 */
#include "config/ini.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "feeds/text.h"

#define BOM	"\xEF\xBB\xBF"
/* A config file is a few KiB; this is /dev/zero or a log file. */
#define INI_FILE_MAX	(16 * 1024 * 1024)
#define MSG_MAX	128

struct reader {
	FILE *in;
	ini_fn fn;
	void *ud;
	int lineno;
	int pending;	/* the line libinih should have handed to on_pair() */
	int syntax;	/* how many lines were reported as syntax errors */
	int err;	/* why reading stopped early: see ini_read(); or 0 */
	size_t bytes;	/* read so far */
	bool skip;	/* under a header that was reported: pairs skipped */
	/*
	 * A byte order mark, the longest line, one byte more (to tell "too
	 * long" from "just fits") and the NUL.
	 */
	char line[3 + INI_LINE_MAX + 1 + 1];
	char section[INI_LINE_MAX + 1];	/* "" before the first header */
};

static void
yield_error(struct reader *r, int line, const char *message)
{
	struct ini_item it = {
		.what = INI_ERROR, .line = line, .message = message,
	};

	r->fn(r->ud, &it);
}

/* The line before this one should have reached on_pair() but did not. */
static void
check_pending(struct reader *r)
{
	if (r->pending != 0) {
		r->syntax++;
		yield_error(r, r->pending, "syntax error: expected "
		    "'key = value', '[section]' or a comment");
	}
	r->pending = 0;
}

/* libinih's handler: one "name = value" line, the one read last. */
static int
on_pair(void *user, const char *section, const char *name,
    const char *value)
{
	struct reader *r = user;
	struct ini_item it = {
		.what = INI_PAIR, .line = r->lineno, .section = r->section,
		.name = name, .value = value,
	};

	(void)section;	/* read_line() tracks it; see the top of the file */
	r->pending = 0;
	if (!r->skip)
		r->fn(r->ud, &it);
	return 1;	/* errors in values are the caller's, not syntax */
}

/*
 * The next line of the file into r->line, without its line end, and its
 * whole length in *len: at most sizeof(r->line) - 1 bytes are kept, the
 * rest of a longer line is read and dropped. Returns 0, or -1 at the end of
 * the file, when reading failed or past INI_FILE_MAX bytes (reported): see
 * r->err.
 */
static int
next_line(struct reader *r, size_t *len)
{
	const size_t cap = sizeof(r->line) - 1;
	size_t n = 0;
	int c;

	while ((c = getc(r->in)) != EOF && c != '\n') {
		if (n < cap)
			r->line[n] = (char)c;
		n++;
		if (++r->bytes > INI_FILE_MAX) {
			yield_error(r, r->lineno + 1, "file too large (over "
			    "16 MiB): is it the config file?");
			r->err = EFBIG;
			return -1;
		}
	}
	if (ferror(r->in)) {
		r->err = errno != 0 ? errno : EIO;
		return -1;
	}
	if (c == EOF && n == 0)
		return -1;
	r->bytes++;	/* the '\n' */
	if (n <= cap && n > 0 && r->line[n - 1] == '\r')
		n--;
	r->line[n <= cap ? n : cap] = '\0';
	*len = n;
	return 0;
}

/* Characters (UTF-8 sequences) in s[0..off), s valid UTF-8 there. */
static size_t
column(const char *s, size_t off)
{
	size_t col = 1;

	for (size_t i = 0; i < off; i++)
		col += ((unsigned char)s[i] & 0xC0) != 0x80;
	return col;
}

/*
 * s[0..n) is not text a config file may hold: say why in msg. The first
 * problem from the left is reported.
 */
static bool
bad_text(const char *s, size_t n, char msg[MSG_MAX])
{
	size_t bad = n;
	bool invalid = text_utf8_check(s, n, &bad) != 0;

	for (size_t i = 0; i < bad; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7F) {
			snprintf(msg, MSG_MAX, "control character 0x%02X at "
			    "column %zu (only tab is allowed)", c,
			    column(s, i));
			return true;
		}
	}
	if (!invalid)
		return false;
	if (s[bad] == '\0')
		snprintf(msg, MSG_MAX, "NUL byte at column %zu (a config "
		    "file is text)", column(s, bad));
	else
		snprintf(msg, MSG_MAX, "invalid UTF-8 at column %zu (the "
		    "file must be UTF-8)", column(s, bad));
	return true;
}

/* A "[section]" line, s its first non-blank character. */
static void
read_header(struct reader *r, char *s)
{
	char *end = strchr(s, ']');
	struct ini_item it = { .what = INI_SECTION, .line = r->lineno };

	if (end == NULL) {
		r->syntax++;
		r->skip = true;
		yield_error(r, r->lineno, "syntax error: '[' without ']'");
		return;
	}
	*end = '\0';
	/* Fits: the header is part of a line that fit r->line. */
	strcpy(r->section, s + 1);
	r->skip = false;
	it.section = r->section;
	r->fn(r->ud, &it);
}

/*
 * The ini_reader: one whole line per call into str (num bytes), so
 * r->lineno is the line libinih is parsing. Header, comment and rejected
 * lines reach libinih as empty lines.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	/*
	 * Two bytes fewer than num: libinih builds that keep a growing heap
	 * buffer take a line of num - 1 bytes without '\n' for part of one.
	 */
	size_t limit = num - 2 < INI_LINE_MAX ? (size_t)num - 2 : INI_LINE_MAX;
	size_t n;
	char msg[MSG_MAX], *s = r->line;

	check_pending(r);
	if (next_line(r, &n) < 0)
		return NULL;
	r->lineno++;
	if (r->lineno == 1 && n >= 3 && strncmp(s, BOM, 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n > limit)
		snprintf(msg, sizeof(msg), "line too long (over %zu bytes)",
		    limit);
	if (n > limit || bad_text(s, n, msg)) {
		yield_error(r, r->lineno, msg);
		/* A header, it seems: what follows is in no known section. */
		if (s[strspn(s, " \t")] == '[')
			r->skip = true;
		s = "";
	}
	s += strspn(s, " \t");
	if (*s == '[') {
		read_header(r, s);
		s = "";
	} else if (*s != '\0' && *s != ';' && *s != '#') {
		r->pending = r->lineno;
	}
	strcpy(str, s);
	return str;
}

/* libinih over r, with a buffer for INI_LINE_MAX where it can be set. */
static int
parse(struct reader *r)
{
	int rc;
#ifdef HAVE_INI_RUNTIME_OPTIONS
	int max_line = ini_max_line;
	bool use_stack = ini_use_stack;

	ini_max_line = INI_LINE_MAX + 3;
	ini_use_stack = true;
#endif
	rc = ini_parse_stream(read_line, r, on_pair, r);
#ifdef HAVE_INI_RUNTIME_OPTIONS
	ini_max_line = max_line;
	ini_use_stack = use_stack;
#endif
	return rc;
}

int
ini_read(FILE *in, ini_fn fn, void *ud)
{
	struct reader *r = calloc(1, sizeof(*r));
	int rc, e = 0;

	if (r == NULL)
		return -1;
	r->in = in;
	r->fn = fn;
	r->ud = ud;
	rc = parse(r);
	check_pending(r);
	if (r->err != 0)
		e = r->err;
	else if (rc == -2)
		e = ENOMEM;
	else if (rc > 0 && r->syntax == 0)
		/* Not expected: read_line() notices what libinih rejects. */
		yield_error(r, rc, "syntax error");
	free(r);
	errno = e;
	return e != 0 ? -1 : 0;
}
