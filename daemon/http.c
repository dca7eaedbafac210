/*
 * http: see http.h and docs/http.md.
 *
 * Shape: one libmicrohttpd daemon per listening socket, each with its own
 * polling thread(s). They share one struct http, whose only mutable field
 * is cur, the snapshot served now, read under a mutex. A snapshot holds
 * its docset and, per document, ready-made responses (200 and 304, plain
 * and gzip) built once, when the document is new: the next snapshot takes
 * over those of the documents a publish did not change. The gzip copies
 * of new documents are made by a thread of their own after the swap, and
 * come in a snapshot of their own (gz_*). A request only
 * picks one and queues it. libmicrohttpd counts the references to a
 * response, and every response with a body holds a reference to its
 * document that its free callback drops, or its own sealed memfd of the
 * bytes: so a request in flight keeps the bytes it is sending, however
 * many publishes happen meanwhile.
 */
#include "http.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>

#include "config/value.h"
#include "httpmsg.h"
#include "log.h"

/*
 * A feed's plain body this large is served from a sealed memfd, so that
 * libmicrohttpd sends it with sendfile() (as nginx does a file): no copy
 * through user space per request. Measured with bench/serve on a 140 KiB
 * feed; a small body is cheaper straight from memory: one sendmsg with the
 * headers, where libmicrohttpd sends the headers of an fd-backed response
 * on their own, then uncorks and corks again. So the gzip copy of that
 * feed (26 KiB) costs 8-9 us of server CPU per request from memory, 10-11
 * from a memfd (nginx: 9-10).
 */
#define SENDFILE_MIN (16u << 10)
/* A request target longer than this is logged cut ("..."). */
#define LOG_TARGET_SIZE 256
#define INDEX_NAME "index.html"

enum variant { PLAIN, GZIP, NVARIANTS };

/* A document's ready-made responses, shared by the snapshots that serve
 * the same struct doc (docset.h: an unchanged document is the same one). */
struct entry {
	atomic_uint refs;			/* snapshots holding it */
	const struct doc *doc;			/* a doc_ref() */
	struct MHD_Response *ok[NVARIANTS];	/* 200; ok[GZIP] may be NULL */
	struct MHD_Response *nm[NVARIANTS];	/* 304 */
	bool fd_body[NVARIANTS];		/* ok[v] is sendfile()d */
	/*
	 * A feed sent by sendfile(): its plain 200 made on its first
	 * request (copying its bytes to a memfd was most of a publish's
	 * swap, for documents many of which nobody asks for before the
	 * next publish), by whichever request thread comes first.
	 */
	_Atomic(struct lazy_ok *) lazy;
	bool lazy_plain;			/* ok[PLAIN] is lazy's */
};

struct lazy_ok {
	struct MHD_Response *r;
	bool fd_body;
};

/* What one publish serves; freed when the last request using it is done
 * picking its response (the responses outlive it on their own). */
struct snap {
	atomic_uint refs;
	struct docset *ds;	/* one reference */
	struct entry **e;	/* in docset order: by name */
	const struct doc **d;	/* e[i]->doc, read without going to e[i] */
	size_t n;
	size_t made;		/* entries made for it, not taken over */
};

/* The canned answers to requests that are not for a document. */
enum canned { C400, C404, C405, C405_POST, C410, C413, C414, NCANNED };

