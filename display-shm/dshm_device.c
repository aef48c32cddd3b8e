// SPDX-License-Identifier: GPL-2.0-only
/*
 * display-shm's device: the ivshmem-plain region (vmm/hw/ivshmem.h) whose
 * host file `passvm view` reads the guest's frames from (PROTOCOL.md).
 */
#include "display-shm/options.h"
#include "vmm/hw/ivshmem.h"
#include "vmm/vm.h"

static int dshm_device_init(struct vm *vm, struct error *err)
{
	const struct display_config *d = display_config(vm->cfg);
	if (!d->enabled)
		return 0;
	if (!d->shm_path)
		return err_setf(err, "ivshmem: no shared-memory file: give --shm PATH");
	struct ivshmem_params p = { .name = "ivshmem", .path = d->shm_path, .size = d->shm_size };
	return ivshmem_create(vm, &p, err) ? 0 : -1;
}

VMM_DEVICE(dshm_device) = {
	.name = "display-shm",
	.order = VMM_ORDER_DEVICE,
	.init = dshm_device_init,
};
