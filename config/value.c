/*
 * value: see value.h. Messages name the bounds the way the user writes
 * them ("1s..5m", "1K..64M"), printed by the same functions as
 * --print-config uses.
 */
#include "config/value.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "config/ini.h"
#include "feeds/date.h"
#include "feeds/url.h"

/* A unit: its suffix and how many of the base unit it is. */
struct unit {
	char suffix;
	unsigned long long mult;
};

/* Largest first, for printing; suffixes are matched exactly. */
static const struct unit duration_units[] = {
	{ 'd', 24 * 60 * 60 }, { 'h', 60 * 60 }, { 'm', 60 }, { 's', 1 },
};
static const struct unit size_units[] = {
	{ 'M', 1024 * 1024 }, { 'K', 1024 },
};
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Digits, then nothing or one suffix of units[] (any case if fold):
 * 0 and the product in *out, or -1 (also on overflow).
 */
static int
read_number(const char *s, const struct unit *units, size_t nunits,
    bool fold, unsigned long long *out)
{
	unsigned long long v, mult = 1;
	char *rest;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &rest, 10);
	if (errno != 0)
		return -1;
	if (*rest != '\0') {
		size_t i;

		for (i = 0; i < nunits; i++)
			if (*rest == units[i].suffix || (fold &&
			    toupper((unsigned char)*rest) == units[i].suffix))
				break;
		if (i == nunits || rest[1] != '\0')
			return -1;
		mult = units[i].mult;
	}
	if (v > ULLONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* v in the largest unit of units[] that divides it, else bare. */
static char *
print_number(unsigned long long v, const struct unit *units, size_t nunits,
    char buf[VALUE_PRINT_MAX])
{
	for (size_t i = 0; i < nunits; i++) {
		if (v != 0 && v % units[i].mult == 0) {
			snprintf(buf, VALUE_PRINT_MAX, "%llu%c",
			    v / units[i].mult, units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, VALUE_PRINT_MAX, "%llu", v);
	return buf;
}

char *
value_print_duration(unsigned long long sec, char buf[VALUE_PRINT_MAX])
{
	if (sec == 0) {
		snprintf(buf, VALUE_PRINT_MAX, "0s");
		return buf;
	}
	return print_number(sec, duration_units, NELEM(duration_units), buf);
}

char *
value_print_size(unsigned long long bytes, char buf[VALUE_PRINT_MAX])
{
	return print_number(bytes, size_units, NELEM(size_units), buf);
}

int
value_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char why[VALUE_WHY_MAX])
{
	unsigned long long v;

	if (read_number(s, NULL, 0, false, &v) != 0 || v < min || v > max) {
		snprintf(why, VALUE_WHY_MAX, "expected an integer %llu..%llu",
		    min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
value_size(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, char why[VALUE_WHY_MAX])
{
	char lo[VALUE_PRINT_MAX], hi[VALUE_PRINT_MAX];
	unsigned long long v;

	if (read_number(s, size_units, NELEM(size_units), true, &v) != 0 ||
	    v < min || v > max) {
		snprintf(why, VALUE_WHY_MAX, "expected a size %s..%s (bytes, "
		    "or with a K or M suffix)", value_print_size(min, lo),
		    value_print_size(max, hi));
		return -1;
	}
	*out = v;
	return 0;
}

int
value_duration(const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out,
    char why[VALUE_WHY_MAX])
{
	char lo[VALUE_PRINT_MAX], hi[VALUE_PRINT_MAX];
	unsigned long long v;

	if (read_number(s, duration_units, NELEM(duration_units), false,
	    &v) != 0 || v < min || v > max) {
		snprintf(why, VALUE_WHY_MAX, "expected a duration %s..%s (an "
		    "integer with an optional unit s, m, h or d)",
		    value_print_duration(min, lo),
		    value_print_duration(max, hi));
		return -1;
	}
	*out = v;
	return 0;
}

int
value_bool(const char *s, bool *out, char why[VALUE_WHY_MAX])
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	snprintf(why, VALUE_WHY_MAX,
	    "expected true/false, yes/no, on/off or 1/0");
	return -1;
}

int
value_enum(const char *s, const char *const *names, size_t n, int *out,
    char why[VALUE_WHY_MAX])
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	/* "expected a, b or c" */
	len = (size_t)snprintf(why, VALUE_WHY_MAX, "expected");
	for (size_t i = 0; i < n && len < VALUE_WHY_MAX; i++)
		len += (size_t)snprintf(why + len, VALUE_WHY_MAX - len,
		    "%s %s", i == 0 ? "" : i + 1 == n ? " or" : ",", names[i]);
	return -1;
}

int
value_zone(const char *s, char why[VALUE_WHY_MAX])
{
	if (date_zone_valid(s))
		return 0;
	snprintf(why, VALUE_WHY_MAX, "not a zone in the tz database (e.g. "
	    "'UTC', 'Europe/Stockholm')");
	return -1;
}

int
value_language(const char *s, char why[VALUE_WHY_MAX])
{
	const char *c;

	for (c = s; isalnum((unsigned char)*c) || *c == '-'; c++)
		;
	if (*c == '\0' && isalpha((unsigned char)*s))
		return 0;
	snprintf(why, VALUE_WHY_MAX, "expected a language tag such as 'sv' "
	    "or 'en-GB' (letters, digits, '-')");
	return -1;
}

/* The n digits at s, or -1. */
static int
digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
value_tag_date(const char *s, char why[VALUE_WHY_MAX])
{
	size_t n = strlen(s);
	int y = digits(s, 4), m = 1, d = 1;
	bool ok = (n == 4 || n == 7 || n == 10) && y >= 0;

	if (ok && n >= 7)
		ok = s[4] == '-' && (m = digits(s + 5, 2)) >= 0;
	if (ok && n == 10)
		ok = s[7] == '-' && (d = digits(s + 8, 2)) >= 0;
	if (ok && date_ymd_valid(y, m, d))
		return 0;
	snprintf(why, VALUE_WHY_MAX, "expected a date YYYY, YYYY-MM or "
	    "YYYY-MM-DD (RFC 4151)");
	return -1;
}

int
value_url(const char *s, unsigned flags, char why[VALUE_WHY_MAX])
{
	const char *bad = url_check_http(s, flags);

	if (bad == NULL)
		return 0;
	snprintf(why, VALUE_WHY_MAX, "%s", bad);
	return -1;
}

int
value_link_template(const char *s, char why[VALUE_WHY_MAX])
{
	/* A value is part of one line. */
	char sample[INI_LINE_MAX + 1];
	const char *at = strstr(s, "{slug}");
	size_t head;

	if (at == NULL) {
		snprintf(why, VALUE_WHY_MAX, "no {slug} in it");
		return -1;
	}
	/* Check the URL a release would get, not the template's braces. */
	head = (size_t)(at - s);
	if (snprintf(sample, sizeof(sample), "%.*sslug%s", (int)head, s,
	    at + 6) >= (int)sizeof(sample)) {
		snprintf(why, VALUE_WHY_MAX, "longer than %d bytes",
		    INI_LINE_MAX);
		return -1;
	}
	return value_url(sample, 0, why);
}

int
value_listen_addr(const char *s, struct sockaddr_storage *ss, unsigned *len,
    bool *any)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], *end;
	unsigned long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port > 65535)
		return -1;
	hl = (size_t)(colon - s);
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	*any = strcmp(host, "*") == 0;
	if (*any || (host[0] == '[' && host[hl - 1] == ']')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (*any)
			a6->sin6_addr = in6addr_any;
		else {
			host[hl - 1] = '\0';
			if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
				return -1;
		}
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -1;
		*len = sizeof(*a4);
	}
	return 0;
}

