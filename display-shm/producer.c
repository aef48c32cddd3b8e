// SPDX-License-Identifier: GPL-2.0-only
/*
 * passvm-shm-producer: the guest side of display-shm for Linux guests and
 * tests. Finds the ivshmem device (1af4:1110) in sysfs and maps its BAR2
 * (resource2), or maps a plain file (--file, for host-only tests), and as
 * the LGMP host writes animated KVMFR test frames (BGRA, testpattern.h)
 * with damage rects, and cursor updates. Linked -static so it runs in any
 * guest initramfs.
 *
 *   passvm-shm-producer [--file PATH] [--sysfs ROOT] [--size WxH] [--fps N]
 *                       [--frames N] [--still] [--cursor X,Y] [--quiet]
 * --frames N: stop after N frames were posted to a subscriber (0: forever).
 * --still: every frame is the picture of serial 1 (the square does not move)
 * and --cursor X,Y fixes the cursor, so screenshots have known pixels.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "display-shm/dshm.h"
#include "display-shm/kvmfr_producer.h"
#include "display-shm/testpattern.h"

struct opts {
	const char *file, *sysfs;
	unsigned width, height, fps, frames;
	int quiet, still;
	bool fixed_cursor;
	int16_t cursor_x, cursor_y;
};

static int map_file(const char *path, uint8_t **mem, uint64_t *size, struct error *err)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		return err_setf(err, "%s: %s", path, strerror(errno));
	*size = (uint64_t)st.st_size;
	void *m = *size ? mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	close(fd);
	if (m == MAP_FAILED)
		return err_setf(err, "%s: cannot map %llu bytes: %s", path,
				(unsigned long long)*size, strerror(errno));
	*mem = m;
	return 0;
}

/* The first 1af4:1110 function's resource2 (BAR2) under ROOT/bus/pci/devices. */
static int find_ivshmem(const char *root, char *out, size_t len, struct error *err)
{
	char dir[256], v[32], d[32], p[1024];
	snprintf(dir, sizeof(dir), "%s/bus/pci/devices", root);
	DIR *dp = opendir(dir);
	if (!dp)
		return err_setf(err, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	int found = -1;
	while (found && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/vendor", dir, e->d_name);
		if (read_small_file(p, v, sizeof(v)) < 0 || strcmp(v, "0x1af4"))
			continue;
		snprintf(p, sizeof(p), "%s/%s/device", dir, e->d_name);
		if (read_small_file(p, d, sizeof(d)) < 0 || strcmp(d, "0x1110"))
			continue;
		snprintf(out, len, "%s/%s/resource2", dir, e->d_name);
		found = 0;
		/* No guest driver claims ivshmem: turn on its memory decoding
		 * (pci_enable_device) so BAR2 answers; best effort, a device
		 * that is already enabled needs nothing. */
		snprintf(p, sizeof(p), "%s/%s/enable", dir, e->d_name);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				fprintf(stderr, "passvm-shm-producer: %s: %s\n", p, strerror(errno));
			close(fd);
		}
	}
	closedir(dp);
	return found ? err_setf(err, "no ivshmem device (1af4:1110) in %s", dir) : 0;
}

static void draw(uint32_t *px, const struct opts *o, uint32_t serial)
{
	if (o->still)
		serial = 1;
	for (uint32_t y = 0; y < o->height; y++)
		for (uint32_t x = 0; x < o->width; x++)
			px[(size_t)y * o->width + x] = tp_pixel(serial, o->width, o->height, x, y);
}

/* What changed since the previous frame: the square's old and new places. */
static unsigned damage(const struct opts *o, uint32_t serial, struct kvmfr_wire_rect *r)
{
	if (serial <= 1 || o->still)
		return 0;
	uint32_t y = tp_square_y(o->height), s = MIN(TP_SQUARE, o->height);
	r[0] = (struct kvmfr_wire_rect){ tp_square_x(serial - 1, o->width), y, TP_SQUARE, s };
	r[1] = (struct kvmfr_wire_rect){ tp_square_x(serial, o->width), y, TP_SQUARE, s };
	return 2;
}

