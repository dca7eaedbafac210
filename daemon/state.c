/*
 * state: see state.h. Every statement is prepared once and reused.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sqlite3.h>

#include "feeds/output.h"
#include "feeds/scan.h"
#include "log.h"

enum stmt {
	S_ADD, S_BODY, S_LIST, S_DUE, S_NEXT, S_COUNT, S_DONE, S_RETRY,
	S_DROP, S_REL_GET, S_REL_PUT, S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_ANN_GET, S_ANN_CLEAR, S_ANN_ADD, S_HELD, S_DUE_MAX, S_DUE_AFTER,
	S_HUB_PUT, S_HUB_FIND, S_HUB_DEL, S_HUB_DEL_ID, S_HUB_GET,
	S_HUB_NTOPIC, S_HUB_NHOST, S_HUB_EXPIRE, S_HUB_NEXT, S_HUB_COUNT,
	S_HUB_QUEUE, S_REL_TEXT, S_DIGEST, S_META_GET, S_META_SET,
	S_META_DEL, S_SKIP_CLEAR, S_SKIP_ADD, S_SKIP_LIST, S_TEXT_PUT,
	S_TEXT_DEL, S_REL_EACH, S_HELD_EACH, S_TEXT_EACH, S_NSTMTS
};

/*
 * A new delivery id: 128 random bits from SQLite's PRNG (seeded by the
 * OS), as 32 lower-case hex digits. Every new change of a row (a new gen)
 * gets a new one; a retry keeps it.
 */
#define NEW_DELIVERY	"lower(hex(randomblob(16)))"
#define PING_COLUMNS	"target, feed, body, gen, first, due, attempts, " \
	"last_error, delivery, rowid"

static const char *const sql[S_NSTMTS] = {
	[S_ADD] = "INSERT INTO pings (target, feed, body, gen, first, due, "
	    "attempts, delivery) VALUES (?1, ?2, ?3, 1, ?4, ?4, 0, "
	    NEW_DELIVERY ") "
	    "ON CONFLICT (target, feed) DO UPDATE SET body = ?3, "
	    "gen = gen + 1, due = ?4, attempts = 0, delivery = " NEW_DELIVERY,
	[S_BODY] = "SELECT body FROM pings WHERE target = ?1 AND feed = ?2",
	[S_LIST] = "SELECT " PING_COLUMNS " FROM pings "
	    "ORDER BY due, target, feed",
	[S_DUE] = "SELECT " PING_COLUMNS " FROM pings WHERE due <= ?1 "
	    "ORDER BY due, target, feed",
	[S_NEXT] = "SELECT MIN(due) FROM pings WHERE due > ?1",
	[S_COUNT] = "SELECT COUNT(*) FROM pings",
	[S_DONE] = "DELETE FROM pings WHERE target = ?1 AND feed = ?2 AND "
	    "gen = ?3",
	[S_RETRY] = "UPDATE pings SET due = ?4, attempts = attempts + 1, "
	    "last_error = ?5 WHERE target = ?1 AND feed = ?2 AND gen = ?3",
	[S_DROP] = "DELETE FROM pings WHERE target = ?1 AND feed = ?2",
	[S_REL_GET] = "SELECT published, published_off, updated, "
	    "updated_off, digest, has_date, path IS ?2, "
	    "EXISTS (SELECT 1 FROM release_texts WHERE id = ?1) "
	    "FROM releases "
	    "WHERE id = ?1",
	[S_REL_PUT] = "INSERT OR REPLACE INTO releases (id, published, "
	    "published_off, updated, updated_off, digest, has_date, path) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_TEXT_PUT] = "INSERT OR REPLACE INTO release_texts (id, text) "
	    "VALUES (?1, ?2)",
	[S_TEXT_DEL] = "DELETE FROM release_texts WHERE id = ?1",
	/* Of two ids at one path, the first: S_HELD_EACH's too. */
	[S_HELD] = "SELECT id FROM releases WHERE path = ?1 ORDER BY id "
	    "LIMIT 1",
	/*
	 * The walks of a start, in key order: the table's own for ids,
	 * releases_path (which holds the id) for paths. Only blob paths,
	 * the only ones S_HELD's blob key can equal (blobs sort last).
	 */
	/*
	 * Whether a row has a text is S_TEXT_EACH's walk beside it, in the
	 * same order (column 7 stands in): an EXISTS per row looked each up
	 * in the index again, a tenth of a restart.
	 */
	[S_REL_EACH] = "SELECT published, published_off, updated, "
	    "updated_off, digest, has_date, path, 0, id FROM releases "
	    "ORDER BY id",
	[S_TEXT_EACH] = "SELECT id FROM release_texts ORDER BY id",
	[S_HELD_EACH] = "SELECT path, id FROM releases WHERE path >= X'' "
	    "ORDER BY path, id",
	[S_REL_TEXT] = "SELECT text FROM release_texts WHERE id = ?1",
	[S_DIGEST] = "SELECT id, path FROM releases WHERE digest = ?1 "
	    "ORDER BY id",
	[S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_META_SET] = "INSERT OR REPLACE INTO meta (key, value) "
	    "VALUES (?1, ?2)",
	[S_META_DEL] = "DELETE FROM meta WHERE key = ?1",
	[S_SKIP_CLEAR] = "DELETE FROM skipped",
	[S_SKIP_ADD] = "INSERT OR REPLACE INTO skipped (path, error) "
	    "VALUES (?1, ?2)",
	[S_SKIP_LIST] = "SELECT path, error FROM skipped ORDER BY path",
	[S_BEGIN] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	/* BINARY collation: the byte order strcmp() gives. */
	[S_ANN_GET] = "SELECT id, updated FROM announced WHERE feed = ?1 "
	    "ORDER BY id",
	[S_ANN_CLEAR] = "DELETE FROM announced WHERE feed = ?1",
	[S_ANN_ADD] = "INSERT INTO announced (feed, id, updated) "
	    "VALUES (?1, ?2, ?3)",
	/*
	 * The queue's order for the daemon, (due, rowid), is pings_due's
	 * own: a hub's thousands of rows due at the same time are read a
	 * few at a time, never all sorted. Past a row: the rest of its due
	 * time, then the later ones (columns 6 and 10: due, rowid).
	 */
	[S_DUE_MAX] = "SELECT " PING_COLUMNS " FROM pings WHERE due <= ?1 "
	    "ORDER BY due, rowid LIMIT ?2",
	[S_DUE_AFTER] = "SELECT * FROM (SELECT " PING_COLUMNS " FROM pings "
	    "WHERE due = ?3 AND rowid > ?4 AND due <= ?1 ORDER BY rowid "
	    "LIMIT ?2) UNION ALL SELECT * FROM (SELECT " PING_COLUMNS
	    " FROM pings WHERE due > ?3 AND due <= ?1 ORDER BY due, rowid "
	    "LIMIT ?2) ORDER BY 6, 10 LIMIT ?2",
	[S_HUB_PUT] = "INSERT INTO hub_subs (topic, callback, host, secret, "
	    "expires, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (topic, callback) DO UPDATE SET host = ?3, "
	    "secret = ?4, expires = ?5",
	[S_HUB_FIND] = "SELECT id FROM hub_subs WHERE topic = ?1 AND "
	    "callback = ?2",
	[S_HUB_DEL] = "DELETE FROM hub_subs WHERE topic = ?1 AND "
	    "callback = ?2",
	[S_HUB_DEL_ID] = "DELETE FROM hub_subs WHERE id = ?1",
	[S_HUB_GET] = "SELECT topic, callback, secret, expires FROM hub_subs "
	    "WHERE id = ?1",
	[S_HUB_NTOPIC] = "SELECT COUNT(*) FROM hub_subs WHERE topic = ?1",
	[S_HUB_NHOST] = "SELECT COUNT(*) FROM hub_subs WHERE host = ?1",
	[S_HUB_EXPIRE] = "DELETE FROM hub_subs WHERE expires <= ?1",
	[S_HUB_NEXT] = "SELECT MIN(expires) FROM hub_subs",
	[S_HUB_COUNT] = "SELECT COUNT(*) FROM hub_subs",
	/*
	 * One delivery per subscription, merged like state_ping_add(). In
	 * subscription order, the order they are sent in (rowid): not by
	 * callback, which would send each wave to one host after another.
	 */
	[S_HUB_QUEUE] = "INSERT INTO pings (target, feed, body, gen, first, "
	    "due, attempts, delivery) SELECT ?3 || id, topic, NULL, 1, ?2, ?2, "
	    "0, " NEW_DELIVERY " FROM hub_subs WHERE topic = ?1 AND "
	    "expires > ?2 ORDER BY id ON CONFLICT (target, feed) DO UPDATE SET "
	    "body = NULL, gen = gen + 1, due = ?2, attempts = 0, "
	    "delivery = " NEW_DELIVERY,
};

