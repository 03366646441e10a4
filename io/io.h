/* SPDX-License-Identifier: MIT */
/*
 * io/ - owns every file descriptor and the io_uring: tap devices, underlay
 * UDP sockets, the signalfd, the ring, its provided-buffer rings and timers.
 * It hands completions to the daemon as small event records and carries out
 * sends and tap writes in batches. It never interprets a header beyond what
 * it needs to route a completion.
 */
#ifndef VTEP_IO_IO_H
#define VTEP_IO_IO_H

#include "../vtep.h"

/* ------------------------------------------------------------------ */
/* Taps (io/tap.c)                                                    */

struct io_tap {
	int fd;
	bool created;                   /* we created it (this run) */
	int ifindex;
	char name[VTEP_IFNAMSIZ];
	char netns[VTEP_NETNS_MAX];     /* "" = our own namespace */
	struct vtep_mac mac;            /* the tap's own address (not forwarded to) */
	bool vnet_hdr;                  /* IFF_VNET_HDR: a virtio_net_hdr leads every frame */
	unsigned int offload;           /* TUN_F_* bits the kernel accepted */
	bool multi_queue;               /* IFF_MULTI_QUEUE: io_tap_open_queue adds queues */
	int noqueue;                    /* created multi-queue: 0 given the noqueue qdisc,
					 * or the negative errno of the attempt */
};

/* Create the tap NAME (or attach to an existing one) in netns NETNS (""
 * = ours: for a named netns the device is created inside /run/netns/NETNS),
 * set its MTU and bring it up. With multi_queue it is made (or attached
 * as) a multi-queue tap when it can be; an existing tap is taken as it is
 * (multi_queue in *ret_tap tells). A multi-queue tap it creates gets the
 * noqueue root qdisc before it goes up (noqueue in *ret_tap tells how that
 * went). Offloads are probed from the richest set
 * down: IFF_VNET_HDR with CSUM|TSO4|TSO6|USO4|USO6, then CSUM|TSO4|TSO6,
 * then CSUM, then no offload, and last no virtio-net header at all. The
 * environment variable VTEP_TAP_OFFLOAD (0 = no vnet header, 1 = vnet
 * header only, 2 = CSUM, 3 = TSO, 4 = all) caps the ladder for testing. Returns 0 or a negative errno; *ret_tap is
 * written on success only. */
int io_tap_open(const char *name, const char *netns, unsigned int mtu, bool multi_queue,
		struct io_tap *ret_tap);
/* One more queue of a multi-queue tap (same flags and offloads), for a
 * packet worker. Returns the fd or a negative errno (-EINVAL: the tap has
 * one queue only). Closing the fd detaches the queue. */
int io_tap_open_queue(const struct io_tap *tap);
/* Close the fd; a tap we created disappears with it unless it was made
 * persistent (io_tap_set_persist), an attached one stays. */
void io_tap_close(struct io_tap *tap);
/* TUNSETPERSIST: a persistent tap outlives every fd on it (carrier off
 * while none is open), as `ip tuntap add` makes them. 0 or a negative errno. */
int io_tap_set_persist(struct io_tap *tap, bool on);
/* Not persistent any more, then closed: the device goes once no other fd
 * holds it (a worker's queue). */
void io_tap_delete(struct io_tap *tap);
/* Is there a device called NAME in NETNS ("" = ours) right now? A tap
 * deleted under us may come back (a hypervisor re-creating it). */
bool io_tap_present(const char *name, const char *netns);

enum {
	IO_TAP_OFFLOADS = 5,            /* csum tso4 tso6 uso4 uso6 */
	IO_TAP_OFFLOADS_STRLEN = 48,    /* io_tap_offloads_str, with its NUL */
};

/* The offloads the kernel accepted for TAP, in ladder order ("csum",
 * "tso4", "tso6", "uso4", "uso6"), into NAMES; returns how many. None with
 * a virtio-net header only, or with no header (tap->vnet_hdr false). */
size_t io_tap_offload_names(const struct io_tap *tap, const char *names[IO_TAP_OFFLOADS]);
/* The same as one string for a log line: "csum tso4 tso6 uso4 uso6",
 * "none" (the header only) or "none, no virtio-net header". */
