// SPDX-License-Identifier: GPL-2.0-only
/*
 * display-shm throughput and latency (bench/README.md, section 3): our
 * KVMFR producer and consumer on one shared region, in two threads (the
 * guest and passvm view), full BGRA frames (no damage rects: the worst
 * case), beside a plain memcpy of the same frame.
 *
 *   dshm_bench [--seconds S] [--sizes WxH,...] [--sdl]
 *
 * Per size:
 *  - memcpy: one frame copied between two private, pre-faulted buffers
 *    (median): the floor for moving a frame once; 1/memcpy is the fps limit
 *    of one copy per frame.
 *  - fps: the producer posts as fast as the two-slot queue allows while the
 *    consumer copies each frame out (kvmfr_frame_copy_rows, as a consumer
 *    without a texture would): sustained frames per second.
 *  - latency: paced (one frame in flight, so no queueing), from the start
 *    of the producer's kvmfr_producer_frame() call to the consumer having
 *    the last row in private memory; median and p99. The producer's copy
 *    into the region and the consumer's copy out overlap (write pointer),
 *    so the floor is ~one memcpy: overhead = latency - memcpy.
 *  - --sdl: the viewer's SDL2 back end (viewer_sdl.c): a full-frame texture
 *    upload and a present, medians, reported separately (needs a display).
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "display-shm/dshm.h"
#include "display-shm/kvmfr_producer.h"
#include "display-shm/viewer.h"

#define BENCH_MAX_SAMPLES 20000u

struct bench {
	uint32_t w, h;
	uint8_t *region;
	uint64_t size;
	uint8_t *src, *dst;
	struct kvmfr_producer p;
	bool paced;
	double seconds;
	/* producer -> consumer */
	uint64_t post_us[64];          /* by serial % 64 */
	uint32_t consumed;             /* frames the consumer finished (atomic) */
	bool stop;                     /* atomic */
	uint64_t lat[BENCH_MAX_SAMPLES];
	uint32_t nlat;
	struct error err;
	int failed;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, uint32_t n, unsigned p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[MIN(n - 1, (uint32_t)((uint64_t)n * p / 100))];
}

/* LG's sizing rule (PROTOCOL.md): 2 frames + 10 MiB, a power of two. */
static uint64_t region_size(uint32_t w, uint32_t h)
{
	uint64_t need = (uint64_t)w * h * 4 * 2 + 10 * MiB, s = MiB;
	while (s < need)
		s <<= 1;
	return s;
}

static double memcpy_us(struct bench *b)
{
	size_t bytes = (size_t)b->w * b->h * 4;
	uint64_t t[31];
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		uint64_t t0 = dshm_view_now_us();
		memcpy(b->dst, b->src, bytes);
		__asm__ volatile("" : : "r"(b->dst) : "memory");
		t[i] = dshm_view_now_us() - t0;
	}
	return (double)pct(t, ARRAY_SIZE(t), 50);
}

static void *consumer(void *arg)
{
	struct bench *b = arg;
	struct dshm_session s;
	struct error err = { "" };
	dshm_session_init(&s, b->region, b->size, 7, 0);
	while (dshm_session_open(&s, dshm_now_ms(), &err) != DSHM_OK)
		if (__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE))
			return NULL;
	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		struct dshm_frame f;
		enum dshm_status st = dshm_next_frame(&s, dshm_now_ms(), &f, &err);
		if (st == DSHM_EMPTY) {
			sched_yield();
			continue;
		}
		if (st != DSHM_OK || kvmfr_frame_copy_rows(&s.r, &f, 0, f.rows, b->dst,
							   (size_t)f.cols * 4, 1000000, &err)) {
			b->err = err;
			b->failed = 1;
			break;
		}
		uint64_t t = dshm_view_now_us();
		dshm_frame_done(&s);
		if (b->nlat < BENCH_MAX_SAMPLES)
			b->lat[b->nlat++] = t - b->post_us[f.serial % 64];
		__atomic_add_fetch(&b->consumed, 1, __ATOMIC_RELEASE);
	}
	dshm_session_close(&s);
	return NULL;
}

