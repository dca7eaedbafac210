/*
 * Unit tests for daemon/hubmsg.c: the WebSub hub's rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "daemon/hubmsg.h"

static void
parse(const char *body, struct hub_form *f)
{
	assert_int_equal(hubmsg_parse(body, strlen(body), f), 0);
}

/* Names decoded, first of a repeated name wins, unknown ones ignored. */
static void
test_parse(void **state)
{
	struct hub_form f;
	enum hub_mode m;

	(void)state;
	parse("hub.mode=subscribe&hub.topic=https%3A%2F%2Fe.org%2Ffeed.atom"
	    "&hub.callback=https://s.example/cb?a%3D1%26b%3D2&foo=bar"
	    "&hub.foo=hub.bar&hub.secret=s+p%2Bc&hub.lease_seconds=60"
	    "&hub.mode=unsubscribe&&novalue&hub.verify=sync"
	    "&hub.verify=async", &f);
	assert_string_equal(f.mode, "subscribe");
	assert_string_equal(f.topic, "https://e.org/feed.atom");
	assert_string_equal(f.callback, "https://s.example/cb?a=1&b=2");
	assert_string_equal(f.secret, "s p+c");
	assert_string_equal(f.lease, "60");
	assert_true(hubmsg_sync(&f));
	assert_null(f.verify_token);
	assert_null(hubmsg_check(&f, &m));
	assert_int_equal(m, HUB_SUBSCRIBE);
	hubmsg_form_free(&f);

	parse("", &f);
	assert_string_equal(hubmsg_check(&f, &m), "hub.mode is missing");
	hubmsg_form_free(&f);
	parse("hub.verify=async,sync&hub.mode=unsubscribe", &f);
	assert_false(hubmsg_sync(&f));
	hubmsg_form_free(&f);
}

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"hub.mode=%00", "hub.mode=%", "hub.mode=%4", "hub.topic=%zz",
		"a%00b=1",
	};
	struct hub_form f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hubmsg_parse(bad[i], strlen(bad[i]), &f), -1);
		hubmsg_form_free(&f);
	}
	/* A NUL inside the body (not escaped) ends nothing: refused. */
	assert_int_equal(hubmsg_parse("hub.mode=a\0b", 12, &f), -1);
	hubmsg_form_free(&f);
}

static void
expect_reason(const char *body, const char *why)
{
	struct hub_form f;
	enum hub_mode m;
	const char *got;

	parse(body, &f);
	got = hubmsg_check(&f, &m);
	if (why == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, why);
	}
	hubmsg_form_free(&f);
}

static void
test_check(void **state)
{
	char big[400];

	(void)state;
	expect_reason("hub.mode=publish&hub.topic=x", "hub.mode=publish: this "
	    "hub publishes its own feeds only");
	expect_reason("hub.mode=sub", "hub.mode must be subscribe or "
	    "unsubscribe");
	expect_reason("hub.mode=subscribe&hub.topic=t", "hub.callback is "
	    "missing");
	expect_reason("hub.mode=subscribe&hub.callback=ftp://x/&hub.topic=t",
	    "hub.callback must be an absolute http or https URL without a "
	    "fragment or user");
	expect_reason("hub.mode=subscribe&hub.callback=http://x/#f"
	    "&hub.topic=t", "hub.callback must be an absolute http or https "
	    "URL without a fragment or user");
	expect_reason("hub.mode=subscribe&hub.callback=http://u@x/"
	    "&hub.topic=t", "hub.callback must be an absolute http or https "
	    "URL without a fragment or user");
	expect_reason("hub.mode=subscribe&hub.callback=/cb&hub.topic=t",
	    "hub.callback must be an absolute http or https URL without a "
	    "fragment or user");
	expect_reason("hub.mode=unsubscribe&hub.callback=http://x/",
	    "hub.topic is missing");
	memset(big, 'a', sizeof(big));
	snprintf(big, sizeof(big), "hub.mode=subscribe&hub.callback=http://x/"
	    "&hub.topic=t&hub.secret=%0199d", 0);
	expect_reason(big, NULL);			/* 199 bytes */
	snprintf(big, sizeof(big), "hub.mode=subscribe&hub.callback=http://x/"
	    "&hub.topic=t&hub.secret=%0200d", 0);
	expect_reason(big, "hub.secret must be less than 200 bytes");
}

static void
test_lease(void **state)
{
	(void)state;
	assert_int_equal(hubmsg_lease(NULL, 3600, 864000, 2678400), 864000);
	assert_int_equal(hubmsg_lease("", 3600, 864000, 2678400), 864000);
	assert_int_equal(hubmsg_lease("x", 3600, 864000, 2678400), 864000);
	assert_int_equal(hubmsg_lease("-5", 3600, 864000, 2678400), 864000);
	assert_int_equal(hubmsg_lease("12a", 3600, 864000, 2678400), 864000);
	assert_int_equal(hubmsg_lease("0", 3600, 864000, 2678400), 3600);
	assert_int_equal(hubmsg_lease("7200", 3600, 864000, 2678400), 7200);
	assert_int_equal(hubmsg_lease("99999999999999999999999", 3600,
	    864000, 2678400), 2678400);
	assert_int_equal(hubmsg_lease("2678401", 3600, 864000, 2678400),
	    2678400);
}

