// SPDX-License-Identifier: GPL-2.0

//! Host tests of the kexec_load argument checks (kexec/segments.rs).
//!
//! `c_reference` is a line-by-line port of `kexec_load_check()`'s flag and count checks, the
//! syscall's architecture check, `kimage_alloc_init()`'s crash entry check and
//! `sanity_check_segment_list()` from Linux 6.12, in C's unsigned wrapping arithmetic; the
//! property test checks that the Rust checks give the same errno on seeded random inputs.

use kdump_host::kexec_call::{self, Build};
use kdump_host::segments::{self, Machine, Segment, EADDRNOTAVAIL, EINVAL};
use kdump_host::Rng;

const PAGE: u64 = 4096;
const MAXMEM: u64 = 1 << 46; // x86_64, 4-level paging
const BUILD: Build = Build {
    kexec_jump: false,
    arch: kexec_call::KEXEC_ARCH_X86_64,
};

/// What C returns: 0 or a positive errno.
fn c_reference(entry: u64, flags: u64, segs: &[Segment], m: &Machine, b: &Build) -> i32 {
    // kexec_load_check()
    let kexec_flags = 0x1 | 0x4 | 0x8 | if b.kexec_jump { 0x2 } else { 0 };
    if (flags & kexec_flags) != (flags & !0xffff_0000u64) {
        return EINVAL;
    }
    if segs.len() as u64 > 16 {
        return EINVAL;
    }
    // SYSCALL_DEFINE4(kexec_load)
    if ((flags & 0xffff_0000) != b.arch) && ((flags & 0xffff_0000) != 0) {
        return EINVAL;
    }
    // do_kexec_load(): nr_segments == 0 unloads
    if segs.is_empty() {
        return 0;
    }
    // kimage_alloc_init()
    if flags & 1 != 0 {
        let (start, end) = m.crash.unwrap();
        if entry < start || entry > end {
            return EADDRNOTAVAIL;
        }
    }
    // sanity_check_segment_list()
    let nr_pages = m.total_pages;
    let mut total_pages: u64 = 0;
    for s in segs {
        let mstart = s.mem;
        let mend = mstart.wrapping_add(s.memsz);
        if mstart > mend {
            return EADDRNOTAVAIL;
        }
        if (mstart & (PAGE - 1)) != 0 || (mend & (PAGE - 1)) != 0 {
            return EADDRNOTAVAIL;
        }
        if mend >= m.dest_limit {
            return EADDRNOTAVAIL;
        }
    }
    for (i, s) in segs.iter().enumerate() {
        let mstart = s.mem;
        let mend = mstart.wrapping_add(s.memsz);
        for p in &segs[..i] {
            let pstart = p.mem;
            let pend = pstart.wrapping_add(p.memsz);
            if (mend > pstart) && (mstart < pend) {
                return EINVAL;
            }
        }
    }
    for s in segs {
        if s.bufsz > s.memsz {
            return EINVAL;
        }
    }
    for s in segs {
        let pc = s.memsz.wrapping_add(PAGE - 1) >> 12;
        if pc > nr_pages / 2 {
            return EINVAL;
        }
        total_pages = total_pages.wrapping_add(pc);
    }
    if total_pages > nr_pages / 2 {
        return EINVAL;
    }
    if flags & 1 != 0 {
        let (start, end) = m.crash.unwrap();
        for s in segs {
            let mstart = s.mem;
            let mend = mstart.wrapping_add(s.memsz).wrapping_sub(1);
            if (mstart < start) || (mend > end) {
                return EADDRNOTAVAIL;
            }
        }
    }
    0
}

/// The same inputs through the Rust checks, in the order the kernel layer runs them.
fn rust(entry: u64, flags: u64, segs: &[Segment], m: &Machine, b: &Build) -> i32 {
    if let Err(errno) = kexec_call::check_call(flags, segs.len() as u64, b) {
        return errno;
    }
    let r = (|| {
        if segs.is_empty() {
            return Ok(());
        }
        if flags & kexec_call::KEXEC_ON_CRASH != 0 {
            segments::check_crash_entry(entry, m.crash.unwrap())?;
        }
        let m = Machine {
            crash: if flags & kexec_call::KEXEC_ON_CRASH != 0 {
                m.crash
            } else {
                None
            },
            ..*m
        };
        segments::check_segments(segs, &m)
    })();
    r.map_or_else(|e| e.errno, |()| 0)
}

