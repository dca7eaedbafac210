/*
 * setup: see setup.h.
 */
#include "setup.h"

#include <signal.h>

#include "feeds/date.h"

struct config *
setup_config(const char *path, FILE *errs)
{
	struct config *c = config_load(path, errs);

	if (c != NULL && date_set_zone(c->timezone) < 0) {
		fprintf(errs, "%s: unknown timezone %s\n", path, c->timezone);
		config_free(c);
		return NULL;
	}
	return c;
}

void
setup_process(const struct config *c)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	/* TODO: output's stale temp cleanup, once it is on main. */
	(void)c;
}
