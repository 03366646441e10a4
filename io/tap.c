/* SPDX-License-Identifier: MIT */
/*
 * io/tap.c - tap devices: create or attach by name (IFF_TAP|IFF_NO_PI), set
 * the MTU, bring the link up, and turn on the virtio-net header and the
 * offloads (checksum, TSO, USO) the kernel accepts. A tap with a netns is
 * created inside /run/netns/NAME directly (the tun fd keeps working from our namespace), so
 * nothing has to be moved. Netlink serves one purpose: the qdisc of a
 * multi-queue tap (set_noqueue).
 */
#include "io.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Run fn inside /run/netns/NAME and come back; "" runs it here. */
static int in_netns(const char *netns, int (*fn)(void *), void *arg)
{
	char path[128];
	int self, target, r, r2;

	if (!netns || !netns[0])
		return fn(arg);
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		r = -errno;
		close(target);
		return r;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	r = fn(arg);
	r2 = setns(self, CLONE_NEWNET) < 0 ? -errno : 0;
	if (r2 < 0)
		abort();        /* we would keep running in the wrong namespace */
out:
	close(self);
	close(target);
	return r;
}

/*
 * A multi-queue tap is made with room for 256 queues (MAX_TAP_QUEUES), and
 * going up gives it the mq qdisc with a default qdisc under each: on 6.18,
 * 6.6 MB of kernel memory for each tap (pfifo_fast rings of txqueuelen
 * entries) and 11 ms to bring it up, against 43 kB for a single-queue tap.
 * tun never asks for a frame to be queued (it drops when its ring is full),
 * so noqueue, which veth has, changes nothing for the frames; as root
 * qdisc while the tap is down it takes the place of all that (245 kB).
 * 0, or a negative errno (the tap then keeps the kernel's default).
 */
static int set_noqueue(int ifindex)
{
	static const char kind[] = "noqueue";
	union {
		struct nlmsghdr nh;
		char buf[NLMSG_SPACE(sizeof(struct tcmsg)) + RTA_SPACE(sizeof(kind))];
	} req;
	union {
		struct nlmsghdr nh;
		char buf[NLMSG_SPACE(sizeof(struct nlmsgerr)) + 256];
	} ack;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct tcmsg *tc;
	struct rtattr *rta;
	ssize_t n;
	int s, r;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(*tc));
	req.nh.nlmsg_type = RTM_NEWQDISC;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	req.nh.nlmsg_seq = 1;
	tc = NLMSG_DATA(&req.nh);
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_parent = TC_H_ROOT;
	rta = (struct rtattr *)(req.buf + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = TCA_KIND;
	rta->rta_len = (unsigned short)RTA_LENGTH(sizeof(kind));
	memcpy(RTA_DATA(rta), kind, sizeof(kind));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	if (sendto(s, &req, req.nh.nlmsg_len, 0, (const struct sockaddr *)&to, sizeof(to)) < 0) {
		r = -errno;
		goto out;
	}
	n = recv(s, &ack, sizeof(ack), 0);
	if (n < 0)
		r = -errno;
	else if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
		 ack.nh.nlmsg_type != NLMSG_ERROR)
		r = -EPROTO;
	else
		r = ((const struct nlmsgerr *)NLMSG_DATA(&ack.nh))->error;
out:
	close(s);
	return r;
}

static int link_set(struct io_tap *tap, unsigned int mtu)
{
	const char *name = tap->name;
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
			r = -errno;
			goto out;
		}
	}
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
		r = -errno;
		goto out;
	}
	tap->ifindex = ifr.ifr_ifindex;
	if (tap->created && tap->multi_queue)
		tap->noqueue = set_noqueue(tap->ifindex);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		r = -errno;
		goto out;
	}
	if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(tap->mac.b, ifr.ifr_hwaddr.sa_data, 6);
out:
	close(s);
	return r;
}

struct open_args {
	struct io_tap *tap;
	unsigned int mtu;
	bool multi_queue;
};

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20                 /* kernel 6.2; not in Debian 12's headers */
#define TUN_F_USO6 0x40
#endif

/* The offload ladder, richest first (TSO needs CSUM, USO4 needs USO6). */
static const unsigned int offload_rungs[] = {
	TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
	TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	TUN_F_CSUM,
	0,
};

static const struct {
	unsigned int bit;
	const char *name;
} offload_names[IO_TAP_OFFLOADS] = {
	{ TUN_F_CSUM, "csum" }, { TUN_F_TSO4, "tso4" }, { TUN_F_TSO6, "tso6" },
	{ TUN_F_USO4, "uso4" }, { TUN_F_USO6, "uso6" },
};

size_t io_tap_offload_names(const struct io_tap *tap, const char *names[IO_TAP_OFFLOADS])
{
	size_t n = 0;

	for (size_t i = 0; i < IO_TAP_OFFLOADS; i++)
		if (tap->vnet_hdr && (tap->offload & offload_names[i].bit))
			names[n++] = offload_names[i].name;
	return n;
}

