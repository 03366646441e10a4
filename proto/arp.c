/* SPDX-License-Identifier: MIT */
/*
 * proto/arp - Ethernet/IPv4 ARP (RFC 826) parse and build, the suppression
 * reply, and the gratuitous/probe predicates (RFC 5227).
 *
 * Layout (28 bytes): htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4)
 * tha(6) tpa(4).
 */
#include "arp.h"

enum vtep_drop arp_parse(const uint8_t *p, size_t len, struct arp_view *ret_view)
{
	struct arp_view v;

	if (!p || len < ARP_HLEN)
		return VTEP_DROP_MALFORMED;
	if (vtep_rd16(p) != ARP_HTYPE_ETHER || vtep_rd16(p + 2) != ARP_PTYPE_IPV4 || p[4] != 6 || p[5] != 4)
		return VTEP_DROP_MALFORMED;
	v.op = vtep_rd16(p + 6);
	memcpy(v.sha.b, p + 8, 6);
	memcpy(&v.spa, p + 14, 4);
	memcpy(v.tha.b, p + 18, 6);
	memcpy(&v.tpa, p + 24, 4);
	*ret_view = v;
	return VTEP_DROP_NONE;
}

void arp_build(uint8_t p[ARP_HLEN], const struct arp_view *v)
{
	vtep_wr16(p, ARP_HTYPE_ETHER);
	vtep_wr16(p + 2, ARP_PTYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	vtep_wr16(p + 6, v->op);
	memcpy(p + 8, v->sha.b, 6);
	memcpy(p + 14, &v->spa, 4);
	memcpy(p + 18, v->tha.b, 6);
	memcpy(p + 24, &v->tpa, 4);
}

size_t arp_build_reply(uint8_t *buf, size_t size, const struct arp_view *req,
		       const struct vtep_mac *owner)
{
	struct arp_view r;

	if (size < ARP_REPLY_LEN)
		return 0;
	memset(&r, 0, sizeof(r));
	r.op = ARP_OP_REPLY;
	r.sha = *owner;
	r.spa = req->tpa;
	r.tha = req->sha;
	r.tpa = req->spa;
	eth_build(buf, &req->sha, owner, ETH_TYPE_ARP);
	arp_build(buf + ETH_HLEN, &r);
	return ARP_REPLY_LEN;
}

bool arp_is_gratuitous(const struct arp_view *v)
{
	return (v->op == ARP_OP_REQUEST || v->op == ARP_OP_REPLY) && v->spa != 0 &&
	       v->spa == v->tpa;
}

bool arp_is_probe(const struct arp_view *v)
{
	return v->op == ARP_OP_REQUEST && v->spa == 0;
}
