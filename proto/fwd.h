/* SPDX-License-Identifier: MIT */
/*
 * proto/fwd - the forwarding decision (DESIGN.md 2) as pure functions: given
 * a frame, where it came from, the VNI's settings and the FDB, learn the
 * source and say what to do with the frame. The caller (vtep.c/io) carries
 * the decision out and bumps the counters; fwd never sends, logs or counts.
 *
 * Rules (DESIGN.md 7): never learn from a multicast/broadcast/zero source
 * MAC; never send a frame back out of the tap it came from; never send a
 * decapsulated frame back to the underlay (split horizon); oversize frames
 * are dropped, never fragmented; an inner source MAC that is one of our own
 * local MACs arriving from the underlay is a loop.
 *
 * ARP/ND suppression (DESIGN.md 2), with a cache (proto/arpc) passed in:
 * the sender of every untagged ARP request/reply (gratuitous included,
 * probes from 0.0.0.0 not) and NS/NA (DAD from :: not; an NA only with a
 * target link-layer option, and with O=0 never replacing another MAC, RFC
 * 4861 7.2.5) is snooped, from taps and from the underlay,
 * whether or not suppression is on (so turning it on at reload finds a warm
 * cache). On a tap, with arp_suppress, a broadcast ARP request or a
 * solicited-node multicast NS for an address in the cache is answered on
 * that tap and goes nowhere else; everything else is forwarded as usual.
 * VLAN-tagged ARP/ND is neither snooped nor answered: the cache key has no
 * VLAN, and one tagged segment's address must not answer for another's.
 */
#ifndef VTEP_PROTO_FWD_H
#define VTEP_PROTO_FWD_H

#include "../vtep.h"
#include "eth.h"
#include "arpc.h"
#include "fdb.h"
#include "rate.h"

/*
 * One VNI as the daemon runs it. All pointers are borrowed for the call.
 * flood is the effective mode: VTEP_FLOOD_MULTICAST (BUM to the group),
 * VTEP_FLOOD_UNICAST (head-end replication to every peer) or
 * VTEP_FLOOD_LOCAL (no underlay flooding); the daemon resolves "auto".
 * mtu is the tap MTU (largest L3 payload; 0 = no check): a frame is too big when longer
 * than ETH_HLEN + 4 per VLAN tag + mtu.
 * Underlay sources accepted (fwd_check_source): anything when allow_any
 * (the default for a VNI with a group); else those inside one of the allow
 * prefixes when n_allow > 0; else exactly the peers.
 * arp_suppress: answer ARP requests and NS from the cache (fwd_from_tap).
 * bum_rate: per-tap BUM limit in packets/s, 0 = none (fwd_limit_bum).
 */
struct fwd_vni {
	uint32_t vni;
	enum vtep_flood flood;
	bool learning;
	bool ignore_reserved;           /* reserved_bits = "ignore" (for vxlan_parse) */
	uint16_t mtu;
	bool allow_any;
	const struct vtep_prefix *allow;
	size_t n_allow;
	const struct vtep_addr *peers;
	size_t n_peers;
	bool arp_suppress;
	uint32_t bum_rate;
};

/* Room for a locally generated reply (ARP_REPLY_LEN, ND_NA_LEN). */
#define FWD_REPLY_MAX 128

/*
 * What to do with one frame. drop != VTEP_DROP_NONE: count drops[drop], do
 * nothing else. Otherwise exactly one of:
 *   out_tap >= 0      write the frame to that tap (known local unicast);
 *   to_remote         encapsulate and send to `remote` (known remote unicast);
 *   flood_taps and/or flood_underlay (is_bum): write to every tap of the VNI
 *                     except exclude_tap (-1: none), and, with
 *                     flood_underlay, send to the group (MULTICAST) or to
 *                     every peer (UNICAST); count "flooded";
 *   reply_len > 0     write reply[0..reply_len) to the input tap, and
 *                     nothing else (fwd_from_tap only): an ARP reply when
 *                     arp_suppressed (count "arp_suppressed"), an NA when
 *                     nd_suppressed (count "nd_suppressed").
 * learn/old report what learning the source MAC did, whatever the verdict
 * (NEW: count "learned"; MOVED: count "moved" and log mac, old and new
 * location; FROZE: count "moved" and log once that the MAC is now frozen at
 * the new location; FROZEN comes with drop = MOVE_FROZEN; FULL: count
 * drops[VTEP_DROP_FDB_FULL] while the frame itself is still forwarded).
 * eth is the parsed inner header, valid unless drop is MALFORMED or
 * NOT_ALLOWED (VLAN, ethertype for ARP snooping, flow hash).
 * snoop/snoop_ip/snoop_mac/snoop_old_mac report what snooping ARP/ND into
 * the cache did (ARPC_SNOOP_NONE: nothing to snoop, or no cache): MOVED:
 * count an ARP move and log, rate-limited, snoop_ip moving from
 * snoop_old_mac to snoop_mac; STATIC: a static entry holds snoop_ip, left
 * untouched (snoop_old_mac is its MAC; different from snoop_mac means a
 * forged announcement); FULL: count drops[VTEP_DROP_ARP_FULL] while the
 * frame itself is still forwarded.
 */
