// SPDX-License-Identifier: GPL-2.0
/*
 * What the Rust crash path (kdump/crash) leaves to C:
 *
 * - vmcoreinfo_append_str(), a printf-like varargs entry that arch code and
 *   printk call; it formats as C did and hands the line to Rust;
 * - the __weak defaults of arch_crash_save_vmcoreinfo() and
 *   paddr_vmcoreinfo_note(), which an architecture may override;
 * - the variables of crash_core.c and vmcore_info.c: dump tools find them by
 *   their C debug information (drgn looks up crash_notes to find each CPU's
 *   registers), which a Rust static does not have;
 * - crash_kexec(), a BPF kfunc: BTF, which BPF needs for every kfunc of its
 *   generic set, is made from C only (pahole skips Rust units), so the kfunc is
 *   this C function, which calls the Rust crash_kexec_rust();
 * - the symbol exports of crash_core.c and vmcore_info.c;
 * - the crash hotplug mutex, a statically initialised struct mutex.
 */

#include <linux/btf.h>
#include <linux/bug.h>
#include <linux/crash_core.h>
#include <linux/export.h>
#include <linux/kexec.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/vmcore_info.h>

#include "glue.h"

/* Per cpu memory for storing cpu states in case of system crash. */
note_buf_t __percpu *crash_notes;

/* vmcoreinfo stuff */
unsigned char *vmcoreinfo_data;
size_t vmcoreinfo_size;
u32 *vmcoreinfo_note;

void vmcoreinfo_append_str(const char *fmt, ...)
{
	va_list args;
	char buf[0x50];
	size_t r;

	va_start(args, fmt);
	r = vscnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);

	WARN_ONCE(crash_vmcoreinfo_append(buf, r),
		  "vmcoreinfo data exceeds allocated size, truncating");
}

__bpf_kfunc void crash_kexec(struct pt_regs *regs)
{
	crash_kexec_rust(regs);
}

void __weak arch_crash_save_vmcoreinfo(void)
{}

phys_addr_t __weak paddr_vmcoreinfo_note(void)
{
	return __pa(vmcoreinfo_note);
}
EXPORT_SYMBOL(paddr_vmcoreinfo_note);

EXPORT_SYMBOL_GPL(kexec_crash_loaded);

#ifdef CONFIG_CRASH_HOTPLUG
static DEFINE_MUTEX(__crash_hotplug_lock);

void crash_hotplug_lock(void)
{
	mutex_lock(&__crash_hotplug_lock);
}

void crash_hotplug_unlock(void)
{
	mutex_unlock(&__crash_hotplug_lock);
}
#endif
