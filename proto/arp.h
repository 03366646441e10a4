/* SPDX-License-Identifier: MIT */
/*
 * proto/arp - ARP for Ethernet/IPv4 (RFC 826: htype 1, ptype 0x0800, hlen 6,
 * plen 4): parse for snooping, build the payload and whole suppression
 * replies, and predicates for gratuitous ARP and probes (RFC 5227). Pure.
 */
#ifndef VTEP_PROTO_ARP_H
#define VTEP_PROTO_ARP_H

#include "../vtep.h"
#include "eth.h"

#define ARP_HLEN 28                     /* Ethernet/IPv4 ARP payload */
#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IPV4 0x0800
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
/* A whole untagged ARP reply frame, unpadded (see arp_build_reply). */
#define ARP_REPLY_LEN (ETH_HLEN + ARP_HLEN)

struct arp_view {
	uint16_t op;                    /* host order: ARP_OP_REQUEST, ARP_OP_REPLY, ... */
	struct vtep_mac sha;            /* sender hardware address */
	struct vtep_mac tha;            /* target hardware address */
	uint32_t spa;                   /* sender protocol address, network order */
	uint32_t tpa;                   /* target protocol address, network order */
};

/*
 * Parse the ARP payload at p (frame + eth_view.l3_off, ethertype ARP).
 * Shorter than ARP_HLEN, or not Ethernet/IPv4 (htype, ptype, hlen, plen)
 * -> VTEP_DROP_MALFORMED. The verdict is about snooping only: a bridge
 * forwards ARP it cannot parse, so callers must not drop the frame on it.
 * Any op is accepted (the caller picks requests and replies).
 */
enum vtep_drop arp_parse(const uint8_t *p, size_t len, struct arp_view *ret_view);

/* Write the 28-byte Ethernet/IPv4 ARP payload described by v. */
void arp_build(uint8_t p[ARP_HLEN], const struct arp_view *v);

/*
 * Build the answer to the ARP request req on behalf of owner, the MAC the
 * cache holds for req->tpa, into buf (size bytes): an untagged Ethernet
 * frame to req->sha from owner, ARP op 2, sha = owner, spa = req->tpa,
 * tha = req->sha, tpa = req->spa - what the owner itself would send
 * (Linux arp_process answers to the request's sha the same way). Returns
 * ARP_REPLY_LEN, or 0 when size is too small (nothing written).
 *
 * Not padded to the 60-byte Ethernet minimum: padding is the transmitting
 * NIC's job, and the frame only ever goes into a tap, where the kernel's
 * own ARP replies are 42 bytes too (emulated NICs pad on delivery).
 * Datapath-safe.
 */
size_t arp_build_reply(uint8_t *buf, size_t size, const struct arp_view *req,
		       const struct vtep_mac *owner);

/* Gratuitous ARP: a request or reply announcing spa == tpa (spa != 0). */
bool arp_is_gratuitous(const struct arp_view *v);

/* ARP probe (RFC 5227 2.1.1): a request with sender IP 0.0.0.0. Never snoop
 * it into a cache: the sender does not own an address yet. */
bool arp_is_probe(const struct arp_view *v);

#endif /* VTEP_PROTO_ARP_H */
