/* SPDX-License-Identifier: MIT */
/*
 * vxspray - send VXLAN frames with many distinct inner source MACs, fast:
 * the hostile remote of tests/netns/t70-hostile-macs.sh. Built by the test
 * with `cc -O2 -o vxspray vxspray.c`; not part of the daemon.
 *
 *   vxspray --dst 10.0.0.1 [--src 10.0.0.3] [--port 4789] [--vni 100]
 *           [--count 100000] [--start 0] [--pps 50000] [--seed 1] [--inner-dst MAC]
 *
 * Frame i (counting from --start) has the inner source MAC 02:xx:xx:xx:xx:xx, xx = the low 40
 * bits of (i * an odd constant) ^ seed: all distinct for i < 2^40,
 * unicast, locally administered, scattered over the hash space. The inner
 * frame is 60 bytes, EtherType 0x88b5; the VXLAN header is RFC 7348 5.
 * Batches of 64 go out with sendmmsg(2), paced to --pps (0: flat out).
 * Prints "sent N datagrams in S s".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                     /* sendmmsg */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME 68                        /* 8 VXLAN + 60 inner */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vxspray --dst IP [--src IP] [--port N] [--vni N] [--count N] "
		"[--start N] [--pps N] [--seed N] [--inner-dst MAC]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dst = NULL, *src = NULL;
	unsigned long port = 4789, vni = 100, count = 100000, pps = 50000, first = 0;
	unsigned long long seed = 1;
	uint8_t inner_dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static uint8_t bufs[BATCH][FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to;
	unsigned long sent = 0;
	double start;
	int fd;

	for (int i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		i++;
		if (!strcmp(k, "--dst"))
			dst = v;
		else if (!strcmp(k, "--src"))
			src = v;
		else if (!strcmp(k, "--port"))
			port = strtoul(v, NULL, 0);
		else if (!strcmp(k, "--vni"))
			vni = strtoul(v, NULL, 0);
		else if (!strcmp(k, "--count"))
			count = strtoul(v, NULL, 0);
		else if (!strcmp(k, "--start"))
			first = strtoul(v, NULL, 0);
		else if (!strcmp(k, "--pps"))
			pps = strtoul(v, NULL, 0);
		else if (!strcmp(k, "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(k, "--inner-dst")) {
			if (parse_mac(v, inner_dst) < 0)
				usage();
		} else
			usage();
	}
	if (!dst)
		usage();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (src) {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		if (inet_pton(AF_INET, src, &sin.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			perror("bind");
			return 1;
		}
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, dst, &to.sin_addr) != 1)
		usage();
	for (int k = 0; k < BATCH; k++) {
		uint8_t *b = bufs[k];

		memset(b, 0, FRAME);
		b[0] = 0x08;                            /* I flag */
		b[4] = (uint8_t)(vni >> 16);
		b[5] = (uint8_t)(vni >> 8);
		b[6] = (uint8_t)vni;
		memcpy(b + 8, inner_dst, 6);
		b[8 + 12] = 0x88;
		b[8 + 13] = 0xb5;
		iov[k].iov_base = b;
		iov[k].iov_len = FRAME;
		memset(&msgs[k], 0, sizeof(msgs[k]));
		msgs[k].msg_hdr.msg_name = &to;
		msgs[k].msg_hdr.msg_namelen = sizeof(to);
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	start = now_s();
	while (sent < count) {
		unsigned int n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
		int r;

		for (unsigned int k = 0; k < n; k++) {
			uint64_t x = ((uint64_t)(first + sent + k) * 0x9e3779b97full ^ seed) & 0xffffffffffull;
			uint8_t *s = bufs[k] + 8 + 6;

			s[0] = 0x02;
			for (int j = 0; j < 5; j++)
				s[1 + j] = (uint8_t)(x >> (32 - 8 * j));
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("sendmmsg");
			return 1;
		}
		sent += (unsigned long)r;
		if (pps) {
			double due = start + (double)sent / pps, t = now_s();

			if (due > t)
				usleep((useconds_t)((due - t) * 1e6));
		}
	}
	printf("sent %lu datagrams in %.3f s\n", sent, now_s() - start);
	close(fd);
	return 0;
}
