/*
 * upload: [publish] exec, the command that copies the output folder
 * elsewhere (rsync -a, rclone sync, aws s3 sync) after each publish that
 * changed files. It runs as a child of the loop (ev_child), one at a
 * time; changes made while it runs go into the next run. Which files
 * changed is found by comparing the output folder with what the last
 * successful run saw (names, inodes, sizes, mtimes), so a failed run's
 * changes stay owed. The lists reach the command as files, never on a
 * command line: see docs/feedpubd.conf.5, [publish].
 *
 * A failure (non-zero exit, a signal, [publish] timeout) is logged once
 * per episode and retried after 1, 2, 4 ... s, at most retry_max apart.
 */
#ifndef DAEMON_UPLOAD_H
#define DAEMON_UPLOAD_H

#include <stdbool.h>

#include <ev.h>

#include "config/config.h"

struct upload;

/*
 * An uploader for c's [publish] (nothing runs while exec is unset). loop
 * must be the default loop (ev_child); c is borrowed: call
 * upload_configure() before freeing it. NULL when out of memory.
 */
struct upload *upload_new(struct ev_loop *loop, const struct config *c);

/* A reloaded config, borrowed from now on. A run under way goes on. */
void upload_configure(struct upload *u, const struct config *c);

/*
 * A publish ended; changed: it wrote or removed a file. A run starts now
 * (or after the one under way, or at the next retry) when files changed
 * or nothing was uploaded yet since the start (the remote copy may be
 * behind what an earlier process wrote).
 */
void upload_published(struct upload *u, bool changed);

/*
 * Stop: a run under way gets SIGTERM (its whole process group), then
 * SIGKILL after 5 s; returns once it is reaped. Then free u. NULL is fine.
 */
void upload_free(struct upload *u);

#endif
