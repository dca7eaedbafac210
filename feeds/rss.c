/*
 * rss: an RSS 2.0 feed, with the Atom self link, content:encoded and
 * dc:creator that feed readers look for.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/entities.h>

#include "xmlout.h"

static int
date(xmlTextWriterPtr w, const char *name, const struct fp_time *t)
{
	char buf[DATE_BUFSZ];

	return xo_element(w, NULL, name, date_rfc822(t, buf));
}

/* RSS has no update time: Atom's, in the item (RFC 3339). */
static int
atom_updated(xmlTextWriterPtr w, const struct fp_time *t)
{
	char buf[DATE_BUFSZ];

	return xo_element(w, "atom", "updated", date_rfc3339(t, buf));
}

/*
 * RSS readers take <description> as HTML: plain text goes in escaped as
 * HTML first, so "A <B> & C" is not read as a tag.
 */
static int
html_element(xmlTextWriterPtr w, const char *name, const char *text)
{
	xmlChar *html = xmlEncodeSpecialChars(NULL, (const xmlChar *)text);
	int rc;

	if (html == NULL)
		return -1;
	rc = xo_element(w, NULL, name, (const char *)html);
	xmlFree(html);
	return rc;
}

static int
ns(xmlTextWriterPtr w, const char *prefix, const char *uri)
{
	char attr[32];

	snprintf(attr, sizeof(attr), "xmlns:%s", prefix);
	return xo_attribute(w, attr, uri);
}

static char *
join(char *const *v, size_t n, const char *sep)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	if ((s = malloc(len)) == NULL)
		return NULL;
	*s = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, sep);
		strcat(s, v[i]);
	}
	return s;
}

/*
 * RSS 2.0 allows one enclosure per item (the RSS Advisory Board's
 * profile): the image, or else the first attachment. length is
 * required: 0 when not known (a URL), as that profile says.
 */
static int
enclosure(xmlTextWriterPtr w, const struct release *r)
{
	const struct media *md = release_medium(r, 0);
	char len[24];

	if (md == NULL)
		return 0;
	snprintf(len, sizeof(len), "%lld", (long long)(md->size >= 0 ?
	    md->size : 0));
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"enclosure"));
	CHECK(xo_attribute(w, "url", md->url));
	CHECK(xo_attribute(w, "length", len));
	CHECK(xo_attribute(w, "type", md->mime));
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

static int
item(xmlTextWriterPtr w, const struct feed_meta *m, const struct release *r)
{
	int rc;

	bool url = strncmp(r->id, "http://", 7) == 0 ||
	    strncmp(r->id, "https://", 8) == 0;

	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"item"));
	CHECK(xo_element(w, NULL, "title", r->title));
	CHECK(xo_element(w, NULL, "link", r->link));
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"guid"));
	CHECK(xo_attribute(w, "isPermaLink", url ? "true" : "false"));
	CHECK(xo_string(w, r->id));
	CHECK(xmlTextWriterEndElement(w));
	CHECK(date(w, "pubDate", &r->date));
	CHECK(atom_updated(w, &r->updated));
	if (r->summary != NULL && r->summary[0] != '\0')
		CHECK(html_element(w, "description", r->summary));
	CHECK(xo_element(w, "content", "encoded", r->html));
	for (size_t i = 0; i < r->ntags; i++)
		CHECK(xo_element(w, NULL, "category", r->tags[i]));
	CHECK(enclosure(w, r));
	/*
	 * RSS has no channel author to inherit, so name it on each item; and
	 * one dc:creator for all, as readers show one of several only
	 * (newsboat and feedparser's author the last, sfeed the first). "; "
	 * joins them: a comma is part of names ("Holm & Sundin, AB").
	 */
	if (r->nauthors > 0) {
		char *all = join(r->authors, r->nauthors, "; ");

		if (all == NULL)
			goto out;
		rc = xo_element(w, "dc", "creator", all);
		free(all);
		CHECK(rc);
	} else if (m->author != NULL) {
		CHECK(xo_element(w, "dc", "creator", m->author));
	}
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

int
rss_write(xmlTextWriterPtr w, xmlBufferPtr buf, const struct feed_meta *m,
    const struct feed_doc *d, struct release *const *rs, size_t n,
    struct feed_memo *memo)
{
	struct fp_time updated = xo_feed_updated(m, rs, n);
	char *self = xo_feed_url(m, d->path);
	int rc = -1;

	if (self == NULL)
		goto out;
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"rss"));
	CHECK(xo_attribute(w, "version", "2.0"));
	CHECK(ns(w, "atom", "http://www.w3.org/2005/Atom"));
	CHECK(ns(w, "content", "http://purl.org/rss/1.0/modules/content/"));
	CHECK(ns(w, "dc", "http://purl.org/dc/elements/1.1/"));
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"channel"));
	CHECK(xo_element(w, NULL, "title", d->title != NULL ? d->title :
	    m->title));
	CHECK(xo_element(w, NULL, "link", m->base_url));
	CHECK(html_element(w, "description",
	    m->subtitle != NULL ? m->subtitle : m->title));
	if (m->language != NULL)
		CHECK(xo_element(w, NULL, "language", m->language));
	CHECK(date(w, "lastBuildDate", &updated));
	CHECK(xo_element(w, NULL, "generator", "feedpubd " FEEDPUBD_VERSION));
	CHECK(xmlTextWriterStartElementNS(w, (const xmlChar *)"atom",
	    (const xmlChar *)"link", NULL));
	CHECK(xo_attribute(w, "rel", "self"));
	CHECK(xo_attribute(w, "type", "application/rss+xml"));
	CHECK(xo_attribute(w, "href", self));
	CHECK(xmlTextWriterEndElement(w));
	for (size_t i = 0; i < m->nhubs; i++) {
		CHECK(xmlTextWriterStartElementNS(w, (const xmlChar *)"atom",
		    (const xmlChar *)"link", NULL));
		CHECK(xo_attribute(w, "rel", "hub"));
		CHECK(xo_attribute(w, "href", m->hubs[i]));
		CHECK(xmlTextWriterEndElement(w));
	}
	for (size_t i = 0; i < n; i++)
		CHECK(xo_entry(w, buf, memo, FEED_RSS, 2, item, m, rs[i]));
	CHECK(xmlTextWriterEndElement(w));
	CHECK(xmlTextWriterEndElement(w));
	rc = 0;
out:
	free(self);
	return rc;
}
