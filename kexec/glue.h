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
 * kunit_oracles.c (with CONFIG_KUNIT): the C inlines the KUnit suite
 * (tests.rs) checks memmap.rs against.
 */
unsigned long kexec_test_page_to_boot_pfn(struct page *page);
struct page *kexec_test_boot_pfn_to_page(unsigned long boot_pfn);
void *kexec_test_boot_phys_to_virt(unsigned long entry);
void *kexec_test_page_address(struct page *page);
struct list_head *kexec_test_page_lru(struct page *page);

#endif /* _KDUMP_KEXEC_GLUE_H */
