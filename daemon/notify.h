/*
 * notify: the systemd service protocol (sd_notify). Every call is a no-op
 * when NOTIFY_SOCKET is not set, so the daemon runs the same by hand.
 */
#ifndef DAEMON_NOTIFY_H
#define DAEMON_NOTIFY_H

#include <ev.h>

void notify_ready(void);
void notify_reloading(void);	/* RELOADING=1 with MONOTONIC_USEC */
void notify_stopping(void);
/* EXTEND_TIMEOUT_USEC: starting (or reloading) needs sec seconds more. */
void notify_extend_timeout(unsigned sec);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * If the service manager asked for a watchdog (WATCHDOG_USEC), send
 * WATCHDOG=1 from the loop at half that interval: a hung loop stops the
 * pings and systemd restarts us. t must live as long as the loop runs.
 */
void notify_watchdog_start(struct ev_loop *loop, ev_timer *t);

#endif
