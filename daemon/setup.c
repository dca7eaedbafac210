/*
 * setup: see setup.h.
 */
#include "setup.h"

#include <dirent.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "feeds/archive.h"
#include "feeds/date.h"
#include "feeds/feed.h"
#include "feeds/output.h"
#include "feeds/subfeed.h"
#include "log.h"

static struct config *
load(const char *path, FILE *errs)
{
	struct config *c = config_load(path, errs);

	if (c != NULL && date_set_zone(c->timezone) < 0) {
		fprintf(errs, "%s: unknown timezone %s\n", path, c->timezone);
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
setup_config(const char *path, FILE *errs)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	struct config *c;

	if (errs != NULL)
		return load(path, errs);
	if ((f = open_memstream(&text, &len)) == NULL) {
		log_errx("out of memory");
		return NULL;
	}
	c = load(path, f);
	fclose(f);
	log_errx_lines(text);
	free(text);
	return c;
}

/* The temp files of name in dir that a killed run left: removed, logged. */
static void
remove_temps(const char *dir, const char *name)
{
	int n = output_remove_temps(dir, name);

	if (n > 0)
		log_info("removed %d temp file%s of %s left in %s by a run that "
		    "was killed", n, n == 1 ? "" : "s", name, dir);
	else if (n < 0 && errno != ENOENT)
		log_warn("cannot look for temp files in %s", dir);
}

void
setup_process(const struct config *c)
{
	/* The site's files (daemon/site.c), at the top and in its folders. */
	static const char *const site[] = { "*.html", "sitemap.xml",
	    "sitemap-news.xml", "style.css", "robots.txt" };
	static const char *const folders[] = { "releases", "archive" };
	char dir[4096];

	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	for (int k = 0; k < FEED_NKINDS; k++)
		remove_temps(c->output_dir, feed_file_name(k));
	for (size_t i = 0; i < sizeof(site) / sizeof(site[0]); i++)
		remove_temps(c->output_dir, site[i]);
	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", c->output_dir, folders[i]);
		remove_temps(dir, "*.html");
	}
	snprintf(dir, sizeof(dir), "%s/sitemaps", c->output_dir);
	remove_temps(dir, "*.xml");	/* a split sitemap's chunks */
	snprintf(dir, sizeof(dir), "%s/%s", c->output_dir, ARCHIVE_DIR);
	remove_temps(dir, "*.atom");
	/* The sub-feeds' archives: feed-archive/AXIS/SLUG/. */
	for (int a = 0; a < SUB_NAXES; a++) {
		DIR *d;
		struct dirent *e;
		char axis[2048];

		snprintf(axis, sizeof(axis), "%s/%s/%s", c->output_dir,
		    ARCHIVE_DIR, subfeed_dir(a));
		if ((d = opendir(axis)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", axis,
			    e->d_name) < sizeof(dir))
				remove_temps(dir, "*.atom");
		}
		closedir(d);
	}
	/* The sub-feeds' folders (feeds/subfeed.h). */
	for (int a = 0; a < SUB_NAXES; a++)
		for (int k = 0; k < FEED_NKINDS; k++) {
			char pat[16];

			snprintf(dir, sizeof(dir), "%s/%s", c->output_dir,
			    subfeed_dir(a));
			snprintf(pat, sizeof(pat), "*%s", feed_extension(k));
			remove_temps(dir, pat);
		}
}