static const struct {
	unsigned code;
	const char *body;
	const char *type;	/* NULL: text/plain */
} canned_def[NCANNED] = {
	[C400] = { MHD_HTTP_BAD_REQUEST, "Bad Request\n", NULL },
	[C404] = { MHD_HTTP_NOT_FOUND, "Not Found\n", NULL },
	/* The page of a release deleted (docset_gone): a browser shows it. */
	[C410] = { MHD_HTTP_GONE, "<!DOCTYPE html>\n<html><head>"
	    "<meta charset=\"utf-8\"><title>Gone</title></head>\n<body>"
	    "<h1>Gone</h1><p>This release was removed.</p></body></html>\n",
	    "text/html; charset=utf-8" },
	[C405] = { MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n", NULL },
	[C405_POST] = { MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n",
	    NULL },
	[C413] = { MHD_HTTP_CONTENT_TOO_LARGE, "Content Too Large\n", NULL },
	[C414] = { MHD_HTTP_URI_TOO_LONG, "URI Too Long\n", NULL },
};

/*
 * A POST on its way to the loop thread and back. Owned by its struct req;
 * between the hand-over and http_job_answer() (the connection suspended,
 * so nothing of MHD's touches it) the loop thread alone uses it.
 */
struct http_job {
	struct http_job *next;		/* in http.jobs */
	struct MHD_Connection *conn;
	char client[INET6_ADDRSTRLEN];
	char *body;
	size_t len;
	bool too_large;
	bool submitted;
	bool answered;
	unsigned code;
	char *text;
};

struct http {
	struct ev_loop *loop;		/* for ev_async hand-over (hub) */
	ev_async async;			/* jobs were queued */
	/*
	 * The gzip copies of what a publish changed are made by a thread of
	 * their own (zlib: some ms per 100 KiB, which would hold up the next
	 * publish on the loop). Under gz_lock: gz_job, the set to compress
	 * (a reference; a newer one replaces it), and gz_from/gz_done, the
	 * set it was made from and the result, taken by gz_async_cb. The
	 * thread keeps its last result (gz_last, its own): publishes that
	 * come while it compresses a site replace its job, and each new job
	 * then costs only what changed since.
	 */
	pthread_t gz_thread;
	bool gz_running;		/* gz_thread was started */
	pthread_mutex_t gz_lock;
	pthread_cond_t gz_cond;
	bool gz_stop;
	struct docset *gz_job, *gz_from, *gz_done, *gz_last;
	ev_async gz_async;		/* gz_done is there */
	struct http_job *jobs;		/* queued, not yet taken by the loop */
	pthread_mutex_t jobs_lock;
	pthread_mutex_t lock;		/* guards cur */
	struct snap *cur;		/* written by the loop thread only */
	char *base_path;		/* starts and ends with '/' */
	size_t base_len;
	char *self_base;		/* NULL: no rel="self" */
	char *hub_links;		/* "<h1>; rel=\"hub\", ..." or NULL */
	unsigned max_age;
	size_t max_url;
	void (*post)(void *ud, struct http_job *job);
	void *post_ud;
	char *post_name;
	size_t post_max;
	struct MHD_Response *canned[NCANNED];
	struct http_settings set;	/* the limits, for start_daemon */
	int *fds;			/* listening, until a daemon owns it */
	struct MHD_Daemon **d;		/* d[i] serves fds[i], or NULL */
	size_t n;
};

/* Per request, from the request line to completion (client context). */
struct req {
	double t0;		/* monotonic s, for the log */
	unsigned verdict;	/* 0, or 400/414 decided from the target */
	unsigned code;		/* status queued, 0 while none */
	bool headers;		/* the handler has seen the headers */
	const char *what;	/* for the log: "gzip", "plain", "-" */
	struct http_job *job;	/* a POST to post_name, or NULL */
	int held;		/* socket whose header push is held, or -1 */
	char method[16];	/* escaped, for the log */
	char target[LOG_TARGET_SIZE];	/* escaped raw target, for the log */
	char path[];		/* decoded; room for INDEX_NAME appended */
};

void
http_settings_init(struct http_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->base_path = "/";
	s->max_age = 60;
	s->threads = 1;
	s->max_connections = 512;
	s->max_per_ip = 32;
	s->timeout = 15;
	s->conn_memory = 16384;
	s->max_url = 2048;
	s->post_max = 8192;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the headers of a sendfile()d body ----------------------------- */

/*
 * libmicrohttpd 0.9.75 sends the headers of an fd-backed response on their
 * own and pushes them (TCP_CORK off after the send), then corks again for
 * the sendfile() of the body: one more segment per answer, and the client
 * wakes for the headers alone. nginx corks headers and body together
 * (tcp_nopush). For the plain 140 KiB feed of bench/serve that was 25 us
 * of server CPU per request against nginx's 19 (0.72x its rate); without
 * the early push 21 us (1.07x). Its API has no switch for it, so this
 * process's setsockopt() (libmicrohttpd calls it through the PLT, so
 * ours is the one it gets) lets the one uncork after the headers of such
 * an answer pass without effect: the headers stay corked and leave with
 * the body. Whatever pushes next (libmicrohttpd sets TCP_NODELAY after
 * the last chunk, which flushes even a corked socket: tcp(7)) is passed
 * on; should nothing, the request's end flushes (hold_done). Every other
 * call, and every other socket, goes straight to the C library's.
 *
 * hold[fd] per socket, by the thread serving its connection (MHD keeps a
 * connection on one thread): ARMED from the response's queueing to its
 * uncork, HELD from there (really corked) until a push or the end.
 */
enum { HOLD_NONE, HOLD_ARMED, HOLD_HELD };

static atomic_uchar *hold;
static size_t nhold;
static int (*libc_setsockopt)(int, int, int, const void *, socklen_t);
static pthread_once_t hold_once = PTHREAD_ONCE_INIT;

static void
hold_init(void)
{
	struct rlimit rl;

	/* POSIX's way to a function from dlsym() (dlsym(3)). */
	*(void **)&libc_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	if (libc_setsockopt == NULL || getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	/* Sockets beyond the table are served as libmicrohttpd does. */
	nhold = rl.rlim_cur < (1u << 20) ? (size_t)rl.rlim_cur : 1u << 20;
	/* Never freed: the process's setsockopt() reads it until exit. */
	if ((hold = calloc(nhold, 1)) == NULL)
		nhold = 0;
}

int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	pthread_once(&hold_once, hold_init);
	if (libc_setsockopt == NULL)	/* no dynamic C library: the kernel's */
		return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
	if (fd >= 0 && (size_t)fd < nhold && level == IPPROTO_TCP &&
	    val != NULL && len == sizeof(int)) {
		unsigned st = atomic_load_explicit(&hold[fd],
		    memory_order_relaxed);
		int on = *(const int *)val;

		if (st == HOLD_ARMED && name == TCP_CORK && !on) {
			/* The headers' push: they wait for the body. */
			atomic_store_explicit(&hold[fd], HOLD_HELD,
			    memory_order_relaxed);
			return 0;
		}
		if (st == HOLD_HELD && name == TCP_CORK && on)
			return 0;	/* corked it is */
		if (st == HOLD_HELD && ((name == TCP_CORK && !on) ||
		    (name == TCP_NODELAY && on)))
			atomic_store_explicit(&hold[fd], HOLD_NONE,
			    memory_order_relaxed);	/* pushed now */
	}
	return libc_setsockopt(fd, level, name, val, len);
}

/* A GET answered with a sendfile()d body on c: hold its headers' push.
 * Returns the socket (for hold_done) or -1. */
static int
hold_arm(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	int fd;

	pthread_once(&hold_once, hold_init);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || (fd = ci->connect_fd) < 0 || (size_t)fd >= nhold)
		return -1;
	atomic_store_explicit(&hold[fd], HOLD_ARMED, memory_order_relaxed);
	return fd;
}

/* The request on fd ended: nothing stays held (its socket may close and
 * the number come back for another connection). */
static void
hold_done(int fd)
{
	int on = 1;

	if (fd < 0)
		return;
	if (atomic_exchange_explicit(&hold[fd], HOLD_NONE,
	    memory_order_relaxed) == HOLD_HELD)
		libc_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* ---- snapshots ---------------------------------------------------- */

/* MHD holds its own reference to each response it has queued: those in
 * flight finish after this. */
static void
entry_put(struct entry *e)
{
	struct lazy_ok *lz;

	if (e == NULL || atomic_fetch_sub_explicit(&e->refs, 1,
	    memory_order_acq_rel) != 1)
		return;
	for (int v = 0; v < NVARIANTS; v++) {
		if (e->ok[v] != NULL)
			MHD_destroy_response(e->ok[v]);
		if (e->nm[v] != NULL)
			MHD_destroy_response(e->nm[v]);
	}
	if ((lz = atomic_load_explicit(&e->lazy, memory_order_acquire)) !=
	    NULL) {
		MHD_destroy_response(lz->r);
		free(lz);
	}
	doc_unref(e->doc);
	free(e);
}

static void
snap_free(struct snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		entry_put(s->e[i]);
	free(s->e);
	free(s->d);
	docset_unref(s->ds);
	free(s);
}

static struct snap *
snap_get(struct http *h)
{
	struct snap *s;

	pthread_mutex_lock(&h->lock);
	if ((s = h->cur) != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&h->lock);
	return s;
}

static void
snap_put(struct snap *s)
{
	if (s != NULL && atomic_fetch_sub_explicit(&s->refs, 1,
	    memory_order_acq_rel) == 1)
		snap_free(s);
}

/* The free callback of a response with a body: its document reference. */
static void
release_doc(void *d)
{
	doc_unref(d);
}

static bool
add_header(struct MHD_Response *r, const char *name, const char *value)
{
	return MHD_add_response_header(r, name, value) == MHD_YES;
}

/* The headers a 200 and a 304 share (RFC 9110 15.4.5). */
static bool
add_validators(const struct http *h, struct MHD_Response *r,
    const struct doc *d, enum variant v)
{
	char cc[32];

	snprintf(cc, sizeof(cc), "max-age=%u", h->max_age);
	return add_header(r, MHD_HTTP_HEADER_ETAG,
	    v == GZIP ? d->gzetag : d->etag) &&
	    add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc) &&
	    add_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
}

char *
http_link(const struct http *h, const struct doc *d, bool *err)
{
	char *s = NULL;
	int rc;

	*err = false;
	if (!d->feed || (h->hub_links == NULL && h->self_base == NULL))
		return NULL;
	if (h->self_base == NULL)
		rc = asprintf(&s, "%s", h->hub_links);
	else
		rc = asprintf(&s, "%s%s<%s%s>; rel=\"self\"",
		    h->hub_links ? h->hub_links : "",
		    h->hub_links ? ", " : "", h->self_base, d->name);
	if (rc < 0) {
		*err = true;
		return NULL;
	}
	return s;
}

/*
 * Whether d's variant v goes out by sendfile(). Plain feeds only: they are
 * what readers poll all day, a handful per set, where a memfd each for
 * every large page (hundreds of listing pages) could use up the process's
 * descriptors.
 */
static bool
sendfile_worth(const struct doc *d, enum variant v)
{
	return d->feed && v == PLAIN && d->len >= SENDFILE_MIN;
}

/* A sealed memfd holding data[0..len), or -1. */
static int
memfd_of(const unsigned char *data, size_t len)
{
	int fd = memfd_create("feedpubd-doc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The body of a 200: from a memfd (owned by the response) or from the
 * document's memory (a reference the response's free callback drops). */
static struct MHD_Response *
make_body(const struct doc *d, enum variant v, bool *fd_body)
{
	const unsigned char *data = v == GZIP ? d->gz : d->body;
	size_t len = v == GZIP ? d->gzlen : d->len;
	struct MHD_Response *r;
	int fd;

	*fd_body = false;
	if (sendfile_worth(d, v) && (fd = memfd_of(data, len)) >= 0) {
		if ((r = MHD_create_response_from_fd(len, fd)) == NULL)
			close(fd);
		*fd_body = r != NULL;
		return r;
	}
	r = MHD_create_response_from_buffer_with_free_callback_cls(len,
	    (void *)data, release_doc, (void *)d);
	if (r != NULL)
		doc_ref(d);		/* dropped by release_doc */
	return r;
}

static struct MHD_Response *
make_ok(const struct http *h, const struct doc *d, enum variant v,
    bool *fd_body)
{
	struct MHD_Response *r;
	char date[HTTPMSG_DATE_SIZE];
	char *link;
	bool err, ok;

	r = make_body(d, v, fd_body);
	if (r == NULL)
		return NULL;
	httpmsg_format_date(d->mtime, date);
	link = http_link(h, d, &err);
	ok = !err && add_validators(h, r, d, v) &&
	    add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, d->type) &&
	    add_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, date) &&
	    (v == PLAIN ||
	    add_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip")) &&
	    (link == NULL || add_header(r, MHD_HTTP_HEADER_LINK, link));
	free(link);
	if (!ok) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

static struct MHD_Response *
make_not_modified(const struct http *h, const struct doc *d, enum variant v)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r != NULL && !add_validators(h, r, d, v)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* d's responses, or NULL (out of memory). */
static struct entry *
entry_new(const struct http *h, const struct doc *d)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	atomic_init(&e->refs, 1);
	atomic_init(&e->lazy, NULL);
	e->doc = doc_ref(d);
	e->lazy_plain = sendfile_worth(d, PLAIN);
	if ((!e->lazy_plain && (e->ok[PLAIN] = make_ok(h, d, PLAIN,
	    &e->fd_body[PLAIN])) == NULL) ||
	    (e->nm[PLAIN] = make_not_modified(h, d, PLAIN)) == NULL ||
	    (d->gz != NULL && ((e->ok[GZIP] = make_ok(h, d, GZIP,
	    &e->fd_body[GZIP])) == NULL ||
	    (e->nm[GZIP] = make_not_modified(h, d, GZIP)) == NULL))) {
		entry_put(e);
		return NULL;
	}
	return e;
}

/*
 * A snapshot of ds (sealed; the reference is taken over), or NULL. What
 * prev (or NULL) serves of the same struct doc is taken over from it, so
 * a publish makes responses only for the documents it changed. Both are
 * in name order: one merge pass.
 */
static struct snap *
snap_new(const struct http *h, struct docset *ds, const struct snap *prev)
{
	struct snap *s = calloc(1, sizeof(*s));
	size_t n = docset_count(ds), j = 0;

	if (s == NULL || (n > 0 && ((s->e = calloc(n, sizeof(*s->e))) ==
	    NULL || (s->d = calloc(n, sizeof(*s->d))) == NULL))) {
		if (s != NULL) {
			free(s->e);
			free(s);
		}
		docset_unref(ds);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->ds = ds;
	for (; s->n < n; s->n++) {
		const struct doc *d = docset_at(ds, s->n);
		int c = 1;

		/* Mostly the same document as prev's next: no names read. */
		if (prev != NULL && j < prev->n && prev->d[j] == d)
			c = 0;
		while (c != 0 && prev != NULL && j < prev->n &&
		    (c = strcmp(prev->d[j]->name, d->name)) < 0)
			j++;
		s->d[s->n] = d;
		if (c == 0 && prev->d[j] == d) {
			s->e[s->n] = prev->e[j];
			atomic_fetch_add_explicit(&s->e[s->n]->refs, 1,
			    memory_order_relaxed);
		} else if ((s->e[s->n] = entry_new(h, d)) == NULL) {
			snap_free(s);
			return NULL;
		} else {
			s->made++;
		}
		if (c == 0)
			j++;	/* names are distinct: prev's is taken */
	}
	return s;
}

static int
cmp_doc(const void *key, const void *d)
{
	return strcmp(key, (*(const struct doc *const *)d)->name);
}

static struct entry *
snap_find(const struct snap *s, const char *name)
{
	const struct doc *const *d = s->n ? bsearch(name, s->d, s->n,
	    sizeof(*s->d), cmp_doc) : NULL;

	return d ? s->e[d - s->d] : NULL;
}

/* ---- requests ----------------------------------------------------- */

/* The request line is in: check the target while it is still raw. */
static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	const struct http *h = cls;
	size_t len = strlen(uri);
	struct req *r;

	(void)c;
	/* A target over max_url is not decoded: room for "/index.html". */
	r = malloc(sizeof(*r) + (len > h->max_url ? 0 : len) + 2 +
	    sizeof(INDEX_NAME));
	if (r == NULL)
		return NULL;
	r->t0 = mono_s();
	r->code = 0;
	r->headers = false;
	r->what = "-";
	r->method[0] = '\0';
	r->job = NULL;
	r->held = -1;
	httpmsg_escape(uri, r->target, sizeof(r->target));
	r->path[0] = '\0';
	if (len > h->max_url)
		r->verdict = MHD_HTTP_URI_TOO_LONG;
	else if (httpmsg_target(uri, r->path) != HTTPMSG_TARGET_OK)
		r->verdict = MHD_HTTP_BAD_REQUEST;
	else
		r->verdict = 0;
	return r;
}

static enum MHD_Result
reply(struct MHD_Connection *c, struct req *r, unsigned code,
    struct MHD_Response *resp, const char *what)
{
	r->code = code;
	r->what = what;
	return MHD_queue_response(c, code, resp);
}

static enum MHD_Result
reply_canned(const struct http *h, struct MHD_Connection *c, struct req *r,
    enum canned k)
{
	return reply(c, r, canned_def[k].code, h->canned[k], "-");
}

/* The document name a decoded path asks for, in r->path; NULL: none. */
static const char *
doc_name(const struct http *h, struct req *r)
{
	char *name;
	size_t n;

	if (strncmp(r->path, h->base_path, h->base_len) != 0)
		return NULL;
	name = r->path + h->base_len;
	n = strlen(name);
	if (n == 0 || name[n - 1] == '/')
		memcpy(name + n, INDEX_NAME, sizeof(INDEX_NAME));
	return name;
}

/* Whether the client's copy of d is fresh (RFC 9110 13.1.2, 13.1.3). */
static bool
not_modified(struct MHD_Connection *c, const struct doc *d)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims;
	time_t t;

	if (inm != NULL) {
		const char *tags[2] = { d->etag, d->gzetag };

		return httpmsg_etag_match(inm, tags, d->gz ? 2 : 1);
	}
	ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	return ims != NULL && httpmsg_parse_date(ims, &t) == 0 &&
	    d->mtime <= t;
}

