/* SPDX-License-Identifier: MIT */
/*
 * proto/rate - a token bucket for packet rate limits (the per-tap BUM
 * limit, config key bum_rate). Pure: the caller owns the bucket (a plain
 * value it keeps with whatever is limited, e.g. the tap) and passes "now"
 * (monotonic ms). Tokens are kept in thousandths of a packet, so refill is
 * exact integer arithmetic at any rate and any clock granularity.
 *
 * A zeroed bucket is full at its first use (it has never been used, so the
 * whole burst is available): no init call is needed.
 */
#ifndef VTEP_PROTO_RATE_H
#define VTEP_PROTO_RATE_H

#include "../vtep.h"

/* The smallest burst: a VM coming up sends a handful of ARP/ND/DHCP/IGMP
 * frames at once, and a limit of a few packets/s must not eat them. */
#define RATE_MIN_BURST 16u

struct rate_bucket {
	uint64_t mtokens;               /* thousandths of a packet available */
	uint64_t last_ms;               /* when mtokens was last brought up to date */
	bool used;                      /* false: full at the next take */
};

/* The burst for a rate (packets/s): one second's worth, at least
 * RATE_MIN_BURST. 0 for rate 0 (no limit). */
static inline uint32_t rate_burst(uint32_t rate)
{
	return rate ? VTEP_MAX(rate, RATE_MIN_BURST) : 0;
}

/*
 * Take one packet's token from b, refilled at `rate` packets/s up to a
 * depth of rate_burst(rate) packets. true: the packet may pass; false: over
 * the limit (the bucket is left as it was, apart from the refill). rate 0
 * means no limit: always true, b untouched. A clock that goes backwards
 * refills nothing. Datapath-safe.
 */
bool rate_take(struct rate_bucket *b, uint32_t rate, uint64_t now);

#endif /* VTEP_PROTO_RATE_H */