fn machine() -> Machine {
    Machine {
        page: PAGE,
        dest_limit: MAXMEM - 1,
        total_pages: (1 << 30) / PAGE, // a 1 GiB guest
        crash: Some((0x2000_0000, 0x2fff_ffff)),
    }
}

/// What kexec-tools sends for `kexec -p` on a 1 GiB guest: five segments in crashkernel.
fn typical() -> Vec<Segment> {
    vec![
        Segment {
            bufsz: 0x1000,
            mem: 0x2000_0000,
            memsz: 0x1000,
        },
        Segment {
            bufsz: 0x3_2000,
            mem: 0x2100_0000,
            memsz: 0x3_2000,
        },
        Segment {
            bufsz: 0x1c_0000,
            mem: 0x2200_0000,
            memsz: 0x1e_0000,
        },
        Segment {
            bufsz: 0x40_0000,
            mem: 0x2f00_0000,
            memsz: 0x40_0000,
        },
        Segment {
            bufsz: 0x400,
            mem: 0x2ff0_0000,
            memsz: 0x1000,
        },
    ]
}

/// `t` with one defect made by `f`.
fn with(t: &[Segment], f: impl FnOnce(&mut Vec<Segment>)) -> Vec<Segment> {
    let mut v = t.to_vec();
    f(&mut v);
    v
}

/// A table of edge inputs, one per class, with the errno C gives.
#[test]
fn edge_inputs_give_c_errno() {
    let m = machine();
    let t = typical();
    let mut cases: Vec<(&str, u64, u64, Vec<Segment>, i32)> = vec![
        ("typical crash load", 0x2100_0000, 1, t.clone(), 0),
        (
            "typical normal load",
            0x100_0000,
            0,
            vec![Segment {
                mem: 0x100_0000,
                ..t[1]
            }],
            0,
        ),
        ("unload", 0, 1, vec![], 0),
        ("unknown flag", 0x2100_0000, 1 | 0x10, t.clone(), EINVAL),
        (
            "preserve context without KEXEC_JUMP",
            0x2100_0000,
            2,
            t.clone(),
            EINVAL,
        ),
        (
            "x86_64 arch bits",
            0x2100_0000,
            1 | (62 << 16),
            t.clone(),
            0,
        ),
        (
            "i386 arch bits",
            0x2100_0000,
            1 | (3 << 16),
            t.clone(),
            EINVAL,
        ),
        ("17 segments", 0x2100_0000, 1, vec![t[0]; 17], EINVAL),
        (
            "crash entry below region",
            0x1000,
            1,
            t.clone(),
            EADDRNOTAVAIL,
        ),
        (
            "crash entry above region",
            0x3000_0000,
            1,
            t.clone(),
            EADDRNOTAVAIL,
        ),
    ];
    cases.push((
        "unaligned mem",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[2].mem += 0x800;
        }),
        EADDRNOTAVAIL,
    ));
    cases.push((
        "unaligned end",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[2].memsz += 0x10;
        }),
        EADDRNOTAVAIL,
    ));
    cases.push((
        "wrapping end",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[4].memsz = u64::MAX - 0xfff;
        }),
        EADDRNOTAVAIL,
    ));
    cases.push((
        "beyond the limit",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[4].mem = MAXMEM;
        }),
        EADDRNOTAVAIL,
    ));
    cases.push((
        "overlap",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[3].mem = 0x2200_0000;
        }),
        EINVAL,
    ));
    cases.push((
        "bufsz > memsz",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[1].bufsz += 1;
        }),
        EINVAL,
    ));
    let big = Segment {
        bufsz: 0,
        mem: 0x100_0000,
        memsz: 0x2000_1000,
    };
    cases.push((
        "one segment over half of RAM",
        0x100_0000,
        0,
        vec![big],
        EINVAL,
    ));
    // Exactly half of RAM is allowed; one page more in all is not.
    let half = Segment {
        bufsz: 0,
        mem: 0x100_0000,
        memsz: 0x2000_0000,
    };
    cases.push(("exactly half of RAM", 0x100_0000, 0, vec![half], 0));
    let more = Segment {
        mem: 0x2100_0000,
        memsz: 0x1000,
        ..half
    };
    cases.push((
        "all over half of RAM",
        0x100_0000,
        0,
        vec![half, more],
        EINVAL,
    ));
    cases.push((
        "crash segment below region",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[0].mem = 0x1f00_0000;
        }),
        EADDRNOTAVAIL,
    ));
    cases.push((
        "crash segment above region",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[4].mem = 0x3000_0000;
        }),
        EADDRNOTAVAIL,
    ));
    cases.push((
        "zero-sized crash segment at 0",
        0x2100_0000,
        1,
        with(&t, |b| {
            b[4].memsz = 0;
            b[4].bufsz = 0;
            b[4].mem = 0;
        }),
        EADDRNOTAVAIL,
    ));
    for (what, entry, flags, segs, want) in cases {
        assert_eq!(
            c_reference(entry, flags, &segs, &m, &BUILD),
            want,
            "C: {what}"
        );
        assert_eq!(rust(entry, flags, &segs, &m, &BUILD), want, "Rust: {what}");
    }
    let jump = Build {
        kexec_jump: true,
        ..BUILD
    };
    assert_eq!(rust(0x2100_0000, 1 | 2, &t, &m, &jump), 0);
}

