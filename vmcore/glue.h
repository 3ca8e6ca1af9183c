/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vmcore_cb registry accessors of kdump/vmcore/glue.c, called from the
 * Rust provider (cb.rs); bindgen reads this header
 * (rust/bindings/bindings_helper.h).
 */
#ifndef _KDUMP_VMCORE_GLUE_H
#define _KDUMP_VMCORE_GLUE_H

#include <linux/types.h>

void vmcore_cb_mark_opened(void);
int vmcore_cb_read_lock(void);
void vmcore_cb_read_unlock(int idx);
bool vmcore_cb_any(void);
bool vmcore_cb_pfn_is_ram(unsigned long pfn);

#endif /* _KDUMP_VMCORE_GLUE_H */
