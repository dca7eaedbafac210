/*
 * fuzz_xmlrpc: an XML-RPC ping service's answer, as the network gives it.
 */
#include <stdlib.h>

#include "daemon/pingmsg.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = NULL;

	(void)pingmsg_xmlrpc_result((const char *)data, size, &msg);
	free(msg);
	return 0;
}
