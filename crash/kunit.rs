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

    /// An iterator over the kernel log, its end the record the log's next one will get.
    fn log_iter() -> bindings::kmsg_dump_iter {
        let mut iter = bindings::kmsg_dump_iter {
            cur_seq: 0,
            next_seq: 0,
        };
        // SAFETY: `iter` is ours; `kmsg_dump_rewind()` only writes it, from the ring buffer's
        // positions, which it reads locklessly.
        unsafe { bindings::kmsg_dump_rewind(&mut iter) };
        iter
    }

    /// How many kernel log records from sequence number `from` on hold `needle` (another CPU
    /// may log meanwhile: only the records that say it count).
    fn records_saying(from: u64, needle: &[u8]) -> usize {
        let mut iter = log_iter();
        iter.cur_seq = from;
        let mut line = [0u8; 512];
        let mut len = 0usize;
        let mut n = 0;
        // SAFETY: `iter`, `line` (`line.len()` bytes) and `len` are ours and live through the
        // call; `kmsg_dump_get_line()` reads the ring buffer locklessly (any `cur_seq` will do:
        // it skips what was overwritten) and writes at most `line.len()` bytes.
        while unsafe {
            bindings::kmsg_dump_get_line(
                &mut iter,
                false,
                line.as_mut_ptr().cast(),
                line.len(),
                &mut len,
            )
        } {
            let text = line.get(..len).unwrap_or(&line);
            if text.windows(needle.len()).any(|w| w == needle) {
                n += 1;
            }
        }
        n
    }

    /// With no crash kernel loaded, a panic's `__crash_kexec()` has no kdump to wait for: it
    /// returns at once, saying nothing, even while another context (here the test) holds the
    /// kexec lock, and leaves the lock alone. A version that tried the lock first waited 1 ms
    /// for it and then logged "kdump skipped" on every call: the log tells the two apart, where
    /// a clock would not (under TCG the KUnit guest times on 4 ms jiffies).
    #[test]
    fn a_panic_with_no_crash_kernel_says_nothing_of_the_held_lock() -> Result {
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        // Under the lock nothing can be loaded meanwhile; with a crash kernel loaded the call
        // would jump into it, so refuse to run.
        if ImageSlot::Crash.is_loaded() {
            return Err(EEXIST);
        }
        let before = log_iter().next_seq;
        for _ in 0..3 {
            // SAFETY: null registers are allowed (`# Safety` of `crash_kexec_now`); no crash
            // image is loaded and none can be while `lock` is held, so it returns.
            unsafe { panic::crash_kexec_now(ptr::null_mut()) };
        }
        let said = records_saying(before, b"kdump skipped");
        let still_held = KexecGuard::try_lock().is_none();
        drop(lock);
        assert_eq!(said, 0);
        assert!(still_held);
        Ok(())
    }
}
