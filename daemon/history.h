/*
 * history: a release's dates across restarts. Without a front matter
 * `date`, the first date feedpubd saw stays its published date; without
 * `updated`, an edit (a change of the text, also one made while feedpubd
 * was not running) makes the file's mtime the new updated date, and an
 * unchanged text keeps the last one (the rule is feeds/inherit's). Kept
 * in the state database, by id.
 */
#ifndef DAEMON_HISTORY_H
#define DAEMON_HISTORY_H

#include "feeds/release.h"
#include "state.h"

enum history_result {
	HISTORY_OK,		/* r follows the history, which holds it */
	HISTORY_UNSAVED,	/* r follows the history, which does not */
				/* hold it: not saved, or saving failed */
	HISTORY_UNREAD,		/* the history could not be read: r is as */
				/* it was */
};

/*
 * Adjust r's dates from what st remembers of r's id and, when save is
 * true, remember them (a row is written only when something changed).
 * st NULL: HISTORY_OK, nothing to do. Failures are logged. Writes belong
 * in a transaction the caller rolls back when one failed (state_begin()).
 * A row holds r's text, read again through m (release_read_text()).
 */
enum history_result history_apply(struct state *st, struct release *r,
    const struct feed_meta *m, bool save);

/*
 * history_apply() with st's row for r's id read already (a walk of
 * state_release_each()): was as it gave it, NULL when st has none.
 */
enum history_result history_apply_seen(struct state *st, struct release *r,
    const struct feed_meta *m, bool save, const struct seen_release *was);

/*
 * A file renamed keeps its release (issue 9): the id r had before, when r
 * (whose id is def_id, the one its slug gives: none in the front matter)
 * is the renamed file. That is when the history says r's path holds
 * another id (renamed before), or, for a path it does not know, holds a
 * release with r's text whose file is gone (renamed since: the pipeline
 * runs removals first, and a restart finds only the new name). gone(ud,
 * id, path) says whether the old release left: no release holds its id
 * and its path (NULL: not asked) is gone. Returns the id (caller frees) or NULL.
 */
char *history_renamed_id(struct state *st, const struct release *r,
    const char *def_id, bool (*gone)(void *ud, const char *id,
    const char *path), void *ud);

/*
 * history_renamed_id() with the id st holds at r's path read already (a
 * walk of state_held_each()): held, or NULL when st has none.
 */
char *history_renamed_held(struct state *st, const struct release *r,
    const char *def_id, const char *held, bool (*gone)(void *ud,
    const char *id, const char *path), void *ud);

#endif
