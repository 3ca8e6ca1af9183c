// SPDX-License-Identifier: GPL-2.0

//! The jump into the crash kernel: `__crash_kexec()`, which every panic, oops with
//! `panic_on_oops`, sysrq-c and NMI watchdog crash reaches, and its guard `crash_kexec()`.
//!
//! This runs on a dying machine, on any CPU and in any context (NMI and double fault
//! included), with locks possibly held and memory possibly corrupt. So nothing reachable from
//! here allocates, sleeps, takes a lock it could wait on, formats into an allocated buffer or
//! can panic: the kexec lock is only tried, everything used was reserved at boot or at load
//! time, and the arithmetic is checked or wrapping.

use core::sync::atomic::{AtomicI32, Ordering};
use kernel::bindings;
use kernel::kexec::{self, ImageSlot, KexecGuard};

use crate::sys;
use crate::vmcoreinfo;

/// `__crash_kexec()`: with the kexec lock (tried, never waited for) and a crash image loaded,
/// saves this CPU's registers and the vmcoreinfo, stops the other CPUs (each saves its own
/// registers) and jumps into the crash kernel. Returns only when it could not: the lock was
/// held or no crash image is loaded. With no crash image loaded it returns at once, saying
/// nothing, as C does: there is no kdump to skip.
///
/// # Safety
///
/// `regs` is null or the registers of the context that crashed.
pub(crate) unsafe fn crash_kexec_now(regs: *mut bindings::pt_regs) {
    // A hint, read without the lock: only a loaded crash image is worth waiting for the lock.
    // An image a loader publishes after this read is one this panic did not know of (as in C,
    // where the panic may come just before the swap); what is read here is never used, the
    // slot is read again under the lock.
    if !ImageSlot::Crash.is_loaded() {
        return;
    }
    // A loader holding the lock may be rewriting the crash image.
    let Some(lock) = lock_for_crash() else {
        // C skips kdump silently here; say so, on the console the user is looking at. A
        // constant string with no conversions: nothing is formatted.
        // SAFETY: a NUL-terminated format without conversion specifiers, and no arguments.
        unsafe { bindings::_printk(SKIPPED.as_char_ptr()) };
        return;
    };
    // Read again under the lock: the image stays loaded while it is held, and it is never
    // released on this path.
    if ImageSlot::Crash.get(&lock).is_some() {
        // SAFETY: all-zero is a valid `pt_regs`: integers and unions of integers.
        let mut fixed: bindings::pt_regs = unsafe { core::mem::zeroed() };
        // SAFETY: `fixed` is ours; `regs` is null or the registers of the context that
        // crashed (this function's `# Safety`), as `setup_regs`'s `# Safety` asks.
        unsafe { setup_regs(&mut fixed, regs) };
        vmcoreinfo::save_on_crash(&lock);
        // SAFETY: `machine_crash_shutdown()` asks for the registers of the crash, which it
        // hands to `crash_save_cpu()` (`fixed`, filled above), and to be called once, on the
        // CPU that owns `panic_cpu` or holds the kexec lock: this one. It stops the other
        // CPUs, which is what `kexec::machine_kexec`'s `# Safety` asks for the crash image.
        unsafe {
            bindings::machine_crash_shutdown(&mut fixed);
            kexec::machine_kexec(ImageSlot::Crash, &lock);
        }
    }
    drop(lock);
}

/// What the console says when kdump is skipped (`KERN_EMERG`, as panic's own lines).
const SKIPPED: &kernel::str::CStr = kernel::c_str!(
    "\x010crash_core: kdump skipped: the kexec lock is held (a kexec load or unload, kexec -e, \
     a crashkernel resize or a crash hotplug update is in progress)\n"
);

/// How long, in microseconds, the crash path waits for a kexec lock that another CPU holds.
const LOCK_WAIT_US: u32 = 1000;

/// `kexec_trylock()`, retried for up to [`LOCK_WAIT_US`]. A normal (`kexec -l`) load holds
/// the lock only to swap its finished image into its slot, a few instructions unless an
/// interrupt comes between them, so a panic in the middle of one still gets the crash image;
/// a crash image being rewritten holds it for the whole copy, and kdump is skipped. Only
/// waited for, never spun on without bound: the holder may be this CPU, or stopped.
fn lock_for_crash() -> Option<KexecGuard> {
    for _ in 0..LOCK_WAIT_US {
        if let Some(lock) = KexecGuard::try_lock() {
            return Some(lock);
        }
        // SAFETY: a calibrated busy wait, safe in any context.
        unsafe { bindings::__udelay(1) };
    }
    KexecGuard::try_lock()
}

// The offsets `setup_regs` writes at: x86_64's `struct pt_regs`.
#[cfg(CONFIG_X86_64)]
const _: () = {
    use bindings::pt_regs as R;
    use core::mem::offset_of;
    assert!(offset_of!(R, r15) == 0 && offset_of!(R, r14) == 8 && offset_of!(R, r13) == 16);
    assert!(offset_of!(R, r12) == 24 && offset_of!(R, bp) == 32 && offset_of!(R, bx) == 40);
    assert!(offset_of!(R, r11) == 48 && offset_of!(R, r10) == 56 && offset_of!(R, r9) == 64);
    assert!(offset_of!(R, r8) == 72 && offset_of!(R, ax) == 80 && offset_of!(R, cx) == 88);
    assert!(offset_of!(R, dx) == 96 && offset_of!(R, si) == 104 && offset_of!(R, di) == 112);
    assert!(offset_of!(R, ip) == 128 && offset_of!(R, __bindgen_anon_1) == 136);
    assert!(offset_of!(R, flags) == 144 && offset_of!(R, sp) == 152);
    assert!(offset_of!(R, __bindgen_anon_2) == 160);
};

