/* SPDX-License-Identifier: MIT */
/*
 * conf/ - reads a libconfig file (or string) into a freshly allocated,
 * validated struct vtep_conf made only of vtep.h types. No side effects: it
 * never touches running state and never logs. The schema is DESIGN.md 3.
 */
#ifndef VTEP_CONF_CONF_H
#define VTEP_CONF_CONF_H

#include "../vtep.h"

enum conf_reserved_bits {
	CONF_RESERVED_DROP = 0,         /* as Linux, OVS, VPP */
	CONF_RESERVED_IGNORE,           /* RFC 7348 section 5 receive rule */
};

enum conf_df {
	CONF_DF_SET = 0,                /* outer IPv4 DF set (RFC 7348 4.3) */
	CONF_DF_UNSET,                  /* clear: underlay routers may fragment */
};

enum conf_capture_point {
	CONF_CAPTURE_INNER = 0,         /* inner Ethernet frames (tap side) */
	CONF_CAPTURE_OUTER,             /* outer IPv4/UDP/VXLAN packets */
	CONF_CAPTURE_BOTH,
};

struct conf_tap {
	char name[VTEP_IFNAMSIZ];
	char netns[VTEP_NETNS_MAX];     /* "" = stay in our namespace */
	uint16_t vlan;                  /* 802.1Q VID of a trunk's sub-port; 0 = untagged */
	struct vtep_mac macs[VTEP_TAP_MACS];    /* the only source MACs taken from it */
	size_t n_macs;                  /* 0 = any */
	struct vtep_addr ips[VTEP_TAP_IPS];     /* the only IP addresses it may claim */
	size_t n_ips;                   /* 0 = any */
	const char *file;               /* file that declared it (owned by conf) */
	int line;
};

struct conf_fdb {
	struct vtep_mac mac;
	struct vtep_addr remote;
	const char *file;
	int line;
};

struct conf_arp {
	struct vtep_addr ip;            /* IPv4 or IPv6 neighbour */
	struct vtep_mac mac;
	const char *file;
	int line;
};

struct conf_vni {
	uint32_t vni;
	bool has_group;
	struct vtep_addr group;
	enum vtep_flood flood;          /* as configured: auto, multicast or unicast */
	struct vtep_addr *peers;
	size_t n_peers;
	struct conf_tap *taps;
	size_t n_taps;
	struct conf_fdb *fdb;
	size_t n_fdb;
	struct conf_arp *arp;
	size_t n_arp;
	int16_t tos;                    /* VTEP_TOS_UNSET: the global tos */
	uint32_t maxaddress;            /* learned FDB entries of this VNI; 0 = only the global cap */
	uint32_t arp_max;               /* snooped ARP/ND entries of this VNI; 0 = only the global cap */
	int8_t learning;                /* 0 or 1; -1: the global learning */
	int8_t arp_suppress;            /* 0 or 1; -1: the global arp_suppress */
	int64_t bum_rate;               /* packets/s per tap, 0 = off; -1: the global bum_rate */
	const char *file;
	int line;
};

struct conf_capture {
	bool enabled;                   /* a capture group was given */
	char *file;
	char *filter;                   /* BPF, applied to the inner frame; NULL = all */
	const char *filter_file;        /* where filter was given, for errors that */
	int filter_line;                /* libpcap finds (vtep.c, check_capture) */
	int file_line;                  /* where file was given (in filter_file), for
					 * errors opening it */
	enum conf_capture_point point;
	uint64_t max_size;              /* bytes before rotation, 0 = unlimited */
	uint32_t max_files;             /* rotated files kept */
};

struct vtep_conf {
	char *path;                     /* main file, as given */
	struct vtep_addr local;
	char dev[VTEP_IFNAMSIZ];        /* "" = the interface owning local */
	uint16_t dstport;
	uint16_t srcport_min;
	uint16_t srcport_max;
	uint8_t ttl;
	uint8_t mcast_ttl;
	int16_t tos;                    /* outer DSCP << 2, or VTEP_TOS_INHERIT */
	enum conf_df df;
	uint16_t mtu;                   /* 0 = underlay MTU - 50 */
	bool learning;
	uint32_t ageing;                /* seconds */
	uint32_t maxaddress;
	enum conf_reserved_bits reserved_bits;
	bool arp_suppress;
	bool persist_taps;              /* taps we create outlive the daemon */
	uint32_t arp_ageing;            /* seconds */
	uint32_t arp_max;
	uint32_t workers;
	uint32_t busy_poll;              /* microseconds, 0 = never spin */
	uint16_t *cpus;                 /* worker i runs on cpus[i % n_cpus] */
	size_t n_cpus;                  /* 0 = not pinned */
	int cpus_line;                  /* of cpus in the main file */
	uint32_t bum_rate;              /* packets/s per tap, 0 = off */
	uint32_t move_limit;            /* move damping: moves ... */
	uint32_t move_window;           /* ... within this many seconds ... */
	uint32_t move_hold;             /* ... freeze the MAC this long (seconds) */
	char *metrics;                  /* NULL = none */
	char *include_dir;              /* NULL = none */
	struct vtep_prefix *allow;
	size_t n_allow;                 /* 0 = per-VNI default (DESIGN.md 3) */
	char *pidfile;
	char *dumpdir;
	struct conf_capture capture;
	struct conf_vni *vnis;
	size_t n_vnis;
	char **files;                   /* every file read (main + drop-ins), owned */
	size_t n_files;
};

/*
 * Parse and validate. On success returns 0 and stores a new conf in
 * *ret_conf (free with conf_free). On failure returns a negative errno
 * (-EINVAL for configuration errors, -ENOENT/-EACCES... when the main file
 * cannot be read) and writes every problem, one "FILE:LINE: message" per
 * line, newline-terminated, into errbuf (truncated to errlen). *ret_conf is
 * left untouched on failure. include_dir drop-ins are read as part of it.
 */
int conf_load_file(const char *path, struct vtep_conf **ret_conf, char *errbuf, size_t errlen);

/* The same from a string; name is used as FILE in messages. include_dir, if
 * set in the text, is read from the file system. */
int conf_load_string(const char *text, const char *name, struct vtep_conf **ret_conf,
		     char *errbuf, size_t errlen);

void conf_free(struct vtep_conf *conf);

/* Lookup helpers for the daemon and reload diff. */
const struct conf_vni *conf_find_vni(const struct vtep_conf *conf, uint32_t vni);

#endif /* VTEP_CONF_CONF_H */
