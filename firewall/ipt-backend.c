// SPDX-License-Identifier: GPL-2.0-or-later
/* The iptables backend: legacy xtables driven through the stable text
 * interface, iptables-legacy-restore --noflush / iptables-legacy-save and
 * their ip6tables twins, run as helper processes from the main loop (stdin
 * fed, exit status, stdout and stderr read asynchronously), for the base
 * state, its repair, NAT, tethering and the counter reads; the per-session
 * rules, the frequent changes, go through libip4tc/libip6tc (ipt-iptc.c),
 * in a child forked per change and family: tools/bench/ipt-change measured
 * a helper process at tens of ms per change, the library at ~2 ms at 1,000
 * identities, but the library's cost grows with the table, and in a child
 * it does not hold up the main loop. Either way
 * the kernel swaps a whole table at once (atomic per table); rules of
 * others are read back and kept as they were.
 *
 * Requests run from a queue, one kernel step at a time. Changes queued
 * behind one in flight are coalesced: one restore per family carries them
 * all, built against a copy of our state that replaces it only when every
 * family's restore succeeded.
 *
 * No owner flag protects xtables chains: init removes whatever of ours an
 * earlier run left, the backend's destruction (an orderly stop) removes
 * all, waiting for the helpers, and a periodic check compares the chains
 * with what we installed and reinstalls them when they differ. */
#include "ipt.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "log.h"
#include "request.h"

typedef struct {
	NfcFirewallRequest base;
	bool alone;               /* not to be coalesced (retried after a batch failed) */
	IptIdentity id;           /* id.cgroup owned */
	int result;               /* known without the kernel (-ENOENT, 0: no change) */
	bool touches;             /* has lines in the batch */
} Request;

#define N_FAMILIES 2

typedef struct Ipt Ipt;

/* One helper process of a step. */
typedef struct {
	Ipt *ipt;                 /* NULL once the backend is gone */
	int family;
	GSubprocess *proc;
} Job;

/* One forked child of a step: commits a family's per-session rules. */
typedef struct {
	Ipt *ipt;
	int family;
	GPid pid;
	guint watch;
} Fork;

typedef enum {
	STEP_READ,                /* save of the current state, then a restore */
	STEP_WRITE,               /* restore */
	STEP_COUNT,               /* save -c */
} StepKind;

struct Ipt {
	int refs;
	bool dead;
	NfcMarkLayout layout;
	IptState st;
	int families[N_FAMILIES];
	unsigned int n_families;
	char *restore_bin[N_FAMILIES], *save_bin[N_FAMILIES];

	GQueue queue;
	GPtrArray *current;       /* Request: the ones of the step in flight */
	IptState *work;           /* the batch's state, applied when it succeeds */
	StepKind step;
	Job *jobs[N_FAMILIES];
	Fork *forks[N_FAMILIES];
	guint fork_from;          /* identities from which commits are forked */
	unsigned int jobs_left;
	int step_error;
	unsigned int step_failed;     /* families whose restore failed */
	char *out[N_FAMILIES];    /* stdout of the step's processes */

	guint dispatch_id, check_id;
	unsigned int interval;
	bool installed;
	bool check_queued;
	/* a repair failed (e.g. the tampering was still going on when its
	 * restore ran): the next check tries again instead of giving up */
	bool retry_repair;
	NfcFirewallEventFunc event_func;
	void *event_data;
};

static void request_free(Request *req)
{
	nfc_firewall_request_clear(&req->base);
	g_free(req->id.cgroup);
	g_free(req);
}

static void ipt_unref(Ipt *ipt)
{
	if (--ipt->refs > 0)
		return;
	ipt_state_clear(&ipt->st);
	for (unsigned int i = 0; i < N_FAMILIES; i++) {
		g_free(ipt->restore_bin[i]);
		g_free(ipt->save_bin[i]);
		g_free(ipt->out[i]);
	}
	g_free(ipt);
}

static int family_index(Ipt *ipt, int family)
{
	for (unsigned int i = 0; i < ipt->n_families; i++)
		if (ipt->families[i] == family)
			return i;
	return -1;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "iptables" : "ip6tables";
}

/* ---- state ------------------------------------------------------------------ */

static int nat_index(const IptState *s, const NfcFirewallNat *nat)
{
	for (guint i = 0; i < s->nats->len; i++) {
		NfcFirewallNat *n = &g_array_index(s->nats, NfcFirewallNat, i);

		if (n->subnet == nat->subnet && n->prefixlen == nat->prefixlen &&
		    strncmp(n->ifname, nat->ifname, sizeof(n->ifname)) == 0)
			return i;
	}
	return -1;
}

static bool tether_equal(const NfcFirewallTether *a, const NfcFirewallTether *b)
{
	return strncmp(a->bridge, b->bridge, sizeof(a->bridge)) == 0 &&
	       a->subnet4 == b->subnet4 && a->prefixlen4 == b->prefixlen4 &&
	       memcmp(a->subnet6, b->subnet6, sizeof(a->subnet6)) == 0 &&
	       a->prefixlen6 == b->prefixlen6;
}

/* With sock_marks: NFCONN-SMAP's change for old (may be NULL) becoming id
 * (NULL: removed), applied to s->session_marks; before ipt_session_ref()
 * counts the change. */
