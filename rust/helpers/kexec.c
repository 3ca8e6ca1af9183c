// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the Rust kexec core (kdump/kexec): the static inline functions
 * and macros of the mm, kexec and reboot headers it calls, and the x86_64
 * memory limits, which depend on the paging mode chosen at boot.
 */

#include <linux/cpu.h>
#include <linux/highmem.h>
#include <linux/kexec.h>
#include <linux/kmsg_dump.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/sched/signal.h>
#include <linux/vmalloc.h>

#ifdef CONFIG_KEXEC_CORE_RUST
unsigned long rust_helper_kexec_page_to_boot_pfn(struct page *page)
{
	return page_to_boot_pfn(page);
}

struct page *rust_helper_kexec_boot_pfn_to_page(unsigned long boot_pfn)
{
	return boot_pfn_to_page(boot_pfn);
}

unsigned long rust_helper_kexec_phys_to_boot_phys(phys_addr_t phys)
{
	return phys_to_boot_phys(phys);
}

unsigned long rust_helper_kexec_virt_to_boot_phys(void *addr)
{
	return virt_to_boot_phys(addr);
}

void *rust_helper_kexec_boot_phys_to_virt(unsigned long entry)
{
	return boot_phys_to_virt(entry);
}

void *rust_helper_kexec_page_address(struct page *page)
{
	return page_address(page);
}

/* What kimage_alloc_pages() marks on a fresh allocation: the order, no mapping. */
void rust_helper_kexec_set_page_order(struct page *page, unsigned int order)
{
	page->mapping = NULL;
	set_page_private(page, order);
}

unsigned int rust_helper_kexec_page_order(struct page *page)
{
	return page_private(page);
}

void rust_helper_kexec_set_page_reserved(struct page *page, bool reserved)
{
	if (reserved)
		SetPageReserved(page);
	else
		ClearPageReserved(page);
}

void rust_helper_kexec_clear_highpage(struct page *page)
{
	clear_highpage(page);
}

void rust_helper_kexec_copy_highpage(struct page *to, struct page *from)
{
	copy_highpage(to, from);
}

void rust_helper_kexec_clear_page(void *addr)
{
	clear_page(addr);
}

void rust_helper_kexec_flush_icache_page(struct page *page)
{
	kexec_flush_icache_page(page);
}

struct list_head *rust_helper_kexec_page_lru(struct page *page)
{
	return &page->lru;
}

struct page *rust_helper_kexec_lru_page(struct list_head *lru)
{
	return list_entry(lru, struct page, lru);
}

void rust_helper_kexec_list_init(struct list_head *list)
{
	INIT_LIST_HEAD(list);
}

void rust_helper_kexec_list_add(struct list_head *new, struct list_head *head)
{
	list_add(new, head);
}

void rust_helper_kexec_list_del(struct list_head *entry)
{
	list_del(entry);
}

bool rust_helper_kexec_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

void rust_helper_kexec_cond_resched(void)
{
	cond_resched();
}

unsigned long rust_helper_kexec_totalram_pages(void)
{
	return totalram_pages();
}

void *rust_helper_kexec_vmap(struct page **pages, unsigned int count)
{
	return vmap(pages, count, VM_MAP, PAGE_KERNEL);
}

int rust_helper_kexec_machine_post_load(struct kimage *image)
{
	return machine_kexec_post_load(image);
}

void rust_helper_kexec_cpu_hotplug_enable(void)
{
	cpu_hotplug_enable();
}

void rust_helper_kexec_kmsg_dump_shutdown(void)
{
	kmsg_dump(KMSG_DUMP_SHUTDOWN);
}

gfp_t rust_helper_kexec_gfp_highuser(void)
{
	return GFP_HIGHUSER;
}

gfp_t rust_helper_kexec_control_memory_gfp(void)
{
	return KEXEC_CONTROL_MEMORY_GFP;
}

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
#endif /* CONFIG_KEXEC_CORE_RUST */