/* S_LIST for --status on a database no daemon has migrated yet. */
static const char LIST_BEFORE_6[] = "SELECT target, feed, body, gen, first, "
    "due, attempts, last_error, NULL, rowid FROM pings "
    "ORDER BY due, target, feed";

static const char schema[] =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = NORMAL;"
    "CREATE TABLE IF NOT EXISTS pings ("
    "  target TEXT NOT NULL, feed TEXT NOT NULL, body TEXT,"
    "  gen INTEGER NOT NULL, first REAL NOT NULL, due REAL NOT NULL,"
    "  attempts INTEGER NOT NULL, last_error TEXT,"
    "  PRIMARY KEY (target, feed));"
    "CREATE INDEX IF NOT EXISTS pings_due ON pings (due);"
    "CREATE TABLE IF NOT EXISTS releases ("
    "  id TEXT PRIMARY KEY, published INTEGER NOT NULL,"
    "  published_off INTEGER NOT NULL, updated INTEGER NOT NULL,"
    "  updated_off INTEGER NOT NULL, digest BLOB NOT NULL);";

/*
 * Changes to the schema above, in order: a database at user_version N
 * runs migrations[N] and on, each in the transaction that also sets its
 * version. The schema is never edited in place, so a database made by any
 * earlier feedpubd reaches the same tables as a new one.
 */
static const char *const migrations[] = {
	/* 1: whether published came from the front matter (feeds/inherit) */
	"ALTER TABLE releases ADD COLUMN has_date INTEGER NOT NULL DEFAULT 0;",
	/* 2: what each feed's pings announced, by entry id */
	"CREATE TABLE announced (feed TEXT NOT NULL, id TEXT NOT NULL,"
	"  updated INTEGER NOT NULL, PRIMARY KEY (feed, id));",
	/* 3: the file that holds each id, so a clash resolves the same way */
	/* at every start (NULL until the release is next saved) */
	"ALTER TABLE releases ADD COLUMN path BLOB;"
	"CREATE INDEX releases_path ON releases (path);",
	/* 4: the hub's verified subscriptions (daemon/hub.c) */
	"CREATE TABLE hub_subs (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  topic TEXT NOT NULL, callback TEXT NOT NULL, host TEXT NOT NULL,"
	"  secret TEXT, expires REAL NOT NULL, created REAL NOT NULL,"
	"  UNIQUE (topic, callback));"
	"CREATE INDEX hub_subs_expires ON hub_subs (expires);"
	"CREATE INDEX hub_subs_host ON hub_subs (host);",
	/* 5: the last good text of each release (kept when the file turns */
	/* bad), found by digest too (a file renamed while stopped); the */
	/* daemon's status, the time the feed became empty, and the files */
	/* skipped, for --status */
	"ALTER TABLE releases ADD COLUMN text BLOB;"
	"CREATE INDEX releases_digest ON releases (digest);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE skipped (path BLOB PRIMARY KEY, error TEXT NOT NULL);",
	/* 6: each pending change's delivery id, kept across retries and */
	/* restarts so that receivers can drop a resend (see state.h) */
	"ALTER TABLE pings ADD COLUMN delivery TEXT;"
	"UPDATE pings SET delivery = " NEW_DELIVERY ";",
	/* 7: the texts in a table of their own, so that reading a release's */
	/* dates (every release, at every start) reads ~100 bytes, not its */
	/* whole text; releases is copied, not altered, to pack its pages, */
	/* and kept in id order (its index by path then holds the id too) */
	"CREATE TABLE release_texts (id TEXT PRIMARY KEY, text BLOB NOT NULL);"
	"INSERT INTO release_texts SELECT id, text FROM releases"
	"  WHERE text IS NOT NULL;"
	"CREATE TABLE releases_7 (id TEXT PRIMARY KEY,"
	"  published INTEGER NOT NULL, published_off INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL, updated_off INTEGER NOT NULL,"
	"  digest BLOB NOT NULL, has_date INTEGER NOT NULL DEFAULT 0,"
	"  path BLOB) WITHOUT ROWID;"
	"INSERT INTO releases_7 SELECT id, published, published_off, updated,"
	"  updated_off, digest, has_date, path FROM releases;"
	"DROP TABLE releases;"
	"ALTER TABLE releases_7 RENAME TO releases;"
	"CREATE INDEX releases_path ON releases (path);"
	"CREATE INDEX releases_digest ON releases (digest);",
};
#define NMIGRATIONS	(sizeof(migrations) / sizeof(migrations[0]))

#define BUSY_MS	200	/* how long a write waits for another writer */

struct state {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_NSTMTS];
	bool full;		/* SQLITE_FULL logged; until a commit works */
	char *path;		/* read-write only: dir/feedpubd.db */
	int fd;			/* that file, to see it go (-1: none) */
	bool relink_told;	/* state_relink()'s failure is logged */
	struct checkpointer {	/* see checkpoints_start() */
		pthread_t tid;
		pthread_mutex_t mu;	/* due, stop */
		pthread_cond_t cv;
		pthread_mutex_t conn;	/* held while its connection is open */
		bool started, due, stop;
	} ckpt;
};

