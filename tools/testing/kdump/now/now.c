// SPDX-License-Identifier: GPL-2.0
/*
 * now: the guest's CLOCK_MONOTONIC in seconds with microseconds, for timing guest steps.
 * /proc/uptime has centiseconds, and busybox date has no %N; with the TSC as clocksource
 * (the bench passes tsc=reliable, which TCG's TSC is) this resolves well below a millisecond.
 */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t))
		return 1;
	printf("%lld.%06ld\n", (long long)t.tv_sec, t.tv_nsec / 1000);
	return 0;
}
