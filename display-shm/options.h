/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The display's settings (options.c): [display] and --shm, --shm-size,
 * --view/--no-view; the shm file's `passvm check` line.
 */
#ifndef PASSVM_DSHM_OPTIONS_H
#define PASSVM_DSHM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/options.h"

/* display-shm: the shared-memory frame relay (ivshmem-plain device). */
struct display_config {
	bool enabled;
	const char *shm_path;     /* e.g. /dev/shm/passvm-NAME */
	uint64_t shm_size;        /* bytes, power of two */
	unsigned width, height;   /* the largest mode the guest will send */
	bool hdr;                 /* 64-bit pixels: twice the frame bytes */
	bool viewer;              /* open the SDL viewer window with the VM */
};

extern const struct vmm_options dshm_options;
static inline struct display_config *display_config(const struct vm_config *cfg)
{
	return vmm_options_part(cfg, &dshm_options);
}

/*
 * Looking Glass's shared memory size for frames up to width x height
 * (https://looking-glass.io/docs/B6/install/, "Determining memory"): two
 * frames of 4 bytes a pixel (8 with HDR) plus 10 MiB, rounded up to a power
 * of two (an IVSHMEM BAR is one).
 */
uint64_t dshm_shm_size_for(unsigned width, unsigned height, bool hdr);

#endif
