/*
 * date: see date.h. Instants are plain int64 seconds; the zone database is
 * libc's (TZ + tzset, mktime, localtime_r), reached only through TZ so that
 * DST rules stay exactly what the system's tzdata says.
 */
#include "feeds/date.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 32-bit time_t cannot hold dates outside 1901..2038, which are legal. */
_Static_assert(sizeof(time_t) >= 8, "date needs a 64-bit time_t");

#define DEFAULT_TZDIR "/usr/share/zoneinfo"

static const char day_names[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * Characters of tz database names. No '.', so no ".." escape from TZDIR;
 * no ':' or ',' either, which would make TZ a POSIX rule string instead.
 */
static const char zone_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-";

int
date_zone_valid(const char *tz)
{
	const char *dir;
	char path[4096];
	char magic[4];
	struct stat st;
	int fd, n, ok = 0;

	if (tz == NULL || *tz == '\0' || *tz == '/')
		return 0;
	if (tz[strspn(tz, zone_chars)] != '\0' || strstr(tz, "..") != NULL)
		return 0;
	/* right/ zones count leap seconds: their time_t is not POSIX time. */
	if (strncmp(tz, "right/", 6) == 0)
		return 0;
	/* glibc knows UTC even where tzdata is not installed. */
	if (strcmp(tz, "UTC") == 0)
		return 1;

	dir = getenv("TZDIR");
	if (dir == NULL || *dir == '\0')
		dir = DEFAULT_TZDIR;
	n = snprintf(path, sizeof(path), "%s/%s", dir, tz);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	/* glibc would quietly treat a missing or bogus file as UTC. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", sizeof(magic)) == 0)
		ok = 1;
	close(fd);
	return ok;
}

int
date_set_zone(const char *tz)
{
	if (!date_zone_valid(tz))
		return -1;
	if (setenv("TZ", tz, 1) != 0)
		return -1;
	/* localtime_r need not re-read TZ on its own; mktime does. */
	tzset();
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_space(char c)
{
	return is_blank(c) || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read min..max digits into *val; more digits than max is an error, so
 * "20191-01-01" is not read as 2019. Returns the end, or NULL.
 */
static const char *
read_num(const char *p, int min, int max, int *val)
{
	int n = 0;

	*val = 0;
	while (n < max && is_digit(p[n])) {
		*val = *val * 10 + (p[n] - '0');
		n++;
	}
	if (n < min || is_digit(p[n]))
		return NULL;
	return p + n;
}

int
date_ymd_valid(int year, int mon, int day)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (mon < 1 || mon > 12 || day < 1)
		return 0;
	return day <= (mon == 2 && leap ? 29 : days[mon - 1]);
}

/* "Z", "UTC", "GMT", or [+-]h[h][[:]mm] as in RFC 3339, Jekyll and YAML. */
static const char *
read_zone(const char *p, int32_t *off)
{
	int neg, hh, mm = 0;
	const char *q;

	if (*p == 'Z' || *p == 'z') {
		*off = 0;
		return p + 1;
	}
	if (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0) {
		*off = 0;
		return p + 3;
	}
	if (*p != '+' && *p != '-')
		return NULL;
	neg = *p++ == '-';

	q = read_num(p, 1, 2, &hh);
	if (q == NULL) {
		/* "+0100": four digits, no colon. */
		q = read_num(p, 4, 4, &hh);
		if (q == NULL)
			return NULL;
		mm = hh % 100;
		hh /= 100;
	} else if (*q == ':') {
		q = read_num(q + 1, 2, 2, &mm);
		if (q == NULL)
			return NULL;
	}
	if (hh > 23 || mm > 59)
		return NULL;
	*off = (int32_t)((hh * 60 + mm) * 60);
	if (neg)
		*off = -*off;
	return q;
}

/*
 * Hand-scanned rather than strptime(): glibc's strptime skips blanks inside
 * numbers ("2019- 12-10"), has no fractions, and its %z takes neither
 * YAML's "-5" nor offsets beyond +12:00.
 */
int
date_parse(const char *s, struct fp_time *out)
{
	enum date_local how;

	return date_parse_local(s, out, &how);
}

/* The offset in force at instant t, or INT32_MIN when unknown. */
static int32_t
offset_at(time_t t)
{
	struct tm tm;

	return localtime_r(&t, &tm) != NULL ? (int32_t)tm.tm_gmtoff :
	    INT32_MIN;
}

/*
 * The local wall clock in tm read in the current zone, with *how as
 * date_parse_local() promises. Probing the offsets in force a day either
 * side finds both readings around a DST change (no zone has changed
 * twice within two days); a reading counts if the zone shows that very
 * wall clock at it.
 */
static int
read_local(const struct tm *tm, struct fp_time *out, enum date_local *how)
{
	struct tm w = *tm;
	time_t base = timegm(&w), t;
	int32_t offs[3];
	int64_t hit[3];
	int nhit = 0;

	w = *tm;
	w.tm_isdst = -1;
	w.tm_wday = -1;
	t = mktime(&w);
	/* mktime() may return -1 for a real instant: tm_wday tells. */
	if (w.tm_wday < 0)
		return -1;
	offs[0] = offset_at(base - 86400);
	offs[1] = offset_at(base + 86400);
	offs[2] = (int32_t)w.tm_gmtoff;
	for (int i = 0; i < 3; i++) {
		int64_t at = (int64_t)base - offs[i];
		bool dup = false;

		if (offs[i] == INT32_MIN || offset_at((time_t)at) != offs[i])
			continue;
		for (int j = 0; j < nhit; j++)
			dup |= hit[j] == at;
		if (!dup)
			hit[nhit++] = at;
	}
	*how = DATE_LOCAL_ONE;
	out->sec = (int64_t)t;
	out->off = (int32_t)w.tm_gmtoff;
	if (nhit == 0) {
		*how = DATE_LOCAL_GAP;
	} else if (nhit > 1) {
		*how = DATE_LOCAL_TWICE;
		out->sec = hit[0] > hit[1] ? hit[0] : hit[1];
		out->off = offset_at((time_t)out->sec);
	}
	return 0;
}

int
date_parse_local(const char *s, struct fp_time *out, enum date_local *how)
{
	struct tm tm;
	int year, mon, day, hour = 0, min = 0, sec = 0;
	int32_t off = 0;
	int has_time, has_off = 0;
	const char *p = s;
	time_t t;

	if (s == NULL || out == NULL)
		return -1;
	while (is_space(*p))
		p++;

	if ((p = read_num(p, 4, 4, &year)) == NULL || *p++ != '-' ||
	    (p = read_num(p, 1, 2, &mon)) == NULL || *p++ != '-' ||
	    (p = read_num(p, 1, 2, &day)) == NULL)
		return -1;

	/* Blanks may just trail a bare date; a 'T' promises a time. */
	if (*p == 'T' || *p == 't') {
		p++;
		has_time = 1;
	} else {
		while (is_blank(*p))
			p++;
		has_time = *p != '\0' && !is_space(*p);
	}
	if (has_time) {
		if ((p = read_num(p, 1, 2, &hour)) == NULL || *p++ != ':' ||
		    (p = read_num(p, 2, 2, &min)) == NULL)
			return -1;
		if (*p == ':') {
			if ((p = read_num(p + 1, 2, 2, &sec)) == NULL)
				return -1;
			/* YAML 1.1 allows "43." too. */
			if (*p == '.')
				for (p++; is_digit(*p); p++)
					;
		}
		while (is_blank(*p))
			p++;
		if (*p != '\0' && !is_space(*p)) {
			if ((p = read_zone(p, &off)) == NULL)
				return -1;
			has_off = 1;
		}
	}
	while (is_space(*p))
		p++;
	if (*p != '\0')
		return -1;

	/* 60 is a leap second (RFC 3339); time_t folds it into the next. */
	if (!date_ymd_valid(year, mon, day) || hour > 23 || min > 59 ||
	    sec > 60)
		return -1;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;

	*how = DATE_LOCAL_ONE;
	if (has_off) {
		t = timegm(&tm);
		out->sec = (int64_t)t - off;
		out->off = off;
		return 0;
	}
	/*
	 * Let the zone decide DST. In a spring-forward gap glibc reads the
	 * time with the offset before the jump (02:30 -> 03:30 CEST); in the
	 * repeated autumn hour it picks one of the two, and read_local()
	 * takes the later.
	 */
	return read_local(&tm, out, how);
}

const char *
date_zone_name(void)
{
	const char *tz = getenv("TZ");

	return tz != NULL && *tz != '\0' ? tz : "UTC";
}

char *
date_offset(const struct fp_time *t, char buf[DATE_OFFSZ])
{
	int m = t->off / 60;

	snprintf(buf, DATE_OFFSZ, "%c%02d:%02d", m < 0 ? '-' : '+',
	    abs(m) / 60 % 100, abs(m) % 60);
	return buf;
}

struct fp_time
date_from_epoch(int64_t sec)
{
	struct fp_time t = { sec, 0 };
	time_t tt = (time_t)sec;
	struct tm tm;

	if (localtime_r(&tt, &tm) != NULL)
		t.off = (int32_t)tm.tm_gmtoff;
	return t;
}

/*
 * Wall clock and shown offset for t. Offsets with seconds (local mean
 * time before ~1900) cannot be written in either format, so they are
 * truncated to whole minutes and the wall clock follows: the instant
 * written stays exact. Returns -1 for what neither format can express:
 * years outside 0000..9999, offsets of a day or more.
 */
static int
wall_clock(const struct fp_time *t, struct tm *tm, int *off_min)
{
	int32_t off = t->off - t->off % 60;
	time_t local;

	if (off <= -86400 || off >= 86400)
		return -1;
	/* Keeps the sum below from overflowing; far past year 9999 anyway. */
	if (t->sec > INT64_C(1) << 60 || t->sec < -(INT64_C(1) << 60))
		return -1;
	local = (time_t)(t->sec + off);
	if (gmtime_r(&local, tm) == NULL ||
	    tm->tm_year < -1900 || tm->tm_year > 9999 - 1900)
		return -1;
	*off_min = off / 60;
	return 0;
}

char *
date_rfc3339(const struct fp_time *t, char buf[DATE_BUFSZ])
{
	struct tm tm;
	char zone[16] = "Z";
	int m, n;

	/* Only a struct not made by this module can be unformattable. */
	if (wall_clock(t, &tm, &m) != 0) {
		buf[0] = '\0';
		return buf;
	}
	if (m != 0)
		snprintf(zone, sizeof(zone), "%c%02d:%02d",
		    m < 0 ? '-' : '+', abs(m) / 60, abs(m) % 60);
	n = snprintf(buf, DATE_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	/* Cannot happen within wall_clock()'s limits; never emit half. */
	if (n < 0 || n >= DATE_BUFSZ)
		buf[0] = '\0';
	return buf;
}

char *
date_rfc822(const struct fp_time *t, char buf[DATE_BUFSZ])
{
	struct tm tm;
	int m, n;

	if (wall_clock(t, &tm, &m) != 0) {
		buf[0] = '\0';
		return buf;
	}
	n = snprintf(buf, DATE_BUFSZ,
	    "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
	    day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    m < 0 ? '-' : '+', abs(m) / 60, abs(m) % 60);
	if (n < 0 || n >= DATE_BUFSZ)
		buf[0] = '\0';
	return buf;
}

double
date_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