/// `crash_setup_regs()` (x86_64): `regs` when the caller has them, else this CPU's registers
/// as they are here. It is always inlined, as C's inline is into `__crash_kexec()`, so the
/// stack and instruction pointers saved are those of the function that is still running
/// when the dump is made, and the unwinder starts from a live frame. The pointer is passed in
/// `rdi` (saved as itself, as C's saves whatever its registers hold), so that no callee-saved
/// register is overwritten before it is saved.
///
/// # Safety
///
/// `regs` is null or points to registers.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
unsafe fn setup_regs(fixed: &mut bindings::pt_regs, regs: *const bindings::pt_regs) {
    if !regs.is_null() {
        // SAFETY: `regs` is not null, so it points to registers (this function's `# Safety`).
        *fixed = unsafe { regs.read() };
        return;
    }
    let p: *mut bindings::pt_regs = fixed;
    // SAFETY: writes only `*p`, at the offsets asserted above; reads registers, and uses the
    // stack for the flags only (the kernel has no red zone).
    unsafe {
        core::arch::asm!(
            "mov [rdi + 40], rbx",
            "mov [rdi + 88], rcx",
            "mov [rdi + 96], rdx",
            "mov [rdi + 104], rsi",
            "mov [rdi + 112], rdi",
            "mov [rdi + 32], rbp",
            "mov [rdi + 80], rax",
            "mov [rdi + 152], rsp",
            "mov [rdi + 72], r8",
            "mov [rdi + 64], r9",
            "mov [rdi + 56], r10",
            "mov [rdi + 48], r11",
            "mov [rdi + 24], r12",
            "mov [rdi + 16], r13",
            "mov [rdi + 8], r14",
            "mov [rdi], r15",
            "mov eax, ss",
            "mov [rdi + 160], ax",
            "mov eax, cs",
            "mov [rdi + 136], ax",
            "pushfq",
            "pop qword ptr [rdi + 144]",
            "lea rax, [rip]",
            "mov [rdi + 128], rax",
            in("rdi") p,
            out("rax") _,
        );
    }
}

/// `crash_setup_regs()` off x86_64 (arm64, built only): the architecture's C inline, through
/// a helper. The registers it saves are the helper's, one frame below the crash path, whose
/// frame is gone when the dump is read; an architecture that boots this path gives it an
/// inline `asm!` as x86_64 has, first.
///
/// # Safety
///
/// `regs` is null or points to registers.
#[cfg(not(CONFIG_X86_64))]
unsafe fn setup_regs(fixed: &mut bindings::pt_regs, regs: *const bindings::pt_regs) {
    // SAFETY: `regs` is null or points to registers (this function's `# Safety`), which
    // `crash_setup_regs()` reads only when not null; `fixed` is ours to write.
    unsafe { bindings::crash_setup_regs(fixed, regs.cast_mut()) };
}

/// `PANIC_CPU_INVALID`.
const PANIC_CPU_INVALID: i32 = -1;

fn panic_cpu() -> &'static AtomicI32 {
    // SAFETY: `panic_cpu` is a static `atomic_t`, an aligned `int` that C accesses only
    // atomically; `AtomicI32` has the layout of an `int`.
    unsafe { AtomicI32::from_ptr(core::ptr::addr_of_mut!(bindings::panic_cpu.counter)) }
}

/// `crash_kexec()`: as [`crash_kexec_now`], for the first CPU only (the one that sets
/// `panic_cpu`, as `panic()` does), so that CPUs crashing together do not stop each other.
///
/// # Safety
///
/// As for [`crash_kexec_now`].
pub(crate) unsafe fn crash_kexec_once(regs: *mut bindings::pt_regs) {
    let this_cpu = sys::this_cpu() as i32;
    if panic_cpu()
        .compare_exchange(
            PANIC_CPU_INVALID,
            this_cpu,
            Ordering::SeqCst,
            Ordering::SeqCst,
        )
        .is_ok()
    {
        // SAFETY: `regs` is null or the registers of the context that crashed (this
        // function's `# Safety`, the same as `crash_kexec_now`'s).
        unsafe { crash_kexec_now(regs) };
        // Let a later panic() or crash_kexec() through.
        panic_cpu().store(PANIC_CPU_INVALID, Ordering::Relaxed);
    }
}

/// `kexec_should_crash()`: whether an oops of task `p` ends in kdump now, before the panic
/// notifiers (never, with `crash_kexec_post_notifiers`: `panic()` calls kdump after them).
///
/// # Safety
///
/// `p` is a live task.
pub(crate) unsafe fn should_crash(p: *mut bindings::task_struct) -> bool {
    // SAFETY: plain reads of boot parameters.
    if unsafe { bindings::crash_kexec_post_notifiers } {
        return false;
    }
    // The four panic()s of make_task_dead(), one for each condition.
    if sys::in_interrupt() {
        return true;
    }
    // SAFETY: `p` is a live task (this function's `# Safety`), as `task_pid` and
    // `is_global_init()` ask; `panic_on_oops` is a plain int.
    unsafe { sys::task_pid(p) == 0 || bindings::is_global_init(p) || bindings::panic_on_oops != 0 }
}
