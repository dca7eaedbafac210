/*
 * scan: load every release under a folder into a store.
 */
#ifndef FEEDS_SCAN_H
#define FEEDS_SCAN_H

#include <stdint.h>

#include "meta.h"
#include "release.h"
#include "store.h"

/*
 * What says a file is as it was: a cached release is good while its
 * file's key is the one it was cached under. ctime too, which no tool
 * sets back (mtime can be: cp -p, tar, rsync -t).
 */
struct scan_key {
	int64_t size, mtime_ns, ctime_ns, ino, dev;
};

/*
 * A cache of parsed releases the caller keeps (the daemon: in its state
 * database). find(ud, relpath, key, &len) returns the bytes cached for
 * relpath (len of them, valid until the next call) when key is the one
 * it was cached under, else NULL and the file is read; it is asked in
 * byte order of the paths, then find(ud, NULL, NULL, NULL) says the
 * asking is over. unpack(ud, relpath, bytes, len, err) makes a new
 * release (the caller's from then on) of bytes find() gave, or returns
 * NULL with err set (the file is read, and rejected(ud, relpath, err) is
 * told). put(ud, r, key) is handed each release read from a file whose
 * key was taken before the read. unpack may be called from several
 * threads at once; the others from the calling thread only.
 */
struct scan_cache {
	const void *(*find)(void *ud, const char *relpath,
	    const struct scan_key *key, size_t *len);
	struct release *(*unpack)(void *ud, const char *relpath,
	    const void *bytes, size_t len, struct release_error *err);
	void (*rejected)(void *ud, const char *relpath,
	    const struct release_error *err);
	void (*put)(void *ud, const struct release *r,
	    const struct scan_key *key);
	void *ud;
};

/*
 * Told about each file that was skipped, or folder that could not be read;
 * relpath is under the root. err->clash is true when the file lost an id
 * clash (it may publish once the other file is gone).
 */
typedef void scan_error_fn(void *ud, const char *relpath,
    const struct release_error *err);

/*
 * Walk root (subfolders included, hidden ones and symlinked folders
 * skipped), load each release file and put it in s, in byte order of the
 * paths (so of two files with one id, the first path wins). prev, if not
 * NULL, is the previous state of the same folder: an edited release keeps
 * what it inherits from its old version there (see scan_file()).
 * A file that cannot be read for a passing reason (release_error's
 * transient) keeps its version from prev, as do the files under a folder
 * that cannot be read (reported). Returns the number of files and folders
 * skipped, or -1 if root cannot be read, or a folder below it cannot and
 * there is no prev, or memory ran out (errno set, ENOMEM for the last):
 * then s holds only part of the releases and must not be published.
 */
int scan_folder(const struct feed_meta *m, const char *root,
    struct store *s, struct store *prev, scan_error_fn *on_error, void *ud);

/* scan_folder() that takes what it can from cache (NULL: none). */
int scan_folder_cached(const struct feed_meta *m, const char *root,
    struct store *s, struct store *prev, const struct scan_cache *cache,
    scan_error_fn *on_error, void *ud);

/* Call fn for each release file's relpath under root/rel, in no order. */
int scan_paths(const char *root, const char *rel,
    void (*fn)(void *ud, const char *relpath), void *ud);

/*
 * Load one file (root/relpath) into s, replacing its previous version, or
 * removing it from s when the file is gone or no longer valid. An edit
 * keeps what the file does not set itself: without a front matter `date`
 * the first date seen stays (the id's published time does not move), and
 * without `updated` a change of content makes the file's mtime the new
 * `updated`. The old version is the one in s, failing that the one in
 * prev (NULL: none), which is left where it is: a caller that took it
 * out of s may put it back when the file turned bad. Returns 0 when it
 * is in s, 1 when it is not (gone or not a release file), -1 when it was
 * skipped (on_error was called; out of memory is reported as a transient
 * error and leaves s as it was).
 */
int scan_file(const struct feed_meta *m, const char *root,
    const char *relpath, struct store *s, struct store *prev,
    scan_error_fn *on_error, void *ud);

/* scan_file() that puts what it read in cache (NULL: none); never gets. */
int scan_file_cached(const struct feed_meta *m, const char *root,
    const char *relpath, struct store *s, struct store *prev,
    const struct scan_cache *cache, scan_error_fn *on_error, void *ud);

#endif
