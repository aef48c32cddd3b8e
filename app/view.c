// SPDX-License-Identifier: GPL-2.0-only
/*
 * `passvm view PROFILE|SHM-FILE`: the viewer's command. Maps the display's
 * shared-memory file (waiting until passvm has created it), runs the core
 * (viewer.c) on the SDL2 back end, and remaps the file when it is replaced
 * (another size, or deleted and created again by a new VM).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/profile.h"
#include "app/view.h"
#include "display-shm/lgmp_wire.h"
#include "display-shm/options.h"
#include "display-shm/viewer.h"
#include "vmm/config.h"

/* How often a missing or replaced file is looked for. */
#define DSHM_VIEW_FILE_POLL_MS 500u

struct dshm_view_file {
	char *path;
	uint8_t *base;
	uint64_t size;
	dev_t dev;
	ino_t ino;
	uint64_t checked_ms;
};

struct dshm_view_opts {
	const char *target;
	struct dshm_view_sdl_opts sdl;
	bool stats;
	unsigned exit_after_s;
};

static void view_usage(FILE *out)
{
	fputs("usage: passvm view [OPTIONS] PROFILE|SHM-FILE\n"
	      "\n"
	      "Show the guest's screen from the display's shared memory (the [display] shm\n"
	      "of PROFILE, or SHM-FILE: a path with a '/' that does not end in .ini). Waits\n"
	      "for the guest and survives VM restarts.\n"
	      "\n"
	      "  --fullscreen      start full screen (F11 toggles)\n"
	      "  --size WxH        initial window size (default 1280x720)\n"
	      "  --stats           print fps, upload time and latency every second (F12\n"
	      "                    toggles)\n"
	      "  --vsync           present in step with the display's refresh\n"
	      "  --exit-after SEC  quit after SEC seconds (tests, benchmarks)\n",
	      out);
}

static int view_parse(int argc, char **argv, struct dshm_view_opts *o)
{
	static const struct option lo[] = {
		{ "fullscreen", no_argument, NULL, 'f' }, { "size", required_argument, NULL, 's' },
		{ "stats", no_argument, NULL, 'S' },      { "vsync", no_argument, NULL, 'v' },
		{ "exit-after", required_argument, NULL, 'x' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct dshm_view_opts){ .sdl = { .width = 1280, .height = 720 } };
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->sdl.fullscreen = true; break;
		case 'S': o->stats = true; break;
		case 'v': o->sdl.vsync = true; break;
		case 'x': o->exit_after_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's':
			if (sscanf(optarg, "%dx%d", &o->sdl.width, &o->sdl.height) != 2 ||
			    o->sdl.width < 1 || o->sdl.height < 1)
				return -1;
			break;
		case 'h': return 1;
		default: return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	o->target = argv[optind];
	return 0;
}

/* Same rule as profile_load: a name, or a path ending in .ini. */
static bool view_is_profile(const char *t)
{
	size_t n = strlen(t), e = strlen(PROFILE_EXT);
	return !strchr(t, '/') || (n > e && !strcmp(t + n - e, PROFILE_EXT));
}

static int view_resolve(const char *target, char **path, struct error *err)
{
	if (!view_is_profile(target)) {
		*path = strdup(target);
		return *path ? 0 : err_setf(err, "out of memory");
	}
	struct vm_config cfg;
	config_defaults(&cfg);
	int r = profile_load(target, &cfg, err);
	if (!r && !display_config(&cfg)->enabled)
		r = err_setf(err, "profile %s has no [display] section: nothing to view", target);
	if (!r && !(*path = strdup(display_config(&cfg)->shm_path)))
		r = err_setf(err, "out of memory");
	config_release(&cfg);
	return r;
}

static void view_unmap(struct dshm_view_file *vf)
{
	if (vf->base)
		munmap(vf->base, vf->size);
	vf->base = NULL;
}

/* Map the file read-write (subscribing writes to the LGMP header); a file
 * that is missing or still empty is not an error: the VM is not up yet. */
static int view_map(struct dshm_view_file *vf, struct error *err)
{
	int fd = open(vf->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_setf(err, "%s: %s", vf->path, strerror(errno));
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		r = err_setf(err, "%s: not a regular file", vf->path);
	else if ((uint64_t)st.st_size >= LGMP_HEADER_SIZE) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			r = err_setf(err, "%s: cannot map it: %s", vf->path, strerror(errno));
		else
			*vf = (struct dshm_view_file){ .path = vf->path, .base = m,
						       .size = (uint64_t)st.st_size,
						       .dev = st.st_dev, .ino = st.st_ino };
	}
	close(fd);
	return r;
}

static bool view_file_replaced(const struct dshm_view_file *vf)
{
	struct stat st;
	if (stat(vf->path, &st))
		return true;
	return st.st_dev != vf->dev || st.st_ino != vf->ino || (uint64_t)st.st_size != vf->size;
}

static uint32_t view_client_id(void)
{
	uint32_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint32_t)getpid() * 2654435761u ^ (uint32_t)dshm_now_ms();
	return id ? id : 1;
}

