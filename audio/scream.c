// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scream's IVSHMEM ring, read on the host (scream.h, scream_wire.h).
 * Everything in the region is the guest's and may change while we read it:
 * the header is copied once per period and checked whole before any of it
 * is used, each slot's bounds come from that checked copy, and a slot is
 * copied out before it is decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "audio/scream.h"

/* ---- the header -------------------------------------------------------------------- */

uint32_t scream_rate_hz(uint8_t code)
{
	uint32_t mult = code & SCREAM_RATE_MULT_MASK;
	uint32_t base = (code & SCREAM_RATE_44100_BIT) ? 44100 : 48000;
	/* 44.1/48 kHz times 1 to 4 (Scream makes 1, 2 and 4); 192 kHz is our ceiling. */
	if (mult < 1 || mult > 4 || base * mult > AUDIO_MAX_RATE)
		return 0;
	return base * mult;
}

/* WAVEFORMATEXTENSIBLE bit -> our position, in interleaving order. */
static const struct { uint16_t bit; uint8_t pos; } scream_speakers[] = {
	{ SCREAM_SPK_FL, AUDIO_POS_FL }, { SCREAM_SPK_FR, AUDIO_POS_FR },
	{ SCREAM_SPK_FC, AUDIO_POS_FC }, { SCREAM_SPK_LFE, AUDIO_POS_LFE },
	{ SCREAM_SPK_RL, AUDIO_POS_RL }, { SCREAM_SPK_RR, AUDIO_POS_RR },
	{ SCREAM_SPK_FLC, AUDIO_POS_FLC }, { SCREAM_SPK_FRC, AUDIO_POS_FRC },
	{ SCREAM_SPK_RC, AUDIO_POS_RC }, { SCREAM_SPK_SL, AUDIO_POS_SL },
	{ SCREAM_SPK_SR, AUDIO_POS_SR },
};

/* Windows' default masks (KSAUDIO_SPEAKER_*) for a channel count. */
static uint16_t scream_default_mask(unsigned channels)
{
	static const uint16_t masks[AUDIO_MAX_CHANNELS + 1] = {
		0, SCREAM_SPK_FC, 0x3, 0x7, 0x33, 0x37, 0x3f, 0x13f, 0x63f,
	};
	return channels <= AUDIO_MAX_CHANNELS ? masks[channels] : 0;
}

/* Positions from the mask; a mask that does not name `channels` speakers
 * (0 from an old driver, or garbage) gives Windows' default layout. */
static void scream_positions(uint16_t mask, unsigned channels, uint8_t *pos)
{
	if ((unsigned)__builtin_popcount(mask) != channels)
		mask = scream_default_mask(channels);
	if (channels == 1 && mask == SCREAM_SPK_FC) {
		pos[0] = AUDIO_POS_MONO;
		return;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(scream_speakers) && n < channels; i++)
		if (mask & scream_speakers[i].bit)
			pos[n++] = scream_speakers[i].pos;
}

