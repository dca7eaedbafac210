/*
 * upload: see upload.h.
 *
 * A run: snapshot the output folder, compare with the snapshot of the last
 * successful run ("base"; empty at start, so the first run names every
 * file), and hand the difference to the command in phases, each a child
 * of its own. Only when every phase succeeded does the snapshot become
 * the base; a failure retries the whole difference (plus what changed
 * meanwhile), which a command like rsync makes cheap.
 */
#include "upload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

extern char **environ;

#define STOP_GRACE_S	5	/* SIGTERM to SIGKILL when the daemon stops */

/* One file of the output folder as a snapshot saw it. */
struct file {
	char *path;		/* relative, bytes */
	dev_t dev;
	ino_t ino;		/* an atomic replace makes a new inode */
	off_t size;
	struct timespec mtime;
};

struct snap {
	struct file *v;		/* sorted by path (strcmp) */
	size_t n, cap;
};

/*
 * The phases of order = safe, in the order they run, so that whatever a
 * file links to is there before it: media and other assets (style.css),
 * pages (which link the media), feeds and sitemaps (which link the
 * pages), then removals (nothing left links them). order = all: one run.
 */
enum phase { PH_MEDIA, PH_PAGES, PH_FEEDS, PH_DELETE, PH_NPHASES, PH_ALL };

static const char *const phase_names[] = {
	[PH_MEDIA] = "media", [PH_PAGES] = "pages", [PH_FEEDS] = "feeds",
	[PH_DELETE] = "delete", [PH_ALL] = "all",
};

struct upload {
	struct ev_loop *loop;
	const struct config *cfg;	/* borrowed */
	struct snap base;		/* what the remote copy has */
	struct snap next;		/* what the run under way uploads */
	bool owed;			/* files changed since the run began */
	bool started;			/* a run succeeded since the start */
	/* The run under way: its lists, the phase of its child. */
	struct file **lists[PH_NPHASES];	/* into next and base */
	size_t nlists[PH_NPHASES];
	int phase;			/* index of the running phase */
	pid_t pid;			/* 0: no child */
	bool timed_out;
	char changed_path[64], removed_path[64];
	ev_child child;
	ev_timer timeout, retry;
	bool failing;			/* an episode of failures: logged */
	unsigned tries;			/* in the episode */
};

static void start_run(struct upload *u);

static const char *
phase_name(int ph)
{
	return ph >= 0 ? phase_names[ph] : "none";
}

/* ---- snapshots ---------------------------------------------------------- */

static void
snap_clear(struct snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	*s = (struct snap){ 0 };
}

static int
snap_add(struct snap *s, const char *path, const struct stat *st)
{
	struct file *f;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		if ((f = reallocarray(s->v, cap, sizeof(*f))) == NULL)
			return -1;
		s->v = f;
		s->cap = cap;
	}
	f = &s->v[s->n];
	if ((f->path = strdup(path)) == NULL)
		return -1;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
	s->n++;
	return 0;
}

/*
 * The regular files under dirfd (rel: its path, "" at the top) into s.
 * Names starting with '.' are skipped: output's temporary files are
 * ".NAME.XXXXXX". Symlinks are not followed (the output folder holds
 * none of feedpubd's). Returns 0, or -1 (logged).
 */
static int
walk(struct snap *s, int dirfd, const char *rel)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char path[4096];
	int fd, rc = 0;

	if ((d = fdopendir(dirfd)) == NULL) {
		log_warn("publish exec: cannot read %s", rel[0] ? rel : ".");
		close(dirfd);
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", rel,
		    rel[0] ? "/" : "", de->d_name) >= sizeof(path))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone meanwhile */
		if (S_ISREG(st.st_mode)) {
			if (snap_add(s, path, &st) < 0) {
				log_errx("out of memory");
				rc = -1;
			}
		} else if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				rc = walk(s, fd, path);
		}
	}
	if (rc == 0 && errno != 0) {
		log_warn("publish exec: cannot read %s", rel[0] ? rel : ".");
		rc = -1;
	}
	closedir(d);
	return rc;
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->path,
	    ((const struct file *)b)->path);
}

static int
snap_take(struct snap *s, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		log_warn("publish exec: cannot open %s", dir);
		return -1;
	}
	if (walk(s, fd, "") < 0) {
		snap_clear(s);
		return -1;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_file);
	return 0;
}

