/* SPDX-License-Identifier: MIT */
/*
 * proto/tos - outer DS field on encapsulation, ECN on decapsulation
 * (RFC 6040). The DS field is byte 1 of an IPv4 header, and bits 4..11 of
 * an IPv6 header (the low nibble of byte 0, the high nibble of byte 1).
 */
#include "tos.h"

/* Offset of the IP header in frame and its version (4 or 6), or 0. */
static size_t l3_of(const uint8_t *frame, size_t len, unsigned int *ret_version)
{
	size_t off = ETH_HLEN;
	uint16_t type;

	if (len < ETH_HLEN)
		return 0;
	type = vtep_rd16(frame + 12);
	for (int i = 0; i < ETH_MAX_VLAN_TAGS &&
	     (type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ); i++) {
		if (len - off < ETH_VLAN_HLEN)
			return 0;
		type = vtep_rd16(frame + off + 2);
		off += ETH_VLAN_HLEN;
	}
	if (type == ETH_TYPE_IPV4 && len - off >= IPV4_HLEN_MIN && frame[off] >> 4 == 4)
		*ret_version = 4;
	else if (type == ETH_TYPE_IPV6 && len - off >= IPV6_HLEN && frame[off] >> 4 == 6)
		*ret_version = 6;
	else
		return 0;
	return off;
}

static uint8_t ds_at(const uint8_t *ip, unsigned int version)
{
	if (version == 4)
		return ip[1];
	return (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
}

int tos_of_frame(const uint8_t *frame, size_t len)
{
	unsigned int version = 0;
	size_t off = l3_of(frame, len, &version);

	return off ? ds_at(frame + off, version) : -1;
}

uint8_t tos_encap(int conf_tos, const uint8_t *frame, size_t len)
{
	int inner = tos_of_frame(frame, len);
	uint8_t ds = conf_tos == TOS_INHERIT ? (uint8_t)(inner < 0 ? 0 : inner) : (uint8_t)conf_tos;
	uint8_t ecn = inner < 0 ? TOS_NOT_ECT : (uint8_t)inner & TOS_ECN_MASK;

	if (ecn == TOS_CE)
		ecn = TOS_ECT_0;
	return (uint8_t)((ds & ~TOS_ECN_MASK) | ecn);
}

enum tos_decap tos_decap(uint8_t outer, uint8_t *frame, size_t len)
{
	unsigned int version = 0;
	uint8_t *ip;
	uint16_t old;
	uint32_t sum;
	size_t off;

	if ((outer & TOS_ECN_MASK) != TOS_CE)
		return TOS_DECAP_KEEP;
	off = l3_of(frame, len, &version);
	if (!off)
		return TOS_DECAP_KEEP;
	ip = frame + off;
	switch (ds_at(ip, version) & TOS_ECN_MASK) {
	case TOS_NOT_ECT:
		return TOS_DECAP_DROP;
	case TOS_CE:
		return TOS_DECAP_KEEP;
	default:
		break;
	}
	if (version == 6) {
		ip[1] |= TOS_CE << 4;
		return TOS_DECAP_MARKED;
	}
	/* RFC 1624: HC' = ~(~HC + ~m + m'), m the 16-bit word holding the TOS. */
	old = vtep_rd16(ip);
	sum = (uint32_t)(uint16_t)~vtep_rd16(ip + 10) + (uint16_t)~old + (uint16_t)(old | TOS_CE);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip[1] |= TOS_CE;
	vtep_wr16(ip + 10, (uint16_t)~sum);
	return TOS_DECAP_MARKED;
}
