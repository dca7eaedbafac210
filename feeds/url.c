/*
 * url: see url.h.
 */
#include "url.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/uri.h>

/*
 * libxml2 takes no raw non-ASCII bytes; an IRI is checked as the URI it
 * maps to (RFC 3987 3.1: each such byte percent-encoded). NULL: no memory.
 */
static char *
iri_to_uri(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	char *out, *o;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += *p >= 0x80 ? 3 : 1;
	if ((out = o = malloc(n + 1)) == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '%';
		*o++ = hex[*p >> 4];
		*o++ = hex[*p & 15];
	}
	*o = '\0';
	return out;
}

/* The words for what is wrong with u (parsed from s), or NULL. */
static const char *
judge(const xmlURI *u, const char *s, unsigned flags)
{
	const char *rest = strstr(s, "://");

	if (u->scheme == NULL || (strcasecmp(u->scheme, "http") != 0 &&
	    strcasecmp(u->scheme, "https") != 0))
		return "not an http:// or https:// URL";
	/* "http:/host" parses as a path; a feed reader wants a host. */
	if (rest == NULL || rest != s + strlen(u->scheme))
		return "not an absolute URL (write it as https://host/path/)";
	if (u->server == NULL || u->server[0] == '\0')
		return "no host";
	if (u->port > 65535)
		return "the port is out of range (1..65535)";
	if (u->user != NULL && !(flags & URL_ALLOW_USER))
		return "user info is not allowed";
	if (u->query_raw != NULL && !(flags & URL_ALLOW_QUERY))
		return "a query ('?') is not allowed";
	if (u->fragment != NULL && !(flags & URL_ALLOW_FRAGMENT))
		return "a fragment ('#') is not allowed";
	return NULL;
}

/* Parse s (raw: escapes kept) after the checks libxml2 does not make. */
static const char *
parse(const char *s, unsigned flags, xmlURIPtr *out)
{
	char *uri = NULL;
	const char *why = NULL;
	bool ascii = true;

	*out = NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == ' ')
			return "spaces are not allowed in a URL (a comment "
			    "after a value starts with ' ;')";
		if (*p < 0x20 || *p == 0x7f)
			return "control characters are not allowed in a URL";
		ascii &= *p < 0x80;
	}
	if (!ascii && !(flags & URL_ALLOW_IRI))
		return "non-ASCII characters must be percent-encoded in a "
		    "URL (%C3%A5 for \xC3\xA5)";
	if (strstr(s, "://") == NULL)
		return "not an absolute URL (write it as https://host/path/)";
	if (!ascii && (uri = iri_to_uri(s)) == NULL)
		return "out of memory";
	if ((*out = xmlParseURIRaw(uri != NULL ? uri : s, 1)) == NULL)
		why = "not a valid URL (check the characters after the host)";
	else if ((why = judge(*out, uri != NULL ? uri : s, flags)) != NULL) {
		xmlFreeURI(*out);
		*out = NULL;
	}
	free(uri);
	return why;
}

const char *
url_check_http(const char *s, unsigned flags)
{
	xmlURIPtr u;
	const char *why = parse(s, flags, &u);

	xmlFreeURI(u);
	return why;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
url_normalize_base(const char *s, char **url, char **host, char **path)
{
	xmlURIPtr u;
	char *p = NULL, *h = NULL, *scheme = NULL, *server;
	size_t n;
	int ret = -1;

	*url = *host = *path = NULL;
	if (parse(s, 0, &u) != NULL)
		return -1;
	server = u->server;
	n = u->path != NULL ? strlen(u->path) : 0;
	/* Room for a '/' at either end; xmlNormalizeURIPath works in place. */
	if ((p = malloc(n + 3)) == NULL || (h = strdup(server)) == NULL ||
	    (scheme = strdup(u->scheme)) == NULL)
		goto out;
	snprintf(p, n + 3, "%s%s", n > 0 && u->path[0] == '/' ? "" : "/",
	    n > 0 ? u->path : "");
	xmlNormalizeURIPath(p);
	if (p[0] == '\0' || p[strlen(p) - 1] != '/')
		strcat(p, "/");
	lower(scheme);
	lower(h);
	if ((u->port > 0 ? asprintf(url, "%s://%s:%d%s", scheme, server,
	    u->port, p) : asprintf(url, "%s://%s%s", scheme, server, p)) < 0) {
		*url = NULL;
		goto out;
	}
	/* As before the tag: ids were built from it: brackets kept. */
	*host = h;
	*path = p;
	h = p = NULL;
	ret = 0;
out:
	xmlFreeURI(u);
	free(p);
	free(h);
	free(scheme);
	return ret;
}
