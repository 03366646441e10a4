/* SPDX-License-Identifier: MIT */
/*
 * vtep.h - core types shared by every module of vtep: addresses, MACs, VNIs,
 * limits, drop reasons and counters, and the logging API (implemented in
 * log.c). System headers only; conf/, proto/ and io/ include this and their
 * own headers, never each other's.
 */
#ifndef VTEP_VTEP_H
#define VTEP_VTEP_H

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define VTEP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VTEP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VTEP_MAX(a, b) ((a) > (b) ? (a) : (b))

/* One place for every fixed limit (WireGuard's enum limits). */
enum vtep_limits {
	VTEP_VNI_MAX = 0xffffff,        /* 24-bit VNI, RFC 7348 section 5 */
	VTEP_PORT_DEFAULT = 4789,       /* IANA VXLAN port, RFC 7348 section 5 */
	VTEP_MAX_VNIS = 4096,           /* VNIs per instance */
	VTEP_MAX_TAPS = 1024,           /* taps per instance */
	VTEP_TAP_MACS = 8,              /* source MACs a tap may be pinned to (key macs) */
	VTEP_TAP_IPS = 8,               /* and source IP addresses (key ips) */
	VTEP_VLAN_IDS = 4096,           /* 802.1Q VIDs 0..4095 (1..4094 usable) */
	VTEP_MAX_PEERS = 1024,          /* head-end replication peers per VNI */
	VTEP_MAX_ALLOW = 1024,          /* allow prefixes */
	VTEP_MAX_CPUS = 1024,           /* cpus: CPU numbers 0..1023 (CPU_SETSIZE) */
	VTEP_MAX_STATIC = 65536,        /* static FDB or ARP entries per VNI */
	VTEP_IFNAMSIZ = 16,             /* IFNAMSIZ, without pulling net/if.h */
	VTEP_NETNS_MAX = 64,            /* length of a netns name, with NUL */
	VTEP_MTU_MIN = 576,
	VTEP_MTU_MAX = 9000,
	VTEP_FRAME_MAX = 65550,         /* largest inner frame incl. virtio-net header */
	VTEP_HEADROOM = 128,            /* room before a frame for outer headers */
	VTEP_ADDR_STRLEN = 46,          /* INET6_ADDRSTRLEN */
	VTEP_MAC_STRLEN = 18,           /* "xx:xx:xx:xx:xx:xx" + NUL */
};

/* ------------------------------------------------------------------ */
/* Packet fields                                                      */

/* Big-endian fields of packets, which carry no alignment guarantee. */
static inline uint16_t vtep_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline uint32_t vtep_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline void vtep_wr16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void vtep_wr32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

/* Two optional strings (NULL: not given) are the same. */
static inline bool vtep_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ------------------------------------------------------------------ */
/* MAC addresses                                                      */

struct vtep_mac {
	uint8_t b[6];
};

static inline bool vtep_mac_eq(const struct vtep_mac *a, const struct vtep_mac *b)
{
	return memcmp(a->b, b->b, 6) == 0;
}

/* Group bit: multicast, including broadcast. */
static inline bool vtep_mac_is_multicast(const struct vtep_mac *m)
{
	return (m->b[0] & 0x01) != 0;
}

static inline bool vtep_mac_is_broadcast(const struct vtep_mac *m)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return memcmp(m->b, bc, 6) == 0;
}

static inline bool vtep_mac_is_zero(const struct vtep_mac *m)
{
	static const uint8_t z[6];

	return memcmp(m->b, z, 6) == 0;
}

/* A MAC we may learn or configure as a static entry: unicast, not all-zero. */
static inline bool vtep_mac_is_valid_unicast(const struct vtep_mac *m)
{
	return !vtep_mac_is_multicast(m) && !vtep_mac_is_zero(m);
}

static inline int vtep_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse "xx:xx:xx:xx:xx:xx" (also '-' separated); exactly two hex digits per
 * octet, nothing trailing. Returns 0 or -EINVAL; writes ret_mac on success. */