static bool
same_file(const struct file *a, const struct file *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* ---- phases ------------------------------------------------------------- */

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The phase of a file written, by its name. */
static enum phase
phase_of(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (ends_with(path, ".html"))
		return PH_PAGES;
	/* robots.txt names the sitemaps: it goes with them. */
	if (ends_with(path, ".atom") || ends_with(path, ".rss") ||
	    ends_with(path, ".json") || ends_with(path, ".xml") ||
	    strcmp(base, "robots.txt") == 0)
		return PH_FEEDS;
	return PH_MEDIA;
}

static void
lists_clear(struct upload *u)
{
	for (int i = 0; i < PH_NPHASES; i++) {
		free(u->lists[i]);
		u->lists[i] = NULL;
		u->nlists[i] = 0;
	}
}

/* Into a list plan() sized for every file: it never grows. */
static void
list_add(struct upload *u, int ph, struct file *f)
{
	u->lists[ph][u->nlists[ph]++] = f;
}

/*
 * The difference of u->next against u->base into u->lists: written files
 * by phase (or all in PH_MEDIA's slot with order = all), removed ones in
 * PH_DELETE's. Returns the number of files, or -1 when out of memory.
 */
static long
plan(struct upload *u)
{
	bool safe = u->cfg->publish.order == ORDER_SAFE;
	size_t i = 0, j = 0, total = 0;
	struct snap *a = &u->base, *b = &u->next;

	for (int p = 0; p < PH_NPHASES; p++) {
		u->lists[p] = calloc(p == PH_DELETE ? a->n + 1 : b->n + 1,
		    sizeof(*u->lists[p]));
		if (u->lists[p] == NULL) {
			lists_clear(u);
			return -1;
		}
	}
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 :
		    strcmp(a->v[i].path, b->v[j].path);

		if (c < 0) {
			list_add(u, PH_DELETE, &a->v[i++]);
			total++;
			continue;
		}
		if (c > 0 || !same_file(&a->v[i], &b->v[j])) {
			list_add(u, safe ? (int)phase_of(b->v[j].path) :
			    PH_MEDIA, &b->v[j]);
			total++;
		}
		if (c == 0)
			i++;
		j++;
	}
	return (long)total;
}

/* ---- the child ---------------------------------------------------------- */

/* names[0..n), each followed by a NUL, into a new temporary file. */
static int
write_list(char *path, size_t len, struct file *const *names, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	int fd;

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(path, len, "%s/feedpubd-list.XXXXXX", tmp) >=
	    len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fwrite(names[i]->path, 1, strlen(names[i]->path) + 1, f);
	if (fclose(f) != 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

static void
remove_lists(struct upload *u)
{
	if (u->changed_path[0])
		unlink(u->changed_path);
	if (u->removed_path[0])
		unlink(u->removed_path);
	u->changed_path[0] = u->removed_path[0] = '\0';
}

/*
 * A shell only when the value needs one (quotes, variables, pipes,
 * redirections, globs, an assignment): else its words, split on blanks,
 * are the program and its arguments, found in PATH.
 */
static bool
needs_shell(const char *cmd)
{
	return strpbrk(cmd, "|&;<>()$`\\\"'*?[]#~=%{}!\n") != NULL;
}

/* cmd split on blanks, in place: a NULL-terminated vector, or NULL. */
static char **
split_words(char *cmd)
{
	size_t n = 0, cap = 8;
	char **v = calloc(cap, sizeof(*v)), **nv;

	for (char *w = strtok(cmd, " \t"); v != NULL && w != NULL;
	    w = strtok(NULL, " \t")) {
		if (n + 2 > cap) {
			cap *= 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				return NULL;
			}
			v = nv;
		}
		v[n++] = w;
		v[n] = NULL;
	}
	return v;
}

/* environ without FEEDPUBD_*, then the run's variables; NULL: no memory. */
static char **
child_env(struct upload *u, const char *phase)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 5, sizeof(*env))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "FEEDPUBD_", 9) != 0)
			env[k++] = environ[i];
	if (asprintf(&env[k++], "FEEDPUBD_OUTPUT=%s",
	    u->cfg->output_dir) < 0 ||
	    asprintf(&env[k++], "FEEDPUBD_CHANGED=%s", u->changed_path) < 0 ||
	    asprintf(&env[k++], "FEEDPUBD_REMOVED=%s", u->removed_path) < 0 ||
	    asprintf(&env[k++], "FEEDPUBD_PHASE=%s", phase) < 0) {
		env[--k] = NULL;
		while (k > 0 && strncmp(env[k - 1], "FEEDPUBD_", 9) == 0)
			free(env[--k]);
		free(env);
		return NULL;
	}
	env[k] = NULL;
	return env;
}