int scream_header_check(const struct scream_header *h, uint64_t size, struct scream_layout *l,
			struct error *err)
{
	memset(l, 0, sizeof(*l));
	if (h->magic != SCREAM_MAGIC)
		return err_setf(err, "no Scream header (magic 0x%08x)", h->magic);
	if (h->sample_size != 16 && h->sample_size != 24 && h->sample_size != 32)
		return err_setf(err, "sample size %u bits (Scream makes 16, 24 or 32)",
				h->sample_size);
	if (h->channels < 1 || h->channels > AUDIO_MAX_CHANNELS)
		return err_setf(err, "%u channels (1 to %u)", h->channels, AUDIO_MAX_CHANNELS);
	uint32_t rate = scream_rate_hz(h->sample_rate);
	if (!rate)
		return err_setf(err, "sample-rate code 0x%02x is not 44.1 or 48 kHz times 1 to 4",
				h->sample_rate);
	l->bits = h->sample_size;
	l->channels = h->channels;
	l->frame_bytes = (uint32_t)h->sample_size / 8 * h->channels;
	if (h->offset < sizeof(struct scream_header))
		return err_setf(err, "ring offset %u is inside the %zu-byte header", h->offset,
				sizeof(struct scream_header));
	if (!h->chunk_size || h->chunk_size > SCREAM_MAX_CHUNK || h->chunk_size % l->frame_bytes)
		return err_setf(err, "chunk size %u is not 1 to %u whole %u-byte frames",
				h->chunk_size, SCREAM_MAX_CHUNK, l->frame_bytes);
	if (h->max_chunks < 2)
		return err_setf(err, "a ring of %u chunks (at least 2)", h->max_chunks);
	if ((uint64_t)h->offset + (uint64_t)h->max_chunks * h->chunk_size > size)
		return err_setf(err, "%u chunks of %u bytes at offset %u overrun the %llu-byte region",
				h->max_chunks, h->chunk_size, h->offset, (unsigned long long)size);
	if (h->write_idx >= h->max_chunks)
		return err_setf(err, "write index %u outside the %u-chunk ring", h->write_idx,
				h->max_chunks);
	l->offset = h->offset;
	l->chunk_size = h->chunk_size;
	l->max_chunks = h->max_chunks;
	l->fmt.rate = rate;
	l->fmt.channels = h->channels;
	scream_positions(h->channel_map, h->channels, l->fmt.position);
	return 0;
}

static bool scream_layout_equal(const struct scream_layout *a, const struct scream_layout *b)
{
	return a->offset == b->offset && a->chunk_size == b->chunk_size &&
	       a->max_chunks == b->max_chunks && a->bits == b->bits &&
	       audio_format_equal(&a->fmt, &b->fmt);
}

/* One aligned copy of the guest's header (it may be mid-update: the whole
 * copy is checked before use, and a torn one is refused or harmless). */
static void scream_read_header(const struct scream_source *s, struct scream_header *h)
{
	uint32_t w[sizeof(*h) / 4];
	const volatile uint32_t *src = (const volatile uint32_t *)s->shm;
	for (unsigned i = 0; i < ARRAY_SIZE(w); i++)
		w[i] = src[i];
	memcpy(h, w, sizeof(*h));
}

/* ---- samples ----------------------------------------------------------------------- */

uint32_t scream_to_float(const uint8_t *in, uint32_t bytes, unsigned bits, float *out)
{
	uint32_t n = 0;
	switch (bits) {
	case 16:
		for (uint32_t i = 0; i + 2 <= bytes; i += 2)
			out[n++] = (float)(int16_t)(in[i] | in[i + 1] << 8) * (1.0f / 32768.0f);
		break;
	case 24:
		for (uint32_t i = 0; i + 3 <= bytes; i += 3) {
			uint32_t u = in[i] | in[i + 1] << 8 | (uint32_t)in[i + 2] << 16;
			int32_t v = (int32_t)(u << 8) >> 8; /* sign-extend 24 bits */
			out[n++] = (float)v * (1.0f / 8388608.0f);
		}
		break;
	case 32:
		for (uint32_t i = 0; i + 4 <= bytes; i += 4) {
			uint32_t u = in[i] | in[i + 1] << 8 | (uint32_t)in[i + 2] << 16 |
				     (uint32_t)in[i + 3] << 24;
			out[n++] = (float)(int32_t)u * (1.0f / 2147483648.0f);
		}
		break;
	}
	return n;
}

/* ---- the playout buffer ------------------------------------------------------------ */

static void fifo_reset(struct scream_source *s)
{
	audio_fifo_setup(&s->fifo, s->fifo_buf, SCREAM_FIFO_FRAMES, s->cur.channels);
	s->priming = true;
}

