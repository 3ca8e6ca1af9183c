// SPDX-License-Identifier: GPL-2.0
/*
 * The C the KUnit suite (tests.rs) compares the kexec core's own arithmetic
 * with: memmap.rs computes page <-> frame <-> address from two bases instead
 * of calling these inlines, and the suite checks that both agree. Nothing but
 * the suite calls them, so they are built only with KUnit, next to the tests,
 * not among the helpers of rust/helpers/kexec.c.
 */

#include <linux/kexec.h>
#include <linux/mm.h>

#include "glue.h"

unsigned long kexec_test_page_to_boot_pfn(struct page *page)
{
	return page_to_boot_pfn(page);
}

struct page *kexec_test_boot_pfn_to_page(unsigned long boot_pfn)
{
	return boot_pfn_to_page(boot_pfn);
}

void *kexec_test_boot_phys_to_virt(unsigned long entry)
{
	return boot_phys_to_virt(entry);
}

void *kexec_test_page_address(struct page *page)
{
	return page_address(page);
}

struct list_head *kexec_test_page_lru(struct page *page)
{
	return &page->lru;
}
