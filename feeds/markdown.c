/*
 * markdown: md4c for the HTML and the first paragraph (see markdown.h).
 */
#include "markdown.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <md4c-html.h>
#include <md4c.h>

#include "text.h"
#include "url.h"
#include "xmlstr.h"

/* md4c output callback: append to an xmlBuffer. */
static void
html_out(const MD_CHAR *text, MD_SIZE size, void *ud)
{
	xmlBufferAdd(ud, (const xmlChar *)text, (int)size);
}

/*
 * Collects the plain text of the first block of type want (md4c parser
 * callbacks): the first paragraph for a summary, the first heading for a
 * title.
 */
struct first_para {
	xmlBufferPtr buf;
	MD_BLOCKTYPE want;
	int depth;	/* of want blocks entered; 1 while inside the first */
	bool done;
};

static int
fp_enter(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct first_para *fp = ud;

	(void)detail;
	if (type == fp->want && !fp->done)
		fp->depth++;
	return 0;
}

static int
fp_leave(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct first_para *fp = ud;

	(void)detail;
	if (type == fp->want && fp->depth > 0 && !fp->done) {
		fp->done = true;
		return 1;	/* stop parsing: we have what we need */
	}
	return 0;
}

static int
fp_span(MD_SPANTYPE type, void *detail, void *ud)
{
	(void)type;
	(void)detail;
	(void)ud;
	return 0;
}

/*
 * Decode an entity md4c found ("&eacute;", "&#8212;", "&#x2014;") into
 * out as UTF-8, with libxml2's HTML entity table. Returns the length, 0 if
 * unknown (the caller keeps the text as typed).
 */
static int
entity(const MD_CHAR *t, MD_SIZE n, xmlChar out[8])
{
	char name[40];
	int cp = 0;

	if (n < 3 || n >= sizeof(name) || t[0] != '&' || t[n - 1] != ';')
		return 0;
	memcpy(name, t + 1, n - 2);
	name[n - 2] = '\0';
	if (name[0] == '#') {
		char *end;
		long v = (name[1] == 'x' || name[1] == 'X') ?
		    strtol(name + 2, &end, 16) : strtol(name + 1, &end, 10);

		cp = *end == '\0' && v > 0 && v <= 0x10FFFF ? (int)v : 0;
	} else {
		const htmlEntityDesc *e = htmlEntityLookup(X(name));

		cp = e != NULL ? (int)e->value : 0;
	}
	return cp > 0 ? xmlCopyCharMultiByte(out, cp) : 0;
}

static int
fp_text(MD_TEXTTYPE type, const MD_CHAR *t, MD_SIZE n, void *ud)
{
	struct first_para *fp = ud;
	xmlChar u[8];
	int k;

	if (fp->depth == 0 || fp->done)
		return 0;
	switch (type) {
	case MD_TEXT_BR:
	case MD_TEXT_SOFTBR:
		xmlBufferAdd(fp->buf, X(" "), 1);
		break;
	case MD_TEXT_HTML:	/* raw tags are markup, not summary text */
		break;
	case MD_TEXT_ENTITY:
		k = entity(t, n, u);
		if (k > 0)
			xmlBufferAdd(fp->buf, u, k);
		else
			xmlBufferAdd(fp->buf, (const xmlChar *)t, (int)n);
		break;
	default:
		xmlBufferAdd(fp->buf, (const xmlChar *)t, (int)n);
	}
	return 0;
}

static int
markdown_into(const char *body, bool raw_html, xmlBufferPtr html,
    xmlBufferPtr para)
{
	unsigned flags = MD_DIALECT_GITHUB | (raw_html ? 0 : MD_FLAG_NOHTML);
	MD_SIZE n = (MD_SIZE)strlen(body);
	struct first_para fp = { .buf = para, .want = MD_BLOCK_P };
	MD_PARSER parser = {
		.flags = flags,
		.enter_block = fp_enter, .leave_block = fp_leave,
		.enter_span = fp_span, .leave_span = fp_span,
		.text = fp_text,
	};

	if (md_html(body, n, html_out, html, flags, 0) != 0)
		return -1;
	if (para != NULL)
		md_parse(body, n, &parser, &fp);	/* 1 = stopped early */
	return 0;
}

static int
plain_into(const char *p, xmlBufferPtr html, xmlBufferPtr para)
{
	while (*p != '\0') {
		size_t n = text_line_len(p);
		const char *start;
		char *raw;
		xmlChar *esc;

		if (strspn(p, " \t") >= n) {	/* a blank line */
			p += n + (p[n] == '\n');
			continue;
		}
		start = p;
		while (*p != '\0' && strspn(p, " \t") < (n = text_line_len(p)))
			p += n + (p[n] == '\n');
		raw = strndup(start, (size_t)(p - start));
		if (raw == NULL)
			return -1;
		while (*raw != '\0' && raw[strlen(raw) - 1] == '\n')
			raw[strlen(raw) - 1] = '\0';
		esc = xmlEncodeSpecialChars(NULL, X(raw));
		if (esc == NULL) {
			free(raw);
			return -1;
		}
		xmlBufferCCat(html, "<p>");
		xmlBufferCat(html, esc);
		xmlBufferCCat(html, "</p>\n");
		if (para != NULL && xmlBufferLength(para) == 0)
			xmlBufferCCat(para, raw);
		xmlFree(esc);
		free(raw);
	}
	return 0;
}

