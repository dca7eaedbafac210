/*
 * date: parse the date forms editors write, and format RFC 3339 / RFC 822.
 *
 * A time is an instant (seconds since the epoch, UTC) plus the UTC offset it
 * was written in, so a feed shows a release in the zone its editor meant.
 * Times written without an offset are read in the zone set with
 * date_set_zone() (DST-correct, via libc's tz database).
 */
#ifndef FEEDS_DATE_H
#define FEEDS_DATE_H

#include <stdint.h>

struct fp_time {
	int64_t sec;	/* seconds since 1970-01-01T00:00:00Z */
	int32_t off;	/* seconds east of UTC, e.g. 3600 for +01:00 */
};

/* Big enough for either format, NUL included. */
#define DATE_BUFSZ 40

/*
 * 1 if year-mon-day is a day of the (proleptic) Gregorian calendar: mon
 * 1..12 and day 1..28/29/30/31 as that month has, else 0. The one calendar
 * check, for release dates and for the config's tag_date.
 */
int date_ymd_valid(int year, int mon, int day);

/* 1 if tz names a zone in the tz database (e.g. "Europe/Stockholm", "UTC"). */
int date_zone_valid(const char *tz);

/*
 * Use tz for times written without an offset (process-wide: sets TZ).
 * Returns 0, or -1 if the zone is unknown (the previous zone stays).
 */
int date_set_zone(const char *tz);

/*
 * Parse s into *out. Accepted (leading/trailing blanks ignored):
 *   2019-12-10T08:54:00+01:00   RFC 3339 (also Z, lowercase t, .fraction)
 *   2019-12-10 08:54:00 +0100   Jekyll / Hugo style, also -05, +01:00, Z, UTC
 *   2019-12-10 08:54[:00]       local time in the zone set by date_set_zone()
 *   2019-12-10                  local midnight
 *   2001-12-14 21:59:43.10 -5   YAML 1.1 timestamp forms
 * Fractions of a second are dropped. Returns 0, or -1 if s is not one of
 * these or names an impossible date (2019-02-30, 25:00).
 */
int date_parse(const char *s, struct fp_time *out);

/* What date_parse_local() found about a time written without an offset. */
enum date_local {
	DATE_LOCAL_ONE,		/* one instant: an offset given, or no DST edge */
	DATE_LOCAL_GAP,		/* a time the zone skips (spring forward) */
	DATE_LOCAL_TWICE,	/* a time the zone has twice (autumn back) */
};

/*
 * date_parse(), and *how tells whether a local time was skipped or
 * repeated by the zone. DATE_LOCAL_GAP: *out is the time read with the
 * offset before the change (02:30 -> 03:30 CEST). DATE_LOCAL_TWICE: *out
 * is the later of the two instants (02:30 -> 02:30+01:00 in Stockholm),
 * so an embargo set at such a time never lifts early. date_parse() is
 * this with the result of *how dropped. Same return convention.
 */
int date_parse_local(const char *s, struct fp_time *out,
    enum date_local *how);

/* The zone that date_set_zone() set ("UTC" when none). */
const char *date_zone_name(void);

/* Big enough for date_offset(), NUL included. */
#define DATE_OFFSZ 8

/* t's offset as "+01:00" ("+00:00" for UTC). Returns buf. */
char *date_offset(const struct fp_time *t, char buf[DATE_OFFSZ]);

/* The instant sec, with the offset the current zone has at that instant. */
struct fp_time date_from_epoch(int64_t sec);

/* The monotonic clock in milliseconds, for durations (never a date). */
double date_mono_ms(void);

/* "2019-12-10T08:54:00+01:00" ("Z" when off is 0). Returns buf. */
char *date_rfc3339(const struct fp_time *t, char buf[DATE_BUFSZ]);

/* "Tue, 10 Dec 2019 08:54:00 +0100" (English names, any locale). Returns buf. */
char *date_rfc822(const struct fp_time *t, char buf[DATE_BUFSZ]);

#endif