struct fwd_decision {
	enum vtep_drop drop;
	int out_tap;
	bool to_remote;
	struct vtep_addr remote;
	bool flood_taps;
	int exclude_tap;
	bool flood_underlay;
	bool is_bum;                    /* broadcast, multicast or unknown unicast */
	enum fdb_learn learn;
	struct fdb_loc old;             /* learn == FDB_LEARN_MOVED */
	struct eth_view eth;
	enum arpc_snoop snoop;
	struct vtep_addr snoop_ip;      /* snoop != NONE */
	struct vtep_mac snoop_mac;      /* snoop != NONE: the MAC announced */
	struct vtep_mac snoop_old_mac;  /* snoop MOVED or STATIC: the MAC cached */
	bool arp_suppressed;
	bool nd_suppressed;
	uint16_t reply_len;
	uint8_t reply[FWD_REPLY_MAX];
};

/* VTEP_DROP_NONE when outer_src may send to this VNI (rules above; a
 * non-unicast source never may), else VTEP_DROP_NOT_ALLOWED. */
enum vtep_drop fwd_check_source(const struct fwd_vni *v, const struct vtep_addr *outer_src);

/*
 * A frame read from our tap in_tap (Ethernet header first, no virtio-net
 * header). arpc may be NULL (no snooping, no suppression). Order: parse
 * (MALFORMED); source MAC multicast/zero (BAD_SRC_MAC); learn the source
 * as local on in_tap if v->learning (frozen elsewhere by move damping:
 * MOVE_FROZEN); longer than the MTU allows (TOO_BIG);
 * snoop ARP/ND into arpc; with v->arp_suppress, answer (reply_len > 0)
 * when all of these hold:
 *   ARP: an untagged request to the broadcast MAC, not a probe (sender IP
 *        0.0.0.0, RFC 5227) and not gratuitous; NS: an untagged one to a
 *        multicast MAC and to the target's solicited-node address, from a
 *        unicast source with a source link-layer option (not DAD);
 *   the target is in the cache for v->vni (for an NS, with its router
 *        status known: ARPC_F_ROUTER_KNOWN);
 *   the requester's MAC (Ethernet source and ARP sha / NS option) is
 *        unicast and is not the cached owner, and the owner is not behind
 *        in_tap itself in the FDB (it hears the request anyway).
 * Otherwise (miss, unicast request, gratuitous, probe, DAD, suppression
 * off) by destination:
 *   multicast/broadcast or unknown  -> flood: other taps, plus the underlay
 *                                      unless the mode is LOCAL;
 *   local on another tap            -> out_tap;
 *   local on in_tap                 -> drop NO_DEST (never hairpin);
 *   remote or static                -> to_remote.
 * Datapath-safe.
 */
void fwd_from_tap(struct fdb *fdb, struct arpc *arpc, const struct fwd_vni *v, uint16_t in_tap,
		  const uint8_t *frame, size_t len, uint64_t now, struct fwd_decision *ret);

/*
 * An inner frame received from the underlay at outer_src, after the caller
 * ran vxlan_parse and found v for the VNI. Order: fwd_check_source
 * (NOT_ALLOWED); parse (MALFORMED); source MAC multicast/zero (BAD_SRC_MAC);
 * source MAC is local in our FDB (LOOP: our own frame came back, e.g. by
 * multicast loopback); learn the source as remote at outer_src if
 * v->learning (a static entry is left alone; frozen elsewhere by move
 * damping: MOVE_FROZEN); TOO_BIG; snoop ARP/ND into
 * arpc unless it is NULL (never answered: replies come from the VTEP next
 * to the requester); then by destination:
 *   multicast/broadcast or unknown  -> flood to local taps only (split
 *                                      horizon: never the underlay);
 *   local                           -> out_tap;
 *   remote or static                -> drop NO_DEST: the sender believes the
 *                                      MAC is here, we believe it is behind
 *                                      another VTEP; as a Linux bridge does
 *                                      for a frame whose destination is on
 *                                      the port it came in on, drop it.
 * Datapath-safe.
 */
void fwd_from_underlay(struct fdb *fdb, struct arpc *arpc, const struct fwd_vni *v,
		       const struct vtep_addr *outer_src, const uint8_t *frame, size_t len,
		       uint64_t now, struct fwd_decision *ret);

/*
 * Move damping (fdb.h) drops, rather than forwards without learning, a
 * frame whose source MAC is frozen at another location: the frozen
 * location is the one the table (and every reply) believes, so a frame
 * claiming the MAC from elsewhere is either a spoofer or a layer-2 loop,
 * and dropping it is what breaks the loop (RFC 7432 15.1; cf. NX-OS "mac
 * move loop detection"). The genuine owner, if it really moved, is cut off
 * until the hold ends - as it would be anyway, since replies go to the
 * frozen location. Frames from the frozen location pass as usual.
 */

/*
 * The per-tap BUM limit, applied by the caller right after fwd_from_tap
 * with the bucket it keeps for in_tap: when v->bum_rate is set and *d is a
 * flood (is_bum: broadcast, multicast or unknown unicast, to other taps
 * and/or the underlay) that finds the bucket empty, *d becomes a drop with
 * VTEP_DROP_BUM_RATE (count it; learning already happened and stays
 * reported). Nothing else is limited or takes a token: known unicast, ARP
 * requests and NS answered by suppression (reply_len > 0: they never leave
 * the tap), and frames already dropped. The bucket refills at bum_rate
 * packets/s up to a burst of rate_burst(bum_rate) (one second's worth,
 * at least RATE_MIN_BURST). Datapath-safe.
 */
void fwd_limit_bum(const struct fwd_vni *v, struct rate_bucket *bucket, uint64_t now,
		   struct fwd_decision *d);

#endif /* VTEP_PROTO_FWD_H */
