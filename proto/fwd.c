/* SPDX-License-Identifier: MIT */
/*
 * proto/fwd - the forwarding decision for frames from a tap and from the
 * underlay (DESIGN.md 2 and 7). See fwd.h for the rules and their order.
 */
#include "fwd.h"
#include "arp.h"
#include "nd.h"

_Static_assert(ARP_REPLY_LEN <= FWD_REPLY_MAX, "ARP reply fits the decision");
_Static_assert(ND_NA_LEN <= FWD_REPLY_MAX, "NA fits the decision");

static void decision_init(struct fwd_decision *d)
{
	d->drop = VTEP_DROP_NONE;
	d->out_tap = -1;
	d->to_remote = false;
	memset(&d->remote, 0, sizeof(d->remote));
	d->flood_taps = false;
	d->exclude_tap = -1;
	d->flood_underlay = false;
	d->is_bum = false;
	d->learn = FDB_LEARN_NONE;
	memset(&d->old, 0, sizeof(d->old));
	memset(&d->eth, 0, sizeof(d->eth));
	d->snoop = ARPC_SNOOP_NONE;
	memset(&d->snoop_ip, 0, sizeof(d->snoop_ip));
	memset(&d->snoop_mac, 0, sizeof(d->snoop_mac));
	memset(&d->snoop_old_mac, 0, sizeof(d->snoop_old_mac));
	d->arp_suppressed = false;
	d->nd_suppressed = false;
	d->reply_len = 0;
}

enum vtep_drop fwd_check_source(const struct fwd_vni *v, const struct vtep_addr *outer_src)
{
	if (!vtep_addr_is_unicast(outer_src))
		return VTEP_DROP_NOT_ALLOWED;
	if (v->allow_any)
		return VTEP_DROP_NONE;
	if (v->n_allow > 0) {
		for (size_t i = 0; i < v->n_allow; i++)
			if (vtep_prefix_contains(&v->allow[i], outer_src))
				return VTEP_DROP_NONE;
		return VTEP_DROP_NOT_ALLOWED;
	}
	for (size_t i = 0; i < v->n_peers; i++)
		if (vtep_addr_eq(&v->peers[i], outer_src))
			return VTEP_DROP_NONE;
	return VTEP_DROP_NOT_ALLOWED;
}

/* Longer than the tap MTU allows; mtu 0 means "not set": no check. */
static bool too_big(const struct fwd_vni *v, const struct eth_view *eth, size_t len)
{
	if (v->mtu == 0)
		return false;
	return len > (size_t)ETH_HLEN + (size_t)ETH_VLAN_HLEN * eth->n_vlan + v->mtu;
}

/* Parse and check the source MAC; false (with ret->drop set) to stop. */
static bool parse_frame(const uint8_t *frame, size_t len, struct fwd_decision *ret)
{
	if (eth_parse(frame, len, &ret->eth) != VTEP_DROP_NONE) {
		ret->drop = VTEP_DROP_MALFORMED;
		return false;
	}
	if (!vtep_mac_is_valid_unicast(&ret->eth.src)) {
		ret->drop = VTEP_DROP_BAD_SRC_MAC;
		return false;
	}
	return true;
}

static void flood(struct fwd_decision *ret, int exclude_tap, bool underlay)
{
	ret->is_bum = true;
	ret->flood_taps = true;
	ret->exclude_tap = exclude_tap;
	ret->flood_underlay = underlay;
}

/* ------------------------------------------------------------------ */
/* ARP/ND snooping and suppression.                                    */

static struct vtep_addr addr_v6(const struct in6_addr *a)
{
	struct vtep_addr r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.v6 = *a;
	return r;
}

static void snoop(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip,
		  const struct vtep_mac *mac, uint64_t now, struct fwd_decision *ret)
{
	ret->snoop_ip = *ip;
	ret->snoop_mac = *mac;
	ret->snoop = arpc_snoop(arpc, vni, ip, mac, now, &ret->snoop_old_mac);
}

