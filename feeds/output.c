/*
 * output: atomic replacement of published files (see output.h).
 */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
output_mkdirs(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = c;
		if (c == '\0')
			break;
	}
	/* EEXIST above may have been a file: that is no folder to use. */
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* true if path holds exactly data[0..len). */
static bool
same_bytes(const char *path, const char *data, size_t len)
{
	char buf[65536];
	struct stat st;
	size_t off = 0;
	ssize_t got;
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size != len)
		goto out;
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)got > len ||
		    memcmp(buf, data + off, (size_t)got) != 0)
			goto out;
		off += (size_t)got;
	}
	same = got == 0 && off == len;
out:
	close(fd);
	return same;
}

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		/* A short write is retried for the rest: the error, if any
		 * (ENOSPC, EFBIG), comes then. Nothing written is no progress
		 * and must not loop forever. */
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
output_replace(const char *dir, const char *name, const void *data,
    size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (same_bytes(path, data, len))
		return 0;
	/* The temp file sits beside the target so rename() is atomic. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	/* Make the rename itself durable. */
	fsync_dir(dir);
	return 1;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* true if s is "." name "." and mkstemp's six [A-Za-z0-9]. */
static bool
is_temp_name(const char *s, const char *name)
{
	size_t n = strlen(name);

	if (s[0] != '.' || strncmp(s + 1, name, n) != 0 || s[n + 1] != '.')
		return false;
	s += n + 2;
	for (int i = 0; i < 6; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return false;
	}
	return s[6] == '\0';
}

int
output_remove_temps(const char *dir, const char *name)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, removed = 0, saved = 0, rderr;

	if (name[0] == '\0' || strchr(name, '/') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			rderr = errno;	/* 0 at the end of the folder */
			break;
		}
		if (!is_temp_name(e->d_name, name))
			continue;
		/*
		 * Relative to the folder's fd and without following links:
		 * a link swapped in after the check is removed itself, never
		 * what it points at (unlinkat does not follow).
		 */
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			removed++;
		else
			saved = errno;
	}
	closedir(d);	/* closes fd */
	if (rderr != 0) {
		errno = rderr;
		return -1;
	}
	errno = saved;
	return removed;
}
