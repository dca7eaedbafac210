/*
 * fileopen: open a file of the releases folder for reading without
 * trusting what the folder holds. Editors (and attackers) can put a
 * symlink to /etc/shadow there, a FIFO that blocks open() forever, or a
 * device node whose open() has side effects.
 *
 * The rule, in one place: a file is opened only if it is a regular file
 * that lies beneath root. A symlink on the way is followed only if follow
 * is true and its target resolves inside root. Nothing that is not a
 * regular file is ever opened for reading: it is looked at through an
 * O_PATH descriptor first, and the read open is O_NONBLOCK and checked
 * again, so a FIFO swapped in meanwhile cannot block either.
 *
 * Inside root means: beneath it as openat2(RESOLVE_BENEATH) sees it, or,
 * where the kernel lacks openat2 or the link is absolute, realpath() of
 * the file starting with realpath(root) + "/" (a link swapped between the
 * check and the open can win that race; the kernel path has none).
 */
#ifndef FEEDS_FILEOPEN_H
#define FEEDS_FILEOPEN_H

#include <stdbool.h>
#include <sys/stat.h>

enum fileopen_result {
	FILEOPEN_OK,		/* *fd is open for reading, *st its fstat */
	FILEOPEN_ERRNO,		/* it could not be opened: errno says why */
	FILEOPEN_OUTSIDE,	/* a symlink leads out of root */
	FILEOPEN_LINK,		/* a symlink, and follow is false */
	FILEOPEN_NOT_REGULAR,	/* a folder, FIFO, device or socket */
};

/*
 * Open root/relpath (relpath relative, without "." or ".." parts) as the
 * rule above says. On FILEOPEN_OK the caller owns *fd (O_RDONLY,
 * O_CLOEXEC, blocking) and closes it; otherwise *fd is -1.
 */
enum fileopen_result fileopen(const char *root, const char *relpath,
    bool follow, int *fd, struct stat *st);

#endif
