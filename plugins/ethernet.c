// SPDX-License-Identifier: GPL-2.0-or-later
/* ethernet: ARPHRD_ETHER links become ethernet devices; a device with
 * carrier has a service. Powering the technology brings the links up or
 * down, which is what makes carrier come and go.
 *
 * Tethering lends ports to the bridge. Which ones is decided when
 * tethering starts:
 *   - TetheringInterfaces set: the ports whose name matches one of its
 *     globs (fnmatch), and later the new ports that match too;
 *   - else, at the start that restores tethering after a restart
 *     (PersistentTetheringMode), the ports that were lent when nfconnd
 *     stopped;
 *   - else every port with no connected (ready/online) service at that
 *     moment; ports that appear later are not lent.
 * A port that is the uplink of a connected service is never lent (logged).
 * A lent port has no service; it comes back (with carrier) when the port
 * is returned. */
#include <errno.h>
#include <fnmatch.h>
#include <net/if_arp.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "plugin.h"
#include "rtnl.h"
#include "service.h"
#include "storage.h"
#include "technology.h"

#define SETTINGS "settings"
#define GROUP "Wired"
#define PORTS_KEY "TetheringPorts"

typedef struct {
	int index;
	char name[IFNAMSIZ];
	unsigned char mac[6];
	unsigned int mtu;
	bool carrier;
	NfcService *service;
	int link_request;       /* up/down in flight, 0: none */
	bool lent;              /* a port of the tether bridge */
	int master_request;     /* the newest enslave/release, 0: none */
} Device;

/* One set_tethering call: done once every port answered. */
typedef struct {
	bool on;
	unsigned int pending;   /* requests out, plus one while they are sent */
	int error;
	void (*done)(int error, void *user_data);
	void *user_data;
} TetherCall;

/* An enslave/release; it finds its device again by index (the link may
 * go meanwhile). */
typedef struct {
	int index;
	int id;
	TetherCall *call;
} MasterReq;

static GHashTable *devices; /* index → Device */
static unsigned int rtnl_watch;
static GList *master_reqs;  /* MasterReq* in flight */
static struct {
	bool on;
	int bridge_index;
	char **restore;         /* the ports lent when nfconnd last stopped */
} tether;

static bool blacklisted(const char *name)
{
	for (char **p = nfc_config_active()->network_interface_blacklist; *p; p++)
		if (**p && g_str_has_prefix(name, *p))
			return true;
	return false;
}

static void on_link_set(int error, void *user_data)
{
	Device *d = user_data;

	d->link_request = 0;
	if (error < 0)
		nfc_warn("ethernet: %s: cannot change link state: %s", d->name, g_strerror(-error));
}

static void set_link_up(Device *d, bool up)
{
	int r;

	/* the newest request decides the link's state: an older one's
	 * outcome no longer matters */
	if (d->link_request)
		nfc_rtnl_cancel(d->link_request);
	r = nfc_rtnl_link_set_up(d->index, up, on_link_set, d);
	d->link_request = MAX(r, 0);
	if (r < 0)
		nfc_warn("ethernet: %s: cannot change link state: %s", d->name, g_strerror(-r));
}

static void update_service(Device *d)
{
	/* a lent port is the bridge's: no service, whatever its carrier */
	if (d->lent && d->service) {
		NfcService *s = g_steal_pointer(&d->service);

		nfc_service_remove(s);
		return;
	}
	if (d->lent)
		return;
	if (d->carrier && !d->service) {
		d->service = nfc_service_new_ethernet(d->index, d->name, d->mac, d->mtu);
	} else if (!d->carrier && d->service) {
		NfcService *s = g_steal_pointer(&d->service);

		nfc_service_remove(s);
	}
}

/* ---- tethering ---------------------------------------------------------------- */

static bool matches_interfaces(const char *name)
{
	for (char **g = nfc_config_active()->tethering_interfaces; g && *g; g++)
		if (fnmatch(*g, name, 0) == 0)
			return true;
	return false;
}

static bool interfaces_set(void)
{
	char **g = nfc_config_active()->tethering_interfaces;

	return g && *g;
}

static bool is_uplink(Device *d)
{
	return d->service && nfc_service_is_connected(d->service);
}