int
value_listen(const char *s, char why[VALUE_WHY_MAX])
{
	char buf[INET6_ADDRSTRLEN + 16];
	size_t n = 0;

	while (*s != '\0') {
		size_t k = strcspn(s, ", \t");
		struct sockaddr_storage ss;
		unsigned len;
		bool any;

		if (k > 0) {
			if (k >= sizeof(buf))
				goto bad;
			memcpy(buf, s, k);
			buf[k] = '\0';
			if (value_listen_addr(buf, &ss, &len, &any) < 0)
				goto bad;
			n++;
		}
		s += k;
		s += strspn(s, ", \t");
	}
	if (n > 0)
		return 0;
bad:
	snprintf(why, VALUE_WHY_MAX, "expected addresses HOST:PORT (an IPv4 "
	    "address, [an IPv6 address] or *, and a port 0..65535)");
	return -1;
}

int
value_url_path(const char *s, char why[VALUE_WHY_MAX])
{
	if (s[0] == '/' && s[strcspn(s, " ?#\\")] == '\0') {
		for (const char *p = s; *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
				goto bad;
		return 0;
	}
bad:
	snprintf(why, VALUE_WHY_MAX, "expected a URL path starting with '/' "
	    "(printable ASCII, no blank, '?', '#' or backslash)");
	return -1;
}
