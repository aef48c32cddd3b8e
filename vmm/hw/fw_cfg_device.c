// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fw_cfg device every VM gets (fw_cfg.h), with what OVMF asks first:
 * the CPU counts (without FW_CFG_NB_CPUS it counts APs until a timeout)
 * and etc/e820 (without it, it falls back to the CMOS bytes). Other
 * devices add their files through vm->fw_cfg.
 */
#include <endian.h>
#include <linux/qemu_fw_cfg.h>

#include "vmm/boot/e820.h"
#include "vmm/hw/fw_cfg.h"
#include "vmm/vm.h"

static const struct bus_ops fw_cfg_pio_ops = { .read = fw_cfg_pio_read,
					       .write = fw_cfg_pio_write };

/* etc/e820 as QEMU gives it: the RAM ranges, each {le64 addr, le64 size, le32 type}. */
static int fw_cfg_add_e820(struct vm *vm, struct error *err)
{
	struct e820_map map;
	if (e820_build(&vm->layout, &map, err))
		return -1;
	struct {
		uint64_t addr, size;
		uint32_t type;
	} __attribute__((packed)) out[E820_MAX_ENTRIES];
	unsigned n = 0;
	for (unsigned i = 0; i < map.nr; i++) {
		if (map.entries[i].type != E820_RAM)
			continue;
		out[n].addr = htole64(map.entries[i].addr);
		out[n].size = htole64(map.entries[i].size);
		out[n].type = htole32(map.entries[i].type);
		n++;
	}
	return fw_cfg_add_file(vm->fw_cfg, "etc/e820", out, (uint32_t)(n * sizeof(out[0])), NULL,
			       NULL, err);
}

static void fw_cfg_device_destroy(struct vm *vm, void *state)
{
	fw_cfg_free(state);
	vm->fw_cfg = NULL;
}

static int fw_cfg_device_init(struct vm *vm, struct error *err)
{
	struct fw_cfg *fc = fw_cfg_new(&vm->mem, err);
	if (!fc)
		return -1;
	if (vm_device_add(vm, "fw_cfg", fc, fw_cfg_device_destroy, err)) {
		fw_cfg_free(fc);
		return -1;
	}
	vm->fw_cfg = fc;
	uint16_t cpus = htole16((uint16_t)vm->cfg->cpus);
	if (fw_cfg_add_item(fc, FW_CFG_NB_CPUS, &cpus, sizeof(cpus), err) ||
	    fw_cfg_add_item(fc, FW_CFG_MAX_CPUS, &cpus, sizeof(cpus), err) ||
	    fw_cfg_add_e820(vm, err))
		return -1;
	return bus_register(&vm->pio, FW_CFG_PORT_BASE, FW_CFG_PORT_LEN, &fw_cfg_pio_ops, fc,
			    "fw_cfg", err);
}

VMM_DEVICE(fw_cfg_device) = {
	.name = "fw_cfg",
	.order = VMM_ORDER_PLATFORM,
	.init = fw_cfg_device_init,
};
