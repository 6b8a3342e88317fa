// SPDX-License-Identifier: GPL-2.0-or-later
#include "technology.h"

#include <errno.h>

#include "log.h"
#include "manager.h"
#include "service.h"
#include "storage.h"
#include "watchlist.h"

#define SETTINGS "settings"

struct NfcTechnology {
	char *type;
	char *path;
	const NfcTechnologyDriver *driver;
	unsigned int devices;
	bool wanted;     /* the user's wish, persisted as Enable */
	bool powered;    /* what it is: wanted and not in offline mode */
	bool connected;
};

static GHashTable *drivers;    /* type → driver */
static GList *technologies;    /* with devices, sorted by type */
static NfcWatchList watches;
static unsigned int service_watch;
static unsigned int manager_watch;

/* ConnMan's group names in the settings file */
static const char *group_of(const char *type)
{
	if (g_str_equal(type, "ethernet"))
		return "Wired";
	if (g_str_equal(type, "wifi"))
		return "WiFi";
	if (g_str_equal(type, "bluetooth"))
		return "Bluetooth";
	if (g_str_equal(type, "cellular"))
		return "Cellular";
	if (g_str_equal(type, "gadget"))
		return "Gadget";
	return type;
}

static void notify(NfcTechnology *t, const char *property)
{
	NFC_WATCH_LIST_NOTIFY(&watches, NfcTechnologyWatch, changed, t, property);
}

static bool load_wanted(const char *type)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);
	g_autoptr(GError) error = NULL;
	bool enable = g_key_file_get_boolean(kf, group_of(type), "Enable", &error);

	return error ? true : enable;
}

static int save_wanted(NfcTechnology *t)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);
	g_autoptr(GError) error = NULL;

	g_key_file_set_boolean(kf, group_of(t->type), "Enable", t->wanted);
	if (!nfc_storage_save(SETTINGS, kf, &error)) {
		nfc_error("cannot save technology settings: %s", error->message);
		return -EIO;
	}
	return 0;
}

static int apply_power(NfcTechnology *t, bool powered)
{
	int r = 0;

	if (t->driver && t->driver->set_powered)
		r = t->driver->set_powered(powered);
	if (r < 0)
		return r;
	if (t->powered != powered) {
		t->powered = powered;
		nfc_info("technology %s %s", t->type, powered ? "powered" : "off");
		notify(t, "Powered");
	}
	return 0;
}

static void update_connected(NfcTechnology *t)
{
	bool connected = false;

	for (GList *l = nfc_service_get_list(); l; l = l->next)
		if (g_str_equal(nfc_service_get_type(l->data), t->type) &&
		    nfc_service_is_connected(l->data))
			connected = true;
	if (connected != t->connected) {
		t->connected = connected;
		notify(t, "Connected");
	}
}

static void on_service_changed(NfcService *s, const char *property, void *user_data)
{
	NfcTechnology *t;

	if (!g_str_equal(property, "State"))
		return;
	t = nfc_technology_lookup(nfc_service_get_type(s));
	if (t)
		update_connected(t);
}

static void on_service_removed(NfcService *s, void *user_data)
{
	on_service_changed(s, "State", user_data);
}

static void on_manager_changed(const char *property, void *user_data)
{
	bool offline = nfc_manager_get_offline_mode();

	if (!g_str_equal(property, "OfflineMode"))
		return;
	for (GList *l = technologies; l; l = l->next) {
		NfcTechnology *t = l->data;

		apply_power(t, t->wanted && !offline);
	}
	if (!offline)
		nfc_service_autoconnect_all();
}

void nfc_technology_init(void)
{
	static const NfcServiceWatch sw = {
		.changed = on_service_changed,
		.removed = on_service_removed,
	};
	static const NfcManagerWatch mw = {
		.changed = on_manager_changed,
	};

	drivers = g_hash_table_new(g_str_hash, g_str_equal);
	service_watch = nfc_service_watch_add(&sw, NULL);
	manager_watch = nfc_manager_watch_add(&mw, NULL);
}

