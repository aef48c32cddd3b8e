/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Audio's settings (options.c): [audio] and --audio, --audio-target,
 * --audio-latency, --scream-size; the device and PipeWire `passvm check`
 * lines.
 */
#ifndef PASSVM_AUDIO_OPTIONS_H
#define PASSVM_AUDIO_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/options.h"

#define AUDIO_DEFAULT_LATENCY_MS 20
#define AUDIO_MAX_LATENCY_MS 1000
#define AUDIO_DEFAULT_SCREAM_SIZE (2 * MiB)

enum audio_device {
	AUDIO_DEVICE_SCREAM = 0,  /* Scream's IVSHMEM ring (Windows' Scream driver) */
	AUDIO_DEVICE_VIRTIO_SND,  /* virtio-snd (Linux guests) */
};

/* Guest audio into PipeWire. */
struct audio_config {
	bool enabled;
	enum audio_device device;
	const char *target;       /* PipeWire node name, NULL: the default sink */
	unsigned latency_ms;
	uint64_t scream_size;     /* the Scream ring's ivshmem BAR, bytes (power of two) */
};

extern const struct vmm_options audio_options;
static inline struct audio_config *audio_config(const struct vm_config *cfg)
{
	return vmm_options_part(cfg, &audio_options);
}

/* Another ivshmem device of the Scream ring's size (NULL: none): the
 * guest's drivers tell their ivshmem devices apart by size. */
const struct vmm_options *audio_scream_size_twin(const struct vm_config *cfg);

#endif
