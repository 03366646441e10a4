/* SPDX-License-Identifier: MIT */
/*
 * io/ring.c - the io_uring engine: one ring, two provided-buffer rings (one
 * for tap reads, one for underlay receives), multishot receives re-armed
 * when they end, tap writes and UDP sends queued in batches that go out with
 * the next wait, a periodic tick, and reference-counted receive buffers so a
 * frame can be flooded to many ports without a copy.
 *
 * liburing 2.3 lacks helpers for IORING_OP_READ_MULTISHOT (kernel 6.7) and
 * buffer-group selection; both are plain UAPI values set on the SQE here.
 */
#include "io.h"

#include <linux/if_tun.h>
#include <liburing.h>
#include <net/if.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>

#ifndef IORING_OP_READ_MULTISHOT_NR
#define IORING_OP_READ_MULTISHOT_NR 49  /* upstream IORING_OP_READ_MULTISHOT */
#endif

enum {
	BGID_TAP = 0,
	BGID_UDP = 1,
	N_GROUPS = 2,
	COPY_MAX = IO_HDR_MAX,          /* largest frame io_write_tap_copy takes */
	N_JOBS = 256,                   /* multi-part requests in flight */
};

_Static_assert(sizeof(struct io_uring_recvmsg_out) == IO_RECV_OUT_LEN &&
	       (IO_UDP_LEAD + IO_RECV_OUT_LEN + IO_RECV_NAMELEN + IO_RECV_CMSG_SPACE) % 64 == 0 &&
	       (IO_TAP_LEAD + IO_VNET_HLEN) % 64 == 0 && IO_TAP_LEAD >= VTEP_HEADROOM &&
	       IO_UDP_LEAD >= VTEP_HEADROOM,
	       "receive buffers: the frame (tap) or the payload (underlay) on a 64-byte boundary");
_Static_assert(IO_RECV_NAMELEN >= sizeof(struct sockaddr_in6) &&
	       (sizeof(struct io_uring_recvmsg_out) + IO_RECV_NAMELEN) % _Alignof(struct cmsghdr) == 0,
	       "recvmsg address room: fits any source and keeps the first cmsghdr aligned");

/* user_data: kind in the top byte, generation in the next 24 bits, index low. */
enum ud_kind {
	UD_RECV = 1,
	UD_OP = 2,
	UD_TICK = 3,
	UD_IGNORE = 4,
	UD_JOB = 5,
};

#define UD(kind, gen, idx) \
	(((uint64_t)(kind) << 56) | ((uint64_t)((gen) & 0xffffff) << 32) | (uint32_t)(idx))
#define UD_KIND(ud) ((unsigned int)((ud) >> 56))
#define UD_GEN(ud) ((unsigned int)(((ud) >> 32) & 0xffffff))
#define UD_IDX(ud) ((uint32_t)(ud))

struct bufgroup {
	struct io_uring_buf_ring *br;
	uint8_t *mem;
	size_t stride;                  /* lead + buffer, rounded up to 64 */
	size_t lead;                    /* bytes in front of each buffer (IO_*_LEAD) */
	unsigned int size;              /* usable bytes per buffer */
	unsigned int n;
	unsigned int in_use;
	unsigned int pending;           /* buffers added since the last advance */
	uint16_t *refs;
};

struct port {
	enum io_port_kind kind;
	int fd;
	uint64_t cookie;
	bool active;
	uint8_t armed;                  /* requests in flight: 1, or up to
					 * TAP_SINGLE_READS single tap reads */
	bool starved;                   /* ended on ENOBUFS: re-arm when buffers return */
	bool vnet;                      /* tap with IFF_VNET_HDR */
	bool mshot;                     /* armed with READ_MULTISHOT */
	unsigned int gen;
	struct msghdr msg;              /* recvmsg multishot template */
};

enum op_kind {
	OP_TAP_WRITE,
	OP_SEND,
	OP_COPY_WRITE,
};

struct op {
	enum op_kind kind;
	int port;                       /* tap writes: the port (tx_failed), else -1 */
	unsigned int port_gen;
	unsigned int buf;               /* referenced receive buffer, or UINT32_MAX */
	uint32_t next_free;
	unsigned int niov;
	size_t len;                     /* bytes asked (short write check) */
	struct msghdr msg;
	struct iovec iov[2];
	struct sockaddr_in6 addr;
	union {
		struct cmsghdr hdr;
		uint8_t b[CMSG_SPACE(sizeof(int))];
	} cmsg;                         /* IP_TOS or IPV6_TCLASS */
	uint8_t vnet[IO_VNET_HLEN];
	uint8_t copy[COPY_MAX];
};

struct io_job {
	uint32_t next_free;
	int port;                       /* tap writes: the port, else -1 */
	unsigned int port_gen;
	unsigned int bufs[IO_JOB_BUFS]; /* referenced receive buffers */
	unsigned int nbufs;
	unsigned int niov;
	size_t used;                    /* arena bytes */
	size_t len;                     /* bytes in all pieces */
	bool tap;
	uint16_t gso_size;
	struct msghdr msg;
	struct sockaddr_in6 addr;
	union {
		struct cmsghdr hdr;
		uint8_t b[CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(int))];
	} cmsg;                         /* UDP_SEGMENT, IP_TOS or IPV6_TCLASS */
	struct iovec iov[IO_JOB_IOVS];
	uint8_t arena[IO_JOB_ARENA];
};

struct io_ctx {
	struct io_uring ring;
	struct bufgroup groups[N_GROUPS];
	struct port *ports;
	unsigned int max_ports;
	unsigned int hi_port;           /* ports[hi_port..max_ports) never used */
	bool rearm_pending;             /* some active port may have no request armed */
	struct op *ops;
	unsigned int n_ops;
	uint32_t op_free;
	struct io_job *jobs;
	uint32_t job_free;
	bool gso_off;                   /* UDP_SEGMENT failed: one datagram per send */
	struct __kernel_timespec tick;
	bool tick_on;
	bool read_mshot_broken;         /* kernel < 6.7: single-shot reads instead */
	uint64_t busy_ns;               /* io_set_busy_poll; 0 = always sleep */
	uint64_t last_cqe_ns;           /* last completion: the busy-poll window starts */
	uint8_t *too_big;               /* IO_EV_TX_TOO_BIG's datagram, made on first use */
	struct io_stats stats;
};

