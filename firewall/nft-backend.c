// SPDX-License-Identifier: GPL-2.0-or-later
/* The nftables backend: the only nfnetlink user in nfconnd. One command
 * socket, kept open for the daemon's life because our table carries the
 * owner flag (nobody else may change it while that socket is open) and,
 * on Linux >= 6.9, the persist flag (when the socket closes without our
 * cleanup, in a crash, the kernel keeps the table as it was, orphaned,
 * so steering fails closed until the next start replaces it), and one
 * socket on NFNLGRP_NFTABLES that watches for changes to our table made
 * by anybody else.
 *
 * Requests run one at a time from a queue: each is one atomic batch (or
 * one dump), built from our state when it starts and applied to that state
 * only when the kernel acked every message of it, so the state always
 * mirrors what the kernel holds. */
#include "nft.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <glib-unix.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "log.h"
#include "request.h"

typedef struct {
	NfcFirewallRequest base;
	NftIdentity id;

	/* while in flight */
	bool get;                 /* a GET or dump, not a batch */
	uint32_t first_seq, last_seq;
	unsigned int acks_expected, acks;
	int error;
	uint8_t slots[NFT_N_SLOTS];
	GArray *counters;         /* NfcSessionCounters */
	GHashTable *counter_index; /* session value → index + 1 */
	GArray *tether_counters;  /* NfcTetherCounters */
	GHashTable *tether_index; /* family + address → index + 1 */
	unsigned int dump_stage;  /* REQ_TETHER_COUNTERS: 0 the v4 set, 1 the v6 one */
} Request;

typedef struct {
	int refs;
	bool dead;
	NfcMarkLayout layout;
	NftState st;
	struct mnl_socket *cmd, *mon;
	guint cmd_watch, mon_watch;
	uint32_t portid;
	uint32_t seq;
	GQueue queue;
	Request *current;
	guint dispatch_id;         /* dispatch, or finish_started */
	int started;               /* start()'s answer for finish_started */
	guint repair_id;
	bool installed;            /* our table is (believed to be) in the kernel */
	bool check_queued;
	NfcFirewallEventFunc event_func;
	void *event_data;
} Nft;

static void request_free(Request *req)
{
	nfc_firewall_request_clear(&req->base);
	if (req->tether_counters)
		g_array_unref(req->tether_counters);
	if (req->tether_index)
		g_hash_table_unref(req->tether_index);
	if (req->counters)
		g_array_unref(req->counters);
	if (req->counter_index)
		g_hash_table_unref(req->counter_index);
	g_free(req);
}

static void nft_unref(Nft *nft)
{
	if (--nft->refs > 0)
		return;
	g_hash_table_unref(nft->st.identities);
	g_hash_table_unref(nft->st.sessions);
	g_hash_table_unref(nft->st.session_marks);
	g_array_unref(nft->st.nats);
	g_strfreev(nft->st.uplinks);
	g_free(nft);
}

static void schedule_dispatch(Nft *nft);

/* Runs the callback of a finished request. Returns false if the backend
 * was destroyed from inside it. */
static bool complete(Nft *nft, Request *req, int error)
{
	bool alive;

	nft->refs++;
	if (req->base.type == REQ_COUNTERS && req->base.counters_done)
		req->base.counters_done(error,
					error ? NULL : (NfcSessionCounters *)req->counters->data,
					error ? 0 : req->counters->len, req->base.user_data);
	else if (req->base.type == REQ_TETHER_COUNTERS && req->base.tether_counters_done)
		req->base.tether_counters_done(error,
					       error || !req->tether_counters ? NULL :
					       (NfcTetherCounters *)req->tether_counters->data,
					       error || !req->tether_counters ? 0 :
					       req->tether_counters->len,
					       req->base.user_data);
	else if (req->base.done)
		req->base.done(error, req->base.user_data);
	if (req->base.repair && nft->event_func && !nft->dead)
		nft->event_func(NFC_FIREWALL_EVENT_REPAIRED, error, nft->event_data);
	alive = !nft->dead;
	nft_unref(nft);
	return alive;
}

/* ---- state ------------------------------------------------------------------ */

static unsigned int session_refs(Nft *nft, uint32_t bits)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(nft->st.sessions, GUINT_TO_POINTER(bits)));
}

static void session_ref(Nft *nft, uint32_t bits, int delta)
{
	unsigned int refs = session_refs(nft, bits) + delta;

	if (!bits)
		return;
	if (refs)
		g_hash_table_insert(nft->st.sessions, GUINT_TO_POINTER(bits), GUINT_TO_POINTER(refs));
	else
		g_hash_table_remove(nft->st.sessions, GUINT_TO_POINTER(bits));
}

