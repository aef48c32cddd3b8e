// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Scream ring's host side (audio/scream.c) on a region in memory: every
 * header field a hostile or broken guest can get wrong, sample decoding,
 * and the playout buffer: in-order playback across slots and ring wraps,
 * priming, underruns, bounded delay, format changes, a stalled or closed
 * stream. (PipeWire and a real guest: tests/kvm/audio-scream.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audio/scream.h"

#define REGION (2u << 20)
#define CHUNK_FRAMES 960u /* 20 ms at 48 kHz */
#define LATENCY_MS 20u

struct ring {
	uint8_t *mem;
	struct scream_source src;
	struct audio_source as;
	uint16_t write_idx;
	uint32_t next_frame;   /* the producer's frame counter */
	uint32_t chunk_bytes;
};

static struct scream_header *hdr(struct ring *r)
{
	return (struct scream_header *)(void *)r->mem;
}

static void ring_header(struct ring *r, uint16_t max_chunks)
{
	struct scream_header *h = hdr(r);
	memset(h, 0, sizeof(*h));
	r->chunk_bytes = CHUNK_FRAMES * 4;
	h->offset = sizeof(*h);
	h->max_chunks = max_chunks;
	h->chunk_size = r->chunk_bytes;
	h->sample_rate = 1;
	h->sample_size = 16;
	h->channels = 2;
	h->channel_map = 0x3;
	h->write_idx = r->write_idx = 0;
	h->magic = SCREAM_MAGIC;
}

static int16_t left(uint32_t f) { return (int16_t)(f * 7u); }
static int16_t right(uint32_t f) { return (int16_t)(0u - f * 3u); }

/* The producer: one more chunk of frames next_frame.., as the driver does. */
static void ring_write_chunk(struct ring *r)
{
	struct scream_header *h = hdr(r);
	if (++r->write_idx >= h->max_chunks)
		r->write_idx = 0;
	int16_t *slot = (int16_t *)(void *)(r->mem + h->offset + (size_t)r->write_idx * h->chunk_size);
	for (uint32_t i = 0; i < CHUNK_FRAMES; i++, r->next_frame++) {
		slot[2 * i] = left(r->next_frame);
		slot[2 * i + 1] = right(r->next_frame);
	}
	h->write_idx = r->write_idx;
}

static int ring_setup(void **state)
{
	struct ring *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->mem = calloc(1, REGION);
	assert_non_null(r->mem);
	assert_int_equal(scream_source_init(&r->src, r->mem, REGION, LATENCY_MS, NULL), 0);
	r->as = scream_audio_source(&r->src);
	*state = r;
	return 0;
}

static int ring_teardown(void **state)
{
	struct ring *r = *state;
	scream_source_fini(&r->src);
	free(r->mem);
	free(r);
	return 0;
}

static const struct audio_format stereo48 = { 48000, 2, { AUDIO_POS_FL, AUDIO_POS_FR } };

static enum audio_pull_result pull(struct ring *r, float *out, uint32_t frames, uint32_t *got)
{
	return r->as.pull(r->as.opaque, out, frames, &stereo48, got);
}

/* out holds frames first.. of the producer's stream, exactly. */
static void assert_frames(const float *out, uint32_t n, uint32_t first)
{
	for (uint32_t i = 0; i < n; i++) {
		if (out[2 * i] != left(first + i) / 32768.0f ||
		    out[2 * i + 1] != right(first + i) / 32768.0f)
			fail_msg("frame %u: got %f/%f, want frame %u (%d/%d)", i, out[2 * i],
				 out[2 * i + 1], first + i, left(first + i), right(first + i));
	}
}

/* ---- header ------------------------------------------------------------------------ */

static void test_header_accepts_the_drivers(void **state)
{
	struct ring *r = *state;
	ring_header(r, REGION / (CHUNK_FRAMES * 4));
	struct scream_layout l;
	assert_int_equal(scream_header_check(hdr(r), REGION, &l, NULL), 0);
	assert_int_equal(l.offset, 24);
	assert_int_equal(l.chunk_size, 3840);
	assert_int_equal(l.max_chunks, 546);
	assert_int_equal(l.frame_bytes, 4);
	assert_true(audio_format_equal(&l.fmt, &stereo48));
}

struct bad_case {
	const char *what;
	void (*mutate)(struct scream_header *h);
	const char *msg;
};

static void bad_magic(struct scream_header *h) { h->magic = 0x11112015; }
static void bad_bits(struct scream_header *h) { h->sample_size = 8; }
static void bad_channels0(struct scream_header *h) { h->channels = 0; }
static void bad_channels9(struct scream_header *h) { h->channels = 9; }
static void bad_rate0(struct scream_header *h) { h->sample_rate = 0; }
static void bad_rate5(struct scream_header *h) { h->sample_rate = 5; }
static void bad_offset(struct scream_header *h) { h->offset = 8; }
static void bad_chunk0(struct scream_header *h) { h->chunk_size = 0; }
static void bad_chunk_frames(struct scream_header *h) { h->chunk_size = 3842; }
static void bad_chunk_huge(struct scream_header *h) { h->chunk_size = SCREAM_MAX_CHUNK + 4; }
static void bad_ring1(struct scream_header *h) { h->max_chunks = 1; }
static void bad_overrun(struct scream_header *h) { h->max_chunks = 547; }
static void bad_overrun_wrap(struct scream_header *h)
{
	h->chunk_size = 0xfffffffc; /* also too big, but must not wrap the bound */
	h->max_chunks = 0xffff;
}
static void bad_write_idx(struct scream_header *h) { h->write_idx = 546; }

static void test_header_refuses_each_bad_field(void **state)
{
	struct ring *r = *state;
	static const struct bad_case cases[] = {
		{ "magic", bad_magic, "magic 0x11112015" },
		{ "8-bit samples", bad_bits, "sample size 8" },
		{ "no channels", bad_channels0, "0 channels" },
		{ "9 channels", bad_channels9, "9 channels" },
		{ "rate code 0", bad_rate0, "code 0x00" },
		{ "rate code 5", bad_rate5, "code 0x05" },
		{ "offset in header", bad_offset, "ring offset 8" },
		{ "empty chunks", bad_chunk0, "chunk size 0" },
		{ "partial frames", bad_chunk_frames, "chunk size 3842" },
		{ "huge chunks", bad_chunk_huge, "chunk size" },
		{ "ring of 1", bad_ring1, "ring of 1" },
		{ "ring past region", bad_overrun, "overrun" },
		{ "wrapping bound", bad_overrun_wrap, "chunk size" },
		{ "write index", bad_write_idx, "write index 546" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ring_header(r, 546);
		cases[i].mutate(hdr(r));
		struct scream_layout l;
		struct error err = { "" };
		if (scream_header_check(hdr(r), REGION, &l, &err) != -1)
			fail_msg("%s: accepted", cases[i].what);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("%s: message '%s' lacks '%s'", cases[i].what, err.msg, cases[i].msg);
	}
}

static void test_rate_codes(void **state)
{
	(void)state;
	assert_int_equal(scream_rate_hz(0x01), 48000);
	assert_int_equal(scream_rate_hz(0x81), 44100);
	assert_int_equal(scream_rate_hz(0x02), 96000);
	assert_int_equal(scream_rate_hz(0x84), 176400);
	assert_int_equal(scream_rate_hz(0x04), 192000);
	assert_int_equal(scream_rate_hz(0x00), 0);
	assert_int_equal(scream_rate_hz(0x80), 0);
	assert_int_equal(scream_rate_hz(0x05), 0);
	assert_int_equal(scream_rate_hz(0xff), 0);
}

static void test_channel_positions(void **state)
{
	struct ring *r = *state;
	struct scream_layout l;
	ring_header(r, 100);
	struct scream_header *h = hdr(r);
	h->channels = 6;
	h->channel_map = 0x3f; /* 5.1 */
	h->chunk_size = CHUNK_FRAMES * 12;
	assert_int_equal(scream_header_check(h, REGION, &l, NULL), 0);
	static const uint8_t p51[] = { AUDIO_POS_FL, AUDIO_POS_FR, AUDIO_POS_FC,
				       AUDIO_POS_LFE, AUDIO_POS_RL, AUDIO_POS_RR };
	assert_memory_equal(l.fmt.position, p51, sizeof(p51));
	h->channel_map = 0; /* no mask: Windows' default for 6 is the same 5.1 */
	assert_int_equal(scream_header_check(h, REGION, &l, NULL), 0);
	assert_memory_equal(l.fmt.position, p51, sizeof(p51));
	h->channels = 8;
	h->channel_map = 0x63f; /* 7.1 with side speakers */
	h->chunk_size = CHUNK_FRAMES * 16;
	assert_int_equal(scream_header_check(h, REGION, &l, NULL), 0);
	assert_int_equal(l.fmt.position[6], AUDIO_POS_SL);
	assert_int_equal(l.fmt.position[7], AUDIO_POS_SR);
	h->channels = 1;
	h->channel_map = 0x4;
	h->chunk_size = CHUNK_FRAMES * 2;
	assert_int_equal(scream_header_check(h, REGION, &l, NULL), 0);
	assert_int_equal(l.fmt.position[0], AUDIO_POS_MONO);
}

/* ---- samples ----------------------------------------------------------------------- */

static void test_decode_16_24_32(void **state)
{
	(void)state;
	float out[4];
	static const uint8_t s16[] = { 0x00, 0x80, 0x00, 0x40, 0xff, 0x7f, 0xff, 0xff };
	assert_int_equal(scream_to_float(s16, sizeof(s16), 16, out), 4);
	assert_true(out[0] == -1.0f && out[1] == 0.5f && out[2] == 32767 / 32768.0f &&
		    out[3] == -1 / 32768.0f);
	static const uint8_t s24[] = { 0x00, 0x00, 0x80, 0x00, 0x00, 0x40, 0xff, 0xff, 0xff };
	assert_int_equal(scream_to_float(s24, sizeof(s24), 24, out), 3);
	assert_true(out[0] == -1.0f && out[1] == 0.5f && out[2] == -1 / 8388608.0f);
	static const uint8_t s32[] = { 0, 0, 0, 0x80, 0, 0, 0, 0xc0 };
	assert_int_equal(scream_to_float(s32, sizeof(s32), 32, out), 2);
	assert_true(out[0] == -1.0f && out[1] == -0.5f);
	/* A trailing partial sample is not read. */
	assert_int_equal(scream_to_float(s24, 8, 24, out), 2);
}

/* ---- playout ----------------------------------------------------------------------- */

static void test_no_producer_is_idle(void **state)
{
	bool active = false;
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got = 99;
	struct audio_format f;
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_IDLE);
	assert_int_equal(got, 0);
	assert_false(r->as.format(r->as.opaque, &f, &active));
	ring_header(r, 546);
	assert_true(r->as.format(r->as.opaque, &f, &active));
	assert_true(active);
	assert_true(audio_format_equal(&f, &stereo48));
	/* A sink still in another format is told to reconfigure. */
	struct audio_format mono = { 48000, 1, { AUDIO_POS_MONO } };
	assert_int_equal(r->as.pull(r->as.opaque, out, 480, &mono, &got), AUDIO_PULL_REFORMAT);
}

static void test_plays_in_order_across_wraps(void **state)
{
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got, played = 0;
	ring_header(r, 3); /* a tiny ring: wraps every 3 chunks */
	/* Old slots are not played: only what comes after we start following. */
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 0);
	ring_write_chunk(r);
	ring_write_chunk(r);
	for (int i = 0; i < 40; i++) {
		/* Two periods of 480 frames per 960-frame chunk: real time. */
		assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
		if (got) {
			assert_int_equal(got, 480);
			assert_frames(out, got, played);
			played += got;
		}
		if (i % 2)
			ring_write_chunk(r);
	}
	assert_true(played >= 15 * 480);
	assert_int_equal(r->src.stats.underruns, 0);
	assert_int_equal(r->src.stats.dropped_frames, 0);
}

