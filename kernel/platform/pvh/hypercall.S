/*
 * hypercall.S - the page Xen fills with its hypercall trampolines (one
 * 32-byte stub per hypercall number) when xen.c writes this page's
 * guest-physical address to the MSR that Xen's CPUID leaf names. It is a
 * page of the kernel image (vaddr == paddr), in .text so it is mapped
 * executable; until Xen overwrites it, it holds int3s.
 */
	.text
	.balign 4096
	.globl xen_hypercall_page
	.type xen_hypercall_page, @object
xen_hypercall_page:
	.fill 4096, 1, 0xcc
	.size xen_hypercall_page, 4096

	.section .note.GNU-stack, "", @progbits
