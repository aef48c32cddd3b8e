// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PipeWire audio sink (audio.h): one playback stream, 32-bit float in
 * the guest's rate and channel layout (PipeWire converts to whatever the
 * output device takes), autoconnected to the profile's target node or the
 * default output, with the profile's latency as its node.latency.
 *
 * Threads: a pw_thread_loop of its own, and PipeWire's data thread, where
 * the process callback runs (PW_STREAM_FLAG_RT_PROCESS: the buffer filled
 * is the one this graph cycle plays; filled ahead from the main loop,
 * PipeWire 0.3.65 dropped some of them while the stream was being linked).
 * The callback pulls from the source; a format change or an idle guest is
 * acted on by an event on the thread loop, so the stream is never
 * reconnected from inside its own callback. s->lock serializes the two
 * threads' use of the source and of the sink's state. While the guest plays
 * nothing the stream is paused (no node kept running on the desktop's graph)
 * and a 20 ms timer asks the source when it plays again.
 *
 * PipeWire going away (the desktop session restarts it, the user logs out
 * and in) does not end the VM's sound: the sink drops its connection and
 * connects again once a second until PipeWire is back, then goes on with
 * whatever the guest plays by then (the devices keep the guest's audio
 * clock running meanwhile: virtio-snd's watchdog, Scream's own pacing).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pipewire/pipewire.h>
#include <spa/param/audio/format-utils.h>

#include "audio/audio.h"

#define PW_IDLE_POLL_NS (20 * 1000 * 1000)
#define PW_IDLE_PAUSE_MS 300
#define PW_RECONNECT_NS (1000 * 1000 * 1000)

struct audio_sink {
	struct audio_sink_params p;
	char *node_name, *description, *target;
	struct pw_thread_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	struct spa_hook core_listener;
	struct spa_source *reconnect_timer;
	bool lost;                        /* PipeWire went away; reconnecting */
	struct spa_source *change_event;  /* the callback saw a format change or idle */
	struct spa_source *idle_timer;
	struct audio_format fmt;          /* the stream's, when connected */
	pthread_mutex_t lock;             /* the source, fmt, paused, last, idle_frames */
	bool connected, paused;
	enum audio_pull_result last;      /* what process() last got: for change_event */
	uint64_t idle_frames;             /* silence played since the guest went idle */
};

static const uint32_t pw_positions[] = {
	[AUDIO_POS_UNKNOWN] = SPA_AUDIO_CHANNEL_UNKNOWN, [AUDIO_POS_MONO] = SPA_AUDIO_CHANNEL_MONO,
	[AUDIO_POS_FL] = SPA_AUDIO_CHANNEL_FL, [AUDIO_POS_FR] = SPA_AUDIO_CHANNEL_FR,
	[AUDIO_POS_FC] = SPA_AUDIO_CHANNEL_FC, [AUDIO_POS_LFE] = SPA_AUDIO_CHANNEL_LFE,
	[AUDIO_POS_RL] = SPA_AUDIO_CHANNEL_RL, [AUDIO_POS_RR] = SPA_AUDIO_CHANNEL_RR,
	[AUDIO_POS_FLC] = SPA_AUDIO_CHANNEL_FLC, [AUDIO_POS_FRC] = SPA_AUDIO_CHANNEL_FRC,
	[AUDIO_POS_RC] = SPA_AUDIO_CHANNEL_RC, [AUDIO_POS_SL] = SPA_AUDIO_CHANNEL_SL,
	[AUDIO_POS_SR] = SPA_AUDIO_CHANNEL_SR,
};

/* ---- the stream's callback (loop thread) ------------------------------------------- */

static void pw_sink_process(void *data)
{
	struct audio_sink *s = data;
	struct pw_buffer *b = pw_stream_dequeue_buffer(s->stream);
	if (!b)
		return;
	struct spa_data *d = &b->buffer->datas[0];
	pthread_mutex_lock(&s->lock);
	uint32_t stride = (uint32_t)sizeof(float) * s->fmt.channels;
	uint32_t frames = stride ? d->maxsize / stride : 0;
	if (b->requested && b->requested < frames)
		frames = (uint32_t)b->requested;
	uint32_t got = 0;
	enum audio_pull_result r = AUDIO_PULL_OK;
	if (d->data && frames) {
		float *out = d->data;
		r = s->p.source.pull(s->p.source.opaque, out, frames, &s->fmt, &got);
		if (r != AUDIO_PULL_OK)
			got = 0;
		memset(out + (size_t)got * s->fmt.channels, 0, (size_t)(frames - got) * stride);
	}
	/* An idle guest: keep playing silence a while before pausing, so the
	 * periods already handed to PipeWire (the guest's last sound) are
	 * heard, and a short pause between sounds does not restart the stream. */
	if (r == AUDIO_PULL_IDLE)
		s->idle_frames += frames;
	else
		s->idle_frames = 0;
	bool signal = r != AUDIO_PULL_OK && !s->paused &&
		      (r != AUDIO_PULL_IDLE ||
		       s->idle_frames >= (uint64_t)s->fmt.rate * PW_IDLE_PAUSE_MS / 1000);
	if (signal)
		s->last = r;
	pthread_mutex_unlock(&s->lock);
	d->chunk->offset = 0;
	d->chunk->stride = (int32_t)stride;
	d->chunk->size = frames * stride;
	pw_stream_queue_buffer(s->stream, b);
	if (signal)
		pw_loop_signal_event(pw_thread_loop_get_loop(s->loop), s->change_event);
}

static void pw_sink_state_changed(void *data, enum pw_stream_state old,
				  enum pw_stream_state state, const char *error)
{
	if (state == PW_STREAM_STATE_ERROR)
		log_warn("audio: the PipeWire stream failed: %s", error ? error : "no reason given");
}

static const struct pw_stream_events pw_sink_stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = pw_sink_state_changed,
	.process = pw_sink_process,
};

