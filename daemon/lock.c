/*
 * lock: see lock.h.
 */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "feeds/output.h"

/* The PID the holder wrote, or 0. */
static pid_t
holder_of(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

static void
write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	/* Best effort: the PID is for messages, the flock is the lock. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n)
		return;
}

enum lock_result
lock_take(const char *dir, bool create, int *fd, pid_t *holder)
{
	char path[4096];
	int f, saved;

	*fd = -1;
	*holder = 0;
	if (create && output_mkdirs(dir) < 0)
		return LOCK_NONE;
	snprintf(path, sizeof(path), "%s/" LOCK_FILE, dir);
	f = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0),
	    0644);
	if (f < 0 && (errno == EACCES || errno == EROFS))
		f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0)
		return LOCK_NONE;
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		saved = errno;
		if (saved == EWOULDBLOCK)
			*holder = holder_of(f);
		close(f);
		errno = saved;
		return saved == EWOULDBLOCK ? LOCK_HELD : LOCK_NONE;
	}
	if ((fcntl(f, F_GETFL) & O_ACCMODE) == O_RDWR)
		write_pid(f);
	*fd = f;
	return LOCK_TAKEN;
}

void
lock_release(int fd)
{
	if (fd >= 0)
		close(fd);	/* and with it the flock */
}
