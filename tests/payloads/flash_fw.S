/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * flash_fw: a 4 KiB "firmware" for passvm's flash tests (tests/kvm/flash.sh).
 * It runs as firmware does, from the reset vector in real mode (CS base
 * 0xFFFF0000): the image is mapped at 0xFFFFF000 (CS:0xF000), the
 * variable store below it; this firmware uses the store's last 8 KiB,
 * 0xFFFFD000-0xFFFFF000 (CS:0xD000), which real mode reaches. It drives the store
 * with the CFI commands OVMF's QemuFlash.c uses, checks that the code image
 * ignores writes and that fw_cfg answers, prints FLASH-OK (or FLASH-FAIL
 * and what) on COM1 and powers off through PM1a.
 */
	.code16
	.text
	.globl _start
#define AT(sym) ((sym) - _start + 0xF000)
#define VARS 0xD000
#define COM1 0x3F8

_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7000, %sp
	mov $AT(msg_start), %si
	call puts
	/* What an earlier run left at VARS+0x100 (persistence). */
	mov $AT(msg_prev), %si
	call puts
	movb %cs:VARS + 0x100, %al
	call puthex8
	mov $AT(msg_nl), %si
	call puts

	/* QemuFlashDetected(): 0x50 must not read back, 0x70 reads status 0. */
	movb %cs:VARS, %bl
	movb $0x50, %cs:VARS
	movb %cs:VARS, %al
	cmp %bl, %al
	mov $AT(f_probe_ram), %si
	jne fail
	movb $0x70, %cs:VARS
	movb %cs:VARS, %al
	test %al, %al
	mov $AT(f_probe_status), %si
	jnz fail
	movb $0xFF, %cs:VARS

	/* QemuFlashWrite(): program 'X' at VARS+0x100; status ready; read array. */
	movb $0x10, %cs:VARS + 0x100
	movb $'X', %cs:VARS + 0x100
	movb %cs:VARS + 0x100, %al
	test $0x80, %al
	mov $AT(f_status), %si
	jz fail
	movb $0xFF, %cs:VARS
	movb %cs:VARS + 0x100, %al
	cmp $'X', %al
	mov $AT(f_program), %si
	jne fail

	/* QemuFlashEraseBlock(): the store's second block, confirmed inside it. */
	movb $0x20, %cs:VARS + 0x1000
	movb $0xD0, %cs:VARS + 0x1010
	movb $0xFF, %cs:VARS
	movb %cs:VARS + 0x1800, %al
	cmp $0xFF, %al
	mov $AT(f_erase), %si
	jne fail

	/* The code image is ROM. */
	movb %cs:0xF000, %bl
	movb $0x00, %cs:0xF000
	movb %cs:0xF000, %al
	cmp %bl, %al
	mov $AT(f_rom), %si
	jne fail

	/* fw_cfg's signature through its ports. */
	mov $0x510, %dx
	xor %ax, %ax
	out %ax, %dx
	mov $0x511, %dx
	in %dx, %al
	cmp $'Q', %al
	mov $AT(f_fwcfg), %si
	jne fail

	mov $AT(msg_ok), %si
	call puts
	jmp poweroff

fail:
	push %si
	mov $AT(msg_fail), %si
	call puts
	pop %si
	call puts
	mov $AT(msg_nl), %si
	call puts
poweroff:
	mov $0x604, %dx
	mov $0x3400, %ax          /* SLP_TYP 5 | SLP_EN */
	out %ax, %dx
1:	hlt
	jmp 1b

/* %si: the CS offset of a NUL-terminated string, out on COM1. */
puts:
	mov $COM1, %dx
1:	movb %cs:(%si), %al
	test %al, %al
	jz 2f
	out %al, %dx
	inc %si
	jmp 1b
2:	ret

/* %al as two hex digits. */
puthex8:
	push %ax
	shr $4, %al
	call nibble
	pop %ax
nibble:
	and $0xF, %al
	add $'0', %al
	cmp $'9', %al
	jbe 1f
	add $7, %al
1:	mov $COM1, %dx
	out %al, %dx
	ret

msg_start:	.asciz "FLASH-START\n"
msg_prev:	.asciz "FLASH-PREV "
msg_ok:		.asciz "FLASH-OK\n"
msg_fail:	.asciz "FLASH-FAIL "
msg_nl:		.asciz "\n"
f_probe_ram:	.asciz "0x50 read back: the store behaves as RAM"
f_probe_status:	.asciz "0x70 status is not 0"
f_status:	.asciz "no ready bit after a program"
f_program:	.asciz "the programmed byte is not there"
f_erase:	.asciz "the erased block is not 0xFF"
f_rom:		.asciz "a write changed the code image"
f_fwcfg:	.asciz "no fw_cfg signature"

	/* The reset vector: the CPU's first instruction, at 0xFFFFFFF0. */
	.org 0xFF0
	jmp _start
	.org 0xFFF
	.byte 0
