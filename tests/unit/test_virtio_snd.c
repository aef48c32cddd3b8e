// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-snd's control protocol (audio/virtio_snd_proto.c): the answers a
 * driver gets, including to short, hostile or out-of-order requests, and
 * the sample decoding. (The device with its rings, a driver and PipeWire:
 * tests/kvm/audio-e2e.sh with the vsnd payload.)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "audio/virtio_snd_proto.h"

struct ctl {
	struct vsnd_stream streams[VSND_STREAMS];
	uint8_t resp[VSND_CTL_MAX];
	unsigned id;
	enum vsnd_change change;
};

static uint32_t ask(struct ctl *c, const void *req, size_t len, size_t cap, size_t *got)
{
	memset(c->resp, 0xee, sizeof(c->resp));
	size_t n = vsnd_control(c->streams, req, len, c->resp, cap, &c->id, &c->change);
	if (got)
		*got = n;
	if (n < 4)
		return 0;
	uint32_t st;
	memcpy(&st, c->resp, 4);
	return st;
}

static uint32_t pcm(struct ctl *c, uint32_t code, uint32_t stream)
{
	struct virtio_snd_pcm_hdr h = { .hdr.code = code, .stream_id = stream };
	return ask(c, &h, sizeof(h), 4, NULL);
}

static uint32_t set_params(struct ctl *c, uint32_t buffer, uint32_t period, uint8_t ch,
			   uint8_t fmt, uint8_t rate)
{
	struct virtio_snd_pcm_set_params p = {
		.hdr = { .hdr.code = VIRTIO_SND_R_PCM_SET_PARAMS, .stream_id = 0 },
		.buffer_bytes = buffer, .period_bytes = period, .channels = ch, .format = fmt,
		.rate = rate,
	};
	return ask(c, &p, sizeof(p), 4, NULL);
}

static void test_pcm_info(void **state)
{
	(void)state;
	struct ctl c = { 0 };
	struct virtio_snd_query_info q = { .hdr.code = VIRTIO_SND_R_PCM_INFO, .start_id = 0,
					   .count = 1, .size = sizeof(struct virtio_snd_pcm_info) };
	size_t n;
	assert_int_equal(ask(&c, &q, sizeof(q), 64, &n), VIRTIO_SND_S_OK);
	assert_int_equal(n, 4 + 32);
	struct virtio_snd_pcm_info info;
	memcpy(&info, c.resp + 4, sizeof(info));
	assert_int_equal(info.direction, VIRTIO_SND_D_OUTPUT);
	assert_int_equal(info.channels_min, 1);
	assert_int_equal(info.channels_max, 8);
	assert_true(info.formats & (1ull << VIRTIO_SND_PCM_FMT_S16));
	assert_true(info.formats & (1ull << VIRTIO_SND_PCM_FMT_FLOAT));
	assert_false(info.formats & (1ull << VIRTIO_SND_PCM_FMT_U8));
	assert_true(info.rates & (1ull << VIRTIO_SND_PCM_RATE_48000));
	assert_true(info.rates & (1ull << VIRTIO_SND_PCM_RATE_44100));
	assert_false(info.rates & (1ull << VIRTIO_SND_PCM_RATE_384000));
	/* A driver with a larger info struct gets ours zero-padded. */
	q.size = 40;
	assert_int_equal(ask(&c, &q, sizeof(q), 64, &n), VIRTIO_SND_S_OK);
	assert_int_equal(n, 44);
	for (int i = 36; i < 44; i++)
		assert_int_equal(c.resp[i], 0);
}

static void test_queries_refused(void **state)
{
	(void)state;
	struct ctl c = { 0 };
	struct virtio_snd_query_info q = { .hdr.code = VIRTIO_SND_R_PCM_INFO, .start_id = 0,
					   .count = 2, .size = 32 };
	assert_int_equal(ask(&c, &q, sizeof(q), 128, NULL), VIRTIO_SND_S_BAD_MSG); /* 1 stream */
	q.count = 1, q.start_id = 1;
	assert_int_equal(ask(&c, &q, sizeof(q), 128, NULL), VIRTIO_SND_S_BAD_MSG);
	q.start_id = 0xffffffff, q.count = 2; /* start + count wraps */
	assert_int_equal(ask(&c, &q, sizeof(q), 128, NULL), VIRTIO_SND_S_BAD_MSG);
	q.start_id = 0, q.count = 1, q.size = 16; /* smaller than the struct */
	assert_int_equal(ask(&c, &q, sizeof(q), 128, NULL), VIRTIO_SND_S_BAD_MSG);
	q.size = 0x80000000u; /* huge item size */
	assert_int_equal(ask(&c, &q, sizeof(q), 128, NULL), VIRTIO_SND_S_BAD_MSG);
	q.size = 32;
	assert_int_equal(ask(&c, &q, sizeof(q), 20, NULL), VIRTIO_SND_S_BAD_MSG); /* no room */
	assert_int_equal(ask(&c, &q, 12, 128, NULL), VIRTIO_SND_S_BAD_MSG);       /* short */
	q.hdr.code = VIRTIO_SND_R_JACK_INFO; /* we have no jacks and no chmaps */
	assert_int_equal(ask(&c, &q, sizeof(q), 128, NULL), VIRTIO_SND_S_BAD_MSG);
	q.hdr.code = VIRTIO_SND_R_CHMAP_INFO;
	assert_int_equal(ask(&c, &q, sizeof(q), 128, NULL), VIRTIO_SND_S_BAD_MSG);
	uint32_t code = 0x7777;
	assert_int_equal(ask(&c, &code, 4, 4, NULL), VIRTIO_SND_S_NOT_SUPP);
	size_t n = 99;
	assert_int_equal(ask(&c, &code, 2, 4, &n), VIRTIO_SND_S_BAD_MSG); /* no header */
	assert_int_equal(ask(&c, &code, 4, 3, &n), 0); /* no room for a status */
	assert_int_equal(n, 0);
}

