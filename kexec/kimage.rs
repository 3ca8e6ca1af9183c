// SPDX-License-Identifier: GPL-2.0

//! An image's segments as the pure checks take them. What the core reads of a `struct kimage`
//! (its kind, its segments, whether a range is one of their destinations) is
//! [`kernel::kexec::Kimage`]'s.

use kernel::bindings;

use crate::segments::Segment;

/// Up to 16 segments as the pure checks take them, and how many there are.
pub(crate) fn to_pure(segments: &[bindings::kexec_segment]) -> ([Segment; 16], usize) {
    let mut out = [Segment::default(); 16];
    let n = segments.len().min(out.len());
    for (o, s) in out.iter_mut().zip(segments) {
        *o = Segment {
            bufsz: s.bufsz as u64,
            mem: s.mem as u64,
            memsz: s.memsz as u64,
        };
    }
    (out, n)
}
