/*
 * feed: render the selected releases as feed documents, in memory.
 * No I/O: output.h writes the bytes.
 */
#ifndef FEEDS_FEED_H
#define FEEDS_FEED_H

#include <stdbool.h>
#include <stddef.h>

#include "meta.h"
#include "release.h"

struct feed_memo;
struct tombstone;

enum feed_kind { FEED_ATOM, FEED_RSS, FEED_JSON, FEED_NKINDS };

/* "feed.atom", "feed.rss", "feed.json": the file name in the output folder. */
const char *feed_file_name(enum feed_kind k);

/*
 * Whether the feeds of kind k are written: Atom and RSS always, JSON Feed
 * when m->json. A kind not written is not rendered, announced or linked.
 */
bool feed_written(const struct feed_meta *m, enum feed_kind k);

/* ".atom", ".rss", ".json": what a sub-feed's or archive's name ends in. */
const char *feed_extension(enum feed_kind k);

/*
 * What one document is, beside the main feed (all strings borrowed). Paths
 * are relative to base_url. The zero value of every field but path means
 * "as the main feed".
 */
struct feed_doc {
	const char *path;	/* "feed.atom", "tags/brott.json" */
	const char *title;	/* NULL: m->title */
	/*
	 * NULL: the main feed's id. Otherwise the document's id is the
	 * main feed's with this appended ("tags/brott"): a sub-feed is
	 * another feed, the same one in every format.
	 */
	const char *id_part;
	/*
	 * RFC 5005 (Atom only; NULL: none): the newest archive of a
	 * subscription document, or the neighbours of an archive document,
	 * which also says fh:archive and links the feed as rel="current".
	 */
	bool archive;
	const char *current, *prev_archive, *next_archive;
	/*
	 * RFC 6721 at:deleted-entry elements (written in Atom only;
	 * tombstone.h), newest first. A document of no entry but these
	 * says updated: the newest's when.
	 */
	const struct tombstone *tombs;
	size_t ntombs;
};

/*
 * Render rs[0..n) (newest first, as store_select() gives them) as a feed of
 * kind k. Renders each release's body on demand (release_load_body()). Returns
 * 0 with *data (NUL-terminated, caller frees with free()) and *len, or -1.
 */
int feed_render(enum feed_kind k, const struct feed_meta *m,
    struct release *const *rs, size_t n, char **data, size_t *len);

/* The same for the document d (feed_render() is d = { feed_file_name(k) }). */
int feed_render_doc(enum feed_kind k, const struct feed_meta *m,
    const struct feed_doc *d, struct release *const *rs, size_t n,
    char **data, size_t *len);

/*
 * The same, each entry's bytes copied from memo (feedmemo.h) when kept
 * there, else rendered and kept: the same bytes as feed_render_doc()'s.
 * A release whose entry memo holds is not rendered, its body not read.
 * memo NULL: feed_render_doc(). On -1, *err (if not NULL) says why: out
 * of memory, or a release's body that could not be read (its message
 * names the file; err->stale: it changed since it was parsed).
 */
int feed_render_memo(enum feed_kind k, const struct feed_meta *m,
    const struct feed_doc *d, struct release *const *rs, size_t n,
    struct feed_memo *memo, char **data, size_t *len,
    struct release_error *err);

#endif
