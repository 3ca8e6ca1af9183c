// SPDX-License-Identifier: GPL-2.0

//! Host tests of the VMCOREINFO parser the kernel sample uses.

use kdump_host::vmcoreinfo::{Error, VmcoreInfo};
use kdump_host::Rng;

/// What 6.12 writes, abridged from a real /sys/kernel/vmcoreinfo of a QEMU guest.
const REAL: &[u8] = b"OSRELEASE=6.12.117\n\
BUILD-ID=3f0d2c9b8e2a41b59d2a2f5e7c5d0e1f2a3b4c5d\n\
PAGESIZE=4096\n\
SYMBOL(init_uts_ns)=ffffffff9a613240\n\
OFFSET(uts_namespace.name)=0\n\
SYMBOL(node_online_map)=ffffffff9a6d1f58\n\
SYMBOL(swapper_pg_dir)=ffffffff9a40a000\n\
SIZE(page)=64\n\
SIZE(pglist_data)=5888\n\
OFFSET(page.flags)=0\n\
OFFSET(page._refcount)=52\n\
LENGTH(zone.free_area)=11\n\
NUMBER(NR_FREE_PAGES)=0\n\
NUMBER(PG_hugetlb)=-1\n\
KERNELOFFSET=18000000\n\
CRASHTIME=1764471234\n";

#[test]
fn reads_a_real_vmcoreinfo() {
    let info = VmcoreInfo::parse(REAL).expect("real text parses");
    assert_eq!(info.len(), 16);
    assert!(!info.is_empty());
    assert_eq!(info.get("OSRELEASE"), Some("6.12.117"));
    assert_eq!(info.get("PAGESIZE"), Some("4096"));
    assert_eq!(info.symbol("init_uts_ns"), Some(0xffff_ffff_9a61_3240));
    assert_eq!(info.size("pglist_data"), Some(5888));
    assert_eq!(info.offset("page._refcount"), Some(52));
    assert_eq!(info.number("PG_hugetlb"), Some(-1));
    assert_eq!(info.get("KERNELOFFSET"), Some("18000000"));
}

#[test]
fn wrapped_keys_match_exactly() {
    let info = VmcoreInfo::parse(b"SIZE(page)=64\nSIZE(pages)=1\nSYMBOL(page)=10\n").unwrap();
    assert_eq!(info.size("page"), Some(64));
    assert_eq!(info.size("pages"), Some(1));
    assert_eq!(info.size("pag"), None);
    assert_eq!(info.symbol("page"), Some(0x10));
    assert_eq!(info.offset("page"), None);
}

#[test]
fn the_first_of_repeated_keys_wins() {
    let info = VmcoreInfo::parse(b"A=1\nA=2\n").unwrap();
    assert_eq!(info.get("A"), Some("1"));
}

#[test]
fn values_may_hold_equals_and_be_empty() {
    let info = VmcoreInfo::parse(b"A=b=c\nEMPTY=\n").unwrap();
    assert_eq!(info.get("A"), Some("b=c"));
    assert_eq!(info.get("EMPTY"), Some(""));
}

#[test]
fn note_padding_is_not_text() {
    let info = VmcoreInfo::parse(b"A=1\n\0\0\0\0").unwrap();
    assert_eq!(info.len(), 1);
    assert!(VmcoreInfo::parse(b"\0\0\0\0").unwrap().is_empty());
    assert!(VmcoreInfo::parse(b"").unwrap().is_empty());
}

#[test]
fn malformed_text_names_the_fault() {
    assert_eq!(
        VmcoreInfo::parse(b"A=1\nB\n").err(),
        Some(Error::MissingEquals { line: 2 })
    );
    assert_eq!(
        VmcoreInfo::parse(b"=1\n").err(),
        Some(Error::EmptyKey { line: 1 })
    );
    assert_eq!(
        VmcoreInfo::parse(b"A=1\0B=2\n").err(),
        Some(Error::NotText { offset: 3 })
    );
    assert_eq!(
        VmcoreInfo::parse(b"A=\xff\n").err(),
        Some(Error::NotText { offset: 2 })
    );
    assert_eq!(
        VmcoreInfo::parse(b"A=1\nB=2").err(),
        Some(Error::Unterminated)
    );
    assert_eq!(
        Error::MissingEquals { line: 2 }.to_string(),
        "line 2 has no '='"
    );
}

#[test]
fn bad_numbers_are_absent_not_wrong() {
    let info =
        VmcoreInfo::parse(b"SYMBOL(x)=zz\nSIZE(y)=-3\nNUMBER(z)=99999999999999999999\n").unwrap();
    assert_eq!(info.symbol("x"), None);
    assert_eq!(info.size("y"), None);
    assert_eq!(info.number("z"), None);
}

/// Property: any list of well-formed entries, rendered as the kernel renders them, parses back
/// to the same entries in the same order.
#[test]
fn rendered_entries_round_trip() {
    for seed in 1..=500u64 {
        let mut rng = Rng::new(seed);
        let n = rng.below(40) as usize;
        let mut entries = Vec::new();
        let mut text = Vec::new();
        for _ in 0..n {
            let key: Vec<u8> = (0..1 + rng.below(20))
                .map(|_| b'A' + rng.below(26) as u8)
                .collect();
            let value: Vec<u8> = (0..rng.below(30))
                .map(|_| 0x20 + rng.below(0x5f) as u8)
                .collect();
            text.extend_from_slice(&key);
            text.push(b'=');
            text.extend_from_slice(&value);
            text.push(b'\n');
            entries.push((key, value));
        }
        text.extend(std::iter::repeat_n(0, rng.below(4) as usize));
        let info = VmcoreInfo::parse(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let got: Vec<_> = info
            .entries()
            .map(|e| (e.key.to_vec(), e.value.to_vec()))
            .collect();
        assert_eq!(got, entries, "seed {seed}");
        assert_eq!(info.len(), n, "seed {seed}");
    }
}

/// Property: arbitrary bytes never panic the parser, and what it accepts is consistent.
#[test]
fn arbitrary_bytes_never_panic() {
    for seed in 1..=2000u64 {
        let mut rng = Rng::new(seed);
        let mut data: Vec<u8> = REAL.to_vec();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(data.len() as u64 + 1) as usize;
            match rng.below(3) {
                0 if at < data.len() => data[at] = rng.next_u64() as u8,
                1 => data.insert(at, rng.next_u64() as u8),
                _ => data.truncate(at),
            }
        }
        if let Ok(info) = VmcoreInfo::parse(&data) {
            assert_eq!(info.entries().count(), info.len(), "seed {seed}");
            for e in info.entries() {
                assert!(!e.key.is_empty(), "seed {seed}");
            }
        }
    }
}