/* While waiting: map the file once it exists, remap it when replaced. */
static int view_poll_file(struct dshm_view_file *vf, struct dshm_view *v, uint64_t now_ms,
			  struct error *err)
{
	if (v->state == DSHM_VIEW_SHOWING || now_ms - vf->checked_ms < DSHM_VIEW_FILE_POLL_MS)
		return 0;
	vf->checked_ms = now_ms;
	if (vf->base && !view_file_replaced(vf))
		return 0;
	if (vf->base) {
		dshm_view_attach(v, NULL, 0, 0, now_ms);
		view_unmap(vf);
	}
	if (view_map(vf, err))
		return -1;
	if (vf->base)
		dshm_view_attach(v, vf->base, vf->size, view_client_id(), now_ms);
	return 0;
}

static void view_print_stats(struct dshm_view *v, uint64_t now_ms)
{
	struct dshm_view_stats s = dshm_view_stats_take(v, now_ms);
	double secs = (double)(now_ms - s.since_ms) / 1000.0;
	if (secs <= 0)
		return;
	printf("passvm view: stats %.1f fps, %.1f presents/s, upload %.3f ms avg %.3f max, "
	       "frame->present %.3f ms avg %.3f max, %.1f MB/s, %u rects, %u skipped\n",
	       s.frames / secs, s.presents / secs,
	       s.frames ? (double)s.upload_us / s.frames / 1000.0 : 0.0,
	       (double)s.upload_max_us / 1000.0,
	       s.presents ? (double)s.latency_us / MAX(1u, s.frames) / 1000.0 : 0.0,
	       (double)s.latency_max_us / 1000.0, (double)s.bytes / secs / 1e6, s.rects,
	       s.skipped);
}

static void view_sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000L };
	nanosleep(&ts, NULL);
}

static int view_loop(struct dshm_view *v, struct dshm_view_file *vf,
		     const struct dshm_view_opts *o, struct error *err)
{
	uint64_t start = dshm_now_ms();
	v->stats_on = o->stats;
	while (dshm_view_input(v)) {
		uint64_t now = dshm_now_ms();
		if (o->exit_after_s && now - start >= o->exit_after_s * 1000ull)
			break;
		if (view_poll_file(vf, v, now, err) || dshm_view_step(v, now, err))
			return -1;
		if (v->status_changed) {
			printf("passvm view: %s\n", v->status);
			v->status_changed = false;
		}
		if (v->stats_on && now - v->st.since_ms >= 1000)
			view_print_stats(v, now);
		/* Short naps while showing: a frame waits at most ~0.5 ms. */
		view_sleep_us(v->state == DSHM_VIEW_SHOWING ? 500 : 10000);
	}
	return 0;
}

static int view_run(const struct dshm_view_opts *o, struct error *err)
{
	struct dshm_view_file vf = { 0 };
	struct dshm_view_ops ops;
	struct dshm_view v;
	if (view_resolve(o->target, &vf.path, err))
		return -1;
	struct dshm_view_sdl *sdl = dshm_view_sdl_open(&o->sdl, &ops, err);
	int r = -1;
	if (sdl && !dshm_view_init(&v, &ops, err)) {
		printf("passvm view: %s\n", vf.path);
		dshm_view_attach(&v, NULL, 0, 0, dshm_now_ms());
		r = view_loop(&v, &vf, o, err);
		dshm_view_free(&v);
	}
	dshm_view_sdl_close(sdl);
	view_unmap(&vf);
	free(vf.path);
	return r;
}

int view_command(int argc, char **argv)
{
	struct dshm_view_opts o;
	int p = view_parse(argc, argv, &o);
	if (p) {
		view_usage(p > 0 ? stdout : stderr);
		return p > 0 ? 0 : 2;
	}
	/* Status lines reach a test's log (a pipe) as they happen. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct error err = { "" };
	if (view_run(&o, &err)) {
		log_error("view: %s", err.msg);
		return 1;
	}
	return 0;
}
