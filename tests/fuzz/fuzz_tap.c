/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tap - the tap receive path: fwd_from_tap (Ethernet parse, local
 * learning, ARP/ND snooping and suppression, forwarding decision) against
 * a populated FDB and ARP/ND cache. Every suppression reply must parse
 * back (eth_parse + arp_parse or nd_parse) as the answer to the request.
 *
 * Input: 5 settings bytes (world.h), then records of [header byte][length,
 * 2 bytes big endian][frame]; header bits 0-2 pick the input tap (mod 3).
 */
#include "world.h"

/* A reply must be what the owner itself would have sent to the requester. */
static void check_reply(const struct world *w, const struct fwd_vni *v,
			const struct fwd_decision *d)
{
	const struct arpc_entry *e;
	struct eth_view eth;
	struct arp_view a;
	struct nd_view n;
	struct vtep_addr ip;

	CHECK(eth_parse(d->reply, d->reply_len, &eth) == VTEP_DROP_NONE);
	CHECK(eth.n_vlan == 0);
	/* To the requester's link-layer address (ARP sha, NS option), unicast. */
	CHECK(vtep_mac_is_valid_unicast(&eth.dst));
	if (d->arp_suppressed) {
		CHECK(d->reply_len == ARP_REPLY_LEN && eth.ethertype == ETH_TYPE_ARP);
		CHECK(arp_parse(d->reply + eth.l3_off, d->reply_len - eth.l3_off, &a) ==
		      VTEP_DROP_NONE);
		CHECK(a.op == ARP_OP_REPLY);
		CHECK(vtep_mac_eq(&a.sha, &eth.src) && vtep_mac_eq(&a.tha, &eth.dst));
		ip = vtep_addr_v4(a.spa);
	} else {
		CHECK(d->nd_suppressed);
		CHECK(d->reply_len == ND_NA_LEN && eth.ethertype == ETH_TYPE_IPV6);
		CHECK(nd_parse(d->reply + eth.l3_off, d->reply_len - eth.l3_off, &n) ==
		      VTEP_DROP_NONE);
		CHECK(n.type == ND_TYPE_NA && n.solicited && n.override && n.has_tlla);
		CHECK(vtep_mac_eq(&n.tlla, &eth.src));
		memset(&ip, 0, sizeof(ip));
		ip.family = AF_INET6;
		ip.v6 = n.target;
	}
	/* Answered from the cache: the owner there is the reply's source. */
	CHECK(w->arpc);
	e = arpc_lookup(w->arpc, v->vni, &ip);
	CHECK(e && vtep_mac_eq(&e->mac, &eth.src));
	CHECK(!vtep_mac_eq(&e->mac, &d->eth.src));
	CHECK(v->arp_suppress);
}

static void one_frame(struct world *w, unsigned int sel, const uint8_t *p, size_t n)
{
	uint16_t tap = (uint16_t)(sel % W_NTAPS);
	const struct fwd_vni *v = tap == 2 ? &w->vb : &w->va;
	struct fwd_decision d;

	fwd_from_tap(w->fdb, w->arpc, v, tap, p, n, w->now, &d);
	/* The daemon applies the per-tap BUM limit to what fwd decided. */
	fwd_limit_bum(v, &w->bum[tap], w->now, &d);
	world_check_decision(w, v, &d);
	if (d.drop == VTEP_DROP_BUM_RATE)
		CHECK(v->bum_rate > 0 && !d.is_bum);
	if (d.drop == VTEP_DROP_NONE) {
		CHECK(d.out_tap != tap);
		if (d.flood_taps) {
			CHECK(d.exclude_tap == tap);
			CHECK(d.flood_underlay == (v->flood != VTEP_FLOOD_LOCAL));
		}
		if (d.reply_len > 0)
			check_reply(w, v, &d);
		if (d.learn == FDB_LEARN_NEW || d.learn == FDB_LEARN_MOVED ||
		    d.learn == FDB_LEARN_FROZE) {
			const struct fdb_entry *e = fdb_lookup(w->fdb, v->vni, &d.eth.src);

			CHECK(e->type == FDB_LOCAL && e->tap == tap);
		}
	}
	world_check_tables(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct world w;

	if (world_init(&w, &in) < 0) {
		world_free(&w);
		return 0;
	}
	while (fz_left(&in) > 0) {
		uint8_t h = fz_u8(&in);
		unsigned int sel = world_tick(&w, h);
		size_t want = fz_u16(&in);
		size_t n;
		const uint8_t *p = fz_take(&in, want, &n);
		uint8_t *frame = world_frame(h, p, n);

		if (!frame)
			break;
		one_frame(&w, sel, frame, n);
		free(frame);
	}
	world_free(&w);
	return 0;
}
