/*
 * Unit tests for feeds/output.c: atomic replacement in a temp folder.
 */
#include <dirent.h>
#include <errno.h>
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

#include "feeds/output.h"

#include "testutil.h"

static char root[64];

static int
make_root(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "test_output");
}

static int
remove_root(void **state)
{
	(void)state;
	chmod(root, 0755);
	tu_rm_tree(root);
	return 0;
}

/* The bytes of dir/name, NUL-terminated, in a static buffer. */
static const char *
slurp(const char *dir, const char *name, size_t *len)
{
	static char buf[1 << 16];
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static void
stat_of(const char *dir, const char *name, struct stat *st)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, st), 0);
}

/* How many entries dir holds, "." and ".." aside. */
static int
count_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_new_file(void **state)
{
	static const char data[] = "<feed>one</feed>\n";
	struct stat st;
	const char *got;
	size_t len;
	mode_t old = umask(077);

	(void)state;
	assert_int_equal(output_replace(root, "feed.atom", data,
	    strlen(data)), 1);
	umask(old);
	got = slurp(root, "feed.atom", &len);
	assert_int_equal(len, strlen(data));
	assert_memory_equal(got, data, len);
	stat_of(root, "feed.atom", &st);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);	/* whatever the umask */
	assert_int_equal(count_entries(root), 1);	/* no temp file left */
}

static void
test_same_bytes(void **state)
{
	static const char data[] = "<rss>same</rss>\n";
	struct stat st;

	(void)state;
	assert_int_equal(output_replace(root, "feed.rss", data, strlen(data)),
	    1);
	tu_set_mtime(root, "feed.rss", 1000000000);
	assert_int_equal(output_replace(root, "feed.rss", data, strlen(data)),
	    0);
	stat_of(root, "feed.rss", &st);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	assert_int_equal(count_entries(root), 1);

	/* Different bytes of the same length, then a longer and a shorter. */
	assert_int_equal(output_replace(root, "feed.rss", "<rss>diff</rss>\n",
	    16), 1);
	stat_of(root, "feed.rss", &st);
	assert_true(st.st_mtim.tv_sec > 1000000000);
	assert_int_equal(output_replace(root, "feed.rss", data,
	    strlen(data) - 1), 1);
	assert_int_equal(output_replace(root, "feed.rss", data, strlen(data)),
	    1);
	assert_int_equal(output_replace(root, "feed.rss", data, strlen(data)),
	    0);
	assert_int_equal(count_entries(root), 1);
}

static void
test_large_and_empty(void **state)
{
	size_t n = 200000, len;
	char *big = malloc(n);
	struct stat st;

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(output_replace(root, "big", big, n), 1);
	stat_of(root, "big", &st);
	assert_int_equal(st.st_size, (off_t)n);
	assert_int_equal(output_replace(root, "big", big, n), 0);
	big[n - 1] = '!';	/* differs past the first read block */
	assert_int_equal(output_replace(root, "big", big, n), 1);
	assert_int_equal(output_replace(root, "big", big, n), 0);
	free(big);

	assert_int_equal(output_replace(root, "empty", "", 0), 1);
	(void)slurp(root, "empty", &len);
	assert_int_equal(len, 0);
	assert_int_equal(output_replace(root, "empty", "", 0), 0);
	assert_int_equal(count_entries(root), 2);
}

static void
test_failure_keeps_old(void **state)
{
	static const char data[] = "old bytes\n";
	char dir[256];
	const char *got;
	size_t len;

	(void)state;
	assert_int_equal(output_replace(root, "feed.atom", data,
	    strlen(data)), 1);

	/* A missing folder. */
	snprintf(dir, sizeof(dir), "%s/missing", root);
	errno = 0;
	assert_int_equal(output_replace(dir, "feed.atom", "x", 1), -1);
	assert_int_equal(errno, ENOENT);

	/* A "folder" under a regular file fails even for root. */
	snprintf(dir, sizeof(dir), "%s/feed.atom", root);
	errno = 0;
	assert_int_equal(output_replace(dir, "x", "x", 1), -1);
	assert_int_equal(errno, ENOTDIR);

	/* The target is a folder: rename fails, no temp file stays. */
	snprintf(dir, sizeof(dir), "%s/sub", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/sub/inner", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/sub", root);
	errno = 0;
	assert_int_equal(output_replace(dir, "inner", "new", 3), -1);
	assert_true(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
	assert_int_equal(count_entries(dir), 1);

	got = slurp(root, "feed.atom", &len);
	assert_string_equal(got, data);
	assert_int_equal(count_entries(root), 2);
}

static void
test_mkdirs(void **state)
{
	char dir[256];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/a/b/c", root);
	assert_int_equal(output_mkdirs(dir), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(output_mkdirs(dir), 0);	/* exists: fine */
	snprintf(dir, sizeof(dir), "%s/a/b/d/", root);	/* trailing '/' */
	assert_int_equal(output_mkdirs(dir), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(output_replace(dir, "feed.rss", "x", 1), 1);

	/* Under a regular file it cannot work. */
	snprintf(dir, sizeof(dir), "%s/a/b/d/feed.rss/e", root);
	errno = 0;
	assert_int_equal(output_mkdirs(dir), -1);
	assert_int_equal(errno, ENOTDIR);

	errno = 0;
	assert_int_equal(output_mkdirs(""), -1);
	assert_int_not_equal(errno, 0);
}

/* Like mkdir -p: a regular file where the folder should be is an error. */
static void
test_mkdirs_on_file(void **state)
{
	char dir[256];

	(void)state;
	assert_int_equal(output_replace(root, "file", "x", 1), 1);
	snprintf(dir, sizeof(dir), "%s/file", root);
	errno = 0;
	assert_int_equal(output_mkdirs(dir), -1);
	assert_true(errno == EEXIST || errno == ENOTDIR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_root, remove_root)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_new_file),
		T(test_same_bytes),
		T(test_large_and_empty),
		T(test_failure_keeps_old),
		T(test_mkdirs),
		T(test_mkdirs_on_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
