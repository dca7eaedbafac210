/*
 * ini: the INI reader, a shim over libinih. It reads a file and yields, in
 * file order, each section header, each "name = value" pair and each
 * problem of syntax, with its line number. It knows no section or key
 * names: what they mean is config.c's business.
 *
 * The file:
 *  - is UTF-8 text: a NUL byte, a byte sequence that is not UTF-8 or a
 *    control character other than tab is an error, in a comment too;
 *  - has lines of at most INI_LINE_MAX bytes, the line end (LF or CRLF)
 *    not counted; a longer line is an error, never cut;
 *  - may start with a UTF-8 byte order mark;
 *  - has "[section]" headers (anything after the ']' is ignored), "name =
 *    value" or "name: value" pairs and comment lines starting with ';' or
 *    '#'; blanks at the start of a line are ignored, and " ;" (a blank,
 *    then ';') starts a comment after a value.
 * A line with a problem is reported once and skipped. Pairs under a header
 * with a problem are skipped too: their section is unknown.
 */
#ifndef CONFIG_INI_H
#define CONFIG_INI_H

#include <stdio.h>

/*
 * Longest line, in bytes. Webhook URLs carry tokens of a few hundred bytes
 * to a few KiB; 8 KiB is also what most HTTP servers take as a request line.
 */
#define INI_LINE_MAX 8192

enum ini_what {
	INI_SECTION,	/* a "[section]" header */
	INI_PAIR,	/* a "name = value" line */
	INI_ERROR,	/* a line that could not be read; it is skipped */
};

/* One thing found in the file; the strings live until fn returns. */
struct ini_item {
	enum ini_what what;
	int line;		/* 1 for the first line */
	/*
	 * INI_SECTION: the text between the brackets, as written; INI_PAIR:
	 * that of the section the pair is in, "" before the first header.
	 */
	const char *section;
	const char *name;	/* INI_PAIR: blanks around it trimmed */
	const char *value;	/* INI_PAIR: trimmed, comment cut; may be "" */
	const char *message;	/* INI_ERROR: what is wrong, for an operator */
};

typedef void (*ini_fn)(void *ud, const struct ini_item *item);

/*
 * Read in to its end, calling fn(ud, item) for each item. Returns 0, or -1
 * when it stopped early, items up to there yielded, with errno saying why:
 * EFBIG, the file is over 16 MiB (yielded as an INI_ERROR too); ENOMEM;
 * else reading failed. Not reentrant: see ini.c on libinih's options.
 */
int ini_read(FILE *in, ini_fn fn, void *ud);

#endif
