/*
 * frontmatter: the YAML block that may open a release file, and the one
 * table of the fields it may set (docs/release-files.md).
 *
 *	---
 *	title: Ny cykelbana
 *	date: 2026-03-02 09:30
 *	---		(or "...")
 *
 * Both functions read r->text (normalised by release_parse(): no BOM, LF
 * line ends) and set fields of r; r owns every string they set and
 * release_free() frees them, on failure too. Errors: -1 with *err filled
 * (release_error_set()), line numbers those of the file.
 */
#ifndef FEEDS_FRONTMATTER_H
#define FEEDS_FRONTMATTER_H

#include "release.h"

/*
 * Find the block: "---" on the first line, closed by "---" or "..." on a
 * line of its own (trailing blanks allowed). Sets r->fm_off, fm_len,
 * body_off and body_line; without a block, fm_len and body_off are 0.
 * Returns 0, or -1 when the block is not closed.
 */
int frontmatter_split(struct release *r, struct release_error *err);

/*
 * Parse the block frontmatter_split() found and set the fields it names:
 * title, id, summary, type, lang, link (strings; empty means unset), author
 * and tags (a string or a list of strings), date and updated (date_parse(),
 * setting has_date / has_updated), draft (a YAML boolean). Other keys are
 * left alone; a repeated key wins. A block larger than 64 KiB or nesting
 * flow collections too deep is refused before libyaml sees it. Returns 0,
 * or -1 (invalid YAML, a field of the wrong shape or value, out of memory).
 */
int frontmatter_parse(struct release *r, struct release_error *err);

#endif
