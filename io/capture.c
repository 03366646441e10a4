/* SPDX-License-Identifier: MIT */
/*
 * io/capture.c - pcap capture with libpcap (see capture.h).
 */
#include "capture.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

enum {
	SNAPLEN = 65535,
	VXLAN_HDR = 8,
	OUTER_HDRS = 14 + 40 + 8,       /* Ethernet + IPv6 (IPv4: 20) + UDP, at most */
};

struct io_capture {
	pcap_t *dead;                   /* linktype and snaplen for dumper and filter */
	pcap_dumper_t *dumper;
	int fd;                         /* opened, not yet started: -1 once it is */
	bool created;                   /* fd's file did not exist before */
	struct bpf_program prog;
	bool has_prog;
	struct io_capture_params p;
	char *file;
	uint64_t packets;
	uint8_t scratch[OUTER_HDRS + SNAPLEN];
};

static bool passes(const struct io_capture *cap, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };

	return !cap->has_prog || pcap_offline_filter(&cap->prog, &h, frame) != 0;
}

static void rotate(struct io_capture *cap)
{
	char from[4200], to[4200];

	pcap_dump_close(cap->dumper);
	cap->dumper = NULL;
	for (uint32_t i = cap->p.max_files - 1; i > 0; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", cap->file);
		else
			snprintf(from, sizeof(from), "%s.%u", cap->file, i - 1);
		snprintf(to, sizeof(to), "%s.%u", cap->file, i);
		(void)rename(from, to);
	}
	cap->dumper = pcap_dump_open(cap->dead, cap->file);
}

static void write_packet(struct io_capture *cap, const uint8_t *data, size_t len)
{
	struct pcap_pkthdr h;
	struct timeval tv;

	if (!cap->dumper)
		return;         /* reopening after a rotation failed: capture stops */
	gettimeofday(&tv, NULL);
	h.ts = tv;
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)VTEP_MIN(len, (size_t)SNAPLEN);
	pcap_dump((u_char *)cap->dumper, &h, data);
	cap->packets++;
	if (cap->p.max_size && (uint64_t)pcap_dump_ftell64(cap->dumper) >= cap->p.max_size)
		rotate(cap);
}

void io_capture_inner(struct io_capture *cap, const uint8_t *frame, size_t len)
{
	if (cap && cap->p.point != IO_CAPTURE_OUTER && passes(cap, frame, len))
		write_packet(cap, frame, len);
}

/* RFC 1071 sum of 16-bit big-endian words (an odd last byte padded). */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The outer IP header at ip for a datagram of udp_len bytes; the length of
 * the header. IPv4 with DF (a VTEP never fragments). */
static size_t outer_ip(uint8_t *ip, const struct vtep_addr *src, const struct vtep_addr *dst,
		       uint8_t ttl, uint8_t tos, size_t udp_len)
{
	if (src->family == AF_INET6) {
		memset(ip, 0, 40);
		ip[0] = (uint8_t)(0x60 | tos >> 4);
		ip[1] = (uint8_t)(tos << 4);
		put16(ip + 4, (uint16_t)udp_len);
		ip[6] = 17;
		ip[7] = ttl;
		memcpy(ip + 8, &src->v6, 16);
		memcpy(ip + 24, &dst->v6, 16);
		return 40;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = tos;
	put16(ip + 2, (uint16_t)(20 + udp_len));
	put16(ip + 6, 0x4000);
	ip[8] = ttl;
	ip[9] = 17;
	memcpy(ip + 12, &src->v4, 4);
	memcpy(ip + 16, &dst->v4, 4);
	put16(ip + 10, (uint16_t)~sum16(0, ip, 20));
	return 20;
}

void io_capture_outer(struct io_capture *cap, const struct vtep_addr *src, uint16_t sport,
		      const struct vtep_addr *dst, uint16_t dport, uint8_t ttl, uint8_t tos,
		      const uint8_t *vxlan, size_t len)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint8_t *b, *udp;
	bool v6 = src->family == AF_INET6;
	uint32_t sum;

	if (!cap || cap->p.point == IO_CAPTURE_INNER || len < VXLAN_HDR || len > SNAPLEN ||
	    !vtep_addr_is_set(src) || src->family != dst->family ||
	    !passes(cap, vxlan + VXLAN_HDR, len - VXLAN_HDR))
		return;
	b = cap->scratch;
	memcpy(b, macs, sizeof(macs));
	put16(b + 12, v6 ? 0x86dd : 0x0800);
	udp = b + 14 + outer_ip(b + 14, src, dst, ttl, tos, 8 + len);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0);
	memcpy(udp + 8, vxlan, len);
	/* IPv4: a zero UDP checksum, allowed (RFC 7348 5); IPv6 needs one
	 * (RFC 8200 8.1): over the pseudo-header (the addresses, the length
	 * and the protocol) and the datagram. */
	if (v6) {
		sum = sum16(0, b + 14 + 8, 32);
		sum = sum16(sum + 8 + (uint32_t)len + 17, udp, 8 + len);
		put16(udp + 6, (uint16_t)~sum ? (uint16_t)~sum : 0xffff);
	}
	write_packet(cap, b, (size_t)(udp + 8 + len - b));
}

