// SPDX-License-Identifier: GPL-2.0

//! The pure-logic files of the kernel's Rust kexec/kdump parts, compiled for the host.
//!
//! Each module is the very file the kernel compiles (`#[path]` into the tree), so `cargo test`
//! and fuzzing exercise the code that runs in the kernel, not a copy of it.

#[path = "../../../../samples/rust/kdump_sample/vmcoreinfo.rs"]
pub mod vmcoreinfo;

/// A small deterministic generator (xorshift64*) for property tests: the same seed gives the
/// same cases on every machine, so a failure names a seed that reproduces it.
pub struct Rng(u64);

impl Rng {
    /// A generator; a zero seed is replaced, since xorshift would stay at zero.
    pub fn new(seed: u64) -> Self {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

#[path = "../../../../vmcore/elf.rs"]
pub mod elf;

#[path = "../../../../vmcore/layout.rs"]
pub mod layout;

#[path = "../../../../vmcore/read.rs"]
pub mod read;

pub mod elfcorehdr;

#[path = "../../../../kexec/segments.rs"]
pub mod segments;

#[path = "../../../../kexec/file/bootparams.rs"]
pub mod bootparams;

#[path = "../../../../kexec/file/bzimage.rs"]
pub mod bzimage;

#[path = "../../../../kexec/file/digest.rs"]
pub mod digest;

#[path = "../../../../kexec/file/hole.rs"]
pub mod hole;

#[path = "../../../../kexec/file/le.rs"]
pub mod le;

#[path = "../../../../kexec/file/purgatory.rs"]
pub mod purgatory;

#[path = "../../../../crash/elfcore.rs"]
pub mod crash_elfcore;

#[path = "../../../../crash/note.rs"]
pub mod crash_note;

/// The `kexec_load` flag, count and architecture checks, which the kernel keeps in C.
pub mod kexec_call;