static void put_session_mark_change(Ipt *ipt, IptState *s, IptBatch *b, const IptIdentity *old,
				    const IptIdentity *id)
{
	uint32_t s_old = old ? old->mark & s->session_mask : 0;
	uint32_t s_new = id ? id->mark & s->session_mask : 0;
	uint32_t cur;

	if (!s->sock_marks)
		return;
	if (s_old && s_old != s_new && ipt_session_refs(s, s_old) == 1) {
		cur = GPOINTER_TO_UINT(g_hash_table_lookup(s->session_marks, GUINT_TO_POINTER(s_old)));
		for (unsigned int f = 0; f < ipt->n_families; f++)
			ipt_put_session_mark(&b[f], s, s_old, cur, false);
		g_hash_table_remove(s->session_marks, GUINT_TO_POINTER(s_old));
	}
	if (!s_new)
		return;
	cur = GPOINTER_TO_UINT(g_hash_table_lookup(s->session_marks, GUINT_TO_POINTER(s_new)));
	if (cur == id->mark)
		return;
	for (unsigned int f = 0; f < ipt->n_families; f++) {
		if (cur)
			ipt_put_session_mark(&b[f], s, s_new, cur, false);
		ipt_put_session_mark(&b[f], s, s_new, id->mark, true);
	}
	g_hash_table_insert(s->session_marks, GUINT_TO_POINTER(s_new), GUINT_TO_POINTER(id->mark));
}

/* Applies one incremental request to s, appending its lines to the
 * family batches (b[i] for ipt->families[i]). Sets req->result. */
static void build_change(Ipt *ipt, IptState *s, Request *req, IptBatch *b)
{
	IptIdentity *old;
	uint32_t s_old, s_new;
	int i;

	req->result = 0;
	req->touches = false;
	switch (req->base.type) {
	case REQ_ID_ADD:
		old = g_hash_table_lookup(s->identities, req->base.id_key);
		if (old && old->mark == req->id.mark)
			return;
		s_new = req->id.mark & s->session_mask;
		s_old = old ? old->mark & s->session_mask : 0;
		for (unsigned int f = 0; f < ipt->n_families; f++) {
			if (old)
				ipt_put_identity(&b[f], s, old, false);
			if (s_old && s_old != s_new && ipt_session_refs(s, s_old) == 1)
				ipt_put_session_counter(&b[f], s, s_old, false);
		}
		put_session_mark_change(ipt, s, b, old, &req->id);
		if (old) {
			ipt_session_ref(s, s_old, -1);
			g_hash_table_remove(s->identities, req->base.id_key);
		}
		/* (after s_old's counters went: the counting tree's chains
		 * are shared by what is in s->sessions) */
		for (unsigned int f = 0; f < ipt->n_families; f++)
			if (s_new && s_new != s_old && ipt_session_refs(s, s_new) == 0)
				ipt_put_session_counter(&b[f], s, s_new, true);
		req->id.seq = ++s->next_seq;
		for (unsigned int f = 0; f < ipt->n_families; f++)
			ipt_put_identity(&b[f], s, &req->id, true);
		ipt_session_ref(s, s_new, +1);
		g_hash_table_insert(s->identities, g_strdup(req->base.id_key),
				    ipt_identity_copy(&req->id));
		break;
	case REQ_ID_DEL:
		old = g_hash_table_lookup(s->identities, req->base.id_key);
		if (!old) {
			req->result = -ENOENT;
			return;
		}
		s_old = old->mark & s->session_mask;
		for (unsigned int f = 0; f < ipt->n_families; f++) {
			ipt_put_identity(&b[f], s, old, false);
			if (s_old && ipt_session_refs(s, s_old) == 1)
				ipt_put_session_counter(&b[f], s, s_old, false);
		}
		put_session_mark_change(ipt, s, b, old, NULL);
		ipt_session_ref(s, s_old, -1);
		g_hash_table_remove(s->identities, req->base.id_key);
		break;
	case REQ_NAT_ADD:
		if (nat_index(s, &req->base.nat) >= 0)
			return;
		g_array_append_val(s->nats, req->base.nat);
		/* (NAT entries are IPv4: the IPv6 chain stays as it is) */
		i = family_index(ipt, AF_INET);
		if (i >= 0)
			ipt_put_nat(&b[i], s, AF_INET);
		break;
	case REQ_NAT_DEL:
		i = nat_index(s, &req->base.nat);
		if (i < 0) {
			req->result = -ENOENT;
			return;
		}
		g_array_remove_index(s->nats, i);
		i = family_index(ipt, AF_INET);
		if (i >= 0)
			ipt_put_nat(&b[i], s, AF_INET);
		break;
	case REQ_UPLINKS:
		g_strfreev(s->uplinks);
		s->uplinks = g_strdupv(req->base.uplinks);
		/* only the tether rules name uplinks */
		if (!s->tether_on)
			return;
		for (unsigned int f = 0; f < ipt->n_families; f++)
			ipt_put_tether_uplinks(&b[f], s, ipt->families[f]);
		break;
	case REQ_TETHER: {
		bool was_on = s->tether_on;

		/* the same again keeps the clients' counters */
		if (req->base.tether_on == was_on &&
		    (!was_on || tether_equal(&req->base.tether, &s->tether)))
			return;
		s->tether_on = req->base.tether_on;
		s->tether = req->base.tether;
		for (unsigned int f = 0; f < ipt->n_families; f++)
			ipt_put_tether(&b[f], s, ipt->families[f], was_on);
		break;
	}
	default:
		g_assert_not_reached();
	}
	req->touches = true;
}

/* ---- completing ----------------------------------------------------------------- */

static void schedule_dispatch(Ipt *ipt);

/* Runs a finished request's callback. false: the backend was destroyed
 * from inside it. */
