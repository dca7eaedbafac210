/*
 * fuzz_date: the front matter date parser, and the writers on what it
 * accepts (a parsed date must print in both forms).
 */
#include <stdlib.h>
#include <string.h>

#include "feeds/date.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int zoned;
	char *s = malloc(size + 1), buf[DATE_BUFSZ];
	struct fp_time t;

	if (s == NULL)
		return 0;
	if (!zoned++)
		date_set_zone("Europe/Stockholm");
	memcpy(s, data, size);
	s[size] = '\0';
	if (date_parse(s, &t) == 0 &&
	    (date_rfc3339(&t, buf) == NULL || date_rfc822(&t, buf) == NULL))
		abort();
	free(s);
	return 0;
}
