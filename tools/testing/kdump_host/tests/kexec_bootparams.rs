// SPDX-License-Identifier: GPL-2.0

//! Host tests of the boot parameters builder (kexec/file/bootparams.rs).
//!
//! `c_reference` is a line-by-line port of what `bzImage64_load()` writes into its params
//! buffer (`setup_initrd()`, `setup_cmdline()`, the loader id) and of `setup_boot_parameters()`
//! with `setup_e820_entries()`, `setup_efi_state()`, `setup_ima_state()` and `setup_rng_seed()`
//! from Linux 6.12 (arch/x86/kernel/kexec-bzimage64.c), over a byte array at C's struct
//! offsets. The property test checks the Rust builder writes the same bytes on seeded random
//! images, command lines, memory maps and firmware states; `crash_ram` is checked against a port
//! of `crash_exclude_mem_range()` on one range (and gives both pieces where that fails).

use kdump_host::bootparams::{self, Efi, Inputs, Running, E820};
use kdump_host::Rng;

fn w(b: &mut [u8], at: usize, v: u64, n: usize) {
    for i in 0..n {
        b[at + i] = (v >> (8 * i)) as u8;
    }
}

fn r(b: &[u8], at: usize, n: usize) -> u64 {
    (0..n).rev().fold(0, |v, i| (v << 8) | u64::from(b[at + i]))
}