/* ---- (re)connecting and pausing (the thread loop's thread) ------------------------- */

static int pw_sink_connect(struct audio_sink *s, const struct audio_format *fmt, bool active)
{
	if (s->connected) {
		pw_stream_disconnect(s->stream);
		s->connected = false;
	}
	struct spa_audio_info_raw info = { .format = SPA_AUDIO_FORMAT_F32, .rate = fmt->rate,
					   .channels = fmt->channels };
	for (uint32_t i = 0; i < fmt->channels && i < SPA_AUDIO_MAX_CHANNELS; i++)
		info.position[i] = fmt->position[i] < ARRAY_SIZE(pw_positions)
					   ? pw_positions[fmt->position[i]]
					   : SPA_AUDIO_CHANNEL_UNKNOWN;
	uint8_t buf[1024];
	struct spa_pod_builder bld = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[1] = {
		spa_format_audio_raw_build(&bld, SPA_PARAM_EnumFormat, &info),
	};
	char latency[64];
	snprintf(latency, sizeof(latency), "%u/%u",
		 (unsigned)((uint64_t)fmt->rate * s->p.latency_ms / 1000), fmt->rate);
	struct spa_dict_item items[] = { { PW_KEY_NODE_LATENCY, latency } };
	pw_stream_update_properties(s->stream, &SPA_DICT_INIT_ARRAY(items));
	pthread_mutex_lock(&s->lock);
	s->fmt = *fmt;
	pthread_mutex_unlock(&s->lock);
	int r = pw_stream_connect(s->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
				  PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
					  PW_STREAM_FLAG_RT_PROCESS |
					  (active ? 0 : PW_STREAM_FLAG_INACTIVE),
				  params, 1);
	if (r < 0) {
		log_warn("audio: cannot connect the PipeWire stream: %s", strerror(-r));
		return r;
	}
	s->connected = true;
	char desc[128];
	audio_format_describe(fmt, desc, sizeof(desc));
	log_info("audio: guest plays %s into PipeWire (%s, latency %s)", desc,
		 s->target ? s->target : "the default output", latency);
	return 0;
}

static void pw_sink_poll(struct audio_sink *s, bool on)
{
	struct timespec every = { 0, PW_IDLE_POLL_NS };
	pw_loop_update_timer(pw_thread_loop_get_loop(s->loop), s->idle_timer, on ? &every : NULL,
			     on ? &every : NULL, false);
}

static void pw_sink_pause(struct audio_sink *s)
{
	if (!s->stream)
		return; /* PipeWire is gone: reconnecting */
	if (s->connected)
		pw_stream_set_active(s->stream, false);
	pthread_mutex_lock(&s->lock);
	s->paused = true;
	pthread_mutex_unlock(&s->lock);
	pw_sink_poll(s, true);
}

/* The guest's format now: play it (reconnecting if it changed), be ready
 * for it (connected, paused), or pause. */
