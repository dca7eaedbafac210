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

/*
 * The state database and the pings became available (they were NULL at
 * pipeline_new()): the next run applies the history to every release and
 * tells the pings what the feeds hold (what was published meanwhile is
 * owed). Both borrowed, as for pipeline_new().
 */
void pipeline_attach(struct pipeline *p, struct state *st, struct ping *ping);

/*
 * One run (--once): an empty feed says it was updated at empty_since
 * (seconds; the config file's mtime) unless the state database knows
 * when it became empty, and nothing the daemon keeps for itself (that
 * time, its status, the skipped files) is written.
 */
void pipeline_once(struct pipeline *p, int64_t empty_since);

/*
 * Log the releases' notes as they are read (--check), beside their
 * warnings, which are always logged.
 */
void pipeline_notes(struct pipeline *p, bool on);

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
	PIPE_MORE,	/* a slice of a big batch was read, nothing */
			/* published yet: run again soon */
};

struct pipe_result {
	enum pipe_outcome outcome;
	size_t entries;			/* in each feed */
	bool changed[FEED_NKINDS];	/* its bytes changed and were written */
	bool site_changed;		/* a page of the site was written or */
					/* removed ([pages]) */
	/*
	 * Sub-feeds written or removed ("tags/brott.atom"; site_changed is
	 * set then too, so the HTTP snapshot moves): for the hub. Valid
	 * until the next run.
	 */
	const char *const *subs_changed;
	size_t nsubs_changed;
	/*
	 * Pages of releases deleted while their tombstone lives, for a 410
	 * (publish.h's gone); NULL: not known, keep what was served.
	 */
	const char *const *gone;
	size_t ngone;
	int64_t next_embargo;		/* seconds; INT64_MAX: none */
	bool again;			/* marks made while a batch was */
					/* read wait: run again */
	/*
	 * PIPE_PUBLISHED with more of the site to write (the feeds went as
	 * soon as the pages they link were in place): run again, as for
	 * PIPE_MORE. The run that writes the last of it is PIPE_PUBLISHED
	 * too, with site_changed, no feed changed and no publish counted.
	 */
	bool site_more;
};

/*
 * Read what the marks say (or the whole folder), then publish what is live
 * at now (seconds since the epoch). Returns 0 when res->outcome is
 * PIPE_PUBLISHED, 1 for PIPE_MORE, else -1.
 */
int pipeline_run(struct pipeline *p, int64_t now, struct pipe_result *res);

/*
 * Read marked files for about ms per run at most (0, the default: no
 * limit), so a loop stays responsive while 100,000 files moved in are
 * read: a run that stops early is PIPE_MORE and publishes nothing; the
 * run that reads the last of the batch publishes it whole, so no feed
 * shows half a move. Marks made meanwhile wait for the next batch. A full
 * rescan (start, SIGUSR1, lost events) is read in one go, on every CPU.
 */
void pipeline_slice(struct pipeline *p, double ms);

/*
 * Publish again without reading (an embargo ended, a retry). Same return;
 * PIPE_MORE while a batch is read in slices (the store holds part of
 * it): the batch's last run publishes.
 */
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
