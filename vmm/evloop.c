// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct evloop_handler {
	int fd;
	evloop_fn fn;
	void *opaque;
	struct evloop_handler *next;
};

int evloop_init(struct evloop *l, struct error *err)
{
	memset(l, 0, sizeof(*l));
	l->stop_fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return err_setf(err, "epoll_create1: %s", strerror(errno));
	l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stop_fd < 0) {
		close(l->epfd);
		return err_setf(err, "eventfd: %s", strerror(errno));
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev) < 0) {
		close(l->stop_fd);
		close(l->epfd);
		return err_setf(err, "epoll_ctl: %s", strerror(errno));
	}
	pthread_mutex_init(&l->lock, NULL);
	return 0;
}

void evloop_destroy(struct evloop *l)
{
	struct evloop_handler *h = l->handlers;
	while (h) {
		struct evloop_handler *n = h->next;
		free(h);
		h = n;
	}
	l->handlers = NULL;
	if (l->stop_fd >= 0)
		close(l->stop_fd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->stop_fd = l->epfd = -1;
	pthread_mutex_destroy(&l->lock);
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *opaque,
	       struct error *err)
{
	struct evloop_handler *h = calloc(1, sizeof(*h));
	if (!h)
		return err_setf(err, "out of memory");
	*h = (struct evloop_handler){ .fd = fd, .fn = fn, .opaque = opaque };
	pthread_mutex_lock(&l->lock);
	h->next = l->handlers;
	l->handlers = h;
	pthread_mutex_unlock(&l->lock);
	struct epoll_event ev = { .events = events, .data.ptr = h };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		evloop_del(l, fd);
		return err_setf(err, "cannot watch fd %d: %s", fd, strerror(e));
	}
	return 0;
}

int evloop_del(struct evloop *l, int fd)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	pthread_mutex_lock(&l->lock);
	for (struct evloop_handler **p = &l->handlers; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			/* Freed only at destroy: an event for it may already be
			 * in the loop's current batch. Mark it dead instead. */
			(*p)->fn = NULL;
			pthread_mutex_unlock(&l->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return -1;
}

int evloop_run(struct evloop *l)
{
	struct epoll_event evs[32];
	while (!__atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE)) {
		int n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct evloop_handler *h = evs[i].data.ptr;
			if (!h)
				continue; /* stop_fd */
			pthread_mutex_lock(&l->lock);
			evloop_fn fn = h->fn;
			pthread_mutex_unlock(&l->lock);
			if (fn)
				fn(h->opaque, h->fd, evs[i].events);
		}
	}
	return 0;
}

void evloop_stop(struct evloop *l)
{
	__atomic_store_n(&l->stopping, true, __ATOMIC_RELEASE);
	uint64_t one = 1;
	if (write(l->stop_fd, &one, sizeof(one)) < 0)
		return;
}
