/*
 * httpmsg: the rules of HTTP requests that the server applies, as pure
 * functions on strings (no I/O, no libmicrohttpd), so each rule lives in
 * one place and the unit tests hit it directly. Every input is hostile
 * bytes from the network.
 */
#ifndef DAEMON_HTTPMSG_H
#define DAEMON_HTTPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum httpmsg_target {
	HTTPMSG_TARGET_OK,	/* *path holds the decoded path */
	HTTPMSG_TARGET_BAD,	/* answer 400 */
};

/*
 * Decode the request target raw as the request line gave it (origin form
 * "/a/b?q" or absolute form "http://host/a/b?q"; the query is dropped)
 * into path, a buffer of at least strlen(raw) + 1 bytes. The result starts
 * with '/'. Refused (HTTPMSG_TARGET_BAD): any other form, a malformed
 * %-escape, a NUL, a control byte or a backslash (raw or %-encoded), an
 * encoded slash (%2f: a path segment is never split by an escape), and a
 * "." or ".." segment (raw or encoded, e.g. "%2e%2e"). Never reads past
 * raw's NUL. The length cap (414) is the caller's.
 */
enum httpmsg_target httpmsg_target(const char *raw, char *path);

/*
 * Whether an If-None-Match value matches one of etags[0..n) (each a
 * quoted entity-tag, e.g. "\"abc\""), by the weak comparison of RFC 9110
 * 8.8.3.2 ("W/" ignored): "*" matches, a list matches if any member does.
 * A malformed member ends the list: what came before still counts.
 */
bool httpmsg_etag_match(const char *if_none_match, const char *const *etags,
    size_t n);

/*
 * Parse an HTTP-date (RFC 9110 5.6.7: IMF-fixdate, and the obsolete RFC
 * 850 and asctime forms a recipient must accept) into seconds since the
 * epoch. Returns 0, or -1 when s is not such a date. No strptime: it
 * depends on the locale.
 */
int httpmsg_parse_date(const char *s, time_t *t);

/* Format t as an IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
#define HTTPMSG_DATE_SIZE 30
void httpmsg_format_date(time_t t, char out[HTTPMSG_DATE_SIZE]);

/*
 * Whether an Accept-Encoding value (may be NULL: absent) accepts gzip:
 * "gzip" or "x-gzip" with a q-value above 0, or else "*" with one.
 */
bool httpmsg_accepts_gzip(const char *accept_encoding);

/*
 * Write s (hostile bytes) to out, a buffer of size bytes (>= 4), for a log
 * line: printable ASCII as is, except '"' and '\\'; every other byte as
 * \xHH. What does not fit is cut at a whole escape and marked with "...".
 * Returns out.
 */
char *httpmsg_escape(const char *s, char *out, size_t size);

/* The value of a hexadecimal digit (either case), or -1. */
int httpmsg_hexval(char c);

#endif
