/*
 * feed: the xmlTextWriter set-up shared by the Atom and RSS writers
 * (feed.h); the helpers they share are in xmlout.c.
 */
#include "feed.h"

#include <stdlib.h>
#include <string.h>

#include "xmlout.h"

static const char *const names[FEED_NKINDS] = { "feed.atom", "feed.rss" };

const char *
feed_file_name(enum feed_kind k)
{
	return names[k];
}

int
feed_render(enum feed_kind k, const struct feed_meta *m,
    struct release *const *rs, size_t n, char **data, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = NULL;
	int rc = -1;

	*data = NULL;
	if (buf == NULL || (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (release_render(rs[i], m) < 0)
			goto out;
	if (xmlTextWriterSetIndent(w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w, (const xmlChar *)"  ") < 0 ||
	    xmlTextWriterStartDocument(w, NULL, "utf-8", NULL) < 0)
		goto out;
	if ((k == FEED_ATOM ? atom_write(w, m, rs, n) :
	    rss_write(w, m, rs, n)) < 0)
		goto out;
	if (xmlTextWriterEndDocument(w) < 0)
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