/* The moved-session map's change for old (may be NULL) becoming id (NULL:
 * removed), as state_set_identity will leave st.session_marks. */
static void put_session_mark_change(Nft *nft, NftBatch *b, const NftIdentity *old,
				    const NftIdentity *id)
{
	uint32_t s_old = old ? old->mark & nft->st.session_mask : 0;
	uint32_t s_new = id ? id->mark & nft->st.session_mask : 0;
	uint32_t cur;

	if (!nft->st.sock_marks)
		return;
	if (s_old && s_old != s_new && session_refs(nft, s_old) == 1)
		nft_put_session_mark(b, &nft->st, s_old,
				     GPOINTER_TO_UINT(g_hash_table_lookup(nft->st.session_marks,
									  GUINT_TO_POINTER(s_old))),
				     false);
	if (!s_new)
		return;
	cur = GPOINTER_TO_UINT(g_hash_table_lookup(nft->st.session_marks, GUINT_TO_POINTER(s_new)));
	if (cur == id->mark)
		return;
	/* a map element's data is replaced by delete and add */
	if (cur)
		nft_put_session_mark(b, &nft->st, s_new, cur, false);
	nft_put_session_mark(b, &nft->st, s_new, id->mark, true);
}

/* id NULL: the identity goes away */
static void state_set_identity(Nft *nft, const char *key, const NftIdentity *id)
{
	NftIdentity *old = g_hash_table_lookup(nft->st.identities, key);

	if (old) {
		uint32_t bits = old->mark & nft->st.session_mask;

		session_ref(nft, bits, -1);
		if (!session_refs(nft, bits))
			g_hash_table_remove(nft->st.session_marks, GUINT_TO_POINTER(bits));
	}
	if (id) {
		uint32_t bits = id->mark & nft->st.session_mask;

		session_ref(nft, bits, +1);
		if (bits)
			g_hash_table_insert(nft->st.session_marks, GUINT_TO_POINTER(bits),
					    GUINT_TO_POINTER(id->mark));
		g_hash_table_insert(nft->st.identities, g_strdup(key), g_memdup2(id, sizeof(*id)));
	} else {
		g_hash_table_remove(nft->st.identities, key);
	}
}

static int nat_index(Nft *nft, const NfcFirewallNat *nat)
{
	for (guint i = 0; i < nft->st.nats->len; i++) {
		NfcFirewallNat *n = &g_array_index(nft->st.nats, NfcFirewallNat, i);

		if (n->subnet == nat->subnet && n->prefixlen == nat->prefixlen &&
		    strncmp(n->ifname, nat->ifname, sizeof(n->ifname)) == 0)
			return i;
	}
	return -1;
}

/* Field by field: the callers' padding is not ours to compare. */
static bool tether_equal(const NfcFirewallTether *a, const NfcFirewallTether *b)
{
	return strncmp(a->bridge, b->bridge, sizeof(a->bridge)) == 0 &&
	       a->subnet4 == b->subnet4 && a->prefixlen4 == b->prefixlen4 &&
	       memcmp(a->subnet6, b->subnet6, sizeof(a->subnet6)) == 0 &&
	       a->prefixlen6 == b->prefixlen6;
}

/* ---- sending ------------------------------------------------------------------ */

static int send_batch(Nft *nft, Request *req, NftBatch *b)
{
	nft_batch_finish(b);
	req->get = false;
	req->first_seq = b->first_seq;
	req->last_seq = b->next_seq - 1;
	req->acks_expected = b->n_msgs;
	nft->seq = b->next_seq;
	if (mnl_socket_sendto(nft->cmd, b->buf->data, b->used) < 0)
		return -errno;
	return 0;
}

static NftBatch batch_new(Nft *nft)
{
	NftBatch b;

	nft_batch_init(&b, nft->seq);
	return b;
}

