/*
 * log: one line per message on stderr. When stderr is the journal
 * (JOURNAL_STREAM) lines carry sd-daemon priority prefixes ("<3>"...),
 * otherwise "feedpubd: error: ..." for a person at a terminal.
 */
#ifndef DAEMON_LOG_H
#define DAEMON_LOG_H

#include <stdbool.h>

void log_init(bool verbose);

/*
 * ntpd's rule: log_err and log_warn append ": strerror(errno)", and a
 * trailing x (log_errx, log_warnx) means no errno. An error stops
 * something from happening (a feed not written, pings off); a warning is
 * a problem feedpubd works around. log_info and log_debug take no errno.
 */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Each line of text (NULL is fine) as one log_errx line. */
void log_errx_lines(const char *text);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * s made safe for one log line, for the %s of a path or of any text that
 * came from outside (a file name is bytes, not text), by feeds/text's
 * text_log_escape(): a name holding a newline or a terminal escape cannot
 * forge a line, printable UTF-8 (å, 日本) stays. NULL gives "(null)".
 * The result lives in one of LOG_ESC_SLOTS static buffers used in turn:
 * valid until that many more calls, enough for the arguments of one
 * message; longer results are cut, ending in "...". Not thread-safe:
 * feedpubd logs from the loop's thread only.
 */
#define LOG_ESC_SLOTS	8
const char *log_esc(const char *s);

#endif