#define NO_BUF IO_NO_BUF
#define OP_NONE UINT32_MAX

static const uint8_t zero_vnet[IO_VNET_HLEN];

/* ------------------------------------------------------------------ */
/* Buffers                                                            */

static uint8_t *buf_addr(const struct bufgroup *g, unsigned int bid)
{
	return g->mem + (size_t)bid * g->stride + g->lead;
}

static void buf_recycle(struct bufgroup *g, unsigned int bid)
{
	io_uring_buf_ring_add(g->br, buf_addr(g, bid), g->size, (unsigned short)bid,
			      io_uring_buf_ring_mask(g->n), (int)g->pending);
	g->pending++;
	g->in_use--;
}

static void buf_get(struct io_ctx *ctx, unsigned int handle)
{
	ctx->groups[handle >> 16].refs[handle & 0xffff]++;
}

static void buf_put(struct io_ctx *ctx, unsigned int handle)
{
	struct bufgroup *g;
	unsigned int bid;

	if (handle == NO_BUF)
		return;
	g = &ctx->groups[handle >> 16];
	bid = handle & 0xffff;
	if (--g->refs[bid] == 0)
		buf_recycle(g, bid);
}

static int group_init(struct io_ctx *ctx, int bgid, unsigned int size, unsigned int n,
		      size_t lead)
{
	struct bufgroup *g = &ctx->groups[bgid];
	struct io_uring_buf_reg reg;
	size_t ring_bytes = (size_t)n * sizeof(struct io_uring_buf);
	int r;

	g->size = size;
	g->n = n;
	g->lead = lead;
	g->stride = ((size_t)size + lead + 63) & ~(size_t)63;
	g->br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (g->br == MAP_FAILED) {
		g->br = NULL;
		return -ENOMEM;
	}
	g->mem = mmap(NULL, g->stride * n, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
		      -1, 0);
	if (g->mem == MAP_FAILED) {
		g->mem = NULL;
		return -ENOMEM;
	}
	g->refs = calloc(n, sizeof(*g->refs));
	if (!g->refs)
		return -ENOMEM;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)g->br;
	reg.ring_entries = n;
	reg.bgid = (uint16_t)bgid;
	r = io_uring_register_buf_ring(&ctx->ring, &reg, 0);
	if (r < 0)
		return r;
	io_uring_buf_ring_init(g->br);
	g->in_use = n;
	for (unsigned int i = 0; i < n; i++)
		buf_recycle(g, i);
	io_uring_buf_ring_advance(g->br, (int)g->pending);
	g->pending = 0;
	return 0;
}

static void group_fini(struct io_ctx *ctx, int bgid)
{
	struct bufgroup *g = &ctx->groups[bgid];

	if (g->br) {
		(void)io_uring_unregister_buf_ring(&ctx->ring, bgid);
		munmap(g->br, (size_t)g->n * sizeof(struct io_uring_buf));
	}
	if (g->mem)
		munmap(g->mem, g->stride * g->n);
	free(g->refs);
	memset(g, 0, sizeof(*g));
}

static void groups_flush(struct io_ctx *ctx)
{
	for (int i = 0; i < N_GROUPS; i++) {
		struct bufgroup *g = &ctx->groups[i];

		if (g->pending) {
			io_uring_buf_ring_advance(g->br, (int)g->pending);
			g->pending = 0;
		}
	}
}

/* ------------------------------------------------------------------ */
/* SQEs and the op pool                                               */

static struct io_uring_sqe *get_sqe(struct io_ctx *ctx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ctx->ring);

	if (!sqe) {
		/* SQ full: push what we have and try once more. */
		ctx->stats.sq_full++;
		ctx->stats.sqes += (uint64_t)io_uring_submit(&ctx->ring);
		ctx->stats.enters++;
		sqe = io_uring_get_sqe(&ctx->ring);
	}
	return sqe;
}

static struct op *op_alloc(struct io_ctx *ctx, enum op_kind kind, unsigned int buf)
{
	struct op *op;

	if (ctx->op_free == OP_NONE)
		return NULL;
	op = &ctx->ops[ctx->op_free];
	ctx->op_free = op->next_free;
	op->kind = kind;
	op->buf = buf;
	op->port = -1;
	return op;
}

static void op_release(struct io_ctx *ctx, struct op *op)
{
	buf_put(ctx, op->buf);
	op->buf = NO_BUF;
	op->next_free = ctx->op_free;
	ctx->op_free = (uint32_t)(op - ctx->ops);
}

/* ------------------------------------------------------------------ */
/* Receives                                                           */

static int arm_port(struct io_ctx *ctx, int id)
{
	struct port *p = &ctx->ports[id];
	struct io_uring_sqe *sqe = get_sqe(ctx);

	if (!sqe)
		return -EBUSY;
	switch (p->kind) {
	case IO_PORT_TAP_TX:
		return -EINVAL;
	case IO_PORT_TAP:
		p->mshot = !ctx->read_mshot_broken;
		if (p->mshot)
			io_uring_prep_rw(IORING_OP_READ_MULTISHOT_NR, sqe, p->fd, NULL, 0, 0);
		else
			io_uring_prep_rw(IORING_OP_READ, sqe, p->fd, NULL,
					 ctx->groups[BGID_TAP].size, 0);
		sqe->buf_group = BGID_TAP;
		sqe->flags |= IOSQE_BUFFER_SELECT;
		break;
	case IO_PORT_UDP:
		io_uring_prep_recvmsg_multishot(sqe, p->fd, &p->msg, 0);
		sqe->buf_group = BGID_UDP;
		sqe->flags |= IOSQE_BUFFER_SELECT;
		break;
	case IO_PORT_SIGNAL:
		/* The signalfd shares the tap group: a read takes every
		 * siginfo pending (handle_recv hands each on). */
		io_uring_prep_read(sqe, p->fd, NULL, ctx->groups[BGID_TAP].size, 0);
		sqe->buf_group = BGID_TAP;
		sqe->flags |= IOSQE_BUFFER_SELECT;
		break;
	case IO_PORT_CTL:
		io_uring_prep_poll_add(sqe, p->fd, POLLIN);
		break;
	}
	io_uring_sqe_set_data64(sqe, UD(UD_RECV, p->gen, id));
	p->armed++;
	p->starved = false;
	return 0;
}

