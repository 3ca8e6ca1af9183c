// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-elfcorehdr.so: a test-only loader that hands the kernel a crafted
 * elfcorehdr through a real kexec_load(KEXEC_ON_CRASH) call.
 *
 * Preloaded into the stock kexec (LD_PRELOAD), it wraps libc's syscall(),
 * which kexec-tools uses for kexec_load. It finds the segment that holds the
 * ELF64 core header kexec-tools built (ELF magic, ELFCLASS64, ET_CORE) and
 * rewrites it as $KDT_ELFCOREHDR says, before the kernel copies the segment
 * into crashkernel memory:
 *
 *   elf32    the same header as ELF32 (kexec --elf32-core-headers is
 *            accepted on x86_64 but yields ELF64)
 *   magic    e_ident[0] = 0x7e
 *   class    e_ident[EI_CLASS] = 3
 *   phnum    e_phnum = 0xffff
 *   note     the first PT_NOTE's p_memsz = 1 TiB
 *   note-beyond  the first PT_NOTE moved to 4 PiB (1 << 52), past any
 *            CPU's physical address width
 *   overlap  the first PT_LOAD repeated in place of the second
 *   beyond   the last PT_LOAD moved to 4 PiB (1 << 52)
 *
 * Purgatory checks a digest of the segments made before this rewrite, so the
 * caller runs `kexec --no-checks -p`. The shim reports what it did as a
 * "KDT: elfcorehdr=..." line on stderr (the guest console).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/kexec.h>

static int to_elf32(unsigned char *buf, size_t bufsz)
{
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;
	Elf64_Phdr *p64;
	Elf32_Phdr *p32;
	size_t n, i, sz64;

	memcpy(&e64, buf, sizeof(e64));
	n = e64.e_phnum;
	sz64 = sizeof(e64) + n * sizeof(Elf64_Phdr);
	if (e64.e_phoff != sizeof(e64) || sz64 > bufsz)
		return -1;
	p64 = malloc(n * sizeof(*p64));
	p32 = calloc(n, sizeof(*p32));
	if (!p64 || !p32)
		return -1;
	memcpy(p64, buf + sizeof(e64), n * sizeof(*p64));
	for (i = 0; i < n; i++) {
		if ((p64[i].p_offset | p64[i].p_paddr | p64[i].p_filesz |
		     p64[i].p_memsz) >> 32)
			return -1;
		p32[i].p_type = p64[i].p_type;
		p32[i].p_offset = p64[i].p_offset;
		/* Kernel virtual addresses do not fit: keep the low half. */
		p32[i].p_vaddr = (uint32_t)p64[i].p_vaddr;
		p32[i].p_paddr = p64[i].p_paddr;
		p32[i].p_filesz = p64[i].p_filesz;
		p32[i].p_memsz = p64[i].p_memsz;
		p32[i].p_flags = p64[i].p_flags;
		p32[i].p_align = p64[i].p_align;
	}
	memset(&e32, 0, sizeof(e32));
	memcpy(e32.e_ident, e64.e_ident, EI_NIDENT);
	e32.e_ident[EI_CLASS] = ELFCLASS32;
	e32.e_type = e64.e_type;
	e32.e_machine = e64.e_machine;
	e32.e_version = e64.e_version;
	e32.e_phoff = sizeof(e32);
	e32.e_ehsize = sizeof(e32);
	e32.e_phentsize = sizeof(Elf32_Phdr);
	e32.e_phnum = n;
	memset(buf, 0, sz64);
	memcpy(buf, &e32, sizeof(e32));
	memcpy(buf + sizeof(e32), p32, n * sizeof(*p32));
	free(p64);
	free(p32);
	return 0;
}

/* Index of the n-th (0-based) program header of type @type, or -1. */
static int nth(Elf64_Phdr *ph, int phnum, uint32_t type, int n)
{
	for (int i = 0; i < phnum; i++)
		if (ph[i].p_type == type && n-- == 0)
			return i;
	return -1;
}

static int craft(unsigned char *buf, size_t bufsz, const char *mode)
{
	Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + e->e_phoff);
	int i, j;

	if (!strcmp(mode, "elf32"))
		return to_elf32(buf, bufsz);
	if (!strcmp(mode, "magic")) {
		buf[0] = 0x7e;
		return 0;
	}
	if (!strcmp(mode, "class")) {
		buf[EI_CLASS] = 3;
		return 0;
	}
	if (!strcmp(mode, "phnum")) {
		e->e_phnum = 0xffff;
		return 0;
	}
	if (!strcmp(mode, "note")) {
		i = nth(ph, e->e_phnum, PT_NOTE, 0);
		if (i < 0)
			return -1;
		ph[i].p_memsz = 1ULL << 40;
		return 0;
	}
	if (!strcmp(mode, "note-beyond")) {
		i = nth(ph, e->e_phnum, PT_NOTE, 0);
		if (i < 0)
			return -1;
		ph[i].p_offset = ph[i].p_paddr = 1ULL << 52;
		return 0;
	}
	if (!strcmp(mode, "overlap")) {
		i = nth(ph, e->e_phnum, PT_LOAD, 0);
		j = nth(ph, e->e_phnum, PT_LOAD, 1);
		if (i < 0 || j < 0)
			return -1;
		ph[j] = ph[i];
		return 0;
	}
	if (!strcmp(mode, "beyond")) {
		for (i = e->e_phnum - 1; i >= 0 && ph[i].p_type != PT_LOAD; i--)
			;
		if (i < 0)
			return -1;
		ph[i].p_offset = ph[i].p_paddr = 1ULL << 52;
		return 0;
	}
	return -1;
}

static void craft_segments(struct kexec_segment *seg, unsigned long nr)
{
	const char *mode = getenv("KDT_ELFCOREHDR");

	if (!mode || !*mode)
		return;
	for (unsigned long i = 0; i < nr; i++) {
		unsigned char *buf = (unsigned char *)seg[i].buf;
		Elf64_Ehdr *e = (Elf64_Ehdr *)buf;

		if (seg[i].bufsz < sizeof(*e) || memcmp(buf, ELFMAG, SELFMAG) ||
		    buf[EI_CLASS] != ELFCLASS64 || e->e_type != ET_CORE ||
		    e->e_phoff + (size_t)e->e_phnum * sizeof(Elf64_Phdr) > seg[i].bufsz)
			continue;
		if (craft(buf, seg[i].bufsz, mode))
			fprintf(stderr, "KDT: elfcorehdr=failed mode=%s segment=%lu\n", mode, i);
		else
			fprintf(stderr, "KDT: elfcorehdr=%s segment=%lu\n", mode, i);
		return;
	}
	fprintf(stderr, "KDT: elfcorehdr=not-found mode=%s\n", mode);
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_kexec_load && (a[3] & KEXEC_ON_CRASH))
		craft_segments((struct kexec_segment *)a[2], a[1]);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
