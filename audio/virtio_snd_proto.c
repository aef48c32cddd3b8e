// SPDX-License-Identifier: GPL-2.0-only
/* virtio-snd's control protocol (virtio_snd_proto.h). */
#include <math.h>
#include <string.h>

#include "audio/scream.h"
#include "audio/virtio_snd_proto.h"

uint32_t vsnd_format_bytes(uint8_t format)
{
	switch (format) {
	case VIRTIO_SND_PCM_FMT_S16: return 2;
	case VIRTIO_SND_PCM_FMT_S24: /* 24 bits in 32, low-aligned (ALSA S24_LE) */
	case VIRTIO_SND_PCM_FMT_S32:
	case VIRTIO_SND_PCM_FMT_FLOAT: return 4;
	default: return 0;
	}
}

static const uint32_t vsnd_rates[] = {
	[VIRTIO_SND_PCM_RATE_8000] = 8000, [VIRTIO_SND_PCM_RATE_11025] = 11025,
	[VIRTIO_SND_PCM_RATE_16000] = 16000, [VIRTIO_SND_PCM_RATE_22050] = 22050,
	[VIRTIO_SND_PCM_RATE_32000] = 32000, [VIRTIO_SND_PCM_RATE_44100] = 44100,
	[VIRTIO_SND_PCM_RATE_48000] = 48000, [VIRTIO_SND_PCM_RATE_64000] = 64000,
	[VIRTIO_SND_PCM_RATE_88200] = 88200, [VIRTIO_SND_PCM_RATE_96000] = 96000,
	[VIRTIO_SND_PCM_RATE_176400] = 176400, [VIRTIO_SND_PCM_RATE_192000] = 192000,
};

uint32_t vsnd_rate_hz(uint8_t rate)
{
	return rate < ARRAY_SIZE(vsnd_rates) ? vsnd_rates[rate] : 0;
}

void vsnd_default_positions(unsigned channels, uint8_t *pos)
{
	/* ALSA's order: FL FR RL RR FC LFE SL SR (4.0, 5.1, 7.1). */
	static const uint8_t order[AUDIO_MAX_CHANNELS] = {
		AUDIO_POS_FL, AUDIO_POS_FR, AUDIO_POS_RL, AUDIO_POS_RR,
		AUDIO_POS_FC, AUDIO_POS_LFE, AUDIO_POS_SL, AUDIO_POS_SR,
	};
	memset(pos, 0, AUDIO_MAX_CHANNELS);
	if (channels == 1) {
		pos[0] = AUDIO_POS_MONO;
		return;
	}
	if (channels == 3) { /* 2.1 */
		pos[0] = AUDIO_POS_FL, pos[1] = AUDIO_POS_FR, pos[2] = AUDIO_POS_LFE;
		return;
	}
	if (channels == 5) { /* 4.1 */
		memcpy(pos, order, 4);
		pos[4] = AUDIO_POS_LFE;
		return;
	}
	if (channels == 7) { /* 6.1 */
		memcpy(pos, order, 6);
		pos[6] = AUDIO_POS_RC;
		return;
	}
	memcpy(pos, order, channels <= AUDIO_MAX_CHANNELS ? channels : AUDIO_MAX_CHANNELS);
}

void vsnd_to_float(const struct vsnd_params *p, const uint8_t *in, uint32_t frames, float *out)
{
	uint32_t n = frames * p->channels, bytes = frames * p->frame_bytes;
	switch (p->format) {
	case VIRTIO_SND_PCM_FMT_S16:
		scream_to_float(in, bytes, 16, out);
		break;
	case VIRTIO_SND_PCM_FMT_S32:
		scream_to_float(in, bytes, 32, out);
		break;
	case VIRTIO_SND_PCM_FMT_S24:
		for (uint32_t i = 0; i < n; i++) {
			uint32_t u = in[4 * i] | in[4 * i + 1] << 8 | (uint32_t)in[4 * i + 2] << 16;
			out[i] = (float)((int32_t)(u << 8) >> 8) * (1.0f / 8388608.0f);
		}
		break;
	case VIRTIO_SND_PCM_FMT_FLOAT:
		memcpy(out, in, (size_t)n * sizeof(float));
		for (uint32_t i = 0; i < n; i++)
			out[i] = isfinite(out[i]) ? fmaxf(-1.0f, fminf(1.0f, out[i])) : 0.0f;
		break;
	}
}

