/*
 * markdown: a release body -> HTML, and the plain text of its first
 * paragraph (what a summary is made of). Pure functions: no I/O, no state.
 *
 * Both take a NUL-terminated UTF-8 body and return 0 with *html, and *para
 * when para is not NULL, set to malloc'd strings the caller frees; or -1
 * (out of memory, or md4c gave up) with nothing to free.
 */
#ifndef FEEDS_MARKDOWN_H
#define FEEDS_MARKDOWN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Markdown, GitHub dialect (tables, strikethrough, autolinks). Raw HTML is
 * escaped unless raw_html. *para: the first paragraph as plain text, markup
 * dropped, entities decoded ("&eacute;" -> "é"), line breaks as spaces;
 * "" when there is none. Headings and lists before it are not paragraphs.
 */
int markdown_render(const char *body, bool raw_html, char **html,
    char **para);

/*
 * Plain text: paragraphs split by blank lines, each a <p> with the text
 * escaped for HTML. *para: the first paragraph as written.
 */
int markdown_render_plain(const char *body, char **html, char **para);

/*
 * html (as markdown_render() writes it) with the relative links and images
 * (<a href="...">, <img src="...">) resolved against the absolute URL
 * base, so a feed reader, which knows no page to resolve them against,
 * shows and follows them. Values holding a character reference other than
 * &amp; are left alone. Returns 0 with *out the caller frees, or -1.
 */
int markdown_resolve_links(const char *html, const char *base, char **out);

/*
 * The plain text of the heading written in src[0..n) ("# Budget 2027:
 * `skattesats` & **investeringar**", or a line over "===="), as a feed
 * title shows it: markup dropped, code spans' text kept, entities decoded
 * ("Budget 2027: skattesats & investeringar"). Returns 0 with *text, or
 * *text NULL when src holds no heading with text; -1 when out of memory.
 */
int markdown_heading_text(const char *src, size_t n, bool raw_html,
    char **text);

#endif