static void test_primes_before_playing_and_after_an_underrun(void **state)
{
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got;
	ring_header(r, 546);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	ring_write_chunk(r); /* 960 frames < target (latency 960 + period 480) */
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 0);
	ring_write_chunk(r); /* 1920 >= 1440 */
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 480);
	assert_frames(out, 480, 0);
	for (uint32_t f = 480; f < 1920; f += 480) {
		assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
		assert_int_equal(got, 480);
		assert_frames(out, 480, f);
	}
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK); /* dry */
	assert_int_equal(got, 0);
	assert_int_equal(r->src.stats.underruns, 1);
	ring_write_chunk(r); /* one chunk is not enough to start again */
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 0);
	ring_write_chunk(r);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 480);
	assert_frames(out, 480, 1920); /* nothing lost, nothing repeated */
}

static void test_backlog_is_dropped_to_the_target(void **state)
{
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got;
	ring_header(r, 546);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	for (int i = 0; i < 20; i++) /* 400 ms at once: the host stalled */
		ring_write_chunk(r);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 480);
	/* Kept: the newest target (960 + 480) frames; played from their start. */
	uint32_t total = 20 * CHUNK_FRAMES;
	assert_int_equal(r->src.stats.dropped_frames, total - 1440);
	assert_frames(out, 480, total - 1440);
}

