/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/world.h - a small populated forwarding world for the fwd
 * harnesses (fuzz_underlay, fuzz_tap): one FDB and one ARP/ND cache shared
 * by VNIs 100 and 200, both one entry short of their caps so a single new
 * learn or snoop fills them and the next one reaches fdb_full / arp_full.
 * The settings of both VNIs come from the first input bytes; every input
 * gets a fresh world, so a crash reproduces from its input alone.
 */
#ifndef VTEP_TESTS_FUZZ_WORLD_H
#define VTEP_TESTS_FUZZ_WORLD_H

#include "../../proto/arp.h"
#include "../../proto/arpc.h"
#include "../../proto/eth.h"
#include "../../proto/fdb.h"
#include "../../proto/fwd.h"
#include "../../proto/nd.h"
#include "fuzz.h"

#define W_MAX_LEARNED 6
#define W_MAX_STATIC 2
#define W_ARP_MAX 4
#define W_ARP_STATIC 2
#define W_NTAPS 3                       /* taps 0, 1 (VNI 100) and 2 (VNI 200) */
#define W_AGEING_MS 300000
#define W_MOVE_WINDOW_MS 180000         /* conf defaults: move_window, move_hold */
#define W_MOVE_HOLD_MS 180000

struct world {
	struct fdb *fdb;
	struct arpc *arpc;              /* NULL when the settings say "no cache" */
	struct vtep_addr peers[2];
	struct vtep_prefix allow[1];
	struct fwd_vni va;
	struct fwd_vni vb;
	struct rate_bucket bum[W_NTAPS];        /* per-tap BUM limit (fwd_limit_bum) */
	uint64_t now;
};

/*
 * Settings, two bytes:
 *   s0 bits 0-1 flood (multicast, unicast, local, multicast), bit 2
 *   learning, bit 3 arp_suppress, bit 4 allow_any, bit 5 allow prefix
 *   10.0.0.0/24 instead of the peer list, bit 6 ignore_reserved, bit 7 no
 *   ARP cache; s1: tap MTU, 0 = no check, else 64 + 6 * s1.
 * (s0, s1 for VNI 100, then s2, s3 for VNI 200; s2 bit 7 also says whether
 * fd00:7::2 is a router.) A fifth byte is instance-wide: bits 0-1 move
 * damping limit (0 = off), bits 2-3 bum_rate (0, 1, 16 or 1000 packets/s).
 */
static inline void world_settings(struct world *w, struct fwd_vni *v, uint32_t vni, uint8_t s0,
				  uint8_t s1, uint8_t s4)
{
	static const uint32_t rates[4] = { 0, 1, 16, 1000 };

	static const enum vtep_flood modes[4] = {
		VTEP_FLOOD_MULTICAST, VTEP_FLOOD_UNICAST, VTEP_FLOOD_LOCAL, VTEP_FLOOD_MULTICAST,
	};

	memset(v, 0, sizeof(*v));
	v->vni = vni;
	v->flood = modes[s0 & 3];
	v->learning = s0 & 0x04;
	v->arp_suppress = s0 & 0x08;
	v->allow_any = s0 & 0x10;
	if (s0 & 0x20) {
		v->allow = w->allow;
		v->n_allow = 1;
	}
	v->peers = w->peers;
	v->n_peers = 2;
	v->ignore_reserved = s0 & 0x40;
	v->mtu = s1 ? (uint16_t)(64 + 6 * s1) : 0;
	v->bum_rate = rates[(s4 >> 2) & 3];
}

static inline void world_free(struct world *w)
{
	fdb_free(w->fdb);
	arpc_free(w->arpc);
}

