/*
 * scan: load every release under a folder into a store.
 */
#ifndef FEEDS_SCAN_H
#define FEEDS_SCAN_H

#include "meta.h"
#include "release.h"
#include "store.h"

/* Told about each file that was skipped; relpath is under the root. */
typedef void scan_error_fn(void *ud, const char *relpath,
    const struct release_error *err);

/*
 * Walk root (subfolders included, hidden ones skipped) in byte order of the
 * paths, load each release file and put it in s. Files whose id another
 * file already has are reported too. Returns the number of files skipped,
 * or -1 (errno set) if root itself cannot be read.
 */
int scan_folder(const struct feed_meta *m, const char *root,
    struct store *s, scan_error_fn *on_error, void *ud);

/* The same for the subfolder rel of root only. */
int scan_subfolder(const struct feed_meta *m, const char *root,
    const char *rel, struct store *s, scan_error_fn *on_error, void *ud);

/*
 * Load one file (root/relpath) into s, replacing its previous version, or
 * removing it from s when the file is gone or no longer valid. An edit
 * keeps what the file does not set itself: without a front matter `date`
 * the first date seen stays (the id's published time does not move), and
 * without `updated` a change of content makes the file's mtime the new
 * `updated`. Returns 0
 * when it is in s, 1 when it is not (gone or not a release file), -1 when
 * it was skipped (on_error was called).
 */
int scan_file(const struct feed_meta *m, const char *root,
    const char *relpath, struct store *s, scan_error_fn *on_error, void *ud);

#endif
