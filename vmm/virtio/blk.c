// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk (virtio 1.2, 5.2) on a raw image file or block device, one
 * device per [disk.NAME]. Requests run on the event-loop thread with
 * preadv/pwritev straight into the guest buffers (resolved and bounds
 * checked by the virtqueue layer); every sector range is checked against
 * the capacity before any I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/virtio/blk.h"
#include "vmm/virtio/virtio_pci.h"
#include "vmm/vm.h"

#define BLK_SECTOR     512u
#define BLK_QUEUE_SIZE 256u
#define BLK_SEG_MAX    (BLK_QUEUE_SIZE - 2) /* header and status take two */
#define BLK_SIZE_MAX   (1u << 20)
#define BLK_CONFIG_LEN 60u /* through write_zeroes_may_unmap + padding */

struct blk {
	struct virtio_dev *vdev;
	int fd;
	char path[256];
	bool readonly;
	uint64_t capacity;               /* 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct iovec *scratch;           /* VQ_MAX_SEGS entries */
	uint64_t reads, writes, flushes, errors;
};

static int blk_open(struct blk *b, const struct disk_config *dc, struct error *err)
{
	const char *path = dc->path;
	b->readonly = dc->readonly;
	b->fd = open(path, (dc->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		int e = errno;
		switch (e) {
		case ENOENT:
			return err_setf(err, "disk image '%s' does not exist: check the --disk path "
					"(create a new image with e.g. 'truncate -s 20G %s')", path, path);
		case EACCES:
		case EPERM:
			if (dc->readonly)
				return err_setf(err, "no permission to read disk image '%s': fix its "
						"permissions (chmod/chown) or run as a user that can read it", path);
			return err_setf(err, "no permission to open disk image '%s' for writing: fix its "
					"permissions (e.g. chmod u+rw) or attach it read-only with --disk %s,ro",
					path, path);
		case EROFS:
			return err_setf(err, "disk image '%s' is on a read-only file system: attach it "
					"read-only with --disk %s,ro", path, path);
		case EISDIR:
			return err_setf(err, "disk image '%s' is a directory: give an image file or a "
					"block device", path);
		default:
			return err_setf(err, "cannot open disk image '%s': %s", path, strerror(e));
		}
	}
	struct stat st;
	if (fstat(b->fd, &st) < 0)
		return err_setf(err, "cannot stat disk image '%s': %s", path, strerror(errno));
	uint64_t size;
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0)
			return err_setf(err, "cannot get the size of block device '%s': %s", path,
					strerror(errno));
	} else {
		return err_setf(err, "disk image '%s' is neither a regular file nor a block device", path);
	}
	/* Two VMs writing one image corrupt it: take an advisory lock. */
	if (flock(b->fd, (dc->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return err_setf(err, "disk image '%s' is in use by another process (it is locked): "
					"stop the other VM using it first", path);
		log_debug("flock(%s): %s", path, strerror(errno));
	}
	if (size < BLK_SECTOR)
		return err_setf(err, "disk image '%s' is %llu bytes, smaller than one 512-byte sector",
				path, (unsigned long long)size);
	if (size % BLK_SECTOR)
		log_warn("disk image '%s': the last %llu bytes (not a whole 512-byte sector) are not visible",
			 path, (unsigned long long)(size % BLK_SECTOR));
	b->capacity = size / BLK_SECTOR;
	/* Serial: stable for the same file (device + inode). */
	snprintf(b->serial, sizeof(b->serial), "pvm%llx%llx", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	return 0;
}

/* Full-length preadv/pwritev at off; reads past EOF (a shrunk file) read 0. */
static int blk_io(struct blk *b, struct iovec *iov, int cnt, uint64_t off, bool wr)
{
	while (cnt > 0) {
		ssize_t n = wr ? pwritev(b->fd, iov, cnt, (off_t)off) : preadv(b->fd, iov, cnt, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_debug("%s: %s at %llu: %s", b->path, wr ? "write" : "read",
				  (unsigned long long)off, strerror(errno));
			return -1;
		}
		if (n == 0) {
			if (wr)
				return -1;
			for (int i = 0; i < cnt; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)n;
		size_t left = (size_t)n;
		while (cnt > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return 0;
}

static bool range_ok(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	return bytes % BLK_SECTOR == 0 && sector <= b->capacity &&
	       bytes / BLK_SECTOR <= b->capacity - sector;
}

static uint32_t blk_request(struct virtio_dev *vdev, struct virtqueue *vq, struct vq_elem *e)
{
	struct blk *b = vdev->backend;
	const struct iovec *out = e->iov, *in = e->iov + e->nr_out;
	if (e->in_len < 1 || e->in_len > UINT32_MAX) {
		/* Nowhere (sane) to put the status byte: return the chain untouched. */
		log_debug("%s: request without a status byte", vdev->name);
		return 0;
	}
	uint64_t data_in = e->in_len - 1;
	uint8_t hdr[16];
	uint8_t status = VIRTIO_BLK_S_IOERR;
	uint32_t used = 1;
	if (iov_to_buf(out, e->nr_out, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
		log_debug("%s: request header shorter than 16 bytes", vdev->name);
		goto done;
	}
	uint32_t type;
	uint64_t sector;
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	type = le32toh(type);
	sector = le64toh(sector);

	switch (type) {
	case VIRTIO_BLK_T_IN: {
		if (!range_ok(b, sector, data_in))
			break;
		int n = iov_slice(in, e->nr_in, 0, data_in, b->scratch, VQ_MAX_SEGS);
		if (n < 0 || blk_io(b, b->scratch, n, sector * BLK_SECTOR, false) < 0)
			break;
		b->reads++;
		status = VIRTIO_BLK_S_OK;
		used = (uint32_t)data_in + 1;
		break;
	}
	case VIRTIO_BLK_T_OUT: {
		uint64_t len = e->out_len - sizeof(hdr);
		if (b->readonly || !range_ok(b, sector, len))
			break;
		int n = iov_slice(out, e->nr_out, sizeof(hdr), len, b->scratch, VQ_MAX_SEGS);
		if (n < 0 || blk_io(b, b->scratch, n, sector * BLK_SECTOR, true) < 0)
			break;
		b->writes++;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_FLUSH:
		if (!b->readonly && fdatasync(b->fd) < 0) {
			log_debug("%s: fdatasync: %s", b->path, strerror(errno));
			break;
		}
		b->flushes++;
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		size_t n = MIN((size_t)data_in, sizeof(b->serial));
		iov_from_buf(in, e->nr_in, 0, b->serial, n);
		status = VIRTIO_BLK_S_OK;
		used = (uint32_t)n + 1;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	if (status == VIRTIO_BLK_S_IOERR)
		b->errors++;
	iov_from_buf(in, e->nr_in, data_in, &status, 1);
	return used;
}

static void blk_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	virtio_vq_process(vdev, vq, blk_request);
}

static void blk_config_read(struct virtio_dev *vdev, uint32_t off, void *data, uint32_t len)
{
	struct blk *b = vdev->backend;
	uint8_t c[BLK_CONFIG_LEN] = { 0 };
	uint64_t cap = htole64(b->capacity);
	uint32_t size_max = htole32(BLK_SIZE_MAX), seg_max = htole32(BLK_SEG_MAX);
	uint32_t blk_size = htole32(BLK_SECTOR);
	uint16_t nq = htole16(1);
	memcpy(c + 0, &cap, 8);        /* capacity */
	memcpy(c + 8, &size_max, 4);   /* size_max */
	memcpy(c + 12, &seg_max, 4);   /* seg_max */
	memcpy(c + 20, &blk_size, 4);  /* blk_size */
	memcpy(c + 34, &nq, 2);        /* num_queues */
	memcpy(data, c + off, len);    /* off+len <= config_len checked by the transport */
}

static void blk_destroy(struct virtio_dev *vdev)
{
	struct blk *b = vdev->backend;
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	free(b->scratch);
	free(b);
	vdev->backend = NULL;
}

static const struct virtio_device_ops blk_ops = {
	.queue_notify = blk_queue_notify,
	.config_read = blk_config_read,
	.destroy = blk_destroy,
};

struct virtio_dev *virtio_blk_create(struct vm *vm, const struct disk_config *dc, unsigned index,
				     struct error *err)
{
	struct blk *b = calloc(1, sizeof(*b));
	if (!b || !(b->scratch = calloc(VQ_MAX_SEGS, sizeof(*b->scratch)))) {
		free(b);
		err_setf(err, "out of memory");
		return NULL;
	}
	b->fd = -1;
	snprintf(b->path, sizeof(b->path), "%s", dc->path ? dc->path : "");
	if (!dc->path || blk_open(b, dc, err) < 0) {
		if (!dc->path)
			err_setf(err, "disk %u has no file name", index);
		if (b->fd >= 0)
			close(b->fd);
		free(b->scratch);
		free(b);
		return NULL;
	}
	char name[32];
	snprintf(name, sizeof(name), "virtio-blk%u", index);
	uint64_t features = VIRTIO_FEAT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_FEAT(VIRTIO_BLK_F_SEG_MAX) |
			    VIRTIO_FEAT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH);
	if (b->readonly)
		features |= VIRTIO_FEAT(VIRTIO_BLK_F_RO);
	struct virtio_pci_params p = {
		.name = name,
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = 0x018000, /* mass storage, other */
		.features = features,
		.nr_queues = 1,
		.queue_size = BLK_QUEUE_SIZE,
		.config_len = BLK_CONFIG_LEN,
		.slot = -1,
	};
	struct virtio_dev *vdev = virtio_pci_create(vm, &p, &blk_ops, b, err);
	if (!vdev) {
		close(b->fd);
		free(b->scratch);
		free(b);
		return NULL;
	}
	b->vdev = vdev;
	log_debug("%s: %s, %llu sectors%s", name, b->path, (unsigned long long)b->capacity,
		  b->readonly ? ", read-only" : "");
	return vdev;
}

static int virtio_blk_init(struct vm *vm, struct error *err)
{
	const struct blk_config *bc = blk_config(vm->cfg);
	for (unsigned i = 0; i < bc->n; i++) {
		struct virtio_dev *vdev = virtio_blk_create(vm, &bc->disks[i], i, err);
		if (!vdev)
			return -1;
		if (vm_device_add(vm, vdev->name, vdev, virtio_pci_vm_destroy, err) < 0) {
			virtio_pci_destroy(vdev);
			return -1;
		}
	}
	return 0;
}

VMM_DEVICE(virtio_blk_device) = {
	.name = "virtio-blk",
	.order = VMM_ORDER_DEVICE,
	.init = virtio_blk_init,
};

/* ---- [disk.NAME] and --disk ------------------------------------------------------ */

static int blk_section_open(struct vmm_option_ctx *ctx, const char *item, struct error *err)
{
	struct blk_config *bc = ctx->part;
	if (vmm_option_new_item(ctx, &bc->n, BLK_MAX_DISKS, "disks", "disk", item, err))
		return -1;
	bc->disks[ctx->item] = (struct disk_config){ .path = NULL };
	bc->line[ctx->item] = ctx->line;
	return 0;
}

static int blk_set_path(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct blk_config *bc = ctx->part;
	return vmm_option_path(ctx, v, &bc->disks[ctx->item].path, err);
}

static int blk_set_readonly(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct blk_config *bc = ctx->part;
	return vmm_option_bool(v, &bc->disks[ctx->item].readonly, err);
}

/* --disk FILE[,ro]: a new item (VMM_OPT_NEW_ITEM opened it). */
static int blk_set_flag(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	struct disk_config *d = &((struct blk_config *)ctx->part)->disks[ctx->item];
	const char *comma = strchr(v, ',');
	d->readonly = false;
	if (comma) {
		if (strcmp(comma + 1, "ro") && strcmp(comma + 1, "readonly"))
			return err_setf(err, "unknown option '%s' (only 'ro')", comma + 1);
		d->readonly = true;
	}
	size_t n = comma ? (size_t)(comma - v) : strlen(v);
	if (!n)
		return err_setf(err, "give a file name");
	char *path = strndup(v, n);
	d->path = config_own(ctx->cfg, path);
	return d->path ? 0 : err_setf(err, "out of memory");
}

static const struct vmm_option blk_option_list[] = {
	{ .key = "path", .set = blk_set_path },
	{ .key = "readonly", .set = blk_set_readonly },
	{ .flag = "disk", .arg = "FILE[,ro]", .set = blk_set_flag,
	  .flags = VMM_OPT_NEW_ITEM | VMM_OPT_REPEATABLE,
	  .help = "raw disk image as virtio-blk (repeatable)" },
};

static int blk_finish(struct vmm_option_ctx *ctx, unsigned *line, struct error *err)
{
	const struct blk_config *bc = ctx->part;
	for (unsigned i = 0; i < bc->n; i++) {
		if (bc->disks[i].path)
			continue;
		*line = bc->line[i];
		return err_setf(err, "this disk has no path: add 'path = /var/lib/passvm/NAME.img' "
				"(an image file or a block device)");
	}
	return 0;
}

VMM_OPTIONS(blk_options) = {
	.section = "disk", .named = true, .item_example = "system", .order = 40,
	.size = sizeof(struct blk_config),
	.options = blk_option_list, .nr_options = ARRAY_SIZE(blk_option_list),
	.open = blk_section_open, .finish = blk_finish,
};
