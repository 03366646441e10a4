/* SPDX-License-Identifier: MIT */
/*
 * proto/guard - port security for frames a guest sends into its tap: the
 * source MAC among the tap's macs, and the source IP among its ips (what
 * OVS port_security with addresses, or libvirt's no-mac-spoofing and
 * no-ip-spoofing filters, enforce). With ips, a guest can neither send
 * from another address nor, through ARP or neighbour advertisements,
 * teach the suppression caches that another address is at its MAC. Not
 * checked: IPv4 0.0.0.0 (DHCP, ARP probes) and IPv6 :: (duplicate address
 * detection) as sources, IPv6 link-local addresses (the guest makes its
 * own), frames that are neither ARP, IPv4 nor IPv6, and frames too short
 * to parse (the forwarding parsers drop those). Pure.
 */
#ifndef VTEP_PROTO_GUARD_H
#define VTEP_PROTO_GUARD_H

#include "eth.h"

/* The frame's source MAC is one of macs[0..n). A frame shorter than an
 * Ethernet header passes. */
bool guard_mac_ok(const uint8_t *frame, size_t len, const struct vtep_mac *macs, size_t n);

/* The addresses the frame claims as its own (IPv4 or IPv6 source, ARP
 * sender, NA target) are among ips[0..n) or exempt (see above). */
bool guard_ip_ok(const uint8_t *frame, size_t len, const struct vtep_addr *ips, size_t n);

#endif /* VTEP_PROTO_GUARD_H */
