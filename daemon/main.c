/*
 * feedpubd: command line, then one-shot publishing (--once), a check of
 * config and releases (--check), or the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <curl/curl.h>

#include "config/config.h"
#include "daemon.h"
#include "feeds/date.h"
#include "feeds/scan.h"
#include "log.h"
#include "publish.h"
#include "state.h"

#define DEFAULT_CONFIG "/etc/feedpubd/feedpubd.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: feedpubd [--config FILE]\n"
	    "                [--once | --check | --status | --print-config]\n"
	    "                [--verbose] [--version] [--help]\n"
	    "\n"
	    "  -c, --config FILE  config file (default " DEFAULT_CONFIG ")\n"
	    "  -1, --once         write the feeds once and exit\n"
	    "  -n, --check        check the config and every release, "
	    "write nothing\n"
	    "  -s, --status       print the pending pings and exit\n"
	    "  -T, --print-config print every key's value in effect and "
	    "exit\n"
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
	*skipped = scan_folder(&c->feed, c->releases_dir, s, NULL, report,
	    (void *)c);
	if (*skipped < 0) {
		log_errno("cannot read the releases folder %s",
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

/* --status: the ping queue, read from the state database. */
static int
print_status(const struct config *c)
{
	struct state *st = state_open(c->state_dir, true);
	int e = errno;
	struct pending_ping *v;
	size_t n;
	double now = (double)time(NULL);

	if (st == NULL && e == ENOENT) {
		printf("0 pending pings\n");	/* the daemon never ran */
		return 0;
	}
	if (st == NULL || state_ping_list(st, &v, &n) < 0) {
		state_close(st);
		return 1;
	}
	printf("%zu pending ping%s\n", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		printf("%-16s %s  tries %d, next in %.0f s", v[i].target,
		    v[i].feed, v[i].attempts, v[i].due > now ?
		    v[i].due - now : 0.);
		if (v[i].last_error != NULL)
			printf(", last error: %s", v[i].last_error);
		printf("\n");
	}
	state_pings_free(v, n);
	state_close(st);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, '1' },
		{ "check", no_argument, NULL, 'n' },
		{ "status", no_argument, NULL, 's' },
		{ "print-config", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG;
	bool once = false, check = false, status = false, verbose = false;
	bool print = false;
	struct config *c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:1nsTvVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case '1': once = true; break;
		case 'n': check = true; break;
		case 's': status = true; break;
		case 'T': print = true; break;
		case 'v': verbose = true; break;
		case 'V': printf("feedpubd %s\n", FEEDPUBD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (once + check + status + print > 1) {
		fprintf(stderr, "feedpubd: --once, --check, --status and "
		    "--print-config are separate modes: give one\n");
		return EX_USAGE;
	}
	if (optind < argc) {
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
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (status)
		rc = print_status(c);
	else if (print)
		rc = config_print(c, stdout) < 0 ? 1 : 0;
	else if (!once && !check) {
		rc = daemon_run(c, path);	/* it frees c */
		c = NULL;
	} else
		rc = run_once(c, check);
	config_free(c);
	curl_global_cleanup();
	return rc;
}