/* Append decoded frames; a full buffer loses its oldest frames. */
static void fifo_push(struct scream_source *s, const float *in, uint32_t frames)
{
	if (frames > SCREAM_FIFO_FRAMES) {
		in += (size_t)(frames - SCREAM_FIFO_FRAMES) * s->cur.channels;
		frames = SCREAM_FIFO_FRAMES;
	}
	if (frames > audio_fifo_room(&s->fifo)) {
		uint32_t over = frames - audio_fifo_room(&s->fifo);
		audio_fifo_drop(&s->fifo, over);
		s->stats.dropped_frames += over;
	}
	audio_fifo_push(&s->fifo, in, frames);
}

/* ---- reading the ring -------------------------------------------------------------- */

static uint32_t scream_chunk_frames(const struct scream_source *s)
{
	return s->cur.chunk_size / s->cur.frame_bytes;
}

/* Take every slot written since read_idx, up to write_idx. */
static void scream_read_new(struct scream_source *s, uint16_t write_idx)
{
	uint32_t m = s->cur.max_chunks;
	uint32_t pending = (write_idx + m - s->read_idx) % m;
	/* More than the buffer holds (the host stalled): keep the newest. */
	uint32_t keep = SCREAM_FIFO_FRAMES / scream_chunk_frames(s);
	if (pending > keep) {
		s->stats.skipped_chunks += pending - keep;
		s->read_idx = (uint16_t)((write_idx + m - keep) % m);
		pending = keep;
	}
	float *decoded = (float *)(void *)s->chunk; /* see scream_source_init */
	for (; pending; pending--) {
		s->read_idx = (uint16_t)((s->read_idx + 1) % m);
		uint64_t at = s->cur.offset + (uint64_t)s->read_idx * s->cur.chunk_size;
		/* Copy the slot out first: the guest may be rewriting it. */
		uint8_t *raw = s->chunk + 2 * SCREAM_MAX_CHUNK;
		memcpy(raw, (const void *)(s->shm + at), s->cur.chunk_size);
		uint32_t n = scream_to_float(raw, s->cur.chunk_size, s->cur.bits, decoded);
		fifo_push(s, decoded, n / s->cur.channels);
		s->stats.chunks++;
	}
}

/* The guest's driver keeps its header while Windows plays nothing: after
 * this long without a chunk the sink may pause until the ring moves. */
#define SCREAM_STALL_MS 250

static void scream_play(struct scream_source *s, float *out, uint32_t frames, uint32_t *got)
{
	uint32_t chunk = scream_chunk_frames(s);
	uint32_t latency = (uint32_t)((uint64_t)s->cur.fmt.rate * s->latency_ms / 1000);
	uint32_t target = (latency > chunk ? latency : chunk) + frames;
	if (s->fifo.len > target + 2 * chunk) {
		s->stats.dropped_frames += s->fifo.len - target;
		audio_fifo_drop(&s->fifo, s->fifo.len - target);
	}
	*got = 0;
	if (s->priming && s->fifo.len < target)
		return;
	s->priming = false;
	*got = MIN(frames, s->fifo.len);
	audio_fifo_pop(&s->fifo, out, *got);
	if (*got < frames) {
		s->stats.underruns++;
		s->priming = true;
	}
}

static void scream_refuse(struct scream_source *s, const struct error *why)
{
	s->stats.bad_headers++;
	s->idle_mark = -1;
	if (strcmp(s->last_error.msg, why->msg)) { /* once per new complaint */
		s->last_error = *why;
		log_warn("audio: the guest's Scream ring is unusable: %s", why->msg);
	}
	s->active = false;
}

enum scream_state { SCREAM_CLOSED, SCREAM_BAD, SCREAM_OPEN };

/* The header now: no stream (no magic), a refused one (logged), or *l. */
static enum scream_state scream_read_checked(struct scream_source *s, struct scream_header *h,
					     struct scream_layout *l)
{
	struct error err = { "" };
	scream_read_header(s, h);
	if (h->magic != SCREAM_MAGIC)
		return SCREAM_CLOSED;
	if (scream_header_check(h, s->size, l, &err)) {
		scream_refuse(s, &err);
		return SCREAM_BAD;
	}
	return SCREAM_OPEN;
}

