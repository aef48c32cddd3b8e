// SPDX-License-Identifier: GPL-2.0-only
/* triple_fault: a zero-limit IDT and ud2 (#UD -> #GP -> #DF -> shutdown).
 * passvm must exit non-zero and print the vCPU state. */
#include "rt.h"

const char payload_name[] = "triple_fault";

int main(const struct hvm_start_info *si)
{
	(void)si;
	pr("TRIPLE-FAULT-NEXT\n");
	triple_fault();
}
