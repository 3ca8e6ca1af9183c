// SPDX-License-Identifier: GPL-2.0
/*
 * The UEFI system table lookups of the Rust machine_kexec glue
 * (x86_64/machine_kexec.rs, map_efi_systab()). They are not in rust/helpers/:
 * EFI headers cannot be parsed by bindgen together with the other helpers
 * (asm/efi.h pulls in asm/tlb.h before flush_tlb_mm_range() is declared).
 * glue.h declares them without those headers, and bindgen reads it.
 */

#include <linux/efi.h>
#include <asm/efi.h>
#include <asm/setup.h>

#include "glue.h"

/* The UEFI system table's address, 0 without UEFI, and its size. */
unsigned long kexec_rust_efi_systab(unsigned long *size)
{
	if (!efi_enabled(EFI_BOOT))
		return 0;
	*size = efi_enabled(EFI_64BIT) ? sizeof(efi_system_table_64_t) :
					 sizeof(efi_system_table_32_t);
	return boot_params.efi_info.efi_systab |
	       ((u64)boot_params.efi_info.efi_systab_hi << 32);
}

/*
 * The UEFI configuration table's address (in *start) and size, from the
 * mapped system table.
 */
unsigned long kexec_rust_efi_config_table(void *systab, unsigned long *start)
{
	*start = efi_config_table;
	if (efi_enabled(EFI_64BIT))
		return sizeof(efi_config_table_64_t) *
		       ((efi_system_table_64_t *)systab)->nr_tables;
	return sizeof(efi_config_table_32_t) *
	       ((efi_system_table_32_t *)systab)->nr_tables;
}
