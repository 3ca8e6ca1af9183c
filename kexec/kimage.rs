// SPDX-License-Identifier: GPL-2.0

//! What the core reads of a `struct kimage` everywhere: its kind, its segments and whether a
//! range is one of their destinations. The modules that build an image ([`crate::image`],
//! [`crate::control`], [`crate::entries`]) all need these and none of each other's, so they
//! live below all of them.

use kernel::bindings;
use kernel::ffi::{c_uint, c_ulong};

use crate::segments::Segment;

/// `image->type` (`include/linux/kexec.h`).
pub(crate) const KEXEC_TYPE_DEFAULT: c_uint = 0;
pub(crate) const KEXEC_TYPE_CRASH: c_uint = 1;

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

/// The image's segments.
pub(crate) fn segments_of(image: &bindings::kimage) -> &[bindings::kexec_segment] {
    let n = image.nr_segments.min(image.segment.len());
    image.segment.get(..n).unwrap_or(&[])
}

/// `kimage_is_destination_range()`: whether `[start, end]` meets a segment's destination.
pub(crate) fn is_destination(image: &bindings::kimage, start: c_ulong, end: c_ulong) -> bool {
    segments_of(image).iter().any(|s| {
        let last = s.mem.wrapping_add(s.memsz as c_ulong).wrapping_sub(1);
        end >= s.mem && start <= last
    })
}
