// SPDX-License-Identifier: GPL-2.0

//! Little-endian fields read out of untrusted bytes: `None` where the field is not wholly
//! inside them. Shared by the kexec_file parsers (the bzImage header, the purgatory ELF).

/// The `N` bytes at `at`, if they are all there.
fn bytes<const N: usize>(b: &[u8], at: u64) -> Option<[u8; N]> {
    let at = usize::try_from(at).ok()?;
    let end = at.checked_add(N)?;
    b.get(at..end)?.try_into().ok()
}

/// The byte at `at`.
pub fn u8_at(b: &[u8], at: u64) -> Option<u8> {
    bytes::<1>(b, at).map(|v| v[0])
}

/// The `u16` at `at`.
pub fn u16_at(b: &[u8], at: u64) -> Option<u16> {
    bytes(b, at).map(u16::from_le_bytes)
}

/// The `u32` at `at`.
pub fn u32_at(b: &[u8], at: u64) -> Option<u32> {
    bytes(b, at).map(u32::from_le_bytes)
}

/// The `u64` at `at`.
pub fn u64_at(b: &[u8], at: u64) -> Option<u64> {
    bytes(b, at).map(u64::from_le_bytes)
}

/// `b[at..at + len]`, if it is all there (no bytes always are, as for C's `memcpy()`).
pub fn range(b: &[u8], at: u64, len: u64) -> Option<&[u8]> {
    if len == 0 {
        return Some(&[]);
    }
    let at = usize::try_from(at).ok()?;
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    b.get(at..end)
}

/// `b[at..at + len]`, to change, if it is all there (no bytes always are).
pub fn range_mut(b: &mut [u8], at: u64, len: u64) -> Option<&mut [u8]> {
    if len == 0 {
        return Some(&mut []);
    }
    let at = usize::try_from(at).ok()?;
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    b.get_mut(at..end)
}
