// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-only display-shm check, the consumer process: maps a shm file,
 * waits for a producer (passvm-shm-producer --file), receives N frames and
 * checks every pixel against the test pattern for the frame's serial,
 * serials increasing, damage rects on the moving square, and cursor
 * positions on the pattern's path.
 *   dshm_consume_check FILE FRAMES TIMEOUT_S
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display-shm/dshm.h"
#include "display-shm/testpattern.h"

struct tally {
	unsigned frames, cursors, shapes, bad;
	uint32_t last_serial;
	int16_t x, y;
};

static bool on_path(int32_t x, int32_t y)
{
	for (uint32_t i = 0; i < 256; i++) {
		int16_t px, py;
		tp_cursor(i, &px, &py);
		if (px == x && py == y)
			return true;
	}
	return false;
}

static void check_frame(struct dshm_session *s, const struct dshm_frame *f, uint32_t *buf,
			struct tally *t)
{
	struct error err;
	if (kvmfr_frame_copy_rows(&s->r, f, 0, f->rows, (uint8_t *)buf, (size_t)f->cols * 4,
				  100000, &err)) {
		printf("frame %u: %s\n", f->serial, err.msg);
		t->bad++;
		return;
	}
	for (uint32_t y = 0; y < f->rows; y++)
		for (uint32_t x = 0; x < f->cols; x++)
			if (buf[(size_t)y * f->cols + x] != tp_pixel(f->serial, f->width, f->height, x, y)) {
				printf("frame %u: pixel %u,%u is 0x%08x\n", f->serial, x, y,
				       buf[(size_t)y * f->cols + x]);
				t->bad++;
				return;
			}
	if (t->frames && f->serial <= t->last_serial) {
		printf("frame serial %u after %u\n", f->serial, t->last_serial);
		t->bad++;
	}
	if (f->ndamage && (f->damage[f->ndamage - 1].x != tp_square_x(f->serial, f->width))) {
		printf("frame %u: damage at x=%u\n", f->serial, f->damage[f->ndamage - 1].x);
		t->bad++;
	}
	t->last_serial = f->serial;
	t->frames++;
}

static void poll_cursor(struct dshm_session *s, uint32_t *shape, struct tally *t)
{
	struct dshm_cursor c;
	struct error err;
	while (dshm_next_cursor(s, dshm_now_ms(), &c, shape, &err) == DSHM_OK) {
		t->cursors++;
		t->shapes += c.shape;
		if (c.shape && shape[15 * 16] != 0xffff0000u) { /* the red triangle's corner */
			printf("cursor shape pixel 0x%08x\n", shape[15 * 16]);
			t->bad++;
		}
		if (!on_path(c.x, c.y)) {
			printf("cursor at %d,%d is off the path\n", c.x, c.y);
			t->bad++;
		}
		t->x = (int16_t)c.x;
		t->y = (int16_t)c.y;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return fprintf(stderr, "usage: %s FILE FRAMES TIMEOUT_S\n", argv[0]), 2;
	int fd = open(argv[1], O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		return perror(argv[1]), 1;
	uint8_t *mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return perror("mmap"), 1;
	unsigned want = (unsigned)atoi(argv[2]);
	uint64_t deadline = dshm_now_ms() + 1000u * (unsigned)atoi(argv[3]);
	uint32_t *buf = malloc((size_t)KVMFR_MAX_DIM * 1024 * 4);
	uint32_t *shape = malloc(KVMFR_MAX_CURSOR * KVMFR_MAX_CURSOR * 4);
	struct dshm_session s;
	struct tally t = { 0 };
	struct error err = { "" };
	dshm_session_init(&s, mem, (uint64_t)st.st_size, (uint32_t)getpid(), dshm_now_ms());
	bool open = false;
	while (t.frames < want && dshm_now_ms() < deadline) {
		struct dshm_frame f;
		enum dshm_status stt = open ? dshm_next_frame(&s, dshm_now_ms(), &f, &err)
					    : dshm_session_open(&s, dshm_now_ms(), &err);
		if (!open && stt == DSHM_OK) {
			open = true;
			printf("session: %s, host %s (%s)\n", s.proto->name, s.info.hostver,
			       s.info.os_name);
		} else if (open && stt == DSHM_OK) {
			check_frame(&s, &f, buf, &t);
			dshm_frame_done(&s);
		} else if (stt == DSHM_LOST) {
			open = false;
		} else if (stt == DSHM_FATAL || stt == DSHM_SKIPPED) {
			printf("error: %s\n", err.msg);
			t.bad++;
		}
		if (open)
			poll_cursor(&s, shape, &t);
		usleep(500);
	}
	dshm_session_close(&s);
	free(shape);
	free(buf);
	munmap(mem, (size_t)st.st_size);
	close(fd);
	printf("%s frames=%u cursors=%u shapes=%u last_serial=%u cursor=%d,%d\n",
	       t.frames >= want && !t.bad && t.cursors && t.shapes ? "CONSUMER-OK" : "CONSUMER-FAIL",
	       t.frames, t.cursors, t.shapes, t.last_serial, t.x, t.y);
	return t.frames >= want && !t.bad && t.cursors && t.shapes ? 0 : 1;
}
