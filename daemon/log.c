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

/*
 * Length of the printable character at s (valid UTF-8, n bytes left), or
 * 0 when its first byte must be escaped: C0 controls and DEL, C1 controls
 * (U+0080..U+009F), the line and paragraph separators and the bidi
 * overrides (U+2028..U+202E, U+2066..U+2069), which can make a line read
 * as another.
 */
static size_t
printable(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;

	if (len > n || text_utf8_check((const char *)s, len, NULL) < 0)
		return 0;
	if (len == 1)
		return s[0] >= 0x20 && s[0] != 0x7f && s[0] != '\\' ? 1 : 0;
	if (s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	if (s[0] == 0xe2 && ((s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae) ||
	    (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)))
		return 0;
	return len;
}

const char *
log_esc(const char *s)
{
	static char slots[LOG_ESC_SLOTS][ESC_SLOT];
	static unsigned next;
	char *out = slots[next++ % LOG_ESC_SLOTS];
	const unsigned char *u = (const unsigned char *)(s ? s : "(null)");
	size_t n = strlen((const char *)u), k = 0, len;
	int saved = errno;	/* log_warn(..., log_esc(x)) reads it after */

	for (size_t i = 0; i < n; i += len) {
		char e[5];

		if ((len = printable(u + i, n - i)) > 0) {
			memcpy(e, u + i, len);
			e[len] = '\0';
		} else {
			len = 1;
			if (u[i] == '\n' || u[i] == '\t' || u[i] == '\r' ||
			    u[i] == '\\')
				snprintf(e, sizeof(e), "\\%c", u[i] == '\n' ? 'n' :
				    u[i] == '\t' ? 't' : u[i] == '\r' ? 'r' : '\\');
			else
				snprintf(e, sizeof(e), "\\x%02x", u[i]);
		}
		if (k + strlen(e) + 4 > ESC_SLOT) {
			memcpy(out + k, "...", 3);
			k += 3;
			break;
		}
		memcpy(out + k, e, strlen(e));
		k += strlen(e);
	}
	out[k] = '\0';
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