const char *io_tap_offloads_str(const struct io_tap *tap, char *buf, size_t len)
{
	const char *names[IO_TAP_OFFLOADS];
	size_t n = io_tap_offload_names(tap, names), used = 0;

	if (!n) {
		snprintf(buf, len, "%s", tap->vnet_hdr ? "none" : "none, no virtio-net header");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", names[i]);
	return buf;
}

/* VTEP_TAP_OFFLOAD: 0 no vnet header, 1 vnet header only, 2 CSUM, 3 TSO,
 * 4 (default) everything the kernel takes. */
static unsigned int offload_cap(void)
{
	const char *e = getenv("VTEP_TAP_OFFLOAD");

	if (!e || e[0] < '0' || e[0] > '4' || e[1])
		return 4;
	return (unsigned int)(e[0] - '0');
}

static int set_iff_fd(int fd, const char *name, bool vnet, bool mq)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) |
				(mq ? IFF_MULTI_QUEUE : 0));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
}

/* The queue flag must match an existing tap's (EINVAL otherwise): try the
 * one asked for, then the other. */
static int set_iff(struct io_tap *tap, bool vnet)
{
	int r = set_iff_fd(tap->fd, tap->name, vnet, tap->multi_queue);

	if (r == -EINVAL && !tap->created) {
		r = set_iff_fd(tap->fd, tap->name, vnet, !tap->multi_queue);
		if (r == 0)
			tap->multi_queue = !tap->multi_queue;
	}
	return r;
}

/* IFF_VNET_HDR with the richest offload set the kernel accepts; else a
 * plain tap (every frame MTU-sized, no header). */
static int set_offloads(struct io_tap *tap)
{
	unsigned int cap = offload_cap();
	size_t first = cap >= 4 ? 0 : 4 - cap;
	int r;

	if (cap > 0 && set_iff(tap, true) == 0) {
		tap->vnet_hdr = true;
		for (size_t i = first; i < VTEP_ARRAY_SIZE(offload_rungs); i++) {
			if (ioctl(tap->fd, TUNSETOFFLOAD, offload_rungs[i]) == 0) {
				tap->offload = offload_rungs[i];
				return 0;
			}
		}
		return 0;
	}
	tap->vnet_hdr = false;
	tap->offload = 0;
	r = set_iff(tap, false);
	/* A tap attached to (an earlier run's, kept) may still have the
	 * offloads it was given then: without a header none may stay. */
	if (r == 0 && ioctl(tap->fd, TUNSETOFFLOAD, 0ul) < 0)
		r = -errno;
	return r;
}

static int open_here(void *arg)
{
	struct open_args *a = arg;
	struct io_tap *tap = a->tap;
	int r;

	tap->created = if_nametoindex(tap->name) == 0;
	tap->multi_queue = a->multi_queue;
	tap->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap->fd < 0)
		return -errno;
	r = set_offloads(tap);
	if (r < 0)
		goto err;
	r = link_set(tap, a->mtu);
	if (r < 0)
		goto err;
	return 0;
err:
	close(tap->fd);
	tap->fd = -1;
	return r;
}

int io_tap_open(const char *name, const char *netns, unsigned int mtu, bool multi_queue,
		struct io_tap *ret_tap)
{
	struct io_tap tap;
	struct open_args a = { .tap = &tap, .mtu = mtu, .multi_queue = multi_queue };
	int r;

	memset(&tap, 0, sizeof(tap));
	tap.fd = -1;
	snprintf(tap.name, sizeof(tap.name), "%s", name);
	snprintf(tap.netns, sizeof(tap.netns), "%s", netns ? netns : "");
	r = in_netns(tap.netns, open_here, &a);
	if (r < 0)
		return r;
	*ret_tap = tap;
	return 0;
}

static int queue_here(void *arg)
{
	const struct io_tap *tap = arg;
	int fd, r;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = set_iff_fd(fd, tap->name, tap->vnet_hdr, true);
	if (r == 0 && tap->vnet_hdr && ioctl(fd, TUNSETOFFLOAD, tap->offload) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int io_tap_open_queue(const struct io_tap *tap)
{
	if (!tap->multi_queue)
		return -EINVAL;
	return in_netns(tap->netns, queue_here, (void *)(uintptr_t)tap);
}

void io_tap_close(struct io_tap *tap)
{
	if (tap->fd >= 0)
		close(tap->fd);
	tap->fd = -1;
}

int io_tap_set_persist(struct io_tap *tap, bool on)
{
	if (tap->fd < 0)
		return -EBADF;
	return ioctl(tap->fd, TUNSETPERSIST, on ? 1ul : 0ul) < 0 ? -errno : 0;
}

void io_tap_delete(struct io_tap *tap)
{
	(void)io_tap_set_persist(tap, false);
	io_tap_close(tap);
}

static int present_here(void *arg)
{
	const char *name = arg;

	return if_nametoindex(name) != 0 ? 1 : 0;
}

bool io_tap_present(const char *name, const char *netns)
{
	return in_netns(netns, present_here, (void *)(uintptr_t)name) == 1;
}
