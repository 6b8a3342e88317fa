// SPDX-License-Identifier: GPL-2.0-or-later
/* The backend-independent half of firewall.h: the mark layout, cgroup
 * resolution and the dispatch to a backend's ops. */
#include "firewall.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "log.h"
#include "nft.h"
#include "request.h"

struct NfcFirewall {
	const NfcFirewallOps *ops;
	NfcFirewallConfig config;
	void *priv;
	/* config.idle_empty: what was asked for, to know when nothing is */
	bool started;              /* init, and no cleanup since */
	bool installed;            /* the base state is queued or in */
	GHashTable *keys;          /* identities added and not removed */
	GHashTable *nats;          /* NAT entries, by nat_key() */
	bool tether_on;
	GPtrArray *empty_reads;    /* EmptyRead: counter reads while idle */
	guint linger;              /* the removal, put off (IDLE_LINGER_MS) */
};

/* Nothing left to steer: the state goes this much later, so that an
 * application that opens and closes one session after another does not
 * pay an install each time (iptables: ~0.2-0.5 s of helper processes
 * each way, measured; nftables ~4 ms). */
#define IDLE_LINGER_MS 3000

G_DEFINE_QUARK(nfc-firewall-error-quark, nfc_firewall_error)

static uint32_t field_mask(unsigned int bits, unsigned int shift)
{
	if (bits == 0 || shift >= 32 || bits > 32 - shift)
		return 0;
	return (uint32_t)(((uint64_t)1 << bits) - 1) << shift;
}

gboolean nfc_mark_layout_validate(const NfcMarkLayout *layout, GError **error)
{
	uint32_t routing = field_mask(layout->routing_bits, layout->routing_shift);
	uint32_t session = field_mask(layout->session_bits, layout->session_shift);

	if (!routing) {
		g_set_error(error, NFC_FIREWALL_ERROR, NFC_FIREWALL_ERROR_INVALID_LAYOUT,
			    "routing mark field of %u bits at bit %u is empty or beyond 32 bits",
			    layout->routing_bits, layout->routing_shift);
		return FALSE;
	}
	if (!session) {
		g_set_error(error, NFC_FIREWALL_ERROR, NFC_FIREWALL_ERROR_INVALID_LAYOUT,
			    "session mark field of %u bits at bit %u is empty or beyond 32 bits",
			    layout->session_bits, layout->session_shift);
		return FALSE;
	}
	if (routing & session) {
		g_set_error(error, NFC_FIREWALL_ERROR, NFC_FIREWALL_ERROR_INVALID_LAYOUT,
			    "routing mark field 0x%08x overlaps session field 0x%08x",
			    routing, session);
		return FALSE;
	}
	return TRUE;
}

uint32_t nfc_mark_layout_routing_mask(const NfcMarkLayout *layout)
{
	return field_mask(layout->routing_bits, layout->routing_shift);
}

uint32_t nfc_mark_layout_session_mask(const NfcMarkLayout *layout)
{
	return field_mask(layout->session_bits, layout->session_shift);
}

uint32_t nfc_mark_layout_mask(const NfcMarkLayout *layout)
{
	return nfc_mark_layout_routing_mask(layout) | nfc_mark_layout_session_mask(layout);
}

uint32_t nfc_mark_layout_routing_max(const NfcMarkLayout *layout)
{
	return nfc_mark_layout_routing_mask(layout) >> layout->routing_shift;
}

uint32_t nfc_mark_layout_session_max(const NfcMarkLayout *layout)
{
	return nfc_mark_layout_session_mask(layout) >> layout->session_shift;
}

bool nfc_mark_compose(const NfcMarkLayout *layout, uint32_t routing, uint32_t session,
		      uint32_t *mark)
{
	if (routing > nfc_mark_layout_routing_max(layout) ||
	    session > nfc_mark_layout_session_max(layout))
		return false;
	*mark = (routing << layout->routing_shift) | (session << layout->session_shift);
	return true;
}

uint32_t nfc_mark_routing(const NfcMarkLayout *layout, uint32_t mark)
{
	return (mark & nfc_mark_layout_routing_mask(layout)) >> layout->routing_shift;
}

uint32_t nfc_mark_session(const NfcMarkLayout *layout, uint32_t mark)
{
	return (mark & nfc_mark_layout_session_mask(layout)) >> layout->session_shift;
}