/// Property: on seeded random segment lists (both image types, every class of defect mixed
/// in), the Rust checks give C's errno.
#[test]
fn random_segment_lists_give_c_errno() {
    let m = machine();
    let mut seen = std::collections::HashMap::new();
    for seed in 1..=5000u64 {
        let mut rng = Rng::new(seed);
        let crash = rng.below(2) == 1;
        let n = rng.below(19) as usize;
        let mut segs = Vec::with_capacity(n);
        let base = if crash { 0x2000_0000 } else { 0x10_0000 };
        let mut at = base;
        for _ in 0..n {
            let most = if rng.below(20) == 0 { 1 << 17 } else { 64 };
            let pages = 1 + rng.below(most);
            let mut s = Segment {
                mem: at,
                memsz: pages * PAGE,
                bufsz: rng.below(pages * PAGE + 1),
            };
            at += s.memsz + PAGE * rng.below(4);
            match rng.below(24) {
                0 => s.mem += 1 + rng.below(PAGE - 1),
                1 => s.memsz += 1 + rng.below(PAGE - 1),
                2 => s.bufsz = s.memsz + 1 + rng.below(PAGE),
                3 => s.mem = rng.next_u64() & !(PAGE - 1),
                4 => s.memsz = rng.next_u64() & !(PAGE - 1),
                5 => s.mem = base - PAGE * rng.below(4),
                6 => s.mem = 0x3000_0000 - PAGE * rng.below(2),
                7 => at = s.mem, // the next one overlaps this one
                8 => {
                    s.memsz = 0;
                    s.bufsz = 0;
                }
                _ => {}
            }
            segs.push(s);
        }
        let mut flags = if crash { 1 } else { 0 };
        match rng.below(16) {
            0 => flags |= 1 << (1 + rng.below(8)),
            1 => flags |= rng.below(300) << 16,
            2 => flags |= 62 << 16,
            _ => {}
        }
        let entry = match rng.below(8) {
            0 => rng.next_u64(),
            _ => segs.first().map_or(base, |s| s.mem),
        };
        let want = c_reference(entry, flags, &segs, &m, &BUILD);
        assert_eq!(
            rust(entry, flags, &segs, &m, &BUILD),
            want,
            "seed {seed}: {segs:x?} flags {flags:#x} entry {entry:#x}"
        );
        *seen.entry(want).or_insert(0) += 1;
    }
    // The generator reaches every outcome, each more than a handful of times.
    for errno in [0, EINVAL, EADDRNOTAVAIL] {
        assert!(seen.get(&errno).copied().unwrap_or(0) > 100, "{seen:?}");
    }
}

