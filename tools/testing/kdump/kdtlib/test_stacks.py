# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the crashed-stack checks: an NMI panic's stack may name the panic entry as
6.12.117 or 6.12.118 does, and a stack without the NMI handler or any panic entry still fails;
the other panics still require panic() itself; a CPU's NT_PRSTATUS names its `current`."""

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



def cpu(n, pid, comm, current=None):
    out = {"cpu": n, "pid": pid, "comm": comm}
    if current is not None:
        out["current"] = current
    return out


class NotePids(unittest.TestCase):
    """CI once saw a stack overflow in a context switch: CPU 0's note was for the task that
    overflowed (pid 99), its run queue already named the idle task."""

    def test_a_note_from_a_context_switch_passes(self):
        cpus = [cpu(0, 0, "swapper/0", [99, "sh"]), cpu(1, 0, "swapper/1", [0, "swapper/1"])]
        dumpcheck.check_note_pids(cpus, [(99, 0, 1), (0, 0, 2)])

    def test_a_note_for_neither_fails_naming_both(self):
        cpus = [cpu(0, 0, "swapper/0", [99, "sh"])]
        with self.assertRaisesRegex(dumpcheck.Check,
                                    r"pid 7, but that CPU ran pid 99 \(sh\), its run queue's pid 0"):
            dumpcheck.check_note_pids(cpus, [(7, 0, 1)])

    def test_a_note_for_the_queued_task_alone_fails(self):
        cpus = [cpu(0, 0, "swapper/0", [99, "sh"])]
        with self.assertRaises(dumpcheck.Check):
            dumpcheck.check_note_pids(cpus, [(0, 0, 1)])

    def test_without_current_the_run_queue_decides(self):
        dumpcheck.check_note_pids([cpu(0, 5, "init")], [(5, 0, 1)])
        with self.assertRaisesRegex(dumpcheck.Check, r"ran pid 5 \(init\)$"):
            dumpcheck.check_note_pids([cpu(0, 5, "init")], [(6, 0, 1)])


if __name__ == "__main__":
    unittest.main()
