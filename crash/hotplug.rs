// SPDX-License-Identifier: GPL-2.0

//! Crash hotplug: when a CPU or memory block comes or goes, the loaded crash image's
//! elfcorehdr is rewritten in place (by the architecture's handler), so the dump shows what was
//! online at the crash (`crash_handle_hotplug_event()`), for images loaded with hotplug support
//! (`crash_check_hotplug_support()`, which `/sys/devices/system/{cpu,memory}/crash_hotplug`
//! reads).

use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::kexec::{self, ImageSlot, KexecGuard, Kimage};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use crate::elf::ELFMAG;

/// `pr_*()` as C's crash hotplug half prints, with its prefix, `crash hp: ` (crash_core.c
/// redefines `pr_fmt` for it), instead of the crate's: the lines users grep for stay the
/// same. `pr_debug` lines keep the crate's prefix: `pr_debug!` is compiled in only with
/// `DEBUG`, as in the rest of Rust for Linux.
macro_rules! hp_print {
    ($level:ident, $($arg:tt)*) => {
        // SAFETY: a kernel format string (`"%s: %pA"`), a NUL-terminated prefix and the
        // arguments it formats.
        unsafe {
            kernel::print::call_printk(
                &kernel::print::format_strings::$level,
                b"crash hp\0",
                format_args!($($arg)*),
            )
        }
    };
}

/// Holds the hotplug mutex (glue.c's statically initialised mutex that serialises hotplug
/// events); unlocks on drop.
struct HotplugGuard;

impl HotplugGuard {
    fn lock() -> Self {
        // SAFETY: a mutex, taken in process context (sysfs reads, hotplug callbacks).
        unsafe { bindings::crash_hotplug_lock() };
        HotplugGuard
    }
}

impl Drop for HotplugGuard {
    fn drop(&mut self) {
        // SAFETY: taken by `lock`, on this task.
        unsafe { bindings::crash_hotplug_unlock() };
    }
}

/// `crash_check_hotplug_support()`: whether the kernel may update the loaded crash image
/// itself.
pub(crate) fn supported() -> bool {
    let _hp = HotplugGuard::lock();
    let Some(lock) = KexecGuard::try_lock() else {
        hp_print!(
            INFO,
            "kexec_trylock() failed, kdump image may be inaccurate\n"
        );
        return false;
    };
    ImageSlot::Crash
        .get(&lock)
        .is_some_and(Kimage::hotplug_support)
}

/// The first page of a segment of the loaded crash image, mapped to be read: where the
/// elfcorehdr segment is told from the others.
///
/// # Invariants
///
/// `p` is a `kmap_local_pfn()` mapping of a page of crashkernel memory, [`PAGE_SIZE`] bytes
/// that only holders of the kexec lock write, made on this task and unmapped on drop; the
/// lock is held for `'a`.
struct SegmentHead<'a> {
    p: NonNull<c_void>,
    _lock: PhantomData<&'a KexecGuard>,
}

impl<'a> SegmentHead<'a> {
    /// Maps the first page of `seg`, or `None` if it cannot be mapped.
    ///
    /// # Safety
    ///
    /// `seg` is a segment of the loaded crash image, which lies in crashkernel memory (the
    /// loader checked it).
    unsafe fn map(seg: &bindings::kexec_segment, _lock: &'a KexecGuard) -> Option<Self> {
        // SAFETY: `seg.mem` is in crashkernel memory (this function's `# Safety`), which has
        // `struct page`s: `kmap_local_pfn()` maps any such page on this task.
        let p = unsafe { bindings::kmap_local_pfn(seg.mem >> bindings::PAGE_SHIFT) };
        // INVARIANT: a local mapping of a crashkernel page, made on this task; lock holders
        // are its only writers, and `_lock` holds the lock for `'a`.
        NonNull::new(p).map(|p| SegmentHead {
            p,
            _lock: PhantomData,
        })
    }

    /// Whether the page starts with `magic`.
    fn starts_with(&self, magic: &[u8]) -> bool {
        // SAFETY: `p` maps `PAGE_SIZE` bytes that nothing writes while the kexec lock is held,
        // which it is for as long as `self` lives (the type's invariants); the slice lives no
        // longer than `self`.
        let head = unsafe {
            core::slice::from_raw_parts(self.p.as_ptr().cast::<u8>(), magic.len().min(PAGE_SIZE))
        };
        head == magic
    }
}

impl Drop for SegmentHead<'_> {
    fn drop(&mut self) {
        // SAFETY: `p` is a local mapping made on this task (the type's invariants), unmapped
        // once, here.
        unsafe { bindings::kunmap_local(self.p.as_ptr()) };
    }
}

/// The index of the segment that holds the elfcorehdr: the first whose first bytes are the
/// ELF magic (the last, if several are).
///
/// # Safety
///
/// `image` is the loaded crash image.
unsafe fn find_elfcorehdr(image: &Kimage, lock: &KexecGuard) -> Option<usize> {
    let mut found = None;
    for (k, seg) in image.segments().iter().enumerate() {
        // SAFETY: `seg` is a segment of the loaded crash image (this function's `# Safety`),
        // whose loader checked that it lies in crashkernel memory.
        let Some(head) = (unsafe { SegmentHead::map(seg, lock) }) else {
            continue;
        };
        if head.starts_with(&ELFMAG) {
            found = Some(k);
        }
    }
    found
}

