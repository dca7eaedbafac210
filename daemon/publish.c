/*
 * publish: see publish.h.
 */
#include "publish.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "feeds/archive.h"
#include "feeds/date.h"
#include "feeds/docstamp.h"
#include "feeds/feedmemo.h"
#include "feeds/fileopen.h"
#include "feeds/output.h"
#include "feeds/pages.h"
#include "feeds/reap.h"
#include "feeds/subfeed.h"
#include "feeds/text.h"
#include "feeds/tombstone.h"
#include "log.h"
#include "mediapub.h"
#include "site.h"

/*
 * A write failure lasts (a full disk, a read-only mount) and every publish
 * meets it again: log its first failure and its end, not each attempt.
 * err is the errno logged (told: it was); fails counts the publishes that
 * failed.
 */
static struct {
	bool told;
	int err;
	unsigned fails;
} episode;

static void
write_failed(const struct config *c, const char *name)
{
	if (episode.told && errno == episode.err) {
		log_debug("cannot write %s/%s: %s (still)", c->output_dir,
		    name, strerror(errno));
		return;
	}
	episode.told = true;
	episode.err = errno;
	log_errx("cannot write %s/%s: %s (the old feeds stay; retried, and "
	    "logged again once written)", c->output_dir, name,
	    strerror(errno));
}

static void
episode_end(const struct config *c, const struct publish_result *res)
{
	for (int k = 0; k < FEED_NKINDS; k++)
		if (res->failed_k[k])
			return;
	if (episode.fails > 0)
		log_info("%s: the feeds are written again, after %u failed "
		    "publishes", c->output_dir, episode.fails);
	episode.fails = 0;
	episode.told = false;
}

/* Nothing was written: every old feed stays. */
static int
fail_all(struct publish_result *res)
{
	res->failed = FEED_NKINDS;
	for (int k = 0; k < FEED_NKINDS; k++)
		res->failed_k[k] = true;
	return -1;
}

/* ---- sub-feeds --------------------------------------------------------- */

/* What the last publish wrote, for publish_result (see publish.h). */
static struct {
	char **v;
	size_t n;
	uint32_t clashes;	/* text_hash32() of the clashes last told */
} subs;

static void
subs_reset(void)
{
	for (size_t i = 0; i < subs.n; i++)
		free(subs.v[i]);
	free(subs.v);
	subs.v = NULL;
	subs.n = 0;
}

static int
subs_add(const char *name)
{
	char **t = realloc(subs.v, (subs.n + 1) * sizeof(*t));

	if (t == NULL)
		return -1;
	subs.v = t;
	if ((subs.v[subs.n] = strdup(name)) == NULL)
		return -1;
	subs.n++;
	return 0;
}

/*
 * The sub-feed set of the last selection, and the config the site sees
 * it through: the real one with feed.subs set, at one address, as
 * site.c's plan wants. Kept across the site's slices, and from one
 * publish to the next, where a small change updates it in place
 * (subfeeds_update()): subfeeds_build() reads every release, D12 in
 * docs/reliability.md, most of a drop's publish before the stages.
 */
static struct {
	bool built, ok;
	uint64_t gen;
	struct release **rs;
	size_t n;
	size_t ntombs;		/* only expiry changes them, not gen */
	uint64_t meta;		/* set_meta() it was made with */
	uint64_t tombs;		/* tombs_key() of its tombstones */
	struct subfeeds set;
} kept;
static struct config site_cfg;

/*
 * Of each release the set was made from: its address, key and date, what
 * tells whether it is the same one, filed and ordered as before.
 */
struct seen_one {
	const struct release *r;
	uint64_t key;
	int64_t sec;
	uint64_t stamp;		/* at the last sub-feed stage; 0: unknown */
};

static struct {
	struct seen_one *v;
	size_t n;
} seen;

/*
 * The sub-feeds of kept.set whose releases came or left since the last
 * sub-feed stage (subfeeds_update()'s), one flag each; NULL: not known
 * (the set was built again), so every one is looked at.
 */
static bool *touched;

/* ---- what was written, by stamp ----------------------------------------- */

/*
 * The stamps (feeds/docstamp.h) of the sub-feeds and archives in place
 * after the last publish, sorted by path: a document whose stamp is the
 * same is not rendered again. Empty at start, so every document is
 * rendered and compared with its file once; a file removed by hand comes
 * back when its content next changes, or at the next start.
 */
struct done {
	char *path;
	uint64_t stamp;
	uint64_t addr;			/* stamp_doc_addresses(), 0: none */
	struct entry_spots spots;	/* where its entries went (feedmemo.h) */
};

static struct {
	struct done *v;
	size_t n;
	uint64_t meta;		/* the stamp_meta() its entries were made with */
} written, next;
static bool next_bad;			/* a write failed: keep no stamps */
static struct stamp_memo *memo;		/* for one publish */
static uint64_t meta_stamp;
/*
 * Whether this publish may take a document's stamp from its releases'
 * addresses (stamp_doc_addresses()): since the last publish's stamps no
 * release changed in place, none took an address another had, and the
 * settings are the same (stamps_quiet()).
 */
static bool by_address;
static bool addr_reused;	/* since the last stamps: see subs_update() */
/*
 * The rendered entries, kept across publishes (feeds/feedmemo.h): a new
 * release's publish renders its own entries and copies the rest. Its cap
 * holds every entry of the feeds a drop rewrites (the main ones, a few
 * sub-feeds: some 250 releases of 3 kinds, ~3 KB each) many times over.
 */
#define ENTRY_MEMO_BYTES (16u << 20)
static struct feed_memo *entries;

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct done *)a)->path,
	    ((const struct done *)b)->path);
}

static void
done_free(struct done *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		entry_spots_free(&v[i].spots);
	}
	free(v);
}

/* What the last publish wrote at path, or NULL. */
static struct done *
written_at(const char *path)
{
	struct done key = { .path = (char *)path };

	return written.n == 0 ? NULL : bsearch(&key, written.v, written.n,
	    sizeof(key), by_path);
}

/* The stamp path had when written last; 0: unknown. */
static uint64_t
was_written(const char *path)
{
	const struct done *d = written_at(path);

	return d != NULL ? d->stamp : 0;
}

/*
 * path holds what stamp says once this publish's batches commit, its
 * entries where spots (NULL: none) says: taken over, left empty.
 */
static void
keep_spots(const char *path, uint64_t stamp, uint64_t addr,
    struct entry_spots *spots)
{
	struct done *t;

	if (stamp == 0 || next_bad)
		return;
	if ((t = realloc(next.v, (next.n + 1) * sizeof(*t))) == NULL ||
	    (t[next.n].path = strdup(path)) == NULL) {
		next.v = t != NULL ? t : next.v;
		next_bad = true;
		return;
	}
	next.v = t;
	t[next.n].stamp = stamp;
	t[next.n].addr = addr;
	t[next.n].spots = (struct entry_spots){ 0 };
	if (spots != NULL) {
		t[next.n].spots = *spots;
		*spots = (struct entry_spots){ 0 };
	}
	next.n++;
}