fn c_reference(bufsz: usize, inp: &Inputs, run: &Running) -> Vec<u8> {
    let mut p = vec![0u8; bufsz];
    let efi_map_sz = inp.efi.map_or(0, |e| e.map.len());
    let params_cmdline_sz = (0x1000 + inp.cmdline.len() + 30 + 15) & !15;
    let efi_map_offset = params_cmdline_sz;
    let efi_setup_data_offset = efi_map_offset + ((efi_map_sz + 15) & !15);
    // memcpy(&params->hdr, kernel + setup_hdr_offset, setup_header_size)
    p[0x1f1..0x1f1 + inp.header.len()].copy_from_slice(inp.header);
    // setup_initrd()
    if let Some((addr, len)) = inp.initrd {
        w(&mut p, 0x218, addr & 0xffff_ffff, 4);
        w(&mut p, 0x21c, len & 0xffff_ffff, 4);
        w(&mut p, 0x0c0, addr >> 32, 4);
        w(&mut p, 0x0c4, len >> 32, 4);
    }
    // setup_cmdline()
    let mut len = 0;
    if let Some(addr) = inp.elfcorehdr {
        let s = format!("elfcorehdr=0x{addr:x} ");
        p[0x1000..0x1000 + s.len()].copy_from_slice(s.as_bytes());
        len = s.len();
    }
    p[0x1000 + len..0x1000 + len + inp.cmdline.len()].copy_from_slice(inp.cmdline);
    let cmdline_len = inp.cmdline.len() + len;
    p[0x1000 + cmdline_len - 1] = 0;
    let phys = inp.load_addr + 0x1000;
    w(&mut p, 0x228, phys & 0xffff_ffff, 4);
    if phys >> 32 != 0 {
        w(&mut p, 0x0c8, phys >> 32, 4);
    }
    p[0x210] = 0x0d << 4;
    p[0x211] = 0;
    // setup_boot_parameters()
    let bp = run.boot_params;
    p[0x23c..0x240].copy_from_slice(&bp[0x23c..0x240]);
    p[0..0x40].copy_from_slice(&run.screen_info[..0x40]);
    w(&mut p, 0x002, 0, 2);
    w(&mut p, 0x1e0, 0, 4);
    p[0x70..0x78].copy_from_slice(&bp[0x70..0x78]);
    p[0x40..0x54].fill(0);
    p[0x80..0x90].fill(0);
    p[0x90..0xa0].fill(0);
    // setup_e820_entries()
    let mut nr = inp.e820.len() / 20;
    if nr > 128 {
        nr = 128;
    }
    p[0x1e8] = nr as u8;
    p[0x2d0..0x2d0 + nr * 20].copy_from_slice(&inp.e820[..nr * 20]);
    for i in 0..nr {
        let e = 0x2d0 + i * 20;
        if r(&p, e + 16, 4) != 1 {
            continue;
        }
        let start = r(&p, e, 8);
        let end = start.wrapping_add(r(&p, e + 8, 8)).wrapping_sub(1);
        if start <= 0x100000 && end > 0x100000 {
            let mem_k = (end >> 10) - (0x100000 >> 10);
            w(&mut p, 0x002, mem_k, 2);
            w(&mut p, 0x1e0, mem_k, 4);
            if mem_k > 0xfc00 {
                w(&mut p, 0x002, 0xfc00, 2);
            }
            if mem_k > 0xffff_ffff {
                w(&mut p, 0x1e0, 0xffff_ffff, 4);
            }
        }
    }
    let mut setup_data_offset = efi_setup_data_offset;
    let push = |p: &mut Vec<u8>, off: usize, kind: u64, len: u64| {
        w(p, off + 8, kind, 4);
        w(p, off + 12, len, 4);
        let next = r(p, 0x250, 8);
        w(p, off, next, 8);
        w(p, 0x250, inp.load_addr + off as u64, 8);
    };
    if let Some(efi) = inp.efi {
        // setup_efi_state()
        if r(&p, 0x70, 8) == 0 {
            if let Some(a) = efi.acpi20 {
                w(&mut p, 0x70, a, 8);
            } else if let Some(a) = efi.acpi {
                w(&mut p, 0x70, a, 8);
            }
        }
        if efi.runtime && r(bp, 0x1c0 + 20, 4) != 0 {
            p[0x1ec] = bp[0x1ec];
            w(&mut p, 0x1c0, r(bp, 0x1c0, 4), 4);
            w(&mut p, 0x1c4, r(bp, 0x1c4, 4), 4);
            w(&mut p, 0x1d8, r(bp, 0x1d8, 4), 4);
            w(&mut p, 0x1cc, r(bp, 0x1cc, 4), 4);
            w(&mut p, 0x1c8, u64::from(efi.memdesc_size), 4);
            if efi_map_sz != 0 {
                p[efi_map_offset..efi_map_offset + efi_map_sz].copy_from_slice(efi.map);
                let phys = inp.load_addr + efi_map_offset as u64;
                w(&mut p, 0x1d0, phys & 0xffff_ffff, 4);
                w(&mut p, 0x1dc, phys >> 32, 4);
                w(&mut p, 0x1d4, efi_map_sz as u64, 4);
            }
            let esd = setup_data_offset + 16;
            w(&mut p, esd, efi.fw_vendor, 8);
            w(&mut p, esd + 16, efi.tables, 8);
            w(&mut p, esd + 24, efi.smbios, 8);
            push(&mut p, setup_data_offset, 4, 96);
        }
        setup_data_offset += 16 + 96;
    }
    if let Some(ima) = inp.ima {
        // setup_ima_state(): if (!image->ima_buffer_size) return;
        if let Some((addr, size)) = ima.filter(|&(_, size)| size != 0) {
            w(&mut p, setup_data_offset + 16, addr, 8);
            w(&mut p, setup_data_offset + 24, size, 8);
            push(&mut p, setup_data_offset, 8, 16);
        }
        setup_data_offset += 32;
    }
    if let Some(seed) = inp.rng {
        p[setup_data_offset + 16..setup_data_offset + 48].copy_from_slice(&seed);
        push(&mut p, setup_data_offset, 9, 32);
    }
    p[0xd00..0xd00 + 6 * 82].copy_from_slice(&bp[0xd00..0xd00 + 6 * 82]);
    p[0x1e9] = bp[0x1e9];
    p[0x290..0x2d0].copy_from_slice(&bp[0x290..0x2d0]);
    p
}

fn bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