/// `crash_handle_hotplug_event()`.
///
/// # Safety
///
/// `arg` is what the notifier chain passed (null for CPUs).
pub(crate) unsafe fn handle_event(action: c_uint, cpu: c_uint, arg: *mut c_void) {
    let _hp = HotplugGuard::lock();
    let Some(lock) = KexecGuard::try_lock() else {
        hp_print!(
            INFO,
            "kexec_trylock() failed, kdump image may be inaccurate\n"
        );
        return;
    };
    let Some(image) = ImageSlot::Crash.get(&lock) else {
        return;
    };
    if !image.hotplug_support() {
        return;
    }
    if action == bindings::KEXEC_CRASH_HP_ADD_CPU || action == bindings::KEXEC_CRASH_HP_REMOVE_CPU {
        pr_debug!("hp_action {}, cpu {}\n", action, cpu);
    } else {
        pr_debug!("hp_action {}\n", action);
    }
    if image.elfcorehdr_index() < 0 {
        // SAFETY: `image` is the loaded crash image, lent under the kexec lock we hold.
        if let Some(k) = unsafe { find_elfcorehdr(image, &lock) } {
            image.set_elfcorehdr_index(k as c_int);
        }
    }
    if image.elfcorehdr_index() < 0 {
        hp_print!(ERR, "unable to locate elfcorehdr segment");
        return;
    }
    kexec::unprotect_crashkres(&lock);
    image.set_hp_action(action as c_int);
    // SAFETY: the arch handler asks for the loaded crash image, which only holders of the
    // kexec lock change (we hold it), with crashkernel memory writable (just above) and `arg`
    // as the notifier chain passed it (this function's `# Safety`).
    unsafe { bindings::arch_crash_handle_hotplug_event(image.as_raw(), arg) };
    image.set_hp_action(bindings::KEXEC_CRASH_HP_NONE as c_int);
    image.set_elfcorehdr_updated(true);
    kexec::protect_crashkres(&lock);
    drop(lock);
}

#[cfg(CONFIG_HOTPLUG_CPU)]
extern "C" fn cpu_online(cpu: c_uint) -> c_int {
    // SAFETY: no argument for CPU events.
    unsafe { handle_event(bindings::KEXEC_CRASH_HP_ADD_CPU, cpu, core::ptr::null_mut()) };
    0
}

#[cfg(CONFIG_HOTPLUG_CPU)]
extern "C" fn cpu_offline(cpu: c_uint) -> c_int {
    // SAFETY: no argument for CPU events.
    unsafe {
        handle_event(
            bindings::KEXEC_CRASH_HP_REMOVE_CPU,
            cpu,
            core::ptr::null_mut(),
        )
    };
    0
}

#[cfg(CONFIG_MEMORY_HOTPLUG)]
mod memory {
    use super::*;

    /// The memory block states the chain is called with (`enum memory_block_state`), taken
    /// from the bindings. A first version wrote them down as bit flags (`1 << 0`, `1 << 2`),
    /// which this kernel's enum (0 and 2) is not, and never saw a block come online.
    const MEM_ONLINE: u64 = bindings::memory_block_state_MEM_ONLINE as u64;
    const MEM_OFFLINE: u64 = bindings::memory_block_state_MEM_OFFLINE as u64;

    extern "C" fn notifier(
        _nb: *mut bindings::notifier_block,
        val: kernel::ffi::c_ulong,
        arg: *mut c_void,
    ) -> c_int {
        let invalid = bindings::KEXEC_CRASH_HP_INVALID_CPU as c_uint;
        // SAFETY: `arg` is the chain's, handed on as C does.
        unsafe {
            match val as u64 {
                MEM_ONLINE => handle_event(bindings::KEXEC_CRASH_HP_ADD_MEMORY, invalid, arg),
                MEM_OFFLINE => handle_event(bindings::KEXEC_CRASH_HP_REMOVE_MEMORY, invalid, arg),
                _ => {}
            }
        }
        bindings::NOTIFY_OK as c_int
    }

    static mut NB: bindings::notifier_block = bindings::notifier_block {
        notifier_call: Some(notifier),
        next: core::ptr::null_mut(),
        priority: 0,
    };

    pub(super) fn register() {
        // SAFETY: `NB` is registered once, at boot, and lives forever; the chain owns it.
        unsafe { bindings::register_memory_notifier(core::ptr::addr_of_mut!(NB)) };
    }
}

/// `crash_hotplug_init()`: registers for memory and CPU hotplug events.
pub(crate) fn init() -> Result {
    #[cfg(CONFIG_MEMORY_HOTPLUG)]
    memory::register();
    #[cfg(CONFIG_HOTPLUG_CPU)]
    {
        // SAFETY: a dynamic state with static name and callbacks; no instance is called now
        // (`nocalls`).
        let r = unsafe {
            bindings::__cpuhp_setup_state(
                bindings::cpuhp_state_CPUHP_BP_PREPARE_DYN,
                kernel::c_str!("crash/cpuhp").as_char_ptr(),
                false,
                Some(cpu_online),
                Some(cpu_offline),
                false,
            )
        };
        // A dynamic state comes back as its number: only a negative value is an error.
        if r < 0 {
            return Err(Error::from_errno(r));
        }
    }
    Ok(())
}
