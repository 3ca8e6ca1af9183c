# SPDX-License-Identifier: GPL-2.0
"""Host-side reading of a vmcore's ELF headers, to check what the capture kernel served."""

import struct

PT_LOAD = 1
PT_NOTE = 4
ET_CORE = 4
EM_X86_64 = 62
LOW_1M = 1 << 20


class CoreError(Exception):
    pass


class Core:
    def __init__(self, elf_class, phdrs, notes):
        self.elf_class = elf_class   # 64 or 32
        self.phdrs = phdrs           # list of dicts: type, offset, paddr, vaddr, filesz, memsz
        self.notes = notes           # list of (name, type, descsz)

    def loads(self):
        return [p for p in self.phdrs if p["type"] == PT_LOAD]


def read(path):
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 52 or head[:4] != b"\x7fELF":
            raise CoreError(f"not an ELF file: first bytes {head[:4]!r}")
        cls = {1: 32, 2: 64}.get(head[4])
        if cls is None:
            raise CoreError(f"bad EI_CLASS {head[4]}")
        if head[5] != 1:
            raise CoreError(f"not little-endian (EI_DATA {head[5]})")
        if cls == 64:
            (e_type, e_machine, _, _, e_phoff, _, _, _, e_phentsize, e_phnum) = struct.unpack_from(
                "<HHIQQQIHHH", head, 16)
        else:
            (e_type, e_machine, _, _, e_phoff, _, _, _, e_phentsize, e_phnum) = struct.unpack_from(
                "<HHIIIIIHHH", head, 16)
        if e_type != ET_CORE:
            raise CoreError(f"e_type {e_type}, not ET_CORE")
        if e_machine not in (EM_X86_64, 3):
            raise CoreError(f"e_machine {e_machine}, not x86")
        f.seek(e_phoff)
        table = f.read(e_phentsize * e_phnum)
        if len(table) != e_phentsize * e_phnum:
            raise CoreError("program header table is cut short")
        phdrs = []
        for i in range(e_phnum):
            if cls == 64:
                (p_type, _, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, _) = struct.unpack_from(
                    "<IIQQQQQQ", table, i * e_phentsize)
            else:
                (p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, _, _) = struct.unpack_from(
                    "<IIIIIIII", table, i * e_phentsize)
            phdrs.append(dict(type=p_type, offset=p_offset, vaddr=p_vaddr, paddr=p_paddr,
                              filesz=p_filesz, memsz=p_memsz))
        notes = []
        for p in phdrs:
            if p["type"] == PT_NOTE:
                f.seek(p["offset"])
                notes += _notes(f.read(p["filesz"]))
    return Core(cls, phdrs, notes)


def _note_descs(path):
    """(name, type, desc bytes) of every note in a vmcore's PT_NOTE segments."""
    core = read(path)
    with open(path, "rb") as f:
        for p in core.phdrs:
            if p["type"] == PT_NOTE:
                f.seek(p["offset"])
                yield from _walk_notes(f.read(p["filesz"]))


def vmcoreinfo(path):
    """The VMCOREINFO note's text in a vmcore, or None."""
    for name, _, desc in _note_descs(path):
        if name == "VMCOREINFO":
            return desc.decode("ascii", "replace")
    return None


# x86_64 struct elf_prstatus: pr_pid at 32, pr_reg (struct user_regs_struct) at 112, in which
# rip is register 16 and rsp register 19.
PRSTATUS_PID = 32
PRSTATUS_REG = 112
REG_RIP, REG_RSP = 16, 19


def prstatus(path):
    """[(pid, rip, rsp)] of every NT_PRSTATUS note, in the order of the dump (CPU order)."""
    out = []
    for name, ntype, desc in _note_descs(path):
        if name == "CORE" and ntype == 1 and len(desc) >= PRSTATUS_REG + 8 * (REG_RSP + 1):
            pid, = struct.unpack_from("<i", desc, PRSTATUS_PID)
            rip, = struct.unpack_from("<Q", desc, PRSTATUS_REG + 8 * REG_RIP)
            rsp, = struct.unpack_from("<Q", desc, PRSTATUS_REG + 8 * REG_RSP)
            out.append((pid, rip, rsp))
    return out


def _walk_notes(data):
    """(name, type, desc bytes) of each note in `data`, up to an all-zero note header."""
    off = 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        if namesz == 0 and descsz == 0 and ntype == 0:
            break
        off += 12
        name = data[off:off + namesz].rstrip(b"\0").decode("ascii", "replace")
        off += (namesz + 3) & ~3
        yield name, ntype, data[off:off + descsz]
        off += (descsz + 3) & ~3


def _notes(data):
    return [(name, ntype, len(desc)) for name, ntype, desc in _walk_notes(data)]


def parse_iomem(values):
    """'00100000-3fffffff:System_RAM' strings -> (ram ranges, crashkernel range or None)."""
    ram, crash = [], None
    for v in values:
        rng, _, name = v.partition(":")
        lo, _, hi = rng.partition("-")
        try:
            r = (int(lo, 16), int(hi, 16) + 1)
        except ValueError:
            raise ValueError(f"the first kernel reported a malformed iomem range {v!r}") from None
        if name == "System_RAM":
            ram.append(r)
        elif name == "Crash_kernel":
            crash = r
    return ram, crash


def uncovered(core, ram, crash):
    """System RAM above 1 MiB, less the crashkernel region, that no PT_LOAD covers."""
    want = []
    for lo, hi in ram:
        lo = max(lo, LOW_1M)
        if crash and lo < crash[1] and crash[0] < hi:
            if lo < crash[0]:
                want.append((lo, crash[0]))
            if crash[1] < hi:
                want.append((crash[1], hi))
        elif lo < hi:
            want.append((lo, hi))
    loads = sorted((p["paddr"], p["paddr"] + p["memsz"]) for p in core.loads())
    missing = []
    for lo, hi in want:
        pos = lo
        for a, b in loads:
            if a <= pos < b:
                pos = b
            if pos >= hi:
                break
        if pos < hi:
            missing.append((pos, hi))
    return missing
