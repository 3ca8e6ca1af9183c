// SPDX-License-Identifier: GPL-2.0

//! Host tests of the purgatory's digest regions (kexec/file/digest.rs) against a port of
//! `kexec_calculate_store_digests()`'s region loop from Linux 6.12 (kernel/kexec_file.c).

use kdump_host::digest::{self, Segment, REGIONS};
use kdump_host::Rng;

#[test]
fn regions_as_c_lists_them() {
    let mut rng = Rng::new(0x6469_6765_7374_2121);
    for _ in 0..10_000 {
        let n = rng.below(REGIONS as u64 + 1) as usize;
        let segs: Vec<Segment> = (0..n)
            .map(|_| {
                let memsz = rng.below(64) * 4096;
                Segment {
                    bufsz: rng.below(memsz + 1),
                    mem: rng.below(1 << 30) * 4096,
                    memsz,
                    skip: rng.below(4) == 0,
                }
            })
            .collect();
        // struct kexec_sha_region sha_regions[16] = {}; j = 0; for each segment not skipped:
        // sha_regions[j].start = mem; sha_regions[j].len = memsz; j++;
        let mut c = [0u8; 256];
        let mut j = 0;
        for s in &segs {
            if s.skip {
                continue;
            }
            c[j * 16..j * 16 + 8].copy_from_slice(&s.mem.to_le_bytes());
            c[j * 16 + 8..j * 16 + 16].copy_from_slice(&s.memsz.to_le_bytes());
            j += 1;
        }
        assert_eq!(digest::regions(&segs), c);
        for s in &segs {
            assert_eq!(digest::zero_tail(s) + s.bufsz, s.memsz);
        }
    }
}
