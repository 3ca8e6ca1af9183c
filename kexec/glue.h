/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C of kdump/kexec that Rust calls; bindgen reads this header
 * (rust/bindings/bindings_helper.h), so each declaration is checked against
 * its definition by the C compiler and against its Rust callers by rustc.
 */
#ifndef _KDUMP_KEXEC_GLUE_H
#define _KDUMP_KEXEC_GLUE_H

struct list_head;
struct page;

/*
 * glue.c: the UEFI lookups of x86_64/machine_kexec.rs (KEXEC_CORE_RUST_EFI).
 * They are C because the EFI headers they need cannot be parsed by bindgen;
 * this header does not include them.
 */
unsigned long kexec_rust_efi_systab(unsigned long *size);
unsigned long kexec_rust_efi_config_table(void *systab, unsigned long *start);

/*
 * file_glue.c (KEXEC_FILE_RUST): what the Rust kexec_file_load reads of C's
 * state through C: the UEFI state (see glue.c for why) and the lockdown and
 * IMA policy, whose functions are static inlines in some configurations.
 */
struct kexec_rust_efi_state {
	unsigned long long acpi20;	/* efi.acpi20, 0 if invalid */
	unsigned long long acpi;	/* efi.acpi, 0 if invalid */
	unsigned long long fw_vendor;	/* efi_fw_vendor */
	unsigned long long tables;	/* efi_config_table */
	unsigned long long smbios;	/* efi.smbios */
	unsigned int memdesc_size;	/* efi_get_runtime_map_desc_size() */
	bool acpi20_valid;
	bool acpi_valid;
	bool runtime;			/* efi_enabled(EFI_RUNTIME_SERVICES) */
	bool is_32bit;			/* runtime services, but not 64-bit */
};

unsigned long kexec_rust_efi_runtime_map_size(void);
void kexec_rust_efi_state(struct kexec_rust_efi_state *s, void *map,
			  unsigned long map_size);
bool kexec_rust_lockdown_refuses_unsigned(void);
/* &boot_params: asm/setup.h, which declares it, is not among bindgen's headers. */
const void *kexec_rust_boot_params(void);
/* The Rust kexec_file_load, which file_glue.c's syscall entry calls. */
long kexec_rust_file_load(int kernel_fd, int initrd_fd,
			  unsigned long cmdline_len,
			  const char __user *cmdline_ptr, unsigned long flags);

/*
 * kunit_oracles.c (with CONFIG_KUNIT): the C inlines the KUnit suite
 * (tests.rs) checks memmap.rs against.
 */
unsigned long kexec_test_page_to_boot_pfn(struct page *page);
struct page *kexec_test_boot_pfn_to_page(unsigned long boot_pfn);
void *kexec_test_boot_phys_to_virt(unsigned long entry);
void *kexec_test_page_address(struct page *page);
struct list_head *kexec_test_page_lru(struct page *page);

#endif /* _KDUMP_KEXEC_GLUE_H */
