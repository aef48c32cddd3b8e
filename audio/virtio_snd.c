// SPDX-License-Identifier: GPL-2.0-only
/*
 * [audio] device = virtio-snd (virtio 1.2, 5.14): one output stream that
 * Linux's virtio_snd driver plays into, played into PipeWire (audio.h).
 *
 * Queues: control (requests answered at once, virtio_snd_proto.c), event
 * (the driver's buffers are kept: we send no events), tx, rx (no input
 * stream, unused).
 *
 * A tx transfer is [stream id][frames][status]. Its frames are decoded
 * into the playout buffer when it arrives, and the transfer is given back
 * only once the sink has played its last frame: the driver's hardware
 * pointer moves with the completions, so the guest's audio clock is the
 * host's output. The buffer holds the driver's whole buffer_bytes (it never
 * has more in flight), so a well-behaved driver's transfer always fits; one
 * that does not is answered IO_ERR at once. STOP and RELEASE give every
 * pending transfer back (ALSA drains before it stops, so what is dropped
 * was dropped by the guest).
 *
 * The guest's audio clock must not stop with the host's: Linux's ALSA
 * gives up on a device whose pointer does not move for 100 ms (EIO), and a
 * PipeWire stream can take longer than that to start, or stall when the
 * desktop switches outputs. So while the stream runs, a timer ticks once a
 * period; when the sink has taken nothing for stall_ns (half the buffer,
 * within 60..250 ms), each tick plays one period into
 * the void (stall_frames) and gives its transfers back, until the sink
 * takes frames again. The stream is connected to PipeWire at PREPARE
 * already, so START usually finds it linked.
 *
 * Threads and locks: the rings are worked on the event loop (queue kicks,
 * and `played_fd`, which the sink's thread writes after it played frames);
 * the sink's thread only touches the playout buffer. vs->lock guards the
 * stream state, the buffer and the pending transfers, innermost: vq->lock
 * (control, then tx) -> vs->lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "audio/audio.h"
#include "audio/options.h"
#include "audio/virtio_snd_proto.h"
#include "vmm/virtio/virtio_pci.h"
#include "vmm/vm.h"

#define VSND_QUEUE_SIZE 256
#define VSND_DECODE_FRAMES 1024u
/* The largest buffer in samples (S16 packs the most): allocated once, its
 * pages only touched as far as the guest's buffer_bytes reach. */
#define VSND_FIFO_SAMPLES (VSND_MAX_BUFFER_BYTES / 2u)

struct vsnd_pending {
	uint16_t head;
	uint64_t end;                 /* stream position after its last frame */
	unsigned nr_status;
	struct iovec status[4];       /* where its virtio_snd_pcm_status goes */
};

struct virtio_snd {
	struct vm *vm;
	struct virtio_dev *vdev;
	pthread_mutex_t lock;
	struct vsnd_stream streams[VSND_STREAMS];
	float *fifo_buf;              /* VSND_FIFO_SAMPLES */
	struct audio_fifo fifo;       /* the guest's buffer_bytes of frames */
	uint64_t queued, played;      /* frames into / out of the buffer */
	struct vsnd_pending pending[VSND_QUEUE_SIZE];
	unsigned pend_head, pend_count;
	uint8_t raw[VSND_DECODE_FRAMES * AUDIO_MAX_CHANNELS * 4];
	float decoded[VSND_DECODE_FRAMES * AUDIO_MAX_CHANNELS];
	int played_fd;
	int tick_fd;                  /* timerfd, a period while running: the stall watchdog */
	uint64_t last_progress_ns;    /* when the sink last took frames (or START) */
	uint64_t stall_ns;            /* no progress for this long: the device plays on alone */
	const struct audio_sink_ops *sink_ops;
	struct audio_sink *sink;
	uint64_t underruns, bad_transfers, stall_frames;
};

static uint64_t vsnd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the playout buffer (vs->lock) ------------------------------------------------- */


/* ---- tx: transfers in, completions out (event loop, txq->lock, vs->lock) ----------- */

static void vsnd_status_write(const struct vsnd_pending *p, uint32_t status, uint32_t latency)
{
	struct virtio_snd_pcm_status st = { .status = status, .latency_bytes = latency };
	iov_from_buf(p->status, p->nr_status, 0, &st, sizeof(st));
}

