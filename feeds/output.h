/*
 * output: publish a file atomically. A reader of the target sees the old
 * bytes or the new ones, never a mix, and an unchanged file is not touched
 * (its mtime stays, so HTTP caches and pings stay quiet).
 */
#ifndef FEEDS_OUTPUT_H
#define FEEDS_OUTPUT_H

#include <stddef.h>

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
 * A batch: many files under one folder replaced as output_replace() does
 * each, but without an fsync of each file's data, for the pages of a site
 * (thousands of files, where an fsync each takes seconds, and one
 * syncfs() waits for every other writer of the file system). Each file is
 * still replaced atomically: its temp file is complete before the rename,
 * and the folders are fsync'd after the renames. What a power cut can do
 * is leave a renamed file empty; that is for files the caller writes
 * again at start whenever their bytes differ (the site is compared page
 * by page at every start), never for the feeds. What is not committed is
 * removed by output_batch_free(). A batch owns copies of the names,
 * never the data. output_batch_put() and output_batch_remove() may be
 * called from several threads at once; the rest from one.
 */
struct output_batch;

/* A batch under dir (copied). NULL when out of memory. */
struct output_batch *output_batch_new(const char *dir);

/*
 * Stage dir/name holding data[0..len). name is relative and may hold
 * folders (created 0755, a folder named ".x" or ".." is refused with
 * EINVAL). Returns 1 when staged, 0 when the file already holds these
 * bytes (nothing to do), -1 with errno set (nothing staged; the old file
 * stays).
 */
int output_batch_put(struct output_batch *b, const char *name,
    const void *data, size_t len);

/* Stage the removal of dir/name (gone already is fine). 0, or -1 ENOMEM. */
int output_batch_remove(struct output_batch *b, const char *name);

/*
 * Make it so: rename each staged file into place, remove the staged
 * removals, fsync the folders. Returns 0, or -1 with errno of the
 * first failure (files not renamed keep their old bytes, their temp files
 * are removed). The batch is empty afterwards, either way.
 */
int output_batch_commit(struct output_batch *b);

/* Remove the temp files of what was staged and not committed; NULL is fine. */
void output_batch_free(struct output_batch *b);

#endif