static void pw_sink_follow_source(struct audio_sink *s)
{
	struct audio_format fmt = { 0 };
	bool active = false;
	if (!s->stream)
		return; /* PipeWire is gone: reconnecting */
	pthread_mutex_lock(&s->lock);
	bool known = s->p.source.format(s->p.source.opaque, &fmt, &active);
	bool same = audio_format_equal(&fmt, &s->fmt);
	pthread_mutex_unlock(&s->lock);
	if (!known) {
		if (!s->paused)
			pw_sink_pause(s);
		return;
	}
	if (!s->connected || !same) {
		if (pw_sink_connect(s, &fmt, active))
			return; /* the timer tries again */
	} else if (active == s->paused) {
		pw_stream_set_active(s->stream, active);
	}
	pthread_mutex_lock(&s->lock);
	s->paused = !active;
	s->idle_frames = 0;
	pthread_mutex_unlock(&s->lock);
	pw_sink_poll(s, !active);
}

static void pw_sink_on_change(void *data, uint64_t count)
{
	struct audio_sink *s = data;
	pthread_mutex_lock(&s->lock);
	enum audio_pull_result last = s->last;
	pthread_mutex_unlock(&s->lock);
	if (last == AUDIO_PULL_IDLE)
		pw_sink_pause(s);
	else
		pw_sink_follow_source(s);
}

static void pw_sink_on_timer(void *data, uint64_t expirations)
{
	pw_sink_follow_source(data);
}

/* ---- start / stop ------------------------------------------------------------------ */

/* ---- the connection: made at start, made again after PipeWire left ----------------- */

/*
 * passvm runs as root for VFIO, usually through sudo, and the desktop's
 * PipeWire is the user's. With nothing set that says where PipeWire is
 * (PIPEWIRE_REMOTE, PIPEWIRE_RUNTIME_DIR, an XDG_RUNTIME_DIR other than
 * root's: sudo drops it), the user sudo ran for ($SUDO_UID) has it in
 * /run/user/UID: that socket, when it is there. NULL: PipeWire's default.
 */
static const char *pw_remote_under_sudo(char *buf, size_t len)
{
	const char *uid = getenv("SUDO_UID"), *xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() != 0 || getenv("PIPEWIRE_REMOTE") || getenv("PIPEWIRE_RUNTIME_DIR") ||
	    !uid || !*uid || strspn(uid, "0123456789") != strlen(uid) || !strcmp(uid, "0") ||
	    (xdg && *xdg && strcmp(xdg, "/run/user/0")))
		return NULL;
	snprintf(buf, len, "%s/%s/pipewire-0", getenv("PASSVM_RUN_USER_ROOT") ?
		 getenv("PASSVM_RUN_USER_ROOT") : "/run/user", uid);
	struct stat st;
	return !stat(buf, &st) && S_ISSOCK(st.st_mode) ? buf : NULL;
}

/* Connect, or NULL with err naming the socket tried. */
static struct pw_core *pw_connect(struct pw_context *ctx, struct error *err)
{
	char buf[256];
	const char *remote = pw_remote_under_sudo(buf, sizeof(buf));
	struct pw_properties *props =
		remote ? pw_properties_new(PW_KEY_REMOTE_NAME, remote, NULL) : NULL;
	struct pw_core *core = pw_context_connect(ctx, props, 0);
	if (!core) {
		const char *dir = getenv("PIPEWIRE_RUNTIME_DIR");
		if (!dir)
			dir = getenv("XDG_RUNTIME_DIR");
		if (!remote)
			snprintf(buf, sizeof(buf), "pipewire-0 in %s",
				 dir ? dir : "$XDG_RUNTIME_DIR (unset)");
		err_setf(err, "cannot connect to PipeWire (%s): %s", buf, strerror(errno));
	}
	return core;
}

static void pw_sink_close_core(struct audio_sink *s)
{
	if (s->stream)
		pw_stream_destroy(s->stream);
	s->stream = NULL;
	if (s->core)
		pw_core_disconnect(s->core);
	s->core = NULL;
	s->connected = false;
}

static int pw_sink_open_core(struct audio_sink *s, struct error *err);

static void pw_sink_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct audio_sink *s = data;
	if (id != PW_ID_CORE || res != -EPIPE || s->lost)
		return;
	log_warn("audio: PipeWire went away (%s); connecting again every second",
		 message ? message : strerror(-res));
	s->lost = true;
	struct timespec every = { 1, 0 };
	pw_loop_update_timer(pw_thread_loop_get_loop(s->loop), s->reconnect_timer, &every, &every,
			     false);
}

static const struct pw_core_events pw_sink_core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = pw_sink_core_error,
};

