// SPDX-License-Identifier: GPL-2.0

//! Host tests of the purgatory loader (kexec/file/purgatory.rs).
//!
//! `c_reference` is a line-by-line port of `kexec_purgatory_setup_kbuf()`,
//! `kexec_purgatory_setup_sechdrs()`, `kexec_apply_relocations()`,
//! `kexec_purgatory_find_symbol()`, `kexec_purgatory_get_set_symbol()` (kernel/kexec_file.c)
//! and x86's `arch_kexec_apply_relocations_add()` from Linux 6.12, reading the object as C
//! does, unchecked (a read or write C would make outside the object or the buffer ends the port
//! with `Ub`). The property test builds seeded random relocatable objects, with every kind of
//! section, symbol and relocation the loader looks at, and checks that the Rust loader lays
//! out, copies, relocates and sets symbols as C does, and refuses, without panicking, where C
//! would go outside.

use kdump_host::purgatory::{self, Placed};
use kdump_host::Rng;

const ENOEXEC: i32 = 8;
const EINVAL: i32 = 22;

fn rd(b: &[u8], at: u64, n: u64) -> Option<u64> {
    let s = b.get(usize::try_from(at).ok()?..usize::try_from(at.checked_add(n)?).ok()?)?;
    Some(s.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

fn align(x: u64, a: u64) -> u64 {
    x.wrapping_add(a.wrapping_sub(1)) & !a.wrapping_sub(1)
}

#[derive(Debug, PartialEq)]
enum COut {
    /// The load's outcome: entry, where each section went, the buffer; or an errno.
    Done(Result<(u64, Vec<Placed>, Vec<u8>), i32>),
    /// C would read or write outside the object or the buffer.
    Ub,
}

#[derive(Clone, Copy, Default)]
struct Sh {
    kind: u64,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u64,
    info: u64,
    align: u64,
}

fn shdrs(e: &[u8]) -> Option<Vec<Sh>> {
    let shoff = rd(e, 40, 8)?;
    let shnum = rd(e, 60, 2)?;
    (0..shnum)
        .map(|i| {
            let at = shoff + i * 64;
            Some(Sh {
                kind: rd(e, at + 4, 4)?,
                flags: rd(e, at + 8, 8)?,
                addr: rd(e, at + 16, 8)?,
                offset: rd(e, at + 24, 8)?,
                size: rd(e, at + 32, 8)?,
                link: rd(e, at + 40, 4)?,
                info: rd(e, at + 44, 4)?,
                align: rd(e, at + 48, 8)?,
            })
        })
        .collect()
}

/// `kexec_purgatory_find_symbol()`: (st_shndx, st_value, st_size), `Err(())` for `Ub`.
fn c_find(e: &[u8], sh: &[Sh], name: &[u8]) -> Result<Option<(u64, u64, u64)>, ()> {
    let shnum = sh.len() as u64;
    for t in sh {
        if t.kind != 2 {
            continue;
        }
        if t.link >= shnum {
            continue;
        }
        let strtab = sh[t.link as usize].offset;
        for k in 0..t.size / 24 {
            let at = t.offset + k * 24;
            let info = rd(e, at + 4, 1).ok_or(())?;
            if info >> 4 != 1 {
                continue;
            }
            let st_name = rd(e, at, 4).ok_or(())?;
            // strcmp()
            let mut same = true;
            for (p, &c) in (strtab + st_name..).zip(name.iter().chain([0u8].iter())) {
                let x = rd(e, p, 1).ok_or(())? as u8;
                if x != c {
                    same = false;
                    break;
                }
            }
            if !same {
                continue;
            }
            let shndx = rd(e, at + 6, 2).ok_or(())?;
            if shndx == 0 || shndx >= shnum {
                return Ok(None);
            }
            return Ok(Some((
                shndx,
                rd(e, at + 8, 8).ok_or(())?,
                rd(e, at + 16, 8).ok_or(())?,
            )));
        }
    }
    Ok(None)
}

fn c_reference(e: &[u8], mem: u64) -> COut {
    let Some(sh) = shdrs(e) else { return COut::Ub };
    let shnum = sh.len() as u64;
    // kexec_purgatory_setup_kbuf()
    let (mut buf_align, mut bss_align, mut bufsz, mut bss_sz) = (1u64, 1u64, 0u64, 0u64);
    for s in &sh {
        if s.flags & 2 == 0 {
            continue;
        }
        if s.kind != 8 {
            if buf_align < s.align {
                buf_align = s.align;
            }
            bufsz = align(bufsz, s.align);
            bufsz = bufsz.wrapping_add(s.size);
        } else {
            if bss_align < s.align {
                bss_align = s.align;
            }
            bss_sz = align(bss_sz, s.align);
            bss_sz = bss_sz.wrapping_add(s.size);
        }
    }
    bufsz = align(bufsz, bss_align);
    if bufsz > 1 << 24 {
        return COut::Ub;
    }
    let mut buf = vec![0u8; bufsz as usize];
    // kexec_purgatory_setup_sechdrs()
    let mut ps: Vec<Placed> = sh
        .iter()
        .map(|s| Placed {
            addr: s.addr,
            offset: s.offset,
        })
        .collect();
    let mut offset = 0u64;
    let mut bss_addr = mem.wrapping_add(bufsz);
    let e_entry = rd(e, 24, 8).unwrap();
    let mut start = e_entry;
    let Ok(entry_sym) = c_find(e, &sh, b"purgatory_start") else {
        return COut::Ub;
    };
    let (entry_shndx, entry_off) = entry_sym.map_or((0, 0), |(n, v, _)| (n, v));
    let mut start_fixed = false;
    for (i, s) in sh.iter().enumerate() {
        if s.flags & 2 == 0 {
            continue;
        }
        if s.kind == 8 {
            bss_addr = align(bss_addr, s.align);
            ps[i].addr = bss_addr;
            bss_addr = bss_addr.wrapping_add(s.size);
            continue;
        }
        offset = align(offset, s.align);
        if !start_fixed
            && entry_sym.is_some()
            && i as u64 == entry_shndx
            && s.flags & 4 != 0
            && entry_off < s.size
        {
            start = mem.wrapping_add(offset).wrapping_add(entry_off);
            start_fixed = true;
        }
        if !start_fixed
            && s.flags & 4 != 0
            && e_entry >= s.addr
            && e_entry < s.addr.wrapping_add(s.size)
            && start == e_entry
        {
            start = start.wrapping_sub(s.addr);
            start = start.wrapping_add(mem.wrapping_add(offset));
            start_fixed = true;
        }
        for k in 0..s.size {
            let Some(x) = rd(e, s.offset.wrapping_add(k), 1) else {
                return COut::Ub;
            };
            let Some(d) = buf.get_mut(offset.wrapping_add(k) as usize) else {
                return COut::Ub;
            };
            *d = x as u8;
        }
        ps[i].addr = mem.wrapping_add(offset);
        ps[i].offset = offset;
        offset = offset.wrapping_add(s.size);
    }
    // kexec_apply_relocations()
    for relsec in &sh {
        if relsec.kind != 4 && relsec.kind != 9 {
            continue;
        }
        if relsec.info >= shnum || relsec.link >= shnum {
            return COut::Done(Err(ENOEXEC));
        }
        let section = sh[relsec.info as usize];
        let sect = ps[relsec.info as usize];
        let symtab = sh[relsec.link as usize];
        if section.flags & 2 == 0 {
            continue;
        }
        if symtab.link >= shnum {
            continue;
        }
        if relsec.kind == 9 {
            return COut::Done(Err(ENOEXEC));
        }
        // arch_kexec_apply_relocations_add()
        for i in 0..relsec.size / 24 {
            let at = relsec.offset + i * 24;
            let (Some(r_offset), Some(r_info), Some(r_addend)) =
                (rd(e, at, 8), rd(e, at + 8, 8), rd(e, at + 16, 8))
            else {
                return COut::Ub;
            };
            let location = sect.offset.wrapping_add(r_offset);
            let address = sect.addr.wrapping_add(r_offset);
            let sym = symtab.offset.wrapping_add((r_info >> 32).wrapping_mul(24));
            let (Some(st_shndx), Some(st_value)) = (rd(e, sym + 6, 2), rd(e, sym + 8, 8)) else {
                return COut::Ub;
            };
            if st_shndx == 0 {
                return COut::Done(Err(ENOEXEC));
            }
            if st_shndx == 0xfff2 {
                return COut::Done(Err(ENOEXEC));
            }
            let sec_base = if st_shndx == 0xfff1 {
                0
            } else if st_shndx >= shnum {
                return COut::Done(Err(ENOEXEC));
            } else {
                ps[st_shndx as usize].addr
            };
            let mut value = st_value;
            value = value.wrapping_add(sec_base);
            value = value.wrapping_add(r_addend);
            let mut put = |v: u64, n: u64| -> bool {
                for k in 0..n {
                    match buf.get_mut(location.wrapping_add(k) as usize) {
                        Some(d) => *d = (v >> (8 * k)) as u8,
                        None => return false,
                    }
                }
                true
            };
            match r_info as u32 {
                0 => {}
                1 => {
                    if !put(value, 8) {
                        return COut::Ub;
                    }
                }
                10 => {
                    if !put(value, 4) {
                        return COut::Ub;
                    }
                    if value != value as u32 as u64 {
                        return COut::Done(Err(ENOEXEC));
                    }
                }
                11 => {
                    if !put(value, 4) {
                        return COut::Ub;
                    }
                    if value as i64 != value as i32 as i64 {
                        return COut::Done(Err(ENOEXEC));
                    }
                }
                2 | 4 => {
                    value = value.wrapping_sub(address);
                    if !put(value, 4) {
                        return COut::Ub;
                    }
                }
                _ => return COut::Done(Err(ENOEXEC)),
            }
        }
    }
    COut::Done(Ok((start, ps, buf)))
}

fn rust(e: &[u8], mem: u64) -> Result<(u64, Vec<Placed>, Vec<u8>), i32> {
    let p = purgatory::parse(e).map_err(|r| r.errno())?;
    let l = p.layout();
    if l.bufsz > 1 << 24 {
        return Err(-1);
    }
    let mut buf = vec![0u8; l.bufsz as usize];
    let mut placed = vec![Placed::default(); p.sections()];
    let start = p.place(mem, &mut buf, &mut placed).map_err(|r| r.errno())?;
    p.relocate(&placed, &mut buf).map_err(|r| r.errno())?;
    Ok((start, placed, buf))
}

/// A relocatable object as the purgatory is: code, data, bss, a symbol table and RELA
/// sections, each field drawn near what a linker writes, sometimes anything.
fn object(rng: &mut Rng) -> Vec<u8> {
    let mut data: Vec<u8> = vec![0; 64];
    let mut sh: Vec<Sh> = vec![Sh::default()];
    let add = |data: &mut Vec<u8>, bytes: &[u8]| -> u64 {
        let at = data.len() as u64;
        data.extend_from_slice(bytes);
        at
    };
    // Allocated sections: code, data, bss.
    let nalloc = 1 + rng.below(5);
    let mut sizes = Vec::new();
    for _ in 0..nalloc {
        let size = [0, 4, 16, 64, 200][rng.below(5) as usize] + rng.below(8);
        let kind = if rng.below(4) == 0 { 8 } else { 1 };
        let flags = 2 | if rng.below(2) == 0 { 4 } else { 0 };
        let alignment = [0, 1, 4, 8, 16, 64, 4096][rng.below(7) as usize];
        let bytes: Vec<u8> = (0..size).map(|_| rng.next_u64() as u8).collect();
        let offset = if kind == 8 { 0 } else { add(&mut data, &bytes) };
        let addr = [0, 0, 0x1000, rng.below(0x4000)][rng.below(4) as usize];
        sh.push(Sh {
            kind,
            flags: if rng.below(12) == 0 { 0 } else { flags },
            addr,
            offset,
            size,
            align: alignment,
            ..Sh::default()
        });
        sizes.push(size);
    }
    // Strings and symbols.
    let names: [&[u8]; 4] = [b"purgatory_start", b"stack_end", b"entry64_regs", b"x"];
    let mut strtab = vec![0u8];
    let mut name_at = Vec::new();
    for n in names {
        name_at.push(strtab.len() as u64);
        strtab.extend_from_slice(n);
        strtab.push(0);
    }
    let strtab_at = add(&mut data, &strtab);
    let nsyms = 1 + rng.below(8);
    let mut syms = vec![0u8; 24];
    for _ in 0..nsyms {
        let mut s = [0u8; 24];
        let name = name_at[rng.below(4) as usize];
        let bind: u8 = if rng.below(4) == 0 { 0 } else { 1 };
        let shndx: u64 = match rng.below(10) {
            0 => 0,
            1 => 0xfff1,
            2 => 0xfff2,
            3 => 40,
            _ => 1 + rng.below(nalloc),
        };
        let secsize = sizes
            .get(shndx.wrapping_sub(1) as usize)
            .copied()
            .unwrap_or(8);
        let value = if rng.below(8) == 0 {
            rng.below(1 << 20)
        } else {
            rng.below(secsize + 1)
        };
        let size = [4u64, 8, 136, 32][rng.below(4) as usize];
        s[0..4].copy_from_slice(&(name as u32).to_le_bytes());
        s[4] = bind << 4;
        s[6..8].copy_from_slice(&(shndx as u16).to_le_bytes());
        s[8..16].copy_from_slice(&value.to_le_bytes());
        s[16..24].copy_from_slice(&size.to_le_bytes());
        syms.extend_from_slice(&s);
    }
    let symtab_at = add(&mut data, &syms);
    let strtab_idx = sh.len() as u64;
    sh.push(Sh {
        kind: 3,
        offset: strtab_at,
        size: strtab.len() as u64,
        align: 1,
        ..Sh::default()
    });
    let symtab_idx = sh.len() as u64;
    sh.push(Sh {
        kind: 2,
        offset: symtab_at,
        size: syms.len() as u64,
        link: if rng.below(16) == 0 { 99 } else { strtab_idx },
        align: 8,
        ..Sh::default()
    });
    // Relocations.
    for _ in 0..rng.below(4) {
        let target = 1 + rng.below(nalloc);
        let tsize = sizes[(target - 1) as usize];
        let mut rel = Vec::new();
        for _ in 0..rng.below(6) {
            let kind: u64 = [0, 1, 2, 4, 10, 11, 99][rng.below(7) as usize];
            let sym = if rng.below(10) == 0 {
                rng.below(1 << 20)
            } else {
                rng.below(nsyms + 1)
            };
            let off = if rng.below(10) == 0 {
                rng.below(1 << 16)
            } else {
                rng.below(tsize.max(8) - 7)
            };
            let addend = match rng.below(4) {
                0 => (-4i64) as u64,
                1 => rng.next_u64(),
                _ => rng.below(0x100),
            };
            rel.extend_from_slice(&off.to_le_bytes());
            rel.extend_from_slice(&((sym << 32) | kind).to_le_bytes());
            rel.extend_from_slice(&addend.to_le_bytes());
        }
        let at = add(&mut data, &rel);
        sh.push(Sh {
            kind: if rng.below(16) == 0 { 9 } else { 4 },
            offset: at,
            size: rel.len() as u64,
            link: if rng.below(20) == 0 { 77 } else { symtab_idx },
            info: if rng.below(20) == 0 { 88 } else { target },
            align: 8,
            ..Sh::default()
        });
    }
    // The header and the section header table.
    while !data.len().is_multiple_of(8) {
        data.push(0);
    }
    let shoff = data.len() as u64;
    for s in &sh {
        let mut h = [0u8; 64];
        h[4..8].copy_from_slice(&(s.kind as u32).to_le_bytes());
        h[8..16].copy_from_slice(&s.flags.to_le_bytes());
        h[16..24].copy_from_slice(&s.addr.to_le_bytes());
        h[24..32].copy_from_slice(&s.offset.to_le_bytes());
        h[32..40].copy_from_slice(&s.size.to_le_bytes());
        h[40..44].copy_from_slice(&(s.link as u32).to_le_bytes());
        h[44..48].copy_from_slice(&(s.info as u32).to_le_bytes());
        h[48..56].copy_from_slice(&s.align.to_le_bytes());
        data.extend_from_slice(&h);
    }
    data[0..7].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1]);
    data[16..18].copy_from_slice(&1u16.to_le_bytes());
    data[18..20].copy_from_slice(&62u16.to_le_bytes());
    let entry = [0, 0x10, rng.below(0x5000)][rng.below(3) as usize];
    data[24..32].copy_from_slice(&entry.to_le_bytes());
    data[40..48].copy_from_slice(&shoff.to_le_bytes());
    data[52..54].copy_from_slice(&64u16.to_le_bytes());
    data[58..60].copy_from_slice(&64u16.to_le_bytes());
    data[60..62].copy_from_slice(&(sh.len() as u16).to_le_bytes());
    data
}