static void
keep(const char *path, uint64_t stamp)
{
	keep_spots(path, stamp, 0, NULL);
}

/* The most of a file read to find the entries it holds. */
#define PRIME_MAX (64u << 20)

/*
 * Before rendering path (kind k) again: the entries its file holds still,
 * where the last render put them (spots), into the entry memo. Whatever
 * fails, the document is rendered in full.
 */
static void
prime_from_file(const char *dir, enum feed_kind k, const char *path,
    const struct entry_spots *spots)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	if (!feed_memo_lacks(entries, k, spots) || fileopen(dir, path, false,
	    &fd, &st) != FILEOPEN_OK)
		return;
	if (st.st_size > 0 && (uintmax_t)st.st_size <= PRIME_MAX &&
	    (buf = malloc((size_t)st.st_size)) != NULL) {
		while (got < (size_t)st.st_size) {
			ssize_t r = read(fd, buf + got, (size_t)st.st_size -
			    got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		feed_memo_prime(entries, k, spots, buf, got);
		free(buf);
	}
	reap_close(fd);	/* a file replaced meanwhile frees here */
}

/*
 * A folder sweep (readdir for files no longer wanted) is needed only when
 * what the folder should hold changed since the last publish: with 200
 * tags the sweeps were most of an idle publish. key (a folder name and
 * "/", never a file's) keeps want, a hash of the wanted names; returns
 * true when the sweep may be skipped. After a failed write nothing is
 * kept (stamps_end()), so the next publish sweeps again.
 */
static bool
swept_already(const char *key, uint64_t want)
{
	bool same = want != 0 && was_written(key) == want;

	keep(key, want);
	return same;
}

/* Whether snprintf's result n fitted a buffer of size bytes. */
static bool
fits(int n, size_t size)
{
	return n >= 0 && (size_t)n < size;
}

/* FNV-1a 64 of s, continuing h (never 0 at the end: see keep()). */
static uint64_t
name_hash(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h * 0x100000001b3ULL) | 1;
}

/*
 * n: the releases a publish surely hashes (every one with pages, else the
 * main feeds'). The memo grows for more; sized for the whole archive
 * without pages, its calloc was the largest cost of a publish at 100,000.
 */
static void
stamps_begin(const struct config *c, const struct feed_meta *m, size_t n)
{
	memo = stamp_memo_new(n);
	meta_stamp = stamp_meta(m, c->timezone);
	if (entries == NULL)
		entries = feed_memo_new(ENTRY_MEMO_BYTES);
	feed_memo_begin(entries, meta_stamp, memo);
	next.v = NULL;
	next.n = 0;
	next_bad = memo == NULL;
}

/*
 * A path kept twice (a sub-feed's stamps kept as they were, and its
 * folder swept again) is kept once; with two stamps, as unknown (0: the
 * document is rendered again next time).
 */
static void
dedup_next(void)
{
	size_t k = 0;

	for (size_t i = 0; i < next.n; i++) {
		if (k > 0 && strcmp(next.v[k - 1].path, next.v[i].path) == 0) {
			if (next.v[k - 1].stamp != next.v[i].stamp)
				next.v[k - 1].stamp = 0;
			free(next.v[i].path);
			entry_spots_free(&next.v[i].spots);
			continue;
		}
		next.v[k++] = next.v[i];
	}
	next.n = k;
}

static void
stamps_end(void)
{
	done_free(written.v, written.n);
	written.v = NULL;
	written.n = 0;
	if (next_bad) {
		done_free(next.v, next.n);
	} else {
		if (next.n > 1)
			qsort(next.v, next.n, sizeof(*next.v), by_path);
		dedup_next();
		written.v = next.v;
		written.n = next.n;
		written.meta = meta_stamp;
	}
	next.v = NULL;
	next.n = 0;
	feed_memo_begin(entries, meta_stamp, NULL);
	stamp_memo_free(memo);
	memo = NULL;
	by_address = false;
}

/*
 * Why the document path was not written this time (its old file stays).
 * A release file rewritten between its parse and this render is no fault:
 * its change is read next, and the document goes with it.
 */
static void
not_rendered(const char *path, const struct release_error *err)
{
	if (err->stale)
		log_info("%s: not written yet: %s", path, err->msg);
	else
		log_errx("%s: cannot render the feed: %s", path, err->msg);
}

/*
 * Render d (kind k, rs[0..n)) and put it in b unless its stamp says the
 * file holds it already. Returns 1 when written, 0 when nothing was to be
 * done, -1 (logged).
 */
static int
stage_doc(const struct feed_meta *m, enum feed_kind k,
    const struct feed_doc *d, struct release *const *rs, size_t n,
    struct output_batch *b, double *render_ms)
{
	uint64_t stamp, addr = stamp_doc_addresses(meta_stamp, k, d, rs, n);
	struct release_error err;
	char *data = NULL;
	size_t len;
	double t0;
	int rc;

	struct done *old = written_at(d->path);
	struct entry_spots spots;

	/* The same releases at the same addresses, none changed: as before. */
	if (by_address && old != NULL && old->addr == addr && old->stamp != 0)
		stamp = old->stamp;
	else
		stamp = memo == NULL ? 0 : stamp_doc(memo, meta_stamp, k, d,
		    rs, n);
	if (stamp != 0 && old != NULL && stamp == old->stamp) {
		keep_spots(d->path, stamp, addr, &old->spots);
		return 0;
	}
	t0 = date_mono_ms();
	/* Entries made with other settings (a reload) read otherwise. */
	if (old != NULL && written.meta == meta_stamp)
		prime_from_file(output_batch_dir(b), k, d->path, &old->spots);
	rc = feed_render_memo(k, m, d, rs, n, entries, &data, &len, &err);
	*render_ms += date_mono_ms() - t0;
	if (rc < 0) {
		not_rendered(d->path, &err);
		return -1;
	}
	if ((rc = output_batch_put(b, d->path, data, len)) < 0) {
		log_warn("cannot write %s", d->path);
	} else {
		if (feed_memo_spots(entries, data, len, &spots) < 0)
			spots = (struct entry_spots){ 0 };
		keep_spots(d->path, stamp, addr, &spots);
		entry_spots_free(&spots);
	}
	if (rc == 1 && subs_add(d->path) < 0)
		rc = -1;
	free(data);
	return rc;
}

/*
 * Warn of slugs two values share, once per set of them: a clash lasts as
 * long as both values do, and each publish would say it again.
 */
static uint32_t
clash_key(const struct subfeeds *set)
{
	uint32_t h = 0;

	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].clash)
			h = h * 31 + text_hash32(set->v[i].value) +
			    (uint32_t)set->v[i].axis;
	return h;
}