static void test_far_behind_skips_to_the_newest(void **state)
{
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got;
	ring_header(r, 546);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	for (int i = 0; i < 300; i++)
		ring_write_chunk(r);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	/* The buffer holds 100 chunks (SCREAM_FIFO_FRAMES at 960 each). */
	assert_int_equal(r->src.stats.skipped_chunks, 200);
	assert_int_equal(r->src.stats.chunks, 100);
	assert_frames(out, got, 300 * CHUNK_FRAMES - 1440);
}

static void test_close_plays_out_then_idles(void **state)
{
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got, played = 0;
	ring_header(r, 546);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	ring_write_chunk(r);
	ring_write_chunk(r);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	played += got;
	memset(hdr(r), 0, sizeof(struct scream_header)); /* the driver closes */
	enum audio_pull_result res;
	while ((res = pull(r, out, 480, &got)) == AUDIO_PULL_OK) {
		assert_frames(out, got, played);
		played += got;
	}
	assert_int_equal(res, AUDIO_PULL_IDLE);
	assert_int_equal(played, 2 * CHUNK_FRAMES);
}

static void test_stall_idles_and_resumes_with_the_first_new_chunk(void **state)
{
	bool active = false;
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got, played = 0;
	struct audio_format f;
	ring_header(r, 546);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	ring_write_chunk(r);
	ring_write_chunk(r);
	enum audio_pull_result res;
	int periods = 0;
	while ((res = pull(r, out, 480, &got)) == AUDIO_PULL_OK && periods++ < 100)
		played += got;
	assert_int_equal(res, AUDIO_PULL_IDLE); /* 250 ms without a chunk */
	assert_int_equal(played, 2 * CHUNK_FRAMES);
	assert_false(r->as.format(r->as.opaque, &f, &active)); /* still nothing new */
	ring_write_chunk(r);
	ring_write_chunk(r);
	assert_true(r->as.format(r->as.opaque, &f, &active));
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 480);
	assert_frames(out, 480, 2 * CHUNK_FRAMES);
}

