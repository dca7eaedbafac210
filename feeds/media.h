/*
 * media: a release's image and attachments (front matter `image`,
 * `attachments`). A local file, named relative to the release file, is
 * checked when the release is read (fileopen.h's rule: a regular file
 * beneath the releases folder, at most max_media_size bytes) and copied
 * to the output as media/<release slug>/<file name>, so two releases'
 * photo.jpg never meet; an http(s) URL is linked as it is.
 */
#ifndef FEEDS_MEDIA_H
#define FEEDS_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct output_batch;

struct media {
	char *src;		/* as the front matter wrote it */
	char *caption, *credit, *title;	/* NULL: none */
	size_t line;		/* of its field in the release file */
	/* Filled by media_resolve(): */
	char *path;		/* local: relative to the releases folder; */
				/* NULL: a URL */
	char *name;		/* local: "media/<slug>/<file>" in the output */
	char *url;		/* the absolute URI readers fetch */
	const char *mime;	/* from the extension (static) */
	int64_t size;		/* bytes; -1: not known (a URL) */
	int64_t mtime;		/* local: of the file when checked */
	bool copied;		/* media_copy() wrote or found it at size, mtime */
};

/*
 * By a file name's extension: "photo.JPG" -> "image/jpeg"; unknown:
 * "application/octet-stream" (a URL's by its path, media_resolve()).
 */
const char *media_mime(const char *name);

/*
 * NULL when src may name a medium: an absolute http(s) URL, or a
 * relative path without "." or ".." parts, empty or hidden parts, or
 * control characters. Otherwise why not, in an editor's words (static).
 */
const char *media_check_src(const char *src);

/*
 * Fill md's path, name, url and mime for a release at relpath (relative
 * to the releases folder) with this slug, on base_url (ends in '/').
 * md->src must pass media_check_src(). Returns 0, or -1 out of memory.
 */
int media_resolve(struct media *md, const char *relpath, const char *slug,
    const char *base_url);

/*
 * Check a local md (path set) under root: a regular file beneath it
 * (follow: fileopen.h's follow), at most max bytes. Sets md->size and
 * md->mtime. Returns 0, or -1 with why[0..whysz) saying what is wrong in
 * an editor's words (without the field's name); *transient set when it
 * likely passes (out of descriptors, say). A URL passes untouched.
 */
int media_check(struct media *md, const char *root, bool follow,
    size_t max, char *why, size_t whysz, bool *transient);

/*
 * Copy a local md to outdir/md->name atomically (output.h), only when its
 * bytes changed; its size and mtime are refreshed from the file. A copy
 * of the same size whose mtime is later than the file's (as after any
 * earlier copy) is taken as unchanged without reading either: a file
 * replaced by an older one of the same size (rsync -t) is missed. With
 * b (a batch under outdir), the copy is staged there (no fsync of each
 * file; an empty file a power cut leaves differs in size, so it is
 * copied again at start); else written by output_replace(). Returns 1
 * when written (or staged), 0 unchanged (or a URL), -1 with why filled.
 */
int media_copy(struct media *md, const char *root, bool follow,
    size_t max, const char *outdir, struct output_batch *b, char *why,
    size_t whysz);

void media_clear(struct media *md);	/* frees the strings; NULL is fine */

/* Clear v[0..n) and free v. */
void media_list_free(struct media *v, size_t n);

#endif
