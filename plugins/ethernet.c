// SPDX-License-Identifier: GPL-2.0-or-later
/* ethernet: ARPHRD_ETHER links become ethernet devices; a device with
 * carrier has a service. Powering the technology brings the links up or
 * down, which is what makes carrier come and go. */
#include <errno.h>
#include <net/if_arp.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "plugin.h"
#include "rtnl.h"
#include "service.h"
#include "technology.h"

typedef struct {
	int index;
	char name[IFNAMSIZ];
	unsigned char mac[6];
	unsigned int mtu;
	bool carrier;
	NfcService *service;
	int link_request;       /* up/down in flight, 0: none */
} Device;

static GHashTable *devices; /* index → Device */
static unsigned int rtnl_watch;

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
	if (d->carrier && !d->service) {
		d->service = nfc_service_new_ethernet(d->index, d->name, d->mac, d->mtu);
	} else if (!d->carrier && d->service) {
		NfcService *s = g_steal_pointer(&d->service);

		nfc_service_remove(s);
	}
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
	return 0;
}

static void ethernet_exit(void)
{
	nfc_rtnl_watch_remove(rtnl_watch);
	g_clear_pointer(&devices, g_hash_table_unref);
	nfc_technology_driver_unregister(&driver);
}

NFC_PLUGIN_DEFINE(ethernet, "Ethernet devices", "loopback", ethernet_init, ethernet_exit);
