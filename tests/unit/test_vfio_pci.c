// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio/pci.c's virtual config space on a fake VFIO device: the "device fd"
 * is a temporary file holding a config space at the config region's offset
 * and a BAR at its region's offset, so the model's preads/pwrites land in
 * plain bytes the test can look at (the VFIO ioctls fail on it, which the
 * model logs and survives). No KVM: the PCI fixture's VM. Also the --vfio
 * flag of `passvm run`.
 */
#include <fcntl.h>
#include <linux/vfio.h>

#include "tests/unit/pci_fixture.h"

#include "app/cli.h"
#include "vfio/pci.h"

#define BAR0_OFF  0x10000
#define BAR0_SIZE 0x1000

struct fake {
	struct pci_fixture *f;
	struct vfio_pci_dev *d;
	int fd;
	unsigned slot;
};

static void put(uint8_t *c, unsigned off, uint32_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		c[off + i] = (uint8_t)(v >> (8 * i));
}

/* edu-like: MSI (64-bit, with per-vector masking), a hidden AF capability,
 * PM; one 4 KiB memory BAR; INTx pin A. */
static void fake_config(uint8_t *c)
{
	memset(c, 0, 256);
	put(c, PCI_VENDOR_ID, 0x1234, 2);
	put(c, PCI_DEVICE_ID, 0x11e8, 2);
	put(c, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
	put(c, PCI_CLASS_REVISION, 0x00ff0010, 4);
	put(c, PCI_CAPABILITY_LIST, 0x40, 1);
	put(c, PCI_INTERRUPT_PIN, 1, 1);
	put(c, 0x40, PCI_CAP_ID_MSI | 0x50 << 8, 2);
	put(c, 0x42, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (2 << 1), 2); /* 4 vectors */
	put(c, 0x50, PCI_CAP_ID_AF | 0x60 << 8, 2);
	put(c, 0x60, PCI_CAP_ID_PM | 0 << 8, 2);
	put(c, 0x62, 0x0003, 2);
}

/*
 * PCI Express variant (4 KiB config space): a PCIe endpoint capability after
 * PM, then extended capabilities: AER (hidden) at 0x100, Resizable BAR at
 * 0x140 for BAR0 (16 MiB now; 1 MiB..8 GiB possible) and, with `stray`, a
 * second entry for BAR 5, which the device does not have; DSN at 0x180.
 */
#define PCIE_BAR0_SIZE (16 * MiB)
static void fake_config_pcie(uint8_t *c, bool stray)
{
	memset(c, 0, PCI_CFG_SIZE);
	fake_config(c);
	put(c, 0x60, PCI_CAP_ID_PM | 0x70 << 8, 2);
	put(c, 0x70, PCI_CAP_ID_EXP, 2);
	put(c, 0x72, 2 | PCI_EXP_TYPE_ENDPOINT << 4, 2);
	put(c, 0x100, 0x140u << 20 | 1 << 16 | PCI_EXT_CAP_ID_ERR, 4);
	put(c, 0x140, 0x180u << 20 | 1 << 16 | PCI_EXT_CAP_ID_REBAR, 4);
	put(c, 0x144, 0x3FFF0, 4);                         /* 1 MiB .. 8 GiB */
	put(c, 0x148, 0 | (stray ? 2 : 1) << 5 | 4 << 8, 4); /* BAR0, 16 MiB */
	if (stray) {
		put(c, 0x14C, 0xF0, 4);
		put(c, 0x150, 5 | 0 << 8, 4);
	}
	put(c, 0x180, 1 << 16 | PCI_EXT_CAP_ID_DSN, 4);
	put(c, 0x184, 0x12345678, 4);
}

/* The fake VFIO device: config space c (cfg_len bytes) at offset 0, BAR0
 * (bar0_size bytes, marker at +8) at BAR0_OFF. */
static void fake_open(struct fake *t, const uint8_t *c, uint32_t cfg_len, uint64_t bar0_size)
{
	t->f = pf_new_with_bus(64 * MiB);
	char path[] = "/tmp/passvm-test-vfio-pci.XXXXXX";
	t->fd = mkstemp(path);
	assert_true(t->fd >= 0);
	unlink(path);
	assert_int_equal(pwrite(t->fd, c, cfg_len, 0), (ssize_t)cfg_len);
	assert_int_equal(ftruncate(t->fd, (off_t)(BAR0_OFF + bar0_size)), 0);
	uint32_t marker = 0xCAFE0042;
	assert_int_equal(pwrite(t->fd, &marker, 4, BAR0_OFF + 8), 4);

	struct vfio_device v = { .fd = t->fd, .nr_regions = VFIO_PCI_NUM_REGIONS,
				 .nr_irqs = VFIO_PCI_NUM_IRQS };
	snprintf(v.name, sizeof(v.name), "0000:01:00.0");
	v.regions = calloc(v.nr_regions, sizeof(*v.regions));
	v.irqs = calloc(v.nr_irqs, sizeof(*v.irqs));
	assert_non_null(v.regions);
	assert_non_null(v.irqs);
	uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	v.regions[0] = (struct vfio_region){ .index = 0, .flags = rw, .size = bar0_size,
					     .offset = BAR0_OFF };
	v.regions[VFIO_PCI_CONFIG_REGION_INDEX] = (struct vfio_region){
		.index = VFIO_PCI_CONFIG_REGION_INDEX, .flags = rw, .size = cfg_len, .offset = 0 };
	v.irqs[VFIO_PCI_INTX_IRQ_INDEX].count = 1;
	v.irqs[VFIO_PCI_MSI_IRQ_INDEX].count = 2;  /* fewer than the capability says */
	struct error err = { "" };
	t->d = vfio_pci_dev_create(&t->f->vm, &v, NULL, &err);
	if (!t->d)
		fail_msg("vfio_pci_dev_create: %s", err.msg);
	if (vfio_pci_dev_register(t->d, -1, 0, &err))
		fail_msg("register: %s", err.msg);
	t->slot = t->d->pci.slot;
}

static int fake_setup(void **state)
{
	struct fake *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	uint8_t c[256];
	fake_config(c);
	fake_open(t, c, sizeof(c), BAR0_SIZE);
	*state = t;
	return 0;
}

static int fake_setup_pcie_common(void **state, bool stray)
{
	struct fake *t = calloc(1, sizeof(*t));
	uint8_t *c = calloc(1, PCI_CFG_SIZE);
	assert_non_null(t);
	assert_non_null(c);
	fake_config_pcie(c, stray);
	fake_open(t, c, PCI_CFG_SIZE, PCIE_BAR0_SIZE);
	free(c);
	*state = t;
	return 0;
}

static int fake_setup_pcie(void **state) { return fake_setup_pcie_common(state, false); }
static int fake_setup_pcie_stray(void **state) { return fake_setup_pcie_common(state, true); }

static int fake_teardown(void **state)
{
	struct fake *t = *state;
	vfio_pci_dev_destroy(t->d); /* closes the fd */
	pf_free(t->f);
	free(t);
	return 0;
}

static uint32_t cfg(struct fake *t, uint32_t off, uint32_t len)
{
	return pf_ecam_read(t->f, t->slot, 0, off, len);
}

static uint32_t dev_byte(struct fake *t, uint32_t off, uint32_t len)
{
	uint32_t v = 0;
	assert_int_equal(pread(t->fd, &v, len, off), (ssize_t)len);
	return v;
}

static void test_ids_and_cap_list(void **state)
{
	struct fake *t = *state;
	assert_int_equal(cfg(t, PCI_VENDOR_ID, 4), 0x11e81234);
	assert_int_equal(cfg(t, PCI_CLASS_REVISION, 4), 0x00ff0010);
	assert_true(cfg(t, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* MSI -> PM: the AF capability (function-level reset behind our back) is unlinked. */
	assert_int_equal(cfg(t, PCI_CAPABILITY_LIST, 1), 0x40);
	assert_int_equal(cfg(t, 0x40, 1), PCI_CAP_ID_MSI);
	assert_int_equal(cfg(t, 0x41, 1), 0x60);
	assert_int_equal(cfg(t, 0x60, 1), PCI_CAP_ID_PM);
	assert_int_equal(cfg(t, 0x61, 1), 0);
	assert_int_equal(cfg(t, 0x50, 2), 0);
	/* PM control is the device's own. */
	assert_int_equal(cfg(t, 0x62, 2), 0x0003);
	/* A hostile guest cannot relink the list. */
	pf_ecam_write(t->f, t->slot, 0, 0x41, 1, 0x50);
	assert_int_equal(cfg(t, 0x41, 1), 0x60);
}

static void test_msi_emulated(void **state)
{
	struct fake *t = *state;
	uint16_t flags = (uint16_t)cfg(t, 0x42, 2);
	assert_false(flags & PCI_MSI_FLAGS_MASKBIT);   /* per-vector masking not offered */
	assert_true(flags & PCI_MSI_FLAGS_64BIT);
	assert_int_equal((flags & PCI_MSI_FLAGS_QMASK) >> 1, 1); /* 2 vectors: VFIO's count */
	pf_ecam_write(t->f, t->slot, 0, 0x44, 4, 0xFEE00000);
	pf_ecam_write(t->f, t->slot, 0, 0x4C, 2, 0x0041);
	assert_int_equal(cfg(t, 0x44, 4), 0xFEE00000);
	assert_int_equal(cfg(t, 0x4C, 2), 0x0041);
	/* Virtual only: the device's capability is programmed through VFIO. */
	assert_int_equal(dev_byte(t, 0x44, 4), 0);
	/* 32 vectors asked, enable: bounded to what the device has (the VFIO
	 * ioctl then fails on the fake, and MSI stays off). */
	pf_ecam_write(t->f, t->slot, 0, 0x42, 2, PCI_MSI_FLAGS_ENABLE | (5 << 4));
	assert_true(t->d->msi.max <= 2);
	assert_false(t->d->msi.on);
	assert_true(t->d->msi.efd[0] >= 0);
	assert_int_equal(t->d->msi.efd[2], -1);
}

static void test_bars_virtual(void **state)
{
	struct fake *t = *state;
	uint32_t bar = cfg(t, PCI_BASE_ADDRESS_0, 4);
	assert_true(bar >= LAYOUT_MMIO32_BASE && bar < LAYOUT_MMIO32_END);
	/* Sizing works and never reaches the device. */
	pf_ecam_write(t->f, t->slot, 0, PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFF);
	assert_int_equal(cfg(t, PCI_BASE_ADDRESS_0, 4), (uint32_t)~(BAR0_SIZE - 1));
	assert_int_equal(dev_byte(t, PCI_BASE_ADDRESS_0, 4), 0);
	pf_ecam_write(t->f, t->slot, 0, PCI_BASE_ADDRESS_0, 4, bar);
	/* No MMAP flag: trapped accesses go through the region. */
	assert_int_equal(pf_mmio_read(t->f, bar + 8, 4), 0xCAFE0042);
	pf_mmio_write(t->f, bar + 12, 4, 0x11223344);
	assert_int_equal(dev_byte(t, BAR0_OFF + 12, 4), 0x11223344);
	/* The command register is mirrored to the device (bus master for DMA). */
	pf_ecam_write(t->f, t->slot, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(dev_byte(t, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* No ROM: the ROM BAR reads 0 whatever is written. */
	pf_ecam_write(t->f, t->slot, 0, PCI_ROM_ADDRESS, 4, 0xFFFFFFFF);
	assert_int_equal(cfg(t, PCI_ROM_ADDRESS, 4), 0);
	/* Without KVM, INTx is not offered. */
	assert_int_equal(cfg(t, PCI_INTERRUPT_PIN, 1), 0);
}

/* ---- PCI Express: extended capabilities, Resizable BAR ------------------------- */

static void test_rebar_fixed_size(void **state)
{
	struct fake *t = *state;
	/* AER is unlinked: the header at 0x100 is an empty one linking on. */
	assert_int_equal(cfg(t, 0x100, 4), 0x140u << 20);
	assert_int_equal(cfg(t, 0x140, 4), 0x180u << 20 | 1 << 16 | PCI_EXT_CAP_ID_REBAR);
	assert_int_equal(cfg(t, 0x180, 4), 1 << 16 | PCI_EXT_CAP_ID_DSN);
	assert_int_equal(cfg(t, 0x184, 4), 0x12345678);
	/* One size offered, the one the BAR has (16 MiB: encoding 4, capability
	 * bit 4 + 4); the control register says it, with the BAR count. */
	assert_int_equal(cfg(t, 0x144, 4), 1u << 8);
	assert_int_equal(cfg(t, 0x148, 4), 0 | 1 << 5 | 4 << 8);
	/* A resize to 256 MiB (encoding 8) goes nowhere: not in our view, not to
	 * the device, and the BAR keeps its size. */
	pf_ecam_write(t->f, t->slot, 0, 0x148, 4, 0 | 8 << 8);
	assert_int_equal(cfg(t, 0x148, 4), 0 | 1 << 5 | 4 << 8);
	assert_int_equal(dev_byte(t, 0x148, 4), 0 | 1 << 5 | 4 << 8);
	pf_ecam_write(t->f, t->slot, 0, 0x144, 4, 0xFFFFFFFF);
	assert_int_equal(cfg(t, 0x144, 4), 1u << 8);
	pf_ecam_write(t->f, t->slot, 0, PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFF);
	assert_int_equal(cfg(t, PCI_BASE_ADDRESS_0, 4), (uint32_t)~(PCIE_BAR0_SIZE - 1));
	/* The endpoint shows as a root-complex integrated one. */
	assert_int_equal((cfg(t, 0x72, 2) & PCI_EXP_FLAGS_TYPE) >> 4, PCI_EXP_TYPE_RC_END);
}

static void test_rebar_stray_entry_hidden(void **state)
{
	struct fake *t = *state;
	/* An entry for a BAR the device lacks: the capability is not shown. */
	assert_int_equal(cfg(t, 0x100, 4), 0x180u << 20);
	assert_int_equal(cfg(t, 0x180, 4), 1 << 16 | PCI_EXT_CAP_ID_DSN);
	assert_int_equal(cfg(t, 0x140, 4), 0);
}

/* ---- the --vfio flag ----------------------------------------------------------- */

static int run_flags(struct vm_config *c, struct error *err, int argc, char **argv)
{
	config_defaults(c);
	return cli_parse_run(argc, argv, c, err);
}

static void test_cli_vfio(void **state)
{
	(void)state;
	struct vm_config c;
	struct error err = { "" };
	char *backend[] = { "run", "--vfio-backend", "container", NULL };
	assert_int_equal(run_flags(&c, &err, 3, backend), 0);
	assert_int_equal(vfio_config(&c)->backend, VFIO_BACKEND_CONTAINER);
	config_release(&c);
	char *bad_backend[] = { "run", "--vfio-backend", "cdev", NULL };
	assert_int_equal(run_flags(&c, &err, 3, bad_backend), -1);
	assert_string_equal(err.msg, "--vfio-backend cdev: use auto, iommufd or container");
	config_release(&c);
	char *ok[] = { "run", "--vfio", "0000:0a:00.1", "--vfio", "03:00", NULL };
	assert_int_equal(run_flags(&c, &err, 5, ok), 0);
	assert_int_equal(vfio_config(&c)->n, 2);
	assert_int_equal(vfio_config(&c)->devices[0].bus, 0x0a);
	assert_int_equal(vfio_config(&c)->devices[0].func, 1);
	assert_false(vfio_config(&c)->devices[0].whole_slot);
	assert_int_equal(vfio_config(&c)->devices[1].bus, 3);
	assert_true(vfio_config(&c)->devices[1].whole_slot);
	config_release(&c);

	char *bad[] = { "run", "--vfio", "0000:01:00.9", NULL };
	assert_int_equal(run_flags(&c, &err, 3, bad), -1);
	assert_non_null(strstr(err.msg, "--vfio 0000:01:00.9"));
	config_release(&c);

	char *many[2 + 2 * (VFIO_MAX_PASSTHROUGH + 1)];
	int n = 0;
	many[n++] = "run";
	for (int i = 0; i <= VFIO_MAX_PASSTHROUGH; i++) {
		many[n++] = "--vfio";
		many[n++] = "0000:01:00.0";
	}
	many[n] = NULL;
	assert_int_equal(run_flags(&c, &err, n, many), -1);
	assert_non_null(strstr(err.msg, "at most"));
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_and_cap_list, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_msi_emulated, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_bars_virtual, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_rebar_fixed_size, fake_setup_pcie,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_rebar_stray_entry_hidden,
						fake_setup_pcie_stray, fake_teardown),
		cmocka_unit_test(test_cli_vfio),
	};
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
