/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz.h - shared helpers for the libFuzzer harnesses: a byte
 * reader that turns the input into choices (never reading past it), a
 * CHECK that aborts so libFuzzer records the input, and the small fixed
 * world (MACs, addresses, VNIs) the harnesses populate their tables with.
 * The MACs and addresses match the tests/data fixtures so the seeds hit entries.
 */
#ifndef VTEP_TESTS_FUZZ_FUZZ_H
#define VTEP_TESTS_FUZZ_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../vtep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: print where, then abort so libFuzzer keeps the input. */
#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                    \
			abort();                                                     \
		}                                                                    \
	} while (0)

struct fz {
	const uint8_t *p;
	size_t len;
};

static inline size_t fz_left(const struct fz *f)
{
	return f->len;
}

/* Past the end every read returns zero bytes, so short inputs still run. */
static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t b;

	if (f->len == 0)
		return 0;
	b = f->p[0];
	f->p++;
	f->len--;
	return b;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t hi = fz_u16(f);

	return hi << 16 | fz_u16(f);
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t hi = fz_u32(f);

	return hi << 32 | fz_u32(f);
}

/* Up to n bytes in place (the fuzzer's buffer, read-only); *ret_n says how many. */
static inline const uint8_t *fz_take(struct fz *f, size_t n, size_t *ret_n)
{
	const uint8_t *p = f->p;

	if (n > f->len)
		n = f->len;
	f->p += n;
	f->len -= n;
	*ret_n = n;
	return p;
}

/*
 * A copy of p[0..n) in a heap block of exactly n bytes, so that ASan
 * catches a read past the end of one record of a multi-record input (the
 * next record's bytes would otherwise be readable). Free with free().
 * NULL for n == 0 is fine: callers pass it with n == 0.
 */
static inline uint8_t *fz_dup(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

/*
 * Make the ICMPv6 checksum of the IPv6 packet at p right (RFC 4443 2.3,
 * pseudo-header of RFC 8200 8.1), so mutated NS/NA get past the checksum
 * test in nd_parse and reach the option and validity rules. Only for a
 * version 6 header with next header 58 whose payload fits; else nothing.
 * Written here independently of proto/nd.c.
 */
static inline void fz_fix_icmp6(uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t plen;

	if (len < 40 + 4 || (p[0] >> 4) != 6 || p[6] != 58)
		return;
	plen = (size_t)p[4] << 8 | p[5];
	if (plen < 4 || plen > len - 40)
		return;
	p[42] = 0;
	p[43] = 0;
	for (size_t i = 8; i < 40; i += 2)      /* source and destination */
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	sum += (uint32_t)plen + 58;
	for (size_t i = 0; i < plen; i += 2)
		sum += (uint32_t)p[40 + i] << 8 | (i + 1 < plen ? p[40 + i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	p[42] = (uint8_t)(sum >> 8);
	p[43] = (uint8_t)sum;
}

/* The fixed world: 52:54:00:00:00:0N as in the fixtures, VNIs 100 and 200. */
#define FZ_VNI_A 100
#define FZ_VNI_B 200

static inline struct vtep_mac fz_mac(uint8_t n)
{
	struct vtep_mac m = { { 0x52, 0x54, 0x00, 0x00, 0x00, n } };

	return m;
}

/* 10.0.0.N, the underlay of packaging/vtep.conf. */
static inline struct vtep_addr fz_underlay(uint8_t n)
{
	return vtep_addr_v4(htobe32(0x0a000000u | n));
}

/* 192.168.7.N, the overlay of the ARP fixtures. */
static inline struct vtep_addr fz_ip4(uint8_t n)
{
	return vtep_addr_v4(htobe32(0xc0a80700u | n));
}

/* fd00:7::N, the overlay of the ND fixtures. */
static inline struct vtep_addr fz_ip6(uint8_t n)
{
	struct vtep_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.v6.s6_addr[0] = 0xfd;
	a.v6.s6_addr[3] = 0x07;
	a.v6.s6_addr[15] = n;
	return a;
}

#endif /* VTEP_TESTS_FUZZ_FUZZ_H */