/* ---- requests ---------------------------------------------------------------------- */

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static size_t vsnd_status(uint8_t *resp, size_t cap, uint32_t status)
{
	if (cap < sizeof(struct virtio_snd_hdr))
		return 0;
	memcpy(resp, &status, 4);
	return 4;
}

static void vsnd_pcm_info(struct virtio_snd_pcm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->formats = (1ull << VIRTIO_SND_PCM_FMT_S16) | (1ull << VIRTIO_SND_PCM_FMT_S24) |
			(1ull << VIRTIO_SND_PCM_FMT_S32) | (1ull << VIRTIO_SND_PCM_FMT_FLOAT);
	for (unsigned r = 0; r < ARRAY_SIZE(vsnd_rates); r++)
		if (vsnd_rates[r])
			info->rates |= 1ull << r;
	info->direction = VIRTIO_SND_D_OUTPUT;
	info->channels_min = 1;
	info->channels_max = AUDIO_MAX_CHANNELS;
}

/* PCM_INFO (the only kind of item we have: no jacks, no chmaps). */
static size_t vsnd_query(uint32_t code, const uint8_t *req, size_t len, uint8_t *resp,
			 size_t cap)
{
	if (len < sizeof(struct virtio_snd_query_info))
		return vsnd_status(resp, cap, VIRTIO_SND_S_BAD_MSG);
	uint32_t start = le32_at(req + 4), count = le32_at(req + 8), size = le32_at(req + 12);
	if (code != VIRTIO_SND_R_PCM_INFO)
		return vsnd_status(resp, cap, VIRTIO_SND_S_BAD_MSG); /* 0 jacks, 0 chmaps */
	uint64_t need = 4 + (uint64_t)count * size;
	if (start > VSND_STREAMS || count > VSND_STREAMS - start ||
	    size < sizeof(struct virtio_snd_pcm_info) || need > cap || need > VSND_CTL_MAX)
		return vsnd_status(resp, cap, VIRTIO_SND_S_BAD_MSG);
	vsnd_status(resp, cap, VIRTIO_SND_S_OK);
	memset(resp + 4, 0, (size_t)(need - 4));
	for (uint32_t i = 0; i < count; i++) {
		struct virtio_snd_pcm_info info;
		vsnd_pcm_info(&info);
		memcpy(resp + 4 + (size_t)i * size, &info, sizeof(info));
	}
	return (size_t)need;
}

static uint32_t vsnd_set_params(struct vsnd_stream *s, const uint8_t *req, size_t len)
{
	struct virtio_snd_pcm_set_params sp;
	if (len < sizeof(sp))
		return VIRTIO_SND_S_BAD_MSG;
	memcpy(&sp, req, sizeof(sp));
	if (s->state == VSND_RUNNING)
		return VIRTIO_SND_S_BAD_MSG; /* stop it first */
	struct vsnd_params p = { .buffer_bytes = sp.buffer_bytes, .period_bytes = sp.period_bytes,
				 .channels = sp.channels, .format = sp.format, .rate = sp.rate };
	p.sample_bytes = vsnd_format_bytes(sp.format);
	p.rate_hz = vsnd_rate_hz(sp.rate);
	if (sp.features)
		return VIRTIO_SND_S_NOT_SUPP; /* we offer none */
	if (!p.sample_bytes || !p.rate_hz || sp.channels < 1 || sp.channels > AUDIO_MAX_CHANNELS)
		return VIRTIO_SND_S_NOT_SUPP;
	p.frame_bytes = p.sample_bytes * sp.channels;
	if (!sp.period_bytes || sp.period_bytes % p.frame_bytes || sp.buffer_bytes < sp.period_bytes ||
	    sp.buffer_bytes % sp.period_bytes || sp.buffer_bytes > VSND_MAX_BUFFER_BYTES)
		return VIRTIO_SND_S_BAD_MSG;
	p.fmt.rate = p.rate_hz;
	p.fmt.channels = sp.channels;
	vsnd_default_positions(sp.channels, p.fmt.position);
	s->params = p;
	s->state = VSND_SET;
	return VIRTIO_SND_S_OK;
}

