/*
 * fuzz_config: a whole config file through the INI reader, the value
 * parsers and the checks. config_load() reads a path, so the input goes
 * to a temporary file first; what it reports goes to /dev/null.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz.h"

static char path[] = "/tmp/fuzz-config.XXXXXX";

static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static FILE *devnull;
	struct config *c;

	if (fd < 0) {
		if ((fd = mkstemp(path)) < 0 ||
		    (devnull = fopen("/dev/null", "w")) == NULL)
			abort();
		atexit(cleanup);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	c = config_load(path, devnull);
	config_free(c);
	return 0;
}
