/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/micro.c - microbenchmarks of the pure packet path (make bench):
 *   - underlay receive: vxlan_parse + fwd_from_underlay (inner parse,
 *     learning, lookup, decision) against a populated FDB, 64- and
 *     1500-byte inner frames, ns per packet
 *   - tap receive: fwd_from_tap (parse, learning, lookup, decision) +
 *     vxlan_build + vxlan_src_port, ns per packet
 *   - the FDB with 1,000,000 learned MACs: ns per insert, per hit and per
 *     miss lookup on random keys, and bytes per MAC from VmRSS
 * Each figure is the median of RUNS timed rounds (CLOCK_MONOTONIC). Prints
 * "micro NAME VALUE UNIT" lines; tests/bench/micro.sh keeps them.
 */
#include "proto/fdb.h"
#include "proto/arpc.h"
#include "proto/fwd.h"
#include "proto/vxlan.h"

#include <time.h>

enum { RUNS = 5, N_MACS = 1000000, N_PKTS = 2000000 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* xorshift64*: cheap, reproducible keys. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* Learned MAC i: locally administered unicast, unique per i. */
static struct vtep_mac mac_of(uint64_t i)
{
	struct vtep_mac m = { { 0x02, 0, (uint8_t)(i >> 24), (uint8_t)(i >> 16),
				(uint8_t)(i >> 8), (uint8_t)i } };
	return m;
}

static struct vtep_addr v4(const char *s)
{
	struct vtep_addr a;

	if (vtep_addr_parse(s, &a) < 0)
		abort();
	return a;
}

/* An IPv4/UDP frame of len bytes from src to dst. */
static void build_frame(uint8_t *f, size_t len, const struct vtep_mac *dst,
			const struct vtep_mac *src)
{
	memset(f, 0, len);
	memcpy(f, dst->b, 6);
	memcpy(f + 6, src->b, 6);
	vtep_wr16(f + 12, 0x0800);
	f[14] = 0x45;
	vtep_wr16(f + 16, (uint16_t)(len - 14));
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, "\xc0\xa8\x64\x01\xc0\xa8\x64\x02", 8);
	vtep_wr16(f + 34, 40000);
	vtep_wr16(f + 36, 5201);
	vtep_wr16(f + 38, (uint16_t)(len - 34));
}

static void report(const char *name, double v, const char *unit)
{
	printf("micro %-24s %10.1f %s\n", name, v, unit);
}

static void bench_fdb(void)
{
	struct fdb *fdb = fdb_new(N_MACS + 16, 16);
	struct vtep_addr remote = v4("10.0.0.2");
	double ins[1], hit[RUNS], miss[RUNS];
	long before, after;
	uint64_t t0, sum = 0;

	if (!fdb)
		abort();
	before = rss_kb();
	t0 = now_ns();
	for (uint64_t i = 0; i < N_MACS; i++) {
		struct vtep_mac m = mac_of(i);

		(void)fdb_learn_remote(fdb, 100 + (uint32_t)(i & 3), &m, &remote, 1, NULL);
	}
	ins[0] = (double)(now_ns() - t0) / N_MACS;
	after = rss_kb();
	if (fdb_count(fdb, FDB_REMOTE) != N_MACS)
		fprintf(stderr, "micro: only %zu of %d learned\n", fdb_count(fdb, FDB_REMOTE), N_MACS);
	for (int r = 0; r < RUNS; r++) {
		t0 = now_ns();
		for (int i = 0; i < N_MACS; i++) {
			uint64_t k = rnd() % N_MACS;
			struct vtep_mac m = mac_of(k);

			sum += fdb_lookup(fdb, 100 + (uint32_t)(k & 3), &m) != NULL;
		}
		hit[r] = (double)(now_ns() - t0) / N_MACS;
		t0 = now_ns();
		for (int i = 0; i < N_MACS; i++) {
			uint64_t k = N_MACS + rnd() % N_MACS;
			struct vtep_mac m = mac_of(k);

			sum += fdb_lookup(fdb, 100 + (uint32_t)(k & 3), &m) != NULL;
		}
		miss[r] = (double)(now_ns() - t0) / N_MACS;
	}
	if (sum != (uint64_t)RUNS * N_MACS)
		fprintf(stderr, "micro: %llu hits, want %llu\n", (unsigned long long)sum,
			(unsigned long long)RUNS * N_MACS);
	report("fdb_insert_ns_1m", ins[0], "ns");
	report("fdb_lookup_hit_ns_1m", median(hit, RUNS), "ns");
	report("fdb_lookup_miss_ns_1m", median(miss, RUNS), "ns");
	report("fdb_bytes_per_mac", (double)(after - before) * 1024.0 / N_MACS, "bytes");
	report("fdb_entry_sizeof", (double)sizeof(struct fdb_entry), "bytes");
	fdb_free(fdb);
}

