/*
 * Unit tests for feeds/media.c and the front matter's image and
 * attachments as release_load() reads them: the forms, the hostile paths
 * (out of the folder, symlinks out, FIFOs, huge files, control
 * characters, javascript: URLs) and the copy to the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "feeds/media.h"
#include "feeds/release.h"

#include "testutil.h"

static char root[TU_PATH_MAX], out[TU_PATH_MAX];

static int
setup(void **state)
{
	(void)state;
	if (tu_mkdtemp(root, sizeof(root), "media-in") < 0 ||
	    tu_mkdtemp(out, sizeof(out), "media-out") < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rm_tree(root);
	tu_rm_tree(out);
	return 0;
}

/* Write root/rel with text. */
static void
put(const char *rel, const char *text)
{
	tu_put_file(root, rel, text, 1700000000);
}

/* Load root/rel: 0 with *r, or -1 with err. */
static int
load(const char *rel, struct release **r, struct release_error *err)
{
	memset(err, 0, sizeof(*err));
	return release_load(&tu_meta, root, rel, r, err);
}

/* rel must fail to load with a message holding want. */
static void
refused(const char *rel, const char *text, const char *want)
{
	struct release *r = NULL;
	struct release_error err;

	put(rel, text);
	assert_int_equal(load(rel, &r, &err), -1);
	assert_null(r);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", rel, err.msg, want);
}

static void
test_mime(void **state)
{
	(void)state;
	assert_string_equal(media_mime("a.JPG"), "image/jpeg");
	assert_string_equal(media_mime("x/b.jpeg"), "image/jpeg");
	assert_string_equal(media_mime("c.png"), "image/png");
	assert_string_equal(media_mime("d.webp"), "image/webp");
	assert_string_equal(media_mime("e.svg"), "image/svg+xml");
	assert_string_equal(media_mime("f.avif"), "image/avif");
	assert_string_equal(media_mime("g.pdf"), "application/pdf");
	assert_string_equal(media_mime("h.mp3"), "audio/mpeg");
	assert_string_equal(media_mime("i.mp4"), "video/mp4");
	assert_string_equal(media_mime("j.zip"), "application/zip");
	assert_string_equal(media_mime("bild med #1.png"), "image/png");
	assert_string_equal(media_mime("noext"), "application/octet-stream");
	assert_string_equal(media_mime("a.jpg/b"), "application/octet-stream");
	assert_string_equal(media_mime("l.xyz"), "application/octet-stream");
}

static void
test_forms(void **state)
{
	struct release *r;
	struct release_error err;

	(void)state;
	put("photo.jpg", "JPEGDATA");
	put("report.pdf", "%PDF-1.4 twelve");
	put("a.md", "---\ntitle: A\nimage: photo.jpg\n---\nBody\n");
	assert_int_equal(load("a.md", &r, &err), 0);
	assert_non_null(r->image);
	assert_string_equal(r->image->src, "photo.jpg");
	assert_string_equal(r->image->path, "photo.jpg");
	assert_string_equal(r->image->name, "media/a/photo.jpg");
	assert_string_equal(r->image->url,
	    "https://news.example.org/media/a/photo.jpg");
	assert_string_equal(r->image->mime, "image/jpeg");
	assert_int_equal(r->image->size, 8);
	assert_null(r->image->caption);
	assert_int_equal(r->nattachments, 0);
	release_free(r);

	put("b.md", "---\ntitle: B\nimage: {src: photo.jpg, caption: "
	    "Kajen i gryning, credit: 'Foto: Ada'}\nattachments:\n"
	    "  - src: report.pdf\n    title: Rapporten\n"
	    "  - https://cdn.example.com/ljud/intervju.mp3\n"
	    "  - https://cdn.example.com/k.gif?v=2.pdf#t\n---\nBody\n");
	assert_int_equal(load("b.md", &r, &err), 0);
	assert_string_equal(r->image->caption, "Kajen i gryning");
	assert_string_equal(r->image->credit, "Foto: Ada");
	assert_string_equal(r->image->name, "media/b/photo.jpg");
	assert_int_equal(r->nattachments, 3);
	assert_string_equal(r->attachments[2].mime, "image/gif");
	assert_string_equal(r->attachments[0].title, "Rapporten");
	assert_string_equal(r->attachments[0].mime, "application/pdf");
	assert_int_equal(r->attachments[0].size, 15);
	assert_null(r->attachments[1].path);
	assert_null(r->attachments[1].name);
	assert_string_equal(r->attachments[1].url,
	    "https://cdn.example.com/ljud/intervju.mp3");
	assert_string_equal(r->attachments[1].mime, "audio/mpeg");
	assert_int_equal(r->attachments[1].size, -1);
	release_free(r);

	/* Beside the release in its folder; a name that needs escaping. */
	put("2026/bild med #1.png", "PNG");
	put("2026/c.md", "---\nimage: 'bild med #1.png'\nattachments: "
	    "photo.jpg\n---\n");
	put("2026/photo.jpg", "another");
	assert_int_equal(load("2026/c.md", &r, &err), 0);
	assert_string_equal(r->image->path, "2026/bild med #1.png");
	assert_string_equal(r->image->url,
	    "https://news.example.org/media/c/bild%20med%20%231.png");
	assert_string_equal(r->image->mime, "image/png");
	assert_int_equal(r->nattachments, 1);
	assert_string_equal(r->attachments[0].path, "2026/photo.jpg");
	assert_int_equal(r->attachments[0].size, 7);
	release_free(r);

	/* Blank: none. */
	put("d.md", "---\nimage:\nattachments: []\n---\n");
	assert_int_equal(load("d.md", &r, &err), 0);
	assert_null(r->image);
	assert_int_equal(r->nattachments, 0);
	release_free(r);
}

