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
 * suffix). Anything else is kept: other names, a name that only looks
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

#endif
