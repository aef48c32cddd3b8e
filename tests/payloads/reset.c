// SPDX-License-Identifier: GPL-2.0-only
/* reset: the FADT reset register (0xCF9 <- 0x06, RST_CPU|SYS_RST). Run with
 * `--on-reset exit`, passvm must stop (status 0) without running on. */
#include "rt.h"

const char payload_name[] = "reset";

int main(const struct hvm_start_info *si)
{
	(void)si;
	pr("PAYLOAD-OK reset\n");
	outb(PORT_RESET, 0x06);
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < WAIT_LONG;)
		cpu_relax();
	pr("AFTER-RESET\n");
	fail("write of 0x06 to port 0x%x did not reset the VM", PORT_RESET);
}
