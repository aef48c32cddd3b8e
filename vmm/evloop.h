/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The main event loop: one epoll set run by the VMM's main thread. Device
 * back ends (virtio queues kicked by ioeventfd, serial input, timers) and
 * VM control (signals, power-off requests from vCPUs) are fds in it.
 *
 * evloop_add/evloop_del may be called from any thread; callbacks run only on
 * the loop's thread, one at a time.
 */
#ifndef PASSVM_EVLOOP_H
#define PASSVM_EVLOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "common/util.h"

typedef void (*evloop_fn)(void *opaque, int fd, uint32_t events);

struct evloop_handler;

struct evloop {
	int epfd;
	int stop_fd;                   /* eventfd: evloop_stop() wakes the loop */
	bool stopping;
	pthread_mutex_t lock;          /* guards the handler list */
	struct evloop_handler *handlers;
};

int evloop_init(struct evloop *l, struct error *err);
void evloop_destroy(struct evloop *l);
/* events: EPOLLIN/EPOLLOUT...; the fd stays owned by the caller. */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *opaque,
	       struct error *err);
int evloop_del(struct evloop *l, int fd);
/* Run until evloop_stop(); returns 0, or -1 on an epoll failure. */
int evloop_run(struct evloop *l);
/* Thread- and async-signal-safe. */
void evloop_stop(struct evloop *l);

#endif