static int produce_one(struct bench *b, uint32_t posted)
{
	struct kvmfr_frame_desc d = { .type = KVMFR_FRAME_BGRA, .width = b->w, .height = b->h,
				      .pitch = b->w * 4, .pixels = b->src };
	for (;;) {
		enum lgmp_post res;
		lgmp_host_process(&b->p.host, dshm_now_ms());
		/* Paced: wait until the previous frame is fully consumed. */
		if (b->paced && __atomic_load_n(&b->consumed, __ATOMIC_ACQUIRE) < posted) {
			sched_yield();
			continue;
		}
		uint64_t t0 = dshm_view_now_us();
		b->post_us[(b->p.serial + 1) % 64] = t0;
		if (kvmfr_producer_frame(&b->p, &d, dshm_now_ms(), &res, &b->err))
			return -1;
		if (res == LGMP_POSTED)
			return 0;
		if (__atomic_load_n(&b->failed, __ATOMIC_ACQUIRE))
			return -1;
		sched_yield();
	}
}

/* Frames per second over b->seconds (the consumer's count). */
static int run(struct bench *b, double *fps)
{
	pthread_t th;
	b->stop = false;
	b->consumed = 0;
	b->nlat = 0;
	if (kvmfr_producer_init(&b->p, b->region, b->size, "dshm_bench", 99, dshm_now_ms(), &b->err))
		return -1;
	if (pthread_create(&th, NULL, consumer, b))
		return err_setf(&b->err, "cannot start the consumer thread");
	while (!lgmp_host_has_subs(&b->p.host, (unsigned)b->p.qframe))
		lgmp_host_process(&b->p.host, dshm_now_ms());
	/* Warm-up: fault in the region, settle the caches. */
	uint32_t posted = 0;
	int r = 0;
	while (posted < 5 && !(r = produce_one(b, posted)))
		posted++;
	while (__atomic_load_n(&b->consumed, __ATOMIC_ACQUIRE) < posted && !b->failed)
		sched_yield();
	b->nlat = 0;
	uint32_t c0 = __atomic_load_n(&b->consumed, __ATOMIC_ACQUIRE);
	uint64_t t0 = dshm_view_now_us(), t1 = t0;
	while (!r && (t1 = dshm_view_now_us()) - t0 < (uint64_t)(b->seconds * 1e6))
		if (!(r = produce_one(b, posted)))
			posted++;
	*fps = (double)(__atomic_load_n(&b->consumed, __ATOMIC_ACQUIRE) - c0) * 1e6 /
	       (double)(t1 - t0);
	__atomic_store_n(&b->stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	return r || b->failed ? -1 : 0;
}

/* The viewer's SDL back end: full-frame upload, then present. */
static int bench_sdl(struct bench *b, double *up_ms, double *pres_ms, char *what, size_t len,
		     struct error *err)
{
	struct dshm_view_ops ops;
	struct dshm_view_sdl_opts o = { .width = (int)b->w, .height = (int)b->h };
	struct dshm_view_sdl *s = dshm_view_sdl_open(&o, &ops, err);
	if (!s)
		return -1;
	uint64_t tu[31], tp[31];
	struct dshm_rect whole = { 0, 0, b->w, b->h };
	struct dshm_view_scene sc = { .state = DSHM_VIEW_SHOWING, .have_frame = true,
				      .dst = { 0, 0, (int32_t)b->w, (int32_t)b->h } };
	int r = ops.frame_setup(ops.ctx, b->w, b->h, DSHM_VIEW_FMT_BGRA, err);
	for (unsigned i = 0; !r && i < ARRAY_SIZE(tu); i++) {
		uint64_t t0 = dshm_view_now_us();
		r = ops.upload(ops.ctx, &whole, b->src, (size_t)b->w * 4, err);
		uint64_t t1 = dshm_view_now_us();
		r = r ? r : ops.present(ops.ctx, &sc, err);
		tu[i] = t1 - t0;
		tp[i] = dshm_view_now_us() - t1;
		ops.input(ops.ctx);
	}
	dshm_view_sdl_describe(s, what, len);
	dshm_view_sdl_close(s);
	*up_ms = (double)pct(tu, ARRAY_SIZE(tu), 50) / 1000.0;
	*pres_ms = (double)pct(tp, ARRAY_SIZE(tp), 50) / 1000.0;
	return r;
}

static const char *dims(uint32_t w, uint32_t h)
{
	static char buf[32];
	snprintf(buf, sizeof(buf), "%ux%u", w, h);
	return buf;
}

static int bench_size(uint32_t w, uint32_t h, double seconds, bool sdl)
{
	struct bench *b = calloc(1, sizeof(*b));
	size_t bytes = (size_t)w * h * 4;
	*b = (struct bench){ .w = w, .h = h, .size = region_size(w, h), .seconds = seconds };
	b->region = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	b->src = malloc(bytes);
	b->dst = malloc(bytes);
	if (b->region == MAP_FAILED || !b->src || !b->dst) {
		fprintf(stderr, "dshm_bench: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < bytes / 4; i++)
		((uint32_t *)b->src)[i] = 0xff000000u | (uint32_t)(i * 2654435761u >> 8);
	memset(b->dst, 0, bytes);
	double mc = memcpy_us(b), fps = 0, fps_paced = 0;
	int r = run(b, &fps);
	uint64_t lmed = 0, l99 = 0;
	if (!r) {
		b->paced = true;
		r = run(b, &fps_paced);
		lmed = pct(b->lat, b->nlat, 50);
		l99 = pct(b->lat, b->nlat, 99);
	}
	if (r) {
		fprintf(stderr, "dshm_bench: %ux%u: %s\n", w, h, b->err.msg);
		return 1;
	}
	/* Two copies per frame: the producer's into the region, the consumer's out. */
	printf("%9s %7.1f %8.3f %8.0f %8.0f %6.2f %8.3f %8.3f %8.2f %+9.3f\n", dims(w, h),
	       bytes / 1e6, mc / 1000.0, 1e6 / mc, fps, fps * mc / 1e6, lmed / 1000.0,
	       l99 / 1000.0, (double)lmed / mc, ((double)lmed - 2 * mc) / 1000.0);
	if (sdl) {
		double up, pres;
		char what[128] = "";
		struct error err = { "" };
		if (bench_sdl(b, &up, &pres, what, sizeof(what), &err))
			printf("%9s   sdl: %s\n", "", err.msg);
		else
			printf("%9s   sdl %s: texture upload %.3f ms (%.0f/s, x%.2f memcpy), "
			       "present %.3f ms\n", "", what, up, 1000.0 / up, up * 1000.0 / mc, pres);
	}
	munmap(b->region, b->size);
	free(b->src);
	free(b->dst);
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 't' }, { "sizes", required_argument, NULL, 's' },
		{ "sdl", no_argument, NULL, 'S' }, { NULL, 0, NULL, 0 },
	};
	double seconds = 2;
	/* 64x64: the protocol's fixed cost per frame, copies negligible. */
	const char *sizes = "64x64,1920x1080,2560x1440,3840x2160";
	bool sdl = false;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't': seconds = atof(optarg); break;
		case 's': sizes = optarg; break;
		case 'S': sdl = true; break;
		default:
			fprintf(stderr, "usage: dshm_bench [--seconds S] [--sizes WxH,...] [--sdl]\n");
			return 2;
		}
	}
	printf("display-shm: KVMFR 20 / LGMP 6, BGRA full frames, producer and consumer threads, "
	       "%.1f s per size\n"
	       "latency: producer starts the frame -> consumer has it in private memory (paced)\n"
	       "%9s %7s %8s %8s %8s %6s %8s %8s %8s %9s\n", seconds, "size", "MB", "memcpy", "1/memcpy",
	       "fps", "xlimit", "lat-med", "lat-p99", "xmemcpy", "-2memcpy");
	for (const char *p = sizes; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		unsigned w, h;
		if (sscanf(p, "%ux%u", &w, &h) != 2 || !w || !h || w > 8192 || h > 8192) {
			fprintf(stderr, "dshm_bench: bad size in %s\n", p);
			return 2;
		}
		if (bench_size(w, h, seconds, sdl))
			return 1;
	}
	return 0;
}
