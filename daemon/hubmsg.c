/*
 * hubmsg: see hubmsg.h.
 */
#include "hubmsg.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "feeds/url.h"
#include "httpmsg.h"

/* Decode s[0..n) in place into out (at most n bytes, NUL-terminated). */
static int
form_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = httpmsg_hexval(s[i + 1])) < 0 ||
			    (lo = httpmsg_hexval(s[i + 2])) < 0 ||
			    (hi == 0 && lo == 0))
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			return -1;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return 0;
}

int
hubmsg_parse(const char *body, size_t len, struct hub_form *f)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "hub.mode", offsetof(struct hub_form, mode) },
		{ "hub.callback", offsetof(struct hub_form, callback) },
		{ "hub.topic", offsetof(struct hub_form, topic) },
		{ "hub.lease_seconds", offsetof(struct hub_form, lease) },
		{ "hub.secret", offsetof(struct hub_form, secret) },
		{ "hub.verify", offsetof(struct hub_form, verify) },
		{ "hub.verify_token", offsetof(struct hub_form, verify_token) },
	};
	/* Each pair decodes to no more than its length plus a NUL. */
	char *out;
	size_t i = 0;

	memset(f, 0, sizeof(*f));
	if ((f->buf = out = malloc(2 * len + 2)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	while (i < len) {
		size_t n = 0, eq;
		char *name, *value;

		while (i + n < len && body[i + n] != '&')
			n++;
		for (eq = 0; eq < n && body[i + eq] != '='; eq++)
			;
		name = out;
		if (form_decode(body + i, eq, name) < 0)
			goto bad;
		value = name + strlen(name) + 1;
		if (form_decode(body + i + (eq < n ? eq + 1 : n),
		    eq < n ? n - eq - 1 : 0, value) < 0)
			goto bad;
		out = value + strlen(value) + 1;
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]);
		    k++) {
			const char **slot = (const char **)(void *)
			    ((char *)f + fields[k].off);

			if (strcmp(name, fields[k].name) == 0 && *slot == NULL)
				*slot = value;
		}
		i += n + 1;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
hubmsg_form_free(struct hub_form *f)
{
	free(f->buf);
	f->buf = NULL;
}

const char *
hubmsg_check(const struct hub_form *f, enum hub_mode *mode)
{
	const char *why;

	if (f->mode == NULL)
		return "hub.mode is missing";
	if (strcmp(f->mode, "subscribe") == 0)
		*mode = HUB_SUBSCRIBE;
	else if (strcmp(f->mode, "unsubscribe") == 0)
		*mode = HUB_UNSUBSCRIBE;
	else if (strcmp(f->mode, "publish") == 0)
		return "hub.mode=publish: this hub publishes its own feeds "
		    "only";
	else
		return "hub.mode must be subscribe or unsubscribe";
	if (f->callback == NULL || f->callback[0] == '\0')
		return "hub.callback is missing";
	if ((why = hubmsg_callback(f->callback, NULL)) != NULL)
		return why;
	if (f->topic == NULL || f->topic[0] == '\0')
		return "hub.topic is missing";
	if (f->secret != NULL && strlen(f->secret) > HUBMSG_SECRET_MAX)
		return "hub.secret must be less than 200 bytes";
	return NULL;
}

bool
hubmsg_sync(const struct hub_form *f)
{
	const char *v = f->verify;

	if (v == NULL)
		return false;
	v += strspn(v, " ,");
	return strncmp(v, "sync", 4) == 0 && (v[4] == '\0' || v[4] == ',' ||
	    v[4] == ' ');
}

unsigned
hubmsg_lease(const char *asked, unsigned min, unsigned dflt, unsigned max)
{
	unsigned long long v = dflt;
	char *end;

	if (asked != NULL && asked[0] >= '0' && asked[0] <= '9') {
		errno = 0;
		v = strtoull(asked, &end, 10);
		if (*end != '\0')
			v = dflt;
		else if (errno == ERANGE)
			v = ULLONG_MAX;
	}
	if (v < min)
		v = min;
	if (v > max)
		v = max;
	return (unsigned)v;
}

