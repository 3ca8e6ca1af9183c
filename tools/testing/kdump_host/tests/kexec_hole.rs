// SPDX-License-Identifier: GPL-2.0

//! Host tests of the kexec_file buffer placement (kexec/file/hole.rs).
//!
//! `c_reference` is a line-by-line port of `kexec_add_buffer()`'s rounding and of
//! `locate_mem_hole_callback()`, `locate_mem_hole_top_down()` and `locate_mem_hole_bottom_up()`
//! from Linux 6.12 (kernel/kexec_file.c) in C's wrapping unsigned arithmetic, with
//! `kimage_is_destination_range()` over the segments placed before. The property test checks
//! that the Rust search finds the same address on seeded random machines, and that where it
//! stops on a wrap, C's address is one the segment checks refuse.

use kdump_host::hole::{self, InRange, Request};
use kdump_host::Rng;

const PAGE: u64 = 4096;

/// `kimage_is_destination_range()`.
fn is_destination(segs: &[(u64, u64)], start: u64, end: u64) -> bool {
    segs.iter().any(|&(mem, memsz)| {
        let mend = mem.wrapping_add(memsz).wrapping_sub(1);
        end >= mem && start <= mend
    })
}

fn align(x: u64, a: u64) -> u64 {
    x.wrapping_add(a.wrapping_sub(1)) & !a.wrapping_sub(1)
}

fn align_down(x: u64, a: u64) -> u64 {
    x & !a.wrapping_sub(1)
}

/// C's answer for one range: `None` to go on to the next, `Some(mem)` to stop there; C's loops
/// are cut off after `cap` turns (then `Some(None)`).
fn c_reference(
    start: u64,
    end: u64,
    req: &Request,
    segs: &[(u64, u64)],
    cap: u32,
) -> Option<Option<u64>> {
    // kexec_add_buffer()
    let memsz = align(req.memsz, PAGE);
    let buf_align = req.align.max(PAGE);
    // locate_mem_hole_callback()
    let sz = end.wrapping_sub(start).wrapping_add(1);
    if sz < memsz {
        return None;
    }
    if end < req.min || start > req.max {
        return None;
    }
    if req.top_down {
        let mut temp_end = end.min(req.max);
        let mut temp_start = temp_end.wrapping_sub(memsz).wrapping_add(1);
        for _ in 0..cap {
            temp_start = align_down(temp_start, buf_align);
            if temp_start < start || temp_start < req.min {
                return None;
            }
            temp_end = temp_start.wrapping_add(memsz).wrapping_sub(1);
            if is_destination(segs, temp_start, temp_end) {
                temp_start = temp_start.wrapping_sub(PAGE);
                continue;
            }
            return Some(Some(temp_start));
        }
    } else {
        let mut temp_start = start.max(req.min);
        for _ in 0..cap {
            temp_start = align(temp_start, buf_align);
            let temp_end = temp_start.wrapping_add(memsz).wrapping_sub(1);
            if temp_end > end || temp_end > req.max {
                return None;
            }
            if is_destination(segs, temp_start, temp_end) {
                temp_start = temp_start.wrapping_add(PAGE);
                continue;
            }
            return Some(Some(temp_start));
        }
    }
    Some(None)
}

/// Whether C's answer after a wrap is wrong: a segment that wraps (which
/// `sanity_check_segment_list()` refuses), or one outside the range or below the minimum it was
/// looked for in (C's bottom-up search, rounding up past the top, lands at 0).
fn c_wrong(mem: u64, memsz: u64, start: u64, end: u64, min: u64) -> bool {
    let mend = mem.wrapping_add(memsz);
    mem > mend || mem < start || mem < min || mend.wrapping_sub(1) > end
}

fn pick(rng: &mut Rng, choices: &[u64]) -> u64 {
    choices[rng.below(choices.len() as u64) as usize]
}

