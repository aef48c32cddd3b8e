// SPDX-License-Identifier: GPL-2.0-only
/*
 * `passvm gpus` on a fake sysfs (fake_sysfs.h): each GPU with its companion
 * functions, names from the tests' own pci.ids, IOMMU groups and their
 * verdicts, drivers, and [passthrough.NAME] lines a profile accepts.
 */
#include "tests/unit/fake_sysfs.h"

#include "app/gpus.h"
#include "vfio/host.h"
#include "vfio/names.h"

struct tg {
	struct fake_host *h;
	struct vfio_names *names;
	char *text;
	size_t len;
};

static int tg_setup(void **state)
{
	struct tg *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->h = fh_new();
	t->names = vfio_names_open(t->h->sys, t->h->ids);
	assert_non_null(t->names);
	*state = t;
	return 0;
}

static int tg_teardown(void **state)
{
	struct tg *t = *state;
	free(t->text);
	vfio_names_close(t->names);
	fh_free(t->h);
	free(t);
	return 0;
}

/* Run gpus_list into t->text; returns its status. */
static int tg_list(struct tg *t, struct error *err)
{
	free(t->text);
	t->text = NULL;
	FILE *f = open_memstream(&t->text, &t->len);
	assert_non_null(f);
	int r = gpus_list(f, t->h->sys, t->names, err);
	assert_int_equal(fclose(f), 0);
	return r;
}

/* `want` appears in the listing, after *from when from is not NULL (order). */
static const char *tg_expect(const struct tg *t, const char *from, const char *want)
{
	const char *at = strstr(from ? from : t->text, want);
	if (!at)
		fail_msg("listing lacks '%s'%s:\n%s", want, from ? " (in order)" : "", t->text);
	return at + strlen(want);
}

static void tg_absent(const struct tg *t, const char *what)
{
	if (strstr(t->text, what))
		fail_msg("listing has '%s':\n%s", what, t->text);
}

/*
 * The boot iGPU (i915, its own group), an NVIDIA card with HDMI audio and
 * USB-C on nvidia in a group with its root port, and an AMD card whose
 * group also holds the SATA controller.
 */
static void tg_host(struct fake_host *h)
{
	fh_pci_add(h, &(struct fh_pci){ "0000:00:02.0", 0x8086, 0x3e92, 0x030000, 0x00, "i915", 0,
					"flr", 1 });
	fh_root_port(h, "0000:00:01.0", 1);
	fh_nvidia_card(h, "nvidia", 1);
	fh_pci_add(h, &(struct fh_pci){ "0000:01:00.2", 0x10de, 0x1ad8, 0x0c0330, 0x80, "xhci_hcd",
					1, "flr", -1 });
	fh_sata(h, "0000:00:17.0", 5);
	fh_pci_add(h, &(struct fh_pci){ "0000:03:00.0", 0x1002, 0x67df, 0x030000, 0x80, "amdgpu",
					5, "bus", 0 });
	fh_pci_add(h, &(struct fh_pci){ "0000:03:00.1", 0x1002, 0xaaf0, 0x040300, 0x80,
					"snd_hda_intel", 5, "bus", -1 });
}

static void test_gpus_listing(void **state)
{
	struct tg *t = *state;
	struct error err = { "" };
	tg_host(t->h);
	assert_int_equal(tg_list(t, &err), 0);

	/* The iGPU: an id the pci.ids lacks keeps the vendor's name. */
	const char *p = tg_expect(t, NULL, "0000:00:02.0  VGA compatible controller: Test Intel "
				  "Device 3e92 [8086:3e92]\n");
	p = tg_expect(t, p, "driver i915, IOMMU group 0, boot GPU\n");
	p = tg_expect(t, p, "IOMMU group 0: viable");
	p = tg_expect(t, p, "[passthrough.gpu]\naddress = 0000:00:02.0\n");

	/* The NVIDIA card with its companions; the root port in the group is fine. */
	p = tg_expect(t, p, "0000:01:00.0  VGA compatible controller: Test NVIDIA AD102 test "
		      "[GeForce RTX 4090] [10de:2684]\n");
	p = tg_expect(t, p, "driver nvidia, IOMMU group 1\n");
	p = tg_expect(t, p, "0000:01:00.1  Audio device: Test NVIDIA AD102 test High Definition "
		      "Audio Controller [10de:22ba]\n");
	p = tg_expect(t, p, "driver snd_hda_intel, IOMMU group 1\n");
	p = tg_expect(t, p, "0000:01:00.2  USB controller: Test NVIDIA Device 1ad8 [10de:1ad8]\n");
	p = tg_expect(t, p, "IOMMU group 1: viable with the lines below");
	p = tg_expect(t, p, "profile lines:\n[passthrough.gpu]\naddress = 0000:01:00.0\n"
		      "[passthrough.gpu-audio]\naddress = 0000:01:00.1\n"
		      "[passthrough.gpu-usb]\naddress = 0000:01:00.2\n");
	p = tg_expect(t, p, "address = 0000:01:00)");

	/* The AMD card: its group also holds the SATA controller on ahci. */
	p = tg_expect(t, p, "0000:03:00.0  VGA compatible controller: Test AMD Ellesmere test "
		      "[Radeon RX 580] [1002:67df]\n");
	p = tg_expect(t, p, "driver amdgpu, IOMMU group 5\n");
	p = tg_expect(t, p, "IOMMU group 5: not viable, it also holds:\n"
		      "    0000:00:17.0  SATA controller: Test Intel Test SATA AHCI Controller "
		      "[8086:a352], driver ahci\n");
	p = tg_expect(t, p, "[passthrough.gpu]\naddress = 0000:03:00.0\n"
		      "[passthrough.gpu-audio]\naddress = 0000:03:00.1\n");

	/* Not GPUs, not cards of their own. */
	tg_absent(t, "0000:00:01.0  ");
	tg_absent(t, "0000:00:17.0  SATA controller: Test Intel Test SATA AHCI Controller "
		  "[8086:a352]\n");
	tg_absent(t, "    [passthrough");   /* never indented: INI would read a continuation */
}

