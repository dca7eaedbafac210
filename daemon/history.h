/*
 * history: a release's dates across restarts. Without a front matter
 * `date`, the first date feedpubd saw stays its published date; without
 * `updated`, an edit (a change of the text, also one made while feedpubd
 * was not running) makes the file's mtime the new updated date, and an
 * unchanged text keeps the last one. Kept in the state database.
 */
#ifndef DAEMON_HISTORY_H
#define DAEMON_HISTORY_H

#include "feeds/release.h"
#include "state.h"

/* Adjust r's dates from what st remembers, and remember them. */
void history_apply(struct state *st, struct release *r);

#endif
