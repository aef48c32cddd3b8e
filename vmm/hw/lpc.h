/* SPDX-License-Identifier: GPL-2.0-only */
/* The ICH9 LPC bridge and its ACPI PM block (lpc.c says what is there). */
#ifndef PASSVM_LPC_H
#define PASSVM_LPC_H

#include <stdint.h>

#define LPC_PM_IO_LEN 0x80            /* ICH9's ACPI I/O block at PMBASE */
#define LPC_PM_TIMER_HZ 3579545u      /* the ACPI PM timer's clock */

/* The PM timer's 24-bit value `ns` nanoseconds after the clock's start. */
uint32_t lpc_pm_timer_at(uint64_t ns);

#endif