/*
 * A full disk fails every write until space returns: log the first
 * failure of the episode and its end (run), not each one.
 */
static void
fail(struct state *st, const char *what)
{
	bool full = sqlite3_errcode(st->db) == SQLITE_FULL;

	if (full && st->full) {
		log_debug("state database: %s: %s (still)", what,
		    sqlite3_errmsg(st->db));
		return;
	}
	st->full = full;
	log_errx("state database: %s: %s", what, sqlite3_errmsg(st->db));
}

/*
 * Bring the schema up to date (see migrations[]). Returns SQLITE_OK or
 * the error, the database's message then in sqlite3_errmsg().
 */
static int
migrate(struct state *st)
{
	sqlite3_stmt *q = NULL;
	int rc, version = -1;

	if ((rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q,
	    NULL)) == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (version < 0)
		return rc == SQLITE_ROW || rc == SQLITE_OK ? SQLITE_ERROR : rc;
	for (size_t i = (size_t)version; i < NMIGRATIONS; i++) {
		char *sql_v = sqlite3_mprintf("BEGIN; %s PRAGMA user_version = "
		    "%d; COMMIT;", migrations[i], (int)i + 1);

		rc = sql_v == NULL ? SQLITE_NOMEM :
		    sqlite3_exec(st->db, sql_v, NULL, NULL, NULL);
		sqlite3_free(sql_v);
		if (rc != SQLITE_OK) {
			/* Not state_rollback(): no statement is prepared yet. */
			if (!sqlite3_get_autocommit(st->db))
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return SQLITE_OK;
}

#define DAMAGED	(-1)	/* quick_check's verdict, not a SQLite code */

/* SQLITE_OK when quick_check finds nothing wrong, DAMAGED, or the error. */
static int
quick_check(sqlite3 *db)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &q, NULL);
	const unsigned char *s;

	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		rc = (s = sqlite3_column_text(q, 0)) != NULL &&
		    strcmp((const char *)s, "ok") == 0 ? SQLITE_OK : DAMAGED;
	sqlite3_finalize(q);
	return rc;
}

static bool
corrupt(int rc)
{
	return rc == DAMAGED || (rc & 0xff) == SQLITE_CORRUPT ||
	    (rc & 0xff) == SQLITE_NOTADB;
}

/*
 * The database at path is not one, or is damaged: move it (and its WAL,
 * which belongs to it) aside as path.corrupt-TIME, drop its shared-memory
 * index, and log what was done. Returns 0, or -1 (logged).
 */
static int
move_aside(const char *path)
{
	char stamp[32], to[4200], from[4200];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(to, sizeof(to), "%s.corrupt-%s", path, stamp);
	if (rename(path, to) < 0) {
		log_err("state database %s is corrupt and cannot be moved "
		    "aside", path);
		return -1;
	}
	snprintf(from, sizeof(from), "%s-wal", path);
	snprintf(to, sizeof(to), "%s.corrupt-%s-wal", path, stamp);
	if (rename(from, to) < 0 && errno != ENOENT)
		log_warn("cannot move %s aside", from);
	snprintf(from, sizeof(from), "%s-shm", path);
	if (unlink(from) < 0 && errno != ENOENT)
		log_warn("cannot remove %s", from);
	log_errx("state database %s is corrupt: moved aside as %s.corrupt-%s; "
	    "starting a new one (pending pings and release history are lost)",
	    path, path, stamp);
	return 0;
}

/* Tell why the open failed: into why if given, else to the log. */
static void
refuse(char *why, size_t n, const char *path, const char *msg)
{
	if (why != NULL)
		snprintf(why, n, "%s: %s", path, msg);
	else
		log_errx("state database %s: %s", path, msg);
}

/* ---- checkpoints, off the loop ----------------------------------------- */

/*
 * SQLite copies the WAL back into the database (a checkpoint, with two
 * fsyncs) inside the commit that takes the WAL past 1,000 pages: on a
 * busy disk 100-300 ms of the loop's time, many times over while 100,000
 * releases moved in are saved. Instead the commit only tells a thread of
 * ours, which checkpoints through a connection of its own, opened for
 * each checkpoint (so it never holds the file state_relink() replaces:
 * relink waits on conn). PASSIVE: it never waits for, nor blocks, the
 * loop's writes. Without the thread, the commit checkpoints as before.
 */
#define CKPT_PAGES	1000	/* SQLite's default autocheckpoint */

static void *
checkpoint_main(void *arg)
{
	struct state *st = arg;
	struct checkpointer *c = &st->ckpt;
	sqlite3 *db;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->due && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->due = false;
		pthread_mutex_unlock(&c->mu);
		pthread_mutex_lock(&c->conn);
		db = NULL;
		/* A read first opens the WAL: a new connection's checkpoint
		 * is a no-op until then (SQLite before 3.37). */
		if (sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
		    sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL,
		    NULL) == SQLITE_OK)
			sqlite3_wal_checkpoint_v2(db, NULL,
			    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		sqlite3_close(db);	/* not the last: the WAL stays */
		pthread_mutex_unlock(&c->conn);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* sqlite3_wal_hook's: after each commit, pages in the WAL. */
static int
wal_written(void *ud, sqlite3 *db, const char *name, int pages)
{
	struct state *st = ud;
	struct checkpointer *c = &st->ckpt;

	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	if (!c->started) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&c->mu);
	c->due = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return SQLITE_OK;
}

/* The read-write connection's commits tell wal_written() (replaces */
/* SQLite's own autocheckpoint). */
static void
checkpoints_hook(struct state *st)
{
	sqlite3_wal_hook(st->db, wal_written, st);
}

/* The thread, once st->path is known; none: checkpoints stay inline. */
static void
checkpoints_start(struct state *st)
{
	struct checkpointer *c = &st->ckpt;

	if (pthread_mutex_init(&c->mu, NULL) != 0)
		return;
	if (pthread_mutex_init(&c->conn, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		return;
	}
	if (pthread_cond_init(&c->cv, NULL) != 0 ||
	    pthread_create(&c->tid, NULL, checkpoint_main, st) != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_mutex_destroy(&c->conn);
		return;
	}
	c->started = true;
}

static void
checkpoints_stop(struct state *st)
{
	struct checkpointer *c = &st->ckpt;

	if (!c->started)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->tid, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->conn);
	c->started = false;
}

/*
 * quick_check reads the whole database (0.44 s at 100,000 releases, 485
 * MB): it runs at an open unless the last close was clean and nothing
 * touched the file since. state_close() then leaves path.clean holding
 * the file's identity and times; the open compares them and removes the
 * stamp before it writes, so a crash, a kill, a write by anything else
 * (mtime, ctime or size move), a WAL left behind or a file put in its
 * place (another inode) all mean a check. What it cannot see is damage
 * that changes no time (a disk's bit rot while stopped): the check then
 * runs at the next start after a crash, as SQLite itself finds damage on
 * the pages it reads.
 */
