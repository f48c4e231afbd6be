/*
 * clock.h - time as the adapter's threads use it: milliseconds of a
 * clock (CLOCK_MONOTONIC for intervals, CLOCK_REALTIME for timestamps
 * served), and the absolute deadline pthread_cond_timedwait wants (its
 * condition variables use CLOCK_REALTIME, the default).
 */
#ifndef FH_CLOCK_H
#define FH_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t clock_ms(clockid_t c);

/* CLOCK_REALTIME now plus ms (>= 0). */
struct timespec clock_deadline(int64_t ms);

#endif
