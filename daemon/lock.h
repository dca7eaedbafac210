/*
 * lock: one feedpubd at a time per state folder. An exclusive flock(2) on
 * STATE/feedpubd.lock, held for the life of the process: the kernel drops
 * it when the process ends, SIGKILL included, so a lock is never stale and
 * there is nothing to clean up. The file holds the holder's PID (text), so
 * the one refused can name it.
 */
#ifndef DAEMON_LOCK_H
#define DAEMON_LOCK_H

#include <stdbool.h>
#include <sys/types.h>

#define LOCK_FILE	"feedpubd.lock"

enum lock_result {
	LOCK_TAKEN,	/* *fd holds the lock until lock_release() */
	LOCK_HELD,	/* another process holds it: its PID in *holder, */
			/* 0 when unknown */
	LOCK_NONE,	/* no lock file could be opened (errno says why; */
			/* ENOENT: none there and create was false) */
};

/*
 * Take the lock of dir without waiting. create: make dir and the lock file
 * if need be (the daemon); otherwise (--once) a folder without a lock file
 * has no daemon to fear. A lock file that cannot be written (read-only
 * folder) is locked read-only, without the PID.
 */
enum lock_result lock_take(const char *dir, bool create, int *fd,
    pid_t *holder);

void lock_release(int fd);	/* -1 is fine */

#endif
