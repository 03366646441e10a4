/* SPDX-License-Identifier: MIT */
/*
 * io/tap.c - tap devices: create or attach by name (IFF_TAP|IFF_NO_PI), set
 * the MTU, bring the link up. A tap with a netns is created inside
 * /run/netns/NAME directly (the tun fd keeps working from our namespace), so
 * nothing has to be moved and no netlink is needed.
 */
#include "io.h"

#include <fcntl.h>
#include <linux/if_tun.h>
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

static int link_set(const char *name, unsigned int mtu, struct vtep_mac *ret_mac, int *ret_index)
{
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
		memcpy(ret_mac->b, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(s, SIOCGIFINDEX, &ifr) == 0)
		*ret_index = ifr.ifr_ifindex;
out:
	close(s);
	return r;
}

struct open_args {
	struct io_tap *tap;
	unsigned int mtu;
};

static int open_here(void *arg)
{
	struct open_args *a = arg;
	struct io_tap *tap = a->tap;
	struct ifreq ifr;
	int r;

	tap->created = if_nametoindex(tap->name) == 0;
	tap->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", tap->name);
	if (ioctl(tap->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		goto err;
	}
	r = link_set(tap->name, a->mtu, &tap->mac, &tap->ifindex);
	if (r < 0)
		goto err;
	return 0;
err:
	close(tap->fd);
	tap->fd = -1;
	return r;
}

int io_tap_open(const char *name, const char *netns, unsigned int mtu, struct io_tap *ret_tap)
{
	struct io_tap tap;
	struct open_args a = { .tap = &tap, .mtu = mtu };
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

void io_tap_close(struct io_tap *tap)
{
	if (tap->fd >= 0)
		close(tap->fd);
	tap->fd = -1;
}

static int exists_here(void *arg)
{
	const struct io_tap *tap = arg;

	return if_nametoindex(tap->name) == (unsigned int)tap->ifindex ? 1 : 0;
}

bool io_tap_exists(const struct io_tap *tap)
{
	return in_netns(tap->netns, exists_here, (void *)(uintptr_t)tap) == 1;
}
