/*
 * value: the typed values of the config file, parsed and printed.
 *
 * Each value_* parser takes the value as written (NUL-terminated, already
 * trimmed by the INI reader) and returns 0, with the value in *out where
 * there is one, or -1 with why set to what was expected, in an operator's
 * words, ready to follow "invalid KEY 'VALUE': " (e.g. "expected an integer
 * 1..100000"). Nothing is allocated; why is untouched on success.
 */
#ifndef CONFIG_VALUE_H
#define CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>

/* Room for any message a parser writes into why, NUL included. */
#define VALUE_WHY_MAX 200

/* Room for a number printed by value_print_*(), NUL included. */
#define VALUE_PRINT_MAX 24

/* Decimal digits only (no sign, blanks or exponent), in min..max. */
int value_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char why[VALUE_WHY_MAX]);

/*
 * A size in bytes: digits, optionally followed by K or M (KiB, MiB; also
 * lower case), in min..max bytes. "512K" is 524288.
 */
int value_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char why[VALUE_WHY_MAX]);

/*
 * A duration in seconds: digits, optionally followed by one of the units
 * s, m, h, d (lower case, no blank), in min..max seconds. "90" is "90s".
 */
int value_duration(const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out,
    char why[VALUE_WHY_MAX]);

/* true, yes, on, 1 or false, no, off, 0, in any case. */
int value_bool(const char *s, bool *out, char why[VALUE_WHY_MAX]);

/* One of names[0..n) exactly; *out is its index. */
int value_enum(const char *s, const char *const *names, size_t n, int *out,
    char why[VALUE_WHY_MAX]);

/* A zone of the tz database ("UTC", "Europe/Stockholm"). */
int value_zone(const char *s, char why[VALUE_WHY_MAX]);

/* A language tag: a letter, then letters, digits and '-' ("sv", "en-GB"). */
int value_language(const char *s, char why[VALUE_WHY_MAX]);

/* The date of a tag: URI (RFC 4151): YYYY, YYYY-MM or a real YYYY-MM-DD. */
int value_tag_date(const char *s, char why[VALUE_WHY_MAX]);

/*
 * An http(s) URL with what flags (feeds/url.h, enum url_allow) allow
 * besides scheme, host, port and path.
 */
int value_url(const char *s, unsigned flags, char why[VALUE_WHY_MAX]);

/*
 * A list of listening addresses, separated by commas or blanks: each
 * "IPv4:PORT", "[IPv6]:PORT" or "*:PORT", PORT 0..65535.
 */
int value_listen(const char *s, char why[VALUE_WHY_MAX]);

/*
 * One listening address of such a list into *ss (of *len bytes); *any when
 * it was "*" (then ss is IPv6's any address). Returns 0 or -1. The one
 * parser of these addresses: the HTTP server uses it too.
 */
struct sockaddr_storage;
int value_listen_addr(const char *s, struct sockaddr_storage *ss,
    unsigned *len, bool *any);

/* A URL path: starts with '/', printable ASCII without blanks, '?', '#'. */
int value_url_path(const char *s, char why[VALUE_WHY_MAX]);

/*
 * A link template: an http(s) URL without query or fragment once "{slug}"
 * in it, which it must hold, is replaced by a slug.
 */
int value_link_template(const char *s, char why[VALUE_WHY_MAX]);

/*
 * sec written the way value_duration() reads it, in the largest unit that
 * divides it: 90 -> "90s", 300 -> "5m", 86400 -> "1d". Returns buf.
 */
char *value_print_duration(unsigned long long sec, char buf[VALUE_PRINT_MAX]);

/* bytes the way value_size() reads it: 1048576 -> "1M", 1536 -> "1536". */
char *value_print_size(unsigned long long bytes, char buf[VALUE_PRINT_MAX]);

#endif
