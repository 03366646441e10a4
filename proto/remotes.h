/* SPDX-License-Identifier: MIT */
/*
 * proto/remotes - traffic per remote VTEP: datagrams and bytes each way,
 * and when it was last heard from, for the dump and the metrics (VPP and
 * OVS keep counters per tunnel; the kernel driver has none per remote).
 *
 * A fixed-size open-addressing table that only grows: a remote, once
 * counted, keeps its slot for the table's life, so its counters never go
 * backwards. One thread writes a table (a packet worker, its own); others
 * may read it meanwhile: a slot's address is published with release after
 * it is written (remotes_at reads it with acquire), and the counters are
 * aligned 64-bit words, read whole. A lookup probes at most REMOTES_PROBE
 * slots, so a full table, or one that addresses chosen to collide would
 * fill, costs a bounded lookup; what finds no slot is counted as
 * untracked. Addresses are hashed with a secret seed.
 */
#ifndef VTEP_PROTO_REMOTES_H
#define VTEP_PROTO_REMOTES_H

#include "../vtep.h"

#define REMOTES_CAP 2048u               /* slots per table (a power of two) */
#define REMOTES_PROBE 16u               /* slots a lookup looks at, at most */

struct remote_stats {
	uint64_t rx_packets;            /* VXLAN datagrams from it, taken in */
	uint64_t rx_bytes;              /* their UDP payload */
	uint64_t tx_packets;            /* datagrams sent to it (unicast) */
	uint64_t tx_bytes;
	uint64_t last_rx_ms;            /* monotonic; 0: never heard from */
};

/* from's counts added into to; last_rx_ms takes the later. */
static inline void remote_stats_add(struct remote_stats *to, const struct remote_stats *from)
{
	to->rx_packets += from->rx_packets;
	to->rx_bytes += from->rx_bytes;
	to->tx_packets += from->tx_packets;
	to->tx_bytes += from->tx_bytes;
	to->last_rx_ms = VTEP_MAX(to->last_rx_ms, from->last_rx_ms);
}

struct remote_slot {
	struct vtep_addr addr;
	uint32_t used;                  /* __atomic: addr is valid */
	struct remote_stats s;
};

struct remotes {
	uint64_t seed;
	uint64_t untracked;             /* datagrams that found no slot */
	size_t n;                       /* slots in use */
	struct remote_slot *last;       /* the last one counted: datagrams come
					 * and go in runs of one VTEP's */
	struct remote_slot slot[REMOTES_CAP];
};

/* A zeroed table hashing with seed; NULL without memory. */
struct remotes *remotes_new(uint64_t seed);
void remotes_free(struct remotes *t);

/* Count datagrams from (rx, heard from at now_ms) or to (tx) a unicast
 * address a; a datagram that finds no slot goes to t->untracked. */
void remotes_rx(struct remotes *t, const struct vtep_addr *a, uint64_t packets, uint64_t bytes,
		uint64_t now_ms);
void remotes_tx(struct remotes *t, const struct vtep_addr *a, uint64_t packets, uint64_t bytes);

/* Slot i (0 .. REMOTES_CAP - 1): true and its address and counters when in
 * use. Safe against the writer (see above). */
bool remotes_at(const struct remotes *t, size_t i, struct vtep_addr *ret_addr,
		struct remote_stats *ret);

/* Everything src counted, added into dst (a stopping worker's table into
 * the main thread's); last_rx_ms takes the later. Only dst's writer may. */
void remotes_fold(struct remotes *dst, const struct remotes *src);

#endif /* VTEP_PROTO_REMOTES_H */
