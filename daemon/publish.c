/*
 * publish: see publish.h.
 */
#include "publish.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feeds/date.h"
#include "feeds/output.h"
#include "log.h"
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

int
publish_feeds(const struct config *c, struct store *s, int64_t now,
    int64_t empty_since, double slice_ms, bool save_state,
    struct publish_result *res)
{
	struct feed_meta m = c->feed;
	struct release **rs;
	size_t n, all;
	bool wfail = false;

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
	if (c->pages != NULL && site_publish(c, rs, all, n, now, slice_ms,
	    save_state, res) > 0) {
		res->site_more = true;
		return 0;
	}
	for (int k = 0; k < FEED_NKINDS; k++) {
		const char *name = feed_file_name(k);
		char *data;
		size_t len;
		double t0 = date_mono_ms();
		int rc = feed_render(k, &m, rs, n, &data, &len);

		res->render_ms += date_mono_ms() - t0;
		if (rc < 0) {
			log_errx("%s: cannot render the feed (out of memory)",
			    name);
			res->failed++;
			res->failed_k[k] = true;
			continue;
		}
		rc = output_replace(c->output_dir, name, data, len);
		free(data);
		if (rc < 0) {
			write_failed(c, name);
			res->failed++;
			res->failed_k[k] = true;
			wfail = true;
		} else {
			res->changed[k] = rc == 1;
		}
	}
	if (wfail)
		episode.fails++;
	else
		episode_end(c, res);
	return res->failed ? -1 : 0;
}