/* An ARP frame: snoop the sender of a request or reply (gratuitous ones
 * included; not a probe, whose sender owns no address yet). false when the
 * frame is not Ethernet/IPv4 ARP. */
static bool snoop_arp(struct arpc *arpc, uint32_t vni, const uint8_t *frame, size_t len,
		      uint64_t now, struct fwd_decision *ret, struct arp_view *ret_arp)
{
	const struct eth_view *eth = &ret->eth;
	struct vtep_addr ip;
	struct arp_view a;

	if (eth->ethertype != ETH_TYPE_ARP ||
	    arp_parse(frame + eth->l3_off, len - eth->l3_off, &a) != VTEP_DROP_NONE)
		return false;
	if ((a.op == ARP_OP_REQUEST || a.op == ARP_OP_REPLY) && !arp_is_probe(&a)) {
		ip = vtep_addr_v4(a.spa);
		snoop(arpc, vni, &ip, &a.sha, now, ret);
	}
	*ret_arp = a;
	return true;
}

/* An NA teaches target -> target link-layer address, and its Router flag.
 * With O=0 (a proxy or an anycast answer) it never replaces another MAC
 * (RFC 4861 7.2.5). */
static void snoop_na(struct arpc *arpc, uint32_t vni, const struct nd_view *n, uint64_t now,
		     struct fwd_decision *ret)
{
	struct vtep_addr ip = addr_v6(&n->target);
	const struct arpc_entry *e = arpc_lookup(arpc, vni, &ip);

	if (!n->override && e && !vtep_mac_eq(&e->mac, &n->tlla))
		return;
	snoop(arpc, vni, &ip, &n->tlla, now, ret);
	(void)arpc_set_router(arpc, vni, &ip, &n->tlla, n->router);
}

/* An NS or NA: an NS teaches source -> source link-layer address (DAD,
 * from ::, carries none by RFC 4861 7.1.1: nothing learned); an NA
 * without a target link-layer option teaches nothing. false when the frame
 * is not a valid NS/NA. */
static bool snoop_nd(struct arpc *arpc, uint32_t vni, const uint8_t *frame, size_t len,
		     uint64_t now, struct fwd_decision *ret, struct nd_view *ret_nd)
{
	const struct eth_view *eth = &ret->eth;
	struct vtep_addr ip;
	struct nd_view n;

	if (eth->ethertype != ETH_TYPE_IPV6 ||
	    nd_parse(frame + eth->l3_off, len - eth->l3_off, &n) != VTEP_DROP_NONE)
		return false;
	if (n.type == ND_TYPE_NS && n.has_slla) {
		ip = addr_v6(&n.src);
		snoop(arpc, vni, &ip, &n.slla, now, ret);
	} else if (n.type == ND_TYPE_NA && n.has_tlla) {
		snoop_na(arpc, vni, &n, now, ret);
	}
	*ret_nd = n;
	return true;
}

/* The cached owner e may be announced to the requester (eth_src, and the
 * MAC the request names, hw) behind in_tap: both unicast, neither the
 * owner, and the owner not behind in_tap itself. */
static bool may_answer(const struct fdb *fdb, uint32_t vni, const struct arpc_entry *e,
		       uint16_t in_tap, const struct vtep_mac *eth_src, const struct vtep_mac *hw)
{
	struct fdb_entry f;

	if (!vtep_mac_is_valid_unicast(hw) || vtep_mac_eq(&e->mac, hw) ||
	    vtep_mac_eq(&e->mac, eth_src))
		return false;
	return !(fdb_get(fdb, vni, &e->mac, &f) && f.type == FDB_LOCAL && f.tap == in_tap);
}