int io_capture_check_filter(const char *filter, char *why, size_t whylen)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	struct bpf_program prog;
	int r = 0;

	if (!dead)
		return -ENOMEM;
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(why, whylen, "%s", pcap_geterr(dead));
		r = -EINVAL;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(dead);
	return r;
}

/* Open the file for writing without truncating it: an apply that fails
 * later must leave it as it was (and remove it if it did not exist). A FIFO
 * is opened without blocking, so that one with no reader is an error now
 * rather than a daemon stuck until one comes. */
static int prepare_file(struct io_capture *cap, char *why, size_t whylen)
{
	const int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	int fd;

	fd = open(cap->file, flags | O_CREAT | O_EXCL, 0666);
	cap->created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(cap->file, flags);
	if (fd >= 0)
		cap->fd = fd;   /* closed (and removed if created) by io_capture_close */
	if (fd < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int e = errno;

		snprintf(why, whylen, "'%s': %s", cap->file,
			 e == ENXIO ? "a FIFO with no reader" : strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

int io_capture_open(const struct io_capture_params *p, bool keep_file,
		    struct io_capture **ret_cap, char *why, size_t whylen)
{
	struct io_capture *cap = calloc(1, sizeof(*cap));

	if (!cap)
		return -ENOMEM;
	cap->fd = -1;
	cap->p = *p;
	cap->p.max_files = p->max_files ? p->max_files : 1;
	cap->file = strdup(p->file);
	cap->dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!cap->file || !cap->dead)
		goto err_nomem;
	if (p->filter && p->filter[0]) {
		if (pcap_compile(cap->dead, &cap->prog, p->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(why, whylen, "filter '%s': %s", p->filter,
				 pcap_geterr(cap->dead));
			io_capture_close(cap);
			return -EINVAL;
		}
		cap->has_prog = true;
	}
	if (!keep_file && prepare_file(cap, why, whylen) < 0) {
		int r = -errno;

		io_capture_close(cap);
		return r;
	}
	*ret_cap = cap;
	return 0;

err_nomem:
	io_capture_close(cap);
	return -ENOMEM;
}

int io_capture_start(struct io_capture *cap, char *why, size_t whylen)
{
	struct stat st;
	FILE *f;
	int e;

	if (!cap || cap->fd < 0)
		return 0;
	cap->created = false;           /* the capture's file now, even if this fails */
	if (fstat(cap->fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(cap->fd, 0) < 0)
		goto fail;
	f = fdopen(cap->fd, "w");
	if (!f)
		goto fail;
	cap->fd = -1;                   /* f owns it now */
	cap->dumper = pcap_dump_fopen(cap->dead, f);
	if (!cap->dumper) {
		snprintf(why, whylen, "'%s': %s", cap->file, pcap_geterr(cap->dead));
		fclose(f);
		return -EIO;
	}
	return 0;
fail:
	e = errno;
	snprintf(why, whylen, "'%s': %s", cap->file, strerror(e));
	return -e;
}

void io_capture_take_file(struct io_capture *to, struct io_capture *from)
{
	if (!to || !from || to->dumper)
		return;
	to->dumper = from->dumper;
	from->dumper = NULL;
}

void io_capture_flush(struct io_capture *cap)
{
	if (cap && cap->dumper)
		(void)pcap_dump_flush(cap->dumper);
}

void io_capture_close(struct io_capture *cap)
{
	if (!cap)
		return;
	if (cap->dumper)
		pcap_dump_close(cap->dumper);
	if (cap->fd >= 0) {             /* never started: as it was before */
		close(cap->fd);
		if (cap->created)
			(void)unlink(cap->file);
	}
	if (cap->has_prog)
		pcap_freecode(&cap->prog);
	if (cap->dead)
		pcap_close(cap->dead);
	free(cap->file);
	free(cap);
}

bool io_capture_writing(const struct io_capture *cap)
{
	return cap && cap->dumper;
}

bool io_capture_wants_inner(const struct io_capture *cap)
{
	return cap && cap->p.point != IO_CAPTURE_OUTER;
}

bool io_capture_wants_outer(const struct io_capture *cap)
{
	return cap && cap->p.point != IO_CAPTURE_INNER;
}

uint64_t io_capture_packets(const struct io_capture *cap)
{
	return cap ? cap->packets : 0;
}