static bool complete(Ipt *ipt, Request *req, int error, const IptRuleset *counted)
{
	bool alive;

	ipt->refs++;
	if (req->base.type == REQ_COUNTERS && req->base.counters_done) {
		g_autoptr(GArray) c = g_array_new(FALSE, TRUE, sizeof(NfcSessionCounters));
		g_autoptr(GHashTable) index = g_hash_table_new(NULL, NULL);

		for (unsigned int f = 0; !error && counted && f < ipt->n_families; f++) {
			GPtrArray *rules = counted[f].rules[IPT_MANGLE];

			for (guint i = 0; i < rules->len; i++) {
				IptRule *r = rules->pdata[i];
				char tree = ipt_count_chain(r->chain);
				bool tx = tree == 'T';
				NfcSessionCounters *sc;
				uint32_t bits;
				guint at;

				if (!tree || !ipt_count_rule_session(r->spec, &bits))
					continue;
				at = GPOINTER_TO_UINT(g_hash_table_lookup(index, GUINT_TO_POINTER(bits)));
				if (!at) {
					NfcSessionCounters zero = {
						.session = nfc_mark_session(&ipt->layout, bits),
					};

					g_array_append_val(c, zero);
					at = c->len;
					g_hash_table_insert(index, GUINT_TO_POINTER(bits),
							    GUINT_TO_POINTER(at));
				}
				sc = &g_array_index(c, NfcSessionCounters, at - 1);
				if (tx) {
					sc->tx_packets += r->packets;
					sc->tx_bytes += r->bytes;
				} else {
					sc->rx_packets += r->packets;
					sc->rx_bytes += r->bytes;
				}
			}
		}
		req->base.counters_done(error, error ? NULL : (NfcSessionCounters *)c->data,
					error ? 0 : c->len, req->base.user_data);
	} else if (req->base.type == REQ_TETHER_COUNTERS && req->base.tether_counters_done) {
		g_autoptr(GArray) c = g_array_new(FALSE, TRUE, sizeof(NfcTetherCounters));
		g_autoptr(GHashTable) index = g_hash_table_new(NULL, NULL);
		int f4 = family_index(ipt, AF_INET);
		GPtrArray *rules = !error && counted && f4 >= 0 ? counted[f4].rules[IPT_FILTER] : NULL;

		for (guint i = 0; rules && i < rules->len; i++) {
			IptRule *r = rules->pdata[i];
			bool tx = g_str_equal(r->chain, IPT_TXC);
			NfcTetherCounters *tc;
			uint32_t addr;
			guint at;

			/* a client is seen once it sent or got a packet */
			if ((!tx && !g_str_equal(r->chain, IPT_RXC)) || !r->packets ||
			    !ipt_client_rule_address(r->spec, &addr))
				continue;
			at = GPOINTER_TO_UINT(g_hash_table_lookup(index, GUINT_TO_POINTER(addr)));
			if (!at) {
				NfcTetherCounters zero = { .family = AF_INET };

				memcpy(zero.address, &addr, 4);
				g_array_append_val(c, zero);
				at = c->len;
				g_hash_table_insert(index, GUINT_TO_POINTER(addr), GUINT_TO_POINTER(at));
			}
			tc = &g_array_index(c, NfcTetherCounters, at - 1);
			if (tx) {
				tc->tx_packets = r->packets;
				tc->tx_bytes = r->bytes;
			} else {
				tc->rx_packets = r->packets;
				tc->rx_bytes = r->bytes;
			}
		}
		req->base.tether_counters_done(error, error ? NULL : (NfcTetherCounters *)c->data,
					       error ? 0 : c->len, req->base.user_data);
	} else if (req->base.done) {
		req->base.done(error, req->base.user_data);
	}
	if (req->base.repair)
		ipt->retry_repair = error != 0;
	if (req->base.repair && ipt->event_func && !ipt->dead)
		ipt->event_func(NFC_FIREWALL_EVENT_REPAIRED, error, ipt->event_data);
	alive = !ipt->dead;
	ipt_unref(ipt);
	return alive;
}

/* Finishes every request of the step with error (each request's own
 * result where it has one). */
static void finish_step(Ipt *ipt, int error, const IptRuleset *counted)
{
	g_autoptr(GPtrArray) reqs = g_steal_pointer(&ipt->current);

	if (ipt->work) {
		if (!error) {
			ipt_state_clear(&ipt->st);
			ipt->st = *ipt->work;
		} else {
			ipt_state_clear(ipt->work);
		}
		g_clear_pointer(&ipt->work, g_free);
	}
	for (guint i = 0; i < reqs->len; i++) {
		Request *req = reqs->pdata[i];
		int e = req->result ? req->result : error;

		if (!complete(ipt, req, e, counted)) {
			for (guint j = i; j < reqs->len; j++)
				request_free(reqs->pdata[j]);
			return;
		}
		request_free(req);
	}
	schedule_dispatch(ipt);
}

/* ---- helper processes --------------------------------------------------------------- */

static void step_done(Ipt *ipt);

static void on_job_done(GObject *source, GAsyncResult *res, gpointer data)
{
	Job *job = data;
	Ipt *ipt = job->ipt;
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL, *err = NULL;
	bool ok;
	int f;

	ok = g_subprocess_communicate_utf8_finish(job->proc, res, &out, &err, &error);
	if (!ipt) {
		/* the backend is gone (it waited for us) */
		g_object_unref(job->proc);
		g_free(job);
		return;
	}
	f = family_index(ipt, job->family);
	ipt->jobs[f] = NULL;
	if (!ok) {
		nfc_warn("%s helper failed: %s", family_name(job->family), error->message);
		if (!ipt->step_error)
			ipt->step_error = -EIO;
		ipt->step_failed |= 1u << f;
	} else if (!g_subprocess_get_if_exited(job->proc) || g_subprocess_get_exit_status(job->proc)) {
		g_strchomp(err);
		nfc_warn("%s: %s", family_name(job->family),
			 err && *err ? err : "failed without a word");
		if (!ipt->step_error)
			ipt->step_error = -EIO;
		ipt->step_failed |= 1u << f;
	} else {
		g_free(ipt->out[f]);
		ipt->out[f] = g_steal_pointer(&out);
	}
	g_object_unref(job->proc);
	g_free(job);
	if (--ipt->jobs_left == 0)
		step_done(ipt);
}