/*
 * e's 200 in variant v, *fd_body whether sendfile()d; made now for a
 * lazy one (the first thread to make it keeps it). NULL: out of memory.
 */
static struct MHD_Response *
entry_ok(const struct http *h, struct entry *e, enum variant v,
    bool *fd_body)
{
	struct lazy_ok *lz, *none = NULL;

	if (v != PLAIN || !e->lazy_plain) {
		*fd_body = e->fd_body[v];
		return e->ok[v];
	}
	if ((lz = atomic_load_explicit(&e->lazy, memory_order_acquire)) ==
	    NULL) {
		if ((lz = malloc(sizeof(*lz))) == NULL)
			return NULL;
		if ((lz->r = make_ok(h, e->doc, PLAIN, &lz->fd_body)) == NULL) {
			free(lz);
			return NULL;
		}
		if (!atomic_compare_exchange_strong_explicit(&e->lazy, &none,
		    lz, memory_order_acq_rel, memory_order_acquire)) {
			MHD_destroy_response(lz->r);
			free(lz);
			lz = none;	/* another thread's, made meanwhile */
		}
	}
	*fd_body = lz->fd_body;
	return lz->r;
}

static enum MHD_Result
serve(struct http *h, struct MHD_Connection *c, struct req *r)
{
	const char *name = doc_name(h, r);
	struct snap *s = name ? snap_get(h) : NULL;
	struct entry *e = s ? snap_find(s, name) : NULL;
	enum variant v = PLAIN;
	enum MHD_Result rc;
	struct MHD_Response *ok;
	bool fd_body;

	if (e == NULL) {
		enum canned k = s && docset_gone(s->ds, name) ? C410 : C404;

		snap_put(s);
		return reply_canned(h, c, r, k);
	}
	if (e->ok[GZIP] != NULL && httpmsg_accepts_gzip(
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING)))
		v = GZIP;
	if (not_modified(c, e->doc)) {
		rc = reply(c, r, MHD_HTTP_NOT_MODIFIED, e->nm[v],
		    v == GZIP ? "gzip" : "plain");
	} else if ((ok = entry_ok(h, e, v, &fd_body)) == NULL) {
		rc = MHD_NO;	/* out of memory: the connection closes */
	} else {
		/* A HEAD's headers are the whole answer: pushed at once. */
		if (fd_body && strcmp(r->method, "GET") == 0)
			r->held = hold_arm(c);
		rc = reply(c, r, MHD_HTTP_OK, ok, v == GZIP ? "gzip" :
		    "plain");
	}
	/* MHD holds its own reference to the response it queued. */
	snap_put(s);
	return rc;
}