static void
tell_clashes(const struct subfeeds *set)
{
	uint32_t h = clash_key(set);

	if (h == subs.clashes)
		return;
	subs.clashes = h;
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].clash)
			log_warnx("%s \"%s\" shares its slug with another: its "
			    "feeds are %s/%s.atom, .rss, .json",
			    subfeed_dir(set->v[i].axis),
			    log_esc(set->v[i].value),
			    subfeed_dir(set->v[i].axis),
			    log_esc(set->v[i].slug));
}

/*
 * A release page links the sub-feeds of its values (feeds/pages.h), and
 * a clash that comes or goes moves a value to another name without a
 * change to its releases: their pages_stamp() is the same. Such a change
 * (rare: a second spelling of a tag) has every page made again.
 */
static void
pages_follow_clashes(const struct subfeeds *set, struct release **rs,
    size_t n)
{
	static uint32_t last;
	uint32_t h = clash_key(set);

	if (h == last)
		return;
	last = h;
	for (size_t i = 0; i < n; i++)
		rs[i]->page_stamp = 0;
}

/* Whether DIR/name is a file set wants (name: "SLUG.EXT"). */
static bool
wanted(const struct feed_meta *m, const struct subfeeds *set,
    enum subfeed_axis a, const char *name)
{
	const char *dot = strrchr(name, '.');

	for (int k = 0; k < FEED_NKINDS; k++) {
		if (dot == NULL || strcmp(dot, feed_extension(k)) != 0)
			continue;
		if (!feed_written(m, k))
			return false;
		for (size_t i = 0; i < set->n; i++)
			if (set->v[i].axis == a && strlen(set->v[i].slug) ==
			    (size_t)(dot - name) && strncmp(set->v[i].slug,
			    name, (size_t)(dot - name)) == 0)
				return true;
		return false;
	}
	return true;	/* not a feed's name: not ours to remove */
}

/*
 * One sweep of the sub-feeds' folders (UNDER/tags, UNDER/types,
 * UNDER/langs): each name there that kept() refuses goes through drop(),
 * unless want, a hash of what kept() keeps, is what it was at the last
 * sweep (swept_already(), keyed "UNDER/tags/").
 */
struct sweep {
	const char *under;	/* "" or ARCHIVE_DIR "/" */
	uint64_t want;
	bool (*kept)(const struct feed_meta *m, const struct subfeeds *set,
	    enum subfeed_axis a, const char *name);
	/* name: "UNDER/DIR/NAME". Returns 0, or -1. */
	int (*drop)(const struct config *c, const char *name,
	    struct output_batch *b);
};

static int
sweep_axes(const struct config *c, const struct subfeeds *set,
    const struct sweep *s, struct output_batch *b)
{
	char path[4096], name[4096];
	int rc = 0;

	snprintf(name, sizeof(name), "%s%s/", s->under, subfeed_dir(SUB_TAG));
	if (swept_already(name, s->want))
		return 0;
	for (int a = 0; a < SUB_NAXES && rc == 0; a++) {
		DIR *d;
		struct dirent *e;

		if (!fits(snprintf(path, sizeof(path), "%s/%s%s", c->output_dir,
		    s->under, subfeed_dir(a)), sizeof(path)) ||
		    (d = opendir(path)) == NULL)
			continue;	/* none written yet */
		while ((e = readdir(d)) != NULL && rc == 0) {
			if (e->d_name[0] == '.' || s->kept(&c->feed, set, a,
			    e->d_name))
				continue;
			if (!fits(snprintf(name, sizeof(name), "%s%s/%s",
			    s->under, subfeed_dir(a), e->d_name), sizeof(name)))
				continue;	/* not a name we could have written */
			rc = s->drop(c, name, b);
		}
		closedir(d);
	}
	if (rc < 0)
		next_bad = true;	/* sweep again next time */
	return rc;
}

static int
drop_file(const struct config *c, const char *name, struct output_batch *b)
{
	int rc = output_batch_remove(b, name);

	(void)c;
	return rc == 1 ? subs_add(name) : rc;
}

/* Remove the sub-feed files set no longer has. */
static int
stage_stale(const struct config *c, const struct subfeeds *set,
    struct output_batch *b)
{
	struct sweep s = { "", 0xcbf29ce484222325ULL, wanted, drop_file };

	for (int k = 0; k < FEED_NKINDS; k++)
		s.want = name_hash(s.want, feed_written(&c->feed, k) ? "1" :
		    "0");
	for (size_t i = 0; i < set->n; i++)
		s.want = name_hash(name_hash(s.want,
		    subfeed_dir(set->v[i].axis)), set->v[i].slug);
	return sweep_axes(c, set, &s, b);
}

/* ---- archives (RFC 5005) ------------------------------------------------ */

/*
 * Remove dir's archives (DIR/ *.atom) that ar has not (all of them for
 * ar NULL), and dir itself once empty. Returns 0, or -1 (errno set).
 */
static int
stage_old_archives(const struct config *c, const char *dir,
    const struct archives *ar, struct output_batch *b)
{
	char path[4096], name[4096];
	DIR *d;
	struct dirent *e;
	int rc = 0;
	uint64_t want = 0xcbf29ce484222325ULL;

	for (size_t i = 0; ar != NULL && i < ar->n; i++)
		want = name_hash(want, ar->v[i].path);
	if (!fits(snprintf(name, sizeof(name), "%s/", dir), sizeof(name)) ||
	    !fits(snprintf(path, sizeof(path), "%s/%s", c->output_dir, dir),
	    sizeof(path))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (swept_already(name, want))
		return 0;
	if ((d = opendir(path)) == NULL)
		return 0;	/* none written yet */
	while ((e = readdir(d)) != NULL && rc == 0) {
		size_t i = 0, len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 5 ||
		    strcmp(e->d_name + len - 5, ".atom") != 0)
			continue;
		if (!fits(snprintf(name, sizeof(name), "%s/%s", dir,
		    e->d_name), sizeof(name)))
			continue;	/* not a name we could have written */
		while (ar != NULL && i < ar->n && strcmp(ar->v[i].path,
		    name) != 0)
			i++;
		if ((ar == NULL || i == ar->n) &&
		    (rc = output_batch_remove(b, name)) == 1)
			rc = subs_add(name);
	}
	closedir(d);
	/* The main feed's folder stays: it holds the sub-feeds'. */
	if (rc == 0 && (ar == NULL || ar->n == 0) && strcmp(dir,
	    ARCHIVE_DIR) != 0)
		(void)rmdir(path);	/* ENOTEMPTY: someone else's file */
	if (rc < 0)
		next_bad = true;	/* sweep again next time */
	return rc < 0 ? -1 : 0;
}

