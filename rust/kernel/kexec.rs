// SPDX-License-Identifier: GPL-2.0

//! The kexec lock and the loaded images.
//!
//! C headers: [`include/linux/kexec.h`](srctree/include/linux/kexec.h),
//! [`kernel/kexec_internal.h`](srctree/kernel/kexec_internal.h)
//!
//! Whoever loads, unloads, boots or crashes into a kexec image takes `__kexec_lock` first: the
//! `kexec_load` and `kexec_file_load` syscalls, `kernel_kexec()`, `crash_shrink_memory()`, the
//! crash hotplug handler and `__crash_kexec()`. C takes it with the inlines `kexec_trylock()`
//! (`atomic_cmpxchg_acquire(&__kexec_lock, 0, 1)`) and `kexec_unlock()`
//! (`atomic_set_release(&__kexec_lock, 0)`); [`KexecGuard`] is the same lock for Rust.
//!
//! The symbols are defined by the kexec core: `kernel/kexec_core.c`, or, with
//! `CONFIG_KEXEC_CORE_RUST`, its Rust replacement (`kdump/kexec`). This module reaches them
//! through the bindings of both headers, so it works with either core; the parts take the lock
//! and the slots only through it.
//!
//! The images are [`Kimage`]s ([`kimage`]): a slot holds an [`OwnedKimage`], swapped in and
//! out under the lock, and lends it out as `&Kimage` for as long as the lock is held.
//!
//! # Memory ordering
//!
//! An image is built privately and published into its slot with [`ImageSlot::swap`] under the
//! lock (a release, so a reader that sees the pointer also sees the image's contents); it is
//! freed only after it has been swapped out under the lock. A reader that holds the lock may
//! use the image [`ImageSlot::get`] lends it until it unlocks: `get` is an acquire load.
//! [`ImageSlot::is_loaded`] is an acquire too and may be called without the lock: without it,
//! only whether the slot is empty can be relied on (that is what `/sys/kernel/kexec_loaded`
//! reads).

use crate::bindings;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

pub mod kimage;

pub use kimage::{Kimage, KimageKind, OwnedKimage};

/// `atomic_t __kexec_lock` ([`kernel/kexec_internal.h`](srctree/kernel/kexec_internal.h)): 0
/// free, 1 held.
fn lock_word() -> &'static AtomicI32 {
    // SAFETY: `__kexec_lock` is a static `atomic_t`, an aligned `int` that lives forever and
    // that C reads and writes only with atomic operations; `AtomicI32` has the layout of an
    // `int`.
    unsafe { AtomicI32::from_ptr(ptr::addr_of_mut!(bindings::__kexec_lock.counter)) }
}

/// Holds the kexec lock; unlocks on drop.
///
/// # Invariants
///
/// While a `KexecGuard` exists, `__kexec_lock` is 1 and was set so by this guard's
/// [`KexecGuard::try_lock`].
pub struct KexecGuard {
    /// Unlocked where it was locked: not `Send`.
    _not_send: PhantomData<*mut ()>,
}

impl KexecGuard {
    /// `kexec_trylock()`: the lock, or `None` if someone holds it (the lock never sleeps or
    /// spins: a loader returns `EBUSY`, the crash path skips kdump).
    pub fn try_lock() -> Option<Self> {
        lock_word()
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            // INVARIANT: the exchange from 0 to 1 succeeded: this guard took the lock.
            .map(|_| KexecGuard {
                _not_send: PhantomData,
            })
    }
}

impl Drop for KexecGuard {
    fn drop(&mut self) {
        // `kexec_unlock()`. By the type invariant this guard holds the lock.
        lock_word().store(0, Ordering::Release);
    }
}

/// One of the two loaded-image slots: `kexec_image` (`kexec -l`, booted by `kexec -e`) and
/// `kexec_crash_image` (`kexec -p`, booted by a panic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageSlot {
    /// `kexec_image`.
    Kexec,
    /// `kexec_crash_image`.
    Crash,
}