static inline int vtep_mac_parse(const char *s, struct vtep_mac *ret_mac)
{
	struct vtep_mac m;
	char sep = 0;

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = vtep_hexval(s[0]);
		int lo = hi < 0 ? -1 : vtep_hexval(s[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		m.b[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i == 5)
			break;
		if (*s != ':' && *s != '-')
			return -EINVAL;
		if (sep && *s != sep)
			return -EINVAL;
		sep = *s++;
	}
	if (*s != '\0')
		return -EINVAL;
	*ret_mac = m;
	return 0;
}

/* Format as lowercase "xx:xx:xx:xx:xx:xx"; returns buf. */
static inline char *vtep_mac_fmt(const struct vtep_mac *m, char buf[VTEP_MAC_STRLEN])
{
	snprintf(buf, VTEP_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m->b[0], m->b[1], m->b[2], m->b[3], m->b[4], m->b[5]);
	return buf;
}

/* ------------------------------------------------------------------ */
/* IP addresses: family-neutral so an IPv6 underlay can follow.        */

struct vtep_addr {
	sa_family_t family;             /* AF_INET, AF_INET6, or AF_UNSPEC (none) */
	union {
		struct in_addr v4;      /* network byte order */
		struct in6_addr v6;
	};
};

struct vtep_prefix {
	struct vtep_addr addr;          /* host bits cleared */
	uint8_t len;
};

static inline bool vtep_addr_is_set(const struct vtep_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

/* Bytes of the outer IP and UDP headers of a VXLAN datagram from or to an
 * underlay address of a's family. */
static inline unsigned int vtep_outer_hlen(const struct vtep_addr *a)
{
	return (a->family == AF_INET6 ? 40u : 20u) + 8u;
}

static inline bool vtep_addr_eq(const struct vtep_addr *a, const struct vtep_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
	return true;
}

static inline struct vtep_addr vtep_addr_v4(uint32_t be_addr)
{
	struct vtep_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.v4.s_addr = be_addr;
	return a;
}

/* Parse a numeric IPv4 or IPv6 address (no names). 0 or -EINVAL. */
static inline int vtep_addr_parse(const char *s, struct vtep_addr *ret_addr)
{
	struct vtep_addr a;

	if (!s)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.v4) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a.v6) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	*ret_addr = a;
	return 0;
}

static inline char *vtep_addr_fmt(const struct vtep_addr *a, char buf[VTEP_ADDR_STRLEN])
{
	if (!vtep_addr_is_set(a) ||
	    !inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 :
		       (const void *)&a->v6, buf, VTEP_ADDR_STRLEN))
		snprintf(buf, VTEP_ADDR_STRLEN, "none");
	return buf;
}

static inline bool vtep_addr_is_multicast(const struct vtep_addr *a)
{
	if (a->family == AF_INET)
		return (be32toh(a->v4.s_addr) & 0xf0000000u) == 0xe0000000u;
	if (a->family == AF_INET6)
		return a->v6.s6_addr[0] == 0xff;
	return false;
}

/* A usable unicast host address: not unspecified, multicast or limited
 * broadcast. Loopback is accepted, as the kernel accepts it. */
static inline bool vtep_addr_is_unicast(const struct vtep_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t h = be32toh(a->v4.s_addr);

		return h != 0 && h != 0xffffffffu && (h & 0xf0000000u) < 0xe0000000u;
	}
	if (a->family == AF_INET6)
		return !IN6_IS_ADDR_UNSPECIFIED(&a->v6) && a->v6.s6_addr[0] != 0xff;
	return false;
}

static inline void vtep_prefix_mask(struct vtep_addr *a, unsigned int len)
{
	uint8_t *p = a->family == AF_INET ? (uint8_t *)&a->v4 : a->v6.s6_addr;
	unsigned int bytes = a->family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int bits = len > i * 8 ? len - i * 8 : 0;

		if (bits < 8)
			p[i] &= (uint8_t)(0xff00u >> bits);
	}
}

/* Parse "ADDR/LEN" or a bare "ADDR" (a host prefix). Host bits set under the
 * mask are an error, as in iproute2's strict mode. 0 or -EINVAL. */
static inline int vtep_prefix_parse(const char *s, struct vtep_prefix *ret_prefix)
{
	char buf[VTEP_ADDR_STRLEN + 8];
	struct vtep_prefix p;
	const char *slash;
	unsigned long len;
	char *end;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(s, '/');
	if (slash)
		buf[slash - s] = '\0';
	if (vtep_addr_parse(buf, &p.addr) < 0)
		return -EINVAL;
	len = p.addr.family == AF_INET ? 32 : 128;
	if (slash) {
		unsigned long max = len;

		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > max)
			return -EINVAL;
	}
	p.len = (uint8_t)len;
	{
		struct vtep_addr masked = p.addr;

		vtep_prefix_mask(&masked, p.len);
		if (!vtep_addr_eq(&masked, &p.addr))
			return -EINVAL;
	}
	*ret_prefix = p;
	return 0;
}

