// SPDX-License-Identifier: GPL-2.0

//! Where a `kexec_file_load` buffer goes: `kexec_add_buffer()`'s rounding and
//! `kexec_locate_mem_hole()`'s search of the System RAM ranges, top-down or bottom-up, clear of
//! the segments placed before it, as [`kernel/kexec_file.c`](srctree/kernel/kexec_file.c)
//! does.
//!
//! Pure logic, shared with the host crate. The kernel-facing layer walks the resources (for a
//! crash image only the crashkernel region) and hands each range to [`in_range`], in the order
//! C walks them, until one gives an answer.
//!
//! C's arithmetic is unsigned and may wrap, for requests the x86 loader never makes (a buffer
//! larger than its upper bound, a hole looked for below address 0 or rounded up past the top):
//! C then "finds" an address that wraps, and the load fails later, in
//! `sanity_check_segment_list()`, with `EADDRNOTAVAIL`; or, bottom-up, one at 0, below the
//! buffer's own minimum. Here such a search ends at once with [`InRange::Wrapped`], which the
//! caller turns into `EADDRNOTAVAIL`. Every other answer is C's, for a buffer of no bytes too
//! (a bzImage whose `init_size` rounds to 0 asks for one; its load fails later with `EINVAL`).

/// A buffer to place (`struct kexec_buf`'s placement fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Bytes it takes in memory.
    pub memsz: u64,
    /// Its alignment (C masks with `align - 1`, as the loader's alignments are powers of two).
    pub align: u64,
    /// The lowest address it may start at.
    pub min: u64,
    /// The highest address it may end at.
    pub max: u64,
    /// Highest address first (`top_down`), or lowest.
    pub top_down: bool,
}

impl Request {
    /// `kexec_add_buffer()`'s rounding: whole pages, at least page-aligned.
    pub fn rounded(self, page: u64) -> Request {
        Request {
            memsz: align_up(self.memsz, page),
            align: self.align.max(page),
            ..self
        }
    }
}

/// What one System RAM range gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InRange {
    /// No room here: try the next range.
    Next,
    /// The buffer goes at this address; the walk stops.
    Found(u64),
    /// C's arithmetic wrapped: C would stop here with an address that fails the segment
    /// checks later (`EADDRNOTAVAIL`).
    Wrapped,
}

/// `ALIGN(x, a)`, as C computes it (for an `a` of 0 it is 0).
pub fn align_up(x: u64, a: u64) -> u64 {
    x.wrapping_add(a.wrapping_sub(1)) & !a.wrapping_sub(1)
}

/// `ALIGN_DOWN(x, a)`, as C computes it.
pub fn align_down(x: u64, a: u64) -> u64 {
    x & !a.wrapping_sub(1)
}

/// `locate_mem_hole_callback()` for the range `[start, end]`: skipped if driver-managed, too
/// small or outside the request's bounds, else searched in the request's direction. `busy`
/// says whether `[first, last]` meets a segment already placed (`kimage_is_destination_range()`);
/// `req` is already [`Request::rounded`].
pub fn in_range(
    start: u64,
    end: u64,
    driver_managed: bool,
    req: &Request,
    page: u64,
    busy: impl Fn(u64, u64) -> bool,
) -> InRange {
    if driver_managed {
        return InRange::Next;
    }
    // C's `sz`: a range of the whole address space wraps to 0 and is skipped.
    let sz = end.wrapping_sub(start).wrapping_add(1);
    if sz < req.memsz {
        return InRange::Next;
    }
    if end < req.min || start > req.max {
        return InRange::Next;
    }
    if req.top_down {
        top_down(start, end, req, page, busy)
    } else {
        bottom_up(start, end, req, page, busy)
    }
}

/// `locate_mem_hole_top_down()`.
fn top_down(
    start: u64,
    end: u64,
    req: &Request,
    page: u64,
    busy: impl Fn(u64, u64) -> bool,
) -> InRange {
    let top = end.min(req.max);
    // `top - memsz + 1`: for no bytes, the address past `top`, as in C.
    let mut first = match req.memsz {
        0 => top.wrapping_add(1),
        m => match top.checked_sub(m - 1) {
            Some(first) => first,
            None => return InRange::Wrapped,
        },
    };
    loop {
        first = align_down(first, req.align);
        if first < start || first < req.min {
            return InRange::Next;
        }
        // `first + memsz - 1`: it does not wrap, as `first` is at most `top - memsz + 1`;
        // for no bytes it is `first - 1`, as C passes it on.
        let last = first.wrapping_add(req.memsz).wrapping_sub(1);
        if !busy(first, last) {
            return InRange::Found(first);
        }
        // Each step goes down at least a page (aligning down only clears bits), so the loop
        // ends at `start`, at `min` or below a page.
        let Some(lower) = first.checked_sub(page) else {
            return InRange::Wrapped;
        };
        first = lower;
    }
}

/// `locate_mem_hole_bottom_up()`.
fn bottom_up(
    start: u64,
    end: u64,
    req: &Request,
    page: u64,
    busy: impl Fn(u64, u64) -> bool,
) -> InRange {
    let mut first = start.max(req.min);
    loop {
        let aligned = align_up(first, req.align);
        // Rounding up that lands lower wrapped past the top.
        let wrapped = aligned < first;
        first = aligned;
        // `first + memsz - 1`; for no bytes `first - 1`, as in C.
        let last = match req.memsz {
            0 => first.wrapping_sub(1),
            m => match first.checked_add(m - 1) {
                Some(last) => last,
                None => return InRange::Wrapped,
            },
        };
        if last > end || last > req.max {
            return InRange::Next;
        }
        // C would take an address below where it started looking.
        if wrapped {
            return InRange::Wrapped;
        }
        if !busy(first, last) {
            return InRange::Found(first);
        }
        // Each step goes up at least a page, so the loop ends past `end` or `max`.
        let Some(higher) = first.checked_add(page) else {
            return InRange::Wrapped;
        };
        first = higher;
    }
}
