/*
 * reap: see reap.h. A ring of descriptors under a mutex; one thread,
 * started on first use, closes them in order.
 */
#include "reap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more, done;	/* fds queued; the queue drained */
	int fd[REAP_MAX];
	bool sync[REAP_MAX];		/* fsync fd[i] before its close */
	unsigned head, n;		/* fd[head] closes next; n waiting */
	bool busy;			/* the thread closes one now */
	bool started, failed;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER, { 0 }, { false }, 0, 0, false, false,
	false };

static void *
reaper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q.lock);
	for (;;) {
		int fd;
		bool sync;

		while (q.n == 0) {
			q.busy = false;
			pthread_cond_broadcast(&q.done);
			pthread_cond_wait(&q.more, &q.lock);
		}
		q.busy = true;
		fd = q.fd[q.head];
		sync = q.sync[q.head];
		q.head = (q.head + 1) % REAP_MAX;
		q.n--;
		pthread_mutex_unlock(&q.lock);
		if (sync)
			(void)fsync(fd);
		(void)close(fd);	/* a read-only fd: nothing to report */
		pthread_mutex_lock(&q.lock);
	}
	return NULL;
}

/* The thread, with every signal blocked (they are the loop's). */
static bool
start(void)
{
	pthread_t t;
	pthread_attr_t a;
	sigset_t all, old;
	bool ok;

	sigfillset(&all);
	if (pthread_attr_init(&a) != 0)
		return false;
	(void)pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(&t, &a, reaper, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	return ok;
}

static void
queue(int fd, bool sync)
{
	int saved = errno;	/* callers report an error of their own */

	if (fd < 0)
		return;
	pthread_mutex_lock(&q.lock);
	if (!q.started && !q.failed) {
		q.started = start();
		q.failed = !q.started;
	}
	if (q.started && q.n < REAP_MAX) {
		q.fd[(q.head + q.n) % REAP_MAX] = fd;
		q.sync[(q.head + q.n) % REAP_MAX] = sync;
		q.n++;
		pthread_cond_signal(&q.more);
		fd = -1;
	}
	pthread_mutex_unlock(&q.lock);
	if (fd >= 0 && sync)
		(void)fsync(fd);
	if (fd >= 0)
		(void)close(fd);
	errno = saved;
}

void
reap_close(int fd)
{
	queue(fd, false);
}

void
reap_fsync(int fd)
{
	queue(fd, true);
}

void
reap_drain(void)
{
	pthread_mutex_lock(&q.lock);
	while (q.started && (q.n > 0 || q.busy))
		pthread_cond_wait(&q.done, &q.lock);
	pthread_mutex_unlock(&q.lock);
}
