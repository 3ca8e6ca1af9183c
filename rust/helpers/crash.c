// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the Rust crash path (kdump/crash): the static inline functions
 * and macros of the percpu, cpumask, sched, kexec and x86 ELF headers it
 * calls. elf_core_copy_regs() is inline assembly (it reads the segment
 * selectors of the CPU it runs on).
 *
 * A helper that wraps one C function or macro has its name
 * (rust_helper_<name>); a helper that does several steps has a crash_ name.
 */

#ifdef CONFIG_CRASH_DUMP_RUST

#include <linux/cpumask.h>
#include <linux/elfcore.h>
#include <linux/highmem.h>
#include <linux/kexec.h>
#include <linux/mmzone.h>
#include <linux/percpu.h>
#include <linux/pgtable.h>
#include <linux/pid_namespace.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/vmalloc.h>

void rust_helper_elf_core_copy_regs(elf_gregset_t *elfregs,
				    struct pt_regs *regs)
{
	elf_core_copy_regs(elfregs, regs);
}

unsigned int rust_helper_raw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}

bool rust_helper_in_interrupt(void)
{
	return in_interrupt();
}

/*
 * A task's pid, read in C. Without CONFIG_SCHEDSTATS, struct sched_statistics
 * is empty but ____cacheline_aligned; bindgen lays struct task_struct out
 * without that alignment, so every Rust offset after the member is short (pid
 * by 16 bytes on the test kernels).
 */
pid_t rust_helper_crash_task_pid(struct task_struct *tsk)
{
	return tsk->pid;
}

bool rust_helper_is_global_init(struct task_struct *tsk)
{
	return is_global_init(tsk);
}

void *rust_helper_per_cpu_ptr(void __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

unsigned int rust_helper_cpumask_next(int n, const struct cpumask *srcp)
{
	return cpumask_next(n, srcp);
}

unsigned long rust_helper___pa_symbol(void *addr)
{
	return __pa_symbol(addr);
}

unsigned long rust_helper_VMALLOC_START(void)
{
	return VMALLOC_START;
}

unsigned long rust_helper_vmemmap(void)
{
	return (unsigned long)vmemmap;
}

unsigned long rust_helper_NR_SECTION_ROOTS(void)
{
	return NR_SECTION_ROOTS;
}

void rust_helper_crash_free_reserved_phys_range(unsigned long begin,
						unsigned long end)
{
	crash_free_reserved_phys_range(begin, end);
}

void *rust_helper_kmap_local_pfn(unsigned long pfn)
{
	return kmap_local_pfn(pfn);
}

#ifndef CONFIG_X86_64
/*
 * kdump/crash/panic.rs off x86_64 (built only): the registers saved are this
 * helper's. x86_64 captures them in Rust, inline, as C inlines this into
 * __crash_kexec().
 */
void rust_helper_crash_setup_regs(struct pt_regs *newregs, struct pt_regs *oldregs)
{
	crash_setup_regs(newregs, oldregs);
}
#endif
#endif /* CONFIG_CRASH_DUMP_RUST */
