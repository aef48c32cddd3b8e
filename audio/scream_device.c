// SPDX-License-Identifier: GPL-2.0-only
/*
 * [audio] device = scream: an ivshmem-plain device (anonymous memory,
 * scream-size bytes: the guest's Scream driver picks the ivshmem device of
 * its UseIVSHMEM size) whose ring scream.c reads and PipeWire plays.
 */
#include <stdlib.h>

#include "audio/audio.h"
#include "audio/options.h"
#include "audio/scream.h"
#include "vmm/hw/ivshmem.h"
#include "vmm/vm.h"

struct scream_device {
	struct scream_source src;
	const struct audio_sink_ops *sink_ops;
	struct audio_sink *sink;
};

/* Before the ivshmem device (added earlier, so removed later) unmaps the ring. */
static void scream_device_destroy(struct vm *vm, void *state)
{
	struct scream_device *d = state;
	if (d->sink) {
		d->sink_ops->stop(d->sink);
		const struct scream_stats *st = &d->src.stats;
		log_info("audio: Scream: %llu chunks, %llu underruns, %llu frames dropped, "
			 "%llu chunks missed, %llu bad headers", (unsigned long long)st->chunks,
			 (unsigned long long)st->underruns, (unsigned long long)st->dropped_frames,
			 (unsigned long long)st->skipped_chunks, (unsigned long long)st->bad_headers);
	}
	scream_source_fini(&d->src);
	free(d);
}

static int scream_device_init(struct vm *vm, struct error *err)
{
	const struct audio_config *a = audio_config(vm->cfg);
	if (!a->enabled || a->device != AUDIO_DEVICE_SCREAM)
		return 0;
	const struct vmm_options *twin = audio_scream_size_twin(vm->cfg);
	if (twin)
		return err_setf(err, "[audio] scream-size and [%s] size are both %llu MiB: the "
				"guest's drivers tell their ivshmem devices apart by size; make them "
				"differ (Scream's usual is 2M, the display's is 16M or more)",
				twin->section, (unsigned long long)(a->scream_size / MiB));
	struct ivshmem_params ip = { .name = "ivshmem-scream", .path = NULL,
				     .size = a->scream_size };
	struct ivshmem *shm = ivshmem_create(vm, &ip, err);
	if (!shm)
		return err_prefix(err, "[audio] Scream");
	struct scream_device *d = calloc(1, sizeof(*d));
	if (!d)
		return err_setf(err, "out of memory");
	d->sink_ops = &audio_sink_pipewire;
	if (vm_device_add(vm, "scream", d, scream_device_destroy, err)) {
		free(d);
		return -1;
	}
	if (scream_source_init(&d->src, ivshmem_memory(shm), ivshmem_size(shm), a->latency_ms,
			       err))
		return err_prefix(err, "[audio] Scream");
	d->sink = audio_sink_start_for(d->sink_ops, vm->cfg->name, "Scream", a->target,
				       a->latency_ms, scream_audio_source(&d->src), err);
	if (!d->sink)
		return err_prefix(err, "[audio]");
	log_info("audio: Scream ring of %llu MiB (guest: Scream with UseIVSHMEM=%llu)",
		 (unsigned long long)(a->scream_size / MiB),
		 (unsigned long long)(a->scream_size / MiB));
	return 0;
}

VMM_DEVICE(scream_device) = {
	.name = "scream",
	.order = VMM_ORDER_DEVICE,
	.init = scream_device_init,
};