/* Starts one helper; input NULL: a save (nothing on its stdin). */
static bool job_start(Ipt *ipt, unsigned int f, const char *const *argv, const char *input)
{
	g_autoptr(GError) error = NULL;
	GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
	Job *job;
	GSubprocess *proc;

	if (input)
		flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
	proc = g_subprocess_newv(argv, flags, &error);
	if (!proc) {
		nfc_warn("cannot run %s: %s", argv[0], error->message);
		return false;
	}
	job = g_new0(Job, 1);
	job->ipt = ipt;
	job->family = ipt->families[f];
	job->proc = proc;
	ipt->jobs[f] = job;
	ipt->jobs_left++;
	g_subprocess_communicate_utf8_async(proc, input, NULL, on_job_done, job);
	return true;
}

/* Runs a restore per family with text (NULL or empty: none for it).
 * false when nothing was started. */
static bool write_step(Ipt *ipt, char **texts)
{
	ipt->step = STEP_WRITE;
	ipt->step_error = 0;
	ipt->step_failed = 0;
	for (unsigned int f = 0; f < ipt->n_families; f++) {
		/* -w: wait for the xtables lock, shared by the whole machine */
		const char *argv[] = { ipt->restore_bin[f], "-w", "10", "--noflush", NULL };

		if (!texts[f] || !texts[f][0])
			continue;
		if (!job_start(ipt, f, argv, texts[f])) {
			ipt->step_error = -ENOENT;
			ipt->step_failed |= 1u << f;
		}
	}
	return ipt->jobs_left > 0;
}

/* A save per family: table NULL for all of them; with counters or not. */
static bool read_step(Ipt *ipt, StepKind kind, const char *table, bool counters)
{
	ipt->step = kind;
	ipt->step_error = 0;
	ipt->step_failed = 0;
	for (unsigned int f = 0; f < ipt->n_families; f++) {
		const char *argv[6] = { ipt->save_bin[f] };
		int n = 1;

		if (counters)
			argv[n++] = "-c";
		if (table) {
			argv[n++] = "-t";
			argv[n++] = table;
		}
		g_clear_pointer(&ipt->out[f], g_free);
		if (!job_start(ipt, f, argv, NULL))
			ipt->step_error = -ENOENT;
	}
	return ipt->jobs_left > 0;
}

/* ---- steps ------------------------------------------------------------------------------- */

static void schedule_repair(Ipt *ipt);

/* The current state was read: write what the request wants. */
static void after_read(Ipt *ipt)
{
	Request *req = ipt->current->pdata[0];
	IptRuleset have[N_FAMILIES], want[N_FAMILIES];
	char *texts[N_FAMILIES] = { NULL };
	bool differs = false;

	for (unsigned int f = 0; f < ipt->n_families; f++) {
		ipt_ruleset_init(&have[f]);
		ipt_ruleset_init(&want[f]);
		if (!ipt_parse_save(ipt->out[f] ? ipt->out[f] : "", &have[f]))
			ipt->step_error = -EPROTO;
		if (req->base.type != REQ_CLEANUP)
			ipt_expected(&ipt->st, ipt->families[f], &want[f]);
		if (req->base.type == REQ_CHECK) {
			g_autofree char *why = NULL;

			if (!ipt_ruleset_matches(&have[f], &want[f], &why)) {
				nfc_warn("%s: our chains were changed from outside (%s); reinstalling them",
					 family_name(ipt->families[f]), why);
				differs = true;
			}
		}
	}
	if (req->base.type == REQ_CHECK && !ipt->step_error) {
		if (!differs) {
			for (unsigned int f = 0; f < ipt->n_families; f++) {
				ipt_ruleset_clear(&have[f]);
				ipt_ruleset_clear(&want[f]);
			}
			finish_step(ipt, 0, NULL);
			return;
		}
		/* the check turns into a repair */
		req->base.type = REQ_FULL;
		req->base.repair = true;
	}
	for (unsigned int f = 0; f < ipt->n_families; f++) {
		GString *text = g_string_new(NULL);

		if (!ipt->step_error)
			ipt_put_replace(text, &have[f], &want[f]);
		texts[f] = g_string_free(text, FALSE);
		ipt_ruleset_clear(&have[f]);
		ipt_ruleset_clear(&want[f]);
	}
	if (ipt->step_error || !write_step(ipt, texts)) {
		for (unsigned int f = 0; f < N_FAMILIES; f++)
			g_free(texts[f]);
		if (!ipt->step_error && req->base.type == REQ_FULL)
			ipt->installed = true;
		else if (!ipt->step_error)
			ipt->installed = false;
		finish_step(ipt, ipt->step_error, NULL);
		return;
	}
	for (unsigned int f = 0; f < N_FAMILIES; f++)
		g_free(texts[f]);
}

static void batch_done(Ipt *ipt);