/* Requests a port wants in flight. A multishot request reads frame after
 * frame; single reads take one each, so several wait at once, for a batch
 * to take more than one frame of a tap (and send them as one train). They
 * complete in the order they read, so frames keep their order. */
enum { TAP_SINGLE_READS = 8 };

static unsigned int port_wants(const struct io_ctx *ctx, const struct port *p)
{
	if (p->kind == IO_PORT_TAP_TX)
		return 0;
	return p->kind == IO_PORT_TAP && ctx->read_mshot_broken ? TAP_SINGLE_READS : 1;
}

/* Arm p until it has what it wants in flight: 0, or a negative errno if
 * not even one request could be armed. */
static int arm_port_all(struct io_ctx *ctx, int id)
{
	struct port *p = &ctx->ports[id];
	int r = 0;

	while (p->armed < port_wants(ctx, p)) {
		r = arm_port(ctx, id);
		if (r < 0)
			break;
	}
	return p->armed ? 0 : r;
}

static bool port_group_has_buffers(const struct io_ctx *ctx, const struct port *p)
{
	const struct bufgroup *g = &ctx->groups[p->kind == IO_PORT_UDP ? BGID_UDP : BGID_TAP];

	return g->in_use < g->n;
}

/* Re-arm every active port whose request ended, unless it is still starved.
 * Most batches end no request: then this costs a test, not a walk of the
 * port table (thousands of slots, a few in use). */
static void rearm_ports(struct io_ctx *ctx)
{
	bool pending = false;

	if (!ctx->rearm_pending)
		return;
	for (unsigned int i = 0; i < ctx->hi_port; i++) {
		struct port *p = &ctx->ports[i];

		if (!p->active || p->armed >= port_wants(ctx, p))
			continue;
		if (p->starved && !port_group_has_buffers(ctx, p)) {
			pending = true;
			continue;
		}
		if (arm_port_all(ctx, (int)i) == 0)
			ctx->stats.rearms++;
		if (p->armed < port_wants(ctx, p))
			pending = true;
	}
	ctx->rearm_pending = pending;
}

/* Fill ev from a UDP receive; false when the datagram is unusable. */
static bool udp_event(struct port *p, uint8_t *buf, int res, struct io_event *ev)
{
	struct io_uring_recvmsg_out *out = io_uring_recvmsg_validate(buf, res, &p->msg);

	if (!out || out->namelen == 0 || out->namelen > sizeof(struct sockaddr_in6))
		return false;
	if (out->flags & MSG_TRUNC)
		return false;
	io_sockaddr_addr(io_uring_recvmsg_name(out), &ev->src, &ev->src_port);
	ev->data = io_uring_recvmsg_payload(out, &p->msg);
	ev->len = io_uring_recvmsg_payload_length(out, res, &p->msg);
	for (struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(out, &p->msg); c;
	     c = io_uring_recvmsg_cmsg_nexthdr(out, &p->msg, c)) {
		int v;

		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TOS &&
		    c->cmsg_len >= CMSG_LEN(1)) {
			ev->tos = *CMSG_DATA(c);        /* one byte, on receipt */
			continue;
		}
		if (c->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_TCLASS)
			ev->tos = (uint8_t)v;
		else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && v > 0 &&
			 v < 65536 && (size_t)v < ev->len)
			ev->gso_size = (uint16_t)v;
	}
	return true;
}

/* Report a port that failed for good. A tap is gone or broken: it is
 * read no more (no busy loop); a socket is re-armed. */
static void port_failed(struct port *p, int id, int res, io_event_cb cb, void *arg)
{
	struct io_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = IO_EV_PORT_ERROR;
	ev.port = id;
	ev.cookie = p->cookie;
	ev.error = res;
	if (p->kind == IO_PORT_TAP || p->kind == IO_PORT_TAP_TX)
		p->active = false;
	cb(arg, &ev);
}

static void handle_recv_error(struct io_ctx *ctx, struct port *p, int id, int res,
			      io_event_cb cb, void *arg)
{
	if (res == -ENOBUFS) {
		ctx->stats.no_buffers++;
		p->starved = true;
		return;
	}
	if (res == -EINVAL && p->kind == IO_PORT_TAP && p->mshot) {
		/* No READ_MULTISHOT on this kernel (the probe at start said
		 * otherwise): re-armed reads, for this tap and every other
		 * armed in the same batch. */
		ctx->read_mshot_broken = true;
		return;
	}
	if (res == -EINTR || res == -EAGAIN || res == -ECANCELED)
		return;
	port_failed(p, id, res, cb, arg);
}

