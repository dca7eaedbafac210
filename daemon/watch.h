/*
 * watch: inotify on the releases folder and every subfolder (those made
 * later too), read from an ev_io. Events are reported by path relative to
 * the root; folders and files whose name starts with '.' are not reported.
 */
#ifndef DAEMON_WATCH_H
#define DAEMON_WATCH_H

#include <ev.h>

enum watch_event {
	WATCH_CHANGED,		/* a file was closed after writing, moved in */
	WATCH_WRITING,		/* a file is being written: not complete yet */
	WATCH_REMOVED,		/* a file was deleted or moved out */
	WATCH_TOUCHED,		/* a file's mode or times changed: re-read */
				/* it unless it is being written */
	WATCH_DIR_ADDED,	/* a folder appeared: scan it (now watched) */
	WATCH_DIR_REMOVED,	/* a folder was deleted or moved out */
	WATCH_RESCAN,		/* events were lost: free this watch, start */
				/* a new one and rescan everything */
	WATCH_ROOT_GONE,	/* the root itself went away; watch is dead */
};

typedef void watch_fn(void *ud, enum watch_event ev, const char *relpath);

struct watch;

/*
 * Watch root on loop, calling fn for every event. Returns NULL with errno
 * set when root cannot be watched (e.g. it does not exist).
 */
struct watch *watch_new(struct ev_loop *loop, const char *root,
    watch_fn *fn, void *ud);

void watch_free(struct watch *w);	/* NULL is fine */

#endif