/* A card whose slot holds a function that is no companion: left out of the lines. */
static void test_gpus_other_function(void **state)
{
	struct tg *t = *state;
	struct error err = { "" };
	fh_nvidia_card(t->h, "vfio-pci", 1);
	fh_pci_add(t->h, &(struct fh_pci){ "0000:01:00.3", 0x10de, 0x1ad9, 0x0c8000, 0x80, NULL,
					   1, NULL, -1 });
	fh_pci_add(t->h, &(struct fh_pci){ "0000:01:00.4", 0x10de, 0x1ada, 0x058000, 0x80,
					   "some_driver", 1, NULL, -1 });
	assert_int_equal(tg_list(t, &err), 0);
	tg_expect(t, NULL, "driver vfio-pci, IOMMU group 1\n");
	tg_expect(t, NULL, "driver none, IOMMU group 1\n");
	tg_expect(t, NULL, "[passthrough.gpu-ucsi]\naddress = 0000:01:00.3\n");
	tg_absent(t, "address = 0000:01:00.4");
	tg_absent(t, "address = 0000:01:00)");
	tg_expect(t, NULL, "IOMMU group 1: not viable, it also holds:\n    0000:01:00.4");
}

static void test_gpus_no_iommu(void **state)
{
	struct tg *t = *state;
	struct error err = { "" };
	fh_nvidia_card(t->h, "nvidia", -1);
	assert_int_equal(tg_list(t, &err), 0);
	tg_expect(t, NULL, "driver nvidia, no IOMMU group\n");
	tg_expect(t, NULL, "no IOMMU group: the IOMMU is off");
	tg_expect(t, NULL, "address = 0000:01:00.0\n");
}

static void test_gpus_none_and_broken(void **state)
{
	struct tg *t = *state;
	struct error err = { "" };
	fh_sata(t->h, "0000:00:17.0", 5);
	assert_int_equal(tg_list(t, &err), 0);
	tg_expect(t, NULL, "no GPU (PCI class 03) on this host\n");

	/* A GPU whose files are half gone is skipped; a group that vanished is named. */
	fh_nvidia_card(t->h, "nvidia", 1);
	fh_remove(t->h->sys, "devices/pci0000:00/0000:01:00.0/device");
	fh_pci_add(t->h, &(struct fh_pci){ "0000:02:00.0", 0x10de, 0x2684, 0x030000, 0x00,
					   "nvidia", 7, "flr", 0 });
	fh_remove(t->h->sys, "kernel/iommu_groups/7/devices/0000:02:00.0");
	fh_remove(t->h->sys, "kernel/iommu_groups/7/devices");
	assert_int_equal(tg_list(t, &err), 0);
	tg_absent(t, "0000:01:00.0  ");
	tg_expect(t, NULL, "IOMMU group 7: cannot list IOMMU group 7");

	fh_remove(t->h->sys, "bus/pci/devices/0000:00:17.0");
	fh_remove(t->h->sys, "bus/pci/devices/0000:01:00.0");
	fh_remove(t->h->sys, "bus/pci/devices/0000:01:00.1");
	fh_remove(t->h->sys, "bus/pci/devices/0000:02:00.0");
	fh_remove(t->h->sys, "bus/pci/devices");
	assert_int_not_equal(tg_list(t, &err), 0);
	assert_non_null(strstr(err.msg, "bus/pci/devices"));
}

/* Names come from the given pci.ids alone, and numbers without one. */
static void test_names(void **state)
{
	struct tg *t = *state;
	char buf[256];
	assert_true(vfio_names_have_db(t->names));
	assert_string_equal(vfio_names_db_path(t->names), t->h->ids);
	assert_string_equal(vfio_names_device(t->names, 0x10de, 0x2684, buf, sizeof(buf)),
			    "Test NVIDIA AD102 test [GeForce RTX 4090]");
	assert_string_equal(vfio_names_device(t->names, 0x1234, 0x5678, buf, sizeof(buf)),
			    "Device 1234:5678");
	assert_string_equal(vfio_names_class(t->names, 0x010601, buf, sizeof(buf)),
			    "SATA controller");
	assert_string_equal(vfio_names_device(NULL, 0x10de, 0x2684, buf, sizeof(buf)),
			    "Device 10de:2684");
	assert_string_equal(vfio_names_class(NULL, 0x030000, buf, sizeof(buf)), "Class 0300");

	char missing[PATH_MAX];
	fh_fmt(missing, sizeof(missing), "%s/none.ids", t->h->top);
	struct vfio_names *n = vfio_names_open(t->h->sys, missing);
	assert_non_null(n);
	assert_false(vfio_names_have_db(n));
	assert_string_equal(vfio_names_device(n, 0x10de, 0x2684, buf, sizeof(buf)),
			    "Device 10de:2684");
	vfio_names_close(n);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, tg_setup, tg_teardown)
	const struct CMUnitTest tests[] = {
		T(test_gpus_listing),
		T(test_gpus_other_function),
		T(test_gpus_no_iommu),
		T(test_gpus_none_and_broken),
		T(test_names),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
