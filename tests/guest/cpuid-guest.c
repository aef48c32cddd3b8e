// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpuid-guest: runs inside the test guest (tests/hyperv) and prints the
 * hypervisor CPUID leaves the guest sees, one line each, for the test
 * script to check:
 *   base 0x40000000 max=0x... vendor=<12 chars, NULs as '.'>
 *   interface 0x40000001 sig=<4 chars>
 *   features 0x40000003 eax=0x... ebx=0x... ecx=0x... edx=0x...
 *   base 0x40000100 max=0x... vendor=...
 * Static (no libc in the guest).
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void leaf(uint32_t f, uint32_t r[4])
{
	__cpuid_count(f, 0, r[0], r[1], r[2], r[3]);
}

static void chars(char *out, const uint32_t *words, unsigned n)
{
	memcpy(out, words, 4 * n);
	for (unsigned i = 0; i < 4 * n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			out[i] = '.';
	out[4 * n] = '\0';
}

static void base(uint32_t f)
{
	uint32_t r[4];
	char v[13];
	leaf(f, r);
	uint32_t w[3] = { r[1], r[2], r[3] };
	chars(v, w, 3);
	printf("base 0x%08x max=0x%08x vendor=%s\n", f, r[0], v);
}

int main(void)
{
	uint32_t r[4];
	char s[5];
	base(0x40000000);
	leaf(0x40000001, r);
	chars(s, r, 1);
	printf("interface 0x40000001 sig=%s\n", s);
	leaf(0x40000003, r);
	printf("features 0x40000003 eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", r[0], r[1],
	       r[2], r[3]);
	base(0x40000100);
	return 0;
}
