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

#include "feeds/text.h"

#define ESC_SLOT	2048	/* bytes, as a whole log line */

/*
 * The length of e's longest prefix of at most n bytes that ends between
 * two characters or escapes (a backslash and what it escapes stay
 * together, as do the bytes of a UTF-8 character).
 */
static size_t
cut(const char *e, size_t n)
{
	size_t k = 0, step;

	for (size_t i = 0; e[i] != '\0'; i += step) {
		unsigned char c = (unsigned char)e[i];

		step = c == '\\' ? (e[i + 1] == 'x' ? 4 : 2) : c < 0x80 ? 1 :
		    c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (i + step > n)
			break;
		k = i + step;
	}
	return k;
}

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

/*
 * fmt is checked where the log_* callers pass it: the attribute tells the
 * compiler so (clang's -Wformat-nonliteral flags vsnprintf(fmt) without).
 */
static void vlog(int prio, const char *fmt, va_list ap, const char *suffix)
    __attribute__((format(printf, 2, 0)));

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

const char *
log_esc(const char *s)
{
	static char slots[LOG_ESC_SLOTS][ESC_SLOT];
	static unsigned next;
	char *out = slots[next++ % LOG_ESC_SLOTS];
	int saved = errno;	/* log_warn(..., log_esc(x)) reads it after */
	char *e = text_log_escape(s ? s : "(null)");
	size_t n = e ? strlen(e) : 0;

	if (e == NULL)
		snprintf(out, ESC_SLOT, "(out of memory)");
	else if (n < ESC_SLOT)
		memcpy(out, e, n + 1);
	else	/* cut between escapes: "\x" never stands half */
		snprintf(out, ESC_SLOT, "%.*s...", (int)cut(e, ESC_SLOT - 4), e);
	free(e);
	errno = saved;
	return out;
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