static int send_get(Nft *nft, Request *req, uint16_t type, uint16_t flags, const char *set_name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = nft->seq++;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, seq);

	if (set_name) {
		struct nftnl_set *set = nftnl_set_alloc();

		nftnl_set_set_str(set, NFTNL_SET_TABLE, NFT_TABLE_NAME);
		nftnl_set_set_str(set, NFTNL_SET_NAME, set_name);
		nftnl_set_elems_nlmsg_build_payload(nlh, set);
		nftnl_set_free(set);
	} else {
		struct nftnl_table *t = nftnl_table_alloc();

		nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
	}
	req->get = true;
	req->first_seq = req->last_seq = seq;
	if (mnl_socket_sendto(nft->cmd, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* Starts req. Returns 1 when sent (it finishes when the kernel answers),
 * 0 or a negative errno when it is already finished. */
static int start(Nft *nft, Request *req)
{
	NftBatch b;
	NftIdentity *old;
	int err;

	switch (req->base.type) {
	case REQ_FULL:
		if (req->base.repair)
			nfc_warn("nftables table inet %s was changed from outside; reinstalling it",
				 NFT_TABLE_NAME);
		b = batch_new(nft);
		nft_put_full_install(&b, &nft->st, req->slots);
		break;
	case REQ_CLEANUP:
		b = batch_new(nft);
		/* create-then-delete: succeeds whether or not it exists */
		nft_put_table_remove(&b, &nft->st);
		break;
	case REQ_ID_ADD:
		old = g_hash_table_lookup(nft->st.identities, req->base.id_key);
		if (old && old->mark == req->id.mark)
			return 0;
		if (!nft->installed)
			return 0;
		b = batch_new(nft);
		if (nft_slot_missing(&nft->st, req->id.slot))
			nft_put_slot_install(&b, &nft->st, req->id.slot);
		if (old) {
			uint32_t s_old = old->mark & nft->st.session_mask;
			uint32_t s_new = req->id.mark & nft->st.session_mask;

			nft_put_identity_elem(&b, old, false);
			if (s_old && s_old != s_new && session_refs(nft, s_old) == 1)
				nft_put_session_counters(&b, s_old, false);
			if (s_new && s_new != s_old && session_refs(nft, s_new) == 0)
				nft_put_session_counters(&b, s_new, true);
		} else {
			uint32_t s_new = req->id.mark & nft->st.session_mask;

			if (s_new && session_refs(nft, s_new) == 0)
				nft_put_session_counters(&b, s_new, true);
		}
		nft_put_identity_elem(&b, &req->id, true);
		put_session_mark_change(nft, &b, old, &req->id);
		break;
	case REQ_ID_DEL:
		old = g_hash_table_lookup(nft->st.identities, req->base.id_key);
		if (!old)
			return -ENOENT;
		if (!nft->installed)
			return 0;
		b = batch_new(nft);
		nft_put_identity_elem(&b, old, false);
		if ((old->mark & nft->st.session_mask) &&
		    session_refs(nft, old->mark & nft->st.session_mask) == 1)
			nft_put_session_counters(&b, old->mark & nft->st.session_mask, false);
		put_session_mark_change(nft, &b, old, NULL);
		break;
	case REQ_NAT_ADD:
		if (nat_index(nft, &req->base.nat) >= 0)
			return 0;
		if (!nft->installed)
			return 0;
		b = batch_new(nft);
		g_array_append_val(nft->st.nats, req->base.nat);
		nft_put_nat_rules(&b, &nft->st);
		g_array_remove_index(nft->st.nats, nft->st.nats->len - 1);
		break;
	case REQ_NAT_DEL: {
		int i = nat_index(nft, &req->base.nat);
		NfcFirewallNat saved;

		if (i < 0)
			return -ENOENT;
		if (!nft->installed)
			return 0;
		b = batch_new(nft);
		saved = g_array_index(nft->st.nats, NfcFirewallNat, i);
		g_array_remove_index(nft->st.nats, i);
		nft_put_nat_rules(&b, &nft->st);
		g_array_insert_val(nft->st.nats, i, saved);
		break;
	}
	case REQ_UPLINKS: {
		char **saved;

		if (!nft->installed)
			return 0;
		b = batch_new(nft);
		saved = nft->st.uplinks;
		nft->st.uplinks = req->base.uplinks;
		nft_put_uplinks(&b, &nft->st);
		nft->st.uplinks = saved;
		break;
	}
	case REQ_TETHER: {
		bool was_on = nft->st.tether_on;
		NfcFirewallTether saved = nft->st.tether;

		/* the same again keeps the clients' counters */
		if (req->base.tether_on == was_on &&
		    (!was_on || tether_equal(&req->base.tether, &saved)))
			return 0;
		if (!nft->installed)
			return 0;
		b = batch_new(nft);
		nft->st.tether_on = req->base.tether_on;
		nft->st.tether = req->base.tether;
		nft_put_tether(&b, &nft->st, was_on);
		nft->st.tether_on = was_on;
		nft->st.tether = saved;
		break;
	}
	case REQ_TETHER_COUNTERS:
		if (!nft->installed)
			return -ENOTCONN;
		req->tether_counters = g_array_new(FALSE, TRUE, sizeof(NfcTetherCounters));
		req->tether_index = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
							  (GDestroyNotify)g_bytes_unref, NULL);
		if (!nft->st.tether_on)
			return 0;
		err = send_get(nft, req, NFT_MSG_GETSETELEM, NLM_F_DUMP, NFT_SET_TETHER4);
		return err < 0 ? err : 1;
	case REQ_COUNTERS:
		if (!nft->installed)
			return -ENOTCONN;
		req->counters = g_array_new(FALSE, TRUE, sizeof(NfcSessionCounters));
		req->counter_index = g_hash_table_new(NULL, NULL);
		err = send_get(nft, req, NFT_MSG_GETSETELEM, NLM_F_DUMP, NFT_SET_COUNTERS);
		return err < 0 ? err : 1;
	case REQ_CHECK:
		nft->check_queued = false;
		if (!nft->installed)
			return 0;
		err = send_get(nft, req, NFT_MSG_GETTABLE, 0, NULL);
		return err < 0 ? err : 1;
	default:
		g_assert_not_reached();
	}
	err = send_batch(nft, req, &b);
	nft_batch_clear(&b);
	return err < 0 ? err : 1;
}

/* Applies a request the kernel accepted to our state. */
static void apply(Nft *nft, Request *req)
{
	int i;

	switch (req->base.type) {
	case REQ_FULL:
		nft->installed = true;
		memcpy(nft->st.installed, req->slots, sizeof(nft->st.installed));
		break;
	case REQ_CLEANUP:
		nft->installed = false;
		memset(nft->st.installed, 0, sizeof(nft->st.installed));
		break;
	case REQ_ID_ADD:
		if (nft->installed)
			nft->st.installed[req->id.slot] = 1;
		state_set_identity(nft, req->base.id_key, &req->id);
		break;
	case REQ_ID_DEL:
		state_set_identity(nft, req->base.id_key, NULL);
		break;
	case REQ_NAT_ADD:
		if (nat_index(nft, &req->base.nat) < 0)
			g_array_append_val(nft->st.nats, req->base.nat);
		break;
	case REQ_NAT_DEL:
		i = nat_index(nft, &req->base.nat);
		if (i >= 0)
			g_array_remove_index(nft->st.nats, i);
		break;
	case REQ_UPLINKS:
		g_strfreev(nft->st.uplinks);
		nft->st.uplinks = g_steal_pointer(&req->base.uplinks);
		break;
	case REQ_TETHER:
		nft->st.tether_on = req->base.tether_on;
		nft->st.tether = req->base.tether;
		break;
	case REQ_COUNTERS:
	case REQ_TETHER_COUNTERS:
		break;
	case REQ_CHECK:
		break;
	}
}

static void schedule_repair(Nft *nft);

/* Finishes the current request. false: the backend was destroyed. */
static bool finish(Nft *nft, int error)
{
	Request *req = nft->current;
	bool alive;

	nft->current = NULL;
	if (req->base.type == REQ_CHECK && error == -ENOENT && nft->installed) {
		nfc_warn("nftables table inet %s disappeared", NFT_TABLE_NAME);
		schedule_repair(nft);
		error = 0;
	}
	if (error == 0)
		apply(nft, req);
	else
		nfc_debug("nft request %d failed: %s", req->base.type, g_strerror(-error));
	alive = complete(nft, req, error);
	request_free(req);
	if (alive)
		schedule_dispatch(nft);
	return alive;
}

/* The next request becomes the current one and goes to the kernel.
 * <= 0: it is done without an answer to wait for (nothing to send, or an
 * error): the caller finishes it. */
static int send_next(Nft *nft)
{
	nft->current = g_queue_pop_head(&nft->queue);
	return start(nft, nft->current);
}

static gboolean dispatch(gpointer data)
{
	Nft *nft = data;
	int r;

	nft->dispatch_id = 0;
	if (nft->current || g_queue_is_empty(&nft->queue))
		return G_SOURCE_REMOVE;
	r = send_next(nft);
	if (r <= 0)
		finish(nft, r); /* schedules the next one */
	return G_SOURCE_REMOVE;
}

static void schedule_dispatch(Nft *nft)
{
	if (!nft->dispatch_id && !nft->current && !g_queue_is_empty(&nft->queue))
		/* before other events: the kernel change is what puts a
		 * session's policy in effect; new bus requests can wait */
		nft->dispatch_id = g_idle_add_full(G_PRIORITY_HIGH, dispatch, nft, NULL);
}

static Request *request_new(NfcFirewallRequestType type, NfcFirewallDoneFunc done,
			    void *user_data)
{
	return (Request *)nfc_firewall_request_new(sizeof(Request), type, done, user_data);
}

static gboolean finish_started(gpointer data)
{
	Nft *nft = data;

	nft->dispatch_id = 0;
	finish(nft, nft->started);
	return G_SOURCE_REMOVE;
}

/* Nothing in flight: the batch goes to the kernel now, inside the caller's
 * event (the kernel commits it within sendmsg), not one main-loop turn
 * later. The caller still hears back from the main loop, never from here. */
static int enqueue(Nft *nft, Request *req)
{
	g_queue_push_tail(&nft->queue, req);
	if (!nft->current && !nft->dispatch_id) {
		nft->started = send_next(nft);
		if (nft->started <= 0)
			nft->dispatch_id = g_idle_add_full(G_PRIORITY_HIGH, finish_started, nft, NULL);
		return 0;
	}
	schedule_dispatch(nft);
	return 0;
}

/* ---- receiving ------------------------------------------------------------------ */

static int counter_cb(struct nftnl_expr *e, void *data)
{
	uint64_t *pb = data;

	if (g_str_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter")) {
		pb[0] = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		pb[1] = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

/* Calls each(key, key_len, packets, bytes) for every element of a counted
 * set in a GETSETELEM reply. */
static void foreach_counted_elem(const struct nlmsghdr *nlh,
				 void (*each)(const uint8_t *key, uint32_t len, const uint64_t pb[2],
					      void *data),
				 void *data)
{
	struct nftnl_set *set = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (nftnl_set_elems_nlmsg_parse(nlh, set) < 0) {
		nftnl_set_free(set);
		return;
	}
	it = nftnl_set_elems_iter_create(set);
	while ((e = nftnl_set_elems_iter_next(it))) {
		uint32_t len = 0;
		const uint8_t *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		uint64_t pb[2] = { 0, 0 };

		if (!key)
			continue;
		nftnl_set_elem_expr_foreach(e, counter_cb, pb);
		each(key, len, pb, data);
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(set);
}

typedef struct {
	Nft *nft;
	Request *req;
} CountersParse;

static void session_counter(const uint8_t *key_bytes, uint32_t len, const uint64_t pb[2],
			    void *data)
{
	CountersParse *p = data;
	Request *req = p->req;
	uint32_t key[2];
	NfcSessionCounters *c;
	guint index;

	if (len != sizeof(key))
		return;
	memcpy(key, key_bytes, sizeof(key));
	index = GPOINTER_TO_UINT(g_hash_table_lookup(req->counter_index, GUINT_TO_POINTER(key[0])));
	if (!index) {
		NfcSessionCounters zero = {
			.session = (key[0] & p->nft->st.session_mask) >> p->nft->layout.session_shift,
		};

		g_array_append_val(req->counters, zero);
		index = req->counters->len;
		g_hash_table_insert(req->counter_index, GUINT_TO_POINTER(key[0]),
				    GUINT_TO_POINTER(index));
	}
	c = &g_array_index(req->counters, NfcSessionCounters, index - 1);
	if (key[1] == 0) {
		c->tx_packets = pb[0];
		c->tx_bytes = pb[1];
	} else {
		c->rx_packets = pb[0];
		c->rx_bytes = pb[1];
	}
}

static void tether_counter(const uint8_t *key, uint32_t len, const uint64_t pb[2], void *data)
{
	Request *req = data;
	uint32_t dir;
	NfcTetherCounters *c;
	g_autoptr(GBytes) id = NULL;
	size_t alen;
	guint index;

	/* address . direction (4 bytes, host order) */
	if (len != 4 + 4 && len != 16 + 4)
		return;
	alen = len - 4;
	memcpy(&dir, key + alen, sizeof(dir));
	id = g_bytes_new(key, alen);
	index = GPOINTER_TO_UINT(g_hash_table_lookup(req->tether_index, id));
	if (!index) {
		NfcTetherCounters zero = { .family = alen == 4 ? AF_INET : AF_INET6 };

		memcpy(zero.address, key, alen);
		g_array_append_val(req->tether_counters, zero);
		index = req->tether_counters->len;
		g_hash_table_insert(req->tether_index, g_bytes_ref(id), GUINT_TO_POINTER(index));
	}
	c = &g_array_index(req->tether_counters, NfcTetherCounters, index - 1);
	if (dir == NFT_TETHER_TX) {
		c->tx_packets = pb[0];
		c->tx_bytes = pb[1];
	} else {
		c->rx_packets = pb[0];
		c->rx_bytes = pb[1];
	}
}

/* Handles one message for the current request. false: stop reading this
 * buffer (the request finished; the rest of it is stale or the backend is
 * gone). */
static bool handle_reply(Nft *nft, const struct nlmsghdr *nlh)
{
	Request *req = nft->current;

	if (!req || nlh->nlmsg_pid != nft->portid ||
	    nlh->nlmsg_seq < req->first_seq || nlh->nlmsg_seq > req->last_seq)
		return true;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

		if (req->get || nlh->nlmsg_seq == req->first_seq) {
			/* a GET failed, or the whole batch did (commit error) */
			finish(nft, err->error ? err->error : (req->get ? 0 : -EIO));
			return false;
		}
		if (err->error && !req->error)
			req->error = err->error;
		if (++req->acks == req->acks_expected) {
			finish(nft, req->error);
			return false;
		}
		return true;
	}
	if (nlh->nlmsg_type == NLMSG_DONE) {
		if (req->get && req->base.type == REQ_TETHER_COUNTERS && req->dump_stage == 0) {
			/* one dump at a time on a socket: the v6 set next */
			int err;

			req->dump_stage = 1;
			err = send_get(nft, req, NFT_MSG_GETSETELEM, NLM_F_DUMP, NFT_SET_TETHER6);
			if (err < 0)
				finish(nft, err);
			return false;
		}
		if (req->get) {
			finish(nft, 0);
			return false;
		}
		return true;
	}
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return true;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWSETELEM:
		if (req->base.type == REQ_COUNTERS)
			foreach_counted_elem(nlh, session_counter, &(CountersParse){ nft, req });
		else if (req->base.type == REQ_TETHER_COUNTERS)
			foreach_counted_elem(nlh, tether_counter, req);
		return true;
	case NFT_MSG_NEWTABLE:
		if (req->base.type == REQ_CHECK) {
			finish(nft, 0);
			return false;
		}
		return true;
	default:
		return true;
	}
}

static gboolean on_cmd_readable(int fd, GIOCondition cond, gpointer data)
{
	Nft *nft = data;
	char buf[MNL_SOCKET_BUFFER_SIZE];

	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nft->cmd, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return G_SOURCE_CONTINUE;
			nfc_error("nfnetlink receive failed: %s", g_strerror(errno));
			if (nft->current)
				finish(nft, -errno);
			return G_SOURCE_CONTINUE;
		}
		for (int rest = len; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest))
			if (!handle_reply(nft, nlh))
				return G_SOURCE_CONTINUE;
	}
}