static void step_done(Ipt *ipt)
{
	Request *req = ipt->current->pdata[0];

	switch (ipt->step) {
	case STEP_READ:
		if (ipt->step_error) {
			finish_step(ipt, ipt->step_error, NULL);
			return;
		}
		after_read(ipt);
		return;
	case STEP_COUNT: {
		IptRuleset counted[N_FAMILIES];

		for (unsigned int f = 0; f < ipt->n_families; f++) {
			ipt_ruleset_init(&counted[f]);
			if (!ipt->step_error &&
			    !ipt_parse_save(ipt->out[f] ? ipt->out[f] : "", &counted[f]))
				ipt->step_error = -EPROTO;
		}
		finish_step(ipt, ipt->step_error, counted);
		for (unsigned int f = 0; f < ipt->n_families; f++)
			ipt_ruleset_clear(&counted[f]);
		return;
	}
	case STEP_WRITE:
		break;
	}
	if (req->base.type == REQ_FULL || req->base.type == REQ_CLEANUP) {
		/* a failed full install leaves what was there: not ours to trust */
		ipt->installed = req->base.type == REQ_FULL && !ipt->step_error;
		if (req->base.type == REQ_CLEANUP)
			ipt->retry_repair = false;
		finish_step(ipt, ipt->step_error, NULL);
		return;
	}
	batch_done(ipt);
}

/* A batch went to the kernel (restore, or in-process): keep its state,
 * or retry its requests one by one. */
static void batch_done(Ipt *ipt)
{
	if (ipt->step_error) {
		bool partial = ipt->step_failed != (1u << ipt->n_families) - 1 &&
			       ipt->n_families > 1;

		if (ipt->current->len > 1) {
			/* one bad change fails them all: try each alone, after
			 * putting back what the families that succeeded changed */
			GPtrArray *reqs = g_steal_pointer(&ipt->current);

			ipt_state_clear(ipt->work);
			g_clear_pointer(&ipt->work, g_free);
			for (guint i = reqs->len; i-- > 0;) {
				((Request *)reqs->pdata[i])->alone = true;
				g_queue_push_head(&ipt->queue, reqs->pdata[i]);
			}
			g_ptr_array_unref(reqs);
			if (partial)
				schedule_repair(ipt);
			schedule_dispatch(ipt);
			return;
		}
		if (partial)
			schedule_repair(ipt);
	}
	finish_step(ipt, ipt->step_error, NULL);
}

static bool is_identity(NfcFirewallRequestType type)
{
	return type == REQ_ID_ADD || type == REQ_ID_DEL;
}

/* ---- the per-session rules: libiptc in a forked child ------------------------------- */

static void commit_failed(Ipt *ipt, unsigned int f, int code);

static void on_fork_done(GPid pid, gint status, gpointer data)
{
	Fork *k = data;
	Ipt *ipt = k->ipt;
	int f = family_index(ipt, k->family);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : EIO;

	g_spawn_close_pid(pid);
	ipt->forks[f] = NULL;
	if (code)
		commit_failed(ipt, f, code);
	else
		nfc_debug("%s: session rules committed by child %d", family_name(k->family), pid);
	g_free(k);
	if (--ipt->jobs_left == 0)
		step_done(ipt);
}

/* From this many identities on, a commit runs in a forked child. Below,
 * right here: forking nfconnd costs ~25 ms on this kind of machine (a VM
 * where page-table work is dear), more than the commit itself at a few
 * hundred identities; at 10,000 the commit costs ~1 s, which the main
 * loop must not wait for (tools/bench/policy --backend iptables). */
#define FORK_FROM_IDENTITIES 2000

static void commit_failed(Ipt *ipt, unsigned int f, int code)
{
	nfc_warn("%s: changing the session rules failed: %s", family_name(ipt->families[f]),
		 g_strerror(code));
	if (!ipt->step_error)
		ipt->step_error = -code;
	ipt->step_failed |= 1u << f;
}

/* The batch's per-session rules: with a large table one child per family
 * (both families commit side by side), the main loop going on meanwhile
 * and coalescing what comes in behind; with a small one in-process.
 * Whether the kernel took them: step_done(). */
static void apply_forked(Ipt *ipt, IptBatch *b)
{
	IptPrepared *prepared[N_FAMILIES] = { NULL };
	bool fork_it = g_hash_table_size(ipt->st.identities) >= ipt->fork_from;

	ipt->step = STEP_WRITE;
	ipt->step_error = 0;
	ipt->step_failed = 0;
	ipt->jobs_left = 1;   /* held until every child is started */
	for (unsigned int f = 0; f < ipt->n_families; f++)
		if (b[f].ops->len)
			prepared[f] = ipt_iptc_prepare(ipt->families[f], b[f].ops);
	for (unsigned int f = 0; f < ipt->n_families; f++) {
		Fork *k;
		pid_t pid;

		if (!prepared[f])
			continue;
		if (!fork_it) {
			int code = ipt_iptc_commit(prepared[f]);

			if (code)
				commit_failed(ipt, f, code);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			int code = ipt_iptc_commit(prepared[f]);

			_exit(code > 255 ? EIO : code);
		}
		if (pid < 0) {
			int e = errno;

			nfc_warn("%s: cannot fork to change the session rules: %s",
				 family_name(ipt->families[f]), g_strerror(e));
			if (!ipt->step_error)
				ipt->step_error = -e;
			ipt->step_failed |= 1u << f;
			continue;
		}
		k = g_new0(Fork, 1);
		k->ipt = ipt;
		k->family = ipt->families[f];
		k->pid = pid;
		k->watch = g_child_watch_add(pid, on_fork_done, k);
		ipt->forks[f] = k;
		ipt->jobs_left++;
	}
	for (unsigned int f = 0; f < N_FAMILIES; f++)
		if (prepared[f])
			ipt_iptc_prepared_free(prepared[f]);
	if (--ipt->jobs_left == 0)
		step_done(ipt);
}

