/*
 * log: one line per message on stderr. When stderr is the journal
 * (JOURNAL_STREAM) lines carry sd-daemon priority prefixes ("<3>"...),
 * otherwise "feedpubd: error: ..." for a person at a terminal.
 */
#ifndef DAEMON_LOG_H
#define DAEMON_LOG_H

#include <stdbool.h>

void log_init(bool verbose);

/* log_warn and log_errno append ": strerror(errno)"; the others do not. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