impl ImageSlot {
    #[inline]
    fn atomic(self) -> &'static AtomicPtr<bindings::kimage> {
        let p = match self {
            ImageSlot::Kexec => ptr::addr_of_mut!(bindings::kexec_image),
            ImageSlot::Crash => ptr::addr_of_mut!(bindings::kexec_crash_image),
        };
        // SAFETY: both are static `struct kimage *`, aligned and alive forever; C writes them
        // only under the kexec lock, as `swap` does, and its plain accesses are pointer-sized
        // and aligned.
        unsafe { AtomicPtr::from_ptr(p) }
    }

    /// The image in the slot, or null (acquire).
    #[inline]
    fn load(self) -> *mut bindings::kimage {
        self.atomic().load(Ordering::Acquire)
    }

    /// The image in the slot, lent for as long as `_lock` is held (an acquire load, no more:
    /// the crash path reads the crash slot this way).
    #[inline]
    pub fn get<'a>(self, _lock: &'a KexecGuard) -> Option<&'a Kimage> {
        let image = self.load();
        // SAFETY: a slot holds null or a complete image (`swap` takes only `OwnedKimage`s, C
        // publishes only complete ones), which satisfies `Kimage`'s invariants; it is freed
        // and changed only by holders of the kexec lock, which `_lock` holds for `'a`.
        (!image.is_null()).then(|| unsafe { Kimage::from_raw(image) })
    }

    /// The image in the slot, for a caller that holds the kexec lock but has no guard for it
    /// (a kexec hook C calls under the lock, such as `arch_kexec_protect_crashkres()`).
    ///
    /// # Safety
    ///
    /// The caller holds the kexec lock for `'a`.
    #[inline]
    pub unsafe fn get_locked<'a>(self) -> Option<&'a Kimage> {
        let image = self.load();
        // SAFETY: as in `get`: the caller holds the kexec lock for `'a` (this function's
        // `# Safety`).
        (!image.is_null()).then(|| unsafe { Kimage::from_raw(image) })
    }

    /// Whether an image is loaded (`kexec_image != NULL`), a snapshot: without the lock, a
    /// hint only.
    #[inline]
    pub fn is_loaded(self) -> bool {
        !self.load().is_null()
    }

    /// Publishes `new` (`None` to unload) and returns the image it replaces, which the caller
    /// now owns: nobody else can reach it once the guard is dropped.
    ///
    /// C boots the published image, and frees it when it replaces it (`kernel_kexec()`,
    /// `__crash_kexec()`, `kexec_file_load`, crash hotplug).
    pub fn swap(self, new: Option<OwnedKimage>, _lock: &KexecGuard) -> Option<OwnedKimage> {
        let new = new.map_or(ptr::null_mut(), |i| i.into_raw().as_ptr());
        let old = self.atomic().swap(new, Ordering::AcqRel);
        // SAFETY: what was in the slot is null or a complete image the slot owned (`swap`
        // takes only `OwnedKimage`s, C publishes only complete images); swapped out under the
        // lock, nothing else can reach it, so its ownership passes to the caller.
        NonNull::new(old).map(|p| unsafe { OwnedKimage::from_raw(p) })
    }

    /// Empties the slot and returns the image that was in it, as [`ImageSlot::swap`] with
    /// `None`.
    pub fn take(self, lock: &KexecGuard) -> Option<OwnedKimage> {
        self.swap(None, lock)
    }
}

/// `arch_kexec_protect_crashkres()`: makes crashkernel memory read-only again, once the crash
/// image in it has been written (all but the crash image's control code page, which
/// `machine_kexec()` writes on the crash path). C requires the kexec lock: the crash image,
/// whose control page is left writable, must not change meanwhile. Does nothing with no crash
/// image loaded, as C's callers do.
#[inline]
pub fn protect_crashkres(lock: &KexecGuard) {
    if ImageSlot::Crash.get(lock).is_none() {
        return;
    }
    // SAFETY: the arch hooks ask two things of their callers (`kexec_load()`,
    // `kexec_file_load()`, crash hotplug): the kexec lock, which `lock` is by `KexecGuard`'s
    // invariant, and a loaded crash image (x86_64's C reads its control code page), which the
    // slot holds and keeps while the lock is held.
    unsafe { bindings::arch_kexec_protect_crashkres() }
}

/// `arch_kexec_unprotect_crashkres()`: makes crashkernel memory writable, to change the
/// loaded crash image in place. As [`protect_crashkres`], C requires the kexec lock.
#[inline]
pub fn unprotect_crashkres(lock: &KexecGuard) {
    if ImageSlot::Crash.get(lock).is_none() {
        return;
    }
    // SAFETY: as in `protect_crashkres`: `lock` is the kexec lock, by `KexecGuard`'s
    // invariant, and a crash image is loaded.
    unsafe { bindings::arch_kexec_unprotect_crashkres() }
}

/// `machine_kexec()` of the image in `slot`: jumps into it, returning only for an image loaded
/// with `KEXEC_PRESERVE_CONTEXT`. Nothing happens if the slot is empty. Allocates nothing:
/// the crash path calls it.
///
/// # Safety
///
/// The machine is shut down for the image (`machine_crash_shutdown()` for the crash image,
/// `machine_shutdown()` for the other): no other CPU runs kernel code that the jump would pull
/// out from under it, and nothing uses the image's pages any more.
#[inline]
pub unsafe fn machine_kexec(slot: ImageSlot, lock: &KexecGuard) {
    let Some(image) = slot.get(lock) else {
        return;
    };
    // SAFETY: `image` is the loaded image of `slot`, which stays loaded while `lock` is held;
    // the machine is shut down for it (this function's `# Safety`), which is what
    // `machine_kexec()` asks.
    unsafe { bindings::machine_kexec(image.as_raw()) }
}
