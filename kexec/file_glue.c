// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the Rust kexec_file_load (kdump/kexec/file): the syscall
 * entry, which the syscall table names, and the C state the loader reads
 * through functions here: the UEFI state the boot parameters carry (the EFI
 * headers cannot be parsed by bindgen, see glue.c), and the lockdown and IMA
 * policy, which are static inlines in some configurations.
 */

#include <linux/efi.h>
#include <linux/ima.h>
#include <linux/kernel_read_file.h>
#include <linux/security.h>
#include <linux/syscalls.h>
#include <asm/efi.h>
#include <asm/setup.h>

#include "glue.h"

SYSCALL_DEFINE5(kexec_file_load, int, kernel_fd, int, initrd_fd,
		unsigned long, cmdline_len, const char __user *, cmdline_ptr,
		unsigned long, flags)
{
	return kexec_rust_file_load(kernel_fd, initrd_fd, cmdline_len,
				    cmdline_ptr, flags);
}

/*
 * kimage_validate_signature()'s test for an image whose signature did not
 * verify and is not enforced: refused if IMA does not appraise it and the
 * kernel is locked down against kexec.
 */
bool kexec_rust_lockdown_refuses_unsigned(void)
{
	return !ima_appraise_signature(READING_KEXEC_IMAGE) &&
	       security_locked_down(LOCKDOWN_KEXEC);
}

/* The running kernel's boot parameters, which the new kernel's copy starts from. */
const void *kexec_rust_boot_params(void)
{
	return &boot_params;
}

#ifdef CONFIG_EFI
/* efi_get_runtime_map_size(): the bytes of the UEFI runtime map to hand on. */
unsigned long kexec_rust_efi_runtime_map_size(void)
{
	return efi_get_runtime_map_size();
}

/*
 * The UEFI state setup_efi_state() hands on, and the runtime map copied into
 * map (map_size bytes, from kexec_rust_efi_runtime_map_size()).
 */
void kexec_rust_efi_state(struct kexec_rust_efi_state *s, void *map,
			  unsigned long map_size)
{
	s->acpi20_valid = efi.acpi20 != EFI_INVALID_TABLE_ADDR;
	s->acpi20 = s->acpi20_valid ? efi.acpi20 : 0;
	s->acpi_valid = efi.acpi != EFI_INVALID_TABLE_ADDR;
	s->acpi = s->acpi_valid ? efi.acpi : 0;
	s->fw_vendor = efi_fw_vendor;
	s->tables = efi_config_table;
	s->smbios = efi.smbios;
	s->memdesc_size = efi_get_runtime_map_desc_size();
	s->runtime = efi_enabled(EFI_RUNTIME_SERVICES);
	s->is_32bit = s->runtime && !efi_enabled(EFI_64BIT);
	if (map_size)
		efi_runtime_map_copy(map, map_size);
}
#endif
