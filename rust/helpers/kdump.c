// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the Rust /proc/vmcore provider (kdump/vmcore): static inline
 * functions and macros of the iov_iter, mm and crash_dump headers.
 */

#include <linux/cc_platform.h>
#include <linux/crash_dump.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/uio.h>

#if defined(CONFIG_PROC_VMCORE_RUST) || defined(CONFIG_CRASH_DUMP_RUST)
/*
 * The crash path's VMCOREINFO, and the provider's physical address limit off
 * x86_64 (built only).
 */
long rust_helper_MAX_PHYSMEM_BITS(void)
{
	return MAX_PHYSMEM_BITS;
}
#endif

#ifdef CONFIG_PROC_VMCORE_RUST
/* A static inline on arm64; x86_64 defines the function, which is then called directly. */
void __iomem *rust_helper_ioremap_cache(resource_size_t offset, unsigned long size)
{
	return ioremap_cache(offset, size);
}
#endif

size_t rust_helper_iov_iter_count(const struct iov_iter *i)
{
	return iov_iter_count(i);
}

size_t rust_helper_copy_to_iter(const void *addr, size_t bytes,
				struct iov_iter *i)
{
	return copy_to_iter(addr, bytes, i);
}

void rust_helper_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
			      vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}

unsigned long rust_helper_my_zero_pfn(unsigned long addr)
{
	return my_zero_pfn(addr);
}

#ifdef CONFIG_CRASH_DUMP
/*
 * cc_platform_has() is a real function on some configurations and an inline
 * on others; ask the one question the provider has under a name of its own.
 */
bool rust_helper_vmcore_mem_encrypted(void)
{
	return cc_platform_has(CC_ATTR_MEM_ENCRYPT);
}

int rust_helper_is_vmcore_usable(void)
{
	return is_vmcore_usable();
}

void rust_helper_vmcore_unusable(void)
{
	vmcore_unusable();
}

#endif /* CONFIG_CRASH_DUMP */

/* For the /proc/vmcore provider, the kexec core and the crash path alike. */
void rust_helper_cond_resched(void)
{
	cond_resched();
}

void *rust_helper___va(phys_addr_t phys)
{
	return __va(phys);
}

pgprot_t rust_helper_PAGE_KERNEL(void)
{
	return PAGE_KERNEL;
}
