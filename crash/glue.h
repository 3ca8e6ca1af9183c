/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between the Rust crash path (kdump/crash) and its C glue; bindgen reads this
 * header too (rust/bindings/bindings_helper.h).
 */
#ifndef _KDUMP_CRASH_GLUE_H
#define _KDUMP_CRASH_GLUE_H

#include <linux/types.h>

struct pt_regs;

/* Rust: crash_kexec(), for glue.c's BPF kfunc of that name. */
void crash_kexec_rust(struct pt_regs *regs);

/*
 * Rust: appends len bytes of buf to the VMCOREINFO text; returns whether the
 * text now fills its buffer.
 */
bool crash_vmcoreinfo_append(const char *buf, size_t len);

/* C: the mutex that serialises crash hotplug events. */
void crash_hotplug_lock(void);
void crash_hotplug_unlock(void);

#endif /* _KDUMP_CRASH_GLUE_H */
