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
 */
#ifndef VTEP_PROTO_FWD_H
#define VTEP_PROTO_FWD_H

#include "../vtep.h"
#include "eth.h"
#include "fdb.h"

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
};

/* Room for a locally generated reply (ARP/ND suppression, later). */
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
 *   reply_len > 0     write reply[0..reply_len) to the input tap (ARP
 *                     suppression, not produced yet).
 * learn/old report what learning the source MAC did, whatever the verdict
 * (NEW: count "learned"; MOVED: count "moved" and log mac, old and new
 * location; FULL: count drops[VTEP_DROP_FDB_FULL] while the frame itself is
 * still forwarded). eth is the parsed inner header, valid unless drop is
 * MALFORMED or NOT_ALLOWED (VLAN, ethertype for ARP snooping, flow hash).
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
	uint16_t reply_len;
	uint8_t reply[FWD_REPLY_MAX];
};

/* VTEP_DROP_NONE when outer_src may send to this VNI (rules above; a
 * non-unicast source never may), else VTEP_DROP_NOT_ALLOWED. */
enum vtep_drop fwd_check_source(const struct fwd_vni *v, const struct vtep_addr *outer_src);

/*
 * A frame read from our tap in_tap (Ethernet header first, no virtio-net
 * header). Order: parse (MALFORMED); source MAC multicast/zero
 * (BAD_SRC_MAC); learn the source as local on in_tap if v->learning;
 * longer than the MTU allows (TOO_BIG); then by destination:
 *   multicast/broadcast or unknown  -> flood: other taps, plus the underlay
 *                                      unless the mode is LOCAL;
 *   local on another tap            -> out_tap;
 *   local on in_tap                 -> drop NO_DEST (never hairpin);
 *   remote or static                -> to_remote.
 * Datapath-safe.
 */
void fwd_from_tap(struct fdb *fdb, const struct fwd_vni *v, uint16_t in_tap,
		  const uint8_t *frame, size_t len, uint64_t now, struct fwd_decision *ret);

/*
 * An inner frame received from the underlay at outer_src, after the caller
 * ran vxlan_parse and found v for the VNI. Order: fwd_check_source
 * (NOT_ALLOWED); parse (MALFORMED); source MAC multicast/zero (BAD_SRC_MAC);
 * source MAC is local in our FDB (LOOP: our own frame came back, e.g. by
 * multicast loopback); learn the source as remote at outer_src if
 * v->learning (a static entry is left alone); TOO_BIG; then by destination:
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
void fwd_from_underlay(struct fdb *fdb, const struct fwd_vni *v,
		       const struct vtep_addr *outer_src, const uint8_t *frame, size_t len,
		       uint64_t now, struct fwd_decision *ret);

#endif /* VTEP_PROTO_FWD_H */
