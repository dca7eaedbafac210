/*
 * Unit tests for feeds/output.c: atomic replacement in a temp folder.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "feeds/output.h"
#include "feeds/reap.h"

#include "testutil.h"

static char root[64];

/*
 * fsync() and fdatasync() counted (the test is linked with
 * -Wl,--wrap=fsync,--wrap=fdatasync): how many waits on the disk a
 * publish costs is what output_replace_all() and the batch are for.
 */
static unsigned nfsync, nfdatasync;

/* linkat() counted too, and made to fail with linkat_errno when set. */
static unsigned nlinkat;
static int linkat_errno;

int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_linkat(int, const char *, int, const char *, int);
int __wrap_fsync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_linkat(int, const char *, int, const char *, int);

int
__wrap_linkat(int olddirfd, const char *oldpath, int newdirfd,
    const char *newpath, int flags)
{
	nlinkat++;
	if (linkat_errno != 0) {
		errno = linkat_errno;
		return -1;
	}
	return __real_linkat(olddirfd, oldpath, newdirfd, newpath, flags);
}

int
__wrap_fsync(int fd)
{
	nfsync++;
	return __real_fsync(fd);
}

int
__wrap_fdatasync(int fd)
{
	nfdatasync++;
	return __real_fdatasync(fd);
}

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


static bool
exists_nofollow(const char *dir, const char *name)
{
	char path[1100];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[1100];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tu_write_file(path, text);
}

/*
 * What a SIGKILL mid-write leaves is removed; everything that is not
 * exactly our temp name, or not a regular file, stays.
 */
