/*
 * setup: what the modes share before their work. main.c and the daemon's
 * reload load a config the same way; the daemon and --once prepare the
 * process the same way.
 */
#ifndef DAEMON_SETUP_H
#define DAEMON_SETUP_H

#include <stdio.h>

#include "config/config.h"

/*
 * Load the config at path and put its timezone in force. Problems go to
 * errs as FILE:LINE lines (errs NULL: to the log, one error line each, as
 * the daemon's reload wants). NULL on any problem: the timezone in force
 * then stays as it was. Free with config_free().
 */
struct config *setup_config(const char *path, FILE *errs);

/*
 * Before publishing: a write to a closed socket or past the file size
 * limit (RLIMIT_FSIZE) fails with EPIPE or EFBIG, logged as a write error,
 * instead of killing the process (SIGPIPE, SIGXFSZ) and leaving a temp
 * file behind; temp files a killed run left in the output folder go
 * (call it once the state folder's lock is held: no other feedpubd
 * writes there then).
 */
void setup_process(const struct config *c);

#endif