static void
test_hostile(void **state)
{
	char path[TU_PATH_MAX * 2], big[TU_PATH_MAX * 2];
	FILE *f;

	(void)state;
	refused("p1.md", "---\nimage: ../../etc/passwd\n---\n",
	    "'image': \"../../etc/passwd\" must stay in the releases folder");
	refused("p2.md", "---\nimage: /etc/passwd\n---\n",
	    "is an absolute path");
	refused("p3.md", "---\nattachments: [a/./b.pdf]\n---\n",
	    "attachment 1 in 'attachments'");
	refused("p4.md", "---\nimage: \"a\\nb.jpg\"\n---\n",
	    "control character");
	refused("p5.md", "---\nimage: javascript:alert(1)\n---\n",
	    "must be an http(s) URL");
	refused("p6.md", "---\nimage: {src: 'data:image/png;base64,AAAA'}\n"
	    "---\n", "must be an http(s) URL");
	refused("p7.md", "---\nimage: .secret.jpg\n---\n", "hidden file");
	refused("p8.md", "---\nimage: missing.jpg\n---\n",
	    "'image': cannot read missing.jpg: no such file");
	refused("p9.md", "---\nimage: {src: x.jpg, captoin: Oj}\n---\n",
	    "unknown key 'captoin'");
	refused("p10.md", "---\nimage: {caption: Oj}\n---\n",
	    "'image' needs a file");
	refused("p11.md", "---\nimage: [a.jpg, b.jpg]\n---\n",
	    "'image' must be a file name");

	/* A symlink out of the folder. */
	snprintf(path, sizeof(path), "%s/out.jpg", root);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	refused("s1.md", "---\nimage: out.jpg\n---\n",
	    "'image': out.jpg is a symlink to a file outside");

	/* A FIFO: refused without blocking. */
	snprintf(path, sizeof(path), "%s/pipe.mp3", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	refused("f1.md", "---\nattachments: [pipe.mp3]\n---\n",
	    "'attachments': pipe.mp3 is not a regular file");

	/* One byte over max_media_size. */
	snprintf(big, sizeof(big), "%s/huge.zip", root);
	assert_non_null(f = fopen(big, "w"));
	assert_int_equal(ftruncate(fileno(f), (off_t)tu_meta.max_media_size +
	    1), 0);
	fclose(f);
	refused("h1.md", "---\nattachments: [{src: huge.zip}]\n---\n",
	    "huge.zip is 1048577 bytes, larger than max_media_size");

	/* Two files of one release under one name. */
	put("x/photo.jpg", "1");
	put("y/photo.jpg", "2");
	refused("n1.md", "---\nimage: x/photo.jpg\nattachments: "
	    "[y/photo.jpg]\n---\n", "two media files named photo.jpg");
}

/* root/rel's size from out/name, or -1. */
static long
out_size(const char *name)
{
	char path[TU_PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", out, name);
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void
test_copy(void **state)
{
	struct release *a, *b;
	struct release_error err;
	char why[200], path[TU_PATH_MAX * 2];

	(void)state;
	put("one/photo.jpg", "first photo");
	put("two/photo.jpg", "second");
	put("one/a.md", "---\nimage: photo.jpg\n---\n");
	put("two/b.md", "---\nimage: photo.jpg\n---\n");
	assert_int_equal(load("one/a.md", &a, &err), 0);
	assert_int_equal(load("two/b.md", &b, &err), 0);
	assert_int_equal(media_copy(a->image, root, true, 1 << 20, out, NULL,
	    why, sizeof(why)), 1);
	assert_int_equal(media_copy(b->image, root, true, 1 << 20, out, NULL,
	    why, sizeof(why)), 1);
	/* Same name, two releases: each keeps its own. */
	assert_int_equal(out_size("media/a/photo.jpg"), 11);
	assert_int_equal(out_size("media/b/photo.jpg"), 6);
	/* Unchanged: not written again. */
	assert_int_equal(media_copy(a->image, root, true, 1 << 20, out, NULL,
	    why, sizeof(why)), 0);
	/* Read again (a restart): the copy is newer, so not read again. */
	release_free(a);
	assert_int_equal(load("one/a.md", &a, &err), 0);
	assert_int_equal(media_copy(a->image, root, true, 1 << 20, out, NULL,
	    why, sizeof(why)), 0);
	/* Edited: copied again, and the size follows. */
	tu_put_file(root, "one/photo.jpg", "a longer first photo", 1700000100);
	assert_int_equal(media_copy(a->image, root, true, 1 << 20, out, NULL,
	    why, sizeof(why)), 1);
	assert_int_equal(a->image->size, 20);
	assert_int_equal(out_size("media/a/photo.jpg"), 20);
	/* Gone meanwhile: an error naming the file; the old copy stays. */
	snprintf(path, sizeof(path), "%s/one/photo.jpg", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(media_copy(a->image, root, true, 1 << 20, out, NULL,
	    why, sizeof(why)), -1);
	assert_non_null(strstr(why, "photo.jpg"));
	assert_int_equal(out_size("media/a/photo.jpg"), 20);
	release_free(a);
	release_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime),
		cmocka_unit_test_setup_teardown(test_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
