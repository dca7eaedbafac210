/*
 * hubmsg: the rules of the WebSub hub (W3C Recommendation, hub role) as
 * pure functions: reading a subscription request, clamping its lease, the
 * challenge, the verification URL and which addresses a callback may
 * reach. No I/O but the random bytes of a challenge. Every input is
 * hostile bytes from the network. Returned strings are malloc'd and the
 * caller's; NULL means out of memory unless said otherwise.
 */
#ifndef DAEMON_HUBMSG_H
#define DAEMON_HUBMSG_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

/* The Recommendation: a secret MUST be less than 200 bytes. */
#define HUBMSG_SECRET_MAX 199
/* Longest callback and topic accepted. */
#define HUBMSG_URL_MAX 2048

enum hub_mode { HUB_SUBSCRIBE, HUB_UNSUBSCRIBE };

/* A subscription request; the strings point into the form's own copy. */
struct hub_form {
	char *buf;		/* owned: what the fields point into */
	const char *mode;	/* hub.mode, or NULL: absent */
	const char *callback;	/* hub.callback */
	const char *topic;	/* hub.topic */
	const char *lease;	/* hub.lease_seconds */
	const char *secret;	/* hub.secret */
	const char *verify;	/* hub.verify (PubSubHubbub 0.3), first one */
	const char *verify_token;	/* hub.verify_token (0.3) */
};

/*
 * Read an application/x-www-form-urlencoded body of len bytes into f
 * ('+' is a blank, %XX a byte). Of a repeated name the first counts;
 * names other than the ones above are ignored. Returns 0; -1 with errno
 * EINVAL when a value holds a NUL or a malformed escape, or ENOMEM.
 * Free with hubmsg_form_free() either way.
 */
int hubmsg_parse(const char *body, size_t len, struct hub_form *f);
void hubmsg_form_free(struct hub_form *f);

/*
 * Check a request read by hubmsg_parse: mode, callback (hubmsg_callback),
 * topic present, secret short enough. Returns NULL and *mode, or a static
 * plain-text reason for a 400.
 */
const char *hubmsg_check(const struct hub_form *f, enum hub_mode *mode);

/*
 * Whether a PubSubHubbub 0.3 subscriber asked to be verified before the
 * answer: hub.verify's first value is "sync".
 */
bool hubmsg_sync(const struct hub_form *f);

/*
 * The lease granted for hub.lease_seconds asked (NULL, or not a number:
 * dflt), clamped into min..max seconds.
 */
unsigned hubmsg_lease(const char *asked, unsigned min, unsigned dflt,
    unsigned max);

/*
 * A callback URL's policy: an absolute http or https URL of at most
 * HUBMSG_URL_MAX bytes, a query allowed, no fragment or user. NULL when
 * fine (and *host, when host is not NULL, its host lower-cased, malloc'd:
 * NULL if out of memory), else a static reason.
 */
const char *hubmsg_callback(const char *url, char **host);

/*
 * Whether a callback may be connected to at sa: not when private unless
 * allow_private. Private: loopback, link-local, RFC 1918, unique-local
 * (fc00::/7), CGNAT 100.64/10, "this network" 0/8, multicast, broadcast,
 * unspecified, and IPv4-mapped or -compatible IPv6 forms of those.
 */
bool hubmsg_address_ok(const struct sockaddr *sa, bool allow_private);

/* A challenge: 48 hex digits of RAND_bytes(). Returns 0, or -1. */
#define HUBMSG_CHALLENGE_SIZE 49
int hubmsg_challenge(char out[HUBMSG_CHALLENGE_SIZE]);

/*
 * The verification GET: callback with its own query kept and hub.mode,
 * hub.topic, hub.challenge, then hub.lease_seconds (subscribe only) and
 * hub.verify_token (when given) appended, form-escaped.
 */
char *hubmsg_verify_url(const char *callback, enum hub_mode mode,
    const char *topic, const char *challenge, unsigned lease,
    const char *verify_token);

/*
 * Whether the answer to a verification confirms it: a 2xx whose body is
 * the challenge, byte for byte.
 */
bool hubmsg_confirmed(long status, const char *body, size_t len,
    const char *challenge);

#endif
