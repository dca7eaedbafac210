/*
 * xslmemo: fp:memo (see xslmemo.h). A page's shared parts cost more in
 * libxslt than they look: an attribute value template is an XPath
 * evaluation and a string built, and libxml2's HTML serialiser encodes
 * every attribute twice over (entities, then URI escapes for href). A
 * release page with its sub-feeds' links was 37 % of its transform in
 * them; made once, each is a lookup and a copy.
 */
#include "xslmemo.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLtree.h>
#include <libxml/parserInternals.h>
#include <libxml/xpathInternals.h>
#include <libxslt/extensions.h>
#include <libxslt/imports.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>

#include "pages.h"

#define MAX_DEPTH	64	/* of a key's subtree; deeper: not kept */

/* What the compiler made of one fp:memo element. */
struct comp {
	xsltElemPreComp base;	/* first: libxslt frees it through it */
	xmlXPathCompExprPtr select, with;
	const xmlChar *mode, *mode_uri;
	xmlNsPtr *ns;		/* in scope, for the XPath expressions */
	int nns;
};

/* One kept output: its key and its bytes, in one allocation. */
struct entry {
	struct entry *next;
	uint64_t hash;
	size_t klen;
	const unsigned char *key;
	const xmlChar *html;
};

struct xslmemo {
	pthread_mutex_t mu;
	struct entry **slot;
	size_t nslots, n, bytes, max;
	size_t hits, misses;
};

/* ---- the store ---------------------------------------------------------- */

struct xslmemo *
xslmemo_new(size_t max_bytes)
{
	struct xslmemo *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->nslots = 256;
	if ((m->slot = calloc(m->nslots, sizeof(*m->slot))) == NULL ||
	    pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m->slot);
		free(m);
		return NULL;
	}
	m->max = max_bytes;
	return m;
}

