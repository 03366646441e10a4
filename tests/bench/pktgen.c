/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/pktgen.c - a small-packet generator for netns-bench.sh (the
 * development kernel is built without the kernel's own pktgen). Sends one
 * fixed Ethernet/IPv4/UDP frame, again and again for a number of seconds,
 * out of one interface through an AF_PACKET socket: PACKET_QDISC_BYPASS
 * hands each frame straight to the driver (no qdisc, no ARP, no routing),
 * and sendmmsg(2) moves up to --batch of them per system call, so the
 * generator costs little more than the driver's own transmit path.
 *
 *   pktgen --dev IF --src-mac MAC --dst-mac MAC --src-ip IP --dst-ip IP
 *          [--port 9] [--payload 64] [--time 5] [--batch 64] [--rate 0]
 *
 * --rate PPS paces the batches to PPS frames a second on average (0, the
 * default: flat out); netns-bench.sh uses it to look for the highest rate
 * a datapath carries without loss.
 *
 * A frame the driver refuses (sendmmsg stops at it with ENOBUFS: a tap
 * whose reader is behind, a full backlog) is counted and not retried, so
 * "offered" is every frame the generator tried to send and "accepted"
 * those the driver took; the send buffer is large enough that the
 * generator never waits for the datapath (open_socket). Prints one line:
 *   pktgen offered N accepted N refused N secs S offered_pps P accepted_pps P
 * Exit 0, or 1 on a setup error (message on stderr).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                     /* sendmmsg, struct mmsghdr */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	BATCH_MAX = 1024,
	PAYLOAD_MAX = 1472,
	FRAME_MAX = 14 + 20 + 8 + PAYLOAD_MAX,
	SNDBUF = 64 << 20,              /* bytes; see open_socket */
};

struct opts {
	const char *dev;
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	struct in_addr src_ip;
	struct in_addr dst_ip;
	unsigned long port;
	unsigned long payload;
	double secs;
	unsigned long batch;
	unsigned long rate;             /* frames/s, 0 = flat out */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: pktgen --dev IF --src-mac MAC --dst-mac MAC --src-ip IP "
		"--dst-ip IP [--port N] [--payload BYTES] [--time SECONDS] [--batch N] "
		"[--rate PPS]\n");
	exit(1);
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		m[i] = (uint8_t)b[i];
	}
	return 0;
}

static unsigned long parse_ulong(const char *s, unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	unsigned int have = 0;

	memset(o, 0, sizeof(*o));
	o->port = 9;                    /* discard: nothing answers but ICMP, rate-limited */
	o->payload = 64;
	o->secs = 5;
	o->batch = 64;
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(k, "--dev")) {
			o->dev = v;
			have |= 1;
		} else if (!strcmp(k, "--src-mac")) {
			if (parse_mac(v, o->src_mac) < 0)
				usage();
			have |= 2;
		} else if (!strcmp(k, "--dst-mac")) {
			if (parse_mac(v, o->dst_mac) < 0)
				usage();
			have |= 4;
		} else if (!strcmp(k, "--src-ip")) {
			if (inet_pton(AF_INET, v, &o->src_ip) != 1)
				usage();
			have |= 8;
		} else if (!strcmp(k, "--dst-ip")) {
			if (inet_pton(AF_INET, v, &o->dst_ip) != 1)
				usage();
			have |= 16;
		} else if (!strcmp(k, "--port")) {
			o->port = parse_ulong(v, 1, 65535);
		} else if (!strcmp(k, "--payload")) {
			o->payload = parse_ulong(v, 0, PAYLOAD_MAX);
		} else if (!strcmp(k, "--time")) {
			o->secs = (double)parse_ulong(v, 1, 3600);
		} else if (!strcmp(k, "--batch")) {
			o->batch = parse_ulong(v, 1, BATCH_MAX);
		} else if (!strcmp(k, "--rate")) {
			o->rate = parse_ulong(v, 0, 100000000);
		} else {
			usage();
		}
	}
	if (have != 31)
		usage();
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 791 header checksum over the 20-byte header (checksum field zero). */
static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 (DF, TTL 64) + UDP (checksum 0: none, allowed for IPv4). */
static size_t build_frame(uint8_t *f, const struct opts *o)
{
	size_t udp_len = 8 + o->payload;
	size_t ip_len = 20 + udp_len;
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, 14 + ip_len);
	memcpy(f, o->dst_mac, 6);
	memcpy(f + 6, o->src_mac, 6);
	wr16(f + 12, ETH_P_IP);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)ip_len);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &o->src_ip, 4);
	memcpy(ip + 16, &o->dst_ip, 4);
	wr16(ip + 10, ip_csum(ip));
	wr16(udp, 40000);
	wr16(udp + 2, (uint16_t)o->port);
	wr16(udp + 4, (uint16_t)udp_len);
	for (size_t i = 0; i < o->payload; i++)
		udp[8 + i] = (uint8_t)i;
	return 14 + ip_len;
}

