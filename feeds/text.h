/*
 * text: UTF-8 and XML-safety helpers, slugs and summaries. Pure functions on
 * NUL-terminated UTF-8 unless a length is given. Returned strings are
 * malloc'd and owned by the caller; NULL means out of memory.
 */
#ifndef FEEDS_TEXT_H
#define FEEDS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 *    ñ -> n, ý ÿ -> y, æ -> ae, œ -> oe, ß -> ss, þ -> th, ð -> d, also
 *    upper case: the table covers U+00C0..U+017F);
 *  - ASCII letters are lower-cased; digits stay;
 *  - combining marks (U+0300..U+036F) are dropped, so "o" + U+0308 folds
 *    like "ö";
 *  - every other run of characters (spaces, punctuation, other scripts)
 *    becomes one '-'; leading and trailing '-' are dropped;
 *  - an empty result becomes "release";
 *  - if the name holds a character of another script, "-" and 8 lower-case
 *    hex digits are appended: the FNV-1a 32-bit hash of the whole name's
 *    UTF-8 bytes, so names that differ only in what was dropped get
 *    different slugs. Another script means a code point >= U+0080 that is
 *    not in the fold table and not in U+0080..U+00BF (Latin-1 punctuation),
 *    U+0300..U+036F (combining marks), U+2000..U+2BFF (punctuation,
 *    symbols, arrows), U+3000..U+303F (CJK punctuation), U+FE00..U+FE0F,
 *    U+FEFF, U+FFF0..U+FFFF, U+1F000..U+1FAFF (emoji) or U+E0000..U+E01EF.
 *    Latin letters outside the table (ș, ơ) count as another script.
 * "2019-12-10 Trygghet på Möllan!" -> "2019-12-10-trygghet-pa-mollan",
 * "2026-01-01 日本語" -> "2026-01-01-" followed by 8 hex digits.
 */
char *text_slug(const char *name);

/* FNV-1a 32 of s's bytes: the hash text_slug() appends, stable forever. */
uint32_t text_hash32(const char *s);

/*
 * Whitespace-collapsed s (runs of ASCII space, tab, CR, LF become one space;
 * leading/trailing removed). If the result has more than limit code points,
 * it is cut at the last ASCII space at or before limit (or at limit when
 * there is none in the second half) and "…" (U+2026) is appended.
 * A no-break space (U+00A0) is not a word boundary and is never cut at.
 */
char *text_summary(const char *s, size_t limit);

/*
 * Text from bytes that are not known to be text, such as a file name:
 * each byte of an invalid UTF-8 sequence becomes U+FFFD, each control
 * character (C0, DEL, C1) a space; the rest is kept. The result is valid
 * UTF-8 without controls. "a\xFFb\nc" -> "a\xEF\xBF\xBDb c".
 */
char *text_from_bytes(const char *s);

/*
 * s made safe for one log line: printable UTF-8 stays as it is; a newline
 * becomes "\n" and a backslash "\\"; every other byte outside printable
 * UTF-8 (controls, bytes of invalid sequences) becomes "\xHH" (upper-case
 * hex). "evil\nx\x1B[2J\xFF" -> "evil\\nx\\x1B[2J\\xFF". s may be any
 * bytes; the result is valid UTF-8 without controls.
 */
char *text_log_escape(const char *s);

/* Lines of a NUL-terminated text, as the release parsers walk them. */

/* Length of the line at s, without its '\n'. */
size_t text_line_len(const char *s);

/* The 1-based number of the line that holds s[off]; lines end in '\n'. */
size_t text_line_of(const char *s, size_t off);

/*
 * FNV-1a 64 of the bytes of s, for hash tables of short keys (paths,
 * ids, slugs); no defence against keys chosen to collide.
 */
uint64_t text_hash(const char *s);

/* A copy of s[0..n) without leading and trailing spaces and tabs. */
char *text_trim_dup(const char *s, size_t n);

#endif