/* ---- the tamper watch --------------------------------------------------------- */

static gboolean on_repair(gpointer data)
{
	Nft *nft = data;
	Request *req;

	nft->repair_id = 0;
	if (!nft->installed)
		return G_SOURCE_REMOVE;
	req = request_new(REQ_FULL, NULL, NULL);
	req->base.repair = true;
	/* ahead of the others: they assume our table is there */
	g_queue_push_head(&nft->queue, req);
	schedule_dispatch(nft);
	return G_SOURCE_REMOVE;
}

static void schedule_repair(Nft *nft)
{
	/* a short pause gathers one outside transaction's many events into
	 * one repair */
	if (!nft->repair_id)
		nft->repair_id = g_timeout_add(20, on_repair, nft);
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **name = data;

	/* attribute 1 is the table name in every nf_tables message
	 * (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE,
	 * NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE, ...) */
	if (mnl_attr_get_type(attr) == 1 && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*name = attr;
	return MNL_CB_OK;
}

static void handle_event(Nft *nft, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *gen;
	const struct nlattr *name = NULL;
	unsigned int type;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return;
	type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	/* our own changes are reported with our port id */
	if (type == NFT_MSG_NEWGEN || nlh->nlmsg_pid == nft->portid)
		return;
	gen = mnl_nlmsg_get_payload(nlh);
	if (gen->nfgen_family != NFPROTO_INET)
		return;
	mnl_attr_parse(nlh, sizeof(*gen), attr_cb, &name);
	if (!name || !g_str_equal(mnl_attr_get_str(name), NFT_TABLE_NAME))
		return;
	nfc_debug("nftables event %u on our table from port %u", type, nlh->nlmsg_pid);
	if (nft->installed)
		schedule_repair(nft);
}

static gboolean on_mon_readable(int fd, GIOCondition cond, gpointer data)
{
	Nft *nft = data;
	char buf[MNL_SOCKET_BUFFER_SIZE];

	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nft->mon, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

		if (len < 0) {
			if (errno == ENOBUFS) {
				/* events were lost: ask the kernel instead */
				nfc_warn("nftables monitor overrun; checking our table");
				if (!nft->check_queued && nft->installed) {
					nft->check_queued = true;
					enqueue(nft, request_new(REQ_CHECK, NULL, NULL));
				}
				continue;
			}
			return G_SOURCE_CONTINUE;
		}
		for (int rest = len; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest))
			handle_event(nft, nlh);
	}
}

