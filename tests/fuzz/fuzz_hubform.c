/*
 * fuzz_hubform: a POST to the built-in hub (a subscriber's form), through
 * parsing, the checks, the lease and the verification URL built from it.
 */
#include <stdlib.h>

#include "daemon/hubmsg.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_form f;
	enum hub_mode mode;

	if (hubmsg_parse((const char *)data, size, &f) == 0 &&
	    hubmsg_check(&f, &mode) == NULL) {
		unsigned lease = hubmsg_lease(f.lease, 3600, 864000, 2678400);
		char *url = hubmsg_verify_url(f.callback, mode, f.topic,
		    "0123456789abcdef", lease, f.verify_token);

		if (lease < 3600 || lease > 2678400)
			abort();
		free(url);
		(void)hubmsg_sync(&f);
	}
	hubmsg_form_free(&f);
	return 0;
}