/* Give back transfers whose frames were played (all of them: `all`). */
static bool vsnd_complete(struct virtio_snd *vs, struct virtqueue *vq, bool all)
{
	const struct vsnd_params *p = &vs->streams[0].params;
	bool pushed = false;
	while (vs->pend_count) {
		struct vsnd_pending *t = &vs->pending[vs->pend_head];
		if (!all && t->end > vs->played)
			break;
		uint64_t ahead = vs->queued > vs->played ? vs->queued - vs->played : 0;
		vsnd_status_write(t, VIRTIO_SND_S_OK, (uint32_t)MIN(ahead * p->frame_bytes, UINT32_MAX));
		vq_push(vq, t->head, sizeof(struct virtio_snd_pcm_status));
		vs->pend_head = (vs->pend_head + 1) % VSND_QUEUE_SIZE;
		vs->pend_count--;
		pushed = true;
	}
	return pushed;
}

/* Decode a transfer's frames into the buffer; its status says whether it can be held. */
static uint32_t vsnd_take(struct virtio_snd *vs, const struct vq_elem *e, uint64_t frames)
{
	struct vsnd_stream *s = &vs->streams[0];
	const struct vsnd_params *p = &s->params;
	if (s->state == VSND_RELEASED || !vs->fifo.cap)
		return VIRTIO_SND_S_BAD_MSG;
	if (frames > audio_fifo_room(&vs->fifo) || vs->pend_count == VSND_QUEUE_SIZE)
		return VIRTIO_SND_S_IO_ERR; /* more than the buffer the driver set */
	size_t off = sizeof(struct virtio_snd_pcm_xfer);
	for (uint64_t done = 0; done < frames;) {
		uint32_t n = (uint32_t)MIN(frames - done, (uint64_t)VSND_DECODE_FRAMES);
		iov_to_buf(e->iov, e->nr_out, off, vs->raw, (size_t)n * p->frame_bytes);
		vsnd_to_float(p, vs->raw, n, vs->decoded);
		audio_fifo_push(&vs->fifo, vs->decoded, n);
		vs->queued += n;
		off += (size_t)n * p->frame_bytes;
		done += n;
	}
	return VIRTIO_SND_S_OK;
}

static void vsnd_tx_fill(struct virtio_snd *vs, struct virtqueue *vq)
{
	struct virtio_dev *vdev = vs->vdev;
	bool pushed = false;
	pthread_mutex_lock(&vs->lock);
	struct vq_elem e;
	while (virtio_vq_next(vdev, vq, &e) > 0) {
		struct vsnd_pending t = { .head = e.head };
		int n = iov_slice(e.iov + e.nr_out, e.nr_in, 0, sizeof(struct virtio_snd_pcm_status),
				  t.status, ARRAY_SIZE(t.status));
		if (n < 0) { /* no room for a status: nothing to answer with */
			vs->bad_transfers++;
			vq_push(vq, e.head, 0);
			pushed = true;
			continue;
		}
		t.nr_status = (unsigned)n;
		struct virtio_snd_pcm_xfer x = { 0 };
		uint32_t frame_bytes = vs->streams[0].params.frame_bytes;
		uint64_t data = e.out_len >= sizeof(x) ? e.out_len - sizeof(x) : 0;
		uint32_t st = VIRTIO_SND_S_BAD_MSG;
		if (e.out_len >= sizeof(x) && iov_to_buf(e.iov, e.nr_out, 0, &x, sizeof(x)) &&
		    x.stream_id < VSND_STREAMS && frame_bytes && data % frame_bytes == 0)
			st = vsnd_take(vs, &e, data / frame_bytes);
		if (st != VIRTIO_SND_S_OK) {
			vs->bad_transfers++;
			vsnd_status_write(&t, st, 0);
			vq_push(vq, e.head, sizeof(struct virtio_snd_pcm_status));
			pushed = true;
			continue;
		}
		t.end = vs->queued;
		vs->pending[(vs->pend_head + vs->pend_count) % VSND_QUEUE_SIZE] = t;
		vs->pend_count++;
	}
	pthread_mutex_unlock(&vs->lock);
	if (pushed)
		virtio_queue_interrupt(vdev, vq);
}

