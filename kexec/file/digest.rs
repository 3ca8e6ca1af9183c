// SPDX-License-Identifier: GPL-2.0

//! What the purgatory checks before it jumps to the new kernel: the regions of memory it
//! hashes and the order they are hashed in, as `kexec_calculate_store_digests()` in
//! [`kernel/kexec_file.c`](srctree/kernel/kexec_file.c) lists them.
//!
//! Pure logic, shared with the host crate. Every segment is hashed, in order, as its bytes
//! followed by zeros up to its size in memory, except the purgatory itself (which holds the
//! digest), a crash image's ELF core headers (which crash hotplug rewrites) and IMA's buffer
//! (written after the load); each hashed segment is one region of `purgatory_sha_regions`. The
//! SHA-256 itself is the kernel's.

/// `KEXEC_SEGMENT_MAX`: regions `purgatory_sha_regions` holds.
pub const REGIONS: usize = 16;
/// `sizeof(struct kexec_sha_region)`.
pub const REGION_SIZE: usize = 16;

/// One segment, as the digest sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Bytes of its buffer.
    pub bufsz: u64,
    /// Where it goes.
    pub mem: u64,
    /// Bytes in memory.
    pub memsz: u64,
    /// The purgatory's own segment, or one the digest leaves out for another reason.
    pub skip: bool,
}

/// The regions, as the `purgatory_sha_regions` symbol holds them (`{start, len}` pairs of
/// `unsigned long`, unused ones zero), for `segments` (at most [`REGIONS`], as the loader
/// allows).
pub fn regions(segments: &[Segment]) -> [u8; REGIONS * REGION_SIZE] {
    let mut out = [0u8; REGIONS * REGION_SIZE];
    let hashed = segments.iter().filter(|s| !s.skip);
    for (slot, s) in out.chunks_exact_mut(REGION_SIZE).zip(hashed) {
        slot[..8].copy_from_slice(&s.mem.to_le_bytes());
        slot[8..].copy_from_slice(&s.memsz.to_le_bytes());
    }
    out
}

/// How many zero bytes follow a hashed segment's buffer: up to its size in memory.
pub fn zero_tail(s: &Segment) -> u64 {
    s.memsz.saturating_sub(s.bufsz)
}
