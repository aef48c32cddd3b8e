// SPDX-License-Identifier: GPL-2.0-only
/*
 * fw_cfg (fw_cfg.h): the item store, the selector/data ports and the DMA
 * interface, on guest memory alone (the fuzz target and unit test use it
 * without a VM). The machine's device is fw_cfg_device.c.
 */
#include "vmm/hw/fw_cfg.h"

#include <endian.h>
#include <linux/qemu_fw_cfg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define FW_CFG_MAX_ITEMS (FW_CFG_MAX_FILES + 32)
#define FW_CFG_DMA_DESC_LEN 16u
#define FW_CFG_PORT_SELECTOR 0
#define FW_CFG_PORT_DATA 1
#define FW_CFG_PORT_DMA_HIGH 4
#define FW_CFG_PORT_DMA_LOW 8

_Static_assert(sizeof(struct fw_cfg_file) == 64, "fw_cfg directory entry");
_Static_assert(sizeof(struct fw_cfg_dma_access) == FW_CFG_DMA_DESC_LEN, "fw_cfg DMA descriptor");

struct fw_cfg_item {
	uint16_t key;
	uint8_t *data;
	uint32_t len;
	char name[FW_CFG_MAX_FILE_PATH];   /* "" for a numbered item */
	fw_cfg_written_fn written;         /* NULL: read-only */
	void *opaque;
};

struct fw_cfg {
	const struct gmem *mem;
	pthread_mutex_t lock;
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
	unsigned nr_items, nr_files;
	int cur;                  /* the selected item's index, -1: none */
	uint64_t offset;          /* into the selected item */
	_Atomic uint32_t dma_high; /* the descriptor address's upper half, as written */
};

static struct fw_cfg_item *fw_cfg_find(struct fw_cfg *fc, uint16_t key)
{
	for (unsigned i = 0; i < fc->nr_items; i++)
		if (fc->items[i].key == key)
			return &fc->items[i];
	return NULL;
}

/* Store an item's bytes (a copy), adding it or replacing the old ones. */
static int fw_cfg_put(struct fw_cfg *fc, uint16_t key, const void *data, uint32_t len,
		      struct fw_cfg_item **out, struct error *err)
{
	struct fw_cfg_item *it = fw_cfg_find(fc, key);
	if (!it) {
		if (fc->nr_items == FW_CFG_MAX_ITEMS)
			return err_setf(err, "fw_cfg: more than %d items", FW_CFG_MAX_ITEMS);
		it = &fc->items[fc->nr_items++];
		*it = (struct fw_cfg_item){ .key = key };
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return err_setf(err, "out of memory");
	if (len)
		memcpy(copy, data, len);
	free(it->data);
	it->data = copy;
	it->len = len;
	if (out)
		*out = it;
	return 0;
}

static int fw_cfg_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fw_cfg_file *)a)->name, ((const struct fw_cfg_file *)b)->name);
}

/* FW_CFG_FILE_DIR: a big-endian count, then the files sorted by name. */
static int fw_cfg_update_dir(struct fw_cfg *fc, struct error *err)
{
	struct {
		uint32_t count;
		struct fw_cfg_file f[FW_CFG_MAX_FILES];
	} __attribute__((packed)) dir;
	memset(&dir, 0, sizeof(dir));
	unsigned n = 0;
	for (unsigned i = 0; i < fc->nr_items; i++) {
		const struct fw_cfg_item *it = &fc->items[i];
		if (!it->name[0])
			continue;
		dir.f[n].size = htobe32(it->len);
		dir.f[n].select = htobe16(it->key);
		memcpy(dir.f[n].name, it->name, sizeof(dir.f[n].name));
		n++;
	}
	qsort(dir.f, n, sizeof(dir.f[0]), fw_cfg_file_cmp);
	dir.count = htobe32(n);
	return fw_cfg_put(fc, FW_CFG_FILE_DIR, &dir, (uint32_t)(4 + n * sizeof(dir.f[0])), NULL,
			  err);
}

