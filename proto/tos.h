/* SPDX-License-Identifier: MIT */
/*
 * proto/tos - the DS field (IPv4 TOS, IPv6 Traffic Class) across the
 * tunnel. Sending, the outer packet's DSCP is a configured value or, with
 * "inherit", the inner packet's (RFC 2983, uniform model), and its ECN
 * field follows the inner packet's (RFC 6040 section 4.1, normal mode: a
 * CE mark goes out as ECT(0)). Receiving, congestion marked on the outer
 * packet (CE) is carried onto an ECN-capable inner packet, and a packet
 * that is not ECN-capable is dropped rather than lose the mark (RFC 6040
 * section 4.2). The kernel vxlan driver does the same with "tos inherit".
 * Pure: reads and writes within [frame, frame + len) only.
 */
#ifndef VTEP_PROTO_TOS_H
#define VTEP_PROTO_TOS_H

#include "eth.h"

#define TOS_INHERIT VTEP_TOS_INHERIT    /* the configured tos: copy the inner DSCP */
#define TOS_ECN_MASK 0x03

enum tos_ecn {
	TOS_NOT_ECT = 0,
	TOS_ECT_1 = 1,
	TOS_ECT_0 = 2,
	TOS_CE = 3,
};

/* The DS field of the IPv4 or IPv6 packet an Ethernet frame carries
 * (after up to ETH_MAX_VLAN_TAGS tags), or -1: not IP, or too short. */
int tos_of_frame(const uint8_t *frame, size_t len);

/* The outer DS field for frame under the configured tos (a DSCP shifted
 * left by two, ECN bits clear, or TOS_INHERIT). Datapath-safe. */
uint8_t tos_encap(int conf_tos, const uint8_t *frame, size_t len);

enum tos_decap {
	TOS_DECAP_KEEP,                 /* nothing to carry: deliver as it is */
	TOS_DECAP_MARKED,               /* CE set on the inner packet (IPv4 checksum fixed) */
	TOS_DECAP_DROP,                 /* outer CE, inner not ECN-capable */
};

/* Carry the outer DS field's ECN onto frame (writable): only a CE outer
 * packet changes anything. Not IP: kept. Datapath-safe. */
enum tos_decap tos_decap(uint8_t outer, uint8_t *frame, size_t len);

#endif /* VTEP_PROTO_TOS_H */
