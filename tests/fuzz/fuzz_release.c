/*
 * fuzz_release: one release file (front matter, Markdown or text body)
 * through parsing, rendering and both feed writers. The first byte picks
 * the format and raw_html, so one corpus covers both parsers.
 */
#include <stdlib.h>

#include "feeds/date.h"
#include "feeds/feed.h"
#include "feeds/release.h"
#include "fuzz.h"
#include "testutil.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int zoned;
	struct feed_meta m = tu_meta;
	struct release *r = NULL;
	struct release_error err;
	const char *name;

	if (size == 0)
		return 0;
	if (!zoned++)
		date_set_zone("Europe/Stockholm");
	name = data[0] & 1 ? "2026/fuzz.txt" : "2026/fuzz.md";
	m.raw_html = data[0] & 2;
	if (release_parse(&m, name, (const char *)data + 1, size - 1,
	    1700000000, &r, &err) == 0) {
		struct release *rs[1] = { r };

		for (int k = 0; k < FEED_NKINDS; k++) {
			char *out = NULL;
			size_t len;

			if (feed_render(k, &m, rs, 1, &out, &len) == 0)
				free(out);
		}
	}
	release_free(r);
	return 0;
}
