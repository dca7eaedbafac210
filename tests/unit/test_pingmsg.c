/*
 * Unit tests for daemon/pingmsg.c: the exact bytes of every outgoing ping
 * body, and what answers from real services parse as. No I/O.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/pingmsg.h"

#include "testutil.h"

#define ATOM "https://news.example.org/feed.atom"

static void
test_websub_form(void **state)
{
	char *s = pingmsg_websub(ATOM "?a=1&b=å");

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "hub.mode=publish"
	    "&hub.url=https%3A%2F%2Fnews.example.org%2Ffeed.atom%3Fa%3D1%26b%3D%C3%A5"
	    "&hub.topic=https%3A%2F%2Fnews.example.org%2Ffeed.atom%3Fa%3D1%26b%3D%C3%A5");
	free(s);
}

static void
test_xmlrpc_extended_ping(void **state)
{
	const char *params[] = { "Nyheter & <mer>", "https://news.example.org/",
	    "https://news.example.org/", ATOM };
	char *s = pingmsg_xmlrpc("weblogUpdates.extendedPing", params, 4);

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<methodCall><methodName>weblogUpdates.extendedPing</methodName>"
	    "<params>"
	    "<param><value><string>Nyheter &amp; &lt;mer&gt;</string></value>"
	    "</param>"
	    "<param><value><string>https://news.example.org/</string></value>"
	    "</param>"
	    "<param><value><string>https://news.example.org/</string></value>"
	    "</param>"
	    "<param><value><string>" ATOM "</string></value></param>"
	    "</params></methodCall>\n");
	free(s);
}

static void
test_xmlrpc_no_params(void **state)
{
	char *s = pingmsg_xmlrpc("weblogUpdates.ping", NULL, 0);

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<methodCall><methodName>weblogUpdates.ping</methodName>"
	    "<params/></methodCall>\n");
	free(s);
}

/* Parse body; check the result and the message (NULL: none). */
static void
check_answer(const char *body, enum xmlrpc_result want, const char *msg)
{
	char *got = (char *)"unset";
	enum xmlrpc_result r = pingmsg_xmlrpc_result(body, strlen(body), &got);

	assert_int_equal(r, want);
	if (msg == NULL)
		assert_null(got);
	else
		assert_string_equal(got, msg);
	free(got);
}

/* What Python's xmlrpc.server answers, as the integration tests' server. */
static const char ok_python[] =
    "<?xml version='1.0'?>\n"
    "<methodResponse>\n<params>\n<param>\n<value><struct>\n"
    "<member>\n<name>flerror</name>\n<value><boolean>0</boolean></value>\n"
    "</member>\n<member>\n<name>message</name>\n"
    "<value><string>Thanks for the ping.</string></value>\n</member>\n"
    "</struct></value>\n</param>\n</params>\n</methodResponse>\n";

static void
test_answer_ok(void **state)
{
	(void)state;
	check_answer(ok_python, XMLRPC_OK, "Thanks for the ping.");
	/* No flerror member: not an error. */
	check_answer("<methodResponse><params><param><value><struct><member>"
	    "<name>message</name><value>Thanks!</value></member></struct>"
	    "</value></param></params></methodResponse>", XMLRPC_OK,
	    "Thanks!");
}

static void
test_answer_flerror(void **state)
{
	(void)state;
	check_answer("<?xml version=\"1.0\"?><methodResponse><params><param>"
	    "<value><struct><member><name>flerror</name><value><boolean>1"
	    "</boolean></value></member><member><name>message</name><value>"
	    "<string>Too many pings, slow down</string></value></member>"
	    "</struct></value></param></params></methodResponse>",
	    XMLRPC_FLERROR, "Too many pings, slow down");
	/* Some services spell it out; message absent. */
	check_answer("<methodResponse><params><param><value><struct><member>"
	    "<name>flerror</name><value><boolean>true</boolean></value>"
	    "</member></struct></value></param></params></methodResponse>",
	    XMLRPC_FLERROR, NULL);
}

static void
test_answer_fault(void **state)
{
	(void)state;
	check_answer("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n"
	    "<value><struct>\n<member>\n<name>faultCode</name>\n"
	    "<value><int>1</int></value>\n</member>\n<member>\n"
	    "<name>faultString</name>\n<value><string>&lt;class 'Exception'"
	    "&gt;:method \"weblogUpdates.extendedPing\" is not supported"
	    "</string></value>\n</member>\n</struct></value>\n</fault>\n"
	    "</methodResponse>\n", XMLRPC_FAULT,
	    "<class 'Exception'>:method \"weblogUpdates.extendedPing\" is not "
	    "supported");
}