/* The PCM commands after SET_PARAMS, as a transition table. */
static uint32_t vsnd_transition(struct vsnd_stream *s, uint32_t code, enum vsnd_change *change)
{
	enum vsnd_state st = s->state;
	switch (code) {
	case VIRTIO_SND_R_PCM_PREPARE:
		if (st == VSND_RELEASED || st == VSND_RUNNING)
			return VIRTIO_SND_S_BAD_MSG;
		s->state = VSND_PREPARED;
		return VIRTIO_SND_S_OK;
	case VIRTIO_SND_R_PCM_START:
		if (st != VSND_PREPARED && st != VSND_STOPPED)
			return VIRTIO_SND_S_BAD_MSG;
		s->state = VSND_RUNNING;
		*change = VSND_CHANGE_START;
		return VIRTIO_SND_S_OK;
	case VIRTIO_SND_R_PCM_STOP:
		if (st != VSND_RUNNING)
			return VIRTIO_SND_S_BAD_MSG;
		s->state = VSND_STOPPED;
		*change = VSND_CHANGE_STOP;
		return VIRTIO_SND_S_OK;
	case VIRTIO_SND_R_PCM_RELEASE:
		if (st == VSND_RUNNING)
			return VIRTIO_SND_S_BAD_MSG;
		s->state = VSND_RELEASED;
		*change = VSND_CHANGE_RELEASE;
		return VIRTIO_SND_S_OK;
	}
	return VIRTIO_SND_S_NOT_SUPP;
}

size_t vsnd_control(struct vsnd_stream *streams, const uint8_t *req, size_t req_len,
		    uint8_t *resp, size_t resp_cap, unsigned *stream_id, enum vsnd_change *change)
{
	*change = VSND_CHANGE_NONE;
	*stream_id = 0;
	if (req_len < sizeof(struct virtio_snd_hdr))
		return vsnd_status(resp, resp_cap, VIRTIO_SND_S_BAD_MSG);
	uint32_t code = le32_at(req);
	switch (code) {
	case VIRTIO_SND_R_JACK_INFO:
	case VIRTIO_SND_R_PCM_INFO:
	case VIRTIO_SND_R_CHMAP_INFO:
		return vsnd_query(code, req, req_len, resp, resp_cap);
	case VIRTIO_SND_R_PCM_SET_PARAMS:
	case VIRTIO_SND_R_PCM_PREPARE:
	case VIRTIO_SND_R_PCM_RELEASE:
	case VIRTIO_SND_R_PCM_START:
	case VIRTIO_SND_R_PCM_STOP:
		break;
	default:
		return vsnd_status(resp, resp_cap, VIRTIO_SND_S_NOT_SUPP); /* JACK_REMAP too */
	}
	if (req_len < sizeof(struct virtio_snd_pcm_hdr))
		return vsnd_status(resp, resp_cap, VIRTIO_SND_S_BAD_MSG);
	uint32_t id = le32_at(req + 4);
	if (id >= VSND_STREAMS)
		return vsnd_status(resp, resp_cap, VIRTIO_SND_S_BAD_MSG);
	*stream_id = id;
	uint32_t st;
	if (code == VIRTIO_SND_R_PCM_SET_PARAMS) {
		st = vsnd_set_params(&streams[id], req, req_len);
		if (st == VIRTIO_SND_S_OK)
			*change = VSND_CHANGE_PARAMS;
	} else {
		st = vsnd_transition(&streams[id], code, change);
	}
	return vsnd_status(resp, resp_cap, st);
}