#[test]
fn top_down_skips_placed_segments() {
    let req = Request {
        memsz: 3 * PAGE,
        align: PAGE,
        min: 0x3000,
        max: u64::MAX,
        top_down: true,
    }
    .rounded(PAGE);
    let segs = [(0xf_d000u64, 0x3000u64)];
    let r = hole::in_range(0x1000, 0xf_ffff, false, &req, PAGE, |a, b| {
        is_destination(&segs, a, b)
    });
    assert_eq!(r, InRange::Found(0xf_a000));
    let bottom = Request {
        top_down: false,
        ..req
    };
    let r = hole::in_range(0x1000, 0xf_ffff, false, &bottom, PAGE, |_, _| false);
    assert_eq!(r, InRange::Found(0x3000));
    let r = hole::in_range(0x1000, 0xf_ffff, true, &bottom, PAGE, |_, _| false);
    assert_eq!(r, InRange::Next);
}

#[test]
fn same_hole_as_c() {
    let mut rng = Rng::new(0x686f_6c65_7365_6172);
    let (mut found, mut wrapped) = (0, 0);
    for _ in 0..50_000 {
        let (r1, r2, r3) = (rng.below(64), rng.below(256), rng.next_u64());
        let base = pick(
            &mut rng,
            &[0, 0x1000, 0x10_0000, 0x1_0000_0000, u64::MAX - 0xf_ffff],
        );
        let start = base.wrapping_add(r1 * PAGE + pick(&mut rng, &[0, 0, 1, 0xfff]));
        let end = start
            .wrapping_add(r2 * PAGE)
            .wrapping_add(pick(&mut rng, &[PAGE - 1, PAGE - 1, 0, 0x7ff]));
        if end < start {
            // Resources do not wrap.
            continue;
        }
        let mut segs = Vec::new();
        for _ in 0..rng.below(5) {
            let mem = start
                .wrapping_add(rng.below(300) * PAGE)
                .wrapping_sub(PAGE * 20);
            let odd = pick(&mut rng, &[0, 0, 1]);
            segs.push((mem, rng.below(40) * PAGE + odd));
        }
        let (r4, r5, r6) = (rng.below(1 << 22), rng.below(24), rng.below(1 << 16));
        let memsz = pick(&mut rng, &[0, 1, PAGE, 3 * PAGE, 17 * PAGE + 5, r4]);
        let align = pick(&mut rng, &[0, 1, 16, PAGE, 0x20_0000, 1 << r5, r6]);
        let (r7, r8) = (start.wrapping_add(rng.below(1 << 20)), rng.next_u64());
        let min = pick(&mut rng, &[0, 0x3000, 0x10_0000, r7, r8]);
        let r9 = end.wrapping_sub(rng.below(1 << 20));
        let max = pick(&mut rng, &[u64::MAX, u64::MAX, r9, r3]);
        let req = Request {
            memsz,
            align,
            min,
            max,
            top_down: rng.below(2) == 0,
        };
        let rounded = req.rounded(PAGE);
        let driver_managed = rng.below(16) == 0;
        let rust = hole::in_range(start, end, driver_managed, &rounded, PAGE, |a, b| {
            is_destination(&segs, a, b)
        });
        if driver_managed {
            assert_eq!(rust, InRange::Next);
            continue;
        }
        let c = c_reference(start, end, &req, &segs, 1 << 16);
        let case = format!("[{start:#x}, {end:#x}] {req:x?} segs {segs:x?}");
        match rust {
            InRange::Next => assert_eq!(c, None, "{case}"),
            InRange::Found(mem) => {
                assert_eq!(c, Some(Some(mem)), "{case}");
                found += 1;
            }
            InRange::Wrapped => {
                match c {
                    Some(Some(mem)) => assert!(
                        c_wrong(mem, rounded.memsz, start, end, req.min),
                        "{case}: C places it at {mem:#x}, which the checks take"
                    ),
                    // C went on for ever, or past its bounds
                    Some(None) => {}
                    None => panic!("{case}: C tries the next range"),
                }
                wrapped += 1;
            }
        }
    }
    assert!(
        found > 5_000 && wrapped > 10,
        "found {found}, wrapped {wrapped}"
    );
}
