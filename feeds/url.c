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
char *
url_to_uri(const char *s)
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
	if (!ascii && (uri = url_to_uri(s)) == NULL)
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

/*
 * u's path with dot segments removed, starting with '/' and, when dir is
 * true, ending in one. NULL: out of memory.
 */
static char *
norm_path(const xmlURI *u, bool dir)
{
	size_t n = u->path != NULL ? strlen(u->path) : 0;
	/* Room for a '/' at either end; xmlNormalizeURIPath works in place. */
	char *p = malloc(n + 3);

	if (p == NULL)
		return NULL;
	snprintf(p, n + 3, "%s%s", n > 0 && u->path[0] == '/' ? "" : "/",
	    n > 0 ? u->path : "");
	xmlNormalizeURIPath(p);
	if (p[0] == '\0')
		strcpy(p, "/");
	else if (dir && p[strlen(p) - 1] != '/')
		strcat(p, "/");
	return p;
}

/*
 * u written out with the scheme lower-cased and path as its path; the host
 * keeps its case. NULL: out of memory.
 */
static char *
render(const xmlURI *u, const char *path)
{
	char *scheme = strdup(u->scheme), *s;
	char port[16] = "";
	const char *user = u->user, *query = u->query_raw, *frag = u->fragment;

	if (scheme == NULL)
		return NULL;
	lower(scheme);
	if (u->port > 0)
		snprintf(port, sizeof(port), ":%d", u->port);
	if (asprintf(&s, "%s://%s%s%s%s%s%s%s%s%s", scheme,
	    user != NULL ? user : "", user != NULL ? "@" : "", u->server,
	    port, path, query != NULL ? "?" : "", query != NULL ? query : "",
	    frag != NULL ? "#" : "", frag != NULL ? frag : "") < 0)
		s = NULL;
	free(scheme);
	return s;
}

int
url_normalize(const char *s, unsigned flags, char **url)
{
	xmlURIPtr u;
	char *p;

	*url = NULL;
	if (parse(s, flags, &u) != NULL)
		return -1;
	if ((p = norm_path(u, false)) != NULL)
		*url = render(u, p);
	free(p);
	xmlFreeURI(u);
	return *url != NULL ? 0 : -1;
}

int
url_normalize_base(const char *s, char **url, char **host, char **path)
{
	xmlURIPtr u;
	char *p = NULL, *h = NULL;
	int ret = -1;

	*url = *host = *path = NULL;
	if (parse(s, 0, &u) != NULL)
		return -1;
	if ((p = norm_path(u, true)) == NULL ||
	    (h = strdup(u->server)) == NULL ||
	    (*url = render(u, p)) == NULL)
		goto out;
	lower(h);
	/* As before the tag: ids were built from it: brackets kept. */
	*host = h;
	*path = p;
	h = p = NULL;
	ret = 0;
out:
	xmlFreeURI(u);
	free(p);
	free(h);
	return ret;
}

int
url_resolve(const char *ref, const char *base, char **out)
{
	xmlChar *u = xmlBuildURI((const xmlChar *)ref, (const xmlChar *)base);

	*out = NULL;
	if (u == NULL)
		return -1;
	*out = strdup((const char *)u);
	xmlFree(u);
	return *out != NULL ? 0 : -1;
}
