/*
 * Shared unit test fixtures; see testutil.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "feeds/date.h"
#include "testutil.h"

const struct feed_meta tu_meta = {
	.title = "Nyheter",
	.base_url = "https://news.example.org/",
	.tag_authority = "news.example.org",
	.tag_path = "/",
	.tag_date = "2000",
	.max_entries = 50,
	.max_file_size = 1 << 20,
	.max_media_size = 1 << 20,
	.follow_symlinks = true,
};

int
tu_setup_zone(void **state)
{
	(void)state;
	return date_set_zone("Europe/Stockholm");
}

int
tu_mkdtemp(char *dir, size_t size, const char *name)
{
	int n = snprintf(dir, size, "/tmp/%s.XXXXXX", name);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) == NULL ? -1 : 0;
}

void
tu_rm_tree(const char *dir)
{
	char path[TU_PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (d == NULL) {
		unlink(dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			tu_rm_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void
tu_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

void
tu_set_mtime(const char *dir, const char *name, time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };
	char path[TU_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

void
tu_put_file(const char *dir, const char *rel, const char *text, time_t sec)
{
	char path[TU_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	tu_write_file(path, text);
	tu_set_mtime(dir, rel, sec);
}
