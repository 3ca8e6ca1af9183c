// SPDX-License-Identifier: GPL-2.0
/*
 * copy-ceiling MIB CHUNK: the guest CPU's own copy rate, the ceiling any read of /proc/vmcore
 * is measured against. It copies MIB MiB in CHUNK-byte pieces from a 64 MiB source (so the
 * bytes stream from memory, as old memory does) into one CHUNK-sized buffer, with the string
 * instruction the kernel's copy_to_user() uses on a CPU without FSRM/ERMS (rep movsq), and
 * prints "<bytes> <seconds>". No syscall or page walk is in the loop: a kernel-to-user copy
 * of the same bytes cannot be faster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SRC_BYTES (64UL << 20)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void copy(void *dst, const void *src, unsigned long bytes)
{
	unsigned long quads = bytes / 8;

	asm volatile("rep movsq"
		     : "+D"(dst), "+S"(src), "+c"(quads)
		     :
		     : "memory");
}

int main(int argc, char **argv)
{
	unsigned long total, chunk, done, off = 0;
	char *src, *dst;
	double t0, t1;

	if (argc != 3)
		return 2;
	total = strtoul(argv[1], NULL, 0) << 20;
	chunk = strtoul(argv[2], NULL, 0);
	if (!chunk || chunk % 8 || SRC_BYTES % chunk)
		return 2;
	src = malloc(SRC_BYTES);
	dst = malloc(chunk);
	if (!src || !dst)
		return 1;
	memset(src, 0x5a, SRC_BYTES);	/* fault every page in before timing */
	memset(dst, 0, chunk);
	t0 = now();
	for (done = 0; done < total; done += chunk) {
		copy(dst, src + off, chunk);
		off = (off + chunk) % SRC_BYTES;
	}
	t1 = now();
	printf("%lu %.6f\n", done, t1 - t0);
	return dst[chunk - 1] == 0x5a ? 0 : 1;
}
