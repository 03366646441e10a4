/* SPDX-License-Identifier: MIT */
/*
 * proto/rate - token bucket (see rate.h).
 */
#include "rate.h"

#define MILLI 1000u

bool rate_take(struct rate_bucket *b, uint32_t rate, uint64_t now)
{
	uint64_t depth = (uint64_t)rate_burst(rate) * MILLI;

	if (rate == 0)
		return true;
	if (!b->used) {
		b->used = true;
		b->mtokens = depth;
		b->last_ms = now;
	} else if (now > b->last_ms) {
		/* rate packets/s = rate thousandths of a packet per ms. A full
		 * refill takes burst * 1000 / rate <= RATE_MIN_BURST * 1000 ms;
		 * capping the interval there keeps dt * rate far below 2^64. */
		uint64_t dt = VTEP_MIN(now - b->last_ms, (uint64_t)RATE_MIN_BURST * MILLI);

		b->mtokens = VTEP_MIN(b->mtokens + dt * rate, depth);
		b->last_ms = now;
	}
	if (b->mtokens > depth)         /* the rate went down since (reload) */
		b->mtokens = depth;
	if (b->mtokens < MILLI)
		return false;
	b->mtokens -= MILLI;
	return true;
}