/* 0 or -ENOMEM. */
static inline int world_init(struct world *w, struct fz *in)
{
	struct vtep_mac m;
	struct vtep_addr ip;
	uint8_t s0 = fz_u8(in);
	uint8_t s1 = fz_u8(in);
	uint8_t s2 = fz_u8(in);
	uint8_t s3 = fz_u8(in);
	uint8_t s4 = fz_u8(in);

	memset(w, 0, sizeof(*w));
	w->now = 1000000;
	w->peers[0] = fz_underlay(2);
	w->peers[1] = fz_underlay(3);
	w->allow[0].addr = fz_underlay(0);
	w->allow[0].len = 24;
	world_settings(w, &w->va, FZ_VNI_A, s0, s1, s4);
	world_settings(w, &w->vb, FZ_VNI_B, s2, s3, s4);

	w->fdb = fdb_new(W_MAX_LEARNED, W_MAX_STATIC);
	if (!w->fdb)
		return -ENOMEM;
	CHECK(fdb_set_damping(w->fdb, s4 & 3, W_MOVE_WINDOW_MS, W_MOVE_HOLD_MS) == 0);
	/* 5 of 6 learned, 1 of 2 static. */
	m = fz_mac(1);
	CHECK(fdb_learn_local(w->fdb, FZ_VNI_A, &m, 0, w->now, NULL) == FDB_LEARN_NEW);
	m = fz_mac(0x0a);
	CHECK(fdb_learn_local(w->fdb, FZ_VNI_A, &m, 1, w->now, NULL) == FDB_LEARN_NEW);
	m = fz_mac(2);
	CHECK(fdb_learn_remote(w->fdb, FZ_VNI_A, &m, &w->peers[0], w->now, NULL) ==
	      FDB_LEARN_NEW);
	CHECK(fdb_learn_remote(w->fdb, FZ_VNI_B, &m, &w->peers[1], w->now, NULL) ==
	      FDB_LEARN_NEW);
	m = fz_mac(5);
	CHECK(fdb_learn_local(w->fdb, FZ_VNI_B, &m, 2, w->now - 400000, NULL) == FDB_LEARN_NEW);
	m = fz_mac(3);
	CHECK(fdb_add_static(w->fdb, FZ_VNI_A, &m, &w->peers[1], w->now) == 0);

	if (s0 & 0x80)
		return 0;
	w->arpc = arpc_new(W_ARP_MAX, W_ARP_STATIC);
	if (!w->arpc)
		return -ENOMEM;
	/* 3 of 4 snooped, 1 of 2 static; fd00:7::2 with its router status known. */
	m = fz_mac(2);
	ip = fz_ip4(2);
	CHECK(arpc_snoop(w->arpc, FZ_VNI_A, &ip, &m, w->now, NULL) == ARPC_SNOOP_NEW);
	ip = fz_ip6(2);
	CHECK(arpc_snoop(w->arpc, FZ_VNI_A, &ip, &m, w->now, NULL) == ARPC_SNOOP_NEW);
	CHECK(arpc_set_router(w->arpc, FZ_VNI_A, &ip, &m, s2 & 0x80) == 0);
	m = fz_mac(5);
	ip = fz_ip4(5);
	CHECK(arpc_snoop(w->arpc, FZ_VNI_B, &ip, &m, w->now - 400000, NULL) == ARPC_SNOOP_NEW);
	m = fz_mac(3);
	ip = fz_ip4(3);
	CHECK(arpc_add_static(w->arpc, FZ_VNI_A, &ip, &m, w->now) == 0);
	ip = fz_ip6(3);
	CHECK(arpc_set_router(w->arpc, FZ_VNI_A, &ip, &m, false) == -ENOENT);
	return 0;
}

/*
 * One record header byte: bits 0-2 pick a source (tap or underlay
 * address), bits 3-5 advance the clock by that many minutes, bit 6 runs
 * the ageing pass (as the daemon does once a second) before the frame,
 * bit 7 fixes an ICMPv6 checksum in the frame (world_frame).
 * Returns the selector.
 */
static inline unsigned int world_tick(struct world *w, uint8_t h)
{
	w->now += (uint64_t)((h >> 3) & 7) * 60000;
	if (h & 0x40) {
		(void)fdb_expire(w->fdb, w->now, W_AGEING_MS, NULL, NULL);
		if (w->arpc)
			(void)arpc_expire(w->arpc, w->now, W_AGEING_MS, NULL, NULL);
	}
	return h & 7;
}

/*
 * The frame of one record in its own exact-size heap block; with bit 7 of
 * the record header, an ICMPv6 checksum behind an untagged or tagged
 * Ethernet header is made right first (fz_fix_icmp6). Free with free().
 */
static inline uint8_t *world_frame(uint8_t h, const uint8_t *p, size_t n)
{
	uint8_t *f = fz_dup(p, n);
	struct eth_view eth;

	if (f && (h & 0x80) && eth_parse(f, n, &eth) == VTEP_DROP_NONE &&
	    eth.ethertype == ETH_TYPE_IPV6)
		fz_fix_icmp6(f + eth.l3_off, n - eth.l3_off);
	return f;
}

/* Invariants of the tables after any frame: caps hold (they are never
 * lowered here), per-type counts add up. */