static void handle_recv(struct io_ctx *ctx, struct io_uring_cqe *cqe, io_event_cb cb, void *arg)
{
	int id = (int)UD_IDX(cqe->user_data);
	struct port *p = &ctx->ports[id];
	unsigned int handle = NO_BUF;
	struct io_event ev;
	uint8_t *buf = NULL;
	int gid = p->kind == IO_PORT_UDP ? BGID_UDP : BGID_TAP;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		handle = (unsigned int)gid << 16 | bid;
		ctx->groups[gid].refs[bid] = 1;
		ctx->groups[gid].in_use++;
		buf = buf_addr(&ctx->groups[gid], bid);
	}
	if (UD_GEN(cqe->user_data) != (p->gen & 0xffffff) || !p->active) {
		buf_put(ctx, handle);   /* a completion of a removed port */
		return;
	}
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		if (p->armed)
			p->armed--;
		ctx->rearm_pending = true;
	}
	if (p->kind == IO_PORT_CTL && cqe->res >= 0) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = IO_EV_CTL;
		ev.port = id;
		ev.cookie = p->cookie;
		ev.buf = NO_BUF;
		cb(arg, &ev);
		return;
	}
	if (cqe->res < 0 || !buf) {
		handle_recv_error(ctx, p, id, cqe->res < 0 ? cqe->res : -EIO, cb, arg);
		buf_put(ctx, handle);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.port = id;
	ev.cookie = p->cookie;
	ev.buf = handle;
	if (p->kind == IO_PORT_UDP) {
		ev.kind = IO_EV_UDP_RX;
		if (!udp_event(p, buf, cqe->res, &ev))
			ev.len = 0, ev.data = buf;  /* handed on as empty: counted malformed */
		else if (ev.gso_size)
			ctx->stats.gro_trains++;
	} else if (p->kind == IO_PORT_TAP) {
		ev.kind = IO_EV_TAP_RX;
		ev.data = buf;
		ev.len = (size_t)cqe->res;
		if (p->vnet) {
			ev.vnet = buf;
			ev.data = buf + IO_VNET_HLEN;
			ev.len = ev.len >= IO_VNET_HLEN ? ev.len - IO_VNET_HLEN : 0;
		}
	} else {
		/* One event per siginfo: signals pending together (a reload
		 * right before a stop) come in one read. */
		ev.kind = IO_EV_SIGNAL;
		for (size_t off = 0; off + sizeof(struct signalfd_siginfo) <= (size_t)cqe->res;
		     off += sizeof(struct signalfd_siginfo)) {
			memcpy(&ev.signo, buf + off, sizeof(int));  /* ssi_signo leads */
			cb(arg, &ev);
		}
		buf_put(ctx, handle);
		return;
	}
	cb(arg, &ev);
	buf_put(ctx, handle);
}

/* ------------------------------------------------------------------ */
/* Sends                                                              */

static bool port_ok(const struct io_ctx *ctx, int port)
{
	return port >= 0 && (unsigned int)port < ctx->max_ports && ctx->ports[port].active;
}

/* The first len bytes of pieces iov in one piece: ctx->too_big, made on
 * first use (NULL without memory); *ret_len what it holds. */
static uint8_t *gather(struct io_ctx *ctx, const struct iovec *iov, unsigned int niov,
			     size_t len, size_t *ret_len)
{
	size_t n = 0;

	if (len > IO_UDP_MAX_PAYLOAD ||
	    (!ctx->too_big && !(ctx->too_big = malloc(IO_UDP_MAX_PAYLOAD))))
		return NULL;
	for (unsigned int i = 0; i < niov && n < len; i++) {
		size_t k = VTEP_MIN(iov[i].iov_len, len - n);

		memcpy(ctx->too_big + n, iov[i].iov_base, k);
		n += k;
	}
	*ret_len = n;
	return ctx->too_big;
}

/*
 * A send to addr of total bytes in datagrams of len bytes, or a write to
 * tap port (of generation gen; addr NULL), in pieces iov, failed with res:
 * - a write to a tap whose device was deleted fails with EBADFD. Its read
 *   fails the same way, but not always soon: a multishot read can stay
 *   parked on a detached queue. The first failed write reports the port
 *   (IO_EV_PORT_ERROR, as a failed read would), once;
 * - a send refused with EMSGSIZE: the datapath learns the path MTU from it
 *   and answers the first datagram's frame (IO_EV_TX_TOO_BIG), gathered in
 *   one piece (without memory for that, the first piece stands in);
 * - anything else: the datapath counts what was lost (IO_EV_TX_ERROR).
 */
static void tx_failed(struct io_ctx *ctx, int port, unsigned int gen,
		      const struct sockaddr_in6 *addr, const struct iovec *iov, unsigned int niov,
		      size_t total, size_t len, int res, io_event_cb cb, void *arg)
{
	struct io_event ev;
	struct port *p;

	ctx->stats.tx_errors++;
	ctx->stats.last_tx_error = (uint64_t)(int64_t)res;
	memset(&ev, 0, sizeof(ev));
	ev.kind = IO_EV_TX_ERROR;
	ev.port = -1;
	ev.error = res;
	ev.data = iov[0].iov_base;
	ev.len = iov[0].iov_len;
	ev.seg_len = total;
	if (!addr) {
		if (!port_ok(ctx, port) || ctx->ports[port].gen != gen)
			return;
		p = &ctx->ports[port];
		if (res == -EBADFD) {
			if (p->kind == IO_PORT_TAP || p->kind == IO_PORT_TAP_TX)
				port_failed(p, port, res, cb, arg);
			return;
		}
		ev.port = port;
		ev.cookie = p->cookie;
		ev.count = 1;
		cb(arg, &ev);
		return;
	}
	io_sockaddr_addr((const struct sockaddr *)addr, &ev.src, &ev.src_port);
	ev.count = len ? (unsigned int)((total + len - 1) / len) : 1;
	if (res == -EMSGSIZE) {
		uint8_t *first;
		size_t n;

		ctx->stats.tx_too_big++;
		ev.kind = IO_EV_TX_TOO_BIG;
		ev.seg_len = len;
		if (niov > 1 && len > ev.len && (first = gather(ctx, iov, niov, len, &n))) {
			ev.data = first;
			ev.len = n;
		}
	}
	cb(arg, &ev);
}

static void handle_op(struct io_ctx *ctx, struct io_uring_cqe *cqe, io_event_cb cb, void *arg)
{
	struct op *op = &ctx->ops[UD_IDX(cqe->user_data)];

	if (cqe->res < 0)
		tx_failed(ctx, op->port, op->port_gen, op->kind == OP_SEND ? &op->addr : NULL,
			  op->iov, op->niov, op->len, op->len, cqe->res, cb, arg);
	else if (op->kind != OP_SEND && (size_t)cqe->res < op->len)
		ctx->stats.tx_short++;
	op_release(ctx, op);
}