/* The sink played frames: give back what was played (event loop). */
static void vsnd_on_played(void *opaque, int fd, uint32_t events)
{
	struct virtio_snd *vs = opaque;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	struct virtqueue *vq = &vs->vdev->vqs[VIRTIO_SND_VQ_TX];
	pthread_mutex_lock(&vq->lock);
	if (virtio_live(vs->vdev) && vq->ready) {
		pthread_mutex_lock(&vs->lock);
		bool pushed = vsnd_complete(vs, vq, false);
		pthread_mutex_unlock(&vs->lock);
		if (pushed)
			virtio_queue_interrupt(vs->vdev, vq);
	}
	pthread_mutex_unlock(&vq->lock);
}

/* ---- control queue (event loop, ctlq->lock) ---------------------------------------- */

/* No transfer pending, the buffer empty (vs->lock); new parameters size
 * it anew. */
static void vsnd_forget(struct virtio_snd *vs, const struct vsnd_params *newp)
{
	vs->pend_count = vs->pend_head = 0;
	if (newp)
		audio_fifo_setup(&vs->fifo, vs->fifo_buf, newp->buffer_bytes / newp->frame_bytes,
				 newp->channels);
	audio_fifo_drop(&vs->fifo, vs->fifo.len);
	vs->played = vs->queued;
}

/* Every pending transfer goes back (takes txq->lock); newp: new parameters. */
static void vsnd_flush(struct virtio_snd *vs, const struct vsnd_params *newp)
{
	struct virtqueue *vq = &vs->vdev->vqs[VIRTIO_SND_VQ_TX];
	pthread_mutex_lock(&vq->lock);
	pthread_mutex_lock(&vs->lock);
	bool pushed = vq->ready && vsnd_complete(vs, vq, true);
	vsnd_forget(vs, newp); /* (a queue not ready takes nothing back) */
	pthread_mutex_unlock(&vs->lock);
	if (pushed)
		virtio_queue_interrupt(vs->vdev, vq);
	pthread_mutex_unlock(&vq->lock);
}

/* The watchdog runs a period at a time while the stream runs. */
static void vsnd_tick_arm(struct virtio_snd *vs, const struct vsnd_params *p, bool on)
{
	struct itimerspec its = { 0 };
	if (on) {
		uint64_t period_ns = (uint64_t)p->period_bytes / p->frame_bytes * 1000000000ull /
				     p->rate_hz;
		/* Half the buffer, within 60..250 ms: ALSA waits the buffer's
		 * time plus 10%, at least 100 ms, before it calls the device dead. */
		uint64_t buffer_ns = period_ns * (p->buffer_bytes / p->period_bytes);
		uint64_t stall = buffer_ns / 2;
		stall = stall < 60000000ull ? 60000000ull : stall > 250000000ull ? 250000000ull : stall;
		pthread_mutex_lock(&vs->lock);
		vs->stall_ns = stall;
		vs->last_progress_ns = vsnd_now_ns();
		pthread_mutex_unlock(&vs->lock);
		its.it_value.tv_sec = its.it_interval.tv_sec = (time_t)(period_ns / 1000000000ull);
		its.it_value.tv_nsec = its.it_interval.tv_nsec = (long)(period_ns % 1000000000ull);
	}
	timerfd_settime(vs->tick_fd, 0, &its, NULL);
}

static void vsnd_on_tick(void *opaque, int fd, uint32_t events)
{
	struct virtio_snd *vs = opaque;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	struct virtqueue *vq = &vs->vdev->vqs[VIRTIO_SND_VQ_TX];
	pthread_mutex_lock(&vq->lock);
	if (virtio_live(vs->vdev) && vq->ready) {
		pthread_mutex_lock(&vs->lock);
		const struct vsnd_params *p = &vs->streams[0].params;
		bool pushed = false;
		if (vs->streams[0].state == VSND_RUNNING && vs->fifo.len &&
		    vsnd_now_ns() - vs->last_progress_ns > vs->stall_ns) {
			uint32_t drop = MIN(p->period_bytes / p->frame_bytes, vs->fifo.len);
			audio_fifo_drop(&vs->fifo, drop);
			vs->played += drop;
			vs->stall_frames += drop;
			pushed = vsnd_complete(vs, vq, false);
		}
		pthread_mutex_unlock(&vs->lock);
		if (pushed)
			virtio_queue_interrupt(vs->vdev, vq);
	}
	pthread_mutex_unlock(&vq->lock);
}

