/*
 * fuzz_httpmsg: what a client puts in a request, through the HTTP server's
 * rules: the target (no escape from the folder), If-None-Match, dates,
 * Accept-Encoding and the access log's escaping. NUL bytes split the
 * input into those header values.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/httpmsg.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const etags[] = { "\"abc\"", "\"0123456789\"" };
	char *s = malloc(size + 1), *path, *v[4], log[64];
	size_t n = 0;
	time_t t;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* Up to four NUL-separated values; the last ones may be empty. */
	for (char *p = s; n < 4; p += strlen(p) + 1) {
		v[n++] = p;
		if (p + strlen(p) >= s + size)
			break;
	}
	while (n < 4)
		v[n++] = s + size;
	if ((path = malloc(strlen(v[0]) + 1)) != NULL) {
		if (httpmsg_target(v[0], path) != HTTPMSG_TARGET_BAD &&
		    (path[0] != '/' || strstr(path, "/../") != NULL ||
		    strstr(path, "\\") != NULL || (strlen(path) >= 3 &&
		    strcmp(path + strlen(path) - 3, "/..") == 0)))
			abort();	/* a target that leaves the folder */
		free(path);
	}
	(void)httpmsg_etag_match(v[1], etags, 2);
	if (httpmsg_parse_date(v[2], &t) == 0) {
		char out[HTTPMSG_DATE_SIZE];

		httpmsg_format_date(t, out);
	}
	(void)httpmsg_accepts_gzip(v[3]);
	httpmsg_escape(v[0], log, sizeof(log));
	free(s);
	return 0;
}