#define CLEAN_FMT	"feedpubd-clean 1 %ju %ju %jd %jd %ld %jd %ld\n"

static int
clean_line(const char *path, char *buf, size_t n)
{
	char wal[4200];
	struct stat sb;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0 && sb.st_size > 0)
		return -1;	/* not all in the file: not closed clean */
	if (stat(path, &sb) < 0)
		return -1;
	snprintf(buf, n, CLEAN_FMT, (uintmax_t)sb.st_dev,
	    (uintmax_t)sb.st_ino, (intmax_t)sb.st_size,
	    (intmax_t)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
	    (intmax_t)sb.st_ctim.tv_sec, sb.st_ctim.tv_nsec);
	return 0;
}

/*
 * Whether path was closed clean and is as it was left; the stamp is
 * removed either way (from here on the file may change).
 */
static bool
closed_clean(const char *path)
{
	char stamp[4200], want[160], got[160] = "";
	bool ok = false;
	FILE *f;

	snprintf(stamp, sizeof(stamp), "%s.clean", path);
	if ((f = fopen(stamp, "re")) == NULL)
		return false;
	ok = fgets(got, sizeof(got), f) != NULL &&
	    clean_line(path, want, sizeof(want)) == 0 &&
	    strcmp(got, want) == 0;
	fclose(f);
	if (unlink(stamp) < 0) {
		log_warn("cannot remove %s", stamp);
		return false;	/* it would outlive a crash: check now */
	}
	if (ok)
		log_debug("state database %s: closed clean, not changed "
		    "since: no quick_check", path);
	return ok;
}

