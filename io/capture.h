/* SPDX-License-Identifier: MIT */
/*
 * io/capture - packet capture to pcap files with libpcap: inner Ethernet
 * frames (tap side, decapsulated) and/or the outer IPv4/UDP/VXLAN packets,
 * in one Ethernet-linktype file that tcpdump and tshark decode as VXLAN on
 * port 4789. A BPF filter is applied to the inner frame (pcap_offline_filter)
 * whatever the point; the file rotates at a size limit. A debugging aid: its
 * writes go through stdio, not the ring.
 */
#ifndef VTEP_IO_CAPTURE_H
#define VTEP_IO_CAPTURE_H

#include "../vtep.h"

struct io_capture;

enum io_capture_point {
	IO_CAPTURE_INNER = 0,
	IO_CAPTURE_OUTER,
	IO_CAPTURE_BOTH,
};

struct io_capture_params {
	const char *file;
	const char *filter;             /* pcap-filter(7), NULL or "" = everything */
	enum io_capture_point point;
	uint64_t max_size;              /* bytes before rotating, 0 = never */
	uint32_t max_files;             /* FILE, FILE.1 ... FILE.(max_files-1) */
};

/* Whether libpcap compiles filter (pcap-filter(7)) for Ethernet frames: 0,
 * or -EINVAL with libpcap's reason in why. */
int io_capture_check_filter(const char *filter, char *why, size_t whylen);

/* Compile the filter and open the file for writing, creating it if it does
 * not exist, but leaving what it holds: io_capture_start() truncates it and
 * starts writing; closed before that, the file stays as it was (removed if
 * this call created it). 0, or a negative errno with the reason in why;
 * *ret_cap written on success only. With keep_file the file is not even
 * opened: io_capture_take_file() then gives the capture the open file of a
 * running one (a reload that changes the filter of a capture to the same
 * file must not truncate it, nor touch it at all if it fails). */
int io_capture_open(const struct io_capture_params *p, bool keep_file,
		    struct io_capture **ret_cap, char *why, size_t whylen);
/* Truncate the file io_capture_open() opened and start writing pcap to it.
 * 0 (also for NULL, or a capture opened with keep_file), or a negative
 * errno with the reason in why: the capture then writes nothing. */
int io_capture_start(struct io_capture *cap, char *why, size_t whylen);
/* Hand from's open file over to to (opened with keep_file): to writes on
 * where from stopped; from writes nothing more. */
void io_capture_take_file(struct io_capture *to, struct io_capture *from);
/* Flush and close; NULL is fine. */
void io_capture_close(struct io_capture *cap);
void io_capture_flush(struct io_capture *cap);

/* Whether it has a file open to write to (a start or a rotation may have
 * failed to open one). */
bool io_capture_writing(const struct io_capture *cap);
bool io_capture_wants_inner(const struct io_capture *cap);
bool io_capture_wants_outer(const struct io_capture *cap);

/* An inner Ethernet frame, if it passes the filter. */
void io_capture_inner(struct io_capture *cap, const uint8_t *frame, size_t len);

/* An outer packet src:sport -> dst:dport carrying the UDP payload vxlan
 * (VXLAN header + inner frame), if the inner frame passes the filter. The
 * IPv4 and UDP headers are rebuilt for the file (the kernel builds the real
 * ones); ttl is the outer TTL, tos its DS field. */
void io_capture_outer(struct io_capture *cap, const struct vtep_addr *src, uint16_t sport,
		      const struct vtep_addr *dst, uint16_t dport, uint8_t ttl, uint8_t tos,
		      const uint8_t *vxlan, size_t len);

/* Packets written and files rotated so far. */
uint64_t io_capture_packets(const struct io_capture *cap);

#endif /* VTEP_IO_CAPTURE_H */
