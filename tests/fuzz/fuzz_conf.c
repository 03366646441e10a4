/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf - conf_load_string on the input as text, then conf_free. A
 * configuration that loads must obey the rules conf/ promises (ranges,
 * group multicast, peers and static remotes unicast, VNIs unique and
 * below 2^24); a failure must leave *ret_conf alone and say why.
 *
 * include_dir is read from the file system: LLVMFuzzerInitialize creates
 * FUZZ_CONF_DIR with two drop-ins, which the seeds name, so the drop-in
 * path is fuzzed too. libconfig 1.5 leaks on some syntax errors
 * (strbuf_append, libconfig_yylex); tests/fuzz/lsan.supp covers exactly
 * those two frames, nothing of ours.
 */
#include <sys/stat.h>

#include "../../conf/conf.h"
#include "fuzz.h"

#define FUZZ_CONF_DIR "/tmp/vtep-fuzz-conf.d"
#define TEXT_MAX 65536

static void write_dropin(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FUZZ_CONF_DIR, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)mkdir(FUZZ_CONF_DIR, 0755);
	write_dropin("10-vni300.conf",
		     "vnis = ( { vni = 300; peers = [ \"10.0.0.4\" ];\n"
		     "           taps = ( { name = \"vm30\"; } ); } );\n");
	write_dropin("20-vni100.conf",
		     "vnis = ( { vni = 100; taps = ( { name = \"vm9\"; } );\n"
		     "           arp = ( { ip = \"192.168.7.9\"; mac = \"52:54:00:00:00:09\"; } ); } );\n");
	return 0;
}

static void check_vni(const struct vtep_conf *c, const struct conf_vni *v)
{
	CHECK(v->vni >= 1 && v->vni <= VTEP_VNI_MAX);
	CHECK(conf_find_vni(c, v->vni) == v);
	CHECK((unsigned int)v->flood < VTEP_FLOOD_MAX);
	if (v->has_group)
		CHECK(vtep_addr_is_multicast(&v->group));
	CHECK(v->n_peers <= VTEP_MAX_PEERS && (v->n_peers == 0 || v->peers));
	for (size_t i = 0; i < v->n_peers; i++)
		CHECK(vtep_addr_is_unicast(&v->peers[i]));
	CHECK(v->n_taps <= VTEP_MAX_TAPS && (v->n_taps == 0 || v->taps));
	for (size_t i = 0; i < v->n_taps; i++) {
		CHECK(memchr(v->taps[i].name, 0, sizeof(v->taps[i].name)) != NULL);
		CHECK(v->taps[i].name[0] != '\0');
		CHECK(memchr(v->taps[i].netns, 0, sizeof(v->taps[i].netns)) != NULL);
	}
	CHECK(v->n_fdb <= VTEP_MAX_STATIC && (v->n_fdb == 0 || v->fdb));
	for (size_t i = 0; i < v->n_fdb; i++) {
		CHECK(vtep_mac_is_valid_unicast(&v->fdb[i].mac));
		CHECK(vtep_addr_is_unicast(&v->fdb[i].remote));
	}
	CHECK(v->n_arp <= VTEP_MAX_STATIC && (v->n_arp == 0 || v->arp));
	for (size_t i = 0; i < v->n_arp; i++) {
		CHECK(vtep_mac_is_valid_unicast(&v->arp[i].mac));
		CHECK(vtep_addr_is_set(&v->arp[i].ip));
	}
}

static void check_conf(const struct vtep_conf *c)
{
	CHECK(c->path && c->n_files >= 1 && c->files);
	CHECK(vtep_addr_is_unicast(&c->local));
	CHECK(memchr(c->dev, 0, sizeof(c->dev)) != NULL);
	CHECK(c->dstport >= 1);
	CHECK(c->ttl >= 1 && c->mcast_ttl >= 1);
	CHECK(c->mtu == 0 || (c->mtu >= VTEP_MTU_MIN && c->mtu <= VTEP_MTU_MAX));
	CHECK(c->ageing >= 1 && c->maxaddress >= 1 && c->arp_max >= 1);
	CHECK(c->workers >= 1 && c->workers <= 64);
	CHECK(c->move_limit >= 1 && c->move_limit <= 1000);
	CHECK(c->n_allow <= VTEP_MAX_ALLOW && (c->n_allow == 0 || c->allow));
	for (size_t i = 0; i < c->n_allow; i++) {
		struct vtep_addr m = c->allow[i].addr;

		CHECK(c->allow[i].len <= (m.family == AF_INET ? 32 : 128));
		vtep_prefix_mask(&m, c->allow[i].len);
		CHECK(vtep_addr_eq(&m, &c->allow[i].addr));
	}
	if (c->capture.enabled)
		CHECK(c->capture.file && c->capture.max_files >= 1);
	CHECK(c->n_vnis <= VTEP_MAX_VNIS && (c->n_vnis == 0 || c->vnis));
	for (size_t i = 0; i < c->n_vnis; i++)
		check_vni(c, &c->vnis[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtep_conf *sentinel = (struct vtep_conf *)(uintptr_t)0x1;
	struct vtep_conf *c = sentinel;
	char err[4096];
	char *text;
	int r;

	if (size > TEXT_MAX)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	r = conf_load_string(text, "fuzz.conf", &c, err, sizeof(err));
	if (r == 0) {
		CHECK(c != sentinel && c != NULL);
		check_conf(c);
		conf_free(c);
	} else {
		CHECK(r < 0 && c == sentinel);
		CHECK(memchr(err, 0, sizeof(err)) != NULL && err[0] != '\0');
	}
	free(text);
	return 0;
}