/// A line-by-line port of `kimage_alloc_crash_control_pages()`'s hole search (6.12): the hole's
/// start, or `None` where C returns no pages.
fn c_crash_hole(
    control_page: u64,
    size: u64,
    segs: &[Segment],
    crash_end: u64,
    limit: u64,
) -> Option<u64> {
    let align = |x: u64| x.wrapping_add(size - 1) & !(size - 1);
    let mut hole_start = align(control_page);
    let mut hole_end = hole_start.wrapping_add(size - 1);
    while hole_end <= crash_end {
        if hole_end > limit {
            break;
        }
        let mut i = 0;
        while i < segs.len() {
            let mstart = segs[i].mem;
            let mend = mstart.wrapping_add(segs[i].memsz).wrapping_sub(1);
            if hole_end >= mstart && hole_start <= mend {
                hole_start = align(mend);
                hole_end = hole_start.wrapping_add(size - 1);
                break;
            }
            i += 1;
        }
        if i == segs.len() {
            return Some(hole_start);
        }
    }
    None
}

#[test]
fn crash_control_pages_go_where_c_puts_them() {
    let (start, end) = (0x3000_0000u64, 0x3fff_ffffu64);
    let mut rng = Rng::new(4);
    let mut found = 0;
    for seed in 0..5000u64 {
        let n = rng.below(6) as usize;
        let mut segs = Vec::new();
        for _ in 0..n {
            let mem = start + rng.below(64) * 0x40_0000 + rng.below(4) * PAGE;
            let memsz = rng.below(0x80_0000 / PAGE) * PAGE;
            segs.push(Segment {
                bufsz: 0,
                mem,
                memsz,
            });
        }
        if segments::check_segments(
            &segs,
            &Machine {
                page: PAGE,
                dest_limit: MAXMEM - 1,
                total_pages: 1 << 20,
                crash: Some((start, end)),
            },
        )
        .is_err()
        {
            continue;
        }
        let size = PAGE << rng.below(3);
        let from = match rng.below(3) {
            0 => start,
            _ => start + rng.below(0x1000_0000 / PAGE) * PAGE,
        };
        let limit = if rng.below(4) == 0 {
            start + rng.below(0x1000_0000)
        } else {
            MAXMEM - 2
        };
        let want = c_crash_hole(from, size, &segs, end, limit);
        assert_eq!(
            segments::crash_control_hole(from, size, &segs, end, limit),
            want,
            "seed {seed}: {segs:x?} from {from:#x} size {size:#x} limit {limit:#x}"
        );
        found += usize::from(want.is_some());
    }
    assert!(found > 1000, "{found}");
}

/// A refusal names the segment and the values that made it one, as the kernel logs it.
#[test]
fn refusals_carry_their_values() {
    let m = machine();
    let seg = |mem, memsz| Segment {
        bufsz: 0,
        mem,
        memsz,
    };
    let msg = |segs: &[Segment], m: &Machine| {
        segments::check_segments(segs, m).map_err(|r| r.to_string())
    };
    assert_eq!(
        msg(&[seg(0x100_0000, 0x1000), seg(0x100_0800, 0x1000)], &m),
        Err("segment 1: destination 0x1000800 is not page-aligned".into())
    );
    assert_eq!(
        msg(&[seg(0x100_0000, 0x2000), seg(0x100_1000, 0x1000)], &m),
        Err("segment 1: destination 0x1001000-0x1002000 overlaps that of segment 0".into())
    );
    assert_eq!(
        msg(&[seg(0x100_0000, 0x1800)], &m),
        Err("segment 0: destination end 0x1001800 is not page-aligned".into())
    );
    let crash = Machine {
        crash: Some((0x2000_0000, 0x2fff_ffff)),
        ..m
    };
    assert_eq!(
        msg(&[seg(0x1000_0000, 0x1000)], &crash),
        Err(
            "segment 0: destination 0x10000000-0x10000fff is outside the crashkernel region \
             0x20000000-0x2fffffff"
                .into()
        )
    );
    assert_eq!(
        segments::check_crash_entry(0x10, (0x2000_0000, 0x2fff_ffff)).map_err(|r| r.to_string()),
        Err("entry point 0x10 is outside the crashkernel region 0x20000000-0x2fffffff".into())
    );
}
