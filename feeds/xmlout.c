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

int
xo_document(int (*body)(xmlTextWriterPtr w, void *arg), void *arg,
    char **data, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = NULL;
	int rc = -1;

	*data = NULL;
	if (buf == NULL || (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		goto out;
	/*
	 * libxml2 2.9 grows a buffer by what each write needs: a sitemap of
	 * 20,000 URLs was 20,000 reallocs of up to 3 MB (a second under
	 * ASan, whose realloc always copies). Doubling makes it linear.
	 */
	xmlBufferSetAllocationScheme(buf, XML_BUFFER_ALLOC_DOUBLEIT);
	if (xmlTextWriterSetIndent(w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w, (const xmlChar *)"  ") < 0 ||
	    xmlTextWriterStartDocument(w, NULL, "utf-8", NULL) < 0 ||
	    body(w, arg) < 0 || xmlTextWriterEndDocument(w) < 0)
		goto out;
	xmlFreeTextWriter(w);	/* flushes into buf */
	w = NULL;
	*len = (size_t)xmlBufferLength(buf);
	if ((*data = malloc(*len + 1)) == NULL)
		goto out;
	memcpy(*data, xmlBufferContent(buf), *len + 1);
	rc = 0;
out:
	xmlFreeTextWriter(w);
	xmlBufferFree(buf);
	return rc;
}