/* At the backend's end: a child still committing is let finish (what it
 * commits, the removal that follows takes away). */
static void forks_wait(Ipt *ipt)
{
	for (unsigned int f = 0; f < N_FAMILIES; f++) {
		Fork *k = ipt->forks[f];
		int status;

		if (!k)
			continue;
		g_source_remove(k->watch);
		while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
			;
		g_free(k);
		ipt->forks[f] = NULL;
	}
}

/* Starts the next request(s). */
static gboolean dispatch(gpointer data)
{
	Ipt *ipt = data;
	Request *req;

	ipt->dispatch_id = 0;
	if (ipt->current || g_queue_is_empty(&ipt->queue))
		return G_SOURCE_REMOVE;
	req = g_queue_pop_head(&ipt->queue);
	ipt->current = g_ptr_array_new();
	g_ptr_array_add(ipt->current, req);
	switch (req->base.type) {
	case REQ_FULL:
		if (req->base.repair)
			nfc_warn("iptables: reinstalling our chains");
		/* fall through */
	case REQ_CLEANUP:
	case REQ_CHECK:
		if (req->base.type == REQ_CHECK) {
			ipt->check_queued = false;
			if (!ipt->installed) {
				finish_step(ipt, 0, NULL);
				return G_SOURCE_REMOVE;
			}
		}
		if (!read_step(ipt, STEP_READ, NULL, false))
			finish_step(ipt, ipt->step_error ? ipt->step_error : -ENOENT, NULL);
		return G_SOURCE_REMOVE;
	case REQ_COUNTERS:
	case REQ_TETHER_COUNTERS:
		if (!ipt->installed) {
			finish_step(ipt, -ENOTCONN, NULL);
			return G_SOURCE_REMOVE;
		}
		if (!read_step(ipt, STEP_COUNT,
			       req->base.type == REQ_COUNTERS ? "mangle" : "filter", true))
			finish_step(ipt, ipt->step_error ? ipt->step_error : -ENOENT, NULL);
		return G_SOURCE_REMOVE;
	default:
		break;
	}
	{
		IptBatch b[N_FAMILIES];
		char *texts[N_FAMILIES] = { NULL };
		bool any = false;

		ipt->work = g_new0(IptState, 1);
		ipt_state_copy(ipt->work, &ipt->st);
		for (unsigned int f = 0; f < N_FAMILIES; f++)
			ipt_batch_init(&b[f]);
		build_change(ipt, ipt->work, req, b);
		any = req->touches;
		/* everything incremental queued behind it goes along, as long
		 * as it goes the same way (identities in-process, the rest
		 * through a restore) */
		while (!req->alone && !g_queue_is_empty(&ipt->queue)) {
			Request *next = g_queue_peek_head(&ipt->queue);

			if (next->base.type < REQ_ID_ADD || next->alone ||
			    is_identity(next->base.type) != is_identity(req->base.type))
				break;
			g_queue_pop_head(&ipt->queue);
			g_ptr_array_add(ipt->current, next);
			build_change(ipt, ipt->work, next, b);
			any |= next->touches;
		}
		for (unsigned int f = 0; f < ipt->n_families; f++)
			if (!ipt_batch_empty(&b[f]))
				texts[f] = ipt_batch_text(&b[f]);
		if (any && ipt->installed && is_identity(req->base.type)) {
			apply_forked(ipt, b);
			for (unsigned int f = 0; f < N_FAMILIES; f++) {
				ipt_batch_clear(&b[f]);
				g_free(texts[f]);
			}
			return G_SOURCE_REMOVE;
		}
		for (unsigned int f = 0; f < N_FAMILIES; f++)
			ipt_batch_clear(&b[f]);
		/* before init (or after cleanup) the state only is kept */
		if (!any || !ipt->installed || !write_step(ipt, texts)) {
			int err = any && ipt->installed ? ipt->step_error : 0;

			for (unsigned int f = 0; f < N_FAMILIES; f++)
				g_free(texts[f]);
			finish_step(ipt, err, NULL);
			return G_SOURCE_REMOVE;
		}
		for (unsigned int f = 0; f < N_FAMILIES; f++)
			g_free(texts[f]);
	}
	return G_SOURCE_REMOVE;
}

static void schedule_dispatch(Ipt *ipt)
{
	if (!ipt->dispatch_id && !ipt->current && !g_queue_is_empty(&ipt->queue))
		ipt->dispatch_id = g_idle_add_full(G_PRIORITY_HIGH, dispatch, ipt, NULL);
}

static Request *request_new(NfcFirewallRequestType type, NfcFirewallDoneFunc done,
			    void *user_data)
{
	return (Request *)nfc_firewall_request_new(sizeof(Request), type, done, user_data);
}

static int enqueue(Ipt *ipt, Request *req)
{
	g_queue_push_tail(&ipt->queue, req);
	schedule_dispatch(ipt);
	return 0;
}

/* ---- the tamper check ------------------------------------------------------------------------ */

static void schedule_repair(Ipt *ipt)
{
	Request *req = request_new(REQ_FULL, NULL, NULL);

	req->base.repair = true;
	/* ahead of the others: they assume our chains are there */
	g_queue_push_head(&ipt->queue, req);
	schedule_dispatch(ipt);
}

