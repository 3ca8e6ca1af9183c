# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the crashed-stack checks: an NMI panic's stack may name the panic entry as
6.12.117 or 6.12.118 does, and a stack without the NMI handler or any panic entry still fails;
the other panics still require panic() itself."""

import unittest

from . import dumpcheck, scenarios

# drgn's crashed stack of an NMI panic on 6.12.118 and on 6.12.117 (innermost first, shortened).
NMI_118 = ["crash_dump::panic::crash_kexec_now", "vpanic", "nmi_panic", "unknown_nmi_error",
           "exc_nmi", "asm_exc_nmi"]
NMI_117 = ["crash_kexec", "panic", "nmi_panic", "unknown_nmi_error", "exc_nmi", "asm_exc_nmi"]
NMI_WANT = scenarios.TRIGGERS["nmi"][3]


class PanicEntry(unittest.TestCase):
    def test_either_release_passes(self):
        for frames in (NMI_118, NMI_117):
            dumpcheck.must_run_through(frames, NMI_WANT, "the crashed")

    def test_no_panic_entry_fails_naming_both(self):
        frames = [f for f in NMI_118 if f != "vpanic"]
        with self.assertRaisesRegex(dumpcheck.Check, "no 'panic' or 'vpanic' frame"):
            dumpcheck.must_run_through(frames, NMI_WANT, "the crashed")

    def test_no_nmi_handler_fails(self):
        frames = [f for f in NMI_118 if f not in ("exc_nmi", "unknown_nmi_error")]
        with self.assertRaisesRegex(dumpcheck.Check, "'exc_nmi', 'unknown_nmi_error'"):
            dumpcheck.must_run_through(frames, NMI_WANT, "the crashed")

    def test_sysrq_still_needs_its_handler(self):
        self.assertEqual(dumpcheck.absent_frames(["vpanic", "panic"], dumpcheck.STACK_MUST_HAVE),
                         ["'sysrq_handle_crash'"])

    def test_a_sysrq_stack_still_needs_panic_itself(self):
        # panic() stays on these stacks in 6.12.118 too: vpanic alone is not enough there.
        frames = ["crash_kexec_now", "vpanic", "sysrq_handle_crash"]
        self.assertEqual(dumpcheck.absent_frames(frames, dumpcheck.STACK_MUST_HAVE), ["'panic'"])
        for kind in ("sysrq", "warning", "cpu3", "two"):
            self.assertIn("panic", scenarios.TRIGGERS[kind][3])


if __name__ == "__main__":
    unittest.main()
