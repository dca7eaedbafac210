/*
 * Unit tests for feeds/relpack: a release read from a file survives its
 * bytes whole, and bytes that are not a packed release are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "feeds/meta.h"
#include "feeds/release.h"
#include "feeds/relpack.h"

#include "testutil.h"

#define MTIME 1575964440

static char root[64];

static int
make_root(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "test_relpack");
}

static int
remove_root(void **state)
{
	(void)state;
	tu_rm_tree(root);
	return 0;
}

/* Every field a front matter can give, media, contacts and a warning. */
static const char full[] =
    "---\n"
    "title: \"Allt i \xC3\xA4n\"\n"
    "date: 2019-12-10 08:54\n"
    "updated: 2019-12-11T09:00:00+01:00\n"
    "summary: Kort.\n"
    "id: urn:x:1\n"
    "type: Pressmeddelande\n"
    "lang: en\n"
    "authors: [Ada, Bo]\n"
    "tags: [a, b, c]\n"
    "facts: \"- **En** sak\"\n"
    "image: {src: bild.jpg, caption: Bilden, credit: Foto}\n"
    "attachments: [doc.pdf, \"https://cdn.example.org/x.mp3?v=2\"]\n"
    "contacts:\n"
    "  - {name: Ada, role: Press, email: ada@example.org}\n"
    "  - {organisation: Kommunen, phone: \"+46 1\"}\n"
    "draft: true\n"
    "titel: fel\n"
    "---\n"
    "# Not the title\n\nBody.\n";

static struct release *
load(const char *rel)
{
	struct release_error err = { .line = 0 };
	struct release *r = NULL;

	if (release_load(&tu_meta, root, rel, &r, &err) < 0)
		fail_msg("%s: line %zu: %s", rel, err.line, err.msg);
	return r;
}

static void
put_all(void)
{
	tu_put_file(root, "x/full.md", full, MTIME);
	tu_put_file(root, "x/bild.jpg", "jpeg", MTIME);
	tu_put_file(root, "x/doc.pdf", "pdf!!", MTIME);
	tu_put_file(root, "x/plain.txt", "Title line\n\nText.\n", MTIME);
}

