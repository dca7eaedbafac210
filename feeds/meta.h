/*
 * meta: the feed settings the core needs (a plain struct, filled by config/
 * or by tests). All strings are owned by whoever fills the struct.
 */
#ifndef FEEDS_META_H
#define FEEDS_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gitdates;
struct subfeeds;

/* How RFC 5005 archives are cut (archive.h): one document per ... */
enum archive_period { PERIOD_MONTH, PERIOD_YEAR };

struct feed_meta {
	const char *title;		/* required */
	const char *subtitle;		/* NULL: none */
	const char *base_url;		/* absolute http(s) URL, ends in '/' */
	const char *author;		/* NULL: none; default entry author */
	const char *language;		/* NULL: none; e.g. "sv" */
	const char *link_template;	/* NULL: base_url "releases/{slug}.html" */
	const char *tag_authority;	/* base_url's host, for tag: ids */
	const char *tag_path;		/* base_url's path, starts and ends in '/' */
	const char *tag_date;		/* RFC 4151 date part, e.g. "2000" */
	size_t max_entries;		/* newest N per feed, >= 1 */
	size_t max_file_size;		/* bytes; larger release files are errors */
	size_t max_media_size;		/* bytes; larger media (media.h) too */
	bool raw_html;			/* pass raw HTML in Markdown through */
	bool json;			/* feed.json too (feed_written()) */
	/* Sub-feeds (subfeed.h): one per tag, per type, per language. */
	bool tag_feeds, type_feeds, lang_feeds;
	bool archives;			/* RFC 5005 archives (archive.h) */
	/* The main feed's and the type and language feeds'; the tag feeds'. */
	enum archive_period archive_period, tag_archive_period;
	unsigned deleted_for;		/* s a tombstone lives; 0: none */
	/*
	 * true (the config default): a symlink in the releases folder is
	 * followed if its target lies inside the folder (fileopen.h);
	 * false: symlinks are never followed. Either way a link out of the
	 * folder is refused.
	 */
	bool follow_symlinks;
	/*
	 * Not NULL (date_source = git, set by the daemon): a release without
	 * a `date` takes its dates from git (gitdates.h), else, as without,
	 * from its file's time.
	 */
	const struct gitdates *git;
	/*
	 * The sub-feeds of this publish (subfeed.h), for the pages' links
	 * to them (pages.h); NULL: none linked. Borrowed, set by the daemon.
	 */
	const struct subfeeds *subs;
	/*
	 * The releases folder, where release_load_body() reads a body again
	 * (release.h); NULL: none, only bodies held in memory render.
	 * Borrowed, set by the config.
	 */
	const char *root;
	const char *const *hubs;	/* WebSub hubs to advertise (nhubs) */
	size_t nhubs;
	/*
	 * Seconds since the epoch: the feed's updated time while it has no
	 * entries, i.e. when it became empty (the daemon's state; --once
	 * the config file's mtime). 0 writes 1970, which readers show.
	 * Written with the configured zone's offset at that instant.
	 */
	int64_t empty_since;
};

#endif