/* After the last close of path: leave its stamp (best effort). */
static void
mark_clean(const char *path)
{
	char stamp[4200], tmp[4300], line[160];
	FILE *f;

	if (clean_line(path, line, sizeof(line)) < 0)
		return;
	snprintf(stamp, sizeof(stamp), "%s.clean", path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", stamp);
	if ((f = fopen(tmp, "we")) == NULL)
		return;
	if (fputs(line, f) == EOF || fclose(f) == EOF ||
	    rename(tmp, stamp) < 0)
		unlink(tmp);
}

/*
 * Open path read-write, make the schema, migrate, prepare. Returns
 * SQLITE_OK, or the error (the message in why, or logged).
 */
static int
open_rw(struct state *st, const char *path, int flags, char *why, size_t n)
{
	int rc = sqlite3_open_v2(path, &st->db, flags, NULL);

	if (rc == SQLITE_OK) {
		/*
		 * Short: a writer elsewhere (sqlite3, a second feedpubd being
		 * refused) must not stall the loop; failed writes are kept
		 * and retried by the callers' timers.
		 */
		sqlite3_busy_timeout(st->db, BUSY_MS);
		if ((closed_clean(path) ||
		    (rc = quick_check(st->db)) == SQLITE_OK) &&
		    (rc = sqlite3_exec(st->db, schema, NULL, NULL, NULL)) ==
		    SQLITE_OK)
			rc = migrate(st);
	}
	for (int i = 0; rc == SQLITE_OK && i < S_NSTMTS; i++)
		rc = sqlite3_prepare_v3(st->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
	if (rc == SQLITE_OK)
		checkpoints_hook(st);
	if (rc != SQLITE_OK)
		refuse(why, n, path, st->db == NULL ? "out of memory" :
		    rc == DAMAGED ? "quick_check failed" : sqlite3_errmsg(st->db));
	return rc;
}

static void
close_db(struct state *st)
{
	for (int i = 0; i < S_NSTMTS; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	sqlite3_close(st->db);
	st->db = NULL;
}

struct state *
state_open(const char *dir, enum state_mode mode, char *why, size_t whylen)
{
	struct state *st = calloc(1, sizeof(*st));
	char *path = NULL;
	struct stat sb;
	int rc, saved, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (st != NULL)
		st->fd = -1;
	if (st == NULL || asprintf(&path, "%s/feedpubd.db", dir) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	if (mode != STATE_CREATE && stat(path, &sb) < 0)
		goto fail;	/* errno says why: ENOENT, EACCES */
	if (mode == STATE_READONLY) {
		/* Errors past here are the database's, whatever errno was. */
		errno = EIO;
		if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY,
		    NULL) != SQLITE_OK) {
			refuse(why, whylen, path, st->db ?
			    sqlite3_errmsg(st->db) : "out of memory");
			goto fail;
		}
		sqlite3_busy_timeout(st->db, 2000);
		/* A database older than migration 6: no delivery ids yet. */
		if (sqlite3_prepare_v2(st->db, sql[S_LIST], -1,
		    &st->stmt[S_LIST], NULL) != SQLITE_OK &&
		    sqlite3_prepare_v2(st->db, LIST_BEFORE_6, -1,
		    &st->stmt[S_LIST], NULL) != SQLITE_OK) {
			refuse(why, whylen, path, sqlite3_errmsg(st->db));
			goto fail;
		}
		/* Absent from a database older than migration 5: NULL. */
		sqlite3_prepare_v2(st->db, sql[S_META_GET], -1,
		    &st->stmt[S_META_GET], NULL);
		sqlite3_prepare_v2(st->db, sql[S_SKIP_LIST], -1,
		    &st->stmt[S_SKIP_LIST], NULL);
		free(path);
		return st;
	}
	if (mode == STATE_CREATE) {
		if (output_mkdirs(dir) < 0) {
			saved = errno;
			refuse(why, whylen, dir, strerror(saved));
			errno = saved;
			goto fail;
		}
		flags |= SQLITE_OPEN_CREATE;
	}
	errno = EIO;
	rc = open_rw(st, path, flags, why, whylen);
	/* Only the daemon starts afresh: --once leaves it to the daemon. */
	if (corrupt(rc) && mode == STATE_CREATE) {
		close_db(st);
		if (move_aside(path) < 0)
			goto fail;
		rc = open_rw(st, path, flags, why, whylen);
	}
	if (rc != SQLITE_OK)
		goto fail;
	st->path = path;
	st->fd = open(path, O_RDONLY | O_CLOEXEC);	/* -1: no relink */
	checkpoints_start(st);
	return st;
fail:
	saved = errno;
	free(path);
	state_close(st);
	errno = saved;
	return NULL;
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	checkpoints_stop(st);	/* ours is the last connection: SQLite's */
	close_db(st);		/* close checkpoints and removes the WAL */
	if (st->path != NULL)
		mark_clean(st->path);
	/* After SQLite's: closing a file drops the process's POSIX locks. */
	if (st->fd >= 0)
		close(st->fd);
	free(st->path);
	free(st);
}

/*
 * Copy the open database into a new file at tmp. Returns 0, or -1 with
 * the reason in why.
 */
static int
copy_out(struct state *st, const char *tmp, char *why, size_t n)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	unlink(tmp);
	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		if ((b = sqlite3_backup_init(dst, "main", st->db, "main")) ==
		    NULL) {
			rc = sqlite3_errcode(dst);
		} else {
			rc = sqlite3_backup_step(b, -1);
			sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
	}
	if (rc != SQLITE_OK)
		snprintf(why, n, "%s", sqlite3_errstr(rc));
	if (sqlite3_close(dst) != SQLITE_OK && rc == SQLITE_OK) {
		snprintf(why, n, "cannot close the copy");
		rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_OK)
		unlink(tmp);
	return rc == SQLITE_OK ? 0 : -1;
}

int
state_relink(struct state *st)
{
	struct stat a, b;
	char tmp[4200], aside[4300], why[256];
	bool replaced;
	int rc;

	if (st == NULL || st->fd < 0 || sqlite3_get_autocommit(st->db) == 0)
		return 0;
	if (fstat(st->fd, &a) == 0 && a.st_nlink > 0 &&
	    stat(st->path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return 0;
	replaced = stat(st->path, &b) == 0;
	snprintf(tmp, sizeof(tmp), "%s.relink", st->path);
	if (copy_out(st, tmp, why, sizeof(why)) < 0) {
		if (!st->relink_told)
			log_errx("state database %s was %s while open, and "
			    "cannot be written again from the open copy (%s): "
			    "%s; trying again", st->path, replaced ?
			    "replaced" : "deleted", tmp, why);
		st->relink_told = true;
		return -1;
	}
	st->relink_told = false;
	/*
	 * Close ours before the copy takes the name: closing, SQLite
	 * removes path-wal and path-shm, which would then be the copy's.
	 * Only if it is the last connection: the checkpoints' waits.
	 */
	if (st->ckpt.started)
		pthread_mutex_lock(&st->ckpt.conn);
	close_db(st);
	close(st->fd);
	st->fd = -1;
	if (replaced) {
		snprintf(aside, sizeof(aside), "%s.replaced-%ld", st->path,
		    (long)time(NULL));
		if (rename(st->path, aside) == 0)
			log_warnx("state database %s was replaced while open: "
			    "the other file is kept as %s", st->path, aside);
	}
	if (rename(tmp, st->path) < 0) {
		log_err("cannot rename %s to %s", tmp, st->path);
		unlink(tmp);
	}
	rc = open_rw(st, st->path, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL, 0);
	if (st->ckpt.started)
		pthread_mutex_unlock(&st->ckpt.conn);
	if (rc != SQLITE_OK)
		return -1;	/* logged; down until a restart */
	st->fd = open(st->path, O_RDONLY | O_CLOEXEC);
	log_warnx("state database %s was %s while open: written again from "
	    "the open copy (pending pings and release history kept)",
	    st->path, replaced ? "replaced" : "deleted");
	return 0;
}

/* Bind target and feed (?1, ?2), the key of every statement. */
static sqlite3_stmt *
keyed(struct state *st, enum stmt s, const char *target, const char *feed)
{
	sqlite3_stmt *q = st->stmt[s];

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	sqlite3_bind_text(q, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, feed, -1, SQLITE_STATIC);
	return q;
}

/* Run a statement that returns no rows. */
static int
run(struct state *st, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		fail(st, what);
		return -1;
	}
	/* A write made durable (a commit, or one outside a transaction). */
	if (st->full && q != st->stmt[S_BEGIN] &&
	    sqlite3_get_autocommit(st->db)) {
		log_info("state database: written again");
		st->full = false;
	}
	return 0;
}

int
state_ping_add(struct state *st, const char *target, const char *feed,
    const char *body, double now)
{
	sqlite3_stmt *q = keyed(st, S_ADD, target, feed);

	sqlite3_bind_text(q, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 4, now);
	return run(st, q, "add ping");
}

static char *
column_dup(sqlite3_stmt *q, int col)
{
	const unsigned char *s = sqlite3_column_text(q, col);

	return s != NULL ? strdup((const char *)s) : NULL;
}

char *
state_ping_body(struct state *st, const char *target, const char *feed)
{
	sqlite3_stmt *q = keyed(st, S_BODY, target, feed);
	char *body = NULL;

	if (sqlite3_step(q) == SQLITE_ROW)
		body = column_dup(q, 0);
	sqlite3_reset(q);
	return body;
}

/*
 * v (*cap elements of size bytes) with room for element n: v itself, or
 * v grown, or NULL when out of memory (v is then still valid).
 */
static void *
room(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *w;

	if (n < *cap)
		return v;
	if ((w = realloc(v, c * size)) != NULL)
		*cap = c;
	return w;
}

static int
read_rows(struct state *st, sqlite3_stmt *q, struct pending_ping **out,
    size_t *n)
{
	struct pending_ping *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct pending_ping *p;

		struct pending_ping *w = room(v, &cap, *n, sizeof(*v));

		if (w == NULL)
			break;
		v = w;
		p = &v[(*n)++];
		p->target = column_dup(q, 0);
		p->feed = column_dup(q, 1);
		p->body = column_dup(q, 2);
		p->gen = sqlite3_column_int64(q, 3);
		p->first = sqlite3_column_double(q, 4);
		p->due = sqlite3_column_double(q, 5);
		p->attempts = sqlite3_column_int(q, 6);
		p->last_error = column_dup(q, 7);
		p->delivery = column_dup(q, 8);
		p->seq = sqlite3_column_int64(q, 9);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		fail(st, "list pings");
		state_pings_free(v, *n);
		*n = 0;
		return -1;
	}
	*out = v;
	return 0;
}

int
state_ping_list(struct state *st, struct pending_ping **out, size_t *n)
{
	sqlite3_reset(st->stmt[S_LIST]);
	return read_rows(st, st->stmt[S_LIST], out, n);
}

int
state_ping_due(struct state *st, double now, struct pending_ping **out,
    size_t *n)
{
	sqlite3_stmt *q = st->stmt[S_DUE];

	sqlite3_reset(q);
	sqlite3_bind_double(q, 1, now);
	return read_rows(st, q, out, n);
}

double
state_ping_next(struct state *st, double now)
{
	sqlite3_stmt *q = st->stmt[S_NEXT];
	double next = INFINITY;

	sqlite3_reset(q);
	sqlite3_bind_double(q, 1, now);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_type(q, 0) != SQLITE_NULL)
		next = sqlite3_column_double(q, 0);
	sqlite3_reset(q);
	return next;
}

size_t
state_ping_count(struct state *st)
{
	sqlite3_stmt *q = st->stmt[S_COUNT];
	size_t n = 0;

	sqlite3_reset(q);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return n;
}

void
state_pings_free(struct pending_ping *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].target);
		free(v[i].feed);
		free(v[i].body);
		free(v[i].last_error);
		free(v[i].delivery);
	}
	free(v);
}

int
state_ping_done(struct state *st, const char *target, const char *feed,
    int64_t gen)
{
	sqlite3_stmt *q = keyed(st, S_DONE, target, feed);

	sqlite3_bind_int64(q, 3, gen);
	return run(st, q, "ping done");
}

