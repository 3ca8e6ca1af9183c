// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `rust_crash`: the crash path as only a kernel can run it. The elfcorehdr
//! builder and the notes are pure and tested on the host (`tools/testing/kdump_host`); these
//! cases take the kernel's own kexec lock and call the panic entry for real, and write the
//! kernel's own VMCOREINFO text and this CPU's crash note, putting back what they change. A
//! KUnit boot loads no crash kernel, which the cases check under the lock before they call.

#[kernel::macros::kunit_tests(rust_crash)]
mod tests {
    use core::mem::{offset_of, size_of};
    use core::ptr;
    use kernel::bindings;
    use kernel::ffi::c_int;
    use kernel::kexec::{ImageSlot, KexecGuard};
    use kernel::page::PAGE_SIZE;
    use kernel::prelude::*;

    use crate::cpu_notes::{self, CrashNotes, CORE, NT_PRSTATUS};
    use crate::note::NOTE_HEAD;
    use crate::vmcoreinfo::{self, VmcoreinfoBuf, NAME};
    use crate::{panic, sys};

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

    /// The little-endian word at `at` of `b`, or `None` past its end.
    fn word(b: &[u8], at: usize) -> Option<u32> {
        let w = b.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(w.try_into().ok()?))
    }

    /// Whether `b` holds, at its start, a note named `name` of type `ntype` with data `desc`,
    /// followed by the empty note that ends a list.
    fn is_note(b: &[u8], name: &[u8], ntype: u32, desc: &[u8]) -> bool {
        let desc_at = NOTE_HEAD + ((name.len() + 1 + 3) & !3);
        let end = desc_at + ((desc.len() + 3) & !3);
        word(b, 0) == Some(name.len() as u32 + 1)
            && word(b, 4) == Some(desc.len() as u32)
            && word(b, 8) == Some(ntype)
            && b.get(NOTE_HEAD..NOTE_HEAD + name.len()) == Some(name)
            && b.get(NOTE_HEAD + name.len()) == Some(&0)
            && b.get(desc_at..desc_at + desc.len()) == Some(desc)
            && b.get(end..end + NOTE_HEAD)
                .is_some_and(|f| f.iter().all(|&x| x == 0))
    }

    /// The VMCOREINFO text, copied.
    fn text_copy(buf: &mut VmcoreinfoBuf) -> Result<KVec<u8>> {
        let mut v = KVec::new();
        v.extend_from_slice(buf.text().as_bytes(), GFP_KERNEL)?;
        Ok(v)
    }

    /// A line appended to the VMCOREINFO text ends it, and the note made from the text
    /// carries the whole text: name `VMCOREINFO`, type 0, the empty note after it. The text's
    /// length and the note are put back.
    #[test]
    fn vmcoreinfo_append_reaches_the_text_and_its_note() -> Result {
        const APPENDED: &[u8] = b"KUNIT_RUST_CRASH=1\n";
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        let (before, full, text, note_ok) = {
            // SAFETY: boot is over: the text's other writers load or unload a crash image or
            // crash, under the kexec lock, which we hold (`get`'s `# Safety`).
            let mut buf = unsafe { VmcoreinfoBuf::get() }.ok_or(ENOENT)?;
            let before = buf.text().len();
            let full = buf.append(APPENDED);
            buf.update_note();
            let text = text_copy(&mut buf);
            let note_ok = text
                .as_ref()
                .is_ok_and(|t| buf.note().is_some_and(|n| is_note(n, NAME, 0, t)));
            // SAFETY: `vmcoreinfo_size` is ours while `buf` lives (`VmcoreinfoBuf`'s
            // invariants).
            unsafe { ptr::addr_of_mut!(bindings::vmcoreinfo_size).write(before) };
            buf.update_note();
            (before, full, text?, note_ok)
        };
        // A failed assertion ends the case at once, dropping nothing: the lock goes first.
        drop(lock);
        assert!(!full);
        assert_eq!(text.len(), before + APPENDED.len());
        assert!(text.ends_with(APPENDED));
        assert!(note_ok);
        Ok(())
    }

    /// `crash_update_vmcoreinfo_safecopy()` copies the text into the page it is given, and
    /// nothing past it; the copy is let go of again (a loaded crash image would own it: the
    /// case refuses to run then).
    #[test]
    fn the_vmcoreinfo_safe_copy_equals_the_text() -> Result {
        let lock = KexecGuard::try_lock().ok_or(EBUSY)?;
        if ImageSlot::Crash.is_loaded() {
            return Err(EEXIST);
        }
        let mut copy = KVec::from_elem(0xa5u8, PAGE_SIZE, GFP_KERNEL)?;
        // SAFETY: `copy` is a page's worth of mapped memory, apart from the text, that stays
        // until the second call below lets go of it; we hold the kexec lock.
        unsafe { vmcoreinfo::set_safecopy(copy.as_mut_ptr()) };
        // SAFETY: null; we hold the kexec lock.
        unsafe { vmcoreinfo::set_safecopy(ptr::null_mut()) };
        let text = {
            // SAFETY: we hold the kexec lock, under which `get`'s `# Safety` lists the other
            // writers after boot.
            let mut buf = unsafe { VmcoreinfoBuf::get() }.ok_or(ENOENT)?;
            text_copy(&mut buf)?
        };
        // A failed assertion ends the case at once, dropping nothing: the lock goes first.
        drop(lock);
        assert!(!text.is_empty());
        assert_eq!(copy.get(..text.len()), Some(&text[..]));
        assert!(copy.iter().skip(text.len()).all(|&b| b == 0xa5));
        Ok(())
    }

    /// `crash_save_cpu()` on this CPU, with registers each holding its own index, leaves in
    /// this CPU's `crash_notes` buffer a `CORE` note of type `NT_PRSTATUS` with the current
    /// task's pid and those registers, then the empty note. The buffer is put back.
    #[test]
    fn crash_save_cpu_writes_this_cpus_prstatus_note() -> Result {
        // The number may go stale if the task moves: it names the buffer written and read.
        let cpu = sys::this_cpu();
        let mut slot = CrashNotes::get().and_then(|n| n.of(cpu)).ok_or(ENOENT)?;
        // SAFETY: all-zero is a valid `pt_regs`: integers and unions of integers.
        let mut regs: bindings::pt_regs = unsafe { core::mem::zeroed() };
        // The registers `elf_core_copy_regs()` copies, in `pt_regs`'s order: all 21 of x86_64's
        // (`elf_gregset_t` is longer), the first `elf_gregset_t` words elsewhere.
        let n = size_of::<bindings::pt_regs>().min(size_of::<bindings::elf_gregset_t>()) / 8;
        let words = ptr::addr_of_mut!(regs).cast::<u64>();
        for i in 0..n {
            // SAFETY: word `i` of `regs`, which is `n` words long.
            unsafe { words.add(i).write(0x100 + i as u64) };
        }
        let mut saved = [0u8; size_of::<bindings::note_buf_t>()];
        // SAFETY: no crash is under way (one would not come back here), so nothing else uses
        // the buffer: `bytes_mut`'s `# Safety`, here and below.
        for (s, b) in saved.iter_mut().zip(unsafe { slot.bytes_mut() }.iter()) {
            *s = *b;
        }
        // SAFETY: `regs` are registers; nothing else uses CPU `cpu`'s buffer (as above).
        unsafe { cpu_notes::save(&mut regs, cpu as c_int) };
        // SAFETY: as above.
        let out = unsafe { slot.bytes_mut() };
        let desc_at = NOTE_HEAD + ((CORE.len() + 1 + 3) & !3);
        // Nothing returns before the buffer is put back: a missing range fails the checks.
        let desc = out
            .get(desc_at..desc_at + size_of::<bindings::elf_prstatus>())
            .unwrap_or(&[]);
        let pid_at = offset_of!(bindings::elf_prstatus, common)
            + offset_of!(bindings::elf_prstatus_common, pr_pid);
        let pid = word(desc, pid_at).map(|w| w as i32);
        // SAFETY: `current` is a live task, as `task_pid` asks.
        let want_pid = unsafe { sys::task_pid(bindings::get_current()) };
        let reg_at = offset_of!(bindings::elf_prstatus, pr_reg);
        let regs_ok = (0..n).all(|i| {
            let at = reg_at + 8 * i;
            let lo = word(desc, at).map(u64::from);
            let hi = word(desc, at + 4).map(u64::from);
            lo.zip(hi).map(|(l, h)| l | (h << 32)) == Some(0x100 + i as u64)
        });
        let note_ok = is_note(out, CORE, NT_PRSTATUS, desc);
        for (b, s) in out.iter_mut().zip(saved.iter()) {
            *b = *s;
        }
        assert!(note_ok);
        assert_eq!(pid, Some(want_pid));
        assert!(regs_ok);
        Ok(())
    }
}