static void
test_answer_garbled(void **state)
{
	(void)state;
	check_answer("", XMLRPC_GARBLED, NULL);
	check_answer("<html><body>502 Bad Gateway</body></html>",
	    XMLRPC_GARBLED, NULL);
	check_answer("<methodResponse><params>", XMLRPC_GARBLED, NULL);
	check_answer("<methodResponse></methodResponse>", XMLRPC_GARBLED,
	    NULL);
	/* An entity pointing outside is not fetched (XML_PARSE_NONET). */
	check_answer("<!DOCTYPE m [<!ENTITY x SYSTEM \"http://127.0.0.1:9/\">]>"
	    "<methodResponse>&x;</methodResponse>", XMLRPC_GARBLED, NULL);
}

static struct release *
entry(const char *id, const char *title, int64_t updated)
{
	struct release *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->id = (char *)id;
	r->title = (char *)title;
	r->link = (char *)"https://news.example.org/releases/x";
	r->updated.sec = updated;
	r->updated.off = 7200;	/* seconds east of UTC */
	return r;
}

static void
test_entries_and_webhook(void **state)
{
	struct release *rs[2] = { entry("tag:a", "Ett \"citat\"", 1700000000),
	    entry("tag:b", "Två", 1700003600) };
	char *e = pingmsg_entries(rs, 2), *w;
#define ENTRIES "[{\"id\":\"tag:a\",\"title\":\"Ett \\\"citat\\\"\"," \
	    "\"link\":\"https://news.example.org/releases/x\"," \
	    "\"updated\":\"2023-11-15T00:13:20+02:00\"}," \
	    "{\"id\":\"tag:b\",\"title\":\"Två\"," \
	    "\"link\":\"https://news.example.org/releases/x\"," \
	    "\"updated\":\"2023-11-15T01:13:20+02:00\"}]"

	(void)state;
	assert_non_null(e);
	assert_string_equal(e, ENTRIES);
	w = pingmsg_webhook("feed.atom", ATOM, e, NULL);
	assert_non_null(w);
	assert_string_equal(w, "{\"feed\":\"feed.atom\",\"url\":\"" ATOM
	    "\",\"entries\":" ENTRIES "}");
	free(w);
	/* The delivery id goes in the body too, under the signature. */
	w = pingmsg_webhook("feed.atom", ATOM, e,
	    "0123456789abcdef0123456789abcdef");
	assert_string_equal(w, "{\"feed\":\"feed.atom\",\"url\":\"" ATOM
	    "\",\"entries\":" ENTRIES ",\"delivery\":"
	    "\"0123456789abcdef0123456789abcdef\"}");
	free(w);
	free(e);
	/* Entries that are not JSON: an empty list, never a broken body. */
	w = pingmsg_webhook("feed.rss", "u", "[{", NULL);
	assert_string_equal(w, "{\"feed\":\"feed.rss\",\"url\":\"u\","
	    "\"entries\":[]}");
	free(w);
	e = pingmsg_entries(rs, 0);
	assert_string_equal(e, "[]");
	free(e);
	free(rs[0]);
	free(rs[1]);
#undef ENTRIES
}

static void
test_entries_merge(void **state)
{
	char *m;

	(void)state;
	/* Newer first; an older entry with a newer one's id is replaced. */
	m = pingmsg_entries_merge("[{\"id\":\"a\",\"title\":\"A1\"},"
	    "{\"id\":\"b\",\"title\":\"B1\"}]",
	    "[{\"id\":\"b\",\"title\":\"B2\"},{\"id\":\"c\"}]");
	assert_non_null(m);
	assert_string_equal(m, "[{\"id\":\"b\",\"title\":\"B2\"},"
	    "{\"id\":\"c\"},{\"id\":\"a\",\"title\":\"A1\"}]");
	free(m);
	m = pingmsg_entries_merge(NULL, "[{\"id\":\"a\"}]");
	assert_string_equal(m, "[{\"id\":\"a\"}]");
	free(m);
	/* A damaged older body is dropped, the newer kept. */
	m = pingmsg_entries_merge("garbage", "[{\"id\":\"a\"}]");
	assert_string_equal(m, "[{\"id\":\"a\"}]");
	free(m);
	assert_null(pingmsg_entries_merge(NULL, "not json"));
}

static void
test_signature_rfc4231(void **state)
{
	const char data[] = "what do ya want for nothing?";
	char *s = pingmsg_signature("Jefe", data, strlen(data));

	(void)state;
	/* RFC 4231, test case 2, HMAC-SHA-256. */
	assert_string_equal(s, "sha256=5bdcc146bf60754e6a042426089575c75a003f"
	    "089d2739839dec58b964ec3843");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_websub_form),
		cmocka_unit_test(test_xmlrpc_extended_ping),
		cmocka_unit_test(test_xmlrpc_no_params),
		cmocka_unit_test(test_answer_ok),
		cmocka_unit_test(test_answer_flerror),
		cmocka_unit_test(test_answer_fault),
		cmocka_unit_test(test_answer_garbled),
		cmocka_unit_test(test_entries_and_webhook),
		cmocka_unit_test(test_entries_merge),
		cmocka_unit_test(test_signature_rfc4231),
	};

	if (tu_setup_zone(NULL) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
