/* SPDX-License-Identifier: MIT */
/*
 * sum.h - the RFC 1071 ones' complement sum, written out plainly, for unit
 * tests that check a checksum proto/ computed its own (faster) way.
 */
#ifndef VTEP_TESTS_UNIT_SUM_H
#define VTEP_TESTS_UNIT_SUM_H

#include <stddef.h>
#include <stdint.h>

/* The folded sum of n bytes (n even): 0xffff over a header whose
 * checksum is right. */
static inline uint16_t rfc1071_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif /* VTEP_TESTS_UNIT_SUM_H */
