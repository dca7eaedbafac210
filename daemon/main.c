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
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "config/config.h"
#include "daemon.h"
#include "feeds/date.h"
#include "lock.h"
#include "log.h"
#include "pipeline.h"
#include "setup.h"
#include "state.h"

#define DEFAULT_CONFIG "/etc/feedpubd/feedpubd.conf"
/* base_url's host in config/feedpubd.conf, the example installed there. */
#define EXAMPLE_HOST "news.example.org"

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
	    "  -s, --status       print the pending pings, the daemon's "
	    "status and\n"
	    "                     the skipped files, and exit\n"
	    "  -T, --print-config print every key's value in effect and "
	    "exit\n"
	    "  -v, --verbose      log debug messages too\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n");
}

/*
 * --once while a daemon runs on the same state folder would publish
 * beside it and write its history under it: refuse (exit 75). A folder
 * without a lock file has had no daemon. Returns the lock's fd (-1: none
 * taken), or -2 when refused (logged).
 */
static int
once_lock(const struct config *c)
{
	pid_t holder;
	int fd;

	if (lock_take(c->state_dir, false, &fd, &holder) != LOCK_HELD)
		return fd;
	if (holder != 0)
		log_errx("a feedpubd daemon (pid %ld) runs on the state folder "
		    "%s and publishes these feeds: --once refused",
		    (long)holder, c->state_dir);
	else
		log_errx("another feedpubd runs on the state folder %s: --once "
		    "refused", c->state_dir);
	return -2;
}

/*
 * --once and --check: the daemon's pipeline, run once. --once uses the
 * release history if the daemon left a state database (so both publish
 * the same dates), but makes none; --check writes nothing at all.
 */
static int
run_once(const struct config *c, bool check_only)
{
	struct state *st = NULL;
	struct pipeline *p = NULL;
	struct pipe_result res;
	struct stat sb;
	int rc = 1, lock = -1;

	if (!check_only) {
		if ((lock = once_lock(c)) == -2)
			return EX_TEMPFAIL;
		setup_process(c);
	}
	if (!check_only && (st = state_open(c->state_dir,
	    STATE_EXISTING, NULL, 0)) == NULL && errno != ENOENT)
		log_warnx("publishing without the release history: dates may "
		    "differ from the daemon's");
	if ((p = pipeline_new(c, st, NULL)) == NULL) {
		log_errx("out of memory");
		goto out;
	}
	if (check_only) {
		pipeline_notes(p, true);
		if (strcmp(c->feed.tag_authority, EXAMPLE_HOST) == 0)
			log_warnx("%s: base_url %s is still the example's: "
			    "entry ids are built from its host and must never "
			    "change, so set the feed's own before publishing",
			    c->path, c->feed.base_url);
		if (pipeline_read(p) < 0)
			goto out;
		log_info("%zu releases, %zu with problems",
		    pipeline_releases(p), pipeline_skipped(p));
		rc = pipeline_skipped(p) > 0 ? 1 : 0;
		goto out;
	}
	pipeline_once(p, stat(c->path, &sb) == 0 ? (int64_t)sb.st_mtime : 0);
	if (pipeline_run(p, (int64_t)time(NULL), &res) < 0)
		goto out;
	for (int k = 0; k < FEED_NKINDS; k++)
		if (feed_written(&c->feed, k))
			log_info("%s/%s: %zu entries (%s)", c->output_dir,
			    feed_file_name(k), res.entries,
			    res.changed[k] ? "written" : "unchanged");
	rc = 0;
out:
	pipeline_free(p);
	state_close(st);
	lock_release(lock);
	return rc;
}

/*
 * --status, after the ping queue: the daemon's status line at its last
 * publish and the files it skipped, with their errors (nothing when the
 * daemon never saved them). Names are escaped like log lines.
 */
static void
print_daemon_status(struct state *st)
{
	char *line = state_meta_get(st, "status");
	char *at = state_meta_get(st, "status_at");
	struct skipped_file *sk = NULL;
	size_t n = 0;
	long long t = 0;

	if (line == NULL) {
		free(at);
		return;
	}
	printf("\n");
	if (at != NULL && sscanf(at, "%lld", &t) == 1 && t > 0) {
		struct fp_time ft = date_from_epoch((int64_t)t);
		char date[DATE_BUFSZ];

		printf("last publish %s: %s\n", date_rfc3339(&ft, date), line);
	} else {
		printf("last publish: %s\n", line);
	}
	if (state_skipped_list(st, &sk, &n) == 0) {
		printf("%zu skipped file%s\n", n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++)
			printf("  %s: %s\n", log_esc(sk[i].path),
			    log_esc(sk[i].error));
	}
	state_skipped_free(sk, n);
	free(line);
	free(at);
}

/* --status: the ping queue, read from the state database. */
static int
print_status(const struct config *c)
{
	struct state *st = state_open(c->state_dir, STATE_READONLY, NULL, 0);
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
	print_daemon_status(st);
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
	if ((c = setup_config(path, stderr)) == NULL)
		return check ? 1 : EX_CONFIG;
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
