/*
 * text: UTF-8 and XML-safety helpers, slugs and summaries. Pure functions on
 * NUL-terminated UTF-8 unless a length is given. Returned strings are
 * malloc'd and owned by the caller; NULL means out of memory.
 */
#ifndef FEEDS_TEXT_H
#define FEEDS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * 0 if s[0..n) is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF; NUL bytes are invalid too). Otherwise -1, with *bad_off the
 * byte offset of the first bad sequence (bad_off may be NULL).
 */
int text_utf8_check(const char *s, size_t n, size_t *bad_off);

/*
 * true if s holds no character that XML 1.0 forbids: C0 controls other than
 * TAB, LF and CR, and U+FFFE / U+FFFF. s must be valid UTF-8.
 */
bool text_xml_ok(const char *s);

/* A copy of s with the characters XML 1.0 forbids removed. */
char *text_xml_clean(const char *s);

/*
 * The URL-safe slug of a file name (extension already removed):
 *  - letters with diacritics are folded to ASCII (å ä à á â ã -> a,
 *    ö ø ó ò ô õ -> o, é è ê ë -> e, ü ú ù û -> u, í ì î ï -> i, ç -> c,
 *    ñ -> n, ý ÿ -> y, æ -> ae, œ -> oe, ß -> ss, þ -> th, ð -> d, also upper case);
 *  - ASCII letters are lower-cased; digits stay;
 *  - every other run of characters (spaces, punctuation, other scripts)
 *    becomes one '-'; leading and trailing '-' are dropped;
 *  - an empty result becomes "release".
 * "2019-12-10 Trygghet på Möllan!" -> "2019-12-10-trygghet-pa-mollan".
 */
char *text_slug(const char *name);

/*
 * Whitespace-collapsed s (runs of ASCII space, tab, CR, LF become one space;
 * leading/trailing removed). If the result has more than limit code points,
 * it is cut at the last ASCII space at or before limit (or at limit when
 * there is none in the second half) and "…" (U+2026) is appended.
 * A no-break space (U+00A0) is not a word boundary and is never cut at.
 */
char *text_summary(const char *s, size_t limit);

#endif