const char *io_tap_offloads_str(const struct io_tap *tap, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Underlay (io/udp.c)                                                */

enum { IO_TX_SOCKETS = 8 };             /* source-port pool, RFC 7348 section 5 entropy */

struct io_underlay_params {
	struct vtep_addr local;
	const char *dev;                /* "" or NULL = interface owning local */
	uint16_t dstport;
	uint16_t srcport_min;
	uint16_t srcport_max;
	uint8_t ttl;
	uint8_t mcast_ttl;
	bool reuseport;                 /* SO_REUSEPORT on rx_fd: workers add their own */
	bool df_unset;                  /* IPv4: no DF, and still no fragmenting here */
};

struct io_underlay {
	int rx_fd;                      /* bound to local:dstport */
	int tx_fd[IO_TX_SOCKETS];       /* bound to local:srcport_min..max */
	uint16_t tx_port[IO_TX_SOCKETS];
	unsigned int n_tx;
	int ifindex;                    /* dev */
	char dev[VTEP_IFNAMSIZ];
	unsigned int mtu;               /* dev MTU */
	struct vtep_addr local;
	uint16_t dstport;
	uint8_t ttl;
	uint8_t mcast_ttl;
	bool reuseport;
	bool df_unset;
};

/* Opens and configures every underlay socket. Returns 0 or a negative errno
 * and writes a human-readable reason into why on failure. */
int io_underlay_open(const struct io_underlay_params *p, struct io_underlay *ret_ul,
		     char *why, size_t whylen);
void io_underlay_close(struct io_underlay *ul);
/* One more receive socket on local:dstport for a packet worker (the
 * underlay was opened with reuseport; the kernel spreads datagrams over
 * the sockets by their 4-tuple). Returns the fd or a negative errno. */
int io_underlay_rx_open(const struct io_underlay *ul);
/* A receive socket bound to group:dstport and joined on dev (the kernel then
 * speaks IGMP for us). Returns the fd or a negative errno. */
int io_group_join(const struct io_underlay *ul, const struct vtep_addr *group);
/* Leave the group and close the socket. */
void io_group_leave(const struct io_underlay *ul, int fd, const struct vtep_addr *group);
/* The path MTU the kernel holds for datagrams from us to dst (the route's,
 * or what ICMP from the underlay taught it); with df_unset, where routers
 * fragment and only the interface bounds a send, the MTU of dev: > 0, or a
 * negative errno. A few system calls: for the slow path only. */
int io_path_mtu(const struct io_underlay *ul, const struct vtep_addr *dst);
/* a:port as a socket address of a's family, into storage for either; its
 * length. ifindex scopes link-local (and node-local) IPv6 groups. */
socklen_t io_sockaddr(const struct vtep_addr *a, uint16_t port, int ifindex,
		      struct sockaddr_in6 *ret);
/* The address and port of an AF_INET or AF_INET6 socket address (other
 * families: family AF_UNSPEC, port 0). */
void io_sockaddr_addr(const struct sockaddr *sa, struct vtep_addr *ret, uint16_t *ret_port);
/* The interface name and MTU owning a local address (for the default dev). */
int io_addr_dev(const struct vtep_addr *local, char name[VTEP_IFNAMSIZ], unsigned int *ret_mtu);
/* Is local still assigned to an interface of ours? */
bool io_addr_present(const struct vtep_addr *local);

/* ------------------------------------------------------------------ */
/* Signals (io/sig.c)                                                 */

/*
 * Block HUP, INT, TERM, USR1, USR2 and CHLD (and ignore PIPE): from then
 * on they wait for the signalfd instead of ending the process. Called
 * before the pidfile is written, so that `vtep dump` or `vtep reload`
 * during a slow start is acted on once the daemon is up.
 */
int io_signals_block(void);
/* io_signals_block(), then a signalfd for those signals. */
int io_signalfd_open(void);

/* ------------------------------------------------------------------ */
/* The ring (io/ring.c)                                               */

struct io_ctx;

struct io_params {
	unsigned int sq_entries;        /* SQ depth; the CQ is 8 times it */
	unsigned int buf_size;          /* usable bytes per underlay receive buffer */
	unsigned int n_bufs;            /* underlay buffers, power of two <= 32768 */
	unsigned int tap_buf_size;      /* per tap read buffer (0: buf_size) */
	unsigned int tap_n_bufs;        /* tap buffers, power of two (0: n_bufs) */
	unsigned int max_ports;         /* taps + sockets that can be added */
};

enum io_port_kind {
	IO_PORT_TAP,
	IO_PORT_TAP_TX,                 /* a tap only written to (no reads armed) */
	IO_PORT_UDP,
	IO_PORT_SIGNAL,
	IO_PORT_CTL,                    /* a socket polled for input: IO_EV_CTL, and the
					 * caller reads it (the control socket) */
};

enum io_ev_kind {
	IO_EV_TAP_RX,                   /* a frame read from a tap */
	IO_EV_UDP_RX,                   /* a datagram on an underlay socket */
	IO_EV_SIGNAL,                   /* a signal from the signalfd */
	IO_EV_CTL,                      /* an IO_PORT_CTL socket is readable */
	IO_EV_TIMER,                    /* the periodic tick */
	IO_EV_PORT_ERROR,               /* a port's receive failed for good (tap gone) */
	IO_EV_TX_TOO_BIG,               /* a UDP send failed with EMSGSIZE: the path to
					 * src is narrower than seg_len bytes of payload */
	IO_EV_TX_ERROR,                 /* any other failed UDP send (port -1, src its
					 * destination), or a failed write to a tap port
					 * (a tap that is down: EIO) other than the tap
					 * gone (IO_EV_PORT_ERROR); error says why */
	IO_EV_BATCH_END,                /* every completion of this wait was handed over:
					 * what the caller holds back for batching goes
					 * now (it is submitted with the next io_run) */
};

struct io_event {
	enum io_ev_kind kind;
	int port;                       /* port id given by io_add_port */
	uint64_t cookie;                /* the caller's cookie for that port */
	uint8_t *data;                  /* payload; VTEP_HEADROOM writable bytes before it;
					 * IO_EV_TX_TOO_BIG: the send's first datagram,
					 * gathered in one piece (read only);
					 * IO_EV_TX_ERROR: the first piece of what failed
					 * (a send's starts with its VXLAN header, a tap
					 * write's with the frame or, on a vnet port, the
					 * virtio_net_hdr), read only */
	size_t len;
	size_t seg_len;                 /* IO_EV_TX_TOO_BIG: the size of its datagrams;
					 * IO_EV_TX_ERROR: the bytes of the send or write */
	unsigned int count;             /* IO_EV_TX_TOO_BIG, IO_EV_TX_ERROR: datagrams the
					 * send carried; 1 for a tap write (a GSO write's
					 * segments are told by its virtio_net_hdr) */
	const uint8_t *vnet;            /* IO_EV_TAP_RX on a vnet port: the virtio_net_hdr
					 * (IO_VNET_HLEN bytes, just before data), else NULL */
	uint16_t gso_size;              /* IO_EV_UDP_RX: UDP GRO segment size, 0 = one datagram */
	uint8_t tos;                    /* IO_EV_UDP_RX: the outer DS field (IPv4 TOS, IPv6
					 * Traffic Class), one for a whole GRO train (the
					 * kernel merges only datagrams that agree) */
	struct vtep_addr src;           /* IO_EV_UDP_RX: outer source address;
					 * IO_EV_TX_TOO_BIG, IO_EV_TX_ERROR: the destination */
	uint16_t src_port;
	int signo;                      /* IO_EV_SIGNAL */
	int error;                      /* IO_EV_PORT_ERROR, IO_EV_TX_ERROR: negative errno */
	unsigned int buf;               /* receive buffer handle, for io_send_* */
};

typedef void (*io_event_cb)(void *arg, const struct io_event *ev);

struct io_stats {
	uint64_t enters;                /* io_uring_enter calls (submit + wait) */
	uint64_t cqes;                  /* completions handled */
	uint64_t sqes;                  /* requests submitted */
	uint64_t no_buffers;            /* multishot receive ran out of buffers */
	uint64_t rearms;                /* multishot requests re-armed */
	uint64_t sq_full;               /* a request found the SQ full and flushed it */
	uint64_t tx_errors;             /* sends or tap writes that failed */
	uint64_t tx_short;              /* tap writes that wrote less than asked */
	uint64_t last_tx_error;         /* its negative errno */
	uint64_t gso_sends;             /* UDP sends carrying a UDP_SEGMENT train */
	uint64_t gso_off;               /* UDP GSO turned off after a send failed */
	uint64_t no_jobs;               /* a multi-part request found the pool empty */
	uint64_t gro_trains;            /* receives holding more than one datagram */
	uint64_t busy_polls;            /* busy-poll reaps that found nothing yet */
	uint64_t tx_too_big;            /* sends that failed with EMSGSIZE (in tx_errors) */
};

#define IO_NO_BUF UINT32_MAX            /* no receive buffer (io_job_new) */
#define IO_HDR_MAX 192                  /* header bytes io_send_udp_hdr copies */
#define IO_VNET_HLEN 10                 /* struct virtio_net_hdr, the default size */
#define IO_UDP_MAX_PAYLOAD 65507        /* largest UDP payload (IPv4) = largest GSO train */
#define IO_UDP_MAX_SEGS 64              /* segments per GSO train (UDP_MAX_SEGMENTS >= 64) */
/* A multishot recvmsg buffer is struct io_uring_recvmsg_out (16 bytes), the
 * source address in msg_namelen bytes, the control messages, the payload.
 * The first struct cmsghdr sits right after the address room, so that room
 * must keep it aligned: sizeof(struct sockaddr_in6) (28) rounded up to 8. */
#define IO_RECV_NAMELEN 32
#define IO_RECV_CMSG_SPACE 64           /* room for the UDP_GRO and IP_TOS/IPV6_TCLASS cmsgs */
#define IO_RECV_OUT_LEN 16              /* sizeof(struct io_uring_recvmsg_out) */
/* Where a receive buffer starts in its slot (slots are 64-byte aligned).
 * The kernel's copies into a buffer run about 20% faster when the bulk of
 * it starts on a 64-byte boundary (a 64 KiB UDP GRO train: 2.75 -> 2.30 us
 * here), so the tap group leaves the virtio-net header just in front of
 * one and the frame on it, and the underlay group puts the payload, after
 * the recvmsg header, address and cmsg room, on one. Both keep at least
 * VTEP_HEADROOM bytes in front of the data. */
#define IO_TAP_LEAD (VTEP_HEADROOM + 64 - IO_VNET_HLEN)
#define IO_UDP_LEAD (VTEP_HEADROOM + 16)

int io_ctx_new(const struct io_params *params, struct io_ctx **ret_ctx);
/* Cancels everything in flight, waits for it and frees; fds stay open (the
 * caller closes them through io_tap_close and friends). NULL is fine. */
void io_ctx_free(struct io_ctx *ctx);

/* Start receiving on fd (multishot, re-armed as needed). Returns a port id
 * >= 0 or a negative errno. The cookie comes back in every event. */
int io_add_port(struct io_ctx *ctx, enum io_port_kind kind, int fd, uint64_t cookie);
/* Stop receiving on a port; completions still in flight are discarded. */
void io_del_port(struct io_ctx *ctx, int port);
/* A periodic IO_EV_TIMER every interval_ms. */
int io_set_tick(struct io_ctx *ctx, unsigned int interval_ms);

/*
 * Queue a write of data[0..len) to a tap port, or a send to dst:dstport
 * through underlay socket fd with outer DS field tos (0: the socket's, which
 * is 0). data must lie inside the receive buffer named by buf (it stays
 * referenced until the request completes). Sends go out with the next
 * io_run. Returns 0, or a negative errno when nothing could be queued
 * (counted by the caller).
 */
int io_write_tap(struct io_ctx *ctx, int port, unsigned int buf, const uint8_t *data, size_t len);
int io_send_udp(struct io_ctx *ctx, int fd, const struct vtep_addr *dst, uint16_t dstport,
		uint8_t tos, unsigned int buf, const uint8_t *data, size_t len);
/* The same for a frame built by the caller (an ARP reply): it is copied. */
int io_write_tap_copy(struct io_ctx *ctx, int port, const uint8_t *data, size_t len);
/* A datagram of a header built by the caller (copied; at most IO_HDR_MAX
 * bytes) followed by data[0..len) inside receive buffer buf: a segment of
 * a super-frame sent on its own (UDP GSO off). */
int io_send_udp_hdr(struct io_ctx *ctx, int fd, const struct vtep_addr *dst, uint16_t dstport,
		    uint8_t tos, const uint8_t *hdr, size_t hlen, unsigned int buf,
		    const uint8_t *data, size_t len);

/* A tap port's frames carry a virtio_net_hdr (the tap had IFF_VNET_HDR).
 * io_write_tap and io_write_tap_copy add a zeroed one by themselves. */
bool io_port_vnet(const struct io_ctx *ctx, int port);
/* Write vnet (IO_VNET_HLEN bytes, copied) then data to a vnet tap port:
 * GSO pass-through. Without a vnet header on the port: -EOPNOTSUPP. */
int io_write_tap_vnet(struct io_ctx *ctx, int port, unsigned int buf, const uint8_t *vnet,
		      const uint8_t *data, size_t len);

/*
 * Multi-part requests: a UDP send (a UDP_SEGMENT train) or a tap write made
 * of header blocks written by the caller into the job and slices of one
 * receive buffer (referenced until completion, as for io_send_udp). Build
 * with io_job_hdr/io_job_add in wire order, then submit with
 * io_job_send_udp or io_job_write_tap (which consume the job either way),
 * or drop it with io_job_abort. Datapath-safe; NULL when the pool is empty.
 */
struct io_job;
enum {
	IO_JOB_IOVS = 2 * IO_UDP_MAX_SEGS + 2,
	IO_JOB_ARENA = 10240,
	IO_JOB_BUFS = IO_UDP_MAX_SEGS + 1,      /* receive buffers one job can hold */
};
/* buf may be IO_NO_BUF (the pieces come from io_job_add_buf only). */
struct io_job *io_job_new(struct io_ctx *ctx, unsigned int buf);
/* len bytes of header room appended as the next piece, or NULL when the
 * arena or the iovec array is full. */
uint8_t *io_job_hdr(struct io_job *job, size_t len);
/* Is there room for pieces more pieces, hdr bytes of them header room? */
bool io_job_fits(const struct io_job *job, unsigned int pieces, size_t hdr);
/* Append data[0..len) (inside the job's buffer); false when full. */
bool io_job_add(struct io_job *job, const uint8_t *data, size_t len);
/* Append data[0..len) from receive buffer buf, which the job then holds
 * too (frames of several receives in one request); false when full. */
bool io_job_add_buf(struct io_ctx *ctx, struct io_job *job, unsigned int buf,
		    const uint8_t *data, size_t len);
/* gso_size 0: one datagram; else every gso_size bytes are one datagram.
 * tos: the outer DS field of them all. */
int io_job_send_udp(struct io_ctx *ctx, struct io_job *job, int fd, const struct vtep_addr *dst,
		    uint16_t dstport, uint16_t gso_size, uint8_t tos);
/* The pieces are written as they are (the caller put the vnet header first
 * on a vnet port). */
int io_job_write_tap(struct io_ctx *ctx, struct io_job *job, int port);
void io_job_abort(struct io_ctx *ctx, struct io_job *job);
/* Keep receive buffer buf (an event's) past its event, until released:
 * for a frame held back to be merged with later ones. */
void io_buf_hold(struct io_ctx *ctx, unsigned int buf);
void io_buf_release(struct io_ctx *ctx, unsigned int buf);
/* False once a UDP_SEGMENT send failed for good (EIO/EINVAL): then send one
 * datagram per request. VTEP_UDP_GSO=0 in the environment starts it off. */
bool io_udp_gso(const struct io_ctx *ctx);

/* Busy polling (config key busy_poll): for up to us microseconds after the
 * last completion, io_run reaps without sleeping. 0 (the default) sleeps
 * at once. */
void io_set_busy_poll(struct io_ctx *ctx, unsigned int us);

/* Submit what is queued, wait for at least one completion (or timeout_ms),
 * and hand every completion to cb. Returns the number of events or a
 * negative errno (-EINTR and -ETIME are not errors). */
int io_run(struct io_ctx *ctx, unsigned int timeout_ms, io_event_cb cb, void *arg);

void io_get_stats(const struct io_ctx *ctx, struct io_stats *ret_stats);
/* Taps are read by multishot reads (Linux 6.7 and later), not by single
 * reads re-armed each time; false also once a multishot read was refused. */
bool io_tap_reads_multishot(const struct io_ctx *ctx);

#endif /* VTEP_IO_IO_H */