static void bench_path(size_t len)
{
	struct fdb *fdb = fdb_new(65536, 16);
	struct arpc *arpc = arpc_new(1024, 16);
	struct vtep_addr remote = v4("10.0.0.2");
	struct vtep_mac local = mac_of(0x10000001), far = mac_of(0x20000001);
	struct fwd_vni v = { .vni = 100, .flood = VTEP_FLOOD_MULTICAST, .learning = true,
			     .mtu = 9000, .allow_any = true };
	static uint8_t pkt[VXLAN_HLEN + 1500], frame[1500], hdr[VXLAN_HLEN];
	double rx[RUNS], tx[RUNS];
	struct fwd_decision dec;
	char name[64];
	uint32_t vni;
	uint64_t t0, sum = 0;

	if (!fdb || !arpc)
		abort();
	for (uint64_t i = 0; i < 50000; i++) {   /* a populated table */
		struct vtep_mac m = mac_of(i);

		(void)fdb_learn_remote(fdb, 100, &m, &remote, 1, NULL);
	}
	(void)fdb_learn_local(fdb, 100, &local, 0, 1, NULL);
	vxlan_build(pkt, 100);
	build_frame(pkt + VXLAN_HLEN, len, &local, &far);   /* far -> local */
	build_frame(frame, len, &far, &local);              /* local -> far */
	for (int r = 0; r < RUNS; r++) {
		t0 = now_ns();
		for (int i = 0; i < N_PKTS; i++) {
			if (vxlan_parse(pkt, VXLAN_HLEN + len, false, &vni) != VTEP_DROP_NONE)
				abort();
			fwd_from_underlay(fdb, arpc, &v, &remote, pkt + VXLAN_HLEN, len, 2, &dec);
			sum += (uint64_t)dec.out_tap;
		}
		rx[r] = (double)(now_ns() - t0) / N_PKTS;
		t0 = now_ns();
		for (int i = 0; i < N_PKTS; i++) {
			fwd_from_tap(fdb, arpc, &v, 0, frame, len, 2, &dec);
			vxlan_build(hdr, v.vni);
			sum += dec.to_remote + vxlan_src_port((uint32_t)i, 49152, 65535) + hdr[4];
		}
		tx[r] = (double)(now_ns() - t0) / N_PKTS;
	}
	if (dec.drop != VTEP_DROP_NONE || !dec.to_remote)
		fprintf(stderr, "micro: tap path decided drop %d to_remote %d\n", dec.drop,
			dec.to_remote);
	snprintf(name, sizeof(name), "udp_rx_ns_%zu", len);
	report(name, median(rx, RUNS), "ns");
	snprintf(name, sizeof(name), "tap_rx_ns_%zu", len);
	report(name, median(tx, RUNS), "ns");
	if (sum == 42)
		printf("\n");   /* keeps the loops from being optimised away */
	arpc_free(arpc);
	fdb_free(fdb);
}

int main(void)
{
	bench_path(64);
	bench_path(1500);
	bench_fdb();
	return 0;
}
