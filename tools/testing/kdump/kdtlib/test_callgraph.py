# SPDX-License-Identifier: GPL-2.0
"""The panic-path call-graph check on object code it must judge: a forbidden call reached
through a local call, a tail jump and a relocation is found; one no root reaches is not."""

import unittest

from . import callgraph

# llvm-objdump -d -r --no-show-raw-insn, shaped like the real output: local calls carry no
# relocation; a call with a relocation names a wrong <target> that must be ignored.
OBJDUMP = """
0000000000000000 <__crash_kexec>:
       0:      	pushq	%rbx
       1:      	callq	0x40 <helper>
       6:      	jmp	0x80 <tail>
0000000000000040 <helper>:
      40:      	callq	0x45 <helper+0x5>
		0000000000000041:  R_X86_64_PLT32	ktime_get_real_seconds-0x4
      45:      	jmp	0x4a <helper+0xa>
		0000000000000046:  R_X86_64_PLT32	__x86_return_thunk-0x4
0000000000000080 <tail>:
      80:      	jne	0x90 <tail+0x10>
      82:      	callq	0x87 <unreached>
		0000000000000083:  R_X86_64_PLT32	_RNvNtNtCs1peUGmbrgHn_4core9panicking11panic_const24panic_const_add_overflow-0x4
0000000000000100 <unreached>:
     100:      	callq	0x105 <unreached+0x5>
		0000000000000101:  R_X86_64_PLT32	__kmalloc_noprof-0x4
"""


class CallGraphTest(unittest.TestCase):
    def test_a_panic_reached_through_a_tail_jump_is_found(self):
        graph = callgraph.parse(OBJDUMP)
        bad = callgraph.violations(graph, ["__crash_kexec"])
        self.assertEqual([(callgraph.short_name(f), why) for f, why, _ in bad],
                         [("panic_const_add_overflow", "can panic")])
        self.assertEqual(callgraph.chain(graph, ["__crash_kexec"], bad[0][0]),
                         ["__crash_kexec", "tail", "panic_const_add_overflow"])

    def test_what_no_root_reaches_is_not_judged(self):
        graph = callgraph.parse(OBJDUMP)
        seen, outside = callgraph.reachable(graph, ["__crash_kexec"])
        self.assertEqual(seen, {"__crash_kexec", "helper", "tail"})
        self.assertNotIn("__kmalloc_noprof", outside)
        self.assertNotIn("__x86_return_thunk", outside)
        self.assertIn("ktime_get_real_seconds", outside)

    def test_an_allocation_and_a_sleep_are_named(self):
        for sym, why in (("__kmalloc_noprof", "allocates"), ("vzalloc_noprof", "allocates"),
                         ("mutex_lock", "sleeps"), ("__might_sleep", "sleeps"),
                         ("rust_begin_unwind", "can panic")):
            graph = {"__crash_kexec": {sym}}
            self.assertEqual([w for _, w, _ in callgraph.violations(graph, ["__crash_kexec"])],
                             [why], sym)
        ok_graph = {"__crash_kexec": {"memcpy", "machine_kexec", "ktime_get_real_seconds"}}
        self.assertEqual(callgraph.violations(ok_graph, ["__crash_kexec"]), [])


if __name__ == "__main__":
    unittest.main()