static gboolean on_check(gpointer data)
{
	Ipt *ipt = data;

	if (ipt->retry_repair && !ipt->check_queued) {
		ipt->retry_repair = false;
		schedule_repair(ipt);
	} else if (ipt->installed && !ipt->check_queued) {
		ipt->check_queued = true;
		enqueue(ipt, request_new(REQ_CHECK, NULL, NULL));
	}
	return G_SOURCE_CONTINUE;
}

/* ---- finding the tools ------------------------------------------------------------------------- */

static char *find_tool(const char *name)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	char *path = g_find_program_in_path(name);

	/* a daemon's PATH may lack the sbin directories */
	for (guint i = 0; !path && i < G_N_ELEMENTS(dirs); i++) {
		char *p = g_build_filename(dirs[i], name, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
			path = p;
		else
			g_free(p);
	}
	return path;
}

/* In the probe's child, before exec: a network namespace of its own.
 * Asking for a legacy table instantiates it in the asker's namespace,
 * and it stays there, hooked, until the namespace goes: every packet of
 * an idle nfconnd's namespace would walk its empty built-in chains. The
 * kernel modules the probe is about are the same in any namespace.
 * Without the privilege to unshare, the probe asks in place. */
static void probe_child_setup(gpointer data G_GNUC_UNUSED)
{
	(void)unshare(CLONE_NEWNET);
}

/* Can the family's legacy tables be used here? Waits for the answer. */
static int probe_family(int family, char **why)
{
	const char *tool = family == AF_INET ? "iptables-legacy-save" : "ip6tables-legacy-save";
	g_autofree char *path = find_tool(tool);
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	int status = 0;

	if (!path) {
		if (why)
			*why = g_strdup_printf("%s not found", tool);
		return -ENOENT;
	}
	for (guint i = 0; i < 2; i++) {
		const char *argv[] = { path, "-t", i == 0 ? "mangle" : "nat", NULL };

		g_clear_pointer(&err, g_free);
		if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
				  probe_child_setup, NULL, NULL, &err, &status, &error)) {
			if (why)
				*why = g_strdup_printf("cannot run %s: %s", tool, error->message);
			return -ENOENT;
		}
		if (!g_spawn_check_wait_status(status, NULL)) {
			if (why)
				*why = g_strdup_printf("%s -t %s: %s", tool, argv[2],
						       g_strchomp(err ? err : g_strdup("failed")));
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

int nfc_firewall_probe_iptables(char **why)
{
	return probe_family(AF_INET, why);
}

/* ---- ops ---------------------------------------------------------------------------------------- */

static int ipt_create(const NfcFirewallConfig *config, void **priv)
{
	Ipt *ipt = g_new0(Ipt, 1);
	g_autofree char *why = NULL;

	ipt->refs = 1;
	ipt->layout = config->layout;
	/* (sock_notrack is the nft backend's: here every flow is tracked) */
	ipt_state_init(&ipt->st, &config->layout, config->sock_marks);
	g_queue_init(&ipt->queue);
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		unsigned int f = ipt->n_families;
		const char *v = family == AF_INET ? "" : "6";
		g_autofree char *restore = g_strdup_printf("ip%stables-legacy-restore", v);
		g_autofree char *save = g_strdup_printf("ip%stables-legacy-save", v);

		ipt->restore_bin[f] = find_tool(restore);
		ipt->save_bin[f] = find_tool(save);
		if (!ipt->restore_bin[f] || !ipt->save_bin[f]) {
			g_clear_pointer(&ipt->restore_bin[f], g_free);
			g_clear_pointer(&ipt->save_bin[f], g_free);
			if (family == AF_INET) {
				nfc_error("iptables: %s or %s not found", restore, save);
				ipt_unref(ipt);
				return -ENOENT;
			}
			nfc_warn("iptables: %s or %s not found: IPv6 is not steered", restore, save);
			continue;
		}
		if (family == AF_INET6 && probe_family(AF_INET6, &why) < 0) {
			g_clear_pointer(&ipt->restore_bin[f], g_free);
			g_clear_pointer(&ipt->save_bin[f], g_free);
			nfc_warn("iptables: no legacy IPv6 tables (%s): IPv6 is not steered", why);
			continue;
		}
		ipt->families[ipt->n_families++] = family;
	}
	/* the tests take the forked way with a handful of identities */
	ipt->fork_from = g_getenv("NFCONN_IPT_FORK_FROM") ?
			 (guint)g_ascii_strtoull(g_getenv("NFCONN_IPT_FORK_FROM"), NULL, 10) :
			 FORK_FROM_IDENTITIES;
	ipt->interval = config->check_interval;
	if (ipt->interval)
		ipt->check_id = g_timeout_add_seconds(ipt->interval, on_check, ipt);
	*priv = ipt;
	return 0;
}

/* Removes every chain and jump of ours from the tables one family's
 * save lists, waiting (bounded by the restore's own lock timeout). */
