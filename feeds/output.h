/*
 * output: publish a file atomically. A reader of the target sees the old
 * bytes or the new ones, never a mix, and an unchanged file is not touched
 * (its mtime stays, so HTTP caches and pings stay quiet).
 */
#ifndef FEEDS_OUTPUT_H
#define FEEDS_OUTPUT_H

#include <stddef.h>

/*
 * Who is told of every file output_replace(), output_replace_all(),
 * output_batch_put() and output_batch_remove() wrote or removed (not of
 * those left untouched), as dir and name: the embedded HTTP server, so
 * that its snapshot re-reads those files alone. fn may be called from
 * several threads at once (batch puts); set it before any write, from one
 * thread. NULL: no one (the default).
 */
typedef void output_changed_fn(void *ud, const char *dir, const char *name);
void output_on_change(output_changed_fn *fn, void *ud);

/* mkdir -p dir (mode 0755). Returns 0 or -1 with errno set. */
int output_mkdirs(const char *dir);

/*
 * Make dir/name hold data[0..len): temp file dir/.NAME.XXXXXX, write,
 * fsync, rename, fsync dir. Returns 1 when written, 0 when the file already
 * held exactly these bytes, -1 with errno set on failure (the old file
 * stays, the temp file is removed). A write that stops short (a full disk,
 * RLIMIT_FSIZE: EFBIG once SIGXFSZ is ignored, which is the caller's job)
 * is such a failure.
 */
int output_replace(const char *dir, const char *name, const void *data,
    size_t len);

/*
 * One file of output_replace_all(): name (in dir) to hold data[0..len).
 * rc is filled in: 1 written, 0 it already held these bytes (untouched),
 * -1 failed with err the errno (the old file stays, no temp file left).
 */
struct output_file {
	const char *name;
	const void *data;
	size_t len;
	int rc;
	int err;
};

/*
 * output_replace() for each of v[0..n), with one wait on the disk for
 * them all instead of two for each: every changed file's temp is written
 * and its writeback started, then each is made durable (fdatasync), then
 * renamed, in v's order (a file before the ones after it that link to
 * it), then dir is fsync'd once. A file that fails does not stop the
 * others. Returns how many failed.
 */
size_t output_replace_all(const char *dir, struct output_file *v, size_t n);

/*
 * Remove the temp files output_replace() leaves behind when the process
 * dies mid-write (SIGKILL, SIGXFSZ, a power cut): the regular files in dir
 * named exactly "." NAME "." and six characters of [A-Za-z0-9] (mkstemp's
 * suffix). NAME "*.html" stands for every name ending in ".html" (the
 * pages of an output batch, in their folders). Anything else is kept: other names, a name that only looks
 * alike, folders, FIFOs, and symlinks (never followed: a link named like a
 * temp file stays, and so does what it points at).
 *
 * Call it at start, before the first output_replace() on dir, and only
 * when no other process writes there (it would remove that process's temp
 * file mid-write, failing its rename). Returns how many files it removed,
 * or -1 with errno set if dir cannot be read (a file it cannot remove is
 * skipped; errno then says why, the count stays right).
 */
int output_remove_temps(const char *dir, const char *name);

/*
 * A batch: many files under one folder, each replaced atomically as
 * output_replace() does (complete temp file beside the target, then
 * rename; a file not there yet is written unnamed, O_TMPFILE, and linked
 * in complete), but without an fsync of each file's data and with one fsync
 * of each folder touched, at output_batch_sync(), for the pages of a site
 * (thousands of files, where an fsync each takes seconds, and one
 * syncfs() waits for every other writer of the file system). A file is
 * in place when output_batch_put() returns: the caller orders its puts
 * (a page before what links to it). What a power cut can do is leave a
 * renamed file empty, or an unsynced rename undone; that is for files the
 * caller writes again at start whenever their bytes differ (the site is
 * compared page by page at every start), never for the feeds.
 * output_batch_put() and output_batch_remove() may be called from several
 * threads at once; the rest from one. No call waits on the disk but
 * output_batch_sync().
 */
struct output_batch;

/* A batch under dir (copied). NULL when out of memory. */
struct output_batch *output_batch_new(const char *dir);

/*
 * A batch whose files are written by a thread of its own, in the order
 * put, while the caller makes the next (a publish's sub-feeds and
 * archives, rendered on one thread). Its output_batch_put() copies the
 * bytes and returns 1 once they are queued (0 as before for the same
 * bytes); a queued write's failure comes from output_batch_sync(), and
 * the files queued after it are then not written. A file is in place
 * when output_batch_sync() or output_batch_remove() returns. Puts and
 * removals from one thread only.
 */
struct output_batch *output_batch_new_queued(const char *dir);

/* The dir it was made with. */
const char *output_batch_dir(const struct output_batch *b);

/*
 * Make dir/name hold data[0..len), now. name is relative and may hold
 * folders (created 0755 when missing; a folder or file named ".x" or
 * ".." is refused with EINVAL). Returns 1 when written, 0 when the file
 * already held these bytes (untouched), -1 with errno set (the old file
 * stays, the temp file is removed).
 */
int output_batch_put(struct output_batch *b, const char *name,
    const void *data, size_t len);

/*
 * Remove dir/name (same rule for names). Returns 1 when removed, 0 when
 * it was not there, -1 with errno set.
 */
int output_batch_remove(struct output_batch *b, const char *name);

/*
 * fsync each folder a put or a removal touched since output_batch_new()
 * or the last sync: the renames are durable once it returns 0; -1 with
 * errno of the first failure (every folder is still tried).
 */
int output_batch_sync(struct output_batch *b);

/*
 * As output_batch_sync(), but the folders' fsyncs are left to the reaper
 * thread (reap.h): the files are in place when it returns, their renames
 * durable soon after. For a batch whose files every start compares and
 * writes again, and that nothing fsync'd links (the sub-feeds): only a
 * power cut in those milliseconds can undo a rename, and the next start
 * puts it back. 0, or -1 with errno of a write that failed.
 */
int output_batch_sync_soon(struct output_batch *b);

/* Free b (what was put stays put, synced or not); NULL is fine. */
void output_batch_free(struct output_batch *b);

#endif