/* ---- ops ----------------------------------------------------------------------- */

/* Sends a batch on a socket of its own and waits for the answer (a local
 * round trip, at start only): the first error the kernel reports for any
 * of its messages, or 0 once the message numbered want_seq is acked. */
static int batch_sync(NftBatch *b, uint32_t want_seq)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = 2 };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid;
	int result = -ETIMEDOUT;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		result = -errno;
		mnl_socket_close(nl);
		return result;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, b->buf->data, b->used) < 0) {
		result = -errno;
		goto out;
	}
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

		if (len < 0) {
			result = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		for (int rest = len; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != portid)
				continue;
			if (err->error || nlh->nlmsg_seq == want_seq) {
				result = err->error;
				goto out;
			}
		}
	}
out:
	mnl_socket_close(nl);
	return result;
}

/* Does the kernel know these table flags? Asked once at start: 0 if it
 * does, the kernel's error if not (EOPNOTSUPP for flags it lacks). The
 * NEWTABLE's ack decides (acks come in order: a later error is not
 * reached once it is in). */
int nft_probe_flags(uint32_t flags)
{
	NftBatch b;
	uint32_t table_seq;
	int r;

	nft_batch_init(&b, (uint32_t)time(NULL));
	table_seq = b.next_seq;
	nft_put_flags_probe(&b, flags);
	nft_batch_finish(&b);
	r = batch_sync(&b, table_seq);
	nft_batch_clear(&b);
	return r;
}