static void
clear(struct xslmemo *m)
{
	for (size_t i = 0; i < m->nslots; i++) {
		struct entry *e = m->slot[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		m->slot[i] = NULL;
	}
	m->n = m->bytes = 0;
}

void
xslmemo_free(struct xslmemo *m)
{
	if (m == NULL)
		return;
	clear(m);
	free(m->slot);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void
xslmemo_counts(struct xslmemo *m, size_t *hits, size_t *misses)
{
	pthread_mutex_lock(&m->mu);
	*hits = m->hits;
	*misses = m->misses;
	pthread_mutex_unlock(&m->mu);
}

/* Under m->mu. */
static struct entry *
find(struct xslmemo *m, uint64_t h, const unsigned char *key, size_t klen)
{
	struct entry *e = m->slot[h & (m->nslots - 1)];

	for (; e != NULL; e = e->next)
		if (e->hash == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

/* Under m->mu: keep html under key (out of memory: not kept). */
static void
add(struct xslmemo *m, uint64_t h, const unsigned char *key, size_t klen,
    const xmlChar *html, size_t hlen)
{
	size_t size = sizeof(struct entry) + klen + hlen + 1;
	struct entry *e;

	if (find(m, h, key, klen) != NULL || size > m->max)
		return;
	if (m->bytes + size > m->max)
		clear(m);
	if (m->n >= m->nslots) {
		struct entry **s = calloc(m->nslots * 2, sizeof(*s));

		if (s != NULL) {
			for (size_t i = 0; i < m->nslots; i++)
				while (m->slot[i] != NULL) {
					struct entry *x = m->slot[i];

					m->slot[i] = x->next;
					x->next = s[x->hash & (m->nslots * 2 -
					    1)];
					s[x->hash & (m->nslots * 2 - 1)] = x;
				}
			free(m->slot);
			m->slot = s;
			m->nslots *= 2;
		}
	}
	if ((e = malloc(size)) == NULL)
		return;
	e->hash = h;
	e->klen = klen;
	e->key = (unsigned char *)(e + 1);
	memcpy((unsigned char *)(e + 1), key, klen);
	e->html = (xmlChar *)(e + 1) + klen;
	memcpy((xmlChar *)(e + 1) + klen, html, hlen + 1);
	e->next = m->slot[h & (m->nslots - 1)];
	m->slot[h & (m->nslots - 1)] = e;
	m->n++;
	m->bytes += size;
}

/* ---- keys: a node's subtree, unambiguous (every string with its length) */

struct key {
	unsigned char *buf;
	size_t len, cap;
	bool bad;		/* out of memory or too deep: keep nothing */
};

/* Grow k for n more bytes; false (and k->bad) when it cannot. */
static bool
kgrow(struct key *k, size_t n)
{
	size_t cap = k->cap ? k->cap : 1024;
	unsigned char *b;

	if (k->bad)
		return false;
	while (cap - k->len < n)
		cap *= 2;
	if ((b = realloc(k->buf, cap)) == NULL) {
		k->bad = true;
		return false;
	}
	k->buf = b;
	k->cap = cap;
	return true;
}

static inline void
kput(struct key *k, const void *data, size_t n)
{
	if (k->cap - k->len < n && !kgrow(k, n))
		return;
	memcpy(k->buf + k->len, data, n);
	k->len += n;
}

/* A tag, the length, the bytes. */
static inline void
kstr(struct key *k, char tag, const xmlChar *s)
{
	size_t n = s != NULL ? strlen((const char *)s) : 0;
	uint32_t n32 = (uint32_t)n;

	if (n > UINT32_MAX) {
		k->bad = true;
		return;
	}
	if (k->cap - k->len < n + 5 && !kgrow(k, n + 5))
		return;
	k->buf[k->len] = (unsigned char)tag;
	memcpy(k->buf + k->len + 1, &n32, 4);
	if (n > 0)
		memcpy(k->buf + k->len + 5, s, n);
	k->len += n + 5;
}

static void
knode(struct key *k, xmlNodePtr n, int depth)
{
	if (depth > MAX_DEPTH) {
		k->bad = true;
		return;
	}
	switch (n->type) {
	case XML_ELEMENT_NODE:
		kstr(k, 'E', n->name);
		kstr(k, 'N', n->ns != NULL ? n->ns->href : NULL);
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
			knode(k, (xmlNodePtr)a, depth + 1);
		for (xmlNodePtr c = n->children; c != NULL; c = c->next)
			knode(k, c, depth + 1);
		kput(k, "e", 1);
		break;
	case XML_ATTRIBUTE_NODE:
		kstr(k, 'A', n->name);
		kstr(k, 'N', n->ns != NULL ? n->ns->href : NULL);
		for (xmlNodePtr c = n->children; c != NULL; c = c->next)
			knode(k, c, depth + 1);
		kput(k, "a", 1);
		break;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		kstr(k, n->name == xmlStringTextNoenc ? 'R' : 'T', n->content);
		break;
	case XML_DOCUMENT_NODE:
	case XML_HTML_DOCUMENT_NODE:
		kput(k, "D", 1);
		for (xmlNodePtr c = n->children; c != NULL; c = c->next)
			knode(k, c, depth + 1);
		break;
	case XML_NAMESPACE_DECL:	/* an xmlNs, not an xmlNode */
		kstr(k, 'S', ((xmlNsPtr)n)->prefix);
		kstr(k, 'H', ((xmlNsPtr)n)->href);
		break;
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
	case XML_ENTITY_REF_NODE:
		kstr(k, (char)('0' + n->type), n->name);
		kstr(k, 'C', n->content);
		break;
	default:		/* nothing a view has: not kept */
		k->bad = true;
		break;
	}
}

/* ---- the instruction ---------------------------------------------------- */

static void
comp_free(xsltElemPreCompPtr base)
{
	struct comp *c = (struct comp *)base;

	xmlXPathFreeCompExpr(c->select);
	xmlXPathFreeCompExpr(c->with);
	xmlFree(c->ns);
	free(c);
}

static xmlXPathCompExprPtr
compile_attr(xsltStylesheetPtr style, xmlNodePtr inst, const char *name)
{
	xmlChar *s = xmlGetNoNsProp(inst, (const xmlChar *)name);
	xmlXPathCompExprPtr e;

	if (s == NULL)
		return NULL;
	if ((e = xsltXPathCompile(style, s)) == NULL) {
		xsltTransformError(NULL, style, inst,
		    "fp:memo: cannot compile %s=\"%s\"\n", name, s);
		style->errors++;
	}
	xmlFree(s);
	return e;
}

static xsltElemPreCompPtr
memo_compile(xsltStylesheetPtr style, xmlNodePtr inst,
    xsltTransformFunction function)
{
	struct comp *c = calloc(1, sizeof(*c));
	xmlChar *mode;

	if (c == NULL) {
		xsltTransformError(NULL, style, inst,
		    "fp:memo: out of memory\n");
		style->errors++;
		return NULL;
	}
	xsltInitElemPreComp(&c->base, style, inst, function, comp_free);
	if ((c->select = compile_attr(style, inst, "select")) == NULL &&
	    xmlHasNsProp(inst, (const xmlChar *)"select", NULL) == NULL) {
		xsltTransformError(NULL, style, inst,
		    "fp:memo: the select attribute is missing\n");
		style->errors++;
	}
	c->with = compile_attr(style, inst, "with");
	if ((mode = xmlGetNoNsProp(inst, (const xmlChar *)"mode")) != NULL) {
		c->mode = xmlDictLookup(style->dict, mode, -1);
		xmlFree(mode);
		c->mode_uri = xsltGetQNameURI2(style, inst, &c->mode);
	}
	if ((c->ns = xmlGetNsList(inst->doc, inst)) != NULL)
		while (c->ns[c->nns] != NULL)
			c->nns++;
	return &c->base;
}

/* The node set of e from node, or NULL (an error given). */
static xmlXPathObjectPtr
eval(xsltTransformContextPtr ctxt, const struct comp *c,
    xmlXPathCompExprPtr e, xmlNodePtr node, xmlNodePtr inst)
{
	xmlXPathContextPtr xp = ctxt->xpathCtxt;
	xmlXPathObjectPtr res;

	xp->node = node;
	xp->namespaces = c->ns;
	xp->nsNr = c->nns;
	res = xmlXPathCompiledEval(e, xp);
	if (res == NULL || res->type != XPATH_NODESET) {
		xsltTransformError(ctxt, NULL, inst,
		    "fp:memo: select and with must be node sets\n");
		ctxt->state = XSLT_STATE_STOPPED;
		xmlXPathFreeObject(res);
		return NULL;
	}
	return res;
}

/* Can kept bytes stand for the nodes here? (See xslmemo.h.) */
static bool
keepable(xsltTransformContextPtr ctxt, xmlNodePtr insert)
{
	const xmlChar *enc;
	int indent;

	if (ctxt->_private == NULL || ctxt->type != XSLT_OUTPUT_HTML ||
	    ctxt->output == NULL ||
	    ctxt->output->type != XML_HTML_DOCUMENT_NODE || insert == NULL ||
	    insert->type != XML_ELEMENT_NODE ||
	    xmlStrcasecmp(insert->name, (const xmlChar *)"script") == 0 ||
	    xmlStrcasecmp(insert->name, (const xmlChar *)"style") == 0)
		return false;
	XSLT_GET_IMPORT_INT(indent, ctxt->style, indent);
	XSLT_GET_IMPORT_PTR(enc, ctxt->style, encoding);
	return indent == 0 && (enc == NULL ||
	    xmlStrcasecmp(enc, (const xmlChar *)"UTF-8") == 0);
}

/* No namespace anywhere in what the templates wrote. */
static bool
plain(xmlNodePtr n)
{
	for (; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && (n->ns != NULL ||
		    n->nsDef != NULL || !plain(n->children)))
			return false;
	return true;
}

/*
 * Apply the templates to cur into a box of its own, then either keep
 * and copy their bytes, or move the nodes to insert as they are.
 */
static void
make(xsltTransformContextPtr ctxt, struct xslmemo *m, xmlNodePtr cur,
    xmlNodePtr insert, xmlNodePtr inst, const struct key *k, uint64_t h)
{
	xmlNodePtr box = xmlNewDocNode(ctxt->output, NULL,
	    (const xmlChar *)"div", NULL), c, next;
	xmlOutputBufferPtr out;

	if (box == NULL) {
		xsltTransformError(ctxt, NULL, inst,
		    "fp:memo: out of memory\n");
		ctxt->state = XSLT_STATE_STOPPED;
		return;
	}
	ctxt->insert = box;
	xsltProcessOneNode(ctxt, cur, NULL);
	ctxt->insert = insert;
	/* Its last text was in the box: none to append to now. */
	ctxt->lasttext = NULL;
	if (box->properties != NULL || box->nsDef != NULL) {
		xsltTransformError(ctxt, NULL, inst, "fp:memo: its templates "
		    "may not add attributes or namespaces to the element "
		    "around it\n");
		ctxt->state = XSLT_STATE_STOPPED;
	}
	if (ctxt->state != XSLT_STATE_OK) {
		xmlFreeNode(box);
		return;
	}
	if (!k->bad && plain(box->children) &&
	    (out = xmlAllocOutputBuffer(NULL)) != NULL) {
		for (c = box->children; c != NULL; c = c->next)
			htmlNodeDumpFormatOutput(out, ctxt->output, c, NULL, 0);
		if (out->error == 0) {
			const xmlChar *html = xmlOutputBufferGetContent(out);
			size_t len = xmlOutputBufferGetSize(out);

			pthread_mutex_lock(&m->mu);
			add(m, h, k->buf, k->len, html, len);
			pthread_mutex_unlock(&m->mu);
			if (len > 0)
				xsltCopyTextString(ctxt, insert, html, 1);
			xmlOutputBufferClose(out);
			xmlFreeNode(box);
			return;
		}
		xmlOutputBufferClose(out);
	}
	for (c = box->children; c != NULL; c = next) {
		next = c->next;
		xmlUnlinkNode(c);
		if (xmlAddChild(insert, c) == NULL)
			xmlFreeNode(c);
	}
	xmlFreeNode(box);
}

static void
memo_run(xsltTransformContextPtr ctxt, xmlNodePtr node, xmlNodePtr inst,
    xsltElemPreCompPtr base)
{
	const struct comp *c = (const struct comp *)base;
	struct xslmemo *m = ctxt->_private;
	xmlXPathContextPtr xp = ctxt->xpathCtxt;
	xmlXPathObjectPtr sel = NULL, with = NULL;
	xmlNodePtr insert = ctxt->insert, old_node = ctxt->node;
	xmlNodePtr old_xpnode = xp->node;
	xmlNodeSetPtr old_list = ctxt->nodeList, list;
	const xmlChar *old_mode = ctxt->mode, *old_uri = ctxt->modeURI;
	xmlDocPtr old_doc = xp->doc;
	xmlNsPtr *old_ns = xp->namespaces;
	int old_nns = xp->nsNr, old_pos = xp->proximityPosition;
	int old_size = xp->contextSize;
	struct key k = { 0 };
	size_t base_len;
	bool keep;

	if (c == NULL || c->select == NULL ||
	    (sel = eval(ctxt, c, c->select, node, inst)) == NULL ||
	    (c->with != NULL &&
	    (with = eval(ctxt, c, c->with, node, inst)) == NULL))
		goto out;
	list = sel->nodesetval;
	keep = keepable(ctxt, insert);
	if (keep) {
		/* The instruction, then what with selects: in every key. */
		kput(&k, &inst, sizeof(inst));
		for (int i = 0; with != NULL && with->nodesetval != NULL &&
		    i < with->nodesetval->nodeNr; i++)
			knode(&k, with->nodesetval->nodeTab[i], 0);
		kput(&k, "|", 1);
		keep = !k.bad;	/* a part of the key missing: none */
	}
	base_len = k.len;
	ctxt->mode = c->mode;
	ctxt->modeURI = c->mode_uri;
	ctxt->nodeList = list;
	xp->contextSize = list != NULL ? list->nodeNr : 0;
	for (int i = 0; list != NULL && i < list->nodeNr &&
	    ctxt->state == XSLT_STATE_OK; i++) {
		xmlNodePtr cur = list->nodeTab[i];
		struct entry *e;
		uint64_t h;

		ctxt->node = cur;
		if (cur->type != XML_NAMESPACE_DECL && cur->doc != NULL)
			xp->doc = cur->doc;
		xp->proximityPosition = i + 1;
		if (!keep || cur->type == XML_NAMESPACE_DECL) {
			xsltProcessOneNode(ctxt, cur, NULL);
			continue;
		}
		k.len = base_len;
		knode(&k, cur, 0);
		if (k.bad) {
			xsltProcessOneNode(ctxt, cur, NULL);
			k.bad = false;
			continue;
		}
		h = pages_hash(k.buf, k.len);
		pthread_mutex_lock(&m->mu);
		if ((e = find(m, h, k.buf, k.len)) != NULL) {
			m->hits++;
			/* Copied under the lock: a full store is cleared. */
			if (e->html[0] != '\0')
				xsltCopyTextString(ctxt, insert, e->html, 1);
			pthread_mutex_unlock(&m->mu);
			continue;
		}
		m->misses++;
		pthread_mutex_unlock(&m->mu);
		make(ctxt, m, cur, insert, inst, &k, h);
	}
out:
	free(k.buf);
	xmlXPathFreeObject(sel);
	xmlXPathFreeObject(with);
	ctxt->insert = insert;
	ctxt->node = old_node;
	ctxt->nodeList = old_list;
	ctxt->mode = old_mode;
	ctxt->modeURI = old_uri;
	xp->node = old_xpnode;
	xp->doc = old_doc;
	xp->namespaces = old_ns;
	xp->nsNr = old_nns;
	xp->proximityPosition = old_pos;
	xp->contextSize = old_size;
}

void
xslmemo_attach(xsltTransformContextPtr ctx, struct xslmemo *m)
{
	ctx->_private = m;
}

static void
register_once(void)
{
	xsltRegisterExtModuleElement((const xmlChar *)"memo",
	    (const xmlChar *)XSLMEMO_NS, memo_compile, memo_run);
}

void
xslmemo_register(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_once);
}
