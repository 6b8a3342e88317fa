// SPDX-License-Identifier: GPL-2.0-or-later
/* The socket-mark fast path as the engine's second sink of identity
 * elements (firewall/sockmark.h): the same elements as the firewall's
 * maps, so that a new socket of a steered identity carries its mark from
 * socket() on. The firewall stays the authority: it still marks what the
 * program did not (sockets older than their session, shared identities,
 * any socket once the fast path is off), counts, and NATs. */
#include "internal.h"

#include <errno.h>

#include "config.h"
#include "log.h"
#include "nfconn-build.h"
#if NFC_HAVE_BPF
#include "sockmark.h"
#endif

static struct {
#if NFC_HAVE_BPF
	NfcSockmark *sm;
#endif
	char *why_not;            /* NULL while the fast path runs */
	EngineApplyRing times;    /* map updates, as the kernel took them */
	/* Pending: adds the firewall has not answered yet. A firewall freed
	 * at stop drops them without a callback: they are freed here. */
	GQueue in_flight;
} bpf;

#if NFC_HAVE_BPF
static void turn_off(const char *why)
{
	g_clear_pointer(&bpf.sm, nfc_sockmark_free);
	g_free(bpf.why_not);
	bpf.why_not = g_strdup(why);
	nfc_warn("engine: fast path off (%s): new sockets are marked by the firewall", why);
}

static void update(const NfcFirewallIdentity *identity, uint32_t mark)
{
	gint64 start = g_get_monotonic_time();
	int r;

	if (!bpf.sm)
		return;
	r = nfc_sockmark_set(bpf.sm, identity, mark);
	/* a cgroup that went meanwhile holds no socket to mark */
	if (r == -ENOENT && identity->kind == NFC_IDENTITY_CGROUP)
		return;
	if (r < 0) {
		g_autofree char *why = g_strdup_printf("cannot update its maps: %s",
						       g_strerror(-r));

		/* an element short of the firewall's could let a socket match
		 * a less specific one and get the wrong mark */
		turn_off(why);
		return;
	}
	engine_apply_record(&bpf.times, g_get_monotonic_time() - start);
}

typedef struct {
	NfcFirewallIdentity identity;
	char *cgroup_path;
	uint32_t mark;
	NfcFirewallDoneFunc done;
	void *user_data;
	GList link;               /* in bpf.in_flight */
} Pending;

static void pending_free(Pending *p)
{
	g_free(p->cgroup_path);
	g_free(p);
}

static void on_firewall_added(int error, void *user_data)
{
	Pending *p = user_data;

	g_queue_unlink(&bpf.in_flight, &p->link);
	if (error >= 0)
		update(&p->identity, p->mark);
	p->done(error, p->user_data);
	pending_free(p);
}

/* The program's maps hold a subset of the firewall's elements at every
 * moment: an element goes to the program once the firewall has it (with
 * its session's current mark in the chain's moved-session map), and
 * leaves the program before the firewall. A socket the program marks is
 * therefore always one the chain knows. */
static int set_identity(void *data, const NfcFirewallIdentity *identity, uint32_t mark,
			NfcFirewallDoneFunc done, void *user_data)
{
	NfcFirewall *fw = data;
	Pending *p;
	int r;

	if (!mark) {
		update(identity, 0);
		return nfc_firewall_identity_remove(fw, identity, done, user_data);
	}
	p = g_new0(Pending, 1);
	p->identity = *identity;
	p->cgroup_path = g_strdup(identity->cgroup_path);
	p->identity.cgroup_path = p->cgroup_path;
	p->mark = mark;
	p->done = done;
	p->user_data = user_data;
	p->link.data = p;
	g_queue_push_tail_link(&bpf.in_flight, &p->link);
	r = nfc_firewall_identity_add(fw, identity, mark, on_firewall_added, p);
	if (r < 0) {
		g_queue_unlink(&bpf.in_flight, &p->link);
		pending_free(p);
	}
	return r;
}

/* In front of the firewall's sink, in its place (data: the NfcFirewall). */
static const EngineSinkOps engine_bpf_sink = {
	.name = "firewall and fast path",
	.set_identity = set_identity,
};
#endif

bool engine_bpf_sink_start(const NfcFirewallOps *backend, const NfcMarkLayout *layout)
{
	g_clear_pointer(&bpf.why_not, g_free);
	engine_apply_reset(&bpf.times);
	if (nfc_config_active()->fast_path == NFC_FAST_PATH_OFF) {
		bpf.why_not = g_strdup("FastPath=off in main.conf");
		nfc_info("engine: fast path off (FastPath=off): sockets are marked by the firewall");
		return false;
	}
	/* marked sockets need the firewall's handling (saving the mark,
	 * moving a moved session's sockets, masquerading only what needs
	 * it): both backends have it (NfcFirewallConfig.sock_marks) */
	if (backend != &nfc_firewall_nft_ops && backend != &nfc_firewall_ipt_ops) {
		bpf.why_not = g_strdup_printf("the %s backend cannot handle marked sockets",
					      backend->name);
		nfc_info("engine: fast path off (%s backend): sockets are marked by the firewall",
			 backend->name);
		return false;
	}
#if NFC_HAVE_BPF
	{
		g_autoptr(GError) error = NULL;

		bpf.sm = nfc_sockmark_new(layout, &error);
		if (!bpf.sm) {
			bpf.why_not = g_strdup(error->message);
			nfc_info("engine: fast path off (%s): sockets are marked by the firewall",
				 error->message);
			return false;
		}
	}
	nfc_info("engine: fast path on: new sockets are marked at creation (BPF program id %u)",
		 nfc_sockmark_prog_id(bpf.sm));
	return true;
#else
	bpf.why_not = g_strdup("built without the bpf option");
	nfc_info("engine: fast path off (built without BPF): sockets are marked by the firewall");
	return false;
#endif
}

void engine_bpf_sink_add(EngineStages *st, NfcFirewall *fw)
{
#if NFC_HAVE_BPF
	if (bpf.sm) {
		engine_stages_add_sink(st, &engine_bpf_sink, fw);
		return;
	}
#endif
	engine_stages_add_sink(st, &engine_firewall_sink, fw);
}

void engine_bpf_sink_stop(void)
{
#if NFC_HAVE_BPF
	GList *l;

	/* called once the firewall is gone: nothing will answer these */
	while ((l = g_queue_pop_head_link(&bpf.in_flight)))
		pending_free(l->data);
	g_clear_pointer(&bpf.sm, nfc_sockmark_free);
#endif
	g_clear_pointer(&bpf.why_not, g_free);
}

bool nfc_engine_fast_path(const char **why_not)
{
	if (why_not)
		*why_not = bpf.why_not ? bpf.why_not : "not started";
#if NFC_HAVE_BPF
	return bpf.sm != NULL;
#else
	return false;
#endif
}

void nfc_engine_fast_path_apply_times(NfcApplyTimes *times, bool reset)
{
	engine_apply_summary(&bpf.times, times);
	if (reset)
		engine_apply_reset(&bpf.times);
}