/* Archive i of ar, of the feed whose Atom document is feed (path, title). */
static struct feed_doc
archive_doc(const struct feed_doc *feed, const struct archives *ar, size_t i)
{
	return (struct feed_doc){ .path = ar->v[i].path, .title = feed->title,
		.id_part = feed->id_part, .archive = true, .current = feed->path,
		.prev_archive = i + 1 < ar->n ? ar->v[i + 1].path : NULL,
		.next_archive = i > 0 ? ar->v[i - 1].path : NULL };
}

/*
 * The RFC 5005 archives of the feed doc (its Atom document: path, title,
 * id) for rs[0..n) (what the feed has no room for), in folder dir, one per
 * period p, put in b before the feed that links the newest, whose path
 * goes to newest[0..size) ("" when there is none). Archives of periods
 * gone are removed, and so are those of the other period once p changed
 * (the sweep's wanted names are the paths: their hash changes). Returns
 * 0, or -1 (logged; counted in res).
 */
static int
stage_archives(const struct config *c, const struct feed_meta *m,
    const struct feed_doc *feed, const char *dir, enum archive_period p,
    struct release *const *rs, size_t n, struct output_batch *b,
    char *newest, size_t size, struct publish_result *res)
{
	struct archives ar;
	int rc = 0;

	newest[0] = '\0';
	if (archives_build(dir, p, rs, n, &ar) < 0) {
		log_errx("%s: cannot build the archives (out of memory)", dir);
		res->subs_failed++;
		return -1;
	}
	for (size_t i = 0; i < ar.n; i++) {
		struct archive_doc *a = &ar.v[i];
		struct feed_doc d = archive_doc(feed, &ar, i);

		if (stage_doc(m, FEED_ATOM, &d, a->rs, a->n, b,
		    &res->render_ms) < 0) {
			res->subs_failed++;
			rc = -1;
		}
	}
	if (stage_old_archives(c, dir, &ar, b) < 0) {
		log_warn("cannot remove old archives in %s/%s", c->output_dir,
		    dir);
		res->subs_failed++;
		rc = -1;
	}
	if (ar.n > 0)
		snprintf(newest, size, "%s", ar.v[0].path);
	archives_free(&ar);
	return rc;
}

/*
 * The main feed's archives, as one output batch (durability as for the
 * sub-feeds). Returns the path of the newest, for the feed's
 * prev-archive link (static: valid until the next call), or NULL.
 */
static const char *
publish_archives(const struct config *c, const struct feed_meta *m,
    struct release *const *rs, size_t n, struct publish_result *res)
{
	static char newest[64];
	struct feed_doc feed = { .path = feed_file_name(FEED_ATOM) };
	struct output_batch *b = output_batch_new_queued(c->output_dir);

	if (b == NULL) {
		log_errx("cannot build the archives (out of memory)");
		res->subs_failed++;
		return NULL;
	}
	(void)stage_archives(c, m, &feed, ARCHIVE_DIR, archive_period_of(m,
	    false), rs, n, b, newest, sizeof(newest), res);
	if (output_batch_sync(b) < 0) {
		log_err("cannot write the archives in %s", c->output_dir);
		res->subs_failed++;
		next_bad = true;
	}
	output_batch_free(b);
	return newest[0] != '\0' ? newest : NULL;
}

/* Whether set has a sub-feed of axis a with slug whose archives live. */
static bool
has_archives(const struct feed_meta *m, const struct subfeeds *set,
    enum subfeed_axis a, const char *slug)
{
	for (size_t i = 0; m->archives && i < set->n; i++)
		if (set->v[i].axis == a && strcmp(set->v[i].slug, slug) == 0)
			return set->v[i].nall > set->v[i].n;
	return false;
}

static int
drop_archives(const struct config *c, const char *dir,
    struct output_batch *b)
{
	return stage_old_archives(c, dir, NULL, b);
}

/* Remove the archive folders of sub-feeds gone (or without archives). */
static int
stage_stale_archives(const struct config *c, const struct subfeeds *set,
    struct output_batch *b)
{
	struct sweep s = { ARCHIVE_DIR "/", 0xcbf29ce484222325ULL,
		has_archives, drop_archives };

	for (size_t i = 0; c->feed.archives && i < set->n; i++)
		if (set->v[i].nall > set->v[i].n)
			s.want = name_hash(name_hash(s.want,
			    subfeed_dir(set->v[i].axis)), set->v[i].slug);
	return sweep_axes(c, set, &s, b);
}

/* ---- sub-feeds, their documents ---------------------------------------- */

/* What a sub-feed's signature hashes beside its releases. */
static uint64_t
sub_fields(const struct feed_meta *m, const struct subfeed *f)
{
	uint64_t h = stamp_num(meta_stamp, f->axis);

	h = stamp_str(stamp_str(h, f->value), f->slug);
	h = stamp_str(stamp_str(h, f->title), f->id_part);
	h = stamp_num(stamp_num(h, (int64_t)f->n), (int64_t)f->nall);
	h = stamp_num(stamp_num(h, m->archives), archive_period_of(m,
	    f->axis == SUB_TAG));
	for (int k = 0; k < FEED_NKINDS; k++)
		h = stamp_num(h, feed_written(m, k));
	h = stamp_num(h, (int64_t)f->ntombs);
	for (size_t i = 0; i < f->ntombs; i++)
		h = stamp_num(stamp_str(h, f->tombs[i].ref), f->tombs[i].when);
	return h;
}

/*
 * A sub-feed's signature: all its documents (a feed of each kind, its
 * archives) are made of, as their stamps hash it: the settings, its
 * names and tombstones, and its releases in order. 0: out of memory.
 * While it stays the same, none of them is built, stamped or rendered
 * again: with 200 tags, staging every sub-feed was most of a publish,
 * and one new release changes four or five of them.
 */
static uint64_t
sub_sig(const struct feed_meta *m, const struct subfeed *f)
{
	return memo == NULL ? 0 : stamp_releases(memo, sub_fields(m, f),
	    f->rs, f->nall);
}

/* Where the stamps keep f's signature: "tags/SLUG#", no file's name. */
static bool
sig_key(const struct subfeed *f, char *buf, size_t size)
{
	return fits(snprintf(buf, size, "%s#", f->id_part), size);
}

/* Keep every stamp of the last publish whose path starts with prefix. */
static void
keep_under(const char *prefix)
{
	size_t len = strlen(prefix), lo = 0, hi = written.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(written.v[mid].path, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < written.n && strncmp(written.v[lo].path, prefix,
	    len) == 0; lo++)
		keep_spots(written.v[lo].path, written.v[lo].stamp,
		    written.v[lo].addr, &written.v[lo].spots);
}

/*
 * Whether f's signature sig is the one its documents were all staged
 * with last time; then their stamps (the feeds "tags/SLUG.*", the
 * archives under "feed-archive/tags/SLUG/") and sig are kept as they are.
 */