/*
 * Bound to the interface with protocol 0: the socket sends and never
 * receives, so it adds nothing to the receive path it measures. Out of a
 * veth, a frame stays charged to the socket's send buffer until the far
 * side frees it: with the default buffer (a few hundred frames) the
 * generator would sleep until the datapath caught up, and nothing would be
 * refused. A large buffer makes the first full queue drop the excess
 * instead, as it would in front of a real NIC. (A tap orphans the frame
 * at transmit; there the buffer does not matter.)
 */
static int open_socket(const char *dev)
{
	struct sockaddr_ll sll;
	int sndbuf = SNDBUF;
	int one = 1;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("pktgen: socket(AF_PACKET)");
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "pktgen: no interface '%s'\n", dev);
		goto err;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("pktgen: bind");
		goto err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0) {
		perror("pktgen: SO_SNDBUF");
		goto err;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
		perror("pktgen: PACKET_QDISC_BYPASS");
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

/* Sleep until frame number `sent` is due. The schedule is absolute, so an
 * oversleep (timer slack) is made up by the batches that follow. */
static void pace(double start, unsigned long long sent, unsigned long rate)
{
	double wait = start + (double)sent / (double)rate - now_s();
	struct timespec ts;

	if (wait <= 0)
		return;
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	(void)nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	static uint8_t frame[FRAME_MAX];
	static struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov;
	unsigned long long accepted = 0, refused = 0;
	double start, end, elapsed;
	struct opts o;
	int fd;

	parse_opts(argc, argv, &o);
	iov.iov_base = frame;
	iov.iov_len = build_frame(frame, &o);
	fd = open_socket(o.dev);
	if (fd < 0)
		return 1;
	for (unsigned long k = 0; k < o.batch; k++) {
		msgs[k].msg_hdr.msg_iov = &iov;
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	start = now_s();
	end = start + o.secs;
	do {
		unsigned int off = 0;

		/*
		 * Every frame of the batch is taken or refused once. sendmmsg
		 * stops at the first frame the driver refuses and, when some
		 * went before it, returns their number and drops the error:
		 * the frame at the short count is the refused one.
		 */
		while (off < o.batch) {
			unsigned int n = (unsigned int)o.batch - off;
			int r = sendmmsg(fd, msgs + off, n, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno != ENOBUFS && errno != EAGAIN) {
				perror("pktgen: sendmmsg");
				return 1;
			}
			if (r < 0)
				r = 0;
			accepted += (unsigned int)r;
			off += (unsigned int)r;
			if ((unsigned int)r < n) {
				refused++;
				off++;
			}
		}
		if (o.rate)
			pace(start, accepted + refused, o.rate);
	} while (now_s() < end);
	elapsed = now_s() - start;
	close(fd);
	printf("pktgen offered %llu accepted %llu refused %llu secs %.3f offered_pps %.0f "
	       "accepted_pps %.0f\n", accepted + refused, accepted, refused, elapsed,
	       (double)(accepted + refused) / elapsed,
	       (double)accepted / elapsed);
	return 0;
}