int
state_ping_retry(struct state *st, const char *target, const char *feed,
    int64_t gen, double due, const char *error)
{
	sqlite3_stmt *q = keyed(st, S_RETRY, target, feed);

	sqlite3_bind_int64(q, 3, gen);
	sqlite3_bind_double(q, 4, due);
	sqlite3_bind_text(q, 5, error, -1, SQLITE_STATIC);
	return run(st, q, "ping retry");
}

int
state_ping_drop(struct state *st, const char *target, const char *feed)
{
	return run(st, keyed(st, S_DROP, target, feed), "ping drop");
}

/*
 * A history row's columns 0-7 (S_REL_GET's and S_REL_EACH's order) into
 * out, but for its path: column 6, compared (S_REL_GET) or given.
 */
static void
seen_row(sqlite3_stmt *q, struct seen_release *out)
{
	const void *dg = sqlite3_column_blob(q, 4);
	int n = sqlite3_column_bytes(q, 4);

	out->published.sec = sqlite3_column_int64(q, 0);
	out->published.off = sqlite3_column_int(q, 1);
	out->updated.sec = sqlite3_column_int64(q, 2);
	out->updated.off = sqlite3_column_int(q, 3);
	out->has_date = sqlite3_column_int(q, 5) != 0;
	out->has_text = sqlite3_column_int(q, 7) != 0;
	memset(out->digest, 0, sizeof(out->digest));
	if (dg != NULL)
		memcpy(out->digest, dg, (size_t)n < sizeof(out->digest) ?
		    (size_t)n : sizeof(out->digest));
}

int
state_release_get(struct state *st, const char *id, struct seen_release *out)
{
	sqlite3_stmt *q = st->stmt[S_REL_GET];
	int rc;

	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, out->path, out->path ? (int)strlen(out->path) :
	    0, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		seen_row(q, out);
		out->same_path = sqlite3_column_int(q, 6) != 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(st, "read release history");
		return -1;
	}
	return rc == SQLITE_ROW;
}

/* A walk's callback: the one of the two its statement gives rows to. */
struct walker {
	state_release_fn *rel;
	state_held_fn *held;
	void *ud;
	sqlite3_stmt *texts;	/* rel: the ids with a text, beside it */
	int trc;		/* texts' last step: SQLITE_ROW while on one */
};

/*
 * Whether id has a text: w->texts stepped up to it (ids come in order,
 * so once each). A step that fails reads as no text, as an EXISTS that
 * failed would have failed the walk: the row is saved again with it.
 */
static bool
has_text(struct walker *w, const char *id)
{
	int c = -1;

	while (w->trc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(w->texts, 0);

		if (t != NULL && (c = strcmp(t, id)) >= 0)
			break;
		w->trc = sqlite3_step(w->texts);
	}
	return w->trc == SQLITE_ROW && c == 0;
}

static int
give_row(sqlite3_stmt *q, struct walker *w)
{
	struct seen_release r = { .path = NULL };
	const char *id;

	if (w->held != NULL) {
		if ((id = (const char *)sqlite3_column_text(q, 1)) == NULL)
			return 0;	/* out of memory: read as none */
		return w->held(w->ud, (const char *)sqlite3_column_text(q, 0),
		    id);
	}
	seen_row(q, &r);
	r.has_text = has_text(w, (const char *)
	    sqlite3_column_text(q, 8));
	if (sqlite3_column_type(q, 6) == SQLITE_BLOB)
		r.path = (const char *)sqlite3_column_text(q, 6);
	return w->rel(w->ud, (const char *)sqlite3_column_text(q, 8), &r);
}

/*
 * One walk of q's rows, in the order of their key (text column kcol),
 * each given to w: a row whose key is not past the last one given is
 * skipped. That is a row the callback wrote, which "might reappear"
 * (SQLite's isolation page), or a path's second id. Returns as
 * state_release_each().
 */
static int
walk(struct state *st, sqlite3_stmt *q, int kcol, const char *what,
    struct walker *w)
{
	char *last = NULL;
	size_t cap = 0;
	int rc, res = 0;

	sqlite3_reset(q);
	while (res == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(q, kcol);
		size_t n = (size_t)sqlite3_column_bytes(q, kcol);
		void *grown;

		if (k == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (last != NULL && strcmp(k, last) <= 0)
			continue;
		if (n >= cap) {
			if ((grown = realloc(last, n + 64)) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			last = grown;
			cap = n + 64;
		}
		memcpy(last, k, n + 1);
		res = give_row(q, w) != 0;
	}
	if (res == 0 && rc != SQLITE_DONE) {
		if (rc == SQLITE_NOMEM)
			log_errx("state database: %s: out of memory", what);
		else
			fail(st, what);
		res = -1;
	}
	sqlite3_reset(q);
	free(last);
	return res;
}

int
state_release_each(struct state *st, state_release_fn *fn, void *ud)
{
	struct walker w = { .rel = fn, .ud = ud,
	    .texts = st->stmt[S_TEXT_EACH] };
	int rc;

	sqlite3_reset(w.texts);
	w.trc = sqlite3_step(w.texts);
	rc = walk(st, st->stmt[S_REL_EACH], 8, "read release history", &w);
	sqlite3_reset(w.texts);
	return rc;
}

int
state_held_each(struct state *st, state_held_fn *fn, void *ud)
{
	struct walker w = { .held = fn, .ud = ud };

	return walk(st, st->stmt[S_HELD_EACH], 0, "read release paths", &w);
}

int
state_release_put(struct state *st, const char *id,
    const struct seen_release *r)
{
	sqlite3_stmt *q = st->stmt[S_REL_PUT];

	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, r->published.sec);
	sqlite3_bind_int(q, 3, r->published.off);
	sqlite3_bind_int64(q, 4, r->updated.sec);
	sqlite3_bind_int(q, 5, r->updated.off);
	sqlite3_bind_blob(q, 6, r->digest, sizeof(r->digest), SQLITE_STATIC);
	sqlite3_bind_int(q, 7, r->has_date);
	sqlite3_bind_blob(q, 8, r->path, r->path ? (int)strlen(r->path) : 0,
	    SQLITE_STATIC);
	if (run(st, q, "write release history") < 0)
		return -1;
	q = keyed(st, r->text != NULL ? S_TEXT_PUT : S_TEXT_DEL, id, NULL);
	if (r->text != NULL)
		sqlite3_bind_blob(q, 2, r->text, (int)strlen(r->text),
		    SQLITE_STATIC);
	return run(st, q, "write release history");
}

char *
state_release_held(struct state *st, const char *path)
{
	sqlite3_stmt *q = st->stmt[S_HELD];
	char *id = NULL;

	sqlite3_reset(q);
	sqlite3_bind_blob(q, 1, path, (int)strlen(path), SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		id = column_dup(q, 0);
	sqlite3_reset(q);
	return id;
}

int
state_begin(struct state *st)
{
	state_relink(st);
	sqlite3_reset(st->stmt[S_BEGIN]);
	return run(st, st->stmt[S_BEGIN], "begin");
}

bool
state_batch_begin(struct state *st)
{
	return st != NULL && st->db != NULL &&
	    sqlite3_get_autocommit(st->db) && state_begin(st) == 0;
}

int
state_commit(struct state *st)
{
	sqlite3_reset(st->stmt[S_COMMIT]);
	if (run(st, st->stmt[S_COMMIT], "commit") == 0)
		return 0;
	/* Never leave it open: later writes would not be durable. */
	state_rollback(st);
	return -1;
}

void
state_rollback(struct state *st)
{
	if (st == NULL || sqlite3_get_autocommit(st->db))
		return;
	sqlite3_reset(st->stmt[S_ROLLBACK]);
	if (sqlite3_step(st->stmt[S_ROLLBACK]) != SQLITE_DONE)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_reset(st->stmt[S_ROLLBACK]);
}

int
state_announced_get(struct state *st, const char *feed,
    struct announced **out, size_t *n)
{
	sqlite3_stmt *q = keyed(st, S_ANN_GET, feed, NULL);
	struct announced *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct announced *w = room(v, &cap, *n, sizeof(*v));

		if (w == NULL)
			break;
		v = w;
		if ((v[*n].id = column_dup(q, 0)) == NULL)
			break;
		v[(*n)++].updated = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_ROW)
			log_errx("state database: read announced entries: out "
			    "of memory");
		else
			fail(st, "read announced entries");
		state_announced_free(v, *n);
		*n = 0;
		return -1;
	}
	*out = v;
	return 0;
}