static void remove_ours(int family, const char *save_bin, const char *restore_bin)
{
	const char *save[] = { save_bin, NULL };
	const char *restore[] = { restore_bin, "-w", "10", "--noflush", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL, *err = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	IptRuleset have, none;
	GString *text;

	if (!g_spawn_sync(NULL, (char **)save, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
			  &out, NULL, NULL, &error)) {
		nfc_warn("%s: cannot read our chains: %s", family_name(family), error->message);
		return;
	}
	ipt_ruleset_init(&have);
	ipt_ruleset_init(&none);
	text = g_string_new(NULL);
	if (ipt_parse_save(out, &have))
		ipt_put_replace(text, &have, &none);
	ipt_ruleset_clear(&have);
	ipt_ruleset_clear(&none);
	if (text->len) {
		proc = g_subprocess_newv(restore, G_SUBPROCESS_FLAGS_STDIN_PIPE |
					 G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
		if (!proc || !g_subprocess_communicate_utf8(proc, text->str, NULL, NULL, &err,
							    &error) ||
		    !g_subprocess_get_successful(proc))
			nfc_warn("%s: cannot remove our chains: %s", family_name(family),
				 error ? error->message : err);
	}
	g_string_free(text, TRUE);
}

/* An orderly stop: nothing of ours stays, and nothing is left running. */
static void remove_all_now(Ipt *ipt)
{
	for (unsigned int f = 0; f < ipt->n_families; f++)
		remove_ours(ipt->families[f], ipt->save_bin[f], ipt->restore_bin[f]);
}

/* Chains of ours that an earlier run on the iptables backend left (a crash,
 * or a stop cut short) while the nftables backend is in use now. Only
 * tables this namespace already has are looked at: iptables-legacy-save
 * without -t lists those of /proc/net/ip[6]_tables_names, and a table that
 * is not there is not instantiated (its hooks would cost every packet). */
void nfc_firewall_ipt_remove_leftovers(void)
{
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		const char *v = family == AF_INET ? "" : "6";
		g_autofree char *names_path = g_strdup_printf("/proc/net/ip%s_tables_names", v);
		g_autofree char *names = NULL;
		g_autofree char *save = NULL, *restore = NULL;
		g_autofree char *save_name = g_strdup_printf("ip%stables-legacy-save", v);
		g_autofree char *restore_name = g_strdup_printf("ip%stables-legacy-restore", v);

		/* no module, or no table in this namespace: nothing of ours */
		if (!g_file_get_contents(names_path, &names, NULL, NULL) || !*g_strstrip(names))
			continue;
		save = find_tool(save_name);
		restore = find_tool(restore_name);
		if (!save || !restore) {
			nfc_warn("%s: tables are in use but %s or %s is missing: chains an earlier "
				 "run left stay", family_name(family), save_name, restore_name);
			continue;
		}
		remove_ours(family, save, restore);
	}
}

static void ipt_destroy(void *priv)
{
	Ipt *ipt = priv;
	Request *req;

	ipt->dead = true;
	g_clear_handle_id(&ipt->dispatch_id, g_source_remove);
	g_clear_handle_id(&ipt->check_id, g_source_remove);
	/* a helper or child still running may be about to commit: let it,
	 * then remove everything */
	forks_wait(ipt);
	for (unsigned int f = 0; f < N_FAMILIES; f++) {
		Job *job = ipt->jobs[f];

		if (!job)
			continue;
		g_subprocess_wait(job->proc, NULL, NULL);
		job->ipt = NULL;   /* its callback frees it */
		ipt->jobs[f] = NULL;
	}
	remove_all_now(ipt);
	while ((req = g_queue_pop_head(&ipt->queue)))
		request_free(req);
	if (ipt->current) {
		for (guint i = 0; i < ipt->current->len; i++)
			request_free(ipt->current->pdata[i]);
		g_clear_pointer(&ipt->current, g_ptr_array_unref);
	}
	if (ipt->work) {
		ipt_state_clear(ipt->work);
		g_clear_pointer(&ipt->work, g_free);
	}
	ipt_unref(ipt);
}

/* The path xt_cgroup takes: below the cgroup2 root, as the kernel
 * resolves it; nothing the restore parser could misread. */
static int cgroup_rule_path(const char *path, char **out)
{
	const char *root = nfc_cgroup2_mount();
	g_autofree char *real = realpath(path, NULL);
	size_t n = strlen(root);

	if (!real)
		return -errno;
	if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0'))
		return -EINVAL;
	if (strpbrk(real + n, "\"\\\n") || strlen(real + n) >= 512)
		return -EINVAL;
	*out = g_strdup(real[n] ? real + n : "/");
	return 0;
}

static int ipt_identity_prepare(NfcFirewallRequest *base, const NfcFirewallIdentity *identity,
				uint32_t mark)
{
	Request *req = (Request *)base;
	uint64_t cgid;
	int err;

	req->id.kind = identity->kind;
	req->id.mark = mark;
	switch (identity->kind) {
	case NFC_IDENTITY_UID:
	case NFC_IDENTITY_GID:
		req->id.id = identity->id;
		return 0;
	case NFC_IDENTITY_CGROUP:
		if (base->type != REQ_ID_ADD)
			return 0;
		err = nfc_cgroup_resolve(identity->cgroup_path, &cgid, &req->id.level);
		if (!err)
			err = cgroup_rule_path(identity->cgroup_path, &req->id.cgroup);
		return err;
	}
	return -EINVAL;
}

static int ipt_submit(void *priv, NfcFirewallRequest *req)
{
	Ipt *ipt = priv;

	/* nothing of ours is wanted any more: no repair after this */
	if (req->type == REQ_CLEANUP)
		ipt->retry_repair = false;
	return enqueue(ipt, (Request *)req);
}

static void ipt_request_free(NfcFirewallRequest *req)
{
	request_free((Request *)req);
}

static void ipt_set_event_func(void *priv, NfcFirewallEventFunc func, void *user_data)
{
	Ipt *ipt = priv;

	ipt->event_func = func;
	ipt->event_data = user_data;
}

const NfcFirewallOps nfc_firewall_ipt_ops = {
	.name = "iptables",
	.request_size = sizeof(Request),
	.create = ipt_create,
	.destroy = ipt_destroy,
	.identity_prepare = ipt_identity_prepare,
	.submit = ipt_submit,
	.request_free = ipt_request_free,
	.set_event_func = ipt_set_event_func,
};
