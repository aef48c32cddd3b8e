// SPDX-License-Identifier: GPL-2.0-only
/*
 * [display] (shm, size, width/height or resolution, hdr, viewer) and the
 * flags --shm, --shm-size, --view, --no-view. A profile's [display] sizes
 * the shm from the resolution and names its file after the VM; the flags
 * give both as they are.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "display-shm/options.h"

#define DSHM_MAX_PIXELS 16384
#define DSHM_DEFAULT_WIDTH 1920
#define DSHM_DEFAULT_HEIGHT 1080
#define DSHM_FLAG_DEFAULT_SIZE (32 * MiB)

uint64_t dshm_shm_size_for(unsigned width, unsigned height, bool hdr)
{
	uint64_t need = (uint64_t)width * height * (hdr ? 8 : 4) * 2 + 10 * MiB;
	uint64_t size = 1;
	while (size < need)
		size <<= 1;
	return size;
}

static struct display_config *D(struct vmm_option_ctx *ctx)
{
	return ctx->part;
}

/* A header turns the display on, and the viewer with it. */
static int dshm_open(struct vmm_option_ctx *ctx, const char *item, struct error *err)
{
	D(ctx)->enabled = true;
	D(ctx)->viewer = true;
	return 0;
}

/* --shm/--shm-size turn the display's shared memory on over a profile's. */
static int dshm_set_shm(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct display_config *d = D(ctx);
	if (vmm_option_path(ctx, v, &d->shm_path, err))
		return -1;
	if (ctx->flag) {
		d->enabled = true;
		if (!d->shm_size)
			d->shm_size = DSHM_FLAG_DEFAULT_SIZE;
	}
	return 0;
}

static int dshm_set_size(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	uint64_t size;
	if (!ctx->flag && !strcmp(v, "auto")) {
		D(ctx)->shm_size = 0;   /* from the resolution, in dshm_finish */
		return 0;
	}
	/* An IVSHMEM BAR is a power of two. */
	if (parse_size(v, &size) || size < MiB || (size & (size - 1)))
		return err_setf(err, "write a power of two like 32M, 64M or 128M%s",
				ctx->flag ? "" : ", or auto");
	D(ctx)->shm_size = size;
	if (ctx->flag)
		D(ctx)->enabled = true;
	return 0;
}

static int dshm_pixels(const char *v, unsigned *out, struct error *err)
{
	if (vmm_option_uint(v, 1, DSHM_MAX_PIXELS, out))
		return err_setf(err, "give a number of pixels from 1 to %d", DSHM_MAX_PIXELS);
	return 0;
}

static int dshm_set_width(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return dshm_pixels(v, &D(ctx)->width, err);
}

static int dshm_set_height(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return dshm_pixels(v, &D(ctx)->height, err);
}

static int dshm_set_resolution(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	char w[16], h[16];
	const char *x = strchr(v, 'x');
	if (!x || (size_t)(x - v) >= sizeof(w) || strlen(x + 1) >= sizeof(h))
		return err_setf(err, "write WIDTHxHEIGHT, like 2560x1440");
	memcpy(w, v, (size_t)(x - v));
	w[x - v] = '\0';
	strcpy(h, x + 1);
	struct display_config *d = D(ctx);
	if (vmm_option_uint(w, 1, DSHM_MAX_PIXELS, &d->width) ||
	    vmm_option_uint(h, 1, DSHM_MAX_PIXELS, &d->height))
		return err_setf(err, "write WIDTHxHEIGHT, like 2560x1440, each 1 to %d",
				DSHM_MAX_PIXELS);
	return 0;
}

static int dshm_set_hdr(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return vmm_option_bool(v, &D(ctx)->hdr, err);
}

static int dshm_set_viewer(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	return vmm_option_bool(v, &D(ctx)->viewer, err);
}

static const struct vmm_option dshm_option_list[] = {
	{ .key = "shm", .flag = "shm", .arg = "PATH", .set = dshm_set_shm,
	  .help = "ivshmem-plain device backed by PATH (/dev/shm or\n"
		  "hugetlbfs; created if missing, kept on exit) for the\n"
		  "display relay" },
	{ .key = "size", .flag = "shm-size", .arg = "SIZE", .set = dshm_set_size,
	  .help = "its size, a power of two like 32M (default 32M)" },
	{ .key = "width", .set = dshm_set_width },
	{ .key = "height", .set = dshm_set_height },
	{ .key = "resolution", .set = dshm_set_resolution },
	{ .key = "hdr", .set = dshm_set_hdr },
	{ .key = "viewer", .flag = "view", .value = "yes", .set = dshm_set_viewer,
	  .help = "open the guest's screen in a window, a\n"
		  "`passvm view` child of this run" },
	{ .flag = "no-view", .value = "no", .set = dshm_set_viewer,
	  .help = "do not open that window" },
};