struct fw_cfg *fw_cfg_new(const struct gmem *mem, struct error *err)
{
	struct fw_cfg *fc = calloc(1, sizeof(*fc));
	if (!fc) {
		err_setf(err, "out of memory");
		return NULL;
	}
	fc->mem = mem;
	fc->cur = -1;
	pthread_mutex_init(&fc->lock, NULL);
	uint32_t id = htole32(FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	if (fw_cfg_put(fc, FW_CFG_SIGNATURE, "QEMU", FW_CFG_SIG_SIZE, NULL, err) ||
	    fw_cfg_put(fc, FW_CFG_ID, &id, sizeof(id), NULL, err) || fw_cfg_update_dir(fc, err)) {
		fw_cfg_free(fc);
		return NULL;
	}
	return fc;
}

void fw_cfg_free(struct fw_cfg *fc)
{
	if (!fc)
		return;
	for (unsigned i = 0; i < fc->nr_items; i++)
		free(fc->items[i].data);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}

int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, uint32_t len,
		    struct error *err)
{
	if (key == FW_CFG_FILE_DIR || (key & FW_CFG_ENTRY_MASK) >= FW_CFG_FILE_FIRST)
		return err_setf(err, "fw_cfg: key 0x%x is the file directory's", key);
	pthread_mutex_lock(&fc->lock);
	int r = fw_cfg_put(fc, key, data, len, NULL, err);
	pthread_mutex_unlock(&fc->lock);
	return r;
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, uint32_t len,
		    fw_cfg_written_fn written, void *opaque, struct error *err)
{
	if (!name[0] || strlen(name) >= FW_CFG_MAX_FILE_PATH)
		return err_setf(err, "fw_cfg: file name '%s' is empty or longer than %d", name,
				FW_CFG_MAX_FILE_PATH - 1);
	pthread_mutex_lock(&fc->lock);
	int r = -1;
	uint16_t key = 0;
	for (unsigned i = 0; i < fc->nr_items && !key; i++)
		if (!strcmp(fc->items[i].name, name))
			key = fc->items[i].key;
	if (!key && fc->nr_files == FW_CFG_MAX_FILES) {
		err_setf(err, "fw_cfg: more than %d files ('%s')", FW_CFG_MAX_FILES, name);
		goto out;
	}
	if (!key)
		key = (uint16_t)(FW_CFG_FILE_FIRST + fc->nr_files++);
	struct fw_cfg_item *it;
	if (fw_cfg_put(fc, key, data, len, &it, err))
		goto out;
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->written = written;
	it->opaque = opaque;
	r = fw_cfg_update_dir(fc, err);
out:
	pthread_mutex_unlock(&fc->lock);
	return r;
}

const uint8_t *fw_cfg_file_data(struct fw_cfg *fc, const char *name, uint32_t *len)
{
	for (unsigned i = 0; i < fc->nr_items; i++) {
		if (strcmp(fc->items[i].name, name))
			continue;
		*len = fc->items[i].len;
		return fc->items[i].data;
	}
	return NULL;
}

/* ---- the guest's side ---------------------------------------------------- */

/* Bit 14 (the old write channel) and bit 15 (arch-local) are part of the
 * key as QEMU numbers items; an unknown key selects nothing (reads 0). */
static void fw_cfg_select_locked(struct fw_cfg *fc, uint16_t key)
{
	struct fw_cfg_item *it = fw_cfg_find(fc, key & ~FW_CFG_WRITE_CHANNEL);
	fc->cur = it ? (int)(it - fc->items) : -1;
	fc->offset = 0;
}

void fw_cfg_select(struct fw_cfg *fc, uint16_t key)
{
	pthread_mutex_lock(&fc->lock);
	fw_cfg_select_locked(fc, key);
	pthread_mutex_unlock(&fc->lock);
}

static uint8_t fw_cfg_next_byte(struct fw_cfg *fc)
{
	const struct fw_cfg_item *it = fc->cur >= 0 ? &fc->items[fc->cur] : NULL;
	if (!it || fc->offset >= it->len)
		return 0;
	return it->data[fc->offset++];
}

uint8_t fw_cfg_read_byte(struct fw_cfg *fc)
{
	pthread_mutex_lock(&fc->lock);
	uint8_t b = fw_cfg_next_byte(fc);
	pthread_mutex_unlock(&fc->lock);
	return b;
}

