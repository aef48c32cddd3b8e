// SPDX-License-Identifier: GPL-2.0-only
/* poweroff: ACPI S5 through PM1a_CNT must end passvm with status 0. Prints
 * PAYLOAD-OK *before* the write (there is no after); the harness also checks
 * that nothing prints after the S5 write ("AFTER-POWEROFF" must not appear). */
#include "rt.h"

const char payload_name[] = "poweroff";

int main(const struct hvm_start_info *si)
{
	(void)si;
	/* A 16-bit write with SLP_TYP=S5 and SLP_EN, as Linux's ACPI code does. */
	pr("PAYLOAD-OK poweroff\n");
	outw(PORT_PM1A_CNT, PM1_SLP_TYP_S5 | PM1_SLP_EN);
	for (uint64_t t0 = rdtsc(); rdtsc() - t0 < WAIT_LONG;)
		cpu_relax();
	pr("AFTER-POWEROFF\n");
	fail("S5 write to port 0x%x did not stop the VM", PORT_PM1A_CNT);
}
