/*
 * release: one release file -> struct release. This module loads the file,
 * normalises it, and fills in the title and the defaults; the front matter
 * is frontmatter.c's and the body's HTML and summary markdown.c's.
 *
 * Parsing is cheap and done for every file (front matter, title, dates, ids);
 * rendering the body to HTML and deriving the summary is done on demand by
 * release_load_body(), so only releases that make it into a document pay
 * for it. A release read from a file keeps no text (a store of a million
 * holds metadata only): the body is read again, and checked against the
 * digest of the text parsed, when a document needs it.
 * A struct release owns all its strings; release_free() frees them.
 * Errors: -1 with a struct release_error filled in.
 */
#ifndef FEEDS_RELEASE_H
#define FEEDS_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "media.h"
#include "meta.h"

enum release_format { RELEASE_MARKDOWN, RELEASE_TEXT };

/* One entry of the front matter's contacts list; NULL: not given. */
struct contact {
	char *name;
	char *role;
	char *organisation;
	char *phone;
	char *email;
};

/*
 * What a release that parses may still want its editor to know. A warning
 * names a likely mistake that did not stop the release (a near miss of a
 * known key, an ambiguous local time); a note is for --check only (a key
 * kept for templates, a date taken from the file). Neither holds the
 * release back: errors do (struct release_error).
 */
enum release_diag_level { RELEASE_NOTE, RELEASE_WARNING };

struct release_diag {
	enum release_diag_level level;
	size_t line;		/* 1-based line of the file; 0: none applies */
	char msg[200];		/* one line, in the editor's words */
};

struct release {
	char *path;		/* relative to the releases folder */
	char *slug;
	char *id;
	char *title;
	char *link;		/* a URI: non-ASCII percent-encoded */
	char *summary;		/* front matter or derived; NULL until rendered */
	char *type;		/* NULL: none */
	char *lang;		/* NULL: the feed's */
	char **authors;		/* nauthors strings; none: the feed's */
	size_t nauthors;
	char **tags;
	size_t ntags;
	char *facts;		/* Markdown of the facts box; NULL: none */
	struct contact *contacts;	/* ncontacts, in file order */
	size_t ncontacts;
	struct media *image;		/* NULL: none (media.h) */
	struct media *attachments;	/* nattachments, in file order */
	size_t nattachments;
	struct fp_time date;	/* first publication */
	struct fp_time updated;	/* >= date */
	int64_t mtime;		/* of the file, seconds */
	enum release_format format;
	bool draft;
	bool has_date;		/* date came from the front matter */
	bool has_updated;	/* updated came from the front matter */
	bool body_empty;	/* the body holds only white space */
	bool has_summary;	/* summary came from the front matter */
	/*
	 * Bytes of the one allocation holding the struct and its strings
	 * that stay as parsed (path, slug, title, link, type, lang, a
	 * front matter summary, authors, tags, facts); 0: each is its own.
	 * Only release.c frees them: id, summary, html stay apart.
	 */
	uint32_t packed;
	/*
	 * The file, normalised (no BOM, LF ends): NULL once release_load()
	 * parsed it, so the body is read again on demand. Kept by
	 * release_parse() (the caller's buffer is all there is) and by
	 * release_adopt_text().
	 */
	char *text;
	unsigned char digest[32];	/* SHA-256 of the normalised text */
	uint64_t stamp_key;	/* docstamp.h's stamp_key(); 0: not set */
	size_t body_off;	/* where the body starts in the text */
	size_t body_line;	/* its 1-based line number */
	size_t fm_off, fm_len;	/* the front matter YAML, while parsing */
	/*
	 * The rendered body; NULL until release_load_body(), and again
	 * after release_drop_body(): held only while a document is made.
	 */
	char *html;
	/*
	 * What the publisher wrote last for this release (pages.h), 0:
	 * nothing yet. A release read again is a new struct and starts at 0.
	 * page_stamp: pages_stamp() when its page was rendered; page_key:
	 * pages_hash() of that page; listing_stamp: pages_listing_stamp()
	 * of the listing page this release opens (its oldest), if any.
	 */
	uint64_t page_stamp, page_key, listing_stamp;
	/*
	 * Warnings and notes, in the order found: the front matter's by
	 * line, then those without one (the release owns them). The caller prints them as it prints errors: "FILE:LINE:
	 * warning: msg" ("FILE: note: msg" when line is 0).
	 */
	struct release_diag *diags;
	size_t ndiags;
};

/*
 * Why a file was skipped. line is 0 when no line applies. transient: the
 * file could not be read for a reason that likely passes (out of file
 * descriptors or memory, an interrupted read, a file changed while being
 * read), so a caller may keep the version it published before instead of
 * dropping the release; false for everything else, parse errors included.
 */
