/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The animated test picture of the producer (producer.c), a function of
 * the frame serial, so a consumer can check every pixel it received: a
 * static gradient with a white 32x32 square moving along the middle row,
 * and a cursor moving on a circle.
 */
#ifndef PASSVM_DSHM_TESTPATTERN_H
#define PASSVM_DSHM_TESTPATTERN_H

#include <stdint.h>

#define TP_SQUARE 32u

static inline uint32_t tp_square_x(uint32_t serial, uint32_t width)
{
	return width > TP_SQUARE ? (serial * 4u) % (width - TP_SQUARE) : 0;
}

static inline uint32_t tp_square_y(uint32_t height)
{
	return height > TP_SQUARE ? (height - TP_SQUARE) / 2 : 0;
}

/* BGRA as a little-endian word: 0xAARRGGBB. */
static inline uint32_t tp_pixel(uint32_t serial, uint32_t width, uint32_t height, uint32_t x,
				uint32_t y)
{
	uint32_t sx = tp_square_x(serial, width), sy = tp_square_y(height);
	if (x >= sx && x < sx + TP_SQUARE && y >= sy && y < sy + TP_SQUARE)
		return 0xffffffffu;
	return 0xff400000u | ((y & 0xffu) << 8) | (x & 0xffu);
}

/* Cursor step i: on a circle-ish square path inside 256x256. */
static inline void tp_cursor(uint32_t i, int16_t *x, int16_t *y)
{
	uint32_t t = i % 256u;
	*x = (int16_t)(64 + (t < 128 ? t : 255 - t));
	*y = (int16_t)(64 + ((t + 64) % 256 < 128 ? (t + 64) % 256 : 255 - (t + 64) % 256));
}

#endif
