/*
 * xmlstr: our strings are UTF-8 char *, libxml2's are xmlChar * (unsigned
 * char): the one cast between them, for every module that calls libxml2.
 */
#ifndef FEEDS_XMLSTR_H
#define FEEDS_XMLSTR_H

#include <libxml/xmlstring.h>

static inline const xmlChar *
X(const char *s)
{
	return (const xmlChar *)s;
}

#endif
