/* SPDX-License-Identifier: MIT */
/*
 * proto/fwd - the forwarding decision for frames from a tap and from the
 * underlay (DESIGN.md 2 and 7). See fwd.h for the rules and their order.
 */
#include "fwd.h"

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

void fwd_from_tap(struct fdb *fdb, const struct fwd_vni *v, uint16_t in_tap,
		  const uint8_t *frame, size_t len, uint64_t now, struct fwd_decision *ret)
{
	const struct fdb_entry *dst;

	decision_init(ret);
	if (!parse_frame(frame, len, ret))
		return;
	if (v->learning)
		ret->learn = fdb_learn_local(fdb, v->vni, &ret->eth.src, in_tap, now, &ret->old);
	if (too_big(v, &ret->eth, len)) {
		ret->drop = VTEP_DROP_TOO_BIG;
		return;
	}
	dst = vtep_mac_is_multicast(&ret->eth.dst) ? NULL :
	      fdb_lookup(fdb, v->vni, &ret->eth.dst);
	if (!dst)
		flood(ret, in_tap, v->flood != VTEP_FLOOD_LOCAL);
	else if (dst->type != FDB_LOCAL) {
		ret->to_remote = true;
		ret->remote = dst->remote;
	} else if (dst->tap == in_tap)
		ret->drop = VTEP_DROP_NO_DEST;
	else
		ret->out_tap = dst->tap;
}

void fwd_from_underlay(struct fdb *fdb, const struct fwd_vni *v,
		       const struct vtep_addr *outer_src, const uint8_t *frame, size_t len,
		       uint64_t now, struct fwd_decision *ret)
{
	const struct fdb_entry *e;

	decision_init(ret);
	ret->drop = fwd_check_source(v, outer_src);
	if (ret->drop != VTEP_DROP_NONE || !parse_frame(frame, len, ret))
		return;
	e = fdb_lookup(fdb, v->vni, &ret->eth.src);
	if (e && e->type == FDB_LOCAL) {
		ret->drop = VTEP_DROP_LOOP;
		return;
	}
	if (v->learning)
		ret->learn = fdb_learn_remote(fdb, v->vni, &ret->eth.src, outer_src, now,
					      &ret->old);
	if (too_big(v, &ret->eth, len)) {
		ret->drop = VTEP_DROP_TOO_BIG;
		return;
	}
	/* Split horizon: nothing decapsulated goes back to the underlay. */
	e = vtep_mac_is_multicast(&ret->eth.dst) ? NULL : fdb_lookup(fdb, v->vni, &ret->eth.dst);
	if (!e)
		flood(ret, -1, false);
	else if (e->type == FDB_LOCAL)
		ret->out_tap = e->tap;
	else
		ret->drop = VTEP_DROP_NO_DEST;
}