const char *
hubmsg_callback(const char *url, char **host)
{
	CURLU *u;
	char *h = NULL;

	if (host != NULL)
		*host = NULL;
	if (strlen(url) > HUBMSG_URL_MAX)
		return "hub.callback is too long";
	if (url_check_http(url, URL_ALLOW_QUERY) != NULL)
		return "hub.callback must be an absolute http or https URL "
		    "without a fragment or user";
	if (host == NULL)
		return NULL;
	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		if ((*host = strdup(h)) != NULL)
			for (char *p = *host; *p != '\0'; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
		curl_free(h);
	} else {
		curl_url_cleanup(u);
		return "hub.callback must be an absolute http or https URL "
		    "without a fragment or user";
	}
	curl_url_cleanup(u);
	return NULL;
}

static bool
v4_private(uint32_t a)
{
	static const struct {
		uint32_t net, mask;
	} nets[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 },	/* 10/8 */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10 CGNAT */
		{ 0x7f000000, 0xff000000 },	/* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16 link-local */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12 */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24 IETF */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15 benchmarking */
		{ 0xe0000000, 0xe0000000 },	/* 224/3 multicast, reserved */
	};

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if ((a & nets[i].mask) == nets[i].net)
			return true;
	return false;
}

bool
hubmsg_address_ok(const struct sockaddr *sa, bool allow_private)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		return allow_private || !v4_private(ntohl(a->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		const unsigned char *b = a->s6_addr;
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0xff, 0xff };
		static const unsigned char zero[12];

		if (allow_private)
			return true;
		/* ::ffff:a.b.c.d and ::a.b.c.d are the IPv4 address. */
		if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0) {
			uint32_t v4;

			memcpy(&v4, b + 12, 4);
			return !v4_private(ntohl(v4));
		}
		if ((b[0] & 0xfe) == 0xfc)		/* fc00::/7 ULA */
			return false;
		if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)	/* fe80::/10 */
			return false;
		if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)	/* fec0::/10 */
			return false;
		if (b[0] == 0xff)			/* multicast */
			return false;
		/* 64:ff9b::/96 NAT64 of an IPv4 address: judge that. */
		if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
			uint32_t v4;

			memcpy(&v4, b + 12, 4);
			return !v4_private(ntohl(v4));
		}
		return true;
	}
	return false;	/* AF_UNIX and the rest: never */
}

int
hubmsg_challenge(char out[HUBMSG_CHALLENGE_SIZE])
{
	unsigned char r[24];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

char *
hubmsg_verify_url(const char *callback, enum hub_mode mode,
    const char *topic, const char *challenge, unsigned lease,
    const char *verify_token)
{
	char *t = curl_easy_escape(NULL, topic, 0);
	char *vt = verify_token ? curl_easy_escape(NULL, verify_token, 0) :
	    NULL;
	char *s = NULL, ls[32] = "";
	const char *sep = strchr(callback, '?') == NULL ? "?" :
	    callback[strlen(callback) - 1] == '?' ||
	    callback[strlen(callback) - 1] == '&' ? "" : "&";

	if (t == NULL || (verify_token != NULL && vt == NULL))
		goto out;
	if (mode == HUB_SUBSCRIBE)
		snprintf(ls, sizeof(ls), "&hub.lease_seconds=%u", lease);
	if (asprintf(&s, "%s%shub.mode=%s&hub.topic=%s&hub.challenge=%s%s%s%s",
	    callback, sep, mode == HUB_SUBSCRIBE ? "subscribe" :
	    "unsubscribe", t, challenge, ls, vt ? "&hub.verify_token=" : "",
	    vt ? vt : "") < 0)
		s = NULL;
out:
	curl_free(t);
	curl_free(vt);
	return s;
}

bool
hubmsg_confirmed(long status, const char *body, size_t len,
    const char *challenge)
{
	return status >= 200 && status < 300 && body != NULL &&
	    len == strlen(challenge) && memcmp(body, challenge, len) == 0;
}