static void
test_callback_host(void **state)
{
	char *host;

	(void)state;
	assert_null(hubmsg_callback("https://Sub.Example:8443/cb?x=1", &host));
	assert_string_equal(host, "sub.example");
	free(host);
	assert_null(hubmsg_callback("http://[::1]:8080/cb", &host));
	assert_string_equal(host, "[::1]");
	free(host);
}

static bool
ok4(const char *a, bool allow)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, a, &sa.sin_addr), 1);
	return hubmsg_address_ok((struct sockaddr *)&sa, allow);
}

static bool
ok6(const char *a, bool allow)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, a, &sa.sin6_addr), 1);
	return hubmsg_address_ok((struct sockaddr *)&sa, allow);
}

static void
test_addresses(void **state)
{
	static const char *const private4[] = {
		"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254", "0.0.0.0",
		"100.64.0.1", "224.0.0.1", "255.255.255.255", "192.0.0.8",
		"198.18.0.1",
	};
	static const char *const private6[] = {
		"::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		"64:ff9b::7f00:1", "fec0::1",
	};
	static const char *const public4[] = {
		"93.184.216.34", "8.8.8.8", "172.32.0.1", "172.15.255.255",
		"100.128.0.1", "192.169.0.1",
	};
	static const char *const public6[] = {
		"2001:db8::1", "2606:4700::1111", "::ffff:93.184.216.34",
		"64:ff9b::808:808",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(private4) / sizeof(private4[0]); i++) {
		if (ok4(private4[i], false))
			fail_msg("%s allowed", private4[i]);
		assert_true(ok4(private4[i], true));
	}
	for (size_t i = 0; i < sizeof(private6) / sizeof(private6[0]); i++) {
		if (ok6(private6[i], false))
			fail_msg("%s allowed", private6[i]);
		assert_true(ok6(private6[i], true));
	}
	for (size_t i = 0; i < sizeof(public4) / sizeof(public4[0]); i++)
		if (!ok4(public4[i], false))
			fail_msg("%s refused", public4[i]);
	for (size_t i = 0; i < sizeof(public6) / sizeof(public6[0]); i++)
		if (!ok6(public6[i], false))
			fail_msg("%s refused", public6[i]);
}

static void
test_challenge(void **state)
{
	char a[HUBMSG_CHALLENGE_SIZE], b[HUBMSG_CHALLENGE_SIZE];

	(void)state;
	assert_int_equal(hubmsg_challenge(a), 0);
	assert_int_equal(hubmsg_challenge(b), 0);
	assert_int_equal(strlen(a), 48);
	assert_int_equal(strspn(a, "0123456789abcdef"), 48);
	assert_string_not_equal(a, b);
}

static void
test_verify_url(void **state)
{
	char *u;

	(void)state;
	u = hubmsg_verify_url("https://s.example/cb?id=7", HUB_SUBSCRIBE,
	    "https://e.org/feed.atom?x=1", "c0ffee", 3600, NULL);
	assert_string_equal(u, "https://s.example/cb?id=7&hub.mode=subscribe"
	    "&hub.topic=https%3A%2F%2Fe.org%2Ffeed.atom%3Fx%3D1"
	    "&hub.challenge=c0ffee&hub.lease_seconds=3600");
	free(u);
	u = hubmsg_verify_url("https://s.example/cb", HUB_UNSUBSCRIBE,
	    "https://e.org/feed.rss", "ab", 3600, "t k");
	assert_string_equal(u, "https://s.example/cb?hub.mode=unsubscribe"
	    "&hub.topic=https%3A%2F%2Fe.org%2Ffeed.rss&hub.challenge=ab"
	    "&hub.verify_token=t%20k");
	free(u);
	u = hubmsg_verify_url("https://s.example/cb?", HUB_SUBSCRIBE, "t",
	    "ab", 1, NULL);
	assert_string_equal(u, "https://s.example/cb?hub.mode=subscribe"
	    "&hub.topic=t&hub.challenge=ab&hub.lease_seconds=1");
	free(u);
}

static void
test_confirmed(void **state)
{
	(void)state;
	assert_true(hubmsg_confirmed(200, "abc", 3, "abc"));
	assert_true(hubmsg_confirmed(204 - 2, "abc", 3, "abc"));
	assert_false(hubmsg_confirmed(200, "abc\n", 4, "abc"));
	assert_false(hubmsg_confirmed(200, "ab", 2, "abc"));
	assert_false(hubmsg_confirmed(200, NULL, 0, "abc"));
	assert_false(hubmsg_confirmed(302, "abc", 3, "abc"));
	assert_false(hubmsg_confirmed(404, "abc", 3, "abc"));
	assert_false(hubmsg_confirmed(0, "abc", 3, "abc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_callback_host),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_verify_url),
		cmocka_unit_test(test_confirmed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
