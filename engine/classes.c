// SPDX-License-Identifier: GPL-2.0-or-later
/* Routing classes: ladders of uplink slots with references, and the ip
 * rules of a ladder. Pure: the caller sends the rules. A class's ladder
 * sits at priority_base + (id - 1) * (ENGINE_MAX_UPLINKS + 1) + step. */
#include "internal.h"

#include <string.h>
#include <sys/socket.h>

typedef struct {
	EngineLadder ladder;
	guint refs;
} EngineClass;

uint32_t engine_table(const EngineRouting *r, guint slot)
{
	return r->table_base + slot;
}

guint engine_classes_max(const EngineRouting *r)
{
	guint by_range = r->range / (ENGINE_MAX_UPLINKS + 1);

	return MIN(by_range, nfc_mark_layout_routing_max(&r->layout));
}

void engine_classes_init(EngineClasses *c, guint max)
{
	c->by_id = g_ptr_array_new_with_free_func(g_free);
	c->max = max;
}

void engine_classes_clear(EngineClasses *c)
{
	g_clear_pointer(&c->by_id, g_ptr_array_unref);
}

static bool ladder_equal(const EngineLadder *a, const EngineLadder *b)
{
	return a->n == b->n && !memcmp(a->slot, b->slot, a->n * sizeof(a->slot[0]));
}

guint engine_classes_ref(EngineClasses *c, const EngineLadder *ladder, bool *created)
{
	guint free_id = 0;
	EngineClass *cls;

	*created = false;
	for (guint i = 0; i < c->by_id->len; i++) {
		cls = c->by_id->pdata[i];
		if (cls && ladder_equal(&cls->ladder, ladder)) {
			cls->refs++;
			return i + 1;
		}
		if (!cls && !free_id)
			free_id = i + 1;
	}
	if (!free_id && c->by_id->len >= c->max)
		return 0;
	cls = g_new0(EngineClass, 1);
	cls->ladder = *ladder;
	cls->refs = 1;
	*created = true;
	if (free_id) {
		c->by_id->pdata[free_id - 1] = cls;
		return free_id;
	}
	g_ptr_array_add(c->by_id, cls);
	return c->by_id->len;
}

bool engine_classes_unref(EngineClasses *c, guint id, EngineLadder *ladder)
{
	EngineClass *cls = id && id <= c->by_id->len ? c->by_id->pdata[id - 1] : NULL;

	if (!cls || --cls->refs > 0)
		return false;
	if (ladder)
		*ladder = cls->ladder;
	g_free(cls);
	c->by_id->pdata[id - 1] = NULL;
	return true;
}

const EngineLadder *engine_classes_get(const EngineClasses *c, guint id)
{
	EngineClass *cls = id && id <= c->by_id->len ? c->by_id->pdata[id - 1] : NULL;

	return cls ? &cls->ladder : NULL;
}

static const char *any_interface(const char *ifname)
{
	return ifname && *ifname && !g_str_equal(ifname, "*") ? ifname : NULL;
}

void engine_ladder_build(const EngineCandidate *c, guint n, char *const *bearers,
			 NfcConnType type, const char *ifname, EngineLadder *out)
{
	out->n = 0;
	ifname = any_interface(ifname);
	for (char *const *b = bearers; b && *b; b++) {
		for (guint i = 0; i < n; i++) {
			if (!g_str_equal(c[i].type, *b))
				continue;
			if (ifname && g_strcmp0(ifname, c[i].ifname))
				continue;
			if (type == NFC_CONN_INTERNET && !c[i].online)
				continue;
			if (out->n == ENGINE_MAX_UPLINKS)
				return;
			out->slot[out->n++] = c[i].slot;
		}
	}
}

bool engine_settings_narrow(const NfcSessionSettings *s, const NfcSessionPolicy *p)
{
	const NfcSessionSettings none = { 0 };
	g_auto(GStrv) mine = nfc_session_effective_bearers(s, p);
	g_auto(GStrv) theirs = nfc_session_effective_bearers(&none, p);

	return !g_strv_equal((const char *const *)mine, (const char *const *)theirs) ||
	       (nfc_session_effective_type(s, p) == NFC_CONN_INTERNET) !=
		       (nfc_session_effective_type(&none, p) == NFC_CONN_INTERNET) ||
	       g_strcmp0(any_interface(nfc_session_effective_interface(s, p)),
			 any_interface(nfc_session_effective_interface(&none, p)));
}

void engine_ladder_rules(const EngineRouting *r, guint id, const EngineLadder *ladder,
			 GArray *out)
{
	static const int families[] = { AF_INET, AF_INET6 };
	uint32_t rmask = nfc_mark_layout_routing_mask(&r->layout);
	uint32_t prio = r->priority_base + (id - 1) * (ENGINE_MAX_UPLINKS + 1);
	uint32_t mark = 0;

	nfc_mark_compose(&r->layout, id, 0, &mark);
	for (guint step = 0; step < ladder->n; step++) {
		for (guint f = 0; f < G_N_ELEMENTS(families); f++) {
			EngineRule rule = { .family = families[f], .priority = prio + step,
					    .table = engine_table(r, ladder->slot[step]),
					    .fwmark = mark, .fwmask = rmask };

			g_array_append_val(out, rule);
		}
	}
	/* strict: a steered session never falls through to main */
	for (guint f = 0; f < G_N_ELEMENTS(families); f++) {
		EngineRule rule = { .family = families[f], .priority = prio + ENGINE_MAX_UPLINKS,
				    .table = 0, .fwmark = mark, .fwmask = rmask };

		g_array_append_val(out, rule);
	}
}
