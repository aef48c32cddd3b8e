/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVMFR version 20 (Looking Glass B7): the user data in the LGMP header,
 * the frame and cursor messages. Byte layout in PROTOCOL.md; guest-written,
 * so the consumer reads fields once at checked offsets (kvmfr.c).
 */
#ifndef PASSVM_KVMFR_WIRE_H
#define PASSVM_KVMFR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define KVMFR_MAGIC "KVMFR---" /* 8 bytes, no NUL on the wire */
#define KVMFR_VERSION 20u
#define KVMFR_MAX_DAMAGE_RECTS 64u

#define KVMFR_QUEUE_POINTER 1u
#define KVMFR_QUEUE_FRAME 2u
#define KVMFR_QUEUE_POINTER_LEN 20u
#define KVMFR_QUEUE_FRAME_LEN 2u
#define KVMFR_SUB_TIMEOUT_MS 1000u

#define KVMFR_FEATURE_SETCURSORPOS 0x1u
#define KVMFR_RECORD_VMINFO 1u
#define KVMFR_RECORD_OSINFO 2u

enum kvmfr_frame_type {
	KVMFR_FRAME_INVALID = 0,
	KVMFR_FRAME_BGRA = 1,
	KVMFR_FRAME_RGBA = 2,
	KVMFR_FRAME_RGBA10 = 3,
	KVMFR_FRAME_RGBA16F = 4,
	KVMFR_FRAME_BGR_32 = 5,
	KVMFR_FRAME_RGB_24 = 6,
};

enum {
	KVMFR_FRAME_FLAG_BLOCK_SCREENSAVER = 0x1,
	KVMFR_FRAME_FLAG_REQUEST_ACTIVATION = 0x2,
	KVMFR_FRAME_FLAG_TRUNCATED = 0x4,
	KVMFR_FRAME_FLAG_HDR = 0x8,
	KVMFR_FRAME_FLAG_HDR_PQ = 0x10,
};

enum kvmfr_cursor_type {
	KVMFR_CURSOR_COLOR = 0,
	KVMFR_CURSOR_MONOCHROME = 1,
	KVMFR_CURSOR_MASKED_COLOR = 2,
};

/* LGMP message udata of the pointer queue. */
enum {
	KVMFR_CURSOR_FLAG_POSITION = 0x1,
	KVMFR_CURSOR_FLAG_VISIBLE = 0x2,
	KVMFR_CURSOR_FLAG_SHAPE = 0x4,
};

struct kvmfr_wire_header {
	char magic[8];
	uint32_t version;
	char hostver[32];
	uint32_t features;
};

struct kvmfr_wire_record {
	uint8_t type;
	uint8_t pad[3];
	uint32_t size;
};

struct kvmfr_wire_rect {
	uint32_t x, y, width, height;
};

struct kvmfr_wire_frame {
	uint32_t format_ver;      /*  0 */
	uint32_t frame_serial;    /*  4 */
	uint32_t type;            /*  8 */
	uint32_t screen_width;    /* 12 */
	uint32_t screen_height;   /* 16 */
	uint32_t data_width;      /* 20 */
	uint32_t data_height;     /* 24 */
	uint32_t frame_width;     /* 28 */
	uint32_t frame_height;    /* 32 */
	uint32_t rotation;        /* 36 */
	uint32_t stride;          /* 40: pixels */
	uint32_t pitch;           /* 44: bytes */
	uint32_t offset;          /* 48: to the frame buffer, from this struct */
	uint32_t damage_count;    /* 52 */
	struct kvmfr_wire_rect damage[KVMFR_MAX_DAMAGE_RECTS]; /* 56 */
	uint32_t flags;           /* 1080 */
};

/* At frame + offset: bytes written so far, then the pixels. */
struct kvmfr_wire_fb {
	uint32_t wp;
	uint8_t data[];
};

struct kvmfr_wire_cursor {
	int16_t x, y;
	uint32_t type;
	int8_t hx, hy;
	uint8_t pad[2];
	uint32_t width, height, pitch;
	/* shape: height * pitch bytes follow with CURSOR_FLAG_SHAPE */
};

/* Client -> host mailbox on the pointer queue (not used by passvm yet). */
struct kvmfr_wire_set_cursor_pos {
	uint32_t type; /* 0: KVMFR_MESSAGE_SETCURSORPOS */
	int32_t x, y;
};

_Static_assert(sizeof(struct kvmfr_wire_header) == 48, "KVMFR");
_Static_assert(offsetof(struct kvmfr_wire_header, features) == 44, "features");
_Static_assert(sizeof(struct kvmfr_wire_record) == 8, "KVMFRRecord");
_Static_assert(sizeof(struct kvmfr_wire_rect) == 16, "FrameDamageRect");
_Static_assert(offsetof(struct kvmfr_wire_frame, pitch) == 44, "pitch");
_Static_assert(offsetof(struct kvmfr_wire_frame, damage) == 56, "damageRects");
_Static_assert(offsetof(struct kvmfr_wire_frame, flags) == 1080, "flags");
_Static_assert(sizeof(struct kvmfr_wire_frame) == 1084, "KVMFRFrame");
_Static_assert(sizeof(struct kvmfr_wire_fb) == 4, "FrameBuffer");
_Static_assert(offsetof(struct kvmfr_wire_cursor, type) == 4, "cursor type");
_Static_assert(offsetof(struct kvmfr_wire_cursor, hx) == 8, "cursor hx");
_Static_assert(offsetof(struct kvmfr_wire_cursor, width) == 12, "cursor width");
_Static_assert(sizeof(struct kvmfr_wire_cursor) == 24, "KVMFRCursor");
_Static_assert(sizeof(struct kvmfr_wire_set_cursor_pos) == 12, "KVMFRSetCursorPos");

#endif
