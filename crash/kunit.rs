// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `rust_crash`: the crash path as only a kernel can run it. The elfcorehdr
//! builder and the notes are pure and tested on the host (`tools/testing/kdump_host`); these
//! cases take the kernel's own kexec lock and call the panic entry for real. A KUnit boot
//! loads no crash kernel, which each case checks under the lock before it calls.

#[kernel::macros::kunit_tests(rust_crash)]
mod tests {
    use core::ptr;
    use kernel::bindings;
    use kernel::kexec::{ImageSlot, KexecGuard};
    use kernel::prelude::*;

    use crate::panic;

    /// The sequence number the kernel log's next record will get.
    fn log_next_seq() -> u64 {
        let mut iter = bindings::kmsg_dump_iter {
            cur_seq: 0,
            next_seq: 0,
        };
        // SAFETY: `iter` is ours; `kmsg_dump_rewind()` only writes it, from the ring buffer's
        // positions, which it reads locklessly.
        unsafe { bindings::kmsg_dump_rewind(&mut iter) };
        iter.next_seq
    }

    /// With no crash kernel loaded, a panic's `__crash_kexec()` has no kdump to wait for: it
    /// returns at once, saying nothing, even while another context (here the test) holds the
    /// kexec lock. A version that tried the lock first waited 1 ms for it and then logged
    /// "kdump skipped" on every call: the log's record count tells the two apart, where a
    /// clock would not (under TCG the KUnit guest times on 4 ms jiffies).
    #[test]
    fn a_panic_with_no_crash_kernel_says_nothing_of_the_held_lock() -> Result {
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        // Under the lock nothing can be loaded meanwhile; with a crash kernel loaded the call
        // would jump into it, so refuse to run.
        if ImageSlot::Crash.is_loaded() {
            return Err(EEXIST);
        }
        let before = log_next_seq();
        for _ in 0..3 {
            // SAFETY: null registers are allowed (`# Safety` of `crash_kexec_now`); no crash
            // image is loaded and none can be while `lock` is held, so it returns.
            unsafe { panic::crash_kexec_now(ptr::null_mut()) };
        }
        let logged = log_next_seq() - before;
        drop(lock);
        assert_eq!(logged, 0);
        Ok(())
    }

    /// The lock the test took is free again: the panic entry did not take or leave it.
    #[test]
    fn the_panic_entry_leaves_the_lock_as_it_found_it() -> Result {
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        if ImageSlot::Crash.is_loaded() {
            return Err(EEXIST);
        }
        drop(lock);
        // SAFETY: null registers are allowed; no crash image is loaded (checked just above,
        // and a KUnit boot has no loader running), so it returns.
        unsafe { panic::crash_kexec_now(ptr::null_mut()) };
        let again = KexecGuard::try_lock();
        assert!(again.is_some());
        Ok(())
    }
}