/* Our table as an earlier run of the other backend's daemon left it (a
 * persistent table outlives a crash): removed while the iptables backend
 * is in use. Nothing to do where the kernel has no nf_tables; a table a
 * live process owns is refused by the kernel (EPERM) and stays. */
void nfc_firewall_nft_remove_leftovers(void)
{
	NftState none = { 0 };
	NftBatch b;
	uint32_t last_seq;
	int r;

	nft_batch_init(&b, (uint32_t)time(NULL));
	nft_put_table_remove(&b, &none);
	last_seq = b.next_seq - 1;
	nft_batch_finish(&b);
	r = batch_sync(&b, last_seq);
	nft_batch_clear(&b);
	if (r < 0 && r != -EPROTONOSUPPORT && r != -EOPNOTSUPP)
		nfc_warn("nftables: cannot remove table inet %s an earlier run left: %s",
			 NFT_TABLE_NAME, g_strerror(-r));
}

/* Owned and persistent where the kernel can (Linux >= 6.9): protected
 * while we live, kept as it was when we die (a crash fails closed), and
 * replaced by the next start. Older kernels drop an owned table with its
 * owner: there the table goes without the flag (kept after a crash too),
 * unprotected, and the tamper watch repairs what others change. */
static void choose_table_flags(Nft *nft, const NfcFirewallConfig *config)
{
	int r;

	nft->st.owner = !config->no_owner;
	if (!nft->st.owner)
		return;
	r = nft_probe_flags(NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST);
	if (r == 0) {
		nft->st.persist = true;
		return;
	}
	nft->st.owner = false;
	nfc_warn("nftables: the kernel cannot keep an owned table after a crash (%s): "
		 "table inet %s goes without the owner flag, repaired when changed from outside",
		 g_strerror(-r), NFT_TABLE_NAME);
}