/* ---- POST: the hand-over to the loop thread ----------------------- */

static void
client_address(struct MHD_Connection *c, char *addr, size_t size)
{
	const union MHD_ConnectionInfo *ci;

	snprintf(addr, size, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    ci->client_addr)->sin_addr, addr, (socklen_t)size);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)ci->client_addr)->sin6_addr, addr,
		    (socklen_t)size);
}

static bool
is_post(const struct http *h, struct req *r)
{
	const char *name;

	if (h->post == NULL || r->verdict != 0 ||
	    (name = doc_name(h, r)) == NULL)
		return false;
	return strcmp(name, h->post_name) == 0;
}

static void
job_free(struct http_job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	free(j->text);
	free(j);
}

static enum MHD_Result
post_start(struct MHD_Connection *c, struct req *r)
{
	if ((r->job = calloc(1, sizeof(*r->job))) == NULL ||
	    (r->job->body = malloc(1)) == NULL) {
		free(r->job);
		r->job = NULL;
		return MHD_NO;
	}
	r->job->body[0] = '\0';
	r->job->conn = c;
	client_address(c, r->job->client, sizeof(r->job->client));
	return MHD_YES;
}

/* Each call of the handler for a POST: body, hand-over, answer. */
static enum MHD_Result
post_step(struct http *h, struct MHD_Connection *c, struct req *r,
    const char *upload, size_t *upload_size)
{
	struct http_job *j = r->job;
	struct MHD_Response *resp;
	enum MHD_Result rc;

	if (*upload_size != 0) {
		size_t n = *upload_size;
		char *b;

		*upload_size = 0;
		if (j->too_large || j->len + n > h->post_max) {
			j->too_large = true;
			return MHD_YES;
		}
		if ((b = realloc(j->body, j->len + n + 1)) == NULL)
			return MHD_NO;
		memcpy(b + j->len, upload, n);
		j->body = b;
		j->len += n;
		b[j->len] = '\0';
		return MHD_YES;
	}
	if (j->too_large)
		return reply_canned(h, c, r, C413);
	if (!j->submitted) {
		j->submitted = true;
		MHD_suspend_connection(c);
		pthread_mutex_lock(&h->jobs_lock);
		j->next = h->jobs;
		h->jobs = j;
		pthread_mutex_unlock(&h->jobs_lock);
		ev_async_send(h->loop, &h->async);
		return MHD_YES;
	}
	if (!j->answered)
		return MHD_YES;		/* not resumed by us: wait */
	resp = MHD_create_response_from_buffer(strlen(j->text), j->text,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL || !add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8")) {
		if (resp != NULL)
			MHD_destroy_response(resp);
		return MHD_NO;
	}
	rc = reply(c, r, j->code, resp, "-");
	MHD_destroy_response(resp);
	return rc;
}

