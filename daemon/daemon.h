/*
 * daemon: the long-running mode. One libev loop: inotify events mark files
 * dirty, a short settle timer (capped) re-parses them and republishes,
 * a wall-clock timer publishes embargoed releases on time, signals reload,
 * rescan and stop.
 */
#ifndef DAEMON_DAEMON_H
#define DAEMON_DAEMON_H

#include "config/config.h"

/*
 * Run until SIGTERM/SIGINT. Takes ownership of c; config_path is re-read
 * on SIGHUP. Returns the process exit status.
 */
int daemon_run(struct config *c, const char *config_path);

#endif