/* Without the kernel dropping it with our socket, the table would stay
 * after an orderly stop whose cleanup never reached the kernel (another
 * request was in flight): remove it as the socket goes. */
static void remove_table_now(Nft *nft)
{
	NftBatch b = batch_new(nft);

	nft_put_table_remove(&b, &nft->st);
	nft_batch_finish(&b);
	if (mnl_socket_sendto(nft->cmd, b.buf->data, b.used) < 0)
		nfc_warn("nftables: cannot remove table inet %s: %s", NFT_TABLE_NAME,
			 g_strerror(errno));
	nft_batch_clear(&b);
}

static struct mnl_socket *open_socket(unsigned int group, int bufsize)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int err;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	if (group && mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		goto fail;
	/* big batches out, bursts of events in; best effort without
	 * CAP_NET_ADMIN (the requests would fail anyway) */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &bufsize,
		       sizeof(bufsize)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &bufsize,
		       sizeof(bufsize)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	return nl;
fail:
	err = errno;
	mnl_socket_close(nl);
	errno = err;
	return NULL;
}

static int nft_create(const NfcFirewallConfig *config, void **priv)
{
	Nft *nft = g_new0(Nft, 1);

	nft->refs = 1;
	nft->layout = config->layout;
	nft->st.ours = nfc_mark_layout_mask(&config->layout);
	nft->st.session_mask = nfc_mark_layout_session_mask(&config->layout);
	choose_table_flags(nft, config);
	nft->st.identities = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	nft->st.sessions = g_hash_table_new(NULL, NULL);
	nft->st.session_marks = g_hash_table_new(NULL, NULL);
	nft->st.sock_marks = config->sock_marks;
	nft->st.sock_notrack = config->sock_marks && config->sock_notrack;
	nft->st.nats = g_array_new(FALSE, TRUE, sizeof(NfcFirewallNat));
	g_queue_init(&nft->queue);
	nft->seq = (uint32_t)time(NULL);

	nft->cmd = open_socket(0, 32 << 20);
	if (nft->cmd)
		nft->mon = open_socket(NFNLGRP_NFTABLES, 8 << 20);
	if (!nft->cmd || !nft->mon) {
		int err = -errno;

		if (nft->cmd)
			mnl_socket_close(nft->cmd);
		nft_unref(nft);
		return err;
	}
	nft->portid = mnl_socket_get_portid(nft->cmd);
	nft->cmd_watch = g_unix_fd_add_full(G_PRIORITY_HIGH, mnl_socket_get_fd(nft->cmd), G_IO_IN,
					    on_cmd_readable, nft, NULL);
	nft->mon_watch = g_unix_fd_add(mnl_socket_get_fd(nft->mon), G_IO_IN, on_mon_readable, nft);
	*priv = nft;
	return 0;
}