bool io_port_vnet(const struct io_ctx *ctx, int port)
{
	return port_ok(ctx, port) && ctx->ports[port].vnet;
}

/* The frame goes out behind a virtio_net_hdr on a vnet port: vnet, or a
 * zeroed one (no offload: the kernel checks the checksums). */
static int queue_write(struct io_ctx *ctx, struct op *op, int port, const uint8_t *vnet,
		       const uint8_t *data, size_t len)
{
	const struct port *p = &ctx->ports[port];
	struct io_uring_sqe *sqe = get_sqe(ctx);

	if (!sqe) {
		op_release(ctx, op);
		return -EBUSY;
	}
	op->niov = 0;
	if (p->vnet) {
		memcpy(op->vnet, vnet ? vnet : zero_vnet, IO_VNET_HLEN);
		op->iov[op->niov].iov_base = op->vnet;
		op->iov[op->niov++].iov_len = IO_VNET_HLEN;
	}
	op->iov[op->niov].iov_base = (void *)(uintptr_t)data;
	op->iov[op->niov++].iov_len = len;
	op->len = len + (p->vnet ? IO_VNET_HLEN : 0);
	op->port = port;
	op->port_gen = p->gen;
	io_uring_prep_writev(sqe, p->fd, op->iov, op->niov, 0);
	io_uring_sqe_set_data64(sqe, UD(UD_OP, 0, op - ctx->ops));
	return 0;
}

/* A tap write out of receive buffer buf (held until it completes); vnet
 * NULL writes a zeroed virtio-net header on a vnet tap. */
static int write_tap(struct io_ctx *ctx, int port, unsigned int buf, const uint8_t *vnet,
		     const uint8_t *data, size_t len)
{
	struct op *op = op_alloc(ctx, OP_TAP_WRITE, NO_BUF);

	if (!op)
		return -ENOBUFS;
	buf_get(ctx, buf);
	op->buf = buf;
	return queue_write(ctx, op, port, vnet, data, len);
}

int io_write_tap(struct io_ctx *ctx, int port, unsigned int buf, const uint8_t *data, size_t len)
{
	if (!port_ok(ctx, port))
		return -ENODEV;
	return write_tap(ctx, port, buf, NULL, data, len);
}

int io_write_tap_vnet(struct io_ctx *ctx, int port, unsigned int buf, const uint8_t *vnet,
		      const uint8_t *data, size_t len)
{
	if (!port_ok(ctx, port))
		return -ENODEV;
	if (!ctx->ports[port].vnet)
		return -EOPNOTSUPP;
	return write_tap(ctx, port, buf, vnet, data, len);
}

int io_write_tap_copy(struct io_ctx *ctx, int port, const uint8_t *data, size_t len)
{
	struct op *op;

	if (len > COPY_MAX)
		return -EMSGSIZE;
	if (!port_ok(ctx, port))
		return -ENODEV;
	op = op_alloc(ctx, OP_COPY_WRITE, NO_BUF);
	if (!op)
		return -ENOBUFS;
	memcpy(op->copy, data, len);
	return queue_write(ctx, op, port, NULL, op->copy, len);
}

/* A control message setting the outer DS field of a send to dst, at c
 * (CMSG_SPACE(sizeof(int)) bytes); its size. */
static size_t tos_cmsg(struct cmsghdr *c, const struct vtep_addr *dst, uint8_t tos)
{
	int v = tos;

	memset(c, 0, CMSG_SPACE(sizeof(v)));
	c->cmsg_level = dst->family == AF_INET6 ? SOL_IPV6 : SOL_IP;
	c->cmsg_type = dst->family == AF_INET6 ? IPV6_TCLASS : IP_TOS;
	c->cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	return CMSG_SPACE(sizeof(v));
}

/* hdr (copied into the op; NULL: none) then data inside buf, to dst. */
static int send_op(struct io_ctx *ctx, int fd, const struct vtep_addr *dst, uint16_t dstport,
		   uint8_t tos, const uint8_t *hdr, size_t hlen, unsigned int buf,
		   const uint8_t *data, size_t len)
{
	struct io_uring_sqe *sqe;
	struct op *op;
	unsigned int n = 0;

	if (hlen > COPY_MAX)
		return -EMSGSIZE;
	op = op_alloc(ctx, OP_SEND, NO_BUF);
	if (!op)
		return -ENOBUFS;
	buf_get(ctx, buf);
	op->buf = buf;
	if (hdr) {
		memcpy(op->copy, hdr, hlen);
		op->iov[n].iov_base = op->copy;
		op->iov[n++].iov_len = hlen;
	}
	op->iov[n].iov_base = (void *)(uintptr_t)data;
	op->iov[n++].iov_len = len;
	op->niov = n;
	op->len = hlen + len;
	memset(&op->msg, 0, sizeof(op->msg));
	op->msg.msg_name = &op->addr;
	op->msg.msg_namelen = io_sockaddr(dst, dstport, 0, &op->addr);
	op->msg.msg_iov = op->iov;
	op->msg.msg_iovlen = n;
	if (tos) {
		op->msg.msg_control = op->cmsg.b;
		op->msg.msg_controllen = tos_cmsg(&op->cmsg.hdr, dst, tos);
	}
	sqe = get_sqe(ctx);
	if (!sqe) {
		op_release(ctx, op);
		return -EBUSY;
	}
	io_uring_prep_sendmsg(sqe, fd, &op->msg, 0);
	io_uring_sqe_set_data64(sqe, UD(UD_OP, 0, op - ctx->ops));
	return 0;
}