static void send_cursor(struct kvmfr_producer *p, const struct opts *o, uint32_t i, bool shape)
{
	static uint32_t arrow[16 * 16];
	for (unsigned k = 0; k < 256; k++)
		arrow[k] = (k % 16) <= (k / 16) ? 0xffff0000u : 0; /* a red triangle */
	int16_t x, y;
	tp_cursor(i, &x, &y);
	if (o->fixed_cursor) {
		x = o->cursor_x;
		y = o->cursor_y;
	}
	kvmfr_producer_cursor(p, KVMFR_CURSOR_FLAG_POSITION | KVMFR_CURSOR_FLAG_VISIBLE, x, y,
			      shape ? arrow : NULL, 16, 16, 0, 0, dshm_now_ms());
}

static int run(struct kvmfr_producer *p, const struct opts *o, struct error *err)
{
	uint32_t *px = malloc((size_t)o->width * o->height * 4);
	if (!px)
		return err_setf(err, "out of memory");
	uint64_t period_us = 1000000u / (o->fps ? o->fps : 60), posted = 0, cursor = 0;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!o->frames || posted < o->frames) {
		lgmp_host_process(&p->host, dshm_now_ms());
		bool new_cursor_sub = lgmp_host_new_subs(&p->host, (unsigned)p->qcursor) > 0;
		if (lgmp_host_has_subs(&p->host, (unsigned)p->qcursor)) {
			send_cursor(p, o, (uint32_t)cursor, new_cursor_sub || cursor % 64 == 0);
			cursor++;
		}
		struct kvmfr_wire_rect r[2];
		draw(px, o, p->serial + 1);
		struct kvmfr_frame_desc d = { .type = KVMFR_FRAME_BGRA, .width = o->width,
					      .height = o->height, .pitch = o->width * 4,
					      .ndamage = damage(o, p->serial + 1, r), .damage = r,
					      .pixels = (const uint8_t *)px };
		enum lgmp_post res;
		if (kvmfr_producer_frame(p, &d, dshm_now_ms(), &res, err)) {
			free(px);
			return -1;
		}
		if (res == LGMP_POSTED && ++posted && !o->quiet)
			printf("frame %u posted\n", p->serial);
		next.tv_nsec += (long)(period_us * 1000);
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	free(px);
	printf("PRODUCER-DONE frames=%llu\n", (unsigned long long)posted);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' }, { "sysfs", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'S' }, { "fps", required_argument, NULL, 'r' },
		{ "frames", required_argument, NULL, 'n' }, { "quiet", no_argument, NULL, 'q' },
		{ "still", no_argument, NULL, 'T' }, { "cursor", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct opts){ .sysfs = "/sys", .width = 640, .height = 360, .fps = 60 };
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 's': o->sysfs = optarg; break;
		case 'S':
			if (sscanf(optarg, "%ux%u", &o->width, &o->height) != 2 || !o->width ||
			    !o->height || o->width > 8192 || o->height > 8192)
				return -1;
			break;
		case 'r': o->fps = (unsigned)atoi(optarg); break;
		case 'n': o->frames = (unsigned)atoi(optarg); break;
		case 'q': o->quiet = 1; break;
		case 'T': o->still = 1; break;
		case 'c':
			if (sscanf(optarg, "%hd,%hd", &o->cursor_x, &o->cursor_y) != 2)
				return -1;
			o->fixed_cursor = true;
			break;
		default: return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct error err = { "" };
	char path[1024];
	uint8_t *mem = NULL;
	uint64_t size = 0;
	struct kvmfr_producer p;
	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: passvm-shm-producer [--file PATH] [--sysfs ROOT] "
				"[--size WxH] [--fps N] [--frames N] [--still] [--cursor X,Y] "
				"[--quiet]\n");
		return 2;
	}
	if (!o.file && !find_ivshmem(o.sysfs, path, sizeof(path), &err))
		o.file = path;
	if (!o.file || map_file(o.file, &mem, &size, &err) ||
	    kvmfr_producer_init(&p, mem, size, "passvm-shm-producer", (uint32_t)getpid() * 2654435761u,
				dshm_now_ms(), &err) ||
	    run(&p, &o, &err)) {
		fprintf(stderr, "passvm-shm-producer: %s\n", err.msg);
		return 1;
	}
	return 0;
}