static void
free_env(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "FEEDPUBD_", 9) == 0)
			free(env[i]);
	free(env);
}

/*
 * posix_spawn, not fork: the HTTP server's threads make a forked child
 * unsafe until exec. The child gets its own process group (so a timeout
 * or the daemon's stop reaches whatever it started), default signals, an
 * empty mask, stdin from /dev/null, the output folder as its cwd and no
 * descriptor of the daemon's past stderr. Returns 0, or -1 (errno).
 */
static int
spawn(struct upload *u, const char *phase)
{
	const char *cmd = u->cfg->publish.exec;
	char *words = NULL, **argv = NULL, **env = NULL;
	char *shargv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int rc = -1, err = ENOMEM;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigfillset(&all);
	sigemptyset(&none);
	if ((env = child_env(u, phase)) == NULL)
		goto out;
	if (needs_shell(cmd))
		argv = shargv;
	else if ((words = strdup(cmd)) == NULL ||
	    (argv = split_words(words)) == NULL)
		goto out;
	if (argv[0] == NULL) {
		err = EINVAL;
		goto out;
	}
	if ((err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) != 0 ||
	    (err = posix_spawn_file_actions_addchdir_np(&fa,
	    u->cfg->output_dir)) != 0 ||
	    (err = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0 ||
	    (err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (err = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (err = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (err = posix_spawnattr_setsigdefault(&at, &all)) != 0)
		goto out;
	err = argv == shargv ?
	    posix_spawn(&u->pid, "/bin/sh", &fa, &at, argv, env) :
	    posix_spawnp(&u->pid, argv[0], &fa, &at, argv, env);
	if (err == 0)
		rc = 0;
out:
	if (argv != shargv)
		free(argv);
	free(words);
	free_env(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		u->pid = 0;
		errno = err;
	}
	return rc;
}

/* ---- runs --------------------------------------------------------------- */

static void
end_run(struct upload *u)
{
	lists_clear(u);
	snap_clear(&u->next);
	remove_lists(u);
}

/* The run failed (why: for the log): retry it, later each time. */
static void
failed(struct upload *u, const char *why)
{
	double wait = fmin((double)u->cfg->publish.retry_max,
	    ldexp(1., u->tries < 30 ? (int)u->tries : 30));

	if (!u->failing)
		log_warnx("publish exec '%s' (phase %s) failed: %s; retrying "
		    "in %g s, then less often until it succeeds (failures "
		    "meanwhile are not logged)", u->cfg->publish.exec,
		    phase_name(u->phase), why, wait);
	else
		log_debug("publish exec (phase %s) failed again: %s; next "
		    "try in %g s", phase_name(u->phase), why, wait);
	u->failing = true;
	u->tries++;
	end_run(u);
	u->owed = true;
	ev_timer_set(&u->retry, wait, 0.);
	ev_timer_start(u->loop, &u->retry);
}

static bool
safe_order(const struct upload *u)
{
	return u->cfg->publish.order == ORDER_SAFE;
}

/*
 * Start the next phase with files from u->phase on, or finish the run
 * (the snapshot becomes the base).
 */
static void
next_phase(struct upload *u)
{
	char why[128];
	struct file *const *changed, *const *removed;
	size_t nchanged, nremoved;
	int ph = u->phase;

	remove_lists(u);
	if (!safe_order(u))
		ph = ph < 0 ? PH_ALL : PH_NPHASES;
	else
		while (++ph < PH_NPHASES && u->nlists[ph] == 0)
			;
	if (ph == PH_NPHASES) {
		if (u->failing)
			log_info("publish exec succeeded again, after %u "
			    "failed tries", u->tries);
		u->failing = false;
		u->tries = 0;
		u->started = true;
		snap_clear(&u->base);
		u->base = u->next;
		u->next = (struct snap){ 0 };
		lists_clear(u);
		if (u->owed)
			start_run(u);
		return;
	}
	u->phase = ph;
	if (ph == PH_ALL) {
		changed = u->lists[PH_MEDIA];
		nchanged = u->nlists[PH_MEDIA];
	} else {
		changed = ph == PH_DELETE ? NULL : u->lists[ph];
		nchanged = ph == PH_DELETE ? 0 : u->nlists[ph];
	}
	removed = ph == PH_DELETE || ph == PH_ALL ? u->lists[PH_DELETE] : NULL;
	nremoved = removed ? u->nlists[PH_DELETE] : 0;
	if (write_list(u->changed_path, sizeof(u->changed_path), changed,
	    nchanged) < 0 || write_list(u->removed_path,
	    sizeof(u->removed_path), removed, nremoved) < 0 ||
	    spawn(u, phase_names[ph]) < 0) {
		snprintf(why, sizeof(why), "cannot start it: %s",
		    strerror(errno));
		failed(u, why);
		return;
	}
	log_debug("publish exec (phase %s): pid %ld, %zu changed, %zu "
	    "removed", phase_names[ph], (long)u->pid, nchanged, nremoved);
	u->timed_out = false;
	ev_child_set(&u->child, u->pid, 0);
	ev_child_start(u->loop, &u->child);
	ev_timer_set(&u->timeout, (double)u->cfg->publish.timeout, 0.);
	ev_timer_start(u->loop, &u->timeout);
}

static void
start_run(struct upload *u)
{
	struct timespec t0, t1;
	long n;

	u->owed = false;
	u->phase = -1;
	if (u->cfg->publish.exec == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (snap_take(&u->next, u->cfg->output_dir) < 0) {
		failed(u, "the output folder could not be read");
		return;
	}
	if ((n = plan(u)) < 0) {
		log_errx("out of memory");
		end_run(u);
		u->owed = true;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("publish exec: %zu files compared in %.1f ms, %ld to "
	    "upload", u->next.n, (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, n);
	if (n == 0) {
		end_run(u);
		u->started = true;
		return;
	}
	next_phase(u);
}

static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct upload *u = w->data;
	int st = w->rstatus;
	char why[128];

	(void)revents;
	ev_child_stop(loop, w);
	ev_timer_stop(loop, &u->timeout);
	u->pid = 0;
	if (u->timed_out)
		snprintf(why, sizeof(why), "killed after %u s ([publish] "
		    "timeout)", u->cfg->publish.timeout);
	else if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "killed by signal %d",
		    WTERMSIG(st));
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(st));
	else {
		next_phase(u);
		return;
	}
	failed(u, why);
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct upload *u = t->data;

	(void)loop;
	(void)revents;
	u->timed_out = true;
	kill(-u->pid, SIGKILL);		/* child_cb follows */
}

static void
retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	start_run(t->data);
}

/* ---- the contract ------------------------------------------------------- */

struct upload *
upload_new(struct ev_loop *loop, const struct config *c)
{
	struct upload *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->loop = loop;
	u->cfg = c;
	ev_child_init(&u->child, child_cb, 0, 0);
	ev_init(&u->timeout, timeout_cb);
	ev_init(&u->retry, retry_cb);
	u->child.data = u->timeout.data = u->retry.data = u;
	return u;
}

void
upload_configure(struct upload *u, const struct config *c)
{
	u->cfg = c;
}

void
upload_published(struct upload *u, bool changed)
{
	if (!changed && u->started)
		return;
	u->owed = true;
	if (u->pid == 0 && !ev_is_active(&u->retry))
		start_run(u);
}

/* Wait up to secs for pid; true when it was reaped (or is not ours). */
static bool
reap(pid_t pid, int secs)
{
	for (int i = 0; i <= secs * 100; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return false;
}

void
upload_free(struct upload *u)
{
	if (u == NULL)
		return;
	if (u->pid != 0) {
		log_info("stopping publish exec (pid %ld)", (long)u->pid);
		kill(-u->pid, SIGTERM);
		if (!reap(u->pid, STOP_GRACE_S)) {
			kill(-u->pid, SIGKILL);
			reap(u->pid, STOP_GRACE_S);
		}
		/* What it started and left behind in its group goes too. */
		kill(-u->pid, SIGKILL);
		ev_child_stop(u->loop, &u->child);
	}
	ev_timer_stop(u->loop, &u->timeout);
	ev_timer_stop(u->loop, &u->retry);
	end_run(u);
	snap_clear(&u->base);
	free(u);
}