/* A malloc'd copy of what buf holds. */
static char *
take(xmlBufferPtr buf)
{
	const xmlChar *c = xmlBufferContent(buf);

	return strdup(c != NULL ? (const char *)c : "");
}

/*
 * Run one of the renderers above into fresh buffers and hand their
 * contents out as markdown.h promises.
 */
static int
render(const char *body, bool markdown, bool raw_html, char **html,
    char **para)
{
	xmlBufferPtr h = xmlBufferCreate(), p = NULL;
	int rc = -1;

	*html = NULL;
	if (para != NULL)
		*para = NULL;
	if (h == NULL || (para != NULL && (p = xmlBufferCreate()) == NULL))
		goto out;
	if ((markdown ? markdown_into(body, raw_html, h, p) :
	    plain_into(body, h, p)) < 0)
		goto out;
	if ((*html = take(h)) == NULL)
		goto out;
	if (para != NULL && (*para = take(p)) == NULL) {
		free(*html);
		*html = NULL;
		goto out;
	}
	rc = 0;
out:
	xmlBufferFree(h);
	xmlBufferFree(p);
	return rc;
}

int
markdown_render(const char *body, bool raw_html, char **html, char **para)
{
	return render(body, true, raw_html, html, para);
}

int
markdown_render_plain(const char *body, char **html, char **para)
{
	return render(body, false, false, html, para);
}

/*
 * The attribute value v[0..n) (HTML-escaped as md4c writes it) resolved
 * against base and escaped again, appended to b. Kept as it is when it
 * holds another character reference, or does not parse.
 */
static int
resolve_value(xmlBufferPtr b, const char *v, size_t n, const char *base)
{
	char *ref = malloc(n + 1), *abs = NULL, *w = ref;
	xmlChar *esc;
	bool keep = false;

	if (ref == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		*w++ = v[i];
		if (v[i] == '&' && (n - i < 5 || memcmp(v + i, "&amp;", 5) != 0))
			keep = true;
		else if (v[i] == '&')
			i += 4;
	}
	*w = '\0';
	if (keep || url_resolve(ref, base, &abs) < 0) {
		free(ref);
		return xmlBufferAdd(b, (const xmlChar *)v, (int)n) == 0 ? 0 : -1;
	}
	free(ref);
	esc = xmlEncodeSpecialChars(NULL, X(abs));
	free(abs);
	if (esc == NULL)
		return -1;
	xmlBufferCat(b, esc);
	xmlFree(esc);
	return 0;
}

int
markdown_resolve_links(const char *html, const char *base, char **out)
{
	static const char *const attrs[] = { "<a href=\"", "<img src=\"" };
	xmlBufferPtr b = xmlBufferCreate();
	const char *p = html;
	int rc = -1;

	*out = NULL;
	if (b == NULL)
		return -1;
	for (;;) {
		const char *at = NULL, *v, *end;
		size_t skip = 0;

		for (size_t i = 0; i < 2; i++) {
			const char *f = strstr(p, attrs[i]);

			if (f != NULL && (at == NULL || f < at)) {
				at = f;
				skip = strlen(attrs[i]);
			}
		}
		if (at == NULL || (end = strchr(v = at + skip, '"')) == NULL)
			break;
		xmlBufferAdd(b, (const xmlChar *)p, (int)(v - p));
		if (resolve_value(b, v, (size_t)(end - v), base) < 0)
			goto out;
		p = end;
	}
	xmlBufferCCat(b, p);
	*out = take(b);
	rc = *out != NULL ? 0 : -1;
out:
	xmlBufferFree(b);
	return rc;
}

int
markdown_heading_text(const char *src, size_t n, bool raw_html,
    char **text)
{
	xmlBufferPtr b = xmlBufferCreate();
	struct first_para fp = { .buf = b, .want = MD_BLOCK_H };
	MD_PARSER parser = {
		.flags = MD_DIALECT_GITHUB | (raw_html ? 0 : MD_FLAG_NOHTML),
		.enter_block = fp_enter, .leave_block = fp_leave,
		.enter_span = fp_span, .leave_span = fp_span,
		.text = fp_text,
	};

	*text = NULL;
	if (b == NULL)
		return -1;
	md_parse(src, (MD_SIZE)n, &parser, &fp);	/* 1 = stopped early */
	if (fp.done && xmlBufferLength(b) > 0) {
		const char *c = (const char *)xmlBufferContent(b);

		if ((*text = text_trim_dup(c, strlen(c))) == NULL) {
			xmlBufferFree(b);
			return -1;
		}
		if (**text == '\0') {	/* "# ![](logo.png)" */
			free(*text);
			*text = NULL;
		}
	}
	xmlBufferFree(b);
	return 0;
}
