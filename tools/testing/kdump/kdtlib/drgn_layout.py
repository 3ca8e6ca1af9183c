# SPDX-License-Identifier: GPL-2.0
"""Run by the drgn venv's Python: C's layout of structs, from a vmlinux's DWARF.

usage: drgn_layout.py VMLINUX < "struct member" lines (member SIZE: the struct's size)
prints "struct member bytes" ("-" where C has no such member, or vmlinux no such struct:
no C object of that kernel uses it). bindgen appends "_" to members
named like Rust keywords (type_); those are looked up without it.
"""

import sys

import drgn


def main():
    prog = drgn.Program()
    module = prog.extra_module("vmlinux", create=True)
    module = module[0] if isinstance(module, tuple) else module
    module.try_file(sys.argv[1], force=True)
    types = {}
    for line in sys.stdin:
        name, member = line.split()
        if name not in types:
            types[name] = None  # no C object of this kernel uses the struct
            for lookup in (lambda: prog.type(f"struct {name}"),
                           # a typedef of an anonymous struct (atomic_t)
                           lambda: prog.type(name).type):
                try:
                    types[name] = lookup()
                    break
                except LookupError:
                    pass
        t = types[name]
        value = "-"
        if t is None:
            pass
        elif member == "SIZE":
            value = t.size if t.is_complete() else 0
        else:
            for m in (member, member.rstrip("_")):
                try:
                    value = drgn.offsetof(t, m)
                    break
                except LookupError:
                    pass
        print(name, member, value)


if __name__ == "__main__":
    main()