static bool is_cgroup2(const char *path, struct stat *st)
{
	struct statfs sfs;

	return stat(path, st) == 0 && statfs(path, &sfs) == 0 &&
	       sfs.f_type == CGROUP2_SUPER_MAGIC;
}

const char *nfc_cgroup2_mount(void)
{
	static char *mount;
	g_autofree char *text = NULL;

	if (mount)
		return mount;
	/* mountinfo: "id parent maj:min root mountpoint opts... - fstype src" */
	if (g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL)) {
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

		for (char **l = lines; *l && !mount; l++) {
			g_auto(GStrv) f = g_strsplit(*l, " ", -1);
			guint n = g_strv_length(f);

			for (guint i = 6; i + 1 < n; i++) {
				if (g_str_equal(f[i], "-")) {
					if (g_str_equal(f[i + 1], "cgroup2") && g_str_equal(f[3], "/"))
						mount = g_strcompress(f[4]); /* octal escapes */
					break;
				}
			}
		}
	}
	if (!mount)
		mount = g_strdup("/sys/fs/cgroup");
	return mount;
}

int nfc_cgroup_resolve(const char *path, uint64_t *cgroup_id, unsigned int *level)
{
	g_autofree char *real = realpath(path, NULL);
	g_autofree char *dir = NULL;
	struct stat st;
	unsigned int depth = 0;

	if (!real)
		return -errno;
	if (!is_cgroup2(real, &st))
		return -ENOTDIR;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*cgroup_id = st.st_ino;
	/* Climb until the parent is no longer the same cgroup2 mount: the
	 * number of steps is the level `socket cgroupv2 level` compares. */
	dir = g_strdup(real);
	for (;;) {
		g_autofree char *parent = g_path_get_dirname(dir);
		struct stat pst;

		if (g_str_equal(parent, dir) || !is_cgroup2(parent, &pst) ||
		    pst.st_dev != st.st_dev)
			break;
		depth++;
		g_free(dir);
		dir = g_steal_pointer(&parent);
	}
	*level = depth;
	return 0;
}

/* ---- requests ----------------------------------------------------------------- */

NfcFirewallRequest *nfc_firewall_request_new(size_t size, NfcFirewallRequestType type,
					     NfcFirewallDoneFunc done, void *user_data)
{
	NfcFirewallRequest *req = g_malloc0(size);

	req->type = type;
	req->done = done;
	req->user_data = user_data;
	return req;
}

void nfc_firewall_request_clear(NfcFirewallRequest *req)
{
	g_clear_pointer(&req->id_key, g_free);
	g_clear_pointer(&req->uplinks, g_strfreev);
}

static NfcFirewallRequest *request_new(NfcFirewall *fw, NfcFirewallRequestType type,
				       NfcFirewallDoneFunc done, void *user_data)
{
	return nfc_firewall_request_new(fw->ops->request_size, type, done, user_data);
}

static int submit(NfcFirewall *fw, NfcFirewallRequest *req)
{
	int r = fw->ops->submit(fw->priv, req);

	if (r < 0)
		fw->ops->request_free(req);
	return r;
}

/* ---- idle: nothing of ours in the kernel (config.idle_empty) --------------------- */

static bool needed(NfcFirewall *fw)
{
	return g_hash_table_size(fw->keys) > 0 || g_hash_table_size(fw->nats) > 0 ||
	       fw->tether_on;
}

static void on_installed(int error, void *user_data)
{
	NfcFirewall *fw = user_data;

	if (error == 0)
		return;
	nfc_error("firewall: installing our %s state failed: %s", fw->ops->name,
		  g_strerror(-error));
	/* the next change tries again */
	fw->installed = false;
}

static void on_removed(int error, void *user_data)
{
	NfcFirewall *fw = user_data;

	if (error < 0)
		nfc_error("firewall: removing our %s state failed: %s", fw->ops->name,
			  g_strerror(-error));
}

static gboolean on_linger(gpointer data)
{
	NfcFirewall *fw = data;

	fw->linger = 0;
	if (needed(fw) || !fw->installed)
		return G_SOURCE_REMOVE;
	fw->installed = false;
	nfc_debug("firewall: nothing left to steer: removing our state");
	submit(fw, request_new(fw, REQ_CLEANUP, on_removed, fw));
	return G_SOURCE_REMOVE;
}

/* Installs the base state before a change that may be the first to need
 * it (up), or removes it all, a little later, after one that may have
 * been the last. */