/* The loop thread: take the queued jobs, oldest first, to post(). */
static void
async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct http *h = w->data;
	struct http_job *j, *rev = NULL;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&h->jobs_lock);
	j = h->jobs;
	h->jobs = NULL;
	pthread_mutex_unlock(&h->jobs_lock);
	while (j != NULL) {
		struct http_job *next = j->next;

		j->next = rev;
		rev = j;
		j = next;
	}
	while ((j = rev) != NULL) {
		rev = j->next;
		j->next = NULL;
		h->post(h->post_ud, j);
	}
}

const char *
http_job_body(const struct http_job *j, size_t *len)
{
	*len = j->len;
	return j->body;
}

const char *
http_job_client(const struct http_job *j)
{
	return j->client;
}

void
http_job_answer(struct http_job *j, unsigned code, const char *text)
{
	j->code = code;
	/* Out of memory: the answer loses its text, not its status. */
	j->text = strdup(text);
	if (j->text == NULL)
		j->text = calloc(1, 1);
	j->answered = true;
	MHD_resume_connection(j->conn);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct http *h = cls;
	struct req *r = *req_cls;

	(void)url;	/* decoded by MHD: r->path is ours */
	(void)version;
	(void)upload;
	if (r == NULL)
		return MHD_NO;		/* out of memory in uri_cb: close */
	if (r->code != 0) {		/* a body after our answer: dropped */
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->job != NULL)
		return post_step(h, c, r, upload, upload_size);
	/*
	 * The first call comes with the headers. A refusal is queued at
	 * once: MHD then closes the connection without reading a body. A
	 * document waits for the next call, when any body is in (and
	 * dropped): a response queued on the first call also ends the
	 * connection, and keep-alive matters for readers and benchmarks.
	 */
	if (!r->headers) {
		r->headers = true;
		httpmsg_escape(method, r->method, sizeof(r->method));
		if (r->verdict == MHD_HTTP_URI_TOO_LONG)
			return reply_canned(h, c, r, C414);
		if (r->verdict != 0)
			return reply_canned(h, c, r, C400);
		if (is_post(h, r))
			return strcmp(method, MHD_HTTP_METHOD_POST) == 0 ?
			    post_start(c, r) : reply_canned(h, c, r, C405_POST);
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return reply_canned(h, c, r, C405);
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	return serve(h, c, r);
}

/* The access log line, then the request's state goes. */
static void
completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *req_cls;
	char addr[INET6_ADDRSTRLEN];

	(void)cls;
	if (r == NULL)
		return;
	*req_cls = NULL;
	hold_done(r->held);
	job_free(r->job);
	client_address(c, addr, sizeof(addr));
	log_debug("http: %s \"%s %s\" %u %s %.2f ms%s", addr,
	    r->method[0] ? r->method : "-", r->target, r->code, r->what,
	    (mono_s() - r->t0) * 1e3,
	    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	free(r);
}

/*
 * libmicrohttpd's own messages (client errors mostly): debug lines. The
 * format attribute tells the compiler fmt is a printf format from the
 * library (-Wformat-nonliteral).
 */
static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("http: libmicrohttpd: %s", line);
}