#[test]
fn same_bytes_as_c() {
    let mut rng = Rng::new(0x626f_6f74_7061_7261);
    for case in 0..5_000 {
        let boot_params = bytes(&mut rng, 4096);
        let mut boot_params = boot_params;
        if rng.below(3) == 0 {
            w(&mut boot_params, 0x1c0 + 20, 0, 4);
        }
        if rng.below(3) == 0 {
            w(&mut boot_params, 0x70, 0, 8);
        }
        let screen_info = bytes(&mut rng, 0x40);
        let header_len = 0x202 + rng.below(256) as usize - 0x1f1;
        let header = bytes(&mut rng, header_len);
        let n = rng.below(300) as usize;
        let mut cmdline = bytes(&mut rng, n);
        if rng.below(5) == 0 {
            cmdline.clear();
        }
        let nmap = rng.below(140) as usize;
        let mut map = Vec::new();
        for _ in 0..nmap {
            let addr = [0, 0x9f000, 0x100000, rng.below(1 << 34)][rng.below(4) as usize];
            let size = [0x1000, 0x7ff0_0000, rng.below(1 << 36), 1][rng.below(4) as usize];
            let kind = [1u32, 2, 3, 4, 7][rng.below(5) as usize];
            map.extend_from_slice(&E820 { addr, size, kind }.bytes());
        }
        let n = [0, 48, 480, 1000][rng.below(4) as usize];
        let efi_map = bytes(&mut rng, n);
        let efi = (rng.below(3) != 0).then(|| Efi {
            acpi20: (rng.below(2) == 0).then(|| rng.next_u64()),
            acpi: (rng.below(2) == 0).then(|| rng.next_u64()),
            runtime: rng.below(4) != 0,
            memdesc_size: 48,
            map: &efi_map,
            fw_vendor: rng.next_u64(),
            tables: rng.next_u64(),
            smbios: rng.next_u64(),
        });
        let efi_map_len = efi.map_or(0, |e| e.map.len());
        let ima = match rng.below(4) {
            0 => None,
            1 => Some(None),
            2 => Some(Some((rng.next_u64(), 0))),
            _ => Some(Some((rng.next_u64(), rng.next_u64()))),
        };
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes(&mut rng, 32));
        let load_addr = [
            0x3000u64,
            0x7ff0_0000,
            0x1_0000_0000 + rng.below(1 << 30) * 4096,
        ][rng.below(3) as usize];
        let inp = Inputs {
            header: &header,
            cmdline: &cmdline,
            elfcorehdr: (rng.below(2) == 0).then(|| rng.below(1 << 40)),
            load_addr,
            initrd: (rng.below(2) == 0).then(|| (rng.next_u64(), rng.next_u64())),
            e820: &map,
            efi,
            ima,
            rng: (rng.below(4) != 0).then_some(seed),
        };
        let run = Running {
            boot_params: &boot_params,
            screen_info: &screen_info,
        };
        let l =
            bootparams::layout(cmdline.len() as u64, efi_map_len as u64, ima.is_some()).unwrap();
        let c = c_reference(l.bufsz() as usize, &inp, &run);
        // Whatever the buffer held, it is written as if fresh from kzalloc().
        let mut buf = vec![0x5au8; l.bufsz() as usize];
        bootparams::build(&mut buf, &l, &inp, &run).unwrap();
        if buf != c {
            let at = buf.iter().zip(&c).position(|(a, b)| a != b).unwrap();
            panic!("case {case}: first difference at {at:#x}");
        }
    }
}

#[test]
fn crash_ram_as_c_excludes() {
    let mut rng = Rng::new(0x6372_6173_6872_616d);
    for _ in 0..100_000 {
        let start = rng.below(1 << 20) * 4096;
        let end = start + rng.below(64) * 4096 + [4095, 0, 77][rng.below(3) as usize];
        let elf = start
            .wrapping_add(rng.below(80) * 4096)
            .wrapping_sub(8 * 4096);
        let elf_sz = [0x71000, 0x1000, 0, 1, 0x10_0000][rng.below(5) as usize];
        // crash_exclude_mem_range() with room for one range
        let (ms, me) = (elf, elf.wrapping_add(elf_sz).wrapping_sub(1));
        let c: Result<Option<(u64, u64)>, i32> = (|| {
            if ms > end || me < start {
                return Ok(Some((start, end)));
            }
            let (ps, pe) = (ms.max(start), me.min(end));
            if ps == start && pe == end {
                Ok(None)
            } else if ps > start && pe < end {
                Err(12)
            } else if ps != start {
                Ok(Some((start, ps - 1)))
            } else {
                Ok(Some((pe + 1, end)))
            }
        })();
        let ram = |r: Option<(u64, u64)>| {
            r.and_then(|(s, e)| {
                let size = e - s + 1;
                (size >= 4096).then_some(E820 {
                    addr: s,
                    size,
                    kind: 1,
                })
            })
        };
        // Where C fails (the headers split the region), the Rust gives both pieces.
        let want = match c {
            Ok(r) => [ram(r), None],
            Err(_) => [ram(Some((start, elf - 1))), ram(Some((elf + elf_sz, end)))],
        };
        assert_eq!(
            bootparams::crash_ram(start, end, elf, elf_sz, 4096),
            want,
            "[{start:#x}, {end:#x}] less {elf:#x}+{elf_sz:#x}"
        );
    }
}
