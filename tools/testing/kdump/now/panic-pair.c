// SPDX-License-Identifier: GPL-2.0
/*
 * panic-pair CPU_A CPU_B: crash the kernel from two CPUs at the same moment. A child process
 * is bound to each CPU, opens /proc/sysrq-trigger, and spins on a shared counter until both
 * are ready; then both write 'c'. One CPU wins panic() and goes on into kdump; the other must
 * stop in panic() (panic_smp_self_stop) and still have its registers saved in the dump.
 *
 * Only the write is left after the barrier, a few microseconds of guest time, against the
 * milliseconds the winner spends printing its panic on the serial console before the NMI that
 * stops the other CPUs: the second CPU is inside panic() by then. Returns only if both
 * writes came back, i.e. the kernel did not crash.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int crash_on(int cpu, volatile int *ready)
{
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return 1;
	}
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd < 0) {
		perror("/proc/sysrq-trigger");
		return 1;
	}
	__atomic_add_fetch(ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(ready, __ATOMIC_SEQ_CST) < 2)
		;
	if (write(fd, "c", 1) != 1)
		perror("write");
	return 1;
}

int main(int argc, char **argv)
{
	volatile int *ready;
	int i, status, rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CPU_A CPU_B\n", argv[0]);
		return 2;
	}
	ready = mmap(NULL, sizeof(*ready), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (ready == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	*ready = 0;
	for (i = 1; i <= 2; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(crash_on(atoi(argv[i]), ready));
	}
	for (i = 0; i < 2; i++)
		if (wait(&status) > 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
			rc = 1;
	return rc;
}
