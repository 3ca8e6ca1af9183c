// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for the Rust /proc/vmcore provider (vmcore_provider.rs and its modules).
 *
 * Two things Rust cannot express on this kernel stay in C, unchanged from
 * fs/proc/vmcore.c:
 *  - the __weak defaults an architecture may override (elfcorehdr_*,
 *    remap_oldmem_pfn_range, copy_oldmem_page_encrypted): Rust has no weak
 *    definitions;
 *  - the vmcore_cb registry (virtio-mem, Xen, GART and unaccepted memory tell
 *    the dump which pages are not RAM): an intrusive RCU list read under
 *    SRCU, for which 6.12 has no Rust abstraction. Rust asks it through the
 *    vmcore_cb_* functions below, wrapped in cb.rs so that the questions can
 *    only be asked inside a read section.
 *
 * In the test-only twin build (CONFIG_PROC_VMCORE_RUST_TWIN) fs/proc/vmcore.c
 * owns all exported symbols, so only the accessors are built, over a list no
 * driver can reach: the twin ignores vmcore callbacks (the test guests have
 * none).
 */

#include <linux/crash_dump.h>
#include <linux/cc_platform.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/uio.h>

#include "glue.h"

static DEFINE_SPINLOCK(vmcore_cb_lock);
DEFINE_STATIC_SRCU(vmcore_cb_srcu);
/* List of registered vmcore callbacks. */
static LIST_HEAD(vmcore_cb_list);
/* Whether the vmcore has been opened once. */
static bool vmcore_opened;

/* Called by the provider's open(). */
void vmcore_cb_mark_opened(void)
{
	spin_lock(&vmcore_cb_lock);
	vmcore_opened = true;
	spin_unlock(&vmcore_cb_lock);
}

int vmcore_cb_read_lock(void)
{
	return srcu_read_lock(&vmcore_cb_srcu);
}

void vmcore_cb_read_unlock(int idx)
{
	srcu_read_unlock(&vmcore_cb_srcu, idx);
}

/* Whether any callback is registered; call inside vmcore_cb_read_lock(). */
bool vmcore_cb_any(void)
{
	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&vmcore_cb_srcu),
			 "vmcore callback list read outside its SRCU read section");
	return !list_empty(&vmcore_cb_list);
}

/* Whether every callback says @pfn is RAM; call inside vmcore_cb_read_lock(). */
bool vmcore_cb_pfn_is_ram(unsigned long pfn)
{
	struct vmcore_cb *cb;
	bool ret = true;

	list_for_each_entry_srcu(cb, &vmcore_cb_list, next,
				 srcu_read_lock_held(&vmcore_cb_srcu)) {
		if (unlikely(!cb->pfn_is_ram))
			continue;
		ret = cb->pfn_is_ram(cb, pfn);
		if (!ret)
			break;
	}

	return ret;
}

#ifdef CONFIG_PROC_VMCORE_RUST

void register_vmcore_cb(struct vmcore_cb *cb)
{
	INIT_LIST_HEAD(&cb->next);
	spin_lock(&vmcore_cb_lock);
	list_add_tail(&cb->next, &vmcore_cb_list);
	/*
	 * Registering a vmcore callback after the vmcore was opened is
	 * very unusual (e.g., manual driver loading).
	 */
	if (vmcore_opened)
		pr_warn_once("Unexpected vmcore callback registration\n");
	spin_unlock(&vmcore_cb_lock);
}
EXPORT_SYMBOL_GPL(register_vmcore_cb);

void unregister_vmcore_cb(struct vmcore_cb *cb)
{
	spin_lock(&vmcore_cb_lock);
	list_del_rcu(&cb->next);
	/*
	 * Unregistering a vmcore callback after the vmcore was opened is
	 * very unusual (e.g., forced driver removal), but we cannot stop
	 * unregistering.
	 */
	if (vmcore_opened)
		pr_warn_once("Unexpected vmcore callback unregistration\n");
	spin_unlock(&vmcore_cb_lock);

	synchronize_srcu(&vmcore_cb_srcu);
}
EXPORT_SYMBOL_GPL(unregister_vmcore_cb);

/* Architectures may override this function to allocate ELF header in 2nd kernel */
int __weak elfcorehdr_alloc(unsigned long long *addr, unsigned long long *size)
{
	return 0;
}

/* Architectures may override this function to free header */
void __weak elfcorehdr_free(unsigned long long addr)
{}

/* Architectures may override this function to read from ELF header */
ssize_t __weak elfcorehdr_read(char *buf, size_t count, u64 *ppos)
{
	struct kvec kvec = { .iov_base = buf, .iov_len = count };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_DEST, &kvec, 1, count);

	return read_from_oldmem(&iter, count, ppos, false);
}

/* Architectures may override this function to read from notes sections */
ssize_t __weak elfcorehdr_read_notes(char *buf, size_t count, u64 *ppos)
{
	struct kvec kvec = { .iov_base = buf, .iov_len = count };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_DEST, &kvec, 1, count);

	return read_from_oldmem(&iter, count, ppos,
			cc_platform_has(CC_ATTR_MEM_ENCRYPT));
}

/* Architectures may override this function to map oldmem */
int __weak remap_oldmem_pfn_range(struct vm_area_struct *vma,
				  unsigned long from, unsigned long pfn,
				  unsigned long size, pgprot_t prot)
{
	prot = pgprot_encrypted(prot);
	return remap_pfn_range(vma, from, pfn, size, prot);
}

/* Architectures which support memory encryption override this. */
ssize_t __weak copy_oldmem_page_encrypted(struct iov_iter *iter,
					  unsigned long pfn, size_t csize,
					  unsigned long offset)
{
	return copy_oldmem_page(iter, pfn, csize, offset);
}

#endif /* CONFIG_PROC_VMCORE_RUST */
