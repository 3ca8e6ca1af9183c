// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers for the kernel calls the provider makes that ask nothing of their caller, or
//! whose requirements a slice argument states: one `// SAFETY:` here, saying why the call is
//! safe, instead of one at each call.

use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// Gives the CPU away if something else should run (`cond_resched()`).
pub(crate) fn cond_resched() {
    // SAFETY: `cond_resched()` schedules only when a reschedule is due, the preempt count is
    // 0 and interrupts are on, and touches nothing of the caller's. Calling it under a
    // spinlock would be a sleep in atomic context, a deadlock and not memory unsafety (the
    // kernel crate makes sleeping calls safe on the same terms); the callers are reads of
    // `/proc/vmcore`, in process context with no spinlock held.
    unsafe { bindings::cond_resched() }
}

/// Whether old memory must be read and mapped encrypted (`cc_platform_has(CC_ATTR_MEM_ENCRYPT)`).
pub(crate) fn mem_encrypted() -> bool {
    // SAFETY: `cc_platform_has(CC_ATTR_MEM_ENCRYPT)` switches on `cc_vendor`
    // (`__ro_after_init`) and, for AMD, tests `sme_me_mask` and `sev_status`, set in early
    // boot: plain reads, `noinstr`, safe in any context.
    unsafe { bindings::vmcore_mem_encrypted() }
}

/// Whether an elfcorehdr was passed and not yet consumed (`is_vmcore_usable()`).
pub(crate) fn is_vmcore_usable() -> bool {
    // SAFETY: `is_vmcore_usable()` compares `elfcorehdr_addr`, which early boot code set from
    // `elfcorehdr=`, with two constants: one aligned 64-bit read. After boot only this part's
    // initcall writes it (`elfcorehdr_alloc`, `vmcore_unusable`), on the thread that reads it.
    unsafe { bindings::is_vmcore_usable() != 0 }
}

/// Marks the elfcorehdr consumed (`vmcore_unusable()`).
#[cfg(CONFIG_PROC_VMCORE_RUST)]
pub(crate) fn vmcore_unusable() {
    // SAFETY: `vmcore_unusable()` stores `ELFCORE_ADDR_ERR` in `elfcorehdr_addr`, one aligned
    // 64-bit write, as C's `vmcore_init()` does; its one caller is this part's initcall,
    // which runs once, so no other write races with it.
    unsafe { bindings::vmcore_unusable() }
}

/// The page frame of the zero page (`my_zero_pfn()`), mapped where old memory is not RAM.
pub(crate) fn zero_pfn() -> u64 {
    // SAFETY: without `__HAVE_COLOR_ZERO_PAGE` (x86 has none) `my_zero_pfn()` returns
    // `zero_pfn`, the zero page's frame, which an early initcall set: a read by value, `addr`
    // unused, nothing dereferenced.
    let pfn = unsafe { bindings::my_zero_pfn(0) };
    pfn as u64
}

/// One past the highest physical address this CPU can have: what the header describes must end
/// below it.
#[cfg(CONFIG_X86_64)]
pub(crate) fn phys_limit() -> u64 {
    // SAFETY: `boot_cpu_data` is set up long before initcalls run and not written after.
    let bits = unsafe { bindings::boot_cpu_data.x86_phys_bits };
    1u64.checked_shl(bits.into()).unwrap_or(u64::MAX)
}

/// One past the highest physical address this kernel can map (`MAX_PHYSMEM_BITS`), where the
/// CPU's own limit is not at hand (architectures other than x86_64, built only).
#[cfg(not(CONFIG_X86_64))]
pub(crate) fn phys_limit() -> u64 {
    // SAFETY: `MAX_PHYSMEM_BITS` is a constant or reads a boot-time setting (arm64's LPA2).
    let bits = unsafe { bindings::MAX_PHYSMEM_BITS() };
    u32::try_from(bits)
        .ok()
        .and_then(|b| 1u64.checked_shl(b))
        .unwrap_or(u64::MAX)
}

/// The `elfcorehdr=` address and size (0 when the command line gave none).
pub(crate) fn elfcorehdr() -> (u64, u64) {
    // SAFETY: the globals are set by early boot code and only read after.
    unsafe { (bindings::elfcorehdr_addr, bindings::elfcorehdr_size) }
}

/// Lets the architecture set up the elfcorehdr in this kernel (`elfcorehdr_alloc()`).
#[cfg(CONFIG_PROC_VMCORE_RUST)]
pub(crate) fn elfcorehdr_alloc() -> Result {
    // SAFETY: the hook takes pointers to the two globals, valid for the kernel's lifetime; it
    // runs once, at initcall time, as vmcore_init() calls it.
    let rc = unsafe {
        bindings::elfcorehdr_alloc(
            core::ptr::addr_of_mut!(bindings::elfcorehdr_addr),
            core::ptr::addr_of_mut!(bindings::elfcorehdr_size),
        )
    };
    kernel::error::to_result(rc)
}

/// Frees what [`elfcorehdr_alloc`] set up (`elfcorehdr_free()`).
#[cfg(CONFIG_PROC_VMCORE_RUST)]
pub(crate) fn elfcorehdr_free(addr: u64) {
    // SAFETY: the hook frees what `elfcorehdr_alloc()` set up; called once after parsing.
    unsafe { bindings::elfcorehdr_free(addr) }
}

fn read_result(r: isize) -> Result {
    if r < 0 {
        return Err(Error::from_errno(
            c_int::try_from(r).unwrap_or(EIO.to_errno()),
        ));
    }
    Ok(())
}

/// Reads `buf.len()` bytes of the elfcorehdr at physical `pos` (`elfcorehdr_read()`).
pub(crate) fn elfcorehdr_read(buf: &mut [u8], pos: u64) -> Result {
    let mut pos = pos;
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes; `pos` is a valid `u64`.
    read_result(unsafe { bindings::elfcorehdr_read(buf.as_mut_ptr().cast(), buf.len(), &mut pos) })
}

/// Reads `buf.len()` bytes of a note segment at physical `pos` (`elfcorehdr_read_notes()`).
pub(crate) fn elfcorehdr_read_notes(buf: &mut [u8], pos: u64) -> Result {
    let mut pos = pos;
    // SAFETY: as in `elfcorehdr_read`.
    read_result(unsafe {
        bindings::elfcorehdr_read_notes(buf.as_mut_ptr().cast(), buf.len(), &mut pos)
    })
}
