/*
 * xslmemo: the fp:memo XSLT instruction, for the parts every page shares
 * (the feeds' links, the sub-feeds' links, the site's header and
 * footer). It is xsl:apply-templates whose output, per selected node, is
 * made once and then copied:
 *
 *   <fp:memo select="$site | release/subfeed" mode="alternate"
 *       with="$labels">
 *     <xsl:fallback>...the same xsl:apply-templates...</xsl:fallback>
 *   </fp:memo>
 *
 * xmlns:fp="urn:x-feedpubd:xslt", extension-element-prefixes="fp". For
 * each node of select (document order), the templates of mode are
 * applied to it as xsl:apply-templates would; their output, serialised
 * as HTML, is kept under the node's whole subtree (names, attributes,
 * text), the subtrees of the nodes of with, and the instruction, and the
 * next node with the same key gets the kept bytes as unescaped text. So
 * the templates must depend on nothing else: not on position(), an
 * ancestor, a variable outside those nodes. Other processors run the
 * xsl:fallback (the same apply-templates, nothing kept); its children
 * are never run here.
 *
 * Kept only where bytes cannot differ: xsl:output method="html" with
 * indent="no", output written outside script and style, elements in no
 * namespace. Elsewhere fp:memo is a plain apply-templates.
 *
 * Threads: one struct xslmemo serves the transforms of several threads
 * at once (a mutex); xslmemo_register() runs before any stylesheet is
 * compiled, in the main thread (libxslt's module table is process-wide).
 */
#ifndef FEEDS_XSLMEMO_H
#define FEEDS_XSLMEMO_H

#include <stddef.h>

#include <libxslt/xsltInternals.h>

#define XSLMEMO_NS	"urn:x-feedpubd:xslt"

struct xslmemo;

/* Make fp:memo known to libxslt; once is enough, more are harmless. */
void xslmemo_register(void);

/*
 * A store of at most max_bytes of kept output (keys and bytes; past it,
 * it starts empty again). NULL when out of memory.
 */
struct xslmemo *xslmemo_new(size_t max_bytes);
void xslmemo_free(struct xslmemo *m);	/* NULL is fine */

/* ctx's fp:memo keeps its output in m (NULL: keeps nothing). */
void xslmemo_attach(xsltTransformContextPtr ctx, struct xslmemo *m);

/* Outputs copied and outputs made so far (for tests). */
void xslmemo_counts(struct xslmemo *m, size_t *hits, size_t *misses);

#endif
