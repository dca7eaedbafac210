/*
 * log: see log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool debug;
static bool journal;

/* True when stderr is the stream JOURNAL_STREAM names (device:inode). */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(bool verbose)
{
	debug = verbose;
	journal = stderr_is_journal();
}

static void
vlog(int prio, const char *fmt, va_list ap, const char *suffix)
{
	static const char *const words[8] = { "emergency", "alert",
	    "critical", "error", "warning", "notice", "info", "debug" };
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (journal)
		fprintf(stderr, "<%d>%s%s%s\n", prio, line, suffix ? ": " : "",
		    suffix ? suffix : "");
	else if (prio >= 6)
		fprintf(stderr, "feedpubd: %s%s%s\n", line, suffix ? ": " : "",
		    suffix ? suffix : "");
	else
		fprintf(stderr, "feedpubd: %s: %s%s%s\n", words[prio], line,
		    suffix ? ": " : "", suffix ? suffix : "");
}

void
log_err(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(3, fmt, ap, e);
	va_end(ap);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(3, fmt, ap, NULL);
	va_end(ap);
}

void
log_errx_lines(const char *text)
{
	const char *line = text, *nl;

	while (line != NULL && *line != '\0') {
		nl = strchrnul(line, '\n');
		log_errx("%.*s", (int)(nl - line), line);
		line = *nl != '\0' ? nl + 1 : nl;
	}
}

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(4, fmt, ap, e);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(6, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vlog(7, fmt, ap, NULL);
	va_end(ap);
}
