/*
 * httpmsg: see httpmsg.h.
 */
#include "httpmsg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int
httpmsg_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether the segment seg[0..len) is "." or "..". */
static bool
dot_segment(const char *seg, size_t len)
{
	return (len == 1 && seg[0] == '.') ||
	    (len == 2 && seg[0] == '.' && seg[1] == '.');
}

enum httpmsg_target
httpmsg_target(const char *raw, char *path)
{
	const char *p = raw;
	char *o = path, *seg;

	if (strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0) {
		/* Absolute form: skip the scheme and the authority. */
		p = strstr(p, "//") + 2;
		p += strcspn(p, "/?#");
	} else if (*p != '/') {
		return HTTPMSG_TARGET_BAD;	/* "*", authority form, junk */
	}
	*o++ = '/';
	if (*p == '/')
		p++;
	seg = o;
	for (; *p != '\0' && *p != '?'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%') {
			int hi = httpmsg_hexval(p[1]), lo = hi < 0 ? -1 :
			    httpmsg_hexval(p[2]);

			if (lo < 0)
				return HTTPMSG_TARGET_BAD;
			c = (unsigned char)(hi * 16 + lo);
			p += 2;
			if (c == '/')
				return HTTPMSG_TARGET_BAD;
		} else if (c == '/') {
			if (dot_segment(seg, (size_t)(o - seg)))
				return HTTPMSG_TARGET_BAD;
			*o++ = '/';
			seg = o;
			continue;
		}
		/* A fragment is never sent; a raw '#' is not a path byte. */
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '#')
			return HTTPMSG_TARGET_BAD;
		*o++ = (char)c;
	}
	if (dot_segment(seg, (size_t)(o - seg)))
		return HTTPMSG_TARGET_BAD;
	*o = '\0';
	return HTTPMSG_TARGET_OK;
}

bool
httpmsg_etag_match(const char *v, const char *const *etags, size_t n)
{
	const char *p = v;

	for (;;) {
		const char *end;
		size_t len;

		p += strspn(p, " \t,");
		if (*p == '\0')
			return false;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"' || (end = strchr(p + 1, '"')) == NULL)
			return false;
		len = (size_t)(end + 1 - p);
		for (size_t i = 0; i < n; i++)
			if (strlen(etags[i]) == len &&
			    memcmp(etags[i], p, len) == 0)
				return true;
		p = end + 1;
	}
}

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const wdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat" };

static int
month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (strcmp(s, months[i]) == 0)
			return i;
	return -1;
}

int
httpmsg_parse_date(const char *s, time_t *t)
{
	struct tm tm;
	char mon[4];
	int day, year, h, m, sec, end = -1;

	memset(&tm, 0, sizeof(tm));
	/* %n only counts when the whole pattern matched: end stays -1. */
	if (sscanf(s, "%*3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n",
	    &day, mon, &year, &h, &m, &sec, &end) == 6 && end > 0) {
		;
	} else if (sscanf(s, "%*[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d "
	    "GMT%n", &day, mon, &year, &h, &m, &sec, &end) == 6 && end > 0) {
		/* RFC 850's two-digit year (RFC 9110 5.6.7: the past). */
		year += year < 70 ? 2000 : 1900;
	} else if (sscanf(s, "%*3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n",
	    mon, &day, &h, &m, &sec, &year, &end) == 6 && end > 0) {
		;
	} else {
		return -1;
	}
	if (s[end] != '\0' || (tm.tm_mon = month_of(mon)) < 0 || day < 1 ||
	    day > 31 || year < 1900 || h < 0 || h > 23 || m < 0 || m > 59 ||
	    sec < 0 || sec > 60)
		return -1;
	tm.tm_mday = day;
	tm.tm_year = year - 1900;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*t = timegm(&tm);
	return 0;
}

void
httpmsg_format_date(time_t t, char out[HTTPMSG_DATE_SIZE])
{
	struct tm tm;
	char buf[80];		/* what the compiler thinks ints may need */

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buf[HTTPMSG_DATE_SIZE - 1] = '\0';	/* years past 9999 */
	memcpy(out, buf, HTTPMSG_DATE_SIZE);
}

/* Whether a q-value ("0", "0.000", "1", "0.5") is zero. */
static bool
qzero(const char *q)
{
	if (*q++ != '0')
		return false;
	if (*q == '.')
		for (q++; *q == '0'; q++)
			;
	return *q == '\0' || strchr(" \t,;", *q) != NULL;
}

bool
httpmsg_accepts_gzip(const char *ae)
{
	int gzip = -1, star = -1;	/* -1 not listed, 0 refused, 1 ok */
	const char *p = ae;

	if (ae == NULL)
		return false;
	while (*p != '\0') {
		const char *tok;
		size_t len;
		int ok = 1;

		p += strspn(p, " \t,");
		tok = p;
		len = strcspn(p, " \t,;");
		p += len;
		p += strspn(p, " \t");
		while (*p == ';') {
			p++;
			p += strspn(p, " \t");
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
				ok = !qzero(p + 2);
			p += strcspn(p, ",;");
		}
		p += strcspn(p, ",");
		if ((len == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
		    (len == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
			gzip = ok;
		else if (len == 1 && tok[0] == '*')
			star = ok;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

static bool
plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

char *
httpmsg_escape(const char *s, char *out, size_t size)
{
	size_t o = 0, all = 0;
	bool cut;

	for (const char *p = s; *p != '\0'; p++)
		all += plain_byte((unsigned char)*p) ? 1 : 4;
	cut = all + 1 > size;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = plain_byte(c) ? 1 : 4;

		/* Cut: keep room for "..." and the NUL. */
		if (cut && o + need + 4 > size) {
			memcpy(out + o, "...", 4);
			return out;
		}
		if (need == 1)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}