static void
test_round_trip(void **state)
{
	const char *names[] = { "x/full.md", "x/plain.txt" };

	(void)state;
	put_all();
	for (size_t k = 0; k < 2; k++) {
		struct release_error err = { .line = 0 };
		struct release *r = load(names[k]), *u = NULL;
		unsigned char *b, *b2;
		size_t len, len2;

		assert_int_equal(relpack_pack(r, &b, &len), 0);
		assert_int_equal(relpack_unpack(&tu_meta, root, names[k], b, len,
		    &u, &err), 0);
		/* Packed again, the same bytes: every field came back. */
		assert_int_equal(relpack_pack(u, &b2, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(b2, b, len);
		assert_string_equal(u->path, names[k]);
		assert_string_equal(u->title, r->title);
		/* Unpacked into one allocation, as a parse leaves it. */
		assert_true(u->packed > sizeof(*u) && r->packed > sizeof(*r));
		assert_true((char *)u->title > (char *)u &&
		    (char *)u->title < (char *)u + u->packed);
		assert_memory_equal(u->digest, r->digest, sizeof(r->digest));
		assert_int_equal(u->body_off, r->body_off);
		assert_null(u->text);
		if (k == 0) {
			assert_int_equal(u->ntags, 3);
			assert_string_equal(u->tags[2], "c");
			assert_int_equal(u->ncontacts, 2);
			assert_string_equal(u->contacts[1].phone, "+46 1");
			assert_null(u->contacts[1].name);
			assert_string_equal(u->image->caption, "Bilden");
			assert_int_equal(u->image->size, 4);
			assert_string_equal(u->image->mime, r->image->mime);
			assert_int_equal(u->nattachments, 2);
			assert_int_equal(u->attachments[0].size, 5);
			assert_string_equal(u->attachments[1].mime,
			    r->attachments[1].mime);
			assert_true(u->draft && u->has_date && u->has_updated &&
			    u->has_summary);
			assert_string_equal(u->summary, "Kort.");
			assert_true(u->ndiags > 0);
			assert_int_equal(u->ndiags, r->ndiags);
			assert_string_equal(u->diags[0].msg, r->diags[0].msg);
			assert_int_equal(u->date.sec, r->date.sec);
			assert_int_equal(u->updated.off, r->updated.off);
		}
		free(b);
		free(b2);
		release_free(r);
		release_free(u);
	}
}

/* A derived summary is not the front matter's: it is not packed. */
static void
test_derived_summary_left_out(void **state)
{
	struct feed_meta m = tu_meta;
	struct release_error err = { .line = 0 };
	struct release *r, *u = NULL;
	unsigned char *b;
	size_t len;

	(void)state;
	put_all();
	m.root = root;
	r = load("x/plain.txt");
	assert_int_equal(release_load_summary(r, &m, &err), 0);
	assert_non_null(r->summary);
	assert_null(r->html);
	assert_int_equal(relpack_pack(r, &b, &len), 0);
	assert_int_equal(relpack_unpack(&m, root, r->path, b, len, &u, &err),
	    0);
	assert_null(u->summary);
	free(b);
	release_free(r);
	release_free(u);
}

/* Each cut of the bytes, each wrong byte of the version: refused. */
static void
test_damaged(void **state)
{
	struct release_error err = { .line = 0 };
	struct release *r, *u = NULL;
	unsigned char *b;
	size_t len;

	(void)state;
	put_all();
	r = load("x/full.md");
	assert_int_equal(relpack_pack(r, &b, &len), 0);
	for (size_t n = 0; n < len; n++) {
		if (relpack_unpack(&tu_meta, root, r->path, b, n, &u, &err)
		    == 0)
			fail_msg("%zu of %zu bytes taken", n, len);
		assert_null(u);
	}
	b[0] ^= 0x40;
	assert_int_equal(relpack_unpack(&tu_meta, root, r->path, b, len, &u,
	    &err), -1);
	assert_non_null(strstr(err.msg, "another format"));
	b[0] ^= 0x40;
	/* A length past the end (the slug's, after the version byte). */
	memset(b + 1, 0x7f, 8);
	assert_int_equal(relpack_unpack(&tu_meta, root, r->path, b, len, &u,
	    &err), -1);
	assert_null(u);
	free(b);
	release_free(r);
}

/* A medium gone since: as release_load() would, the release fails. */
static void
test_medium_gone(void **state)
{
	struct release_error err = { .line = 0 };
	struct release *r, *u = NULL;
	unsigned char *b;
	size_t len;
	char path[128];

	(void)state;
	put_all();
	r = load("x/full.md");
	assert_int_equal(relpack_pack(r, &b, &len), 0);
	snprintf(path, sizeof(path), "%s/x/doc.pdf", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(relpack_unpack(&tu_meta, root, r->path, b, len, &u,
	    &err), -1);
	assert_null(u);
	assert_non_null(strstr(err.msg, "attachments"));
	free(b);
	release_free(r);
}

static void
test_meta_key(void **state)
{
	struct feed_meta m = tu_meta;
	uint64_t k = relpack_meta_key(&m, "/a");

	(void)state;
	assert_int_not_equal(k, 0);
	assert_int_equal(relpack_meta_key(&m, "/a"), k);
	assert_int_not_equal(relpack_meta_key(&m, "/b"), k);
	m.base_url = "https://other.example/";
	assert_int_not_equal(relpack_meta_key(&m, "/a"), k);
	m = tu_meta;
	m.raw_html = !m.raw_html;
	assert_int_not_equal(relpack_meta_key(&m, "/a"), k);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_root, remove_root)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_derived_summary_left_out),
		T(test_damaged),
		T(test_medium_gone),
		T(test_meta_key),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