static bool
sub_same(const struct subfeed *f, uint64_t sig)
{
	char key[4096], dir[4096];

	if (sig == 0 || !sig_key(f, key, sizeof(key)) ||
	    was_written(key) != sig ||
	    subfeed_archive_dir(f, dir, sizeof(dir)) < 0 ||
	    !fits((int)strlen(dir) + 1, sizeof(dir) - 1))
		return false;
	keep(key, sig);
	key[strlen(key) - 1] = '.';
	keep_under(key);
	strcat(dir, "/");
	keep_under(dir);
	return true;
}

/*
 * f's documents as the last stage left them, with the signature then
 * (when all were staged from it): kept, and true. For a sub-feed whose
 * releases neither came nor left, when none changed in place either.
 */
static bool
sub_as_before(const struct subfeed *f)
{
	char key[4096];
	uint64_t sig;

	return sig_key(f, key, sizeof(key)) && (sig = was_written(key)) != 0 &&
	    sub_same(f, sig);
}

/* The settings a sub-feed's documents are made with (sub_sig()'s). */
static uint64_t
subs_settings(const struct feed_meta *m)
{
	uint64_t h = stamp_num(meta_stamp, m->archives);

	h = stamp_num(h, archive_period_of(m, true));
	h = stamp_num(h, archive_period_of(m, false));
	for (int k = 0; k < FEED_NKINDS; k++)
		h = stamp_num(h, feed_written(m, k));
	return h;
}

/*
 * Whether only what changed as subfeeds_update() saw it (releases come
 * or gone, the sub-feeds touched) can have changed since the last
 * publish's stamps: the set was updated, not built, the settings are the
 * same, no release of the selection changed in place (its stamp: the
 * history's dates, a medium's size) and none took another's address.
 * Notes each release's stamp for the next time, whatever it says.
 */
static bool
stamps_quiet(const struct feed_meta *m)
{
	static uint64_t last;
	uint64_t now = subs_settings(m);
	bool quiet = touched != NULL && now == last && memo != NULL &&
	    !addr_reused;

	last = now;
	for (size_t i = 0; i < seen.n; i++) {
		uint64_t st = memo != NULL ? stamp_release(memo, seen.v[i].r) :
		    0;

		/* 0: a release new since, in a touched sub-feed. */
		if (seen.v[i].stamp != 0 && seen.v[i].stamp != st)
			quiet = false;
		seen.v[i].stamp = st;
	}
	return quiet;
}

/* f's documents were all staged from signature sig (0: not all were). */
static void
sub_keep(const struct subfeed *f, uint64_t sig)
{
	char key[4096];

	if (sig != 0 && sig_key(f, key, sizeof(key)))
		keep(key, sig);
}

/* A sub-feed's Atom path and archives, while its documents are staged. */
struct sub_archives {
	char *path;			/* "tags/SLUG.atom"; NULL: none */
	char *dir;			/* "feed-archive/tags/SLUG" */
	struct archives ar;		/* empty: no archives */
	bool same;			/* as last time: nothing to stage */
	uint64_t sig;			/* kept once staged; 0: not kept */
};

/* One archive document of one sub-feed, to stage in date order. */
struct pending {
	struct feed_doc d;
	const struct archive_doc *a;
	size_t sub;			/* its sub-feed's index in the set */
};

static int64_t
newest_sec(const struct archive_doc *a)
{
	return a->n > 0 ? a->rs[0]->date.sec : INT64_MIN;
}

/* Oldest first; ties by path, so the order never depends on qsort's. */
static int
by_date(const void *x, const void *y)
{
	const struct pending *a = x, *b = y;
	int64_t ta = newest_sec(a->a), tb = newest_sec(b->a);

	if (ta != tb)
		return ta < tb ? -1 : 1;
	return strcmp(a->a->path, b->a->path);
}

/*
 * The archives of f (when it has any) into *sa; 0, or -1 (logged).
 * Archives of periods gone are removed later (stage_subs_archives()).
 */
static int
build_sub_archives(const struct feed_meta *m, const struct subfeed *f,
    struct sub_archives *sa)
{
	char dir[4096];

	memset(sa, 0, sizeof(*sa));
	if (!m->archives || f->nall <= f->n || !feed_written(m, FEED_ATOM))
		return 0;
	if (subfeed_archive_dir(f, dir, sizeof(dir)) < 0 ||
	    (sa->path = subfeed_path(f, FEED_ATOM)) == NULL ||
	    (sa->dir = strdup(dir)) == NULL ||
	    archives_build(dir, archive_period_of(m, f->axis == SUB_TAG),
	    f->rs + f->n, f->nall - f->n, &sa->ar) < 0) {
		log_errx("%s: cannot build the archives (out of memory)",
		    f->slug);
		free(sa->path);
		free(sa->dir);
		memset(sa, 0, sizeof(*sa));
		return -1;
	}
	return 0;
}

static void
free_sub_archives(struct sub_archives *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].path);
		free(v[i].dir);
		archives_free(&v[i].ar);
	}
	free(v);
}

/*
 * Every sub-feed's archive documents, in b, by the date of their newest
 * release, oldest first: the archives holding a release then come one
 * after another, so its entry, rendered once, is still in the memo for
 * the others (sub-feed by sub-feed, each release was rendered again for
 * every sub-feed holding it: most of a full build's time with 200 tags).
 * Then the archives of periods gone. Failures are counted in res, and
 * clear the sub-feed's signature (sub_sig()): all is staged again next time.
 */
static void
stage_subs_archives(const struct config *c, const struct feed_meta *m,
    const struct subfeeds *set, struct sub_archives *sa,
    struct output_batch *b, struct publish_result *res)
{
	struct pending *v;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < set->n; i++)
		n += sa[i].ar.n;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		log_errx("cannot stage the sub-feeds' archives (out of "
		    "memory)");
		res->subs_failed++;
		return;
	}
	for (size_t i = 0; n > 0 && i < set->n; i++) {
		struct feed_doc f = subfeed_doc(&set->v[i], sa[i].path);
		const struct archives *ar = &sa[i].ar;

		for (size_t j = 0; j < ar->n; j++, k++) {
			v[k].a = &ar->v[j];
			v[k].d = archive_doc(&f, ar, j);
			v[k].sub = i;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_date);
	for (k = 0; k < n; k++)
		if (stage_doc(m, FEED_ATOM, &v[k].d, v[k].a->rs, v[k].a->n,
		    b, &res->render_ms) < 0) {
			res->subs_failed++;
			sa[v[k].sub].sig = 0;
		}
	if (n > 0)
		free(v);
	for (size_t i = 0; i < set->n; i++)
		if (sa[i].dir != NULL &&
		    stage_old_archives(c, sa[i].dir, &sa[i].ar, b) < 0) {
			log_warn("cannot remove old archives in %s/%s",
			    c->output_dir, sa[i].dir);
			res->subs_failed++;
			sa[i].sig = 0;
		}
}