static void pw_sink_on_reconnect(void *data, uint64_t expirations)
{
	struct audio_sink *s = data;
	if (!s->lost)
		return;
	pw_sink_close_core(s);
	struct error err;
	if (pw_sink_open_core(s, &err))
		return; /* not back yet: the timer tries again */
	s->lost = false;
	pw_loop_update_timer(pw_thread_loop_get_loop(s->loop), s->reconnect_timer, NULL, NULL,
			     false);
	log_info("audio: PipeWire is back; playing on");
	pthread_mutex_lock(&s->lock);
	s->paused = false; /* so that follow_source pauses or plays afresh */
	pthread_mutex_unlock(&s->lock);
	pw_sink_follow_source(s);
}

/* Connect to PipeWire and create the (unconnected) stream. */
static int pw_sink_open_core(struct audio_sink *s, struct error *err)
{
	struct error why;
	s->core = pw_connect(s->context, &why);
	if (!s->core)
		return err_setf(err, "%s; start PipeWire for this user, or, running as root "
				"(without sudo, which passvm follows to the user's /run/user/UID), "
				"point PIPEWIRE_RUNTIME_DIR at the desktop user's (like "
				"/run/user/1000), or leave [audio] out", why.msg);
	spa_zero(s->core_listener);
	pw_core_add_listener(s->core, &s->core_listener, &pw_sink_core_events, s);
	struct pw_properties *props = pw_properties_new(
		PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY, "Playback",
		PW_KEY_MEDIA_ROLE, "Game", PW_KEY_NODE_NAME, s->node_name,
		PW_KEY_NODE_DESCRIPTION, s->description, PW_KEY_APP_NAME, "passvm", NULL);
	if (props && s->target)
		pw_properties_set(props, "target.object", s->target);
	s->stream = props ? pw_stream_new(s->core, s->node_name, props) : NULL;
	if (!s->stream) {
		int e = errno;
		pw_sink_close_core(s);
		return err_setf(err, "PipeWire: cannot create the playback stream: %s", strerror(e));
	}
	spa_zero(s->stream_listener);
	pw_stream_add_listener(s->stream, &s->stream_listener, &pw_sink_stream_events, s);
	return 0;
}

/* ---- start / stop ------------------------------------------------------------------ */

static void pw_sink_stop(struct audio_sink *s)
{
	if (!s)
		return;
	if (s->loop)
		pw_thread_loop_stop(s->loop); /* joins: no callback runs after this */
	pw_sink_close_core(s);
	if (s->loop) {
		struct pw_loop *l = pw_thread_loop_get_loop(s->loop);
		if (s->change_event)
			pw_loop_destroy_source(l, s->change_event);
		if (s->idle_timer)
			pw_loop_destroy_source(l, s->idle_timer);
		if (s->reconnect_timer)
			pw_loop_destroy_source(l, s->reconnect_timer);
	}
	if (s->context)
		pw_context_destroy(s->context);
	if (s->loop)
		pw_thread_loop_destroy(s->loop);
	pthread_mutex_destroy(&s->lock);
	free(s->node_name);
	free(s->description);
	free(s->target);
	free(s);
}

static struct audio_sink *pw_sink_start(const struct audio_sink_params *p, struct error *err)
{
	pw_init(NULL, NULL);
	struct audio_sink *s = calloc(1, sizeof(*s));
	if (!s) {
		err_setf(err, "out of memory");
		return NULL;
	}
	s->p = *p;
	pthread_mutex_init(&s->lock, NULL);
	s->node_name = strdup(p->node_name);
	s->description = strdup(p->description);
	s->target = p->target ? strdup(p->target) : NULL;
	s->loop = pw_thread_loop_new("passvm-audio", NULL);
	if (!s->node_name || !s->description || (p->target && !s->target) || !s->loop) {
		err_setf(err, "out of memory");
		goto fail;
	}
	struct pw_loop *l = pw_thread_loop_get_loop(s->loop);
	s->context = pw_context_new(l, NULL, 0);
	if (!s->context) {
		err_setf(err, "PipeWire: cannot create a context: %s", strerror(errno));
		goto fail;
	}
	s->change_event = pw_loop_add_event(l, pw_sink_on_change, s);
	s->idle_timer = pw_loop_add_timer(l, pw_sink_on_timer, s);
	s->reconnect_timer = pw_loop_add_timer(l, pw_sink_on_reconnect, s);
	if (!s->change_event || !s->idle_timer || !s->reconnect_timer) {
		err_setf(err, "PipeWire: cannot set its loop up: %s", strerror(errno));
		goto fail;
	}
	if (pw_sink_open_core(s, err))
		goto fail;
	pw_sink_follow_source(s); /* the loop is not running yet: no lock needed */
	if (pw_thread_loop_start(s->loop)) {
		err_setf(err, "PipeWire: cannot start its thread");
		goto fail;
	}
	return s;
fail:
	pw_sink_stop(s);
	return NULL;
}

