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
 * Make dir/name hold data[0..len): temp file in dir, write, fsync, rename,
 * fsync dir. Returns 1 when written, 0 when the file already held exactly
 * these bytes, -1 with errno set on failure (the old file stays).
 */
int output_replace(const char *dir, const char *name, const void *data,
    size_t len);

#endif