static bool answer_arp(struct fdb *fdb, struct arpc *arpc, const struct fwd_vni *v,
		       uint16_t in_tap, const struct arp_view *a, struct fwd_decision *ret)
{
	const struct arpc_entry *e;
	struct vtep_addr ip;

	if (a->op != ARP_OP_REQUEST || !vtep_mac_is_broadcast(&ret->eth.dst) ||
	    arp_is_probe(a) || arp_is_gratuitous(a))
		return false;
	ip = vtep_addr_v4(a->tpa);
	e = arpc_lookup(arpc, v->vni, &ip);
	if (!e || !may_answer(fdb, v->vni, e, in_tap, &ret->eth.src, &a->sha))
		return false;
	ret->reply_len = (uint16_t)arp_build_reply(ret->reply, sizeof(ret->reply), a, &e->mac);
	ret->arp_suppressed = ret->reply_len > 0;
	return ret->arp_suppressed;
}

static bool answer_nd(struct fdb *fdb, struct arpc *arpc, const struct fwd_vni *v,
		      uint16_t in_tap, const struct nd_view *n, struct fwd_decision *ret)
{
	const struct arpc_entry *e;
	struct in6_addr sn;
	struct vtep_addr ip;

	/* Not DAD (from ::), which parsing already left without an SLLA. */
	if (n->type != ND_TYPE_NS || !n->has_slla || !vtep_mac_is_multicast(&ret->eth.dst))
		return false;
	nd_solicited_node(&n->target, &sn);
	if (memcmp(&sn, &n->dst, sizeof(sn)) != 0)
		return false;
	ip = addr_v6(&n->target);
	e = arpc_lookup(arpc, v->vni, &ip);
	if (!e || !(e->flags & ARPC_F_ROUTER_KNOWN) ||
	    !may_answer(fdb, v->vni, e, in_tap, &ret->eth.src, &n->slla))
		return false;
	ret->reply_len = (uint16_t)nd_build_na(ret->reply, sizeof(ret->reply), n, &e->mac,
					       (e->flags & ARPC_F_ROUTER) != 0);
	ret->nd_suppressed = ret->reply_len > 0;
	return ret->nd_suppressed;
}

/* ARP, or IPv6 carrying ICMPv6 (what may be ND): the frames that touch the
 * ARP/ND cache, under its lock. Everything else passes without it. */
static bool may_be_neigh(const struct eth_view *eth, const uint8_t *frame, size_t len)
{
	if (eth->n_vlan)
		return false;
	if (eth->ethertype == ETH_TYPE_ARP)
		return true;
	return eth->ethertype == ETH_TYPE_IPV6 && len > eth->l3_off + 6 &&
	       frame[eth->l3_off + 6] == IP_PROTO_ICMPV6;
}

/* Snoop ARP/ND from a tap and answer it if we may; true: answered. */
static bool tap_neigh(struct fdb *fdb, struct arpc *arpc, const struct fwd_vni *v,
		      uint16_t in_tap, const uint8_t *frame, size_t len, uint64_t now,
		      struct fwd_decision *ret)
{
	struct arp_view a;
	struct nd_view n;
	bool answered = false;

	if (!arpc || !may_be_neigh(&ret->eth, frame, len))
		return false;
	arpc_lock(arpc);
	if (snoop_arp(arpc, v->vni, frame, len, now, ret, &a))
		answered = v->arp_suppress && answer_arp(fdb, arpc, v, in_tap, &a, ret);
	else if (snoop_nd(arpc, v->vni, frame, len, now, ret, &n))
		answered = v->arp_suppress && answer_nd(fdb, arpc, v, in_tap, &n, ret);
	arpc_unlock(arpc);
	return answered;
}

/* Snoop ARP/ND from the underlay (never answered). */
static void underlay_neigh(struct arpc *arpc, const struct fwd_vni *v, const uint8_t *frame,
			   size_t len, uint64_t now, struct fwd_decision *ret)
{
	struct arp_view a;
	struct nd_view n;

	if (!arpc || !may_be_neigh(&ret->eth, frame, len))
		return;
	arpc_lock(arpc);
	if (!snoop_arp(arpc, v->vni, frame, len, now, ret, &a))
		(void)snoop_nd(arpc, v->vni, frame, len, now, ret, &n);
	arpc_unlock(arpc);
}

