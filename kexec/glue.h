/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The UEFI lookups of kdump/kexec/glue.c, called from machine_kexec.rs (which
 * declares them itself: bindgen cannot parse the EFI headers they need).
 */
#ifndef _KDUMP_KEXEC_GLUE_H
#define _KDUMP_KEXEC_GLUE_H

unsigned long kexec_rust_efi_systab(unsigned long *size);
unsigned long kexec_rust_efi_config_table(void *systab, unsigned long *start);

#endif /* _KDUMP_KEXEC_GLUE_H */