int io_send_udp(struct io_ctx *ctx, int fd, const struct vtep_addr *dst, uint16_t dstport,
		uint8_t tos, unsigned int buf, const uint8_t *data, size_t len)
{
	return send_op(ctx, fd, dst, dstport, tos, NULL, 0, buf, data, len);
}

int io_send_udp_hdr(struct io_ctx *ctx, int fd, const struct vtep_addr *dst, uint16_t dstport,
		    uint8_t tos, const uint8_t *hdr, size_t hlen, unsigned int buf,
		    const uint8_t *data, size_t len)
{
	return send_op(ctx, fd, dst, dstport, tos, hdr, hlen, buf, data, len);
}

/* ------------------------------------------------------------------ */
/* Multi-part requests                                                */

/* The job holds buf until it completes (once, however many pieces). */
static bool job_ref(struct io_ctx *ctx, struct io_job *job, unsigned int buf)
{
	if (buf == NO_BUF)
		return true;
	for (unsigned int i = job->nbufs; i-- > 0;)
		if (job->bufs[i] == buf)
			return true;
	if (job->nbufs >= IO_JOB_BUFS)
		return false;
	buf_get(ctx, buf);
	job->bufs[job->nbufs++] = buf;
	return true;
}

struct io_job *io_job_new(struct io_ctx *ctx, unsigned int buf)
{
	struct io_job *job;

	if (ctx->job_free == OP_NONE) {
		ctx->stats.no_jobs++;
		return NULL;
	}
	job = &ctx->jobs[ctx->job_free];
	ctx->job_free = job->next_free;
	job->niov = 0;
	job->used = 0;
	job->len = 0;
	job->gso_size = 0;
	job->nbufs = 0;
	(void)job_ref(ctx, job, buf);
	return job;
}

bool io_job_fits(const struct io_job *job, unsigned int pieces, size_t hdr)
{
	/* A new buffer reference per piece at most (job_ref). */
	return job->niov + pieces <= IO_JOB_IOVS && job->used + hdr <= IO_JOB_ARENA &&
	       job->nbufs + pieces <= IO_JOB_BUFS;
}

uint8_t *io_job_hdr(struct io_job *job, size_t len)
{
	uint8_t *p;

	if (job->niov >= IO_JOB_IOVS || job->used + len > IO_JOB_ARENA)
		return NULL;
	p = job->arena + job->used;
	job->used += len;
	job->iov[job->niov].iov_base = p;
	job->iov[job->niov++].iov_len = len;
	job->len += len;
	return p;
}

bool io_job_add(struct io_job *job, const uint8_t *data, size_t len)
{
	if (job->niov >= IO_JOB_IOVS)
		return false;
	job->iov[job->niov].iov_base = (void *)(uintptr_t)data;
	job->iov[job->niov++].iov_len = len;
	job->len += len;
	return true;
}

bool io_job_add_buf(struct io_ctx *ctx, struct io_job *job, unsigned int buf,
		    const uint8_t *data, size_t len)
{
	if (job->niov >= IO_JOB_IOVS || !job_ref(ctx, job, buf))
		return false;
	return io_job_add(job, data, len);
}

void io_job_abort(struct io_ctx *ctx, struct io_job *job)
{
	for (unsigned int i = 0; i < job->nbufs; i++)
		buf_put(ctx, job->bufs[i]);
	job->nbufs = 0;
	job->next_free = ctx->job_free;
	ctx->job_free = (uint32_t)(job - ctx->jobs);
}

void io_buf_hold(struct io_ctx *ctx, unsigned int buf)
{
	buf_get(ctx, buf);
}

void io_buf_release(struct io_ctx *ctx, unsigned int buf)
{
	buf_put(ctx, buf);
}

bool io_udp_gso(const struct io_ctx *ctx)
{
	return !ctx->gso_off;
}

int io_job_send_udp(struct io_ctx *ctx, struct io_job *job, int fd, const struct vtep_addr *dst,
		    uint16_t dstport, uint16_t gso_size, uint8_t tos)
{
	struct io_uring_sqe *sqe = get_sqe(ctx);
	size_t clen = 0;

	if (!sqe) {
		io_job_abort(ctx, job);
		return -EBUSY;
	}
	job->tap = false;
	job->port = -1;
	memset(&job->msg, 0, sizeof(job->msg));
	job->msg.msg_name = &job->addr;
	job->msg.msg_namelen = io_sockaddr(dst, dstport, 0, &job->addr);
	job->msg.msg_iov = job->iov;
	job->msg.msg_iovlen = job->niov;
	job->gso_size = gso_size && job->len > gso_size ? gso_size : 0;
	if (job->gso_size) {
		struct cmsghdr *c = &job->cmsg.hdr;

		memset(c, 0, CMSG_SPACE(sizeof(uint16_t)));
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(c), &job->gso_size, sizeof(uint16_t));
		clen = CMSG_SPACE(sizeof(uint16_t));
		ctx->stats.gso_sends++;
	}
	if (tos)
		clen += tos_cmsg((struct cmsghdr *)(void *)(job->cmsg.b + clen), dst, tos);
	if (clen) {
		job->msg.msg_control = job->cmsg.b;
		job->msg.msg_controllen = clen;
	}
	io_uring_prep_sendmsg(sqe, fd, &job->msg, 0);
	io_uring_sqe_set_data64(sqe, UD(UD_JOB, 0, job - ctx->jobs));
	return 0;
}

int io_job_write_tap(struct io_ctx *ctx, struct io_job *job, int port)
{
	struct io_uring_sqe *sqe;

	if (!port_ok(ctx, port)) {
		io_job_abort(ctx, job);
		return -ENODEV;
	}
	sqe = get_sqe(ctx);
	if (!sqe) {
		io_job_abort(ctx, job);
		return -EBUSY;
	}
	job->tap = true;
	job->port = port;
	job->port_gen = ctx->ports[port].gen;
	io_uring_prep_writev(sqe, ctx->ports[port].fd, job->iov, job->niov, 0);
	io_uring_sqe_set_data64(sqe, UD(UD_JOB, 0, job - ctx->jobs));
	return 0;
}