static enum audio_pull_result scream_pull(void *opaque, float *out, uint32_t frames,
					  const struct audio_format *fmt, uint32_t *got)
{
	struct scream_source *s = opaque;
	struct scream_header h;
	struct scream_layout l;
	*got = 0;
	enum scream_state st = scream_read_checked(s, &h, &l);
	if (st == SCREAM_CLOSED) {
		/* The driver closed its stream: play out what it wrote, then idle. */
		if (s->active && s->fifo.len && audio_format_equal(&s->cur.fmt, fmt)) {
			s->priming = false;
			*got = MIN(frames, s->fifo.len);
			audio_fifo_pop(&s->fifo, out, *got);
			return AUDIO_PULL_OK;
		}
		s->active = false;
		s->idle_mark = -1;
		return AUDIO_PULL_IDLE;
	}
	if (st == SCREAM_BAD)
		return AUDIO_PULL_IDLE;
	if (!s->active || !scream_layout_equal(&l, &s->cur)) {
		/* A new stream: what is in the ring already is old. */
		bool resume = s->resume_idx >= 0 && scream_layout_equal(&l, &s->cur);
		s->cur = l;
		s->active = true;
		s->read_idx = resume ? (uint16_t)s->resume_idx : h.write_idx;
		s->resume_idx = -1;
		s->stalled_frames = 0;
		fifo_reset(s);
	}
	if (!audio_format_equal(&s->cur.fmt, fmt))
		return AUDIO_PULL_REFORMAT;
	uint64_t before = s->stats.chunks;
	scream_read_new(s, h.write_idx);
	if (s->stats.chunks != before)
		s->stalled_frames = 0;
	else if (!s->fifo.len && (s->stalled_frames += frames) >=
					 (uint64_t)s->cur.fmt.rate * SCREAM_STALL_MS / 1000) {
		s->active = false;
		s->idle_mark = h.write_idx;
		return AUDIO_PULL_IDLE;
	}
	scream_play(s, out, frames, got);
	return AUDIO_PULL_OK;
}

static bool scream_format(void *opaque, struct audio_format *fmt, bool *active)
{
	struct scream_source *s = opaque;
	struct scream_header h;
	struct scream_layout l;
	enum scream_state st = scream_read_checked(s, &h, &l);
	if (st == SCREAM_CLOSED)
		s->idle_mark = -1;
	if (st != SCREAM_OPEN)
		return false;
	if (s->idle_mark == h.write_idx)
		return false; /* stalled, and still no new chunk */
	s->resume_idx = s->idle_mark; /* play from the first new chunk */
	s->idle_mark = -1;
	*fmt = l.fmt;
	*active = true;
	return true;
}

struct audio_source scream_audio_source(struct scream_source *s)
{
	return (struct audio_source){ .pull = scream_pull, .format = scream_format, .opaque = s };
}

int scream_source_init(struct scream_source *s, const volatile uint8_t *shm, uint64_t size,
		       unsigned latency_ms, struct error *err)
{
	memset(s, 0, sizeof(*s));
	if (size < sizeof(struct scream_header))
		return err_setf(err, "Scream region of %llu bytes is smaller than its header",
				(unsigned long long)size);
	s->shm = shm;
	s->size = size;
	s->latency_ms = latency_ms;
	s->idle_mark = s->resume_idx = -1;
	s->fifo_buf = calloc((size_t)SCREAM_FIFO_FRAMES * AUDIO_MAX_CHANNELS, sizeof(float));
	/* Scratch: decoded floats first (16-bit samples double in size, so up
	 * to 2 * SCREAM_MAX_CHUNK bytes), then the raw copy of one slot. */
	s->chunk = malloc(3 * (size_t)SCREAM_MAX_CHUNK);
	if (!s->fifo_buf || !s->chunk) {
		scream_source_fini(s);
		return err_setf(err, "out of memory");
	}
	return 0;
}

void scream_source_fini(struct scream_source *s)
{
	free(s->fifo_buf);
	free(s->chunk);
	s->fifo_buf = NULL;
	s->chunk = NULL;
}