/* The lent ports, for the restore after a restart. */
static void save_ports(void)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, devices);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((Device *)value)->lent)
			g_ptr_array_add(names, ((Device *)value)->name);
	if (names->len)
		g_key_file_set_string_list(kf, GROUP, PORTS_KEY, (const char *const *)names->pdata,
					   names->len);
	else if (!g_key_file_has_key(kf, GROUP, PORTS_KEY, NULL))
		return;
	else
		g_key_file_remove_key(kf, GROUP, PORTS_KEY, NULL);
	if (!nfc_storage_save(SETTINGS, kf, &error))
		nfc_warn("ethernet: cannot save the tethered ports: %s", error->message);
}

static TetherCall *call_new(bool on, void (*done)(int error, void *user_data), void *user_data)
{
	TetherCall *call = g_new0(TetherCall, 1);

	call->on = on;
	call->done = done;
	call->user_data = user_data;
	/* held until every port is asked: none answers before */
	call->pending = 1;
	return call;
}

static void return_all(TetherCall *call);

static void call_unref(TetherCall *call)
{
	if (--call->pending > 0)
		return;
	if (call->on && call->error < 0) {
		/* nothing half-done: what was lent goes back, then the answer */
		tether.on = false;
		return_all(NULL);
	} else if (call->on) {
		save_ports();
	}
	if (call->done)
		call->done(call->error, call->user_data);
	g_free(call);
}

static void on_master_set(int error, void *user_data)
{
	MasterReq *req = user_data;
	Device *d = devices ? g_hash_table_lookup(devices, GINT_TO_POINTER(req->index)) : NULL;
	TetherCall *call = req->call;
	int id = req->id;

	master_reqs = g_list_remove(master_reqs, req);
	g_free(req);
	if (!devices)
		return;
	if (d && d->master_request == id)
		d->master_request = 0;
	if (d && error < 0)
		nfc_warn("ethernet: %s: cannot %s the bridge: %s", d->name,
			 d->lent ? "join" : "leave", g_strerror(-error));
	else if (d)
		nfc_info("ethernet: %s %s the tether bridge", d->name, d->lent ? "joined" : "left");
	/* returned: its service comes back if it has carrier */
	if (d && !d->lent)
		update_service(d);
	if (!call)
		return;
	/* a port gone meanwhile is no failure of the call */
	if (error < 0 && d && !call->error)
		call->error = error;
	call_unref(call);
}

static void set_master(Device *d, int master, TetherCall *call)
{
	MasterReq *req = g_new0(MasterReq, 1);
	int r;

	req->index = d->index;
	req->call = call;
	if (call)
		call->pending++;
	master_reqs = g_list_prepend(master_reqs, req);
	r = nfc_rtnl_link_set_master(d->index, master, on_master_set, req);
	if (r < 0) {
		on_master_set(r, req);
		return;
	}
	req->id = r;
	d->master_request = r;
}

static void lend(Device *d, TetherCall *call)
{
	nfc_info("ethernet: lending %s to the tether bridge", d->name);
	d->lent = true;
	update_service(d);
	set_link_up(d, true);
	set_master(d, tether.bridge_index, call);
}

static void return_all(TetherCall *call)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, devices);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		Device *d = value;

		if (!d->lent)
			continue;
		nfc_info("ethernet: taking %s back from the tether bridge", d->name);
		d->lent = false;
		set_master(d, 0, call);
	}
}

static bool should_lend(Device *d)
{
	if (interfaces_set() && !matches_interfaces(d->name))
		return false;
	if (!interfaces_set() && tether.restore &&
	    !g_strv_contains((const char *const *)tether.restore, d->name))
		return false;
	if (is_uplink(d)) {
		nfc_info("ethernet: %s is the uplink of a connected service: not lent to the bridge",
			 d->name);
		return false;
	}
	return true;
}

static gboolean on_call_idle(gpointer data)
{
	call_unref(data);
	return G_SOURCE_REMOVE;
}

static int set_tethering(bool on, int bridge_index, void (*done)(int error, void *user_data),
			 void *user_data)
{
	g_autoptr(GPtrArray) chosen = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;
	TetherCall *call;

	if (!on) {
		tether.on = false;
		tether.bridge_index = 0;
		call = call_new(false, done, user_data);
		return_all(call);
		save_ports();
		/* from the loop even when nothing was lent */
		g_idle_add(on_call_idle, call);
		return 0;
	}
	/* the ports of the last run are for the first start after a restart,
	 * and only when that start is the restore */
	if (!nfc_config_active()->persistent_tethering_mode)
		g_clear_pointer(&tether.restore, g_strfreev);
	g_hash_table_iter_init(&it, devices);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (should_lend(value))
			g_ptr_array_add(chosen, value);
	g_clear_pointer(&tether.restore, g_strfreev);
	if (chosen->len == 0) {
		if (interfaces_set())
			nfc_warn("ethernet: no port to lend: none matches TetheringInterfaces, or "
				 "each that does is the uplink of a connected service");
		else
			nfc_warn("ethernet: no port to lend: every ethernet port has a connected "
				 "service (TetheringInterfaces= chooses the ports)");
		return -ENODEV;
	}
	tether.on = true;
	tether.bridge_index = bridge_index;
	call = call_new(true, done, user_data);
	for (guint i = 0; i < chosen->len; i++)
		lend(chosen->pdata[i], call);
	g_idle_add(on_call_idle, call);
	return 0;
}