/* ------------------------------------------------------------------ */
/* The decisions.                                                      */

void fwd_from_tap(struct fdb *fdb, struct arpc *arpc, const struct fwd_vni *v, uint16_t in_tap,
		  const uint8_t *frame, size_t len, uint64_t now, struct fwd_decision *ret)
{
	struct fdb_entry dst;
	bool known;

	decision_init(ret);
	if (!parse_frame(frame, len, ret))
		return;
	if (v->learning)
		ret->learn = fdb_learn_local(fdb, v->vni, &ret->eth.src, in_tap, now, &ret->old);
	if (ret->learn == FDB_LEARN_FROZEN) {
		ret->drop = VTEP_DROP_MOVE_FROZEN;
		return;
	}
	if (too_big(v, &ret->eth, len)) {
		ret->drop = VTEP_DROP_TOO_BIG;
		return;
	}
	if (tap_neigh(fdb, arpc, v, in_tap, frame, len, now, ret))
		return;
	known = !vtep_mac_is_multicast(&ret->eth.dst) &&
		fdb_get(fdb, v->vni, &ret->eth.dst, &dst);
	if (!known)
		flood(ret, in_tap, v->flood != VTEP_FLOOD_LOCAL);
	else if (dst.type != FDB_LOCAL) {
		ret->to_remote = true;
		ret->remote = dst.remote;
	} else if (dst.tap == in_tap)
		ret->drop = VTEP_DROP_NO_DEST;
	else
		ret->out_tap = dst.tap;
}

void fwd_from_underlay(struct fdb *fdb, struct arpc *arpc, const struct fwd_vni *v,
		       const struct vtep_addr *outer_src, const uint8_t *frame, size_t len,
		       uint64_t now, struct fwd_decision *ret)
{
	struct fdb_entry e;

	decision_init(ret);
	ret->drop = fwd_check_source(v, outer_src);
	if (ret->drop != VTEP_DROP_NONE || !parse_frame(frame, len, ret))
		return;
	if (fdb_get(fdb, v->vni, &ret->eth.src, &e) && e.type == FDB_LOCAL) {
		ret->drop = VTEP_DROP_LOOP;
		return;
	}
	if (v->learning)
		ret->learn = fdb_learn_remote(fdb, v->vni, &ret->eth.src, outer_src, now,
					      &ret->old);
	if (ret->learn == FDB_LEARN_FROZEN) {
		ret->drop = VTEP_DROP_MOVE_FROZEN;
		return;
	}
	if (too_big(v, &ret->eth, len)) {
		ret->drop = VTEP_DROP_TOO_BIG;
		return;
	}
	underlay_neigh(arpc, v, frame, len, now, ret);
	/* Split horizon: nothing decapsulated goes back to the underlay. */
	if (vtep_mac_is_multicast(&ret->eth.dst) || !fdb_get(fdb, v->vni, &ret->eth.dst, &e))
		flood(ret, -1, false);
	else if (e.type == FDB_LOCAL)
		ret->out_tap = e.tap;
	else
		ret->drop = VTEP_DROP_NO_DEST;
}

void fwd_limit_bum(const struct fwd_vni *v, struct rate_bucket *bucket, uint64_t now,
		   struct fwd_decision *d)
{
	if (!v->bum_rate || d->drop != VTEP_DROP_NONE || !d->is_bum || d->reply_len)
		return;
	if (rate_take(bucket, v->bum_rate, now))
		return;
	d->drop = VTEP_DROP_BUM_RATE;
	d->is_bum = false;
	d->flood_taps = false;
	d->flood_underlay = false;
	d->exclude_tap = -1;
}
