# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the backtrace demangling (kdtlib/symbols.py), on names drgn printed."""

import unittest

from . import symbols

# A Rust crash path frame as drgn 0.3.0 printed it from a 6.12.118 dump.
MANGLED = "_RNvNtCs8auaERGICD_10crash_dump5panic15crash_kexec_now"


class Demangle(unittest.TestCase):
    def test_rust_frame_reads_as_its_path(self):
        self.assertEqual(symbols.demangle(MANGLED), "crash_dump::panic::crash_kexec_now")

    def test_c_names_and_layout_are_kept(self):
        text = f"#0  {MANGLED} at kdump/crash/panic.rs:88\n#1  vpanic at kernel/panic.c:354\n"
        self.assertEqual(symbols.demangle(text),
                         "#0  crash_dump::panic::crash_kexec_now at kdump/crash/panic.rs:88\n"
                         "#1  vpanic at kernel/panic.c:354\n")

    def test_list_keeps_its_length(self):
        names = ["exc_nmi", MANGLED, "??"]
        self.assertEqual(symbols.demangle_all(names),
                         ["exc_nmi", "crash_dump::panic::crash_kexec_now", "??"])


class StackFrames(unittest.TestCase):
    def test_names_with_spaces_stay_whole(self):
        text = ("thread 1 (sh)\n"
                "#0  <kernel::sync::Guard<T> as core::ops::drop::Drop>::drop at rust/x.rs:3\n"
                "#1  panic at kernel/panic.c:120\n#2  ??\n")
        self.assertEqual(symbols.stack_frames(text),
                         ["<kernel::sync::Guard<T> as core::ops::drop::Drop>::drop", "panic", "??"])


if __name__ == "__main__":
    unittest.main()
