/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fw_cfg: QEMU's firmware configuration device, the way OVMF (and Linux's
 * qemu_fw_cfg driver) learn what the machine is: CPU counts, the memory map,
 * the boot order, ACPI and SMBIOS tables, as numbered items and named files.
 * The wire format is the kernel's <linux/qemu_fw_cfg.h>; QEMU's
 * docs/specs/fw_cfg.rst describes the behaviour. On x86 it sits at I/O
 * ports 0x510 (selector, 16-bit), 0x511 (data, 8-bit) and 0x514-0x51B (the
 * DMA descriptor's guest address, two big-endian halves; the low half's
 * write starts the transfer; reads give the "QEMU CFG" signature).
 *
 * The guest is hostile: a descriptor outside RAM is ignored, a transfer
 * outside RAM ends with the error bit, a write to an item that is not
 * writable or past its end is refused; nothing a guest writes reaches
 * passvm's memory beyond an item's own bytes.
 *
 * Devices add their items while the VM is created (vm->fw_cfg); the guest
 * reads them from any vCPU thread, one transfer at a time (a mutex).
 */
#ifndef PASSVM_FW_CFG_H
#define PASSVM_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/memory.h"

#define FW_CFG_PORT_BASE 0x510
#define FW_CFG_PORT_LEN 12
#define FW_CFG_MAX_FILES 64

struct fw_cfg;

/* A writable file was written by the guest: bytes [offset, offset + len). */
typedef void (*fw_cfg_written_fn)(void *opaque, uint32_t offset, uint32_t len);

/* An empty device with the signature, the ID (with DMA) and the file
 * directory; DMA goes to and from `mem`. NULL (err set) when out of memory. */
struct fw_cfg *fw_cfg_new(const struct gmem *mem, struct error *err);
void fw_cfg_free(struct fw_cfg *fc);

/* A numbered item (FW_CFG_NB_CPUS, ...); data is copied. Replaces an item
 * of that key. */
int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, uint32_t len,
		    struct error *err);
/* A named file ("etc/e820"), listed in the directory; data is copied.
 * With `written`, the guest may write it through DMA (its bytes only). */
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, uint32_t len,
		    fw_cfg_written_fn written, void *opaque, struct error *err);
/* A file's bytes as the guest left them (NULL: no such file). */
const uint8_t *fw_cfg_file_data(struct fw_cfg *fc, const char *name, uint32_t *len);

/* The guest interface, also what the port handlers call. */
void fw_cfg_select(struct fw_cfg *fc, uint16_t key);
uint8_t fw_cfg_read_byte(struct fw_cfg *fc);
/* Run the DMA descriptor at guest address `desc`. */
void fw_cfg_dma(struct fw_cfg *fc, uint64_t desc);

/* The I/O ports [FW_CFG_PORT_BASE, +FW_CFG_PORT_LEN), opaque = the fw_cfg. */
void fw_cfg_pio_read(void *opaque, uint64_t off, void *data, uint32_t len);
void fw_cfg_pio_write(void *opaque, uint64_t off, const void *data, uint32_t len);

#endif