static char **get_tether_ports(void)
{
	GPtrArray *names = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, devices);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((Device *)value)->lent)
			g_ptr_array_add(names, g_strdup(((Device *)value)->name));
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

static void on_link_changed(const NfcRtnlLink *link, void *user_data)
{
	Device *d = g_hash_table_lookup(devices, GINT_TO_POINTER(link->index));
	bool carrier;

	if (!d) {
		if (link->type != ARPHRD_ETHER || link->address_len != 6 ||
		    g_str_equal(link->kind, "bridge") || blacklisted(link->name))
			return;
		d = g_new0(Device, 1);
		d->index = link->index;
		memcpy(d->mac, link->address, 6);
		g_strlcpy(d->name, link->name, sizeof(d->name));
		g_hash_table_insert(devices, GINT_TO_POINTER(d->index), d);
		nfc_debug("ethernet device %s (%d)", d->name, d->index);
		nfc_technology_device_added("ethernet");
		if (nfc_technology_type_powered("ethernet") && !(link->flags & IFF_UP))
			set_link_up(d, true);
		/* only TetheringInterfaces lends ports that come later */
		if (tether.on && interfaces_set() && matches_interfaces(d->name))
			lend(d, NULL);
	}
	d->mtu = link->mtu;
	if (d->service && strcmp(d->name, link->name))
		nfc_info("ethernet: %s renamed to %s", d->name, link->name);
	g_strlcpy(d->name, link->name, sizeof(d->name));
	carrier = (link->flags & IFF_UP) && (link->flags & IFF_LOWER_UP);
	if (carrier != d->carrier) {
		nfc_info("ethernet: %s carrier %s", d->name, carrier ? "on" : "off");
		d->carrier = carrier;
		update_service(d);
	}
}

static void device_free(Device *d)
{
	if (d->link_request)
		nfc_rtnl_cancel(d->link_request);
	if (d->service)
		nfc_service_remove(d->service);
	nfc_technology_device_removed("ethernet");
	g_free(d);
}

static void on_link_removed(int index, const char *name, void *user_data)
{
	g_hash_table_remove(devices, GINT_TO_POINTER(index));
}

static int set_powered(bool powered)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, devices);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		Device *d = value;

		set_link_up(d, powered);
	}
	return 0;
}

static const NfcTechnologyDriver driver = {
	.type = "ethernet",
	.name = "Wired",
	.set_powered = set_powered,
	.set_tethering = set_tethering,
	.get_tether_ports = get_tether_ports,
};

static const NfcRtnlWatch watch = {
	.link_changed = on_link_changed,
	.link_removed = on_link_removed,
};

static int ethernet_init(void)
{
	int r = nfc_technology_driver_register(&driver);

	if (r < 0)
		return r;
	devices = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)device_free);
	rtnl_watch = nfc_rtnl_watch_add(&watch, NULL);
	{
		g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);

		tether.restore = g_key_file_get_string_list(kf, GROUP, PORTS_KEY, NULL, NULL);
	}
	return 0;
}

static void ethernet_exit(void)
{
	/* requests still out: their answers would find nobody (a call is
	 * freed with its last request; one still held by its idle is lost
	 * with the loop) */
	for (GList *l = master_reqs; l; l = l->next) {
		MasterReq *req = l->data;

		if (req->id)
			nfc_rtnl_cancel(req->id);
		if (req->call && --req->call->pending == 0)
			g_free(req->call);
		g_free(req);
	}
	g_clear_pointer(&master_reqs, g_list_free);
	g_clear_pointer(&tether.restore, g_strfreev);
	memset(&tether, 0, sizeof(tether));
	nfc_rtnl_watch_remove(rtnl_watch);
	g_clear_pointer(&devices, g_hash_table_unref);
	nfc_technology_driver_unregister(&driver);
}

NFC_PLUGIN_DEFINE(ethernet, "Ethernet devices", "loopback", ethernet_init, ethernet_exit);