#[test]
fn loads_as_c_does() {
    let mut rng = Rng::new(0x7075_7267_6174_6f72);
    let (mut ok, mut refused, mut ub) = (0, 0, 0);
    for case in 0..20_000 {
        let e = object(&mut rng);
        let mem = rng.below(1 << 20) * 4096;
        let c = c_reference(&e, mem);
        let r = rust(&e, mem);
        match c {
            COut::Done(c) => {
                assert_eq!(r, c, "case {case}");
                if c.is_ok() {
                    ok += 1;
                } else {
                    refused += 1;
                }
            }
            COut::Ub => {
                assert!(r.is_err(), "case {case}: C goes outside, Rust loads");
                ub += 1;
            }
        }
    }
    assert!(
        ok > 2000 && refused > 2000 && ub > 100,
        "ok {ok} refused {refused} ub {ub}"
    );
}

#[test]
fn symbols_as_c_finds_them() {
    let mut rng = Rng::new(0x7379_6d62_6f6c_7321);
    let mut set = 0;
    for case in 0..20_000 {
        let e = object(&mut rng);
        let Ok((_, placed, mut buf)) = rust(&e, 0x10_0000) else {
            continue;
        };
        let p = purgatory::parse(&e).unwrap();
        let sh = shdrs(&e).unwrap();
        for name in [
            &b"purgatory_start"[..],
            b"stack_end",
            b"entry64_regs",
            b"nope",
        ] {
            let c = c_find(&e, &sh, name).unwrap();
            let addr = p.symbol_addr(&placed, name);
            assert_eq!(
                addr.ok(),
                c.map(|(n, v, _)| placed[n as usize].addr.wrapping_add(v)),
                "case {case}"
            );
            for size in [8u64, 136] {
                // kexec_purgatory_get_set_symbol(), set
                let want = match c {
                    None => Err(EINVAL),
                    Some((_, _, sz)) if sz != size => Err(EINVAL),
                    Some((n, _, _)) if sh[n as usize].kind == 8 => Err(EINVAL),
                    Some((n, v, _)) => Ok(placed[n as usize].offset.wrapping_add(v)),
                };
                let len = buf.len() as u64;
                let got = p.symbol_bytes(&placed, &mut buf, name, size);
                match (want, got) {
                    (Err(w), Err(g)) => assert_eq!(w, g.errno(), "case {case}"),
                    (Ok(at), Ok(bytes)) => {
                        bytes.fill(0xa5);
                        assert!(at + size <= len);
                        assert!(buf[at as usize..(at + size) as usize]
                            .iter()
                            .all(|&b| b == 0xa5));
                        set += 1;
                    }
                    // C writes outside the buffer; Rust refuses with C's errno for a symbol.
                    (Ok(at), Err(g)) => {
                        assert!(
                            at.checked_add(size).is_none_or(|end| end > len),
                            "case {case}"
                        );
                        assert_eq!(g.errno(), EINVAL);
                    }
                    (w, g) => panic!("case {case}: C {w:?}, Rust {g:?}"),
                }
            }
        }
    }
    assert!(set > 100, "only {set} symbols set");
}