/*
 * Put f in kind k, its Atom document linking its newest archive (sa's,
 * staged before); 1: written (bytes differ), 0, -1.
 */
static int
stage_one(const struct subfeed *f, const struct sub_archives *sa,
    const struct feed_meta *m, enum feed_kind k, struct output_batch *b,
    struct publish_result *res)
{
	char *path = subfeed_path(f, k);
	struct feed_doc d;
	int rc;

	if (path == NULL)
		return -1;
	d = subfeed_doc(f, path);
	if (k == FEED_ATOM && sa->ar.n > 0)
		d.prev_archive = sa->ar.v[0].path;
	rc = stage_doc(m, k, &d, f->rs, f->n, b, &res->render_ms);
	free(path);
	return rc;
}

/*
 * The sub-feeds of set (subfeeds_build()) and their archives, as one
 * output batch: written again at every start when their bytes differ, so
 * the batch's weaker durability (no fsync of each file, see output.h)
 * costs nothing a restart does not repair. Every archive is in place
 * before the feed that links it.
 */
static void
publish_subs(const struct config *c, const struct feed_meta *m,
    const struct subfeeds *set, struct publish_result *res)
{
	struct output_batch *b;
	struct sub_archives *sa;
	size_t same = 0;
	bool quiet = by_address;

	/* Queued: the files are written while the next are rendered. */
	if ((b = output_batch_new_queued(c->output_dir)) == NULL ||
	    (sa = calloc(set->n + 1, sizeof(*sa))) == NULL) {
		log_errx("cannot build the sub-feeds (out of memory)");
		output_batch_free(b);
		res->subs_failed++;
		return;
	}
	tell_clashes(set);
	for (size_t i = 0; i < set->n; i++) {
		uint64_t sig;

		if (quiet && !touched[i] && sub_as_before(&set->v[i])) {
			sa[i].same = true;
			same++;
			continue;
		}
		/*
		 * Touched: its releases came or went, so its signature is
		 * another. Its documents are staged (each one's stamp says
		 * whether it changed), under a signature by address: one
		 * publish not quiet makes the real one, and stages again.
		 */
		sig = quiet ? stamp_addresses(sub_fields(m, &set->v[i]),
		    set->v[i].rs, set->v[i].nall) : sub_sig(m, &set->v[i]);
		if (!quiet && sub_same(&set->v[i], sig))
			sa[i].same = true, same++;
		else if (build_sub_archives(m, &set->v[i], &sa[i]) < 0)
			res->subs_failed++;
		else
			sa[i].sig = sig;
	}
	stage_subs_archives(c, m, set, sa, b, res);
	/* A kind at a time: the entries its documents share stay memoed. */
	for (int k = 0; k < FEED_NKINDS; k++)
		for (size_t i = 0; feed_written(m, k) && i < set->n; i++)
			if (!sa[i].same &&
			    stage_one(&set->v[i], &sa[i], m, k, b, res) < 0) {
				res->subs_failed++;
				sa[i].sig = 0;
			}
	for (size_t i = 0; i < set->n; i++)
		sub_keep(&set->v[i], sa[i].sig);
	free_sub_archives(sa, set->n);
	log_debug("sub-feeds: %zu of %zu as before, not rendered%s", same,
	    set->n, quiet ? " (only those of changed releases looked at)" :
	    "");
	free(touched);
	touched = NULL;
	addr_reused = false;
	if (stage_stale(c, set, b) < 0 || stage_stale_archives(c, set, b) < 0)
		res->subs_failed++;
	/* Nothing fsync'd links them: durable a little later. */
	if (output_batch_sync_soon(b) < 0) {
		log_err("cannot write the sub-feeds in %s", c->output_dir);
		res->subs_failed++;
		next_bad = true;
		subs_reset();
	}
	output_batch_free(b);
	res->subs_changed = (const char *const *)subs.v;
	res->nsubs_changed = subs.n;
}

/* ---- tombstones (RFC 6721) ---------------------------------------------- */

#define TOMBS_FILE "tombstones.json"

/* What the state folder's TOMBS_FILE held, once read; then kept here. */
static struct tombs tombs;
static bool tombs_read;

static void
tombs_read_file(const struct config *c)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	FILE *f;

	tombs_read = true;
	snprintf(path, sizeof(path), "%s/%s", c->state_dir, TOMBS_FILE);
	if ((f = fopen(path, "rb")) == NULL) {
		if (errno != ENOENT)
			log_warn("cannot read %s: deletions from before are "
			    "not told", path);
		return;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = (size_t)ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(len)) != NULL &&
	    fread(buf, 1, len, f) == len && tombs_load(&tombs, buf, len) == 0)
		log_debug("%s: %zu tombstones", path, tombs.n);
	else
		log_warnx("%s cannot be read as feedpubd wrote it: deletions "
		    "from before are not told", path);
	free(buf);
	fclose(f);
}

/*
 * The selection (store generation, releases) tombs last saw, for how
 * long, and until when (the first expiry) that selection changes
 * nothing: a site's slices and an idle publish need no update (it
 * copies every release's id and filing).
 */
struct tombs_saw {
	uint64_t gen;
	struct release *const *rs;
	size_t n;
	unsigned keep;
	int64_t until;
};
static struct tombs_saw tombs_saw;

/*
 * The tombstones of what left since the last publish of rs[0..all) (of
 * store generation gen), kept in the state folder across restarts (and
 * --once runs). Returns them, or NULL with *n 0 when [feed] deleted_for
 * is 0.
 */
static const struct tombstone *
publish_tombs(const struct config *c, uint64_t gen,
    struct release *const *rs, size_t all, int64_t now, size_t *n)
{
	bool changed;
	char *data;

	*n = 0;
	if (c->feed.deleted_for == 0)
		return NULL;
	if (!tombs_read)
		tombs_read_file(c);
	if (tombs_saw.rs == rs && tombs_saw.n == all && tombs_saw.gen == gen &&
	    tombs_saw.keep == c->feed.deleted_for && now < tombs_saw.until) {
		*n = tombs.n;
		return tombs.v;
	}
	tombs_saw.rs = NULL;
	if (tombs_update(&tombs, rs, all, now, c->feed.deleted_for,
	    &changed) < 0) {
		log_errx("cannot update the tombstones (out of memory)");
		changed = false;
	} else {
		tombs_saw = (struct tombs_saw){ gen, rs, all,
			c->feed.deleted_for, INT64_MAX };
		/* tombs_update() drops one once now - when > keep. */
		for (size_t i = 0; i < tombs.n; i++)
			if (tombs.v[i].when + c->feed.deleted_for + 1 <
			    tombs_saw.until)
				tombs_saw.until = tombs.v[i].when +
				    c->feed.deleted_for + 1;
	}
	if (changed) {
		if ((data = tombs_dump(&tombs)) == NULL ||
		    output_mkdirs(c->state_dir) < 0 ||
		    output_replace(c->state_dir, TOMBS_FILE, data,
		    strlen(data)) < 0)
			log_warn("cannot write %s/%s", c->state_dir, TOMBS_FILE);
		free(data);
	}
	*n = tombs.n;
	return tombs.v;
}