static inline void world_check_tables(const struct world *w)
{
	size_t learned = fdb_count(w->fdb, FDB_LOCAL) + fdb_count(w->fdb, FDB_REMOTE);

	CHECK(learned <= W_MAX_LEARNED);
	CHECK(fdb_count(w->fdb, FDB_STATIC) <= W_MAX_STATIC);
	CHECK(learned + fdb_count(w->fdb, FDB_STATIC) == fdb_count(w->fdb, FDB_TYPE_MAX));
	if (w->arpc) {
		CHECK(arpc_count(w->arpc, ARPC_SNOOPED) <= W_ARP_MAX);
		CHECK(arpc_count(w->arpc, ARPC_STATIC) <= W_ARP_STATIC);
		CHECK(arpc_count(w->arpc, ARPC_SNOOPED) + arpc_count(w->arpc, ARPC_STATIC) ==
		      arpc_count(w->arpc, ARPC_TYPE_MAX));
	}
}

/* Invariants of any decision, from either side. */
static inline void world_check_decision(const struct world *w, const struct fwd_vni *v,
					const struct fwd_decision *d)
{
	int kinds;

	CHECK((unsigned int)d->drop < VTEP_DROP_MAX);
	CHECK((unsigned int)d->learn < FDB_LEARN_MAX);
	CHECK((unsigned int)d->snoop < ARPC_SNOOP_MAX);
	if (!w->arpc)
		CHECK(d->snoop == ARPC_SNOOP_NONE);
	if (!v->learning)
		CHECK(d->learn == FDB_LEARN_NONE);
	if (d->learn == FDB_LEARN_NEW || d->learn == FDB_LEARN_REFRESHED ||
	    d->learn == FDB_LEARN_MOVED || d->learn == FDB_LEARN_FROZE) {
		const struct fdb_entry *e = fdb_lookup(w->fdb, v->vni, &d->eth.src);

		CHECK(e && e->type != FDB_STATIC && fdb_seen_ms(e) == w->now);
		CHECK(fdb_frozen(w->fdb, e, w->now) == (d->learn == FDB_LEARN_FROZE) ||
		      d->learn == FDB_LEARN_REFRESHED);
	}
	/* A frame from a frozen MAC's other location goes nowhere. */
	CHECK((d->learn == FDB_LEARN_FROZEN) == (d->drop == VTEP_DROP_MOVE_FROZEN));
	if (d->learn == FDB_LEARN_FROZEN) {
		const struct fdb_entry *e = fdb_lookup(w->fdb, v->vni, &d->eth.src);

		CHECK(e && fdb_frozen(w->fdb, e, w->now));
	}
	if (d->snoop == ARPC_SNOOP_NEW || d->snoop == ARPC_SNOOP_MOVED ||
	    d->snoop == ARPC_SNOOP_REFRESHED) {
		const struct arpc_entry *e = arpc_lookup(w->arpc, v->vni, &d->snoop_ip);

		CHECK(e && e->type == ARPC_SNOOPED && vtep_mac_eq(&e->mac, &d->snoop_mac));
		CHECK(vtep_mac_is_valid_unicast(&d->snoop_mac));
	}
	if (d->drop != VTEP_DROP_NONE) {
		CHECK(d->out_tap == -1 && !d->to_remote && !d->flood_taps &&
		      !d->flood_underlay && d->reply_len == 0);
		return;
	}
	CHECK(vtep_mac_is_valid_unicast(&d->eth.src));
	kinds = (d->out_tap >= 0) + d->to_remote + d->flood_taps + (d->reply_len > 0);
	CHECK(kinds == 1);
	CHECK(d->flood_underlay <= d->flood_taps);
	CHECK(d->is_bum == d->flood_taps);
	CHECK(d->reply_len <= FWD_REPLY_MAX);
	CHECK((d->reply_len > 0) == (d->arp_suppressed || d->nd_suppressed));
	CHECK(!(d->arp_suppressed && d->nd_suppressed));
	if (d->out_tap >= 0) {
		const struct fdb_entry *e = fdb_lookup(w->fdb, v->vni, &d->eth.dst);

		CHECK(d->out_tap < W_NTAPS);
		CHECK(e && e->type == FDB_LOCAL && e->tap == d->out_tap);
	}
	if (d->to_remote) {
		const struct fdb_entry *e = fdb_lookup(w->fdb, v->vni, &d->eth.dst);

		CHECK(vtep_addr_is_unicast(&d->remote));
		CHECK(e && e->type != FDB_LOCAL && vtep_addr_eq(&e->remote, &d->remote));
	}
}

#endif /* VTEP_TESTS_FUZZ_WORLD_H */
