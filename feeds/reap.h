/*
 * reap: close descriptors on a thread of its own, for closes that may
 * wait on the disk. The last reference to a file replaced or removed
 * frees its blocks, and with ext4's discard mount option (no journal)
 * that is a synchronous TRIM per file, in whatever call drops the
 * reference: rename() over the old feed, 9 ms each on this project's
 * test machine, most of a drop's publish with 25 files. output.c keeps
 * the old file open across its rename and hands the descriptor here, so
 * the freeing happens off the loop thread; what any reader sees is the
 * same (the name moved to the new file at the rename).
 *
 * Bounded: at most REAP_MAX descriptors wait; past that (or when no
 * thread can be started) reap_close() closes at once, in the caller.
 */
#ifndef FEEDS_REAP_H
#define FEEDS_REAP_H

#define REAP_MAX 64

/* Close fd (>= 0; a negative fd is ignored), soon, on the reaper thread. */
void reap_close(int fd);

/*
 * fsync() fd (a folder's, say), then close it, soon, on the reaper
 * thread: for renames that may be made durable a little later (an error
 * is not reported). With the queue full, both happen at once, here.
 */
void reap_fsync(int fd);

/* Wait until every descriptor given so far is closed (tests, exit). */
void reap_drain(void);

#endif
