/*
 * docset: an immutable set of published documents in memory, what the HTTP
 * server serves. Each document carries what a response needs, computed
 * once when the set is sealed: its bytes, a gzip copy, a strong ETag from
 * the SHA-256 of the bytes, Last-Modified and Content-Type.
 *
 * Life: docset_new(), docset_add()/docset_load() (one thread), then
 * docset_seal(); from then on the set never changes and any thread may
 * read it and take references (docset_ref/docset_unref are atomic). The
 * set is freed when the last reference goes.
 */
#ifndef DAEMON_DOCSET_H
#define DAEMON_DOCSET_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Quoted, e.g. "\"3f2a...\"" (32 hex digits of the SHA-256), "-gz" inside
 * the quotes for the gzip copy: a strong ETag names one representation. */
#define DOCSET_ETAG_SIZE 40

struct doc {
	const char *name;	/* "feed.atom", "releases/x.html": no leading
				 * '/', no empty, "." or ".." segment */
	const char *type;	/* "application/atom+xml; charset=utf-8" */
	bool feed;		/* a feed: advertise hub and self (Link) */
	const unsigned char *body;
	size_t len;
	const unsigned char *gz;	/* NULL: gzip would not be smaller */
	size_t gzlen;
	char etag[DOCSET_ETAG_SIZE];
	char gzetag[DOCSET_ETAG_SIZE];
	time_t mtime;		/* Last-Modified, seconds since the epoch */
};

struct docset;

/* An empty set, or NULL when out of memory. */
struct docset *docset_new(void);

/*
 * The Content-Type a document of this name is served with (by its
 * extension: .atom .rss .json .html .css), or NULL when such a name is
 * not served at all.
 */
const char *docset_type(const char *name);

/*
 * Add a copy of data[0..len) as name, last modified at mtime (used when
 * the bytes are new: see docset_seal). Returns 0, or -1 with errno:
 * EINVAL (a name docset_type() refuses or not of the form above), EEXIST
 * (name already in the set), ENOMEM.
 */
int docset_add(struct docset *ds, const char *name, const void *data,
    size_t len, time_t mtime);

/*
 * Add every regular file under dir that docset_type() accepts, with the
 * file's mtime, recursing into subfolders (8 deep at most). Skipped:
 * names starting with '.' (output.c's temp files), symlinks (files and
 * folders: nothing can lead out of dir), other file types, files above
 * 64 MiB (logged). dir itself may be a symlink. Returns the number of
 * documents added, or -1 (logged, errno set) when dir or a folder in it
 * cannot be read: then ds should not be published.
 */
int docset_load(struct docset *ds, const char *dir);

/*
 * Make ds immutable: sort it, hash and compress what is new. A document
 * whose name and bytes equal one in prev (a sealed set, or NULL) takes
 * that one's gzip copy and Last-Modified, so an unchanged document keeps
 * its validators across publishes. Returns 0 or -1 (out of memory: ds
 * stays unsealed and may be freed).
 */
int docset_seal(struct docset *ds, const struct docset *prev);

/* Of a sealed set: the number of documents and the i-th, by name. */
size_t docset_count(const struct docset *ds);
const struct doc *docset_at(const struct docset *ds, size_t i);

/* Of a sealed set: the document called name, or NULL. */
const struct doc *docset_find(const struct docset *ds, const char *name);

/* Take a reference (returns ds); drop one (NULL does nothing). */
struct docset *docset_ref(struct docset *ds);
void docset_unref(struct docset *ds);

#endif