static inline bool vtep_prefix_contains(const struct vtep_prefix *p, const struct vtep_addr *a)
{
	struct vtep_addr masked = *a;

	if (a->family != p->addr.family)
		return false;
	vtep_prefix_mask(&masked, p->len);
	return vtep_addr_eq(&masked, &p->addr);
}

/* ------------------------------------------------------------------ */
/* Drop reasons and counters (names are the dump contract, DESIGN.md 6) */

enum vtep_drop {
	VTEP_DROP_NONE = 0,
	VTEP_DROP_MALFORMED,            /* truncated or unparseable */
	VTEP_DROP_BAD_FLAGS,            /* I flag clear, or reserved bits under "drop" */
	VTEP_DROP_UNKNOWN_VNI,
	VTEP_DROP_NOT_ALLOWED,          /* underlay source outside allow */
	VTEP_DROP_FDB_FULL,             /* learning refused: maxaddress reached */
	VTEP_DROP_LOOP,                 /* inner source is one of our local MACs */
	VTEP_DROP_TOO_BIG,              /* over the tap MTU, never fragmented */
	VTEP_DROP_BAD_SRC_MAC,          /* multicast or all-zero source MAC */
	VTEP_DROP_NO_DEST,              /* nowhere to send (e.g. flood with no port) */
	VTEP_DROP_BUM_RATE,             /* per-tap BUM rate limit */
	VTEP_DROP_ARP_FULL,             /* ARP/ND cache full, snooping refused */
	VTEP_DROP_NO_BUFFER,            /* no buffer or SQE for the packet */
	VTEP_DROP_TX_ERROR,             /* send or tap write failed */
	VTEP_DROP_MOVE_FROZEN,          /* MAC frozen by move damping */
	VTEP_DROP_ECN,                  /* outer CE, inner not ECN-capable (RFC 6040) */
	VTEP_DROP_SPOOFED,              /* source MAC or IP not among its tap's macs, ips */
	VTEP_DROP_VLAN,                 /* from a trunk tap, in a VLAN it does not carry */
	VTEP_DROP_MAX,
};

static inline const char *vtep_drop_name(enum vtep_drop d)
{
	static const char *const names[] = {
		[VTEP_DROP_NONE] = "none",
		[VTEP_DROP_MALFORMED] = "malformed",
		[VTEP_DROP_BAD_FLAGS] = "bad_flags",
		[VTEP_DROP_UNKNOWN_VNI] = "unknown_vni",
		[VTEP_DROP_NOT_ALLOWED] = "not_allowed",
		[VTEP_DROP_FDB_FULL] = "fdb_full",
		[VTEP_DROP_LOOP] = "loop",
		[VTEP_DROP_TOO_BIG] = "too_big",
		[VTEP_DROP_BAD_SRC_MAC] = "bad_src_mac",
		[VTEP_DROP_NO_DEST] = "no_dest",
		[VTEP_DROP_BUM_RATE] = "bum_rate",
		[VTEP_DROP_ARP_FULL] = "arp_full",
		[VTEP_DROP_NO_BUFFER] = "no_buffer",
		[VTEP_DROP_TX_ERROR] = "tx_error",
		[VTEP_DROP_MOVE_FROZEN] = "move_frozen",
		[VTEP_DROP_ECN] = "ecn",
		[VTEP_DROP_SPOOFED] = "spoofed",
		[VTEP_DROP_VLAN] = "vlan",
	};
	_Static_assert(VTEP_ARRAY_SIZE(names) == VTEP_DROP_MAX, "drop name table");

	return (unsigned int)d < VTEP_DROP_MAX ? names[d] : "unknown";
}