int
state_announced_set(struct state *st, const char *feed,
    const struct announced *v, size_t n)
{
	if (run(st, keyed(st, S_ANN_CLEAR, feed, NULL),
	    "write announced entries") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *q = keyed(st, S_ANN_ADD, feed, v[i].id);

		sqlite3_bind_int64(q, 3, v[i].updated);
		if (run(st, q, "write announced entries") < 0)
			return -1;
	}
	return 0;
}

void
state_announced_free(struct announced *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].id);
	free(v);
}

int
state_ping_due_max(struct state *st, double now,
    const struct pending_ping *after, size_t max, struct pending_ping **out,
    size_t *n)
{
	sqlite3_stmt *q = st->stmt[after != NULL ? S_DUE_AFTER : S_DUE_MAX];

	sqlite3_reset(q);
	sqlite3_bind_double(q, 1, now);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
	if (after != NULL) {
		sqlite3_bind_double(q, 3, after->due);
		sqlite3_bind_int64(q, 4, after->seq);
	}
	return read_rows(st, q, out, n);
}

/* ---- hub subscriptions ------------------------------------------------ */

/* One integer of a statement keyed by (?1, ?2); -1 on error. */
static int64_t
one_int(struct state *st, sqlite3_stmt *q, const char *what, int64_t none)
{
	int64_t v = none;
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(st, what);
		return -1;
	}
	return v;
}

int
state_hub_put(struct state *st, const struct hub_sub *s, double now)
{
	sqlite3_stmt *q = keyed(st, S_HUB_PUT, s->topic, s->callback);

	sqlite3_bind_text(q, 3, s->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, s->secret, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 5, s->expires);
	sqlite3_bind_double(q, 6, now);
	return run(st, q, "write subscription");
}

int64_t
state_hub_find(struct state *st, const char *topic, const char *callback)
{
	return one_int(st, keyed(st, S_HUB_FIND, topic, callback),
	    "read subscription", 0);
}

int
state_hub_del(struct state *st, const char *topic, const char *callback)
{
	return run(st, keyed(st, S_HUB_DEL, topic, callback),
	    "delete subscription");
}

int
state_hub_del_id(struct state *st, int64_t id)
{
	sqlite3_stmt *q = st->stmt[S_HUB_DEL_ID];

	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	return run(st, q, "delete subscription");
}

int
state_hub_get(struct state *st, int64_t id, struct hub_sub *out)
{
	sqlite3_stmt *q = st->stmt[S_HUB_GET];
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		out->id = id;
		out->topic = column_dup(q, 0);
		out->callback = column_dup(q, 1);
		out->secret = column_dup(q, 2);
		out->expires = sqlite3_column_double(q, 3);
		if (out->topic == NULL || out->callback == NULL ||
		    (sqlite3_column_type(q, 2) != SQLITE_NULL &&
		    out->secret == NULL)) {
			sqlite3_reset(q);
			state_hub_sub_finish(out);
			log_errx("state database: read subscription: out of "
			    "memory");
			return -1;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(st, "read subscription");
		return -1;
	}
	return rc == SQLITE_ROW;
}

void
state_hub_sub_finish(struct hub_sub *s)
{
	free(s->topic);
	free(s->callback);
	free(s->secret);
	free(s->host);
	memset(s, 0, sizeof(*s));
}

int64_t
state_hub_count(struct state *st, const char *topic, const char *host)
{
	sqlite3_stmt *q;

	if (topic != NULL)
		q = keyed(st, S_HUB_NTOPIC, topic, NULL);
	else if (host != NULL)
		q = keyed(st, S_HUB_NHOST, host, NULL);
	else {
		q = st->stmt[S_HUB_COUNT];
		sqlite3_reset(q);
	}
	return one_int(st, q, "count subscriptions", 0);
}

int
state_hub_queue(struct state *st, const char *topic, const char *prefix,
    double now)
{
	sqlite3_stmt *q = keyed(st, S_HUB_QUEUE, topic, NULL);

	sqlite3_bind_double(q, 2, now);
	sqlite3_bind_text(q, 3, prefix, -1, SQLITE_STATIC);
	if (run(st, q, "queue deliveries") < 0)
		return -1;
	return sqlite3_changes(st->db);
}

int
state_hub_expire(struct state *st, double now)
{
	sqlite3_stmt *q = st->stmt[S_HUB_EXPIRE];

	sqlite3_reset(q);
	sqlite3_bind_double(q, 1, now);
	if (run(st, q, "expire subscriptions") < 0)
		return -1;
	return sqlite3_changes(st->db);
}

double
state_hub_next_expiry(struct state *st)
{
	sqlite3_stmt *q = st->stmt[S_HUB_NEXT];
	double next = INFINITY;

	sqlite3_reset(q);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_type(q, 0) != SQLITE_NULL)
		next = sqlite3_column_double(q, 0);
	sqlite3_reset(q);
	return next;
}

