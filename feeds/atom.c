/*
 * atom: an Atom 1.0 feed (RFC 4287) through xmlTextWriter.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tombstone.h"
#include "xmlout.h"

#define ATOM_NS "http://www.w3.org/2005/Atom"
#define FH_NS "http://purl.org/syndication/history/1.0"
#define AT_NS "http://purl.org/atompub/tombstones/1.0"

static int
link(xmlTextWriterPtr w, const char *rel, const char *type, const char *href)
{
	if (xmlTextWriterStartElement(w, (const xmlChar *)"link") < 0 ||
	    xo_attribute(w, "rel", rel) < 0 ||
	    (type != NULL && xo_attribute(w, "type", type) < 0) ||
	    xo_attribute(w, "href", href) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

static int
date(xmlTextWriterPtr w, const char *name, const struct fp_time *t)
{
	char buf[DATE_BUFSZ];

	return xo_element(w, NULL, name, date_rfc3339(t, buf));
}

static int
person(xmlTextWriterPtr w, const char *name)
{
	if (xmlTextWriterStartElement(w, (const xmlChar *)"author") < 0 ||
	    xo_element(w, NULL, "name", name) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/* A contact with an e-mail address: atom:contributor (RFC 4287 3.2). */
static int
contributor(xmlTextWriterPtr w, const struct contact *c)
{
	if (xmlTextWriterStartElement(w, (const xmlChar *)"contributor") < 0 ||
	    xo_element(w, NULL, "name", c->name != NULL ? c->name :
	    c->organisation) < 0 ||
	    xo_element(w, NULL, "email", c->email) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

static int
typed(xmlTextWriterPtr w, const char *name, const char *type, const char *s)
{
	if (xmlTextWriterStartElement(w, (const xmlChar *)name) < 0 ||
	    xo_attribute(w, "type", type) < 0 || xo_string(w, s) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/* A link to the document at path (relative to base_url). */
static int
doc_link(xmlTextWriterPtr w, const struct feed_meta *m, const char *rel,
    const char *path)
{
	char *url = xo_feed_url(m, path);
	int rc = url == NULL ? -1 : link(w, rel, "application/atom+xml", url);

	free(url);
	return rc;
}

/* RFC 5005 section 4: the archive links, and fh:archive in an archive. */
static int
history(xmlTextWriterPtr w, const struct feed_meta *m,
    const struct feed_doc *d)
{
	if (d->current != NULL && doc_link(w, m, "current", d->current) < 0)
		return -1;
	if (d->prev_archive != NULL && doc_link(w, m, "prev-archive",
	    d->prev_archive) < 0)
		return -1;
	if (d->next_archive != NULL && doc_link(w, m, "next-archive",
	    d->next_archive) < 0)
		return -1;
	if (!d->archive)
		return 0;
	if (xmlTextWriterStartElementNS(w, (const xmlChar *)"fh",
	    (const xmlChar *)"archive", (const xmlChar *)FH_NS) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/*
 * RFC 6721: <at:deleted-entry ref when/>. Before the entries: RFC 4287's
 * schema has a feed's extension elements ahead of its entries.
 */
static int
tombstones(xmlTextWriterPtr w, const struct feed_doc *d)
{
	for (size_t i = 0; i < d->ntombs; i++) {
		struct fp_time t = date_from_epoch(d->tombs[i].when);
		char buf[DATE_BUFSZ];

		if (xmlTextWriterStartElementNS(w, (const xmlChar *)"at",
		    (const xmlChar *)"deleted-entry", (const xmlChar *)AT_NS) <
		    0 || xo_attribute(w, "ref", d->tombs[i].ref) < 0 ||
		    xo_attribute(w, "when", date_rfc3339(&t, buf)) < 0 ||
		    xmlTextWriterEndElement(w) < 0)
			return -1;
	}
	return 0;
}

/* RFC 4287 4.2.7.2: rel="enclosure", length when known. */
static int
enclosures(xmlTextWriterPtr w, const struct release *r)
{
	const struct media *md;
	char len[24];

	for (size_t i = 0; (md = release_medium(r, i)) != NULL; i++) {
		CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"link"));
		CHECK(xo_attribute(w, "rel", "enclosure"));
		CHECK(xo_attribute(w, "type", md->mime));
		CHECK(xo_attribute(w, "href", md->url));
		snprintf(len, sizeof(len), "%lld", (long long)md->size);
		if (md->size >= 0)
			CHECK(xo_attribute(w, "length", len));
		if (md->title != NULL || md->caption != NULL)
			CHECK(xo_attribute(w, "title", md->title != NULL ?
			    md->title : md->caption));
		CHECK(xmlTextWriterEndElement(w));
	}
	return 0;
out:
	return -1;
}

static int
entry(xmlTextWriterPtr w, const struct feed_meta *m, const struct release *r)
{
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"entry"));
	if (r->lang != NULL && (m->language == NULL ||
	    strcmp(r->lang, m->language) != 0))
		CHECK(xo_attribute(w, "xml:lang", r->lang));
	CHECK(xo_element(w, NULL, "id", r->id));
	CHECK(typed(w, "title", "text", r->title));
	CHECK(date(w, "updated", &r->updated));
	CHECK(date(w, "published", &r->date));
	CHECK(link(w, "alternate", "text/html", r->link));
	CHECK(enclosures(w, r));
	/*
	 * Atom lets entries inherit the feed's author, but readers (newsboat,
	 * feedparser) show an entry's own only: name it on every entry.
	 */
	for (size_t i = 0; i < r->nauthors; i++)
		CHECK(person(w, r->authors[i]));
	if (r->nauthors == 0)
		CHECK(person(w, m->author != NULL ? m->author : m->title));
	for (size_t i = 0; i < r->ncontacts; i++)
		if (r->contacts[i].email != NULL)
			CHECK(contributor(w, &r->contacts[i]));
	for (size_t i = 0; i < r->ntags; i++) {
		CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"category"));
		CHECK(xo_attribute(w, "term", r->tags[i]));
		CHECK(xmlTextWriterEndElement(w));
	}
	/*
	 * Only the editor's own summary: readers that prefer summary to
	 * content (rss2email) would show just the first paragraph.
	 */
	if (r->has_summary && r->summary != NULL && r->summary[0] != '\0')
		CHECK(typed(w, "summary", "text", r->summary));
	/* Links in it are absolute already; xml:base says against what. */
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"content"));
	CHECK(xo_attribute(w, "type", "html"));
	CHECK(xo_attribute(w, "xml:base", r->link));
	CHECK(xo_string(w, r->html));
	CHECK(xmlTextWriterEndElement(w));
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

