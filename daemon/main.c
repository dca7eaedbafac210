/*
 * feedpubd: command line, then one-shot publishing (--once), a check of
 * config and releases (--check), or the daemon.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "config/config.h"
#include "daemon.h"
#include "feeds/date.h"
#include "feeds/scan.h"
#include "log.h"
#include "publish.h"

#define DEFAULT_CONFIG "/etc/feedpubd/feedpubd.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: feedpubd [--config FILE] [--once | --check] [--verbose]\n"
	    "                [--version] [--help]\n"
	    "\n"
	    "  -c, --config FILE  config file (default " DEFAULT_CONFIG ")\n"
	    "  -1, --once         write the feeds once and exit\n"
	    "  -n, --check        check the config and every release, "
	    "write nothing\n"
	    "  -v, --verbose      log debug messages too\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n");
}

static void
report(void *ud, const char *relpath, const struct release_error *err)
{
	const struct config *c = ud;

	if (err->line > 0)
		log_err("%s/%s:%zu: %s", c->releases_dir, relpath, err->line,
		    err->msg);
	else
		log_err("%s/%s: %s", c->releases_dir, relpath, err->msg);
}

/* Load every release; -1 when the folder itself cannot be read. */
static int
load_all(const struct config *c, struct store *s, int *skipped)
{
	*skipped = scan_folder(&c->feed, c->releases_dir, s, report,
	    (void *)c);
	if (*skipped < 0) {
		log_warn("cannot read the releases folder %s",
		    c->releases_dir);
		return -1;
	}
	return 0;
}

static int
run_once(const struct config *c, bool check_only)
{
	struct publish_result res;
	struct store *s = store_new();
	int skipped, rc = 1;

	if (s == NULL || load_all(c, s, &skipped) < 0)
		goto out;
	if (check_only) {
		log_info("%zu releases, %d with problems", store_count(s),
		    skipped);
		rc = skipped ? 1 : 0;
		goto out;
	}
	if (publish_feeds(c, s, (int64_t)time(NULL), &res) < 0)
		goto out;
	for (int k = 0; k < FEED_NKINDS; k++)
		log_info("%s/%s: %zu entries (%s)", c->output_dir,
		    feed_file_name(k), res.entries,
		    res.changed[k] ? "written" : "unchanged");
	rc = 0;
out:
	store_free(s);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, '1' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG;
	bool once = false, check = false, verbose = false;
	struct config *c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:1nvVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case '1': once = true; break;
		case 'n': check = true; break;
		case 'v': verbose = true; break;
		case 'V': printf("feedpubd %s\n", FEEDPUBD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind < argc || (once && check)) {
		usage(stderr);
		return EX_USAGE;
	}
	log_init(verbose);
	if ((c = config_load(path, stderr)) == NULL)
		return check ? 1 : EX_CONFIG;
	if (date_set_zone(c->timezone) < 0) {
		log_err("%s: unknown timezone %s", path, c->timezone);
		config_free(c);
		return check ? 1 : EX_CONFIG;
	}
	if (!once && !check)
		return daemon_run(c, path);
	rc = run_once(c, check);
	config_free(c);
	return rc;
}
