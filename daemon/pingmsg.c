/*
 * pingmsg: see pingmsg.h. XML with libxml2, JSON with jansson, URL
 * encoding with libcurl, HMAC with OpenSSL: nothing escaped by hand.
 */
#include "pingmsg.h"
#include "feeds/xmlstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

char *
pingmsg_websub(const char *topic)
{
	char *t = curl_easy_escape(NULL, topic, 0), *s = NULL;

	if (t == NULL)
		return NULL;
	/* hub.url for PubSubHubbub 0.3 hubs, hub.topic for WebSub ones. */
	if (asprintf(&s, "hub.mode=publish&hub.url=%s&hub.topic=%s", t, t) < 0)
		s = NULL;
	curl_free(t);
	return s;
}


char *
pingmsg_xmlrpc(const char *method, const char *const *params, size_t n)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr call, list;
	xmlChar *mem = NULL;
	char *out = NULL;
	int len = 0;

	if (doc == NULL)
		return NULL;
	call = xmlNewDocNode(doc, NULL, X("methodCall"), NULL);
	xmlDocSetRootElement(doc, call);
	xmlNewTextChild(call, NULL, X("methodName"), X(method));
	list = xmlNewChild(call, NULL, X("params"), NULL);
	for (size_t i = 0; i < n && list != NULL; i++) {
		xmlNodePtr v = xmlNewChild(xmlNewChild(list, NULL, X("param"),
		    NULL), NULL, X("value"), NULL);

		xmlNewTextChild(v, NULL, X("string"), X(params[i]));
	}
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if (mem != NULL)
		out = strndup((const char *)mem, (size_t)len);
	xmlFree(mem);
	xmlFreeDoc(doc);
	return out;
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(n->name, X(name)))
			return n;
	return NULL;
}

/* The member name's value inside a <struct>, or NULL. */
static xmlNodePtr
member(xmlNodePtr strct, const char *name)
{
	for (xmlNodePtr m = strct ? strct->children : NULL; m; m = m->next) {
		xmlNodePtr nm = child(m, "name");
		xmlChar *s;
		int same;

		if (nm == NULL)
			continue;
		s = xmlNodeGetContent(nm);
		same = s != NULL && xmlStrEqual(s, X(name));
		xmlFree(s);
		if (same)
			return child(m, "value");
	}
	return NULL;
}

static char *
content(xmlNodePtr n)
{
	xmlChar *s = n ? xmlNodeGetContent(n) : NULL;
	char *out = s ? strdup((const char *)s) : NULL;

	xmlFree(s);
	return out;
}

enum xmlrpc_result
pingmsg_xmlrpc_result(const char *body, size_t len, char **message)
{
	xmlDocPtr doc = xmlReadMemory(body, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr resp = doc ? xmlDocGetRootElement(doc) : NULL, v;
	enum xmlrpc_result rc = XMLRPC_GARBLED;
	char *fl;

	*message = NULL;
	if (resp == NULL || !xmlStrEqual(resp->name, X("methodResponse")))
		goto out;
	if ((v = child(child(resp, "fault"), "value")) != NULL) {
		*message = content(member(child(v, "struct"), "faultString"));
		rc = XMLRPC_FAULT;
		goto out;
	}
	v = child(child(child(resp, "params"), "param"), "value");
	if (v == NULL)
		goto out;
	v = child(v, "struct");
	*message = content(member(v, "message"));
	fl = content(member(v, "flerror"));
	/* <boolean>1</boolean>; some services answer "true". */
	rc = fl != NULL && (strstr(fl, "1") || strstr(fl, "true")) ?
	    XMLRPC_FLERROR : XMLRPC_OK;
	free(fl);
out:
	xmlFreeDoc(doc);
	return rc;
}

static char *
dump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

char *
pingmsg_entries(struct release *const *rs, size_t n)
{
	json_t *a = json_array();
	char updated[DATE_BUFSZ];

	for (size_t i = 0; i < n && a != NULL; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
		    "id", rs[i]->id, "title", rs[i]->title,
		    "link", rs[i]->link,
		    "updated", date_rfc3339(&rs[i]->updated, updated)));
	return dump(a);
}

char *
pingmsg_entries_merge(const char *older, const char *newer)
{
	json_t *o = older ? json_loads(older, 0, NULL) : NULL;
	json_t *n = json_loads(newer, 0, NULL), *out = json_array();
	size_t i, k;
	json_t *e, *f;

	if (n == NULL || out == NULL) {
		json_decref(o);
		json_decref(n);
		json_decref(out);
		return NULL;
	}
	json_array_extend(out, n);
	json_array_foreach(o, i, e) {
		const char *id = json_string_value(json_object_get(e, "id"));
		int dup = 0;

		json_array_foreach(n, k, f)
			dup |= id && json_equal(json_object_get(f, "id"),
			    json_object_get(e, "id"));
		if (!dup)
			json_array_append(out, e);
	}
	json_decref(o);
	json_decref(n);
	return dump(out);
}

char *
pingmsg_webhook(const char *feed_name, const char *feed_url,
    const char *entries, const char *delivery)
{
	json_t *e = json_loads(entries, 0, NULL);

	if (e == NULL)
		e = json_array();
	return dump(json_pack("{s:s, s:s, s:o, s:s*}", "feed", feed_name,
	    "url", feed_url, "entries", e, "delivery", delivery));
}

char *
pingmsg_signature(const char *secret, const char *body, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *s;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, len, mac, &n) == NULL)
		return NULL;
	if ((s = malloc(7 + 2 * n + 1)) == NULL)
		return NULL;
	memcpy(s, "sha256=", 7);
	for (unsigned int i = 0; i < n; i++)
		snprintf(s + 7 + 2 * i, 3, "%02x", mac[i]);
	return s;
}
