// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the Rust kexec core (kdump/kexec): the static inline functions
 * and macros of the mm, kexec and reboot headers it calls, the x86_64 memory
 * limits, which depend on the paging mode chosen at boot, and for the x86_64
 * machine_kexec glue the page-table accessors, the protection flags and the
 * final jump (inline assembly that must run with no call in between).
 *
 * A helper that wraps one C function or macro has its name
 * (rust_helper_<name>); a helper that does several steps has a kexec_ name.
 */

#ifdef CONFIG_KEXEC_CORE_RUST

#include <linux/cc_platform.h>
#include <linux/cpu.h>
#include <linux/ftrace.h>
#include <linux/highmem.h>
#include <linux/kexec.h>
#include <linux/kmsg_dump.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/pgtable.h>
#include <linux/sched/signal.h>

#ifdef CONFIG_X86_64
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/init.h>
#include <asm/segment.h>
#endif
/*
 * kdump/kexec/memmap.rs computes page <-> frame <-> address itself from
 * pfn_to_page(0) and __va(0) (rust_helper___va() in kdump.c), as the inlines
 * do on x86_64; the inlines stay as the KUnit suite's reference for that
 * arithmetic (kdump/kexec/kunit_oracles.c).
 */
#if defined(CONFIG_X86_64) && \
	(!defined(CONFIG_SPARSEMEM_VMEMMAP) || defined(CONFIG_HIGHMEM) || \
	 defined(phys_to_boot_phys))
#error "kexec/memmap.rs assumes a virtual memmap, no highmem and boot == physical addresses"
#endif

unsigned long rust_helper_kexec_memmap_base(void)
{
	return (unsigned long)pfn_to_page(0);
}

#ifndef CONFIG_X86_64
/* memmap.rs off x86_64, where the direct map is not one base (arm64, built only). */
void *rust_helper_boot_phys_to_virt(unsigned long entry)
{
	return boot_phys_to_virt(entry);
}
#endif

unsigned long rust_helper_phys_to_boot_phys(phys_addr_t phys)
{
	return phys_to_boot_phys(phys);
}

void rust_helper_SetPageReserved(struct page *page)
{
	SetPageReserved(page);
}

void rust_helper_ClearPageReserved(struct page *page)
{
	ClearPageReserved(page);
}

void rust_helper_clear_highpage(struct page *page)
{
	clear_highpage(page);
}

void rust_helper_copy_highpage(struct page *to, struct page *from)
{
	copy_highpage(to, from);
}

void rust_helper_clear_page(void *addr)
{
	clear_page(addr);
}

void rust_helper_INIT_LIST_HEAD(struct list_head *list)
{
	INIT_LIST_HEAD(list);
}

void rust_helper_list_add(struct list_head *new, struct list_head *head)
{
	list_add(new, head);
}

void rust_helper_list_del(struct list_head *entry)
{
	list_del(entry);
}

bool rust_helper_kexec_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

unsigned long rust_helper_totalram_pages(void)
{
	return totalram_pages();
}

int rust_helper_machine_kexec_post_load(struct kimage *image)
{
	return machine_kexec_post_load(image);
}

/* A stub without CONFIG_HOTPLUG_CPU; the real function is called directly otherwise. */
void rust_helper_cpu_hotplug_enable(void)
{
	cpu_hotplug_enable();
}

void rust_helper_kmsg_dump(enum kmsg_dump_reason reason)
{
	kmsg_dump(reason);
}

gfp_t rust_helper_GFP_HIGHUSER(void)
{
	return GFP_HIGHUSER;
}

gfp_t rust_helper_KEXEC_CONTROL_MEMORY_GFP(void)
{
	return KEXEC_CONTROL_MEMORY_GFP;
}

/*
 * The memory limits are code on x86_64 (MAXMEM with 5-level paging) and
 * constants elsewhere, where bindgen would expose the constant under the
 * macro's name: the helpers are named kexec_*_memory_limit.
 */
unsigned long rust_helper_kexec_source_memory_limit(void)
{
	return KEXEC_SOURCE_MEMORY_LIMIT;
}

unsigned long rust_helper_kexec_destination_memory_limit(void)
{
	return KEXEC_DESTINATION_MEMORY_LIMIT;
}

unsigned long rust_helper_kexec_control_memory_limit(void)
{
	return KEXEC_CONTROL_MEMORY_LIMIT;
}

unsigned long rust_helper_kexec_crash_control_memory_limit(void)
{
	return KEXEC_CRASH_CONTROL_MEMORY_LIMIT;
}

bool rust_helper_kexec_host_mem_encrypt(void)
{
	return cc_platform_has(CC_ATTR_HOST_MEM_ENCRYPT);
}

#ifdef CONFIG_X86_64
/* x86_64 machine_kexec glue (kdump/kexec/x86_64/machine_kexec.rs). */

/* The identity map's flags, as init_pgtable() sets them. */
void rust_helper_kexec_ident_map_flags(struct x86_mapping_info *info)
{
	info->page_flag = __PAGE_KERNEL_LARGE_EXEC;
	info->kernpg_flag = _KERNPG_TABLE_NOENC;
	if (cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT)) {
		info->page_flag |= _PAGE_ENC;
		info->kernpg_flag |= _PAGE_ENC;
	}
}