/* A copy of column col (a blob or text) as a string, or NULL. */
static char *
column_blob_dup(sqlite3_stmt *q, int col)
{
	const void *b = sqlite3_column_blob(q, col);
	int n = sqlite3_column_bytes(q, col);
	char *s;

	if (b == NULL || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(s, b, (size_t)n);
	s[n] = '\0';
	return s;
}

char *
state_release_text(struct state *st, const char *id)
{
	sqlite3_stmt *q = keyed(st, S_REL_TEXT, id, NULL);
	char *text = NULL;

	if (sqlite3_step(q) == SQLITE_ROW)
		text = column_blob_dup(q, 0);
	sqlite3_reset(q);
	return text;
}

int
state_release_by_digest(struct state *st, const unsigned char digest[32],
    struct digest_holder *out, size_t max, size_t *n)
{
	sqlite3_stmt *q = st->stmt[S_DIGEST];
	int rc;

	*n = 0;
	sqlite3_reset(q);
	sqlite3_bind_blob(q, 1, digest, 32, SQLITE_STATIC);
	while (*n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		out[*n].id = column_dup(q, 0);
		out[*n].path = column_blob_dup(q, 1);
		if (out[*n].id == NULL || out[*n].path == NULL) {
			free(out[*n].id);
			free(out[*n].path);
			continue;
		}
		(*n)++;
	}
	sqlite3_reset(q);
	return 0;
}

void
state_digest_holders_free(struct digest_holder *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].path);
	}
}

/* ---- the release cache ---------------------------------------------------- */

struct state_cache {
	struct state *st;
	sqlite3_stmt *scan, *put;
	bool scanning;		/* scan has a row (or is at its end: done) */
	bool done;
};

static const char cache_schema[] =
	"CREATE TABLE IF NOT EXISTS release_cache ("
	"path BLOB PRIMARY KEY, meta_key INTEGER NOT NULL, "
	"size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, "
	"ctime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, "
	"dev INTEGER NOT NULL, meta BLOB NOT NULL) WITHOUT ROWID";

struct state_cache *
state_cache_open(struct state *st, uint64_t meta_key)
{
	struct state_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->st = st;
	if (sqlite3_exec(st->db, cache_schema, NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "SELECT path, size, mtime_ns, "
	    "ctime_ns, ino, dev, meta FROM release_cache WHERE meta_key = ?1 "
	    "ORDER BY path", -1, &c->scan, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO release_cache "
	    "(path, meta_key, size, mtime_ns, ctime_ns, ino, dev, meta) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &c->put, NULL) !=
	    SQLITE_OK) {
		fail(st, "open the release cache");
		state_cache_close(c);
		return NULL;
	}
	sqlite3_bind_int64(c->scan, 1, (sqlite3_int64)meta_key);
	sqlite3_bind_int64(c->put, 2, (sqlite3_int64)meta_key);
	return c;
}

/* The scan's row against path: <0 before it, 0 at it, >0 past it. */
static int
row_vs(sqlite3_stmt *q, const char *path)
{
	const void *p = sqlite3_column_blob(q, 0);
	size_t n = (size_t)sqlite3_column_bytes(q, 0), k = strlen(path);
	int c = memcmp(p != NULL ? p : "", path, n < k ? n : k);

	return c != 0 ? c : n < k ? -1 : n > k;
}

const void *
state_cache_find(struct state_cache *c, const char *path,
    const struct scan_key *key, size_t *len)
{
	sqlite3_stmt *q = c->scan;
	int rc = 0;

	if (path == NULL) {
		sqlite3_reset(q);
		c->done = true;
		return NULL;
	}
	if (c->done)
		return NULL;
	if (!c->scanning) {
		c->scanning = true;
		if ((rc = sqlite3_step(q)) != SQLITE_ROW)
			goto end;
	}
	while ((rc = row_vs(q, path)) < 0)
		if ((rc = sqlite3_step(q)) != SQLITE_ROW)
			goto end;
	if (rc > 0 || sqlite3_column_int64(q, 1) != key->size ||
	    sqlite3_column_int64(q, 2) != key->mtime_ns ||
	    sqlite3_column_int64(q, 3) != key->ctime_ns ||
	    sqlite3_column_int64(q, 4) != key->ino ||
	    sqlite3_column_int64(q, 5) != key->dev)
		return NULL;
	*len = (size_t)sqlite3_column_bytes(q, 6);
	return sqlite3_column_blob(q, 6);
end:
	if (rc != SQLITE_DONE)
		fail(c->st, "read the release cache");
	sqlite3_reset(q);
	c->done = true;
	return NULL;
}

int
state_cache_put(struct state_cache *c, const char *path,
    const struct scan_key *key, const void *bytes, size_t len)
{
	sqlite3_stmt *q = c->put;

	sqlite3_reset(q);
	sqlite3_bind_blob(q, 1, path, (int)strlen(path), SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, key->size);
	sqlite3_bind_int64(q, 4, key->mtime_ns);
	sqlite3_bind_int64(q, 5, key->ctime_ns);
	sqlite3_bind_int64(q, 6, key->ino);
	sqlite3_bind_int64(q, 7, key->dev);
	sqlite3_bind_blob(q, 8, bytes, (int)len, SQLITE_STATIC);
	return run(c->st, q, "write the release cache");
}

void
state_cache_close(struct state_cache *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->scan);
	sqlite3_finalize(c->put);
	free(c);
}

char *
state_meta_get(struct state *st, const char *key)
{
	sqlite3_stmt *q;
	char *v = NULL;

	if (st->stmt[S_META_GET] == NULL)
		return NULL;
	q = keyed(st, S_META_GET, key, NULL);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = column_dup(q, 0);
	sqlite3_reset(q);
	return v;
}

int
state_meta_set(struct state *st, const char *key, const char *value)
{
	if (value == NULL)
		return run(st, keyed(st, S_META_DEL, key, NULL), "write meta");
	return run(st, keyed(st, S_META_SET, key, value), "write meta");
}

int
state_skipped_set(struct state *st, const struct skipped_file *v, size_t n)
{
	sqlite3_reset(st->stmt[S_SKIP_CLEAR]);
	if (run(st, st->stmt[S_SKIP_CLEAR], "write skipped files") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *q = st->stmt[S_SKIP_ADD];

		sqlite3_reset(q);
		sqlite3_bind_blob(q, 1, v[i].path, (int)strlen(v[i].path),
		    SQLITE_STATIC);
		sqlite3_bind_text(q, 2, v[i].error, -1, SQLITE_STATIC);
		if (run(st, q, "write skipped files") < 0)
			return -1;
	}
	return 0;
}

int
state_skipped_list(struct state *st, struct skipped_file **out, size_t *n)
{
	sqlite3_stmt *q = st->stmt[S_SKIP_LIST];
	struct skipped_file *v = NULL;
	size_t cap = 0;
	int rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (q == NULL)
		return 0;
	sqlite3_reset(q);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct skipped_file *w = room(v, &cap, *n, sizeof(*v));

		if (w == NULL)
			break;
		v = w;
		v[*n].path = column_blob_dup(q, 0);
		v[*n].error = column_dup(q, 1);
		(*n)++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		fail(st, "list skipped files");
		state_skipped_free(v, *n);
		*n = 0;
		return -1;
	}
	*out = v;
	return 0;
}

void
state_skipped_free(struct skipped_file *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].path);
		free(v[i].error);
	}
	free(v);
}