static void test_bad_header_mid_stream_then_a_new_stream(void **state)
{
	bool active = false;
	struct ring *r = *state;
	float out[2 * 480];
	uint32_t got;
	struct audio_format f;
	ring_header(r, 546);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	ring_write_chunk(r);
	hdr(r)->chunk_size = 0x7fffffff;
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_IDLE);
	assert_int_equal(got, 0);
	assert_false(r->as.format(r->as.opaque, &f, &active));
	assert_int_equal(r->src.stats.bad_headers, 2);
	assert_non_null(strstr(r->src.last_error.msg, "chunk size 2147483647"));
	/* The driver starts over (as on a format change): old slots unplayed. */
	r->write_idx = 0;
	r->next_frame = 5000;
	ring_header(r, 546);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	ring_write_chunk(r);
	ring_write_chunk(r);
	assert_int_equal(pull(r, out, 480, &got), AUDIO_PULL_OK);
	assert_int_equal(got, 480);
	assert_frames(out, 480, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_accepts_the_drivers, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_header_refuses_each_bad_field, ring_setup, ring_teardown),
		cmocka_unit_test(test_rate_codes),
		cmocka_unit_test_setup_teardown(test_channel_positions, ring_setup, ring_teardown),
		cmocka_unit_test(test_decode_16_24_32),
		cmocka_unit_test_setup_teardown(test_no_producer_is_idle, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_plays_in_order_across_wraps, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_primes_before_playing_and_after_an_underrun, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_backlog_is_dropped_to_the_target, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_far_behind_skips_to_the_newest, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_close_plays_out_then_idles, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_stall_idles_and_resumes_with_the_first_new_chunk, ring_setup, ring_teardown),
		cmocka_unit_test_setup_teardown(test_bad_header_mid_stream_then_a_new_stream, ring_setup, ring_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