static void handle_job(struct io_ctx *ctx, struct io_uring_cqe *cqe, io_event_cb cb, void *arg)
{
	struct io_job *job = &ctx->jobs[UD_IDX(cqe->user_data)];

	if (cqe->res < 0) {
		tx_failed(ctx, job->port, job->port_gen, job->tap ? NULL : &job->addr, job->iov,
			  job->niov, job->len, job->gso_size ? job->gso_size : job->len, cqe->res,
			  cb, arg);
		/* No checksum offload on the egress device, or an old kernel:
		 * from now on one datagram per send (quic-go, wireguard-go). */
		if (job->gso_size && (cqe->res == -EIO || cqe->res == -EINVAL) && !ctx->gso_off) {
			ctx->gso_off = true;
			ctx->stats.gso_off++;
		}
	} else if (job->tap && (size_t)cqe->res < job->len) {
		ctx->stats.tx_short++;
	}
	io_job_abort(ctx, job);
}

/* ------------------------------------------------------------------ */
/* Ports, tick, loop                                                  */

int io_add_port(struct io_ctx *ctx, enum io_port_kind kind, int fd, uint64_t cookie)
{
	for (unsigned int i = 0; i < ctx->max_ports; i++) {
		struct port *p = &ctx->ports[i];
		unsigned int gen = p->gen + 1;

		if (p->active || p->armed)
			continue;       /* armed: a cancelled request not yet reaped */
		memset(p, 0, sizeof(*p));
		p->gen = gen;
		p->kind = kind;
		p->fd = fd;
		p->cookie = cookie;
		p->active = true;
		p->msg.msg_namelen = IO_RECV_NAMELEN;
		if (kind == IO_PORT_UDP)
			p->msg.msg_controllen = IO_RECV_CMSG_SPACE;
		if (kind == IO_PORT_TAP || kind == IO_PORT_TAP_TX) {
			struct ifreq ifr;

			memset(&ifr, 0, sizeof(ifr));
			p->vnet = ioctl(fd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR);
		}
		if (i >= ctx->hi_port)
			ctx->hi_port = i + 1;
		if (kind == IO_PORT_TAP_TX)
			return (int)i;
		if (arm_port_all(ctx, (int)i) < 0) {
			/* Nothing armed: the slot is free again (the caller
			 * closes the fd, whose number may soon be another's). */
			p->active = false;
			p->gen++;
			return -EBUSY;
		}
		return (int)i;
	}
	return -ENOSPC;
}

void io_del_port(struct io_ctx *ctx, int id)
{
	struct port *p;
	struct io_uring_sqe *sqe;

	if (id < 0 || (unsigned int)id >= ctx->max_ports)
		return;
	p = &ctx->ports[id];
	if (p->armed) {
		sqe = get_sqe(ctx);
		if (sqe) {
			io_uring_prep_cancel64(sqe, UD(UD_RECV, p->gen, id), IORING_ASYNC_CANCEL_ALL);
			io_uring_sqe_set_data64(sqe, UD(UD_IGNORE, 0, 0));
		}
		/* Submit now: the fd may be closed right after we return. */
		(void)io_uring_submit(&ctx->ring);
	}
	p->active = false;
	p->armed = 0;
	p->gen++;
}

static void arm_tick(struct io_ctx *ctx)
{
	struct io_uring_sqe *sqe = get_sqe(ctx);

	if (!sqe)
		return;
	io_uring_prep_timeout(sqe, &ctx->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, UD(UD_TICK, 0, 0));
}

int io_set_tick(struct io_ctx *ctx, unsigned int interval_ms)
{
	ctx->tick.tv_sec = interval_ms / 1000;
	ctx->tick.tv_nsec = (long long)(interval_ms % 1000) * 1000000;
	if (!ctx->tick_on)
		arm_tick(ctx);
	ctx->tick_on = true;
	return 0;
}