/* Per-VNI and per-instance counters. Field names are the dump's names. */
struct vtep_counters {
	uint64_t rx_packets;            /* frames received (tap or underlay) */
	uint64_t tx_packets;            /* frames sent (tap or underlay copies) */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t flooded;               /* BUM frames flooded */
	uint64_t arp_suppressed;        /* ARP requests answered locally */
	uint64_t nd_suppressed;         /* neighbour solicitations answered locally */
	uint64_t learned;               /* new FDB entries */
	uint64_t moved;                 /* FDB entries that changed location */
	uint64_t aged;                  /* FDB entries expired */
	uint64_t arp_learned;           /* new ARP/ND cache entries (snooped) */
	uint64_t arp_moved;             /* snooped IP -> MAC bindings that changed */
	uint64_t arp_aged;              /* ARP/ND cache entries expired */
	uint64_t arp_conflicts;         /* announcements contradicting a static entry */
	uint64_t flushed;               /* FDB entries removed by `vtep flush` */
	uint64_t arp_flushed;           /* ARP/ND cache entries removed by `vtep flush` */
	uint64_t inner_csum_bad;        /* lone datagrams whose inner TCP/UDP checksum
					 * is wrong (forwarded anyway) */
	uint64_t icmp_too_big;          /* ICMP too-big answers to frames the underlay
					 * path could not take (dropped as too_big) */
	uint64_t fragmented;            /* IPv4 frames without DF too big for the
					 * underlay path, sent as fragments */
	uint64_t ecn_marked;            /* frames whose outer packet came marked CE,
					 * the mark carried onto the inner packet */
	uint64_t drops[VTEP_DROP_MAX];
};

/* Per-tap counters, in the words of `ip -s link`. */
struct vtep_tap_counters {
	uint64_t rx_packets;            /* frames read from the tap (sent by the VM) */
	uint64_t rx_bytes;
	uint64_t tx_packets;            /* frames written to the tap (to the VM) */
	uint64_t tx_bytes;
	uint64_t rx_dropped;
	uint64_t tx_dropped;
};

/* ------------------------------------------------------------------ */
/* Configuration enums shared by conf/ and the daemon                  */

/* The configured outer DS field (key tos): a DSCP shifted left by two
 * (0..252, ECN bits clear), or one of these. */
#define VTEP_TOS_INHERIT (-1)           /* the inner packet's DSCP */
#define VTEP_TOS_UNSET (-2)             /* a VNI without tos: the global one */
#define VTEP_TOS_STRLEN 8

/* "inherit", or the value in hex ("0xb8"). */
static inline const char *vtep_tos_str(int tos, char *buf, size_t len)
{
	if (tos == VTEP_TOS_INHERIT)
		return "inherit";
	snprintf(buf, len, "0x%02x", (unsigned int)tos & 0xff);
	return buf;
}

enum vtep_flood {
	VTEP_FLOOD_AUTO = 0,
	VTEP_FLOOD_MULTICAST,
	VTEP_FLOOD_UNICAST,
	VTEP_FLOOD_LOCAL,               /* effective mode only: no group, no peers */
	VTEP_FLOOD_MAX,
};

static inline const char *vtep_flood_name(enum vtep_flood f)
{
	static const char *const names[] = {
		[VTEP_FLOOD_AUTO] = "auto",
		[VTEP_FLOOD_MULTICAST] = "multicast",
		[VTEP_FLOOD_UNICAST] = "unicast",
		[VTEP_FLOOD_LOCAL] = "local",
	};
	_Static_assert(VTEP_ARRAY_SIZE(names) == VTEP_FLOOD_MAX, "flood name table");

	return (unsigned int)f < VTEP_FLOOD_MAX ? names[f] : "unknown";
}

/* ------------------------------------------------------------------ */
/* Logging (log.c). Levels are syslog priorities.                      */

enum vtep_log_level {
	VTEP_LOG_ERR = 3,
	VTEP_LOG_WARNING = 4,
	VTEP_LOG_NOTICE = 5,
	VTEP_LOG_INFO = 6,
	VTEP_LOG_DEBUG = 7,
};

void vtep_log_init(int verbosity);
bool vtep_log_enabled(enum vtep_log_level level);
void vtep_log(enum vtep_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* err is a negative errno; its text is appended after ": ". */
void vtep_log_errno(enum vtep_log_level level, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Startup only: log at error level and exit(status). */
void vtep_fatal(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#define log_error(...) vtep_log(VTEP_LOG_ERR, __VA_ARGS__)
#define log_warning(...) vtep_log(VTEP_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) vtep_log(VTEP_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) vtep_log(VTEP_LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { \
		if (vtep_log_enabled(VTEP_LOG_DEBUG)) \
			vtep_log(VTEP_LOG_DEBUG, __VA_ARGS__); \
	} while (0)
#define log_error_errno(err, ...) vtep_log_errno(VTEP_LOG_ERR, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) vtep_log_errno(VTEP_LOG_WARNING, (err), __VA_ARGS__)

#endif /* VTEP_VTEP_H */