/* The pages of the tombstoned releases, for publish_result's gone. */
static struct {
	char **v;
	size_t n;
} gone;

/*
 * gone = the page names of tv[0..n) (none without [pages]), into res;
 * and the publish that drops the oldest tombstone, into next_change.
 */
static void
gone_pages(const struct config *c, const struct tombstone *tv, size_t n,
    int64_t now, struct publish_result *res)
{
	char name[4096];

	for (size_t i = 0; i < gone.n; i++)
		free(gone.v[i]);
	gone.n = 0;
	if (gone.v == NULL && (gone.v = calloc(1, sizeof(*gone.v))) == NULL)
		return;	/* NULL: not known, the server keeps its own */
	for (size_t i = 0; i < n; i++) {
		/* tombs_update() drops it once now - when > keep. */
		int64_t drop = tv[i].when + c->feed.deleted_for + 1;
		struct release r = { .slug = tv[i].slug };
		char **t;

		if (drop > now && drop < res->next_change)
			res->next_change = drop;
		if (c->pages == NULL || r.slug == NULL ||
		    pages_release_name(&r, name, sizeof(name)) < 0 ||
		    (t = realloc(gone.v, (gone.n + 1) * sizeof(*t))) == NULL)
			continue;
		gone.v = t;
		if ((gone.v[gone.n] = strdup(name)) != NULL)
			gone.n++;
	}
	res->gone = (const char *const *)gone.v;
	res->ngone = gone.n;
}

/*
 * The selection whose media were copied by a slice of the site still under
 * way: its next slices need not look at every release's media again.
 */
static struct {
	uint64_t gen;
	struct release **rs;
	size_t n;
} media_done;

/* The feeds went before the rest of the site, all in place: prune then. */
static bool prune_owed;


/* More changes than this at once: the set is built again. */
#define UPDATE_MAX 64

static void
subs_drop(void)
{
	subfeeds_free(&kept.set);
	memset(&kept, 0, sizeof(kept));
	free(seen.v);
	seen.v = NULL;
	seen.n = 0;
	free(touched);
	touched = NULL;
	addr_reused = false;
}

void
publish_forget(void)
{
	subs_drop();
	feed_memo_free(entries);
	entries = NULL;
}

/* What subfeeds_build() reads of the settings. */
static uint64_t
set_meta(const struct feed_meta *m)
{
	uint64_t h = stamp_meta(m, NULL);

	h = stamp_num(stamp_num(h, m->tag_feeds), m->type_feeds);
	return stamp_num(stamp_num(h, m->lang_feeds), (int64_t)m->max_entries);
}

static uint64_t
tombs_key(const struct tombstone *tv, size_t n)
{
	uint64_t h = stamp_num(0, (int64_t)n);

	for (size_t i = 0; i < n; i++)
		h = stamp_num(stamp_str(h, tv[i].ref), tv[i].when);
	return h;
}

