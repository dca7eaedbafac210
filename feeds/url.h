/*
 * url: what a valid URL is, decided in one place for the config (base_url,
 * link_template, ping targets) and for releases (link), on libxml2's
 * RFC 3986 parser.
 */
#ifndef FEEDS_URL_H
#define FEEDS_URL_H

/* What url_check_http() lets through besides scheme, host, port, path. */
enum url_allow {
	URL_ALLOW_QUERY = 1 << 0,	/* "?..." */
	URL_ALLOW_FRAGMENT = 1 << 1,	/* "#..." */
	URL_ALLOW_USER = 1 << 2,	/* "user@" */
	URL_ALLOW_IRI = 1 << 3,		/* raw non-ASCII bytes (RFC 3987) */
};

/*
 * NULL when s is an absolute http or https URL ("//" and a host after the
 * scheme, a port of at most 65535, no spaces or control characters) with
 * only the optional parts that flags (enum url_allow) allow. Otherwise a
 * static string saying why not, in an operator's words.
 */
const char *url_check_http(const char *s, unsigned flags);

/*
 * s (which must pass url_check_http(s, flags)) as a client requests it:
 * scheme lower-cased, dot segments removed, an empty path written "/",
 * the host's case, port, query and fragment kept. Returns 0 with *url the
 * caller frees, or -1 (*url NULL) when s is not valid or out of memory.
 */
int url_normalize(const char *s, unsigned flags, char **url);

/*
 * The base URL that documents are served under, from s (which must pass
 * url_check_http(s, 0)): scheme lower-cased, dot segments removed, the path
 * ending in '/'. *url is that URL, *host its host lower-cased (the tag:
 * authority), *path its path. Returns 0 with three strings the caller
 * frees, or -1 (nothing to free) when s is not valid or out of memory.
 */
int url_normalize_base(const char *s, char **url, char **host, char **path);

/*
 * s with every byte outside ASCII percent-encoded (RFC 3987 3.1: an IRI
 * as the URI it maps to; "https://x.example/\xC3\xA5" ->
 * "https://x.example/%C3%A5"). ASCII is kept as it is. A host outside
 * ASCII is encoded likewise, not in Punycode. NULL: out of memory.
 */
char *url_to_uri(const char *s);

/*
 * ref resolved against the absolute URL base (RFC 3986 5.2): "bild.png",
 * "/a", "#top", "//host/x" become absolute; a ref with a scheme
 * ("mailto:...") is kept. Returns 0 with *out the caller frees, or -1
 * (*out NULL) when ref cannot be parsed or out of memory.
 */
int url_resolve(const char *ref, const char *base, char **out);

#endif