int
atom_write(xmlTextWriterPtr w, xmlBufferPtr buf, const struct feed_meta *m,
    const struct feed_doc *d, struct release *const *rs, size_t n,
    struct feed_memo *memo)
{
	struct fp_time updated = xo_feed_updated(m, rs, n);
	char *id = xo_feed_id(m, d->id_part), *self = xo_feed_url(m, d->path);
	int rc = -1;

	if (id == NULL || self == NULL)
		goto out;
	CHECK(xmlTextWriterStartElementNS(w, NULL, (const xmlChar *)"feed",
	    (const xmlChar *)ATOM_NS));
	if (m->language != NULL)
		CHECK(xo_attribute(w, "xml:lang", m->language));
	CHECK(xo_element(w, NULL, "id", id));
	CHECK(typed(w, "title", "text", d->title != NULL ? d->title :
	    m->title));
	if (m->subtitle != NULL)
		CHECK(typed(w, "subtitle", "text", m->subtitle));
	CHECK(date(w, "updated", &updated));
	/* Some readers take the first link for the site's: alternate first. */
	CHECK(link(w, "alternate", "text/html", m->base_url));
	CHECK(link(w, "self", "application/atom+xml", self));
	CHECK(history(w, m, d));
	/* WebSub discovery: the hubs sit beside rel="self". */
	for (size_t i = 0; i < m->nhubs; i++)
		CHECK(link(w, "hub", NULL, m->hubs[i]));
	/* RFC 4287 wants an author on the feed or on every entry. */
	CHECK(person(w, m->author != NULL ? m->author : m->title));
	CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"generator"));
	CHECK(xo_attribute(w, "version", FEEDPUBD_VERSION));
	CHECK(xo_string(w, "feedpubd"));
	CHECK(xmlTextWriterEndElement(w));
	CHECK(tombstones(w, d));
	for (size_t i = 0; i < n; i++)
		CHECK(xo_entry(w, buf, memo, FEED_ATOM, 1, entry, m, rs[i]));
	CHECK(xmlTextWriterEndElement(w));
	rc = 0;
out:
	free(id);
	free(self);
	return rc;
}
