/* SPDX-License-Identifier: MIT */
/*
 * proto/vxlan - VXLAN header parse/build (RFC 7348 section 5) and the outer
 * source-port mapping.
 */
#include "vxlan.h"

/* Byte 0 is the flags byte: only the I flag may be set. Bytes 1-3 and 7 are
 * reserved; bytes 4-6 are the VNI. */
enum vtep_drop vxlan_parse(const uint8_t *p, size_t len, bool ignore_reserved, uint32_t *ret_vni)
{
	uint32_t w0;
	uint32_t w1;

	if (!p || len < VXLAN_HLEN)
		return VTEP_DROP_MALFORMED;
	memcpy(&w0, p, 4);
	memcpy(&w1, p + 4, 4);
	w0 = be32toh(w0);
	w1 = be32toh(w1);
	if (!(w0 & ((uint32_t)VXLAN_FLAG_I << 24)))
		return VTEP_DROP_BAD_FLAGS;
	if (!ignore_reserved &&
	    ((w0 & ~((uint32_t)VXLAN_FLAG_I << 24)) != 0 || (w1 & 0xff) != 0))
		return VTEP_DROP_BAD_FLAGS;
	*ret_vni = w1 >> 8;
	return VTEP_DROP_NONE;
}

void vxlan_build(uint8_t hdr[VXLAN_HLEN], uint32_t vni)
{
	uint32_t w0 = htobe32((uint32_t)VXLAN_FLAG_I << 24);
	uint32_t w1 = htobe32((vni & VTEP_VNI_MAX) << 8);

	memcpy(hdr, &w0, 4);
	memcpy(hdr + 4, &w1, 4);
}

uint16_t vxlan_src_port(uint32_t hash, uint16_t lo, uint16_t hi)
{
	uint32_t range;

	if (lo > hi) {
		uint16_t t = lo;

		lo = hi;
		hi = t;
	}
	range = (uint32_t)hi - lo + 1;
	/* (hash * range) >> 32 lies in [0, range): the high bits of hash pick. */
	return (uint16_t)(lo + (uint32_t)(((uint64_t)hash * range) >> 32));
}