static void settle(NfcFirewall *fw, bool up)
{
	bool want;

	if (!fw->config.idle_empty || !fw->started)
		return;
	want = needed(fw);
	if (want != up)
		return;
	if (want) {
		g_clear_handle_id(&fw->linger, g_source_remove);
		if (fw->installed)
			return;
		fw->installed = true;
		nfc_debug("firewall: something to steer: installing our state");
		submit(fw, request_new(fw, REQ_FULL, on_installed, fw));
	} else if (fw->installed && !fw->linger) {
		fw->linger = g_timeout_add(IDLE_LINGER_MS, on_linger, fw);
	}
}

/* Submits req, which adds key to set (an identity, a NAT entry) or
 * removes it: a first add has the base state installed before it, a
 * last removal has it go after. A refused add takes its key back. */
static int submit_tracked(NfcFirewall *fw, GHashTable *set, const char *key, bool add,
			  NfcFirewallRequest *req)
{
	bool known = g_hash_table_contains(set, key);
	int r;

	if (add) {
		g_hash_table_add(set, g_strdup(key));
		settle(fw, true);
	}
	r = submit(fw, req);
	/* a refused add of a new key, or a removal the backend took */
	if (add ? r < 0 && !known : r == 0 && known) {
		g_hash_table_remove(set, key);
		settle(fw, false);
	}
	return r;
}

typedef struct {
	NfcFirewall *fw;
	guint source;
	NfcFirewallCountersFunc done;
	NfcFirewallTetherCountersFunc tether_done;
	void *user_data;
} EmptyRead;

static gboolean empty_read_cb(gpointer data)
{
	EmptyRead *r = data;

	g_ptr_array_remove_fast(r->fw->empty_reads, r);
	if (r->done)
		r->done(0, NULL, 0, r->user_data);
	else
		r->tether_done(0, NULL, 0, r->user_data);
	g_free(r);
	return G_SOURCE_REMOVE;
}

/* Idle, a counter read finds nothing, as the callback contract says:
 * later, from the main loop. */
static bool read_empty(NfcFirewall *fw, NfcFirewallCountersFunc done,
		       NfcFirewallTetherCountersFunc tether_done, void *user_data)
{
	EmptyRead *r;

	if (!fw->config.idle_empty || fw->installed)
		return false;
	r = g_new0(EmptyRead, 1);
	r->fw = fw;
	r->done = done;
	r->tether_done = tether_done;
	r->user_data = user_data;
	r->source = g_idle_add(empty_read_cb, r);
	g_ptr_array_add(fw->empty_reads, r);
	return true;
}

/* ---- the interface ---------------------------------------------------------------- */

int nfc_firewall_new(const NfcFirewallOps *ops, const NfcFirewallConfig *config,
		     NfcFirewall **firewall)
{
	g_autoptr(GError) error = NULL;
	NfcFirewall *fw;
	int err;

	if (!nfc_mark_layout_validate(&config->layout, &error))
		return -EINVAL;
	fw = g_new0(NfcFirewall, 1);
	fw->ops = ops;
	fw->config = *config;
	err = ops->create(&fw->config, &fw->priv);
	if (err < 0) {
		g_free(fw);
		return err;
	}
	fw->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fw->nats = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	fw->empty_reads = g_ptr_array_new();
	*firewall = fw;
	return 0;
}

void nfc_firewall_free(NfcFirewall *fw)
{
	if (!fw)
		return;
	fw->ops->destroy(fw->priv);
	g_clear_handle_id(&fw->linger, g_source_remove);
	for (guint i = 0; i < fw->empty_reads->len; i++) {
		EmptyRead *r = fw->empty_reads->pdata[i];

		g_source_remove(r->source);
		g_free(r);
	}
	g_ptr_array_unref(fw->empty_reads);
	g_hash_table_unref(fw->keys);
	g_hash_table_unref(fw->nats);
	g_free(fw);
}

const char *nfc_firewall_backend_name(NfcFirewall *fw)
{
	return fw->ops->name;
}

const NfcMarkLayout *nfc_firewall_layout(NfcFirewall *fw)
{
	return &fw->config.layout;
}

void nfc_firewall_set_event_func(NfcFirewall *fw, NfcFirewallEventFunc func, void *user_data)
{
	fw->ops->set_event_func(fw->priv, func, user_data);
}