/// The kernel's own purgatory, where a built tree has it (`KDT_PURGATORY`, or the Rust
/// flavour's build): loaded as C loads it, with its entry at `purgatory_start` and the
/// symbols the bzImage loader sets.
#[test]
fn the_kernels_purgatory() {
    let path = std::env::var("KDT_PURGATORY").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../build/rust/arch/x86/purgatory/purgatory.ro"
        )
        .to_string()
    });
    let Ok(e) = std::fs::read(&path) else {
        eprintln!("no {path}: the kernel's purgatory not tried");
        return;
    };
    for mem in [0x3000u64, 0x7fff_f000, 0x1_2345_6000] {
        let COut::Done(Ok(c)) = c_reference(&e, mem) else {
            panic!("C does not load it")
        };
        let r = rust(&e, mem).unwrap();
        assert_eq!(r, c);
        let p = purgatory::parse(&e).unwrap();
        assert_eq!(Ok(r.0), p.symbol_addr(&r.1, b"purgatory_start"));
        let (placed, mut buf) = (r.1, r.2);
        assert_eq!(
            p.symbol_bytes(&placed, &mut buf, b"entry64_regs", 136)
                .unwrap()
                .len(),
            136
        );
        assert!(p.symbol_addr(&placed, b"stack_end").is_ok());
        assert_eq!(
            p.symbol_bytes(&placed, &mut buf, b"purgatory_sha_regions", 256)
                .unwrap()
                .len(),
            256
        );
        assert_eq!(
            p.symbol_bytes(&placed, &mut buf, b"purgatory_sha256_digest", 32)
                .unwrap()
                .len(),
            32
        );
    }
}