/* Guest RAM [addr, addr + len) as one host range; NULL when any of it is not. */
static uint8_t *fw_cfg_guest(struct fw_cfg *fc, uint64_t addr, uint64_t len)
{
	if (!len || addr + len < addr)
		return NULL;
	return gmem_ptr(fc->mem, addr, len);
}

/* Read: the item's bytes from the offset, zeros past its end. */
static bool fw_cfg_dma_read(struct fw_cfg *fc, uint64_t addr, uint32_t len)
{
	uint8_t *dst = fw_cfg_guest(fc, addr, len);
	if (!dst)
		return false;
	const struct fw_cfg_item *it = fc->cur >= 0 ? &fc->items[fc->cur] : NULL;
	uint64_t have = it && fc->offset < it->len ? it->len - fc->offset : 0;
	uint64_t n = MIN(have, len);
	if (n)
		memcpy(dst, it->data + fc->offset, n);
	memset(dst + n, 0, len - n);
	fc->offset += len;
	return true;
}

/* Write: only a writable file, only within its bytes. */
static bool fw_cfg_dma_write(struct fw_cfg *fc, uint64_t addr, uint32_t len)
{
	struct fw_cfg_item *it = fc->cur >= 0 ? &fc->items[fc->cur] : NULL;
	if (!it || !it->written || fc->offset > it->len || len > it->len - fc->offset)
		return false;
	const uint8_t *src = fw_cfg_guest(fc, addr, len);
	if (!src)
		return false;
	uint32_t at = (uint32_t)fc->offset;
	memcpy(it->data + at, src, len);
	fc->offset += len;
	it->written(it->opaque, at, len);
	return true;
}

void fw_cfg_dma(struct fw_cfg *fc, uint64_t desc)
{
	struct fw_cfg_dma_access d;
	if (gmem_read(fc->mem, desc, &d, sizeof(d)))
		return;   /* nowhere to report the error: ignored, as QEMU does */
	uint32_t control = be32toh(d.control), len = be32toh(d.length);
	uint64_t addr = be64toh(d.address);
	bool ok = true;
	pthread_mutex_lock(&fc->lock);
	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select_locked(fc, (uint16_t)(control >> 16));
	if (len && (control & FW_CFG_DMA_CTL_READ))
		ok = fw_cfg_dma_read(fc, addr, len);
	else if (len && (control & FW_CFG_DMA_CTL_WRITE))
		ok = fw_cfg_dma_write(fc, addr, len);
	else if (control & FW_CFG_DMA_CTL_SKIP)
		fc->offset += len;
	pthread_mutex_unlock(&fc->lock);
	uint32_t done = htobe32(ok ? 0 : FW_CFG_DMA_CTL_ERROR);
	gmem_write(fc->mem, desc, &done, sizeof(done));
}

/* Reads of the DMA registers give its signature, "QEMU CFG", big-endian. */
void fw_cfg_pio_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct fw_cfg *fc = opaque;
	uint8_t *d = data;
	uint64_t sig = htobe64(FW_CFG_DMA_SIGNATURE);
	for (uint32_t i = 0; i < len; i++) {
		uint64_t at = off + i;
		if (at == FW_CFG_PORT_DATA)
			d[i] = fw_cfg_read_byte(fc);
		else if (at >= FW_CFG_PORT_DMA_HIGH && at < FW_CFG_PORT_LEN)
			d[i] = ((const uint8_t *)&sig)[at - FW_CFG_PORT_DMA_HIGH];
		else
			d[i] = 0;
	}
}

void fw_cfg_pio_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct fw_cfg *fc = opaque;
	uint32_t be;
	if (off == FW_CFG_PORT_SELECTOR && len == 2) {
		uint16_t key;
		memcpy(&key, data, 2);
		fw_cfg_select(fc, le16toh(key));
	} else if (off == FW_CFG_PORT_DMA_HIGH && len == 4) {
		memcpy(&be, data, 4);
		fc->dma_high = be32toh(be);   /* one guest writes it, then the low half */
	} else if (off == FW_CFG_PORT_DMA_LOW && len == 4) {
		memcpy(&be, data, 4);
		uint64_t desc = (uint64_t)fc->dma_high << 32 | be32toh(be);
		fc->dma_high = 0;
		fw_cfg_dma(fc, desc);
	}
}
