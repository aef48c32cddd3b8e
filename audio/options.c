// SPDX-License-Identifier: GPL-2.0-only
/*
 * [audio] (device, scream-size, target, latency) and its flags. Setting any
 * of them turns audio on; --audio off turns it off. `passvm check` says
 * what the guest needs for the device and whether PipeWire is there.
 */
#include <stdio.h>
#include <string.h>

#include "audio/audio.h"
#include "audio/options.h"

static struct audio_config *A(struct vmm_option_ctx *ctx)
{
	return ctx->part;
}

/* A value turns [audio] on with its defaults (a header does the same). */
static int audio_open(struct vmm_option_ctx *ctx, const char *item, struct error *err)
{
	struct audio_config *a = A(ctx);
	a->enabled = true;
	if (!a->latency_ms)
		a->latency_ms = AUDIO_DEFAULT_LATENCY_MS;
	if (!a->scream_size)
		a->scream_size = AUDIO_DEFAULT_SCREAM_SIZE;
	return 0;
}

static int audio_set_device(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct audio_config *a = A(ctx);
	if (ctx->flag && !strcmp(v, "off")) {
		a->enabled = false;
		return 0;
	}
	if (!strcmp(v, "scream"))
		a->device = AUDIO_DEVICE_SCREAM;
	else if (!strcmp(v, "virtio-snd"))
		a->device = AUDIO_DEVICE_VIRTIO_SND;
	else
		return err_setf(err, "use scream (Windows guests with the Scream driver) or "
				"virtio-snd (Linux guests)");
	return ctx->flag ? audio_open(ctx, NULL, err) : 0;
}

static int audio_set_scream_size(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	uint64_t size;
	if (parse_size(v, &size) || size < MiB || size > 64 * MiB || (size & (size - 1)))
		return err_setf(err, "write a power of two from 1M to 64M, like 2M (the same "
				"number of MiB as Scream's UseIVSHMEM registry value in the guest)");
	A(ctx)->scream_size = size;
	return ctx->flag ? audio_open(ctx, NULL, err) : 0;
}

static int audio_set_target(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	if (vmm_option_str(ctx, v, &A(ctx)->target, err))
		return -1;
	return ctx->flag ? audio_open(ctx, NULL, err) : 0;
}

static int audio_set_latency(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	if (vmm_option_uint(v, 1, AUDIO_MAX_LATENCY_MS, &A(ctx)->latency_ms))
		return err_setf(err, "give milliseconds from 1 to %d, like 20", AUDIO_MAX_LATENCY_MS);
	return ctx->flag ? audio_open(ctx, NULL, err) : 0;
}

static const struct vmm_option audio_option_list[] = {
	{ .key = "device", .flag = "audio", .arg = "scream|virtio-snd|off", .set = audio_set_device,
	  .help = "guest audio into PipeWire:\n"
		  "scream: an ivshmem ring for Windows' Scream driver;\n"
		  "virtio-snd: a sound card for Linux's virtio_snd" },
	{ .key = "scream-size", .flag = "scream-size", .arg = "SIZE", .set = audio_set_scream_size,
	  .help = "the Scream ring's ivshmem size, 1M-64M (default 2M;\n"
		  "Scream's UseIVSHMEM registry value, in MiB)" },
	{ .key = "target", .flag = "audio-target", .arg = "NODE", .set = audio_set_target,
	  .help = "the PipeWire node to play into (default: the\n"
		  "desktop's default output)" },
	{ .key = "latency", .flag = "audio-latency", .arg = "MS", .set = audio_set_latency,
	  .help = "buffer in milliseconds (default 20)" },
};

static uint64_t audio_ivshmem_size(const struct vm_config *cfg)
{
	const struct audio_config *a = audio_config(cfg);
	return a->enabled && a->device == AUDIO_DEVICE_SCREAM ? a->scream_size : 0;
}

const struct vmm_options *audio_scream_size_twin(const struct vm_config *cfg)
{
	return vmm_options_ivshmem_twin(cfg, &audio_options);
}

/* ---- passvm check: the device, PipeWire reachable, the target there ---------- */

/* The sinks PipeWire has, for a fix line: "a, b, c (and 3 more)". */
static void audio_sink_list(const struct audio_probe *p, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < p->nr_sinks && i < AUDIO_PROBE_MAX_SINKS && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", p->sinks[i]);
	if (p->nr_sinks > AUDIO_PROBE_MAX_SINKS && n < len)
		snprintf(buf + n, len - n, " (and %u more)", p->nr_sinks - AUDIO_PROBE_MAX_SINKS);
}

static void audio_check_device(struct report *r, const struct vm_config *cfg)
{
	const struct audio_config *a = audio_config(cfg);
	const struct vmm_options *twin = audio_scream_size_twin(cfg);
	if (a->device == AUDIO_DEVICE_VIRTIO_SND)
		report_add(r, REPORT_OK, "audio device", "virtio-snd: Linux guests' virtio_snd "
			   "driver (CONFIG_SND_VIRTIO, Linux 5.13+)");
	else if (twin)
		report_fix(report_add(r, REPORT_FAIL, "audio device", "Scream's ring and the "
				      "%s's ivshmem are both %llu MiB: the guest's drivers find "
				      "their device by size", twin->section,
				      (unsigned long long)(a->scream_size / MiB)),
			   "give [audio] scream-size another size than [%s] size (2M is "
			   "Scream's usual)", twin->section);
	else
		report_add(r, REPORT_OK, "audio device", "Scream ring, %llu MiB of ivshmem: in the "
			   "guest, Scream's registry value UseIVSHMEM must be %llu",
			   (unsigned long long)(a->scream_size / MiB),
			   (unsigned long long)(a->scream_size / MiB));
}

static void audio_check(struct report *r, const struct check_env *env,
			const struct vm_config *cfg)
{
	const struct audio_config *a = audio_config(cfg);
	if (!a->enabled)
		return;
	audio_check_device(r, cfg);
	struct audio_probe p;
	struct error err;
	if (audio_pipewire_probe(a->target, &p, &err)) {
		report_fix(report_add(r, REPORT_FAIL, "PipeWire", "%s", err.msg),
			   "run passvm as the desktop user, or as root with PIPEWIRE_RUNTIME_DIR "
			   "set to that user's runtime directory (like /run/user/1000); or leave "
			   "[audio] out");
		return;
	}
	char sinks[512];
	audio_sink_list(&p, sinks, sizeof(sinks));
	if (a->target && !p.target_found) {
		report_fix(report_add(r, REPORT_FAIL, "audio target", "PipeWire %s has no output "
				      "named %s", p.version, a->target),
			   p.nr_sinks ? "set [audio] target to one of: %s; or leave it out for the "
					"default output"
				      : "%sconnect an output device, or leave target out",
			   sinks);
		return;
	}
	report_add(r, REPORT_OK, "PipeWire", "%s reachable; the guest plays into %s", p.version,
		   a->target ? a->target : "the default output");
}

VMM_OPTIONS(audio_options) = {
	.section = "audio", .order = 80, .size = sizeof(struct audio_config),
	.options = audio_option_list, .nr_options = ARRAY_SIZE(audio_option_list),
	.open = audio_open, .check = audio_check, .ivshmem_size = audio_ivshmem_size,
};
