/*
 * docset: an immutable set of published documents in memory, what the HTTP
 * server serves. Each document carries what a response needs, computed
 * once when the set is sealed: its bytes, a gzip copy, a strong ETag from
 * the SHA-256 of the bytes, Last-Modified and Content-Type.
 *
 * Life: docset_new(), docset_add()/docset_load()/docset_reload()/
 * docset_update() (one thread), then docset_seal(); from then on the set
 * never changes and any thread may read it and take references (docset_ref/docset_unref are
 * atomic). The set is freed when the last reference goes.
 *
 * Documents are shared: a set made from the previous one holds the very
 * same struct doc for what did not change (so a caller may compare
 * pointers to know a document is unchanged), and a document lives as long
 * as a set or a doc_ref() holds it.
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
 * docset_load(), reading only what changed since prev (a sealed set that
 * docset_load or docset_reload filled from dir, or NULL: all is read). A
 * file is taken from prev without reading it when it is the one prev read
 * (same device, inode, size, mtime and ctime) and its ctime is older
 * than prev's walk by more than the file system's timestamp granularity,
 * so that a rewrite in place cannot hide behind equal timestamps (git's
 * "racily clean" rule; such a file is read and compared). So a publish
 * costs a stat of every file and a read of those it wrote (renamed into
 * place: a new inode), plus those written just before the last walk.
 * Same return as docset_load().
 */
int docset_reload(struct docset *ds, const char *dir,
    const struct docset *prev);

/*
 * docset_reload() without the walk, for a publish that knows what it
 * wrote: prev's documents (a sealed set filled from dir), shared, but for
 * those named in names[0..n) (relative to dir, any order, repeats fine):
 * each is read again whatever its timestamps say (seal compares the
 * bytes) or, when it is no longer a file the walk would add (removed, a
 * symlink, a folder, a symlink on the way), left out. ds must be new
 * (empty, unsealed). Costs a read of each named file and a copy of prev's
 * slots, no stat of the others: a change another writer made to a file
 * not named is seen at the next docset_reload(). Returns the number of
 * documents in ds, or -1 (logged, errno; EINVAL: ds or prev not as said)
 * when dir or a named file cannot be read: then fill a new set with
 * docset_reload().
 */
int docset_update(struct docset *ds, const char *dir,
    const struct docset *prev, const char *const *names, size_t n);

/* Files the last docset_load()/docset_reload() into ds read (the other
 * documents came from prev). */
size_t docset_files_read(const struct docset *ds);

/*
 * Make ds immutable: sort it, hash and compress what is new. A document
 * whose name and bytes equal one in prev (a sealed set, or NULL) is
 * replaced by prev's, with its gzip copy and Last-Modified, so an
 * unchanged document keeps its validators across publishes. Returns 0 or
 * -1 (out of memory: ds stays unsealed and may be freed).
 */
int docset_seal(struct docset *ds, const struct docset *prev);

/*
 * docset_seal() without compressing: the new documents are served plain
 * (gz NULL) until a docset_compress() of the set is, so that a publish is
 * served without waiting for zlib (some ms per 100 KiB). Same return.
 */
int docset_seal_plain(struct docset *ds, const struct docset *prev);

/* Of a sealed set: the documents whose gzip copy is still to be made. */
size_t docset_pending(const struct docset *ds);

/*
 * A new sealed set with ds's documents, the pending ones as new struct
 * docs with their gzip copy (a document gzip would not shrink keeps gz
 * NULL), the others shared; docset_reload() and docset_seal() treat it as
 * they would ds. NULL with errno ENOMEM. A pending document that done
 * (an earlier result of docset_compress(), or NULL) holds with the same
 * bytes takes done's copy instead of being compressed again.
 */
struct docset *docset_compress(const struct docset *ds,
    const struct docset *done);

/* Of a sealed set: the number of documents and the i-th, by name. */
size_t docset_count(const struct docset *ds);
const struct doc *docset_at(const struct docset *ds, size_t i);

/* Of a sealed set: the document called name, or NULL. */
const struct doc *docset_find(const struct docset *ds, const char *name);

/*
 * Names gone on purpose (the pages of deleted releases while their
 * tombstone lives): a request for one that is not a document of the set
 * is answered 410 Gone, not 404. Set before sealing; names[0..n) are
 * copied and need not be sorted or distinct. docset_compress() keeps
 * them; docset_reload() does not take prev's. Returns 0, or -1 with errno
 * EINVAL (ds sealed) or ENOMEM (ds's names as before).
 */
int docset_set_gone(struct docset *ds, const char *const *names, size_t n);

/* Whether name is one of ds's gone names (a document may share it). */
bool docset_gone(const struct docset *ds, const char *name);

/* ds's gone names, sorted, each once: *n of them, valid while ds is. */
const char *const *docset_gone_names(const struct docset *ds, size_t *n);

/* Whether names[0..n) are ds's gone names (as a set; false when out of
 * memory). */
bool docset_same_gone(const struct docset *ds, const char *const *names,
    size_t n);

/* Take a reference (returns ds); drop one (NULL does nothing). */
struct docset *docset_ref(struct docset *ds);
void docset_unref(struct docset *ds);

/*
 * A reference to one document of a sealed set, which keeps its bytes
 * (and everything in struct doc) alive without the set: returns d; drop
 * it with doc_unref() (NULL does nothing). Atomic, from any thread.
 */
const struct doc *doc_ref(const struct doc *d);
void doc_unref(const struct doc *d);

#endif
