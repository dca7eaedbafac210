/*
 * fileopen: see fileopen.h.
 */
#include "fileopen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc 2.36 has no wrapper for openat2(2) (Linux 5.6). */
static int
openat2_beneath(int dirfd, const char *rel, int flags, bool follow)
{
	/* O_PATH takes no other flags than these (openat2(2): EINVAL). */
	int extra = (flags & O_PATH) ? O_CLOEXEC : O_CLOEXEC | O_NOCTTY;
	struct open_how how = {
		.flags = (unsigned)(flags | extra),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
		    (follow ? 0 : RESOLVE_NO_SYMLINKS),
	};

	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}

/*
 * Without openat2, or for a link the kernel path refuses (an absolute
 * one): resolve the file and check that it lies in root. Sets *real (the
 * resolved path, caller frees) on FILEOPEN_OK.
 */
static enum fileopen_result
resolve_inside(const char *root, const char *relpath, bool follow,
    char **real)
{
	enum fileopen_result res = FILEOPEN_ERRNO;
	char *rroot = realpath(root, NULL), *path = NULL, *rfile = NULL;
	size_t n;

	*real = NULL;
	if (rroot == NULL || asprintf(&path, "%s/%s", rroot, relpath) < 0) {
		path = NULL;
		goto out;
	}
	if ((rfile = realpath(path, NULL)) == NULL)
		goto out;
	n = strlen(rroot);
	if (strncmp(rfile, rroot, n) != 0 || rfile[n] != '/')
		res = FILEOPEN_OUTSIDE;
	else if (!follow && strcmp(rfile, path) != 0)
		res = FILEOPEN_LINK;	/* a link somewhere on the way */
	else
		res = FILEOPEN_OK;
	if (res == FILEOPEN_OK) {
		*real = rfile;
		rfile = NULL;
	}
out:
	free(rroot);
	free(path);
	free(rfile);
	return res;
}

/*
 * An O_PATH descriptor opens nothing (no FIFO wait, no device driver): the
 * file is looked at through one before it is opened for reading.
 */
static enum fileopen_result
look(const char *root, const char *relpath, bool follow, int rootfd,
    char **real)
{
	enum fileopen_result res;
	struct stat st;
	int fd = openat2_beneath(rootfd, relpath, O_PATH, follow);

	*real = NULL;
	if (fd < 0 && errno == ELOOP && !follow)
		return FILEOPEN_LINK;
	if (fd < 0 && (errno == EXDEV || errno == ENOSYS)) {
		if ((res = resolve_inside(root, relpath, follow, real)) !=
		    FILEOPEN_OK)
			return res;
		fd = open(*real, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return FILEOPEN_ERRNO;
	}
	close(fd);
	return S_ISREG(st.st_mode) ? FILEOPEN_OK : FILEOPEN_NOT_REGULAR;
}

enum fileopen_result
fileopen(const char *root, const char *relpath, bool follow, int *fd,
    struct stat *st)
{
	enum fileopen_result res;
	char *real = NULL;
	int rootfd, flags, e;

	*fd = -1;
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return FILEOPEN_ERRNO;
	res = look(root, relpath, follow, rootfd, &real);
	if (res == FILEOPEN_OK) {
		*fd = real != NULL ?
		    open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY) :
		    openat2_beneath(rootfd, relpath, O_RDONLY | O_NONBLOCK,
		    follow);
		if (*fd < 0 || fstat(*fd, st) < 0)
			res = FILEOPEN_ERRNO;
		else if (!S_ISREG(st->st_mode))
			res = FILEOPEN_NOT_REGULAR;	/* swapped meanwhile */
		else if ((flags = fcntl(*fd, F_GETFL)) < 0 ||
		    fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
			res = FILEOPEN_ERRNO;
	}
	e = errno;
	if (res != FILEOPEN_OK && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(real);
	close(rootfd);
	errno = e;
	return res;
}
