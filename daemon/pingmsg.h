/*
 * pingmsg: the bodies of outgoing pings and the parsing of their answers.
 * No I/O. Every returned string is malloc'd, owned by the caller, and NULL
 * means out of memory (or, for parsers, what the comment says).
 */
#ifndef DAEMON_PINGMSG_H
#define DAEMON_PINGMSG_H

#include <stddef.h>

#include "feeds/release.h"

/* WebSub publish form: hub.mode=publish&hub.url=TOPIC&hub.topic=TOPIC. */
char *pingmsg_websub(const char *topic);

/* An XML-RPC methodCall with string parameters (libxml2). */
char *pingmsg_xmlrpc(const char *method, const char *const *params,
    size_t n);

enum xmlrpc_result {
	XMLRPC_OK,		/* flerror false (or absent) */
	XMLRPC_FLERROR,		/* flerror true: the service refused */
	XMLRPC_FAULT,		/* a <fault>: e.g. no such method */
	XMLRPC_GARBLED,		/* not an XML-RPC response */
};

/* Read a weblogUpdates response; *message gets its text (may be NULL). */
enum xmlrpc_result pingmsg_xmlrpc_result(const char *body, size_t len,
    char **message);

/*
 * The entries of a webhook, as a JSON array of {id, title, link, updated}.
 * pingmsg_entries_merge() adds the entries of newer to older, a newer
 * entry replacing an older one with the same id (older may be NULL).
 */
char *pingmsg_entries(struct release *const *rs, size_t n);
char *pingmsg_entries_merge(const char *older, const char *newer);

/*
 * The webhook body: {"feed": name, "url": feed URL, "entries": [...],
 * "delivery": id}, without "delivery" when delivery is NULL.
 */
char *pingmsg_webhook(const char *feed_name, const char *feed_url,
    const char *entries, const char *delivery);

/* "sha256=" + the hex HMAC-SHA256 of body under secret. */
char *pingmsg_signature(const char *secret, const char *body, size_t len);

#endif