static void test_set_params(void **state)
{
	(void)state;
	struct ctl c = { 0 };
	assert_int_equal(set_params(&c, 8 * 1920, 1920, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_OK);
	assert_int_equal(c.change, VSND_CHANGE_PARAMS);
	const struct vsnd_params *p = &c.streams[0].params;
	assert_int_equal(p->frame_bytes, 4);
	assert_int_equal(p->rate_hz, 48000);
	assert_int_equal(p->fmt.channels, 2);
	assert_int_equal(p->fmt.position[0], AUDIO_POS_FL);
	/* Each way a request can be wrong. */
	assert_int_equal(set_params(&c, 1920, 1920, 2, VIRTIO_SND_PCM_FMT_U8,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&c, 1920, 1920, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_384000), VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&c, 1920, 1920, 2, VIRTIO_SND_PCM_FMT_S16, 200),
			 VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&c, 1920, 1920, 0, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&c, 1920, 1920, 9, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_NOT_SUPP);
	assert_int_equal(set_params(&c, 1920, 0, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(set_params(&c, 1922, 1922, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_BAD_MSG); /* half frame */
	assert_int_equal(set_params(&c, 1920, 3840, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_BAD_MSG); /* buf < period */
	assert_int_equal(set_params(&c, 3000, 1920, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_BAD_MSG); /* not periods */
	assert_int_equal(set_params(&c, VSND_MAX_BUFFER_BYTES + 1920, 1920, 2,
				    VIRTIO_SND_PCM_FMT_S16, VIRTIO_SND_PCM_RATE_48000),
			 VIRTIO_SND_S_BAD_MSG);
	struct virtio_snd_pcm_set_params sp = { .hdr = { .hdr.code = VIRTIO_SND_R_PCM_SET_PARAMS } };
	assert_int_equal(ask(&c, &sp, sizeof(sp) - 1, 4, NULL), VIRTIO_SND_S_BAD_MSG); /* short */
	sp.features = 1u << VIRTIO_SND_PCM_F_SHMEM_HOST;
	assert_int_equal(ask(&c, &sp, sizeof(sp), 4, NULL), VIRTIO_SND_S_NOT_SUPP);
	/* The refused ones left the good parameters alone. */
	assert_int_equal(c.streams[0].params.frame_bytes, 4);
	assert_int_equal(c.streams[0].state, VSND_SET);
	/* 5.1 in 32-bit float: ALSA's channel order. */
	assert_int_equal(set_params(&c, 6 * 4 * 480 * 4, 6 * 4 * 480, 6, VIRTIO_SND_PCM_FMT_FLOAT,
				    VIRTIO_SND_PCM_RATE_96000), VIRTIO_SND_S_OK);
	static const uint8_t p51[] = { AUDIO_POS_FL, AUDIO_POS_FR, AUDIO_POS_RL,
				       AUDIO_POS_RR, AUDIO_POS_FC, AUDIO_POS_LFE };
	assert_memory_equal(c.streams[0].params.fmt.position, p51, sizeof(p51));
}

static void test_state_machine(void **state)
{
	(void)state;
	struct ctl c = { 0 };
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_BAD_MSG); /* no params */
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_BAD_MSG); /* stream */
	assert_int_equal(set_params(&c, 3840, 1920, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_OK);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_BAD_MSG); /* unprepared */
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	assert_int_equal(c.change, VSND_CHANGE_START);
	assert_int_equal(c.streams[0].state, VSND_RUNNING);
	assert_int_equal(set_params(&c, 3840, 1920, 2, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_RATE_44100), VIRTIO_SND_S_BAD_MSG); /* running */
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	assert_int_equal(c.change, VSND_CHANGE_STOP);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_BAD_MSG);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK); /* again */
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK); /* after xrun */
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
	assert_int_equal(c.change, VSND_CHANGE_RELEASE);
	assert_int_equal(c.streams[0].state, VSND_RELEASED);
	assert_int_equal(pcm(&c, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_BAD_MSG);
	struct virtio_snd_hdr h = { VIRTIO_SND_R_PCM_START };
	assert_int_equal(ask(&c, &h, sizeof(h), 4, NULL), VIRTIO_SND_S_BAD_MSG); /* no stream id */
}

static void test_decode(void **state)
{
	(void)state;
	struct vsnd_params p = { .channels = 2 };
	float out[4];
	p.format = VIRTIO_SND_PCM_FMT_S24, p.frame_bytes = 8;
	static const uint8_t s24[] = { 0, 0, 0x80, 0x12, 0xff, 0xff, 0x3f, 0xff };
	vsnd_to_float(&p, s24, 1, out); /* the top byte is padding */
	assert_true(out[0] == -1.0f && out[1] == 4194303 / 8388608.0f);
	p.format = VIRTIO_SND_PCM_FMT_FLOAT;
	float in[4] = { 0.25f, 2.0f, NAN, -INFINITY };
	vsnd_to_float(&p, (const uint8_t *)in, 2, out);
	assert_true(out[0] == 0.25f && out[1] == 1.0f && out[2] == 0.0f && out[3] == 0.0f);
	p.format = VIRTIO_SND_PCM_FMT_S16, p.frame_bytes = 4;
	static const uint8_t s16[] = { 0x00, 0x40, 0x00, 0xc0 };
	vsnd_to_float(&p, s16, 1, out);
	assert_true(out[0] == 0.5f && out[1] == -0.5f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcm_info),
		cmocka_unit_test(test_queries_refused),
		cmocka_unit_test(test_set_params),
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