static void technology_free(NfcTechnology *t)
{
	g_free(t->type);
	g_free(t->path);
	g_free(t);
}

void nfc_technology_cleanup(void)
{
	nfc_manager_watch_remove(manager_watch);
	nfc_service_watch_remove(service_watch);
	g_list_free_full(g_steal_pointer(&technologies), (GDestroyNotify)technology_free);
	g_clear_pointer(&drivers, g_hash_table_unref);
	nfc_watch_list_clear(&watches);
}

int nfc_technology_driver_register(const NfcTechnologyDriver *driver)
{
	if (g_hash_table_contains(drivers, driver->type))
		return -EEXIST;
	g_hash_table_insert(drivers, (gpointer)driver->type, (gpointer)driver);
	return 0;
}

void nfc_technology_driver_unregister(const NfcTechnologyDriver *driver)
{
	NfcTechnology *t = nfc_technology_lookup(driver->type);

	if (t)
		t->driver = NULL;
	if (drivers)
		g_hash_table_remove(drivers, driver->type);
}

bool nfc_technology_type_powered(const char *type)
{
	NfcTechnology *t = nfc_technology_lookup(type);

	if (t)
		return t->powered;
	return load_wanted(type) && !nfc_manager_get_offline_mode();
}

static int by_type(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(((const NfcTechnology *)a)->type, ((const NfcTechnology *)b)->type);
}

void nfc_technology_device_added(const char *type)
{
	NfcTechnology *t = nfc_technology_lookup(type);

	if (t) {
		t->devices++;
		return;
	}
	t = g_new0(NfcTechnology, 1);
	t->type = g_strdup(type);
	t->path = g_strdup_printf("/net/connman/technology/%s", type);
	t->driver = g_hash_table_lookup(drivers, type);
	t->devices = 1;
	t->wanted = load_wanted(type);
	t->powered = t->wanted && !nfc_manager_get_offline_mode();
	technologies = g_list_insert_sorted(technologies, t, by_type);
	NFC_WATCH_LIST_NOTIFY(&watches, NfcTechnologyWatch, added, t);
}

void nfc_technology_device_removed(const char *type)
{
	NfcTechnology *t = nfc_technology_lookup(type);

	if (!t || --t->devices > 0)
		return;
	technologies = g_list_remove(technologies, t);
	NFC_WATCH_LIST_NOTIFY(&watches, NfcTechnologyWatch, removed, t);
	technology_free(t);
}

unsigned int nfc_technology_watch_add(const NfcTechnologyWatch *cbs, void *user_data)
{
	return nfc_watch_list_add(&watches, cbs, sizeof(*cbs), user_data, NULL);
}

void nfc_technology_watch_remove(unsigned int id)
{
	nfc_watch_list_remove(&watches, id);
}

NfcTechnology *nfc_technology_lookup(const char *type)
{
	for (GList *l = technologies; l; l = l->next)
		if (g_str_equal(((NfcTechnology *)l->data)->type, type))
			return l->data;
	return NULL;
}

GList *nfc_technology_get_list(void) { return technologies; }
const char *nfc_technology_get_type(NfcTechnology *t) { return t->type; }
const char *nfc_technology_get_path(NfcTechnology *t) { return t->path; }
bool nfc_technology_get_powered(NfcTechnology *t) { return t->powered; }
bool nfc_technology_get_connected(NfcTechnology *t) { return t->connected; }
bool nfc_technology_get_tethering(NfcTechnology *t) { return false; }

const char *nfc_technology_get_name(NfcTechnology *t)
{
	if (t->driver && t->driver->name)
		return t->driver->name;
	return group_of(t->type);
}

int nfc_technology_set_powered(NfcTechnology *t, bool powered)
{
	int r;

	if (powered == t->powered)
		return -EALREADY;
	r = apply_power(t, powered);
	if (r < 0)
		return r;
	t->wanted = powered;
	return save_wanted(t);
}

char **nfc_technology_get_tether_ports(NfcTechnology *t)
{
	if (!t->driver || !t->driver->get_tether_ports)
		return NULL;
	return t->driver->get_tether_ports();
}
