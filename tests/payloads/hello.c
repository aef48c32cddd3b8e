// SPDX-License-Identifier: GPL-2.0-only
/* hello: the smallest useful guest. Reaching PAYLOAD-OK proves the PVH note
 * was found, the entry state is usable, COM1 prints and power-off exits 0. */
#include "rt.h"

const char payload_name[] = "hello";

int main(const struct hvm_start_info *si)
{
	pr("hello from a PVH payload: start_info at %p, version %u, cr0 0x%08x\n",
	   (const void *)si, si->version, rt_entry_cr0);
	return 0;
}
