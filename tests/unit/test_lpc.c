// SPDX-License-Identifier: GPL-2.0-only
/* The ACPI PM timer's arithmetic (vmm/hw/lpc.c): 3.579545 MHz in 24 bits
 * from the host's clock, exact over a second and past the wrap, and no
 * overflow after a year of uptime (the guest-facing paths run in the kvm
 * suite's lpc and acpi payloads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vmm/hw/lpc.h"

static void test_pm_timer_rate(void **state)
{
	assert_int_equal(lpc_pm_timer_at(0), 0);
	assert_int_equal(lpc_pm_timer_at(1000000000ull), LPC_PM_TIMER_HZ & 0xFFFFFF);
	assert_int_equal(lpc_pm_timer_at(1000ull), 3);          /* 3.58 ticks in a microsecond */
	/* 24 bits wrap every 4.69 s. */
	uint64_t wrap_ns = (1ull << 24) * 1000000000ull / LPC_PM_TIMER_HZ;
	assert_true(lpc_pm_timer_at(wrap_ns + 1000) < 10);
	/* A year in: still ticks at the rate (no 64-bit overflow in the product). */
	uint64_t year = 365ull * 24 * 3600 * 1000000000ull;
	uint32_t a = lpc_pm_timer_at(year), b = lpc_pm_timer_at(year + 1000000000ull);
	assert_int_equal((b - a) & 0xFFFFFF, LPC_PM_TIMER_HZ & 0xFFFFFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pm_timer_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
