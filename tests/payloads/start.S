/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry of every test payload.
 *
 * passvm (like Xen/QEMU/Firecracker) enters at the address in the PVH note
 * in 32-bit flat protected mode, paging off, %ebx = hvm_start_info.  We
 * record the entry state for the payloads to check, load our own GDT (same
 * selectors: CS 0x10, DS 0x18) so interrupts never depend on the VMM's GDT
 * copy, set a stack and call rt_main(start_info).
 *
 * Also here: 256 interrupt stubs (16 bytes apart) that push a uniform frame
 * (struct rt_frame in rt.h) and call isr_dispatch().
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a"
	.p2align 2
	.long 4				/* namesz: "Xen\0" */
	.long 4				/* descsz: 32-bit entry address */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long _start

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	/* Record the state the VMM handed over before touching anything. */
	movl %ebx, rt_entry_ebx
	movl %esi, rt_entry_esi
	movl %esp, rt_entry_esp
	movl %cr0, %eax
	movl %eax, rt_entry_cr0
	movl %cr4, %eax
	movl %eax, rt_entry_cr4
	pushfl
	popl %eax
	movl %eax, rt_entry_eflags
	movw %cs, %ax
	movw %ax, rt_entry_cs
	movw %ds, %ax
	movw %ax, rt_entry_ds
	movw %ss, %ax
	movw %ax, rt_entry_ss

	cli
	cld
	lgdt gdt_desc
	ljmp $0x10, $1f
1:	movl $0x18, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $rt_stack_top, %esp
	xorl %ebp, %ebp
	pushl rt_entry_ebx
	call rt_main
2:	cli
	hlt
	jmp 2b

/* ---- interrupt stubs ---------------------------------------------------- */

	.text
	.p2align 4
	.globl rt_isr_stubs
rt_isr_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	/* CPU pushes an error code for 8, 10-14, 17, 21, 29, 30 */
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushl $0
	.endif
	pushl $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushal
	movl %esp, %eax
	pushl %eax
	call isr_dispatch
	addl $4, %esp
	popal
	addl $8, %esp			/* vector + error code */
	/*
	 * Return without IRET: kvm_pvm (the nested KVM on the development
	 * hosts) runs this code through KVM's instruction emulator, which
	 * cannot do a protected-mode IRET ("emulation failure"). Same
	 * privilege level, so IRET would only pop EIP, CS (unchanged) and
	 * EFLAGS: rewrite [eip][cs][eflags] as [eflags][eip], popf; ret.
	 * An interrupt taken between popf and ret nests harmlessly.
	 */
	pushl %eax			/* [0]=eax [4]=eip [8]=cs [12]=eflags */
	movl 4(%esp), %eax
	xchgl %eax, 12(%esp)		/* [12]=eip, eax=eflags */
	movl %eax, 8(%esp)		/* [8]=eflags */
	popl %eax
	addl $4, %esp			/* [0]=eflags [4]=eip */
	popfl
	ret

/* ---- data ---------------------------------------------------------------- */

	.section .rodata
	.p2align 3
gdt:
	.quad 0
	.quad 0
	.quad 0x00cf9b000000ffff	/* 0x10: 32-bit code, flat */
	.quad 0x00cf93000000ffff	/* 0x18: data, flat */
gdt_end:

	.data
	.p2align 2
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.globl rt_entry_ebx, rt_entry_esi, rt_entry_esp, rt_entry_cr0, rt_entry_cr4
	.globl rt_entry_eflags, rt_entry_cs, rt_entry_ds, rt_entry_ss
rt_entry_ebx:	.long 0
rt_entry_esi:	.long 0
rt_entry_esp:	.long 0
rt_entry_cr0:	.long 0
rt_entry_cr4:	.long 0
rt_entry_eflags: .long 0
rt_entry_cs:	.word 0
rt_entry_ds:	.word 0
rt_entry_ss:	.word 0

	.bss
	.p2align 4
rt_stack:
	.skip 16384
	.globl rt_stack_top
rt_stack_top:

	.section .note.GNU-stack, "", @progbits