/* ---- listening ---------------------------------------------------- */

/* "HOST:PORT": an IPv4 literal, "[IPv6]" or "*" (every address). */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
    bool *any)
{
	unsigned n;

	if (value_listen_addr(s, ss, &n, any) < 0)
		return -1;
	*len = (socklen_t)n;
	return 0;
}

/* "127.0.0.1:8080", "[::1]:8080" of a bound socket, for the log. */
static void
socket_name(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	snprintf(out, size, "fd %d", fd);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(a->sin6_port));
	}
}

/* A listening socket for spec, or -1 (logged). */
static int
listen_on(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool any;
	int fd, on = 1, off = 0;
	const char *step;

	if (parse_listen(spec, &ss, &len, &any) < 0) {
		log_errx("http: listen = %s: not HOST:PORT with an IPv4 "
		    "address, [IPv6 address] or *", spec);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0 && any && errno == EAFNOSUPPORT) {
		/* No IPv6 here: "*" is every IPv4 address then. */
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		in_port_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		a4->sin_family = AF_INET;
		a4->sin_port = port;
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*a4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
	}
	step = "socket";
	if (fd < 0)
		goto fail;
	step = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, any ? &off : &on, sizeof(on)) < 0))
		goto fail;
	step = "bind";
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	step = "listen";
	if (listen(fd, SOMAXCONN) < 0)
		goto fail;
	return fd;
fail:
	log_err("http: listen = %s: %s", spec, step);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Serve on the listening socket fd (taken over: MHD closes it). */
static struct MHD_Daemon *
start_daemon(struct http *h, int fd)
{
	const struct http_settings *s = &h->set;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | (h->post != NULL ? MHD_ALLOW_SUSPEND_RESUME :
	    0);
	struct MHD_Daemon *d;
	sigset_t all, old;
	char name[INET6_ADDRSTRLEN + 16];

	socket_name(fd, name, sizeof(name));
	/* The threads inherit this mask: signals stay with the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,	/* first, or warned */
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, s->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->max_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, s->timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->conn_memory,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, h,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    /* sendfile() cannot be told MSG_NOSIGNAL: MHD uses it only when
	     * SIGPIPE cannot kill us, which the blocked mask ensures. */
	    MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
	    /* Last, as it is optional: MHD_OPTION_END ends the list early. */
	    s->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
	    s->threads, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (d == NULL)
		log_errx("http: cannot serve on %s (libmicrohttpd refused the "
		    "settings, or no threads)", name);
	else
		log_info("http: serving on http://%s%s", name, h->base_path);
	return d;
}

/* ---- the server --------------------------------------------------- */