int nfc_firewall_init(NfcFirewall *fw, NfcFirewallDoneFunc done, void *user_data)
{
	bool full = !fw->config.idle_empty || needed(fw);
	int r = submit(fw, request_new(fw, full ? REQ_FULL : REQ_CLEANUP, done, user_data));

	if (r == 0) {
		fw->started = true;
		fw->installed = full;
	}
	return r;
}

int nfc_firewall_cleanup(NfcFirewall *fw, NfcFirewallDoneFunc done, void *user_data)
{
	g_clear_handle_id(&fw->linger, g_source_remove);
	fw->started = false;
	fw->installed = false;
	return submit(fw, request_new(fw, REQ_CLEANUP, done, user_data));
}

static int check_identity(const NfcFirewallIdentity *identity)
{
	switch (identity->kind) {
	case NFC_IDENTITY_UID:
	case NFC_IDENTITY_GID:
		return 0;
	case NFC_IDENTITY_CGROUP:
		return identity->cgroup_path && identity->cgroup_path[0] == '/' ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* The key is the backends' name for an identity in their state: a removal
 * finds by it what the add installed. */
static char *identity_key(const NfcFirewallIdentity *identity)
{
	switch (identity->kind) {
	case NFC_IDENTITY_UID:
		return g_strdup_printf("u:%u", identity->id);
	case NFC_IDENTITY_GID:
		return g_strdup_printf("g:%u", identity->id);
	case NFC_IDENTITY_CGROUP:
		return g_strdup_printf("c:%s", identity->cgroup_path);
	}
	return NULL;
}

static int identity_request(NfcFirewall *fw, NfcFirewallRequestType type,
			    const NfcFirewallIdentity *identity, uint32_t mark,
			    NfcFirewallDoneFunc done, void *user_data)
{
	NfcFirewallRequest *req = request_new(fw, type, done, user_data);
	g_autofree char *key = identity_key(identity);
	int err;

	req->id_key = g_strdup(key);
	err = fw->ops->identity_prepare(req, identity, mark);
	if (err < 0) {
		fw->ops->request_free(req);
		return err;
	}
	return submit_tracked(fw, fw->keys, key, type == REQ_ID_ADD, req);
}

int nfc_firewall_identity_add(NfcFirewall *fw, const NfcFirewallIdentity *identity, uint32_t mark,
			      NfcFirewallDoneFunc done, void *user_data)
{
	uint32_t ours = nfc_mark_layout_mask(&fw->config.layout);

	/* A zero mark could not be told from "no mark", and foreign bits are
	 * not ours to set. */
	if (check_identity(identity) < 0 || mark == 0 || (mark & ~ours))
		return -EINVAL;
	return identity_request(fw, REQ_ID_ADD, identity, mark, done, user_data);
}

int nfc_firewall_identity_remove(NfcFirewall *fw, const NfcFirewallIdentity *identity,
				 NfcFirewallDoneFunc done, void *user_data)
{
	if (check_identity(identity) < 0)
		return -EINVAL;
	return identity_request(fw, REQ_ID_DEL, identity, 0, done, user_data);
}

int nfc_firewall_counters_read(NfcFirewall *fw, NfcFirewallCountersFunc done, void *user_data)
{
	NfcFirewallRequest *req;

	if (read_empty(fw, done, NULL, user_data))
		return 0;
	req = request_new(fw, REQ_COUNTERS, NULL, user_data);
	req->counters_done = done;
	return submit(fw, req);
}

static int check_nat(const NfcFirewallNat *nat)
{
	size_t len = strnlen(nat->ifname, sizeof(nat->ifname));

	if (nat->prefixlen > 32 || len == 0 || len == sizeof(nat->ifname))
		return -EINVAL;
	return 0;
}

static char *nat_key(const NfcFirewallNat *nat)
{
	return g_strdup_printf("%08x/%u %.*s", nat->subnet, nat->prefixlen,
			       (int)sizeof(nat->ifname), nat->ifname);
}

int nfc_firewall_nat_add(NfcFirewall *fw, const NfcFirewallNat *nat,
			 NfcFirewallDoneFunc done, void *user_data)
{
	g_autofree char *key = NULL;
	NfcFirewallRequest *req;

	if (check_nat(nat) < 0)
		return -EINVAL;
	key = nat_key(nat);
	req = request_new(fw, REQ_NAT_ADD, done, user_data);
	req->nat = *nat;
	return submit_tracked(fw, fw->nats, key, true, req);
}

int nfc_firewall_nat_remove(NfcFirewall *fw, const NfcFirewallNat *nat,
			    NfcFirewallDoneFunc done, void *user_data)
{
	g_autofree char *key = NULL;
	NfcFirewallRequest *req;

	if (check_nat(nat) < 0)
		return -EINVAL;
	key = nat_key(nat);
	req = request_new(fw, REQ_NAT_DEL, done, user_data);
	req->nat = *nat;
	return submit_tracked(fw, fw->nats, key, false, req);
}

static bool ifname_ok(const char *name)
{
	size_t len = name ? strnlen(name, 16) : 0;

	return len > 0 && len < 16;
}

int nfc_firewall_uplinks_set(NfcFirewall *fw, const char *const *ifnames,
			     NfcFirewallDoneFunc done, void *user_data)
{
	static const char *const none[] = { NULL };
	NfcFirewallRequest *req;

	for (const char *const *p = ifnames; p && *p; p++)
		if (!ifname_ok(*p))
			return -EINVAL;
	req = request_new(fw, REQ_UPLINKS, done, user_data);
	req->uplinks = g_strdupv((char **)(ifnames ? ifnames : none));
	return submit(fw, req);
}

int nfc_firewall_tether_set(NfcFirewall *fw, const NfcFirewallTether *tether,
			    NfcFirewallDoneFunc done, void *user_data)
{
	NfcFirewallRequest *req;
	bool was_on;
	int r;

	if (tether && (!ifname_ok(tether->bridge) || tether->prefixlen4 > 32 ||
		       tether->prefixlen6 > 128))
		return -EINVAL;
	was_on = fw->tether_on;
	fw->tether_on = tether != NULL;
	settle(fw, true);
	req = request_new(fw, REQ_TETHER, done, user_data);
	if (tether) {
		req->tether_on = true;
		req->tether = *tether;
	}
	r = submit(fw, req);
	if (r < 0)
		fw->tether_on = was_on;
	settle(fw, false);
	return r;
}

int nfc_firewall_tether_counters_read(NfcFirewall *fw, NfcFirewallTetherCountersFunc done,
				      void *user_data)
{
	NfcFirewallRequest *req;

	if (read_empty(fw, NULL, done, user_data))
		return 0;
	req = request_new(fw, REQ_TETHER_COUNTERS, NULL, user_data);
	req->tether_counters_done = done;
	return submit(fw, req);
}

/* ---- choosing a backend ----------------------------------------------------- */

int nfc_firewall_probe_nftables(char **why)
{
	int r = nft_probe_flags(0);

	if (r < 0 && why)
		*why = g_strdup_printf("creating a scratch nftables table failed: %s",
				       g_strerror(-r));
	return r;
}

const NfcFirewallOps *nfc_firewall_choose(NfcFirewallChoice choice, GError **error)
{
	g_autofree char *why_nft = NULL, *why_ipt = NULL;

	if (choice != NFC_FIREWALL_CHOICE_IPTABLES) {
		if (nfc_firewall_probe_nftables(&why_nft) == 0)
			return &nfc_firewall_nft_ops;
		if (choice == NFC_FIREWALL_CHOICE_NFTABLES) {
			g_set_error(error, NFC_FIREWALL_ERROR, NFC_FIREWALL_ERROR_NO_BACKEND,
				    "FirewallBackend=nftables cannot work here: %s", why_nft);
			return NULL;
		}
	}
	if (nfc_firewall_probe_iptables(&why_ipt) < 0) {
		if (choice == NFC_FIREWALL_CHOICE_IPTABLES)
			g_set_error(error, NFC_FIREWALL_ERROR, NFC_FIREWALL_ERROR_NO_BACKEND,
				    "FirewallBackend=iptables cannot work here: %s", why_ipt);
		else
			g_set_error(error, NFC_FIREWALL_ERROR, NFC_FIREWALL_ERROR_NO_BACKEND,
				    "no firewall backend works here: nftables: %s; iptables: %s",
				    why_nft, why_ipt);
		return NULL;
	}
	if (choice == NFC_FIREWALL_CHOICE_AUTO)
		nfc_warn("firewall: nftables unusable (%s); falling back to iptables (legacy xtables)",
			 why_nft);
	return &nfc_firewall_ipt_ops;
}