/* seen, of rs[0..n); false when out of memory (seen empty). */
static bool
seen_fill(struct release *const *rs, size_t n)
{
	free(seen.v);
	seen.n = 0;
	if ((seen.v = malloc((n + 1) * sizeof(*seen.v))) == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		seen.v[i] = (struct seen_one){ rs[i], rs[i]->stamp_key,
			rs[i]->date.sec, 0 };
	seen.n = n;
	return true;
}

static size_t
seen_slot(const size_t *slot, size_t cap, const struct release *r)
{
	size_t i = (size_t)(((uintptr_t)r >> 4) * 0x9E3779B97F4A7C15ULL) &
	    (cap - 1);

	while (slot[i] != 0 && seen.v[slot[i] - 1].r != r)
		i = (i + 1) & (cap - 1);
	return i;
}

/*
 * Update kept.set from seen to rs[0..n) when few releases changed
 * (subfeeds_update()); seen then describes rs. False: build it again.
 */
static bool
subs_update(const struct feed_meta *m, struct release *const *rs, size_t n)
{
	size_t cap = 64, *slot, added[UPDATE_MAX], nadded = 0, ngone = 0;
	const struct release *left[UPDATE_MAX];
	struct seen_one *now = malloc((n + 1) * sizeof(*now));
	bool *matched, ok = false;

	while (cap < seen.n * 2 + 2)
		cap *= 2;
	slot = calloc(cap, sizeof(*slot));
	matched = calloc(seen.n + 1, sizeof(*matched));
	if (touched == NULL)
		touched = calloc(kept.set.n + 1, sizeof(*touched));
	if (slot == NULL || matched == NULL || now == NULL || touched == NULL)
		goto out;
	for (size_t i = 0; i < seen.n; i++)
		slot[seen_slot(slot, cap, seen.v[i].r)] = i + 1;
	for (size_t i = 0; i < n; i++) {
		size_t j = slot[seen_slot(slot, cap, rs[i])];

		now[i] = (struct seen_one){ rs[i], rs[i]->stamp_key,
			rs[i]->date.sec, 0 };
		/* No key: unknown, so changed. */
		if (j != 0 && rs[i]->stamp_key != 0 &&
		    seen.v[j - 1].key == rs[i]->stamp_key &&
		    seen.v[j - 1].sec == rs[i]->date.sec) {
			matched[j - 1] = true;
			now[i].stamp = seen.v[j - 1].stamp;
			continue;
		}
		if (nadded == UPDATE_MAX)
			goto out;
		added[nadded++] = i;
	}
	for (size_t i = 0; i < seen.n; i++) {
		if (matched[i])
			continue;
		if (ngone == UPDATE_MAX)
			goto out;
		left[ngone++] = seen.v[i].r;
		/* An edited file read again into its old one's memory. */
		for (size_t j = 0; j < nadded; j++)
			addr_reused = addr_reused || rs[added[j]] == seen.v[i].r;
	}
	if ((ok = subfeeds_update(&kept.set, m, rs, n, added, nadded, left,
	    ngone, touched) == 0)) {
		free(seen.v);
		seen.v = now;
		seen.n = n;
		now = NULL;
	}
out:
	free(slot);
	free(matched);
	free(now);
	return ok;
}

/*
 * The sub-feed set of rs[0..n) and the tombstones tv[0..ntombs): kept,
 * updated or built; NULL if out of memory.
 */
static const struct subfeeds *
subs_for(const struct feed_meta *m, struct store *s, struct release **rs,
    size_t n, const struct tombstone *tv, size_t ntombs)
{
	uint64_t meta = set_meta(m), tk;

	if (kept.built && kept.gen == store_generation(s) && kept.rs == rs &&
	    kept.n == n && kept.ntombs == ntombs)
		return kept.ok ? &kept.set : NULL;
	tk = tombs_key(tv, ntombs);
	if (!kept.built || !kept.ok || kept.meta != meta || kept.tombs != tk ||
	    !subs_update(m, rs, n)) {
		subs_drop();
		kept.ok = subfeeds_build(m, rs, n, tv, ntombs, &kept.set) == 0;
		if (!kept.ok)
			log_errx("cannot build the sub-feeds (out of memory)");
		else
			pages_follow_clashes(&kept.set, rs, n);
		/* Without it, the next change builds again. */
		if (kept.ok && !seen_fill(rs, n))
			kept.meta = ~meta;
		else
			kept.meta = meta;
	}
	kept.built = true;
	kept.gen = store_generation(s);
	kept.rs = rs;
	kept.n = n;
	kept.ntombs = ntombs;
	kept.tombs = tk;
	return kept.ok ? &kept.set : NULL;
}

int
publish_feeds(const struct config *c, struct store *s, int64_t now,
    int64_t empty_since, double slice_ms, bool save_state,
    struct publish_result *res)
{
	struct feed_meta m = c->feed;
	struct release **rs;
	size_t n, all;
	bool wfail = false;
	const char *newest = NULL;
	const struct tombstone *tv;
	size_t ntombs;
	const struct subfeeds *set;
	double ts;
	struct output_file files[FEED_NKINDS];
	enum feed_kind kinds[FEED_NKINDS];
	size_t nfiles = 0;

	m.empty_since = empty_since;
	memset(res, 0, sizeof(*res));
	res->next_change = INT64_MAX;
	/* Every published release: the site shows all, the feeds the newest. */
	if (store_select(s, now, SIZE_MAX, &rs, &all) < 0) {
		log_errx("cannot select the releases to publish (out of "
		    "memory)");
		return fail_all(res);
	}
	n = all < c->feed.max_entries ? all : c->feed.max_entries;
	res->entries = n;
	res->rs = rs;
	if (output_mkdirs(c->output_dir) < 0) {
		log_err("cannot create output folder %s", c->output_dir);
		return fail_all(res);
	}
	/* The sub-feeds carry the tombstones, and the pages link them. */
	tv = publish_tombs(c, store_generation(s), rs, all, now, &ntombs);
	if ((set = subs_for(&m, s, rs, all, tv, ntombs)) == NULL)
		res->subs_failed++;
	/* Media first: pages and feeds link them. */
	if (media_done.gen != store_generation(s) || media_done.rs != rs ||
	    media_done.n != all)
		mediapub_copy(c, rs, all);
	media_done.gen = 0;
	if (c->pages != NULL) {
		/* Sub-feeds and archives link pages of any release. */
		size_t need = m.archives || m.tag_feeds || m.type_feeds ||
		    m.lang_feeds ? all : n;
		bool out;
		enum site_step step;

		/* One address for the plan in site.c; the pages link the set. */
		site_cfg = *c;
		site_cfg.feed.subs = set;
		ts = date_mono_ms();
		step = site_publish(&site_cfg, rs, all, n, need,
		    store_generation(s), now, slice_ms, save_state, res, &out);
		res->site_ms = date_mono_ms() - ts;
		if (step != SITE_DONE) {
			media_done.gen = store_generation(s);
			media_done.rs = rs;
			media_done.n = all;
			res->site_more = true;
		}
		if (step == SITE_MORE)
			return 0;
		if (step == SITE_DONE && out) {
			/* The rest of a site whose feeds went before. */
			res->site_rest = true;
			if (prune_owed && res->pages_failed == 0)
				mediapub_prune(c, rs, all);
			prune_owed = false;
			return 0;
		}
	}
	res->feeds_went = true;
	subs_reset();
	stamps_begin(c, &m, c->pages != NULL ? all : n);
	by_address = set != NULL && stamps_quiet(&m);
	/* stamps_quiet() saw no set, or could not note the stamps (no
	 * memo): start afresh, nothing taken as unchanged next time. */
	if (set == NULL || memo == NULL)
		subs_drop();
	gone_pages(c, tv, ntombs, now, res);
	/*
	 * Before the feed, so its prev-archive link is there to follow;
	 * turned off, none (those written before are removed).
	 */
	ts = date_mono_ms();
	newest = publish_archives(c, &m, rs + n, m.archives ? all - n : 0,
	    res);
	res->archives_ms = date_mono_ms() - ts;
	/* Rendered first, then written together: one wait on the disk. */
	for (int k = 0; k < FEED_NKINDS; k++) {
		const char *name = feed_file_name(k);
		struct feed_doc d = { .path = name, .prev_archive = k ==
		    FEED_ATOM ? newest : NULL, .tombs = k == FEED_ATOM ? tv :
		    NULL, .ntombs = k == FEED_ATOM ? ntombs : 0 };
		struct release_error err;
		char *data;
		size_t len;
		double t0 = date_mono_ms();
		int rc;

		if (!feed_written(&m, k))
			continue;
		rc = feed_render_memo(k, &m, &d, rs, n, entries, &data, &len,
		    &err);

		res->render_ms += date_mono_ms() - t0;
		if (rc < 0) {
			not_rendered(name, &err);
			res->failed++;
			res->failed_k[k] = true;
			continue;
		}
		kinds[nfiles] = k;
		files[nfiles++] = (struct output_file){ .name = name,
		    .data = data, .len = len };
	}
	(void)output_replace_all(c->output_dir, files, nfiles);
	for (size_t i = 0; i < nfiles; i++) {
		enum feed_kind k = kinds[i];

		free((void *)files[i].data);
		if (files[i].rc < 0) {
			errno = files[i].err;
			write_failed(c, files[i].name);
			res->failed++;
			res->failed_k[k] = true;
			wfail = true;
		} else {
			res->changed[k] = files[i].rc == 1;
		}
	}
	if (wfail)
		episode.fails++;
	else
		episode_end(c, res);
	res->feeds_ms = date_mono_ms() - ts - res->archives_ms;
	ts = date_mono_ms();
	if (set != NULL)
		publish_subs(c, &m, set, res);
	res->subs_ms = date_mono_ms() - ts;
	site_feeds_done(rs, n, all);
	stamps_end();
	/*
	 * Only once no feed left in place links a copy any more, nor a page
	 * (the pages after the feeds: when they are done).
	 */
	prune_owed = false;
	if (!res->failed && res->subs_failed == 0 && res->pages_failed == 0) {
		if (res->site_more)
			prune_owed = true;
		else
			mediapub_prune(c, rs, all);
	}
	return res->failed ? -1 : 0;
}