static int
make_canned(struct http *h)
{
	for (int k = 0; k < NCANNED; k++) {
		const char *b = canned_def[k].body;
		struct MHD_Response *r = MHD_create_response_from_buffer(
		    strlen(b), (void *)b, MHD_RESPMEM_PERSISTENT);

		if ((h->canned[k] = r) == NULL ||
		    !add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    canned_def[k].type ? canned_def[k].type :
		    "text/plain; charset=utf-8") ||
		    (k == C405 && !add_header(r, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD")) || (k == C405_POST && !add_header(r,
		    MHD_HTTP_HEADER_ALLOW, "POST")))
			return -1;
	}
	return 0;
}

static char *
hub_links(const struct http_settings *s, bool *err)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	*err = false;
	if (s->nhubs == 0)
		return NULL;
	if ((f = open_memstream(&out, &len)) == NULL) {
		*err = true;
		return NULL;
	}
	for (size_t i = 0; i < s->nhubs; i++)
		fprintf(f, "%s<%s>; rel=\"hub\"", i ? ", " : "", s->hubs[i]);
	if (fclose(f) != 0) {
		free(out);
		*err = true;
		return NULL;
	}
	return out;
}

static int
copy_settings(struct http *h, const struct http_settings *s)
{
	const char *bp = s->base_path ? s->base_path : "/";
	size_t n = strlen(bp);
	bool err;

	if (bp[0] != '/') {
		log_errx("http: base_path = %s: must start with /", bp);
		return -1;
	}
	h->max_age = s->max_age;
	h->max_url = s->max_url;
	if (asprintf(&h->base_path, "%s%s", bp, bp[n - 1] == '/' ? "" : "/")
	    < 0) {
		h->base_path = NULL;
		return -1;
	}
	h->base_len = strlen(h->base_path);
	h->post = s->post;
	h->post_ud = s->post_ud;
	h->post_max = s->post_max;
	if (s->post != NULL && (h->post_name = strdup(s->post_name ?
	    s->post_name : "hub")) == NULL)
		return -1;
	if (s->self_base != NULL && (h->self_base = strdup(s->self_base)) ==
	    NULL)
		return -1;
	h->hub_links = hub_links(s, &err);
	return err ? -1 : 0;
}

/* A listening socket of our own for the passed fd, or -1 (logged). */
static int
take_fd(int passed)
{
	int fd;

	if (sd_is_socket(passed, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
		log_errx("http: passed fd %d is not a listening stream socket",
		    passed);
		return -1;
	}
	fd = fcntl(passed, F_DUPFD_CLOEXEC, 3);
	/* Shared with the caller's fd: a thread pool needs it, its workers
	 * race for each connection. */
	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) <
	    0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		log_err("http: passed fd %d", passed);
	return fd;
}

static void gz_async_cb(struct ev_loop *loop, ev_async *w, int revents);

struct http *
http_new(struct ev_loop *loop, const struct http_settings *s,
    const int *fds, size_t nfds)
{
	struct http *h = calloc(1, sizeof(*h));
	size_t n = nfds > 0 ? nfds : s->nlisten;

	if (h == NULL || pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		log_errx("http: out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->jobs_lock, NULL);
	h->loop = loop;
	ev_async_init(&h->async, async_cb);
	h->async.data = h;
	ev_async_start(loop, &h->async);
	pthread_mutex_init(&h->gz_lock, NULL);
	pthread_cond_init(&h->gz_cond, NULL);
	ev_async_init(&h->gz_async, gz_async_cb);
	h->gz_async.data = h;
	ev_async_start(loop, &h->gz_async);
	h->set = *s;
	h->set.listen = NULL;	/* borrowed strings: not kept */
	h->set.hubs = NULL;
	h->set.base_path = h->set.self_base = NULL;
	h->set.post_name = NULL;
	if (copy_settings(h, s) < 0 || make_canned(h) < 0 ||
	    (n > 0 && ((h->d = calloc(n, sizeof(*h->d))) == NULL ||
	    (h->fds = malloc(n * sizeof(*h->fds))) == NULL))) {
		log_errx("http: out of memory");
		goto fail;
	}
	if (n == 0) {
		log_errx("http: no address to listen on");
		goto fail;
	}
	for (; h->n < n; h->n++) {
		int fd = nfds > 0 ? take_fd(fds[h->n]) :
		    listen_on(s->listen[h->n]);

		if (fd < 0)
			goto fail;
		h->fds[h->n] = fd;
	}
	return h;
fail:
	http_free(h);
	return NULL;
}

/* Serve on every socket not handed to libmicrohttpd yet. */
static int
start_serving(struct http *h)
{
	int rc = 0;

	for (size_t i = 0; i < h->n; i++) {
		if (h->fds[i] < 0)
			continue;
		/* MHD owns the fd from here on; when it fails, some of its
		 * paths close it and some do not: leaked, never closed
		 * twice. */
		if ((h->d[i] = start_daemon(h, h->fds[i])) == NULL)
			rc = -1;
		h->fds[i] = -1;
	}
	return rc;
}

/* Serve the sealed ds from now on (the reference taken over). 0 or -1. */
static int
swap_in(struct http *h, struct docset *ds)
{
	struct snap *s, *old;

	if ((s = snap_new(h, ds, h->cur)) == NULL) {
		log_errx("http: cannot prepare the documents to serve (out of "
		    "memory): serving the previous ones");
		return -1;
	}
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->lock);
	snap_put(old);
	return 0;
}

/* The gzip thread: compress each job, hand the result to the loop. */
static void *
gz_main(void *arg)
{
	struct http *h = arg;

	/* Below the loop and its writers: a new release's publish comes
	 * before the gzip copies of a site's 10,000 pages (Linux: per
	 * thread). Failing, it keeps the loop's priority. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
		log_debug("http: gzip thread keeps its priority: %s",
		    strerror(errno));
	pthread_mutex_lock(&h->gz_lock);
	for (;;) {
		struct docset *job, *c;

		while (!h->gz_stop && h->gz_job == NULL)
			pthread_cond_wait(&h->gz_cond, &h->gz_lock);
		if (h->gz_stop)
			break;
		job = h->gz_job;
		h->gz_job = NULL;
		pthread_mutex_unlock(&h->gz_lock);
		/* NULL: out of memory */
		c = docset_compress(job, h->gz_last);
		docset_unref(h->gz_last);
		h->gz_last = c != NULL ? docset_ref(c) : NULL;
		pthread_mutex_lock(&h->gz_lock);
		docset_unref(h->gz_from);
		docset_unref(h->gz_done);
		h->gz_from = job;
		h->gz_done = c;
		ev_async_send(h->loop, &h->gz_async);
	}
	pthread_mutex_unlock(&h->gz_lock);
	return NULL;
}