const struct audio_sink_ops audio_sink_pipewire = {
	.name = "pipewire",
	.start = pw_sink_start,
	.stop = pw_sink_stop,
};

/* ---- passvm check: can we reach PipeWire, and is the target there? ----------------- */

struct pw_probe_ctx {
	struct pw_main_loop *loop;
	struct audio_probe *out;
	const char *target;
	int sync_seq;
	bool done;
};

static void pw_probe_global(void *data, uint32_t id, uint32_t permissions, const char *type,
			    uint32_t version, const struct spa_dict *props)
{
	struct pw_probe_ctx *c = data;
	if (strcmp(type, PW_TYPE_INTERFACE_Node) || !props)
		return;
	const char *cls = spa_dict_lookup(props, PW_KEY_MEDIA_CLASS);
	const char *name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
	if (!cls || !name || strcmp(cls, "Audio/Sink"))
		return;
	if (c->target && !strcmp(name, c->target))
		c->out->target_found = true;
	if (c->out->nr_sinks < AUDIO_PROBE_MAX_SINKS)
		snprintf(c->out->sinks[c->out->nr_sinks], sizeof(c->out->sinks[0]), "%s", name);
	c->out->nr_sinks++;
}

static const struct pw_registry_events pw_probe_registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = pw_probe_global,
};

static void pw_probe_core_done(void *data, uint32_t id, int seq)
{
	struct pw_probe_ctx *c = data;
	if (id == PW_ID_CORE && seq == c->sync_seq) {
		c->done = true;
		pw_main_loop_quit(c->loop);
	}
}

static void pw_probe_core_info(void *data, const struct pw_core_info *info)
{
	struct pw_probe_ctx *c = data;
	snprintf(c->out->version, sizeof(c->out->version), "%s", info->version ? info->version : "?");
}

static const struct pw_core_events pw_probe_core_events = {
	PW_VERSION_CORE_EVENTS,
	.info = pw_probe_core_info,
	.done = pw_probe_core_done,
};

static void pw_probe_timeout(void *data, uint64_t expirations)
{
	pw_main_loop_quit(((struct pw_probe_ctx *)data)->loop);
}

int audio_pipewire_probe(const char *target, struct audio_probe *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	pw_init(NULL, NULL);
	struct pw_probe_ctx c = { .out = out, .target = target };
	struct pw_context *ctx = NULL;
	struct pw_core *core = NULL;
	struct pw_registry *reg = NULL;
	struct spa_hook core_l, reg_l;
	int r = -1;
	c.loop = pw_main_loop_new(NULL);
	if (!c.loop || !(ctx = pw_context_new(pw_main_loop_get_loop(c.loop), NULL, 0))) {
		err_setf(err, "cannot set PipeWire up: %s", strerror(errno));
		goto out;
	}
	core = pw_connect(ctx, err);
	if (!core)
		goto out;
	spa_zero(core_l);
	spa_zero(reg_l);
	pw_core_add_listener(core, &core_l, &pw_probe_core_events, &c);
	reg = pw_core_get_registry(core, PW_VERSION_REGISTRY, 0);
	pw_registry_add_listener(reg, &reg_l, &pw_probe_registry_events, &c);
	c.sync_seq = pw_core_sync(core, PW_ID_CORE, 0);
	struct pw_loop *l = pw_main_loop_get_loop(c.loop);
	struct spa_source *t = pw_loop_add_timer(l, pw_probe_timeout, &c);
	struct timespec three = { 3, 0 };
	if (t)
		pw_loop_update_timer(l, t, &three, NULL, false);
	pw_main_loop_run(c.loop);
	if (t)
		pw_loop_destroy_source(l, t);
	if (!c.done) {
		err_setf(err, "PipeWire did not answer within 3 s");
		goto out;
	}
	r = 0;
out:
	if (reg)
		pw_proxy_destroy((struct pw_proxy *)reg);
	if (core)
		pw_core_disconnect(core);
	if (ctx)
		pw_context_destroy(ctx);
	if (c.loop)
		pw_main_loop_destroy(c.loop);
	return r;
}
