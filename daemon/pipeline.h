/*
 * pipeline: the one way release files become published feeds, for the
 * daemon and --once alike. Events mark paths in a change set; a run reads
 * what the marks (or a full rescan) say into the store, gives each release
 * the dates its history keeps, writes the feeds whose bytes changed and
 * tells the ping targets. Nothing here waits: the caller decides when a
 * run happens (the daemon after its settle window, --once at once).
 *
 * The pipeline owns its store and change set. The config, state database
 * and ping queue are borrowed: they must outlive the pipeline (or, for
 * the config, be replaced with pipeline_configure() before freed).
 * Problems with single files are logged here, once, naming the file.
 */
#ifndef DAEMON_PIPELINE_H
#define DAEMON_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "feeds/feed.h"
#include "ping.h"
#include "state.h"

struct pipeline;

/*
 * A new pipeline over c's releases folder. st NULL: no release history
 * (dates come from the files alone); ping NULL: no pings. The first run
 * reads the whole folder. NULL when out of memory.
 */
struct pipeline *pipeline_new(const struct config *c, struct state *st,
    struct ping *ping);
void pipeline_free(struct pipeline *p);	/* NULL is fine */

/* A reloaded config, borrowed from now on; call before freeing the old. */
void pipeline_configure(struct pipeline *p, const struct config *c);

/* What happened to a file (relpath under the releases folder). */
enum pipe_mark {
	PIPE_DIRTY,	/* complete (closed after writing, moved, deleted): */
			/* the next run reads it */
	PIPE_WRITING,	/* open for writing: held back until PIPE_DIRTY */
	PIPE_TOUCHED,	/* mode or times changed: read it, unless held back */
};

void pipeline_mark(struct pipeline *p, const char *relpath, enum pipe_mark m);

/* A folder appeared: each release file under it is PIPE_TOUCHED. */
void pipeline_mark_folder(struct pipeline *p, const char *relpath);

/* A folder went: its releases leave the store now, the feeds at the run. */
void pipeline_folder_gone(struct pipeline *p, const char *relpath);

/*
 * Events were lost, or a new watch starts: the next run reads the whole
 * folder, and every mark made so far is forgotten (a held-back file's
 * close may never come). Marks made after this call count again.
 */
void pipeline_rescan(struct pipeline *p);

enum pipe_outcome {
	PIPE_PUBLISHED,	/* every feed is in place, written or unchanged */
	PIPE_UNWRITTEN,	/* a feed could not be rendered or written */
			/* (logged; its old file stays): publish again */
	PIPE_UNREAD,	/* the folder could not be read whole (logged): */
			/* nothing was published, the feeds stay as they are */
};

struct pipe_result {
	enum pipe_outcome outcome;
	size_t entries;			/* in each feed */
	bool changed[FEED_NKINDS];	/* its bytes changed and were written */
	int64_t next_embargo;		/* seconds; INT64_MAX: none */
};

/*
 * Read what the marks say (or the whole folder), then publish what is live
 * at now (seconds since the epoch). Returns 0 when res->outcome is
 * PIPE_PUBLISHED, else -1.
 */
int pipeline_run(struct pipeline *p, int64_t now, struct pipe_result *res);

/* Publish again without reading (an embargo ended, a retry). Same return. */
int pipeline_publish(struct pipeline *p, int64_t now, struct pipe_result *res);

/*
 * Read only, for --check: 0, or -1 when the folder could not be read
 * whole (logged).
 */
int pipeline_read(struct pipeline *p);

/*
 * Releases in the store, entries in each feed at the last publish, and
 * files and folders skipped with an error.
 */
size_t pipeline_releases(const struct pipeline *p);
size_t pipeline_entries(const struct pipeline *p);
size_t pipeline_skipped(const struct pipeline *p);

/*
 * The release read from relpath, or NULL (none, or not read yet). Owned by
 * the pipeline, valid until the next call that marks, reads or publishes.
 */
struct release *pipeline_release(struct pipeline *p, const char *relpath);

/* The sd_notify STATUS= line, into buf (always NUL-terminated). */
void pipeline_status(const struct pipeline *p, char *buf, size_t len);

#endif
