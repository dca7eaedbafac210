/*
 * xmlout: the helpers the Atom and RSS writers share (see xmlout.h): every
 * string they write goes through text_xml_clean() first.
 */
#include "xmlout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmlstr.h"

/* Call fn(w, s) with s cleaned of forbidden characters when it has any. */
static int
clean_call(const char *s, int (*fn)(void *, const char *), void *arg)
{
	char *c;
	int rc;

	if (text_xml_ok(s))
		return fn(arg, s);
	if ((c = text_xml_clean(s)) == NULL)
		return -1;
	rc = fn(arg, c);
	free(c);
	return rc;
}

static int
write_string(void *w, const char *s)
{
	return xmlTextWriterWriteString(w, X(s));
}

int
xo_string(xmlTextWriterPtr w, const char *s)
{
	return clean_call(s, write_string, w);
}

int
xo_element(xmlTextWriterPtr w, const char *prefix, const char *name,
    const char *s)
{
	if (xmlTextWriterStartElementNS(w, X(prefix),
	    X(name), NULL) < 0 || xo_string(w, s) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

struct attr {
	xmlTextWriterPtr w;
	const char *name;
};

static int
write_attr(void *arg, const char *s)
{
	struct attr *a = arg;

	return xmlTextWriterWriteAttribute(a->w, X(a->name),
	    X(s));
}

int
xo_attribute(xmlTextWriterPtr w, const char *name, const char *s)
{
	struct attr a = { w, name };

	return clean_call(s, write_attr, &a);
}

char *
xo_feed_url(const struct feed_meta *m, const char *name)
{
	char *s;

	return asprintf(&s, "%s%s", m->base_url, name) < 0 ? NULL : s;
}

char *
xo_feed_id(const struct feed_meta *m, const char *id_part)
{
	char *s;

	return asprintf(&s, "tag:%s,%s:%s%s", m->tag_authority, m->tag_date,
	    m->tag_path, id_part != NULL ? id_part : "") < 0 ? NULL : s;
}

struct fp_time
xo_feed_updated(const struct feed_meta *m, struct release *const *rs,
    size_t n)
{
	struct fp_time t = { 0, 0 };

	if (n == 0 && m->empty_since != 0)
		return date_from_epoch(m->empty_since);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || rs[i]->updated.sec > t.sec)
			t = rs[i]->updated;
	return t;
}

/* A writer into a new buffer, set up as every document is. */
static int
writer_new(xmlBufferPtr *buf, xmlTextWriterPtr *w)
{
	*w = NULL;
	if ((*buf = xmlBufferCreate()) == NULL ||
	    (*w = xmlNewTextWriterMemory(*buf, 0)) == NULL)
		return -1;
	/*
	 * libxml2 2.9 grows a buffer by what each write needs: a sitemap of
	 * 20,000 URLs was 20,000 reallocs of up to 3 MB (a second under
	 * ASan, whose realloc always copies). Doubling makes it linear.
	 */
	xmlBufferSetAllocationScheme(*buf, XML_BUFFER_ALLOC_DOUBLEIT);
	if (xmlTextWriterSetIndent(*w, 1) < 0 ||
	    xmlTextWriterSetIndentString(*w, (const xmlChar *)"  ") < 0 ||
	    xmlTextWriterStartDocument(*w, NULL, "utf-8", NULL) < 0)
		return -1;
	return 0;
}

/* buf's bytes from off on, NUL-terminated, into *data and *len. */
static int
copy_out(xmlBufferPtr buf, size_t off, char **data, size_t *len)
{
	*len = (size_t)xmlBufferLength(buf) - off;
	if ((*data = malloc(*len + 1)) == NULL)
		return -1;
	memcpy(*data, xmlBufferContent(buf) + off, *len + 1);
	return 0;
}

int
xo_document_buf(int (*body)(xmlTextWriterPtr w, xmlBufferPtr buf,
    void *arg), void *arg, char **data, size_t *len)
{
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int rc = -1;

	*data = NULL;
	if (writer_new(&buf, &w) < 0 || body(w, buf, arg) < 0 ||
	    xmlTextWriterEndDocument(w) < 0)
		goto out;
	xmlFreeTextWriter(w);	/* flushes into buf */
	w = NULL;
	rc = copy_out(buf, 0, data, len);
out:
	xmlFreeTextWriter(w);
	xmlBufferFree(buf);
	return rc;
}

struct plain {
	int (*body)(xmlTextWriterPtr w, void *arg);
	void *arg;
};

static int
plain_body(xmlTextWriterPtr w, xmlBufferPtr buf, void *arg)
{
	const struct plain *p = arg;

	(void)buf;
	return p->body(w, p->arg);
}

int
xo_document(int (*body)(xmlTextWriterPtr w, void *arg), void *arg,
    char **data, size_t *len)
{
	struct plain p = { body, arg };

	return xo_document_buf(plain_body, &p, data, len);
}

int
xo_fragment(int depth, int (*body)(xmlTextWriterPtr w, void *arg),
    void *arg, char **data, size_t *len)
{
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	size_t off;
	int rc = -1;

	*data = NULL;
	if (writer_new(&buf, &w) < 0)
		goto out;
	/*
	 * The element's parents, and an earlier sibling: the writer then
	 * stands as in a document after the feed's own elements, its
	 * parent's start tag closed, the next line to be indented.
	 */
	for (int i = 0; i < depth; i++)
		CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"p"));
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"s"));
	CHECK(xmlTextWriterEndElement(w));
	CHECK(xmlTextWriterFlush(w));
	off = (size_t)xmlBufferLength(buf);
	CHECK(body(w, arg));
	CHECK(xmlTextWriterFlush(w));
	rc = copy_out(buf, off, data, len);
out:
	xmlFreeTextWriter(w);
	xmlBufferFree(buf);
	return rc;
}

int
xo_raw(xmlTextWriterPtr w, xmlBufferPtr buf, const char *s, size_t n)
{
	/* Past the writer, which stays as the element's end left it. */
	if (xmlTextWriterFlush(w) < 0)
		return -1;
	return xmlBufferAdd(buf, (const xmlChar *)s, (int)n) == 0 ? 0 : -1;
}

struct entry_arg {
	int (*put)(xmlTextWriterPtr w, const struct feed_meta *m,
	    const struct release *r);
	const struct feed_meta *m;
	const struct release *r;
};

static int
entry_body(xmlTextWriterPtr w, void *arg)
{
	const struct entry_arg *a = arg;

	return a->put(w, a->m, a->r);
}

int
xo_entry(xmlTextWriterPtr w, xmlBufferPtr buf, struct feed_memo *memo,
    enum feed_kind k, int depth, int (*put)(xmlTextWriterPtr w,
    const struct feed_meta *m, const struct release *r),
    const struct feed_meta *m, const struct release *r)
{
	struct entry_arg a = { put, m, r };
	const char *kept;
	char *data;
	size_t len;
	int rc;

	if (memo == NULL)
		return put(w, m, r);
	if (xmlTextWriterFlush(w) < 0)
		return -1;
	if ((kept = feed_memo_get(memo, k, r, &len)) != NULL) {
		feed_memo_mark(memo, r, (size_t)xmlBufferLength(buf), len);
		return xo_raw(w, buf, kept, len);
	}
	if (xo_fragment(depth, entry_body, &a, &data, &len) < 0)
		return -1;
	feed_memo_put(memo, k, r, data, len);
	feed_memo_mark(memo, r, (size_t)xmlBufferLength(buf), len);
	rc = xo_raw(w, buf, data, len);
	free(data);
	return rc;
}