static void dispatch(struct io_ctx *ctx, struct io_uring_cqe *cqe, io_event_cb cb, void *arg)
{
	struct io_event ev;

	switch (UD_KIND(cqe->user_data)) {
	case UD_RECV:
		handle_recv(ctx, cqe, cb, arg);
		break;
	case UD_OP:
		handle_op(ctx, cqe, cb, arg);
		break;
	case UD_JOB:
		handle_job(ctx, cqe, cb, arg);
		break;
	case UD_TICK:
		arm_tick(ctx);
		memset(&ev, 0, sizeof(ev));
		ev.kind = IO_EV_TIMER;
		ev.port = -1;
		cb(arg, &ev);
		break;
	default:
		break;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void io_set_busy_poll(struct io_ctx *ctx, unsigned int us)
{
	ctx->busy_ns = (uint64_t)us * 1000;
}

/*
 * Busy polling: within busy_ns of the last completion, submit and reap
 * without sleeping (IORING_ENTER_GETEVENTS with nothing to wait for runs
 * the deferred task work, so a frame that arrived meanwhile completes
 * here). A sleep and the wakeup after it cost tens of microseconds on a
 * virtual machine, more than the whole forwarding; a reply that arrives
 * within the window is handled without either. Past the window the loop
 * sleeps as usual, so an idle daemon uses no CPU.
 *
 * Each empty poll yields the CPU. The guest that a frame wakes, or the peer
 * daemon on a shared host, often needs the very core that spins: without
 * the yield it waited for the scheduler to preempt the spinner, and ping
 * through two polling daemons on two cores took twice as long as with no
 * polling at all (524 against 251 us, median of 5 runs); with it, 132 us.
 */
static void busy_poll(struct io_ctx *ctx)
{
	uint64_t now = mono_ns();
	int r;

	if (now - ctx->last_cqe_ns >= ctx->busy_ns)
		return;
	r = io_uring_submit(&ctx->ring);
	ctx->stats.enters++;
	if (r > 0)
		ctx->stats.sqes += (uint64_t)r;
	while (!io_uring_cq_ready(&ctx->ring)) {
		if (mono_ns() - ctx->last_cqe_ns >= ctx->busy_ns)
			return;
		(void)io_uring_get_events(&ctx->ring);
		ctx->stats.enters++;
		ctx->stats.busy_polls++;
		if (!io_uring_cq_ready(&ctx->ring))
			sched_yield();
	}
}

int io_run(struct io_ctx *ctx, unsigned int timeout_ms, io_event_cb cb, void *arg)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
	};
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int r;

	if (ctx->busy_ns)
		busy_poll(ctx);
	r = io_uring_submit_and_wait_timeout(&ctx->ring, &cqe, 1, &ts, NULL);
	ctx->stats.enters++;
	if (r < 0 && r != -ETIME && r != -EINTR)
		return r;
	if (r > 0)
		ctx->stats.sqes += (uint64_t)r;
	io_uring_for_each_cqe(&ctx->ring, head, cqe) {
		dispatch(ctx, cqe, cb, arg);
		n++;
	}
	io_uring_cq_advance(&ctx->ring, n);
	ctx->stats.cqes += n;
	if (n) {
		struct io_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = IO_EV_BATCH_END;
		ev.port = -1;
		cb(arg, &ev);
	}
	if (n && ctx->busy_ns)
		ctx->last_cqe_ns = mono_ns();
	groups_flush(ctx);
	rearm_ports(ctx);
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* Setup and teardown                                                 */

static int ring_init(struct io_ctx *ctx, unsigned int entries)
{
	struct io_uring_params p;
	struct io_uring_probe *probe;
	static const unsigned int flag_sets[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	int r = -EINVAL;

	for (size_t i = 0; i < VTEP_ARRAY_SIZE(flag_sets); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = flag_sets[i] | IORING_SETUP_CQSIZE;
		p.cq_entries = entries * 8;
		r = io_uring_queue_init_params(entries, &ctx->ring, &p);
		if (r == 0)
			break;
	}
	if (r < 0)
		return r;
	(void)io_uring_register_ring_fd(&ctx->ring);
	/* READ_MULTISHOT came with Linux 6.7 (Debian 12's own kernel is 6.1):
	 * without it, taps are read by single reads re-armed each time. */
	probe = io_uring_get_probe_ring(&ctx->ring);
	if (probe) {
		ctx->read_mshot_broken = !io_uring_opcode_supported(probe,
								    IORING_OP_READ_MULTISHOT_NR);
		io_uring_free_probe(probe);
	}
	if (getenv("VTEP_READ_MULTISHOT") && strcmp(getenv("VTEP_READ_MULTISHOT"), "0") == 0)
		ctx->read_mshot_broken = true;
	return 0;
}

bool io_tap_reads_multishot(const struct io_ctx *ctx)
{
	return !ctx->read_mshot_broken;
}

int io_ctx_new(const struct io_params *params, struct io_ctx **ret_ctx)
{
	struct io_ctx *ctx = calloc(1, sizeof(*ctx));
	int r;

	if (!ctx)
		return -ENOMEM;
	ctx->max_ports = params->max_ports;
	ctx->ports = calloc(ctx->max_ports, sizeof(*ctx->ports));
	ctx->n_ops = params->sq_entries * 4;
	ctx->ops = calloc(ctx->n_ops, sizeof(*ctx->ops));
	if (!ctx->ports || !ctx->ops) {
		r = -ENOMEM;
		goto err_free;
	}
	for (unsigned int i = 0; i < ctx->n_ops; i++) {
		ctx->ops[i].buf = NO_BUF;
		ctx->ops[i].next_free = i + 1 < ctx->n_ops ? i + 1 : OP_NONE;
	}
	ctx->op_free = 0;
	/* calloc of this size is mmap'd: a job's pages become resident only
	 * once a request uses them. */
	ctx->jobs = calloc(N_JOBS, sizeof(*ctx->jobs));
	if (!ctx->jobs) {
		r = -ENOMEM;
		goto err_free;
	}
	for (unsigned int i = 0; i < N_JOBS; i++) {
		ctx->jobs[i].next_free = i + 1 < N_JOBS ? i + 1 : OP_NONE;
	}
	ctx->job_free = 0;
	ctx->gso_off = getenv("VTEP_UDP_GSO") && strcmp(getenv("VTEP_UDP_GSO"), "0") == 0;
	r = ring_init(ctx, params->sq_entries);
	if (r < 0)
		goto err_free;
	r = group_init(ctx, BGID_TAP, params->tap_buf_size ? params->tap_buf_size : params->buf_size,
		       params->tap_n_bufs ? params->tap_n_bufs : params->n_bufs, IO_TAP_LEAD);
	if (r == 0)
		r = group_init(ctx, BGID_UDP, params->buf_size, params->n_bufs, IO_UDP_LEAD);
	if (r < 0)
		goto err_ring;
	*ret_ctx = ctx;
	return 0;

err_ring:
	group_fini(ctx, BGID_UDP);
	group_fini(ctx, BGID_TAP);
	io_uring_queue_exit(&ctx->ring);
err_free:
	free(ctx->jobs);
	free(ctx->ops);
	free(ctx->ports);
	free(ctx);
	return r;
}

void io_ctx_free(struct io_ctx *ctx)
{
	if (!ctx)
		return;
	/* Exiting the ring cancels and waits for everything in flight. */
	io_uring_queue_exit(&ctx->ring);
	for (int i = 0; i < N_GROUPS; i++) {
		struct bufgroup *g = &ctx->groups[i];

		if (g->br)
			munmap(g->br, (size_t)g->n * sizeof(struct io_uring_buf));
		if (g->mem)
			munmap(g->mem, g->stride * g->n);
		free(g->refs);
	}
	free(ctx->too_big);
	free(ctx->jobs);
	free(ctx->ops);
	free(ctx->ports);
	free(ctx);
}

void io_get_stats(const struct io_ctx *ctx, struct io_stats *ret_stats)
{
	*ret_stats = ctx->stats;
}
