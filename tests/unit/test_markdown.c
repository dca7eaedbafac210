/*
 * Unit tests for feeds/markdown.c: HTML and the first paragraph, for
 * Markdown and plain text bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/markdown.h"

#include "testutil.h"

static char *html, *para;

static int
free_out(void **state)
{
	(void)state;
	free(html);
	free(para);
	html = para = NULL;
	return 0;
}

static void
md(const char *body, bool raw_html)
{
	free_out(NULL);
	assert_int_equal(markdown_render(body, raw_html, &html, &para), 0);
}

static void
test_markdown(void **state)
{
	static const struct {
		const char *body;
		bool raw;
		const char *html, *para;
	} cases[] = {
		{ "", false, "", "" },
		{ "# Only a heading\n", false, "<h1>Only a heading</h1>\n", "" },
		{ "First **bold** &amp; [a](https://x.example/)\nline.\n\n"
		    "Second.\n", false, "<p>First <strong>bold</strong> "
		    "&amp; <a href=\"https://x.example/\">a</a>\nline.</p>\n"
		    "<p>Second.</p>\n", "First bold & a line." },
		{ "## Sub\n\n- item\n\nPara.\n", false, "<h2>Sub</h2>\n"
		    "<ul>\n<li>item</li>\n</ul>\n<p>Para.</p>\n", "Para." },
		{ "&copy; caf&eacute; &#8212; &#x2014; &nosuch;\n", false,
		    "<p>\xC2\xA9 caf\xC3\xA9 \xE2\x80\x94 \xE2\x80\x94 "
		    "&amp;nosuch;</p>\n", "\xC2\xA9 caf\xC3\xA9 \xE2\x80\x94 "
		    "\xE2\x80\x94 &nosuch;" },
		{ "Hi <b>x</b>\n", false, "<p>Hi &lt;b&gt;x&lt;/b&gt;</p>\n",
		    "Hi <b>x</b>" },
		{ "Hi <b>x</b>\n", true, "<p>Hi <b>x</b></p>\n", "Hi x" },
		{ "~~del~~\n", false, "<p><del>del</del></p>\n", "del" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		md(cases[i].body, cases[i].raw);
		assert_string_equal(html, cases[i].html);
		assert_string_equal(para, cases[i].para);
	}
}

static void
test_plain(void **state)
{
	(void)state;
	assert_int_equal(markdown_render_plain("\n \nA < B & C\nline 2\n\n\n"
	    " \t\n*not em* \"q\"\n", &html, &para), 0);
	assert_string_equal(html, "<p>A &lt; B &amp; C\nline 2</p>\n"
	    "<p>*not em* &quot;q&quot;</p>\n");
	assert_string_equal(para, "A < B & C\nline 2");
	free_out(NULL);
	assert_int_equal(markdown_render_plain("", &html, &para), 0);
	assert_string_equal(html, "");
	assert_string_equal(para, "");
}

/* para NULL: no first paragraph wanted, and none is made. */
static void
test_no_para(void **state)
{
	(void)state;
	para = (char *)&para;
	assert_int_equal(markdown_render("Text.\n", false, &html, NULL), 0);
	assert_string_equal(html, "<p>Text.</p>\n");
	assert_ptr_equal(para, &para);
	free(html);
	assert_int_equal(markdown_render_plain("Text.\n", &html, NULL), 0);
	assert_string_equal(html, "<p>Text.</p>\n");
	para = NULL;
}

/* Relative hrefs and srcs become absolute; the rest stays as it was. */
static void
test_resolve_links(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "<p>no links</p>\n", "<p>no links</p>\n" },
		{ "<a href=\"x.html\">x</a><img src=\"i/a.png\" alt=\"a\">",
		    "<a href=\"https://h.example/r/x.html\">x</a><img src=\""
		    "https://h.example/r/i/a.png\" alt=\"a\">" },
		{ "<a href=\"?a=1&amp;b=2\">q</a>", "<a href=\"https://"
		    "h.example/r/p.html?a=1&amp;b=2\">q</a>" },
		{ "<a href=\"\">e</a>", "<a href=\"https://h.example/r/p.html\">"
		    "e</a>" },
		/* Raw HTML with another reference: left alone. */
		{ "<a href=\"a&#38;b\">r</a>", "<a href=\"a&#38;b\">r</a>" },
		/* Unclosed: left alone. */
		{ "<a href=\"x", "<a href=\"x" },
		{ "<a href='x'>s</a>", "<a href='x'>s</a>" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		free_out(NULL);
		assert_int_equal(markdown_resolve_links(cases[i].in,
		    "https://h.example/r/p.html", &html), 0);
		assert_string_equal(html, cases[i].out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_markdown, free_out),
		cmocka_unit_test_teardown(test_plain, free_out),
		cmocka_unit_test_teardown(test_no_para, free_out),
		cmocka_unit_test_teardown(test_resolve_links, free_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