struct release_error {
	size_t line;
	int errnum;	/* errno when the file could not be read, else 0 */
	char msg[256];
	bool transient;
	bool clash;	/* lost an id clash (scan.h); errnum is 0 then */
	/*
	 * The file is empty (0 bytes, or only white space): not yet a
	 * release, as when an editor creates the file before writing it.
	 * Not a mistake: the caller may say so mildly, or not at all.
	 */
	bool empty;
	/*
	 * release_load_body(): the file is no longer the text parsed (or is
	 * gone): parse it again; what was published from it stays.
	 */
	bool stale;
};

/*
 * Fill *err for a file that is not a valid release: line (0: none), the
 * printf-style message, errnum 0, neither transient nor a clash. Returns
 * -1, so a parser can `return release_error_set(...)`.
 */
int release_error_set(struct release_error *err, size_t line,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fill *err for out of memory, which is transient. Returns -1. */
int release_error_oom(struct release_error *err);

/*
 * Add a warning or a note to r (line 0: none applies). Returns 0, or -1
 * when out of memory (r is unchanged).
 */
int release_diag_add(struct release *r, enum release_diag_level level,
    size_t line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "warning" or "note". */
const char *release_diag_name(enum release_diag_level level);

/*
 * The format of a file by its base name, or -1 for files that are not
 * releases (other extensions, hidden files, editor leftovers).
 */
int release_format_of(const char *name);

/*
 * Parse one release from buf[0..len) (a copy is kept; buf is not). relpath
 * names it relative to the releases folder; mtime (seconds) stands in for a
 * missing date. Returns 0 and a new release in *out, or -1 and fills *err.
 */
int release_parse(const struct feed_meta *m, const char *relpath,
    const char *buf, size_t len, int64_t mtime, struct release **out,
    struct release_error *err);

/*
 * Read root/relpath and release_parse() it, then drop the text (r->text
 * NULL: release_load_body() reads it again). Same return convention.
 */
int release_load(const struct feed_meta *m, const char *root,
    const char *relpath, struct release **out, struct release_error *err);

/*
 * Check r's local media under root (release_load() does): fills in their
 * sizes and mtimes. Returns 0, or -1 and fills *err.
 */
int release_check_media(struct release *r, const struct feed_meta *m,
    const char *root, struct release_error *err);

/*
 * The one way to a release's body: fill r->html and r->summary (if
 * missing), from r->text if held, else from the file m->root/r->path read
 * again. A file whose text is no longer the one parsed (its digest
 * differs) is never mixed with the old metadata: -1, err->stale (the file
 * must be parsed again) and nothing filled in. Relative links and images
 * in a Markdown body are resolved against r->link. Idempotent. Returns 0,
 * or -1 and fills *err (if not NULL): out of memory, unreadable, stale.
 */
int release_load_body(struct release *r, const struct feed_meta *m,
    struct release_error *err);

/*
 * Free r->html, and the summary derived from the body (not one of the
 * front matter), as after the document that needed them is made.
 */
void release_drop_body(struct release *r);

/*
 * r->summary filled in as release_load_body() does, without keeping a
 * body that was not held before; a derived summary is held until
 * release_drop_body(). Same return convention.
 */
int release_load_summary(struct release *r, const struct feed_meta *m,
    struct release_error *err);

/*
 * Free a summary derived from the body, unless the body is held (a
 * document still needs both): a listing's releases keep no summary
 * between publishes (~200 bytes a release).
 */
void release_drop_summary(struct release *r);

/*
 * The normalised text of r, as release_load_body() reads it (checked
 * against r->digest), in *text (caller frees). Same return convention.
 */
int release_read_text(const struct release *r, const struct feed_meta *m,
    char **text, struct release_error *err);

/*
 * Hold text (normalised, as a history saved it) as r's body, if its
 * digest is r's: then r owns it and 0. Else -1 and the caller keeps it.
 */
int release_adopt_text(struct release *r, char *text);

/*
 * r with the strings that stay as parsed moved into one allocation with
 * the struct (r->packed): some 15 small allocations become one, their
 * malloc overhead gone. r is freed and the new address returned; when out
 * of memory (or when r is packed already), r itself, still whole.
 * release_parse() and relpack_unpack() return releases packed.
 */
struct release *release_compact(struct release *r);

/*
 * The id a release with this slug has without an `id` in its front
 * matter. Caller frees; NULL when out of memory.
 */
char *release_default_id(const struct feed_meta *m, const char *slug);

/*
 * The i'th of r's media, the image first, then the attachments in file
 * order; NULL past the last.
 */
struct media *release_medium(const struct release *r, size_t i);

void release_free(struct release *r);	/* NULL is fine */

/* Free v[0..n) and v itself, as authors and tags are held. */
void release_list_free(char **v, size_t n);

/* Free v[0..n) and v itself, as contacts are held. */
void release_contacts_free(struct contact *v, size_t n);

#endif