static uint32_t vsnd_ctl_elem(struct virtio_dev *vdev, struct virtqueue *vq, struct vq_elem *e)
{
	struct virtio_snd *vs = vdev->backend;
	static _Thread_local uint8_t req[VSND_CTL_MAX], resp[VSND_CTL_MAX];
	size_t req_len = iov_to_buf(e->iov, e->nr_out, 0, req, sizeof(req));
	size_t cap = (size_t)MIN(e->in_len, (uint64_t)sizeof(resp));
	unsigned id;
	enum vsnd_change change;
	pthread_mutex_lock(&vs->lock);
	size_t n = vsnd_control(vs->streams, req, req_len, resp, cap, &id, &change);
	struct vsnd_params p = vs->streams[0].params;
	pthread_mutex_unlock(&vs->lock);
	/* New parameters, STOP, RELEASE: what is pending goes back, and the
	 * buffer starts over (at the new size). */
	if (change == VSND_CHANGE_PARAMS || change == VSND_CHANGE_STOP ||
	    change == VSND_CHANGE_RELEASE)
		vsnd_flush(vs, change == VSND_CHANGE_PARAMS ? &p : NULL);
	if (change != VSND_CHANGE_NONE)
		vsnd_tick_arm(vs, &p, change == VSND_CHANGE_START);
	if (change == VSND_CHANGE_START) {
		char desc[96];
		audio_format_describe(&p.fmt, desc, sizeof(desc));
		log_debug("%s: the guest plays %s", vdev->name, desc);
	}
	return (uint32_t)iov_from_buf(e->iov + e->nr_out, e->nr_in, 0, resp, n);
}

static void vsnd_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct virtio_snd *vs = vdev->backend;
	if (vq->index == VIRTIO_SND_VQ_CONTROL)
		virtio_vq_process(vdev, vq, vsnd_ctl_elem);
	else if (vq->index == VIRTIO_SND_VQ_TX)
		vsnd_tx_fill(vs, vq);
	/* event: buffers kept for events we never send; rx: no input stream */
}

static void vsnd_config_read(struct virtio_dev *vdev, uint32_t off, void *data, uint32_t len)
{
	struct virtio_snd_config c = { .jacks = 0, .streams = VSND_STREAMS, .chmaps = 0 };
	memcpy(data, (uint8_t *)&c + off, len);
}

static void vsnd_reset(struct virtio_dev *vdev)
{
	struct virtio_snd *vs = vdev->backend;
	pthread_mutex_lock(&vs->lock);
	/* The rings are gone with the driver: nothing is given back. */
	memset(vs->streams, 0, sizeof(vs->streams));
	vsnd_forget(vs, NULL);
	pthread_mutex_unlock(&vs->lock);
	struct itimerspec off = { 0 };
	timerfd_settime(vs->tick_fd, 0, &off, NULL);
}

static void vsnd_destroy(struct virtio_dev *vdev)
{
	struct virtio_snd *vs = vdev->backend;
	if (vs->sink)
		vs->sink_ops->stop(vs->sink); /* joins the sink's thread */
	if (vs->played_fd >= 0) {
		evloop_del(&vs->vm->loop, vs->played_fd);
		close(vs->played_fd);
	}
	if (vs->tick_fd >= 0) {
		evloop_del(&vs->vm->loop, vs->tick_fd);
		close(vs->tick_fd);
	}
	if (vs->underruns || vs->bad_transfers || vs->stall_frames)
		log_info("%s: %llu underruns, %llu transfers refused, %llu frames played alone "
			 "while the host's audio stalled", vdev->name,
			 (unsigned long long)vs->underruns, (unsigned long long)vs->bad_transfers,
			 (unsigned long long)vs->stall_frames);
	pthread_mutex_destroy(&vs->lock);
	free(vs->fifo_buf);
	free(vs);
}

static const struct virtio_device_ops vsnd_ops = {
	.queue_notify = vsnd_queue_notify,
	.config_read = vsnd_config_read,
	.reset = vsnd_reset,
	.destroy = vsnd_destroy,
};

/* ---- the sink's side (its thread) -------------------------------------------------- */