static void
test_remove_temps(void **state)
{
	static const char *kept[] = {
		"feed.atom",		/* the feed itself */
		".feed.atom.AbC12",	/* 5 characters */
		".feed.atom.AbC1234",	/* 7 */
		".feed.atom.AbC12-",	/* not mkstemp's alphabet */
		".feed.atom.AbC12\xc3\xa9",
		"feed.atom.AbC123",	/* no leading dot */
		".feed.atomXAbC123",	/* no dot before the suffix */
		"..feed.atom.AbC123",
		".feed.atom.AbC123~",	/* an editor's backup */
		".feed.rss.AbC123",	/* another feed's: not asked for */
		".feed.atom.",
	};
	char path[512], tmpl[512], outside[256], out_file[512];
	struct stat st;
	size_t len;
	int fd;

	(void)state;
	put(root, ".feed.atom.AbC123", "half a feed");
	put(root, ".feed.atom.zzzzzz", "another half");
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		put(root, kept[i], "keep me");
	/* A real leftover, named by mkstemp itself. */
	snprintf(tmpl, sizeof(tmpl), "%s/.feed.atom.XXXXXX", root);
	assert_true((fd = mkstemp(tmpl)) >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	/* Not regular files, though named like temp files. */
	snprintf(path, sizeof(path), "%s/.feed.atom.Dir123", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/.feed.atom.Dir123/.feed.atom.AbC123",
	    root);
	tu_write_file(path, "in a subfolder: not ours to touch");
	snprintf(path, sizeof(path), "%s/.feed.atom.Fifo12", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	/* A link named like a temp file, to a file outside the folder. */
	snprintf(outside, sizeof(outside), "%s/outside", root);
	assert_int_equal(mkdir(outside, 0755), 0);
	snprintf(out_file, sizeof(out_file), "%s/precious", outside);
	tu_write_file(out_file, "precious");
	snprintf(path, sizeof(path), "%s/sub", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/.feed.atom.Link12", root);
	assert_int_equal(symlink(out_file, path), 0);
	snprintf(path, sizeof(path), "%s/sub/.feed.atom.Dang12", root);
	assert_int_equal(symlink("/nonexistent/x", path), 0);
	snprintf(path, sizeof(path), "%s/sub", root);
	put(path, ".feed.atom.Real12", "ours");

	assert_int_equal(output_remove_temps(root, "feed.atom"), 3);
	assert_false(exists_nofollow(root, ".feed.atom.AbC123"));
	assert_false(exists_nofollow(root, ".feed.atom.zzzzzz"));
	assert_false(exists_nofollow(root, strrchr(tmpl, '/') + 1));
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_true(exists_nofollow(root, kept[i]));
	assert_true(exists_nofollow(root, ".feed.atom.Dir123"));
	assert_true(exists_nofollow(root,
	    ".feed.atom.Dir123/.feed.atom.AbC123"));
	assert_true(exists_nofollow(root, ".feed.atom.Fifo12"));
	assert_int_equal(output_remove_temps(root, "feed.atom"), 0);

	/* In sub: the links stay, and what they point at too. */
	assert_int_equal(output_remove_temps(path, "feed.atom"), 1);
	assert_false(exists_nofollow(path, ".feed.atom.Real12"));
	assert_true(exists_nofollow(path, ".feed.atom.Link12"));
	assert_true(exists_nofollow(path, ".feed.atom.Dang12"));
	assert_int_equal(lstat(out_file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(slurp(outside, "precious", &len), "precious");

	/* Only the name asked for. */
	assert_int_equal(output_remove_temps(root, "feed.rss"), 1);
	assert_false(exists_nofollow(root, ".feed.rss.AbC123"));
}

/* The folder may be a symlink (a deploy's current/public): it is used. */
static void
test_remove_temps_dir_link(void **state)
{
	char real[512], link[512];

	(void)state;
	snprintf(real, sizeof(real), "%s/real", root);
	snprintf(link, sizeof(link), "%s/link", root);
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	put(real, ".feed.rss.q1W2e3", "half");
	assert_int_equal(output_remove_temps(link, "feed.rss"), 1);
	assert_false(exists_nofollow(real, ".feed.rss.q1W2e3"));
}

static void
test_remove_temps_errors(void **state)
{
	char dir[512];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/missing", root);
	errno = 0;
	assert_int_equal(output_remove_temps(dir, "feed.atom"), -1);
	assert_int_equal(errno, ENOENT);
	put(root, "file", "x");
	snprintf(dir, sizeof(dir), "%s/file", root);
	errno = 0;
	assert_int_equal(output_remove_temps(dir, "feed.atom"), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(output_remove_temps(root, "a/b"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(output_remove_temps(root, ""), -1);
}

/*
 * A file size limit (ulimit -f) stops the write short, then EFBIG (with
 * SIGXFSZ ignored, as the daemon must): a write error, old file kept, no
 * temp file left.
 */
static void
test_efbig_keeps_old(void **state)
{
	static const char old_data[] = "<feed>old</feed>\n";
	struct rlimit was, lim;
	size_t n = 100000, len;
	char *big = malloc(n);
	void (*was_sig)(int);
	int rc, err;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	assert_int_equal(output_replace(root, "feed.atom", old_data,
	    strlen(old_data)), 1);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 4096;	/* the first write() stops short here */
	was_sig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	rc = output_replace(root, "feed.atom", big, n);
	err = errno;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, was_sig);
	free(big);
	assert_int_equal(rc, -1);
	assert_int_equal(err, EFBIG);
	assert_string_equal(slurp(root, "feed.atom", &len), old_data);
	assert_int_equal(count_entries(root), 1);	/* no temp file */
}


/* Several files at once: bytes, order kept, one dir fsync, failures alone. */
static void
test_replace_all(void **state)
{
	static const char same[] = "<rss>same</rss>\n";
	struct output_file v[] = {
		{ .name = "feed.atom", .data = "<feed>new</feed>\n", .len = 17 },
		{ .name = "inner", .data = "x", .len = 1 },	/* a folder */
		{ .name = "feed.rss", .data = same, .len = sizeof(same) - 1 },
		{ .name = "feed.json", .data = "", .len = 0 },
	};
	char dir[256];
	struct stat st;
	size_t len;

	(void)state;
	assert_int_equal(output_replace(root, "feed.rss", same,
	    sizeof(same) - 1), 1);
	tu_set_mtime(root, "feed.rss", 1000000000);
	snprintf(dir, sizeof(dir), "%s/inner", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/inner/x", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	nfsync = nfdatasync = 0;
	assert_int_equal(output_replace_all(root, v, 4), 1);
	assert_int_equal(v[0].rc, 1);
	assert_int_equal(v[1].rc, -1);
	assert_true(v[1].err == EISDIR || v[1].err == ENOTEMPTY ||
	    v[1].err == EEXIST);
	assert_int_equal(v[2].rc, 0);
	assert_int_equal(v[3].rc, 1);
	/* Three temps made durable, the folder once (not once a file). */
	assert_int_equal(nfdatasync, 3);
	assert_int_equal(nfsync, 1);
	assert_string_equal(slurp(root, "feed.atom", &len),
	    "<feed>new</feed>\n");
	slurp(root, "feed.json", &len);
	assert_int_equal(len, 0);
	stat_of(root, "feed.rss", &st);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);	/* untouched */
	stat_of(root, "feed.atom", &st);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* No temp file left, the failed one's neither. */
	assert_int_equal(count_entries(root), 4);
	/* Nothing changed: no wait on the disk at all. */
	nfsync = nfdatasync = 0;
	v[1].name = "feed.atom";
	v[1].data = v[0].data;
	v[1].len = v[0].len;
	assert_int_equal(output_replace_all(root, v, 4), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(v[i].rc, 0);
	assert_int_equal(nfsync + nfdatasync, 0);
}

/* A missing folder fails each file, with its errno; nothing is made. */
static void
test_replace_all_missing_dir(void **state)
{
	struct output_file v[] = {
		{ .name = "a", .data = "a", .len = 1 },
		{ .name = "b", .data = "b", .len = 1 },
	};
	char dir[256];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/missing", root);
	nfsync = 0;
	assert_int_equal(output_replace_all(dir, v, 2), 2);
	assert_int_equal(v[0].rc, -1);
	assert_int_equal(v[0].err, ENOENT);
	assert_int_equal(v[1].err, ENOENT);
	assert_int_equal(nfsync, 0);
	assert_int_equal(count_entries(root), 0);
	assert_int_equal(output_replace_all(root, v, 0), 0);
}

/*
 * A batch over many folders (the archives of 200 tags) waits on the disk
 * once a folder, at output_batch_sync(), never at a put: with a list of
 * 16 folders the 17th and later were fsync'd at each put, 11,000 fsyncs
 * in a cold build.
 */
static void
test_batch_many_folders(void **state)
{
	struct output_batch *b = output_batch_new(root);
	char name[128];

	(void)state;
	assert_non_null(b);
	nfsync = nfdatasync = 0;
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 40; i++) {
			snprintf(name, sizeof(name), "arch/t%02d/%d.atom", i,
			    round);
			assert_int_equal(output_batch_put(b, name, name,
			    strlen(name)), 1);
		}
	assert_int_equal(output_batch_put(b, "top.atom", "t", 1), 1);
	assert_int_equal(nfsync + nfdatasync, 0);
	assert_int_equal(output_batch_sync(b), 0);
	assert_int_equal(nfsync, 41);		/* 40 folders and root */
	assert_int_equal(nfdatasync, 0);
	/* Synced: a second sync has nothing to do. */
	assert_int_equal(output_batch_sync(b), 0);
	assert_int_equal(nfsync, 41);
	snprintf(name, sizeof(name), "%s/arch/t39", root);
	assert_int_equal(count_entries(name), 3);
	output_batch_free(b);
}

/*
 * A file not there yet is written unnamed and linked in (one linkat),
 * with its mode whatever the umask and nothing else left in the folder;
 * one that is there is replaced by a rename (linkat never replaces);
 * where linking fails (no /proc, a file system without O_TMPFILE) the
 * temp name's way still writes it.
 */
static void
test_batch_links_new_files(void **state)
{
	struct output_batch *b = output_batch_new(root);
	char dir[256];
	struct stat st;
	const char *got;
	size_t len;
	mode_t old;

	(void)state;
	assert_non_null(b);
	snprintf(dir, sizeof(dir), "%s/releases", root);
	assert_int_equal(output_batch_put(b, "releases/a.html", "a1", 2), 1);
	old = umask(077);
	nlinkat = 0;
	assert_int_equal(output_batch_put(b, "releases/b.html", "b1", 2), 1);
	umask(old);
	assert_int_equal(nlinkat, 1);
	stat_of(dir, "b.html", &st);
	assert_int_equal(st.st_mode & 07777, 0644);
	got = slurp(dir, "b.html", &len);
	assert_string_equal(got, "b1");
	assert_int_equal(count_entries(dir), 2);
	/* There: replaced, not linked. */
	nlinkat = 0;
	assert_int_equal(output_batch_put(b, "releases/b.html", "b22", 3), 1);
	assert_int_equal(nlinkat, 0);
	assert_string_equal(slurp(dir, "b.html", &len), "b22");
	assert_int_equal(count_entries(dir), 2);
	/* Linking refused: written all the same, no unnamed file named. */
	linkat_errno = ENOENT;
	assert_int_equal(output_batch_put(b, "releases/c.html", "c1", 2), 1);
	linkat_errno = 0;
	assert_string_equal(slurp(dir, "c.html", &len), "c1");
	assert_int_equal(count_entries(dir), 3);
	assert_int_equal(output_batch_sync(b), 0);
	output_batch_free(b);
}

/*
 * A queued batch writes in order on its own thread: every file is there
 * after the sync, a removal comes after the put before it, and a write
 * that fails is the sync's error, with what was queued after it left
 * unwritten (it may link to the failed one).
 */
static void
test_queued_batch(void **state)
{
	struct output_batch *b = output_batch_new_queued(root);
	static char big[3 << 20];
	char name[64], dir[256];
	size_t len;

	(void)state;
	assert_non_null(b);
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "tags/t%03d.atom", i);
		assert_int_equal(output_batch_put(b, name, name,
		    strlen(name)), 1);
	}
	/* More than the queue holds: the put waits for room. */
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "big%d", i);
		assert_int_equal(output_batch_put(b, name, big, sizeof(big)),
		    1);
	}
	assert_int_equal(output_batch_put(b, "gone.json", "{}", 2), 1);
	assert_int_equal(output_batch_remove(b, "gone.json"), 1);
	assert_int_equal(output_batch_sync(b), 0);
	snprintf(dir, sizeof(dir), "%s/tags", root);
	assert_int_equal(count_entries(dir), 200);
	assert_string_equal(slurp(dir, "t123.atom", &len), "tags/t123.atom");
	assert_int_equal(count_entries(root), 5);	/* tags, big0..3 */
	/* Unchanged bytes: 0 at once, nothing queued. */
	assert_int_equal(output_batch_put(b, "tags/t007.atom",
	    "tags/t007.atom", 14), 0);
	/* A folder that is a file: that write fails, the next is dropped. */
	assert_int_equal(output_batch_put(b, "big0/x.atom", "x", 1), 1);
	assert_int_equal(output_batch_put(b, "after.atom", "a", 1), 1);
	assert_int_equal(output_batch_sync(b), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(count_entries(root), 5);	/* no after.atom */
	/* The error was the sync's: the batch writes again after it. */
	assert_int_equal(output_batch_put(b, "after.atom", "a", 1), 1);
	output_batch_free(b);	/* the queue is written before it goes */
	assert_string_equal(slurp(root, "after.atom", &len), "a");
}

/*
 * output_batch_sync_soon(): the files in place when it returns, the same
 * folders fsync'd as output_batch_sync() does, on the reaper thread
 * (none waited for by the caller); a queued write's failure is still its
 * result.
 */
static void
test_batch_sync_soon(void **state)
{
	char name[64];
	unsigned now_n, soon_n;
	size_t len;

	(void)state;
	for (int soon = 0; soon < 2; soon++) {
		struct output_batch *b = output_batch_new_queued(root);

		assert_non_null(b);
		for (int i = 0; i < 5; i++) {
			snprintf(name, sizeof(name), "%s/t%d/x.atom",
			    soon ? "soon" : "now", i);
			assert_int_equal(output_batch_put(b, name, name,
			    strlen(name)), 1);
		}
		reap_drain();
		nfsync = 0;
		if (soon) {
			assert_int_equal(output_batch_sync_soon(b), 0);
			assert_string_equal(slurp(root, "soon/t4/x.atom",
			    &len), "soon/t4/x.atom");
			reap_drain();
			soon_n = nfsync;
		} else {
			assert_int_equal(output_batch_sync(b), 0);
			now_n = nfsync;
		}
		output_batch_free(b);
	}
	assert_true(now_n >= 5);
	assert_int_equal(soon_n, now_n);
	{
		struct output_batch *b = output_batch_new_queued(root);

		assert_non_null(b);
		assert_int_equal(output_batch_put(b, "file", "f", 1), 1);
		assert_int_equal(output_batch_sync_soon(b), 0);
		/* A folder that is a file: that write fails. */
		assert_int_equal(output_batch_put(b, "file/x.atom", "x", 1), 1);
		assert_int_equal(output_batch_sync_soon(b), -1);
		assert_int_equal(errno, ENOTDIR);
		output_batch_free(b);
		reap_drain();
	}
}

/* What output_on_change() heard: "dir/name" lines. */
static char heard[1024];

static void
hear(void *ud, const char *dir, const char *name)
{
	size_t n = strlen(heard);

	assert_ptr_equal(ud, heard);
	snprintf(heard + n, sizeof(heard) - n, "%s/%s\n", dir, name);
}

static void
test_on_change(void **state)
{
	struct output_file v[] = {
		{ .name = "feed.atom", .data = "<feed>2</feed>", .len = 14 },
		{ .name = "feed.rss", .data = "<rss/>", .len = 6 },
		{ .name = "inner", .data = "x", .len = 1 },	/* a folder */
	};
	struct output_batch *b = output_batch_new(root);
	char want[1024], dir[256];

	(void)state;
	assert_non_null(b);
	assert_int_equal(output_replace(root, "feed.rss", "<rss/>", 6), 1);
	snprintf(dir, sizeof(dir), "%s/inner", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	heard[0] = '\0';
	output_on_change(hear, heard);
	/* Written: told; same bytes, failed, not there: not told. */
	assert_int_equal(output_replace(root, "index.html", "<p/>", 4), 1);
	assert_int_equal(output_replace(root, "index.html", "<p/>", 4), 0);
	assert_int_equal(output_replace_all(root, v, 3), 1);
	assert_int_equal(output_batch_put(b, "releases/a.html", "a", 1), 1);
	assert_int_equal(output_batch_put(b, "releases/a.html", "a", 1), 0);
	assert_int_equal(output_batch_put(b, "../x.html", "x", 1), -1);
	assert_int_equal(output_batch_remove(b, "releases/a.html"), 1);
	assert_int_equal(output_batch_remove(b, "releases/a.html"), 0);
	output_on_change(NULL, NULL);
	assert_int_equal(output_replace(root, "after.html", "<p/>", 4), 1);
	snprintf(want, sizeof(want), "%s/index.html\n%s/feed.atom\n"
	    "%s/releases/a.html\n%s/releases/a.html\n", root, root, root, root);
	assert_string_equal(heard, want);
	output_batch_free(b);
}

/* How many descriptors the process holds. */
static int
count_fds(void)
{
	return count_entries("/proc/self/fd");
}

/*
 * A replaced or removed file is held open across its rename or unlink
 * (its blocks freed on the reaper thread: reap.h): every such descriptor
 * is closed once reap_drain() returns, on success and on failure alike.
 */
static void
test_replaced_files_closed(void **state)
{
	struct output_file v[] = {
		{ .name = "feed.atom", .data = "<feed>2</feed>", .len = 14 },
		{ .name = "feed.rss", .data = "<rss>2</rss>", .len = 12 },
	};
	struct output_batch *b = output_batch_new(root);
	char dir[256];
	size_t len;
	int before;

	(void)state;
	assert_non_null(b);
	assert_int_equal(output_replace(root, "feed.atom", "<feed/>", 7), 1);
	assert_int_equal(output_replace(root, "feed.rss", "<rss/>", 6), 1);
	assert_int_equal(output_batch_put(b, "tags/a.atom", "a1", 2), 1);
	assert_int_equal(output_batch_put(b, "tags/b.atom", "b1", 2), 1);
	snprintf(dir, sizeof(dir), "%s/inner", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	reap_drain();
	before = count_fds();
	for (int i = 0; i < 3 * REAP_MAX; i++) {
		char a[16];

		snprintf(a, sizeof(a), "a%d", i);
		assert_int_equal(output_batch_put(b, "tags/a.atom", a,
		    strlen(a)), 1);
	}
	assert_int_equal(output_replace(root, "feed.atom", "<feed>1</feed>",
	    14), 1);
	assert_int_equal(output_replace_all(root, v, 2), 0);
	assert_int_equal(output_batch_remove(b, "tags/b.atom"), 1);
	/* A folder in the way: the replace fails, its old one closed too. */
	assert_int_equal(output_replace(root, "inner", "x", 1), -1);
	assert_int_equal(errno, EISDIR);
	reap_drain();
	assert_int_equal(count_fds(), before);
	assert_string_equal(slurp(root, "feed.atom", &len), "<feed>2</feed>");
	snprintf(dir, sizeof(dir), "%s/tags", root);
	assert_string_equal(slurp(dir, "a.atom", &len), "a191");
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(output_batch_sync(b), 0);
	output_batch_free(b);
}

/*
 * A folder a batch touched and then removed (a sub-feed's archives gone,
 * its folder with them) is no failure of the sync: the folder above it
 * holds the removal.
 */
static void
test_batch_sync_removed_folder(void **state)
{
	struct output_batch *b = output_batch_new(root);
	char dir[256];

	(void)state;
	assert_non_null(b);
	assert_int_equal(output_batch_put(b, "arch/tags/x/2018.atom", "a", 1),
	    1);
	assert_int_equal(output_batch_sync(b), 0);
	assert_int_equal(output_batch_remove(b, "arch/tags/x/2018.atom"), 1);
	snprintf(dir, sizeof(dir), "%s/arch/tags/x", root);
	assert_int_equal(rmdir(dir), 0);
	nfsync = 0;
	assert_int_equal(output_batch_sync(b), 0);
	assert_int_equal(nfsync, 1);	/* arch/tags, once */
	output_batch_free(b);
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
		T(test_remove_temps),
		T(test_remove_temps_dir_link),
		T(test_remove_temps_errors),
		T(test_efbig_keeps_old),
		T(test_replace_all),
		T(test_replace_all_missing_dir),
		T(test_batch_many_folders),
		T(test_batch_links_new_files),
		T(test_queued_batch),
		T(test_batch_sync_soon),
		T(test_on_change),
		T(test_replaced_files_closed),
		T(test_batch_sync_removed_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