static void nft_destroy(void *priv)
{
	Nft *nft = priv;
	Request *req;

	nft->dead = true;
	g_clear_handle_id(&nft->dispatch_id, g_source_remove);
	g_clear_handle_id(&nft->repair_id, g_source_remove);
	g_clear_handle_id(&nft->cmd_watch, g_source_remove);
	g_clear_handle_id(&nft->mon_watch, g_source_remove);
	/* closing the command socket makes the kernel drop an owned table,
	 * but not a persistent one, nor one without the owner flag */
	if (nft->cmd && (!nft->st.owner || nft->st.persist))
		remove_table_now(nft);
	g_clear_pointer(&nft->cmd, mnl_socket_close);
	g_clear_pointer(&nft->mon, mnl_socket_close);
	while ((req = g_queue_pop_head(&nft->queue)))
		request_free(req);
	/* (a request whose callback is running is no longer current) */
	g_clear_pointer(&nft->current, request_free);
	nft_unref(nft);
}

static int nft_identity_prepare(NfcFirewallRequest *base, const NfcFirewallIdentity *identity,
				uint32_t mark)
{
	Request *req = (Request *)base;
	unsigned int level = 0;
	int err;

	req->id.mark = mark;
	switch (identity->kind) {
	case NFC_IDENTITY_UID:
		req->id.slot = NFT_SLOT_UID;
		req->id.key = identity->id;
		return 0;
	case NFC_IDENTITY_GID:
		req->id.slot = NFT_SLOT_GID;
		req->id.key = identity->id;
		return 0;
	case NFC_IDENTITY_CGROUP:
		if (base->type != REQ_ID_ADD)
			return 0;
		err = nfc_cgroup_resolve(identity->cgroup_path, &req->id.key, &level);
		if (!err && level > NFT_MAX_CGROUP_LEVEL)
			err = -ERANGE;
		req->id.slot = NFT_SLOT_CGROUP(level);
		return err;
	}
	return -EINVAL;
}

static int nft_submit(void *priv, NfcFirewallRequest *req)
{
	return enqueue(priv, (Request *)req);
}

static void nft_request_free(NfcFirewallRequest *req)
{
	request_free((Request *)req);
}

static void nft_set_event_func(void *priv, NfcFirewallEventFunc func, void *user_data)
{
	Nft *nft = priv;

	nft->event_func = func;
	nft->event_data = user_data;
}

const NfcFirewallOps nfc_firewall_nft_ops = {
	.name = "nftables",
	.request_size = sizeof(Request),
	.create = nft_create,
	.destroy = nft_destroy,
	.identity_prepare = nft_identity_prepare,
	.submit = nft_submit,
	.request_free = nft_request_free,
	.set_event_func = nft_set_event_func,
};