static enum audio_pull_result vsnd_pull(void *opaque, float *out, uint32_t frames,
					const struct audio_format *fmt, uint32_t *got)
{
	struct virtio_snd *vs = opaque;
	enum audio_pull_result r = AUDIO_PULL_OK;
	*got = 0;
	pthread_mutex_lock(&vs->lock);
	const struct vsnd_stream *s = &vs->streams[0];
	if (s->state != VSND_RUNNING || !vs->fifo.cap) {
		r = AUDIO_PULL_IDLE;
	} else if (!audio_format_equal(&s->params.fmt, fmt)) {
		r = AUDIO_PULL_REFORMAT;
	} else {
		uint32_t n = MIN(frames, vs->fifo.len);
		audio_fifo_pop(&vs->fifo, out, n);
		vs->played += n;
		if (n < frames && vs->pend_count)
			vs->underruns++;
		if (n)
			vs->last_progress_ns = vsnd_now_ns();
		*got = n;
	}
	pthread_mutex_unlock(&vs->lock);
	if (*got) {
		uint64_t one = 1;
		if (write(vs->played_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_debug("virtio-snd: played_fd: %s", strerror(errno));
	}
	return r;
}

static bool vsnd_format(void *opaque, struct audio_format *fmt, bool *active)
{
	struct virtio_snd *vs = opaque;
	pthread_mutex_lock(&vs->lock);
	/* Prepared (or stopped, to be started again): the sink connects, and
	 * WirePlumber links it, before START. */
	enum vsnd_state st = vs->streams[0].state;
	bool known = st == VSND_PREPARED || st == VSND_RUNNING || st == VSND_STOPPED;
	if (known)
		*fmt = vs->streams[0].params.fmt;
	*active = st == VSND_RUNNING;
	pthread_mutex_unlock(&vs->lock);
	return known;
}

/* ---- creation ---------------------------------------------------------------------- */

static int vsnd_init(struct vm *vm, struct error *err)
{
	const struct audio_config *a = audio_config(vm->cfg);
	if (!a->enabled || a->device != AUDIO_DEVICE_VIRTIO_SND)
		return 0;
	struct virtio_snd *vs = calloc(1, sizeof(*vs));
	if (!vs)
		return err_setf(err, "out of memory");
	vs->vm = vm;
	vs->sink_ops = &audio_sink_pipewire;
	vs->fifo_buf = calloc(VSND_FIFO_SAMPLES, sizeof(float));
	if (!vs->fifo_buf) {
		free(vs);
		return err_setf(err, "out of memory");
	}
	pthread_mutex_init(&vs->lock, NULL);
	vs->played_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vs->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct virtio_pci_params p = {
		.name = "virtio-snd",
		.device_id = VSND_DEVICE_ID,
		.class_code = 0x040100, /* multimedia audio controller */
		.nr_queues = VIRTIO_SND_VQ_MAX,
		.queue_size = VSND_QUEUE_SIZE,
		.config_len = sizeof(struct virtio_snd_config),
		.slot = -1,
	};
	if (vs->played_fd < 0 || vs->tick_fd < 0)
		err_setf(err, "virtio-snd: eventfd/timerfd: %s", strerror(errno));
	else
		vs->vdev = virtio_pci_create(vm, &p, &vsnd_ops, vs, err);
	if (!vs->vdev) {
		if (vs->played_fd >= 0)
			close(vs->played_fd);
		if (vs->tick_fd >= 0)
			close(vs->tick_fd);
		pthread_mutex_destroy(&vs->lock);
		free(vs->fifo_buf);
		free(vs);
		return -1;
	}
	if (vm_device_add(vm, vs->vdev->name, vs->vdev, virtio_pci_vm_destroy, err)) {
		virtio_pci_destroy(vs->vdev); /* frees vs through vsnd_destroy */
		return -1;
	}
	if (evloop_add(&vm->loop, vs->played_fd, EPOLLIN, vsnd_on_played, vs, err) ||
	    evloop_add(&vm->loop, vs->tick_fd, EPOLLIN, vsnd_on_tick, vs, err))
		return err_prefix(err, "virtio-snd");
	struct audio_source src = { .pull = vsnd_pull, .format = vsnd_format, .opaque = vs };
	vs->sink = audio_sink_start_for(vs->sink_ops, vm->cfg->name, "virtio-snd", a->target,
					a->latency_ms, src, err);
	if (!vs->sink)
		return err_prefix(err, "[audio]");
	return 0;
}

VMM_DEVICE(virtio_snd_device) = {
	.name = "virtio-snd",
	.order = VMM_ORDER_DEVICE,
	.init = vsnd_init,
};