/*
 * The loop thread: serve the gzip copies, if they were made from the set
 * served now. Otherwise a publish came meanwhile, and its own job is
 * queued with every document still pending (docset_seal_plain keeps
 * them so): this result is dropped.
 */
static void
gz_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct http *h = w->data;
	struct docset *from, *c;

	(void)loop;
	(void)revents;
	pthread_mutex_lock(&h->gz_lock);
	from = h->gz_from;
	c = h->gz_done;
	h->gz_from = h->gz_done = NULL;
	pthread_mutex_unlock(&h->gz_lock);
	if (from != NULL && h->cur != NULL && from == h->cur->ds) {
		if (c == NULL)
			log_errx("http: out of memory compressing %zu "
			    "documents: serving them plain",
			    docset_pending(from));
		else if (swap_in(h, c) == 0)
			log_debug("http: gzip copies of %zu documents served",
			    docset_pending(from));
		c = NULL;	/* swap_in took it, whatever the result */
	}
	docset_unref(c);
	docset_unref(from);
}

/* Queue ds's pending documents for the gzip thread (started now if not
 * yet). Returns 0, or -1 (logged: served plain until the next publish). */
static int
gz_queue(struct http *h, struct docset *ds)
{
	sigset_t all, old;

	if (!h->gz_running) {
		/* The thread inherits this mask: signals stay with the loop. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		h->gz_running = pthread_create(&h->gz_thread, NULL, gz_main,
		    h) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!h->gz_running) {
			log_errx("http: cannot start the gzip thread: serving "
			    "new documents plain");
			return -1;
		}
	}
	pthread_mutex_lock(&h->gz_lock);
	docset_unref(h->gz_job);
	h->gz_job = docset_ref(ds);
	pthread_cond_signal(&h->gz_cond);
	pthread_mutex_unlock(&h->gz_lock);
	return 0;
}

int
http_publish(struct http *h, struct docset *ds)
{
	double t0 = mono_s();
	const struct docset *prev = h->cur ? h->cur->ds : NULL;
	int rc;

	/* Only this thread writes cur: reading it needs no lock. The first
	 * set too is served plain until the gzip thread is done: compressing
	 * a whole site here held the loop for seconds (2.5 s at 1,000
	 * releases with every feed on). */
	rc = docset_seal_plain(ds, prev);
	if (rc < 0) {
		log_err("http: cannot prepare the documents to serve");
		docset_unref(ds);
		return -1;
	}
	if (swap_in(h, ds) < 0)
		return -1;
	log_debug("http: serving %zu documents (%zu files read, %zu new "
	    "to serve: %.1f ms)", h->cur->n, docset_files_read(ds),
	    h->cur->made, (mono_s() - t0) * 1e3);
	if (docset_pending(ds) > 0)
		gz_queue(h, ds);
	return start_serving(h);
}

struct docset *
http_docset_ref(struct http *h)
{
	return h->cur ? docset_ref(h->cur->ds) : NULL;
}

const struct docset *
http_docset(const struct http *h)
{
	return h->cur ? h->cur->ds : NULL;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	/* Jobs the loop has not taken: answered, so MHD can close them. */
	pthread_mutex_lock(&h->jobs_lock);
	while (h->jobs != NULL) {
		struct http_job *j = h->jobs;

		h->jobs = j->next;
		http_job_answer(j, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "stopping\n");
	}
	pthread_mutex_unlock(&h->jobs_lock);
	ev_async_stop(h->loop, &h->async);
	if (h->gz_running) {
		pthread_mutex_lock(&h->gz_lock);
		h->gz_stop = true;
		pthread_cond_signal(&h->gz_cond);
		pthread_mutex_unlock(&h->gz_lock);
		pthread_join(h->gz_thread, NULL);
	}
	ev_async_stop(h->loop, &h->gz_async);
	docset_unref(h->gz_last);
	docset_unref(h->gz_job);
	docset_unref(h->gz_from);
	docset_unref(h->gz_done);
	/* Threads joined, connections closed, their responses released. */
	for (size_t i = 0; i < h->n; i++) {
		if (h->d[i] != NULL)
			MHD_stop_daemon(h->d[i]);
		else if (h->fds[i] >= 0)
			close(h->fds[i]);
	}
	free(h->d);
	free(h->fds);
	snap_put(h->cur);
	for (int k = 0; k < NCANNED; k++)
		if (h->canned[k] != NULL)
			MHD_destroy_response(h->canned[k]);
	free(h->base_path);
	free(h->self_base);
	free(h->hub_links);
	free(h->post_name);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->jobs_lock);
	pthread_mutex_destroy(&h->gz_lock);
	pthread_cond_destroy(&h->gz_cond);
	free(h);
}
