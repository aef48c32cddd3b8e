// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host PCI addresses: parse, format, compare (vfio/pci_addr.h). Separate from
 * vfio/host.c so that what only checks an address (the command line, the
 * profile parser) needs no sysfs code.
 */
#include "vfio/pci_addr.h"

#include <stdio.h>

/* Up to `max` hex digits at p; returns how many were read (0: none). */
static int host_hex_run(const char *p, int max, unsigned *out)
{
	unsigned v = 0;
	int n = 0;
	for (; n < max; n++) {
		char c = p[n];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		v = v * 16 + d;
	}
	*out = v;
	return n;
}

static int host_addr_bad(const char *s, struct error *err)
{
	return err_setf(err, "bad PCI address '%s': write DDDD:BB:SS.F like 0000:01:00.0 "
			"(or DDDD:BB:SS for every function of the slot), as 'lspci -D' prints it", s);
}

/* "[DDDD:]BB:SS" into parts[]; returns how many numbers (2 or 3), -1 on junk. */
static int host_addr_numbers(const char **pp, unsigned parts[3])
{
	const char *p = *pp;
	int n = 0;
	for (;;) {
		/* Read past 4 digits only to reject "00000:..." instead of splitting it. */
		int digits = host_hex_run(p, 5, &parts[n]);
		if (!digits || digits > 4)
			return -1;
		p += digits;
		n++;
		if (*p != ':')
			break;
		if (n == 3)
			return -1;
		p++;
	}
	*pp = p;
	return n >= 2 ? n : -1;
}

int vfio_host_addr_parse(const char *s, struct vfio_host_addr *a, bool *whole_slot,
			 struct error *err)
{
	unsigned parts[3];
	const char *p = s;
	int n = host_addr_numbers(&p, parts);
	if (n < 0)
		return host_addr_bad(s, err);
	unsigned func = 0;
	bool slot_only = *p == '\0';
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '7' || p[2])
			return err_setf(err, "bad PCI address '%s': the function after '.' is 0 to 7", s);
		func = (unsigned)(p[1] - '0');
	} else if (*p) {
		return host_addr_bad(s, err);
	}
	unsigned domain = n == 3 ? parts[0] : 0, bus = parts[n - 2], slot = parts[n - 1];
	if (bus > 0xff)
		return err_setf(err, "bad PCI address '%s': bus %x is above ff", s, bus);
	if (slot > 0x1f)
		return err_setf(err, "bad PCI address '%s': slot %x is above 1f", s, slot);
	if (slot_only && !whole_slot)
		return err_setf(err, "'%s' is a whole slot; give one function, like %s.0", s, s);
	*a = (struct vfio_host_addr){ (uint16_t)domain, (uint8_t)bus, (uint8_t)slot,
				      (uint8_t)func };
	if (whole_slot)
		*whole_slot = slot_only;
	return 0;
}

struct vfio_host_addr_str vfio_host_addr_fmt(const struct vfio_host_addr *a)
{
	struct vfio_host_addr_str r;
	snprintf(r.s, sizeof(r.s), "%04x:%02x:%02x.%u", a->domain, a->bus, a->slot, a->func & 7u);
	return r;
}

struct vfio_host_addr_str vfio_host_slot_fmt(const struct vfio_host_addr *a)
{
	struct vfio_host_addr_str r;
	snprintf(r.s, sizeof(r.s), "%04x:%02x:%02x", a->domain, a->bus, a->slot);
	return r;
}

bool vfio_host_same_slot(const struct vfio_host_addr *a, const struct vfio_host_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

bool vfio_host_addr_eq(const struct vfio_host_addr *a, const struct vfio_host_addr *b)
{
	return vfio_host_same_slot(a, b) && a->func == b->func;
}

int vfio_host_addr_cmp(const struct vfio_host_addr *a, const struct vfio_host_addr *b)
{
	uint64_t ka = (uint64_t)a->domain << 24 | (uint64_t)a->bus << 16 | a->slot << 8 | a->func;
	uint64_t kb = (uint64_t)b->domain << 24 | (uint64_t)b->bus << 16 | b->slot << 8 | b->func;
	return ka < kb ? -1 : ka > kb;
}