/*
 * The transition mapping's page-table walk, one level at a time (0: PGD,
 * 1: P4D, 2: PUD, 3: PMD): the entry for vaddr at a level, given the PGD at
 * level 0 and the entry of the level above otherwise; whether an entry is
 * present; and filling it with a new table.
 */
void *rust_helper_kexec_pt_entry(int level, void *above, unsigned long vaddr)
{
	switch (level) {
	case 0: return (pgd_t *)above + pgd_index(vaddr);
	case 1: return p4d_offset(above, vaddr);
	case 2: return pud_offset(above, vaddr);
	default: return pmd_offset(above, vaddr);
	}
}

bool rust_helper_kexec_pt_present(int level, void *entry)
{
	switch (level) {
	case 0: return pgd_present(*(pgd_t *)entry);
	case 1: return p4d_present(*(p4d_t *)entry);
	case 2: return pud_present(*(pud_t *)entry);
	default: return pmd_present(*(pmd_t *)entry);
	}
}

void rust_helper_kexec_pt_set(int level, void *entry, void *table)
{
	unsigned long val = __pa(table) | _KERNPG_TABLE;

	switch (level) {
	case 0:
		set_pgd(entry, __pgd(val));
		break;
	case 1:
		set_p4d(entry, __p4d(val));
		break;
	case 2:
		set_pud(entry, __pud(val));
		break;
	default:
		set_pmd(entry, __pmd(val));
		break;
	}
}

/* Maps vaddr to the page at paddr, executable, in the table at pmd. */
void rust_helper_kexec_set_exec_pte(pmd_t *pmd, unsigned long vaddr,
				    unsigned long paddr)
{
	pgprot_t prot = PAGE_KERNEL_EXEC_NOENC;

	if (cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT))
		prot = PAGE_KERNEL_EXEC;
	set_pte(pte_offset_kernel(pmd, vaddr), pfn_pte(paddr >> PAGE_SHIFT, prot));
}

unsigned long rust_helper___pa(void *addr)
{
	return __pa(addr);
}

int rust_helper___ftrace_enabled_save(void)
{
	return __ftrace_enabled_save();
}

void rust_helper___ftrace_enabled_restore(int enabled)
{
	__ftrace_enabled_restore(enabled);
}

/* No interrupts, breakpoints or shadow stacks from here to the new kernel. */
void rust_helper_kexec_cpu_quiesce(void)
{
	local_irq_disable();
	hw_breakpoint_disable();
	cet_disable();
}

/*
 * The jump into relocate_kernel, as the end of machine_kexec(): the segment
 * registers are reloaded and the IDT and GDT made invalid with no function
 * call in between (the per-CPU base is gone after load_segments), then
 * relocate_kernel is called. Returns only for a preserve_context image.
 */
unsigned long rust_helper_kexec_jump(unsigned long head, unsigned long *page_list,
				     unsigned long start, unsigned int preserve,
				     unsigned int host_mem_enc)
{
	asm volatile("\tmovl %0,%%ds\n"
		     "\tmovl %0,%%es\n"
		     "\tmovl %0,%%ss\n"
		     "\tmovl %0,%%fs\n"
		     "\tmovl %0,%%gs\n"
		     : : "a" (__KERNEL_DS) : "memory");
	native_idt_invalidate();
	native_gdt_invalidate();
	return relocate_kernel(head, (unsigned long)page_list, start, preserve,
			       host_mem_enc);
}
#endif /* CONFIG_X86_64 */
#endif /* CONFIG_KEXEC_CORE_RUST */

#ifdef CONFIG_KEXEC_CORE
#include <linux/kexec.h>

/*
 * The architecture hooks kdump/kexec/arch.rs and kernel::kexec call, with
 * either kexec core (kernel::kexec is built with KEXEC_CORE). linux/kexec.h
 * makes each a static inline default unless the architecture defines it;
 * where it does (x86_64, in C or Rust), bindgen's declaration of the function
 * is used instead.
 */
int rust_helper_arch_kexec_post_alloc_pages(void *vaddr, unsigned int pages, gfp_t gfp)
{
	return arch_kexec_post_alloc_pages(vaddr, pages, gfp);
}

void rust_helper_arch_kexec_pre_free_pages(void *vaddr, unsigned int pages)
{
	arch_kexec_pre_free_pages(vaddr, pages);
}

void rust_helper_arch_kexec_protect_crashkres(void)
{
	arch_kexec_protect_crashkres();
}

void rust_helper_arch_kexec_unprotect_crashkres(void)
{
	arch_kexec_unprotect_crashkres();
}
#endif /* CONFIG_KEXEC_CORE */

#ifdef CONFIG_KEXEC_FILE_RUST
#include <crypto/sha2.h>

/* The digest of the segments the purgatory checks (kdump/kexec/file/digest). */
void rust_helper_sha256_init(struct sha256_state *sctx)
{
	sha256_init(sctx);
}
#endif /* CONFIG_KEXEC_FILE_RUST */