/* The resolution's defaults and the shm's size and file from it. */
static int dshm_finish(struct vmm_option_ctx *ctx, unsigned *line, struct error *err)
{
	struct display_config *d = D(ctx);
	if (!d->enabled)
		return 0;
	unsigned res = vmm_option_line_of(ctx, -1, "resolution");
	unsigned w = vmm_option_line_of(ctx, -1, "width");
	unsigned h = vmm_option_line_of(ctx, -1, "height");
	if (res && (w || h)) {
		*line = MAX(res, MAX(w, h));
		return err_setf(err, "give either resolution (line %u) or width and height, not "
				"both", res);
	}
	if (!w != !h) {
		*line = w ? w : h;
		return err_setf(err, "give both width and height (or resolution = 2560x1440)");
	}
	if (!res && !w) {
		d->width = DSHM_DEFAULT_WIDTH;
		d->height = DSHM_DEFAULT_HEIGHT;
	}
	uint64_t need = dshm_shm_size_for(d->width, d->height, d->hdr);
	if (!d->shm_size) {
		d->shm_size = need;
	} else if (d->shm_size < need) {
		*line = vmm_option_line_of(ctx, -1, "size");
		return err_setf(err, "size %lluM is too small for %ux%u%s: it needs %lluM (two "
				"frames of %u bytes a pixel + 10M, rounded up to a power of two); "
				"write size = %lluM or size = auto",
				(unsigned long long)(d->shm_size / MiB), d->width, d->height,
				d->hdr ? " HDR" : "", (unsigned long long)(need / MiB),
				d->hdr ? 8 : 4, (unsigned long long)(need / MiB));
	}
	if (!d->shm_path) {
		char *s;
		if (asprintf(&s, "/dev/shm/passvm-%s", ctx->cfg->name) < 0 ||
		    !config_own(ctx->cfg, s))
			return err_setf(err, "out of memory");
		d->shm_path = s;
	}
	return 0;
}

/* ---- passvm check: room for the shm file ----------------------------------- */

static void dshm_dir_of(const char *path, char *dir, size_t len)
{
	snprintf(dir, len, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

static void dshm_check(struct report *r, const struct check_env *env,
		       const struct vm_config *cfg)
{
	const struct display_config *d = display_config(cfg);
	char dir[PATH_MAX], need[32], have[32];
	if (!d->enabled || !d->shm_path)
		return;
	dshm_dir_of(d->shm_path, dir, sizeof(dir));
	struct statvfs vfs;
	if (statvfs(dir, &vfs) || access(dir, W_OK)) {
		report_fix(report_add(r, REPORT_FAIL, "display shm", "cannot create %s: %s", d->shm_path,
				      strerror(errno)),
			   "point the display's shm file into a writable directory such as /dev/shm");
		return;
	}
	/* A file left by an earlier run is resized in place: its pages count as free. */
	struct stat st;
	uint64_t existing = !stat(d->shm_path, &st) ? (uint64_t)st.st_size : 0;
	uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize + existing;
	report_size_text(d->shm_size, need, sizeof(need));
	report_size_text(ALIGN_DOWN(avail, MiB), have, sizeof(have));
	if (avail < d->shm_size) {
		report_fix(report_add(r, REPORT_FAIL, "display shm", "%s needs %s, %s has %s free",
				      d->shm_path, need, dir, have),
			   "free space in %s, or grow it ('mount -o remount,size=4G %s' for a tmpfs)",
			   dir, dir);
		return;
	}
	struct statfs fs;
	if (!statfs(dir, &fs) && fs.f_type != 0x01021994 /* TMPFS_MAGIC */) {
		report_fix(report_add(r, REPORT_WARN, "display shm", "%s is not on a tmpfs: every frame "
				      "goes through the page cache to disk", d->shm_path),
			   "put the shm file in /dev/shm");
		return;
	}
	report_add(r, REPORT_OK, "display shm", "%s: %s of %s free", d->shm_path, need, have);
}

static uint64_t dshm_ivshmem_size(const struct vm_config *cfg)
{
	const struct display_config *d = display_config(cfg);
	return d->enabled ? d->shm_size : 0;
}

VMM_OPTIONS(dshm_options) = {
	.section = "display", .order = 60, .size = sizeof(struct display_config),
	.options = dshm_option_list, .nr_options = ARRAY_SIZE(dshm_option_list),
	.open = dshm_open, .finish = dshm_finish, .check = dshm_check,
	.ivshmem_size = dshm_ivshmem_size,
};
