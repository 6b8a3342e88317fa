// SPDX-License-Identifier: GPL-2.0-or-later
#include "technology.h"

#include <errno.h>

#include "config.h"
#include "dbus-error.h"
#include "log.h"
#include "manager.h"
#include "rtnl.h"
#include "service.h"
#include "storage.h"
#include "tethering.h"
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
	bool tethering;  /* what it is: the shared part up and the ports lent */
	struct TetherOp *op; /* a tethering change under way */
	bool restore_queued;
};

/* One tethering change of a technology, from the checks to its answer.
 * It outlives a technology removed meanwhile (tech is then NULL): the
 * driver and the shared part still call back. */
typedef struct TetherOp {
	NfcTechnology *tech;
	bool on;
	bool user;              /* a user's request: the flag is saved on success */
	unsigned int acquire;   /* pending nfc_tethering_acquire */
	bool acquired;
	void (*done)(const GError *error, void *user_data);
	void *user_data;
	int code;               /* a failure waiting for the shared part to go down */
	char *message;
} TetherOp;

static GHashTable *drivers;    /* type → driver */
static GList *technologies;    /* with devices, sorted by type */
static NfcWatchList watches;
static unsigned int service_watch;
static unsigned int manager_watch;
static unsigned int tethering_watch;

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

static bool load_tethering(const char *type)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);

	return g_key_file_get_boolean(kf, group_of(type), "Tethering", NULL);
}

static void save_tethering(const char *type, bool on)
{
	g_autoptr(GKeyFile) kf = nfc_storage_load(SETTINGS);
	g_autoptr(GError) error = NULL;

	g_key_file_set_boolean(kf, group_of(type), "Tethering", on);
	if (!nfc_storage_save(SETTINGS, kf, &error))
		nfc_error("cannot save the Tethering flag of %s: %s", type, error->message);
}

static void tether_off(NfcTechnology *t);
static void maybe_restore_tethering(NfcTechnology *t);

static int apply_power(NfcTechnology *t, bool powered)
{
	int r = 0;

	/* the ports go back before the links go down */
	if (!powered)
		tether_off(t);
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
		/* as ConnMan: back on leaving offline mode when persistent */
		if (!offline)
			maybe_restore_tethering(t);
	}
	if (!offline)
		nfc_service_autoconnect_all();
}

/* ---- tethering ------------------------------------------------------------------ */

/* Answers op (error NULL: success) and forgets it. */
static void tether_finish(TetherOp *op, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);
static void tether_finish(TetherOp *op, int code, const char *format, ...)
{
	g_autoptr(GError) error = NULL;
	NfcTechnology *t = op->tech;

	if (format) {
		va_list ap;

		va_start(ap, format);
		error = g_error_new_valist(NFC_ERROR, code, format, ap);
		va_end(ap);
		nfc_warn("tethering %s %s: %s", t ? t->type : "(gone)", op->on ? "on" : "off",
			 error->message);
	}
	if (t)
		t->op = NULL;
	if (op->done)
		op->done(error, op->user_data);
	g_free(op);
	/* what happened meanwhile: powered off, offline */
	if (t && t->tethering && !t->powered)
		tether_off(t);
}

static void set_tethering_state(NfcTechnology *t, bool on)
{
	if (t->tethering == on)
		return;
	t->tethering = on;
	nfc_info("technology %s tethering %s", t->type, on ? "on" : "off");
	notify(t, "Tethering");
}

static void on_released_failed(const GError *error, void *user_data)
{
	TetherOp *op = user_data;
	g_autofree char *message = g_steal_pointer(&op->message);

	tether_finish(op, op->code, "%s", message);
}

static void on_ports_lent(int error, void *user_data)
{
	TetherOp *op = user_data;
	NfcTechnology *t = op->tech;

	if (error < 0 || !t) {
		op->code = NFC_ERROR_FAILED;
		if (!t) {
			op->code = NFC_ERROR_OPERATION_ABORTED;
			op->message = g_strdup("the technology went away");
		} else if (error == -ENODEV) {
			op->message = g_strdup_printf(
				"No port to lend: no %s port is free to tether (with "
				"TetheringInterfaces unset only ports without a connected "
				"service are lent; see the log)", t->type);
		} else {
			op->message = g_strdup_printf("cannot lend the %s ports to the bridge: %s",
						      t->type, g_strerror(-error));
		}
		/* answered once the shared part is down again: nothing half-done */
		nfc_tethering_release_then(on_released_failed, op);
		return;
	}
	set_tethering_state(t, true);
	if (op->user)
		save_tethering(t->type, true);
	tether_finish(op, 0, NULL);
}

static void on_tethering_acquired(const GError *error, void *user_data)
{
	TetherOp *op = user_data;
	NfcTechnology *t = op->tech;
	int r;

	op->acquire = 0;
	if (error) {
		int code = NFC_ERROR_FAILED;

		if (error->domain == NFC_TETHERING_ERROR &&
		    error->code == NFC_TETHERING_ERROR_NOT_SUPPORTED)
			code = NFC_ERROR_NOT_SUPPORTED;
		else if (error->domain == NFC_TETHERING_ERROR &&
			 error->code == NFC_TETHERING_ERROR_CANCELLED)
			code = NFC_ERROR_OPERATION_ABORTED;
		tether_finish(op, code, "%s", error->message);
		return;
	}
	op->acquired = true;
	r = t->driver->set_tethering(true, nfc_tethering_bridge_index(), on_ports_lent, op);
	if (r < 0)
		on_ports_lent(r, op);
}

static void on_released(const GError *error, void *user_data)
{
	tether_finish(user_data, 0, NULL);
}

static void on_ports_returned(int error, void *user_data)
{
	TetherOp *op = user_data;
	NfcTechnology *t = op->tech;

	if (error < 0)
		nfc_warn("tethering off: giving the ports back: %s", g_strerror(-error));
	if (t) {
		set_tethering_state(t, false);
		if (op->user)
			save_tethering(t->type, false);
	}
	/* the ports are back: now the shared part may go, and the answer
	 * waits until it has (no dnsmasq, no firewall state left) */
	nfc_tethering_release_then(on_released, op);
}

static TetherOp *tether_op_new(NfcTechnology *t, bool on, bool user,
			       void (*done)(const GError *error, void *user_data), void *user_data)
{
	TetherOp *op = g_new0(TetherOp, 1);

	op->tech = t;
	op->on = on;
	op->user = user;
	op->done = done;
	op->user_data = user_data;
	t->op = op;
	return op;
}

static void tether_start(TetherOp *op)
{
	NfcTechnology *t = op->tech;
	int r;

	if (op->on) {
		op->acquire = nfc_tethering_acquire(on_tethering_acquired, op);
		return;
	}
	r = t->driver->set_tethering(false, 0, on_ports_returned, op);
	if (r < 0)
		on_ports_returned(r, op);
}

/* Not the user's wish: powered off, offline mode; the flag stays. */
static void tether_off(NfcTechnology *t)
{
	if (!t->tethering || t->op)
		return;
	nfc_info("technology %s: tethering goes off first", t->type);
	tether_start(tether_op_new(t, false, false, NULL, NULL));
}

static void on_restored(const GError *error, void *user_data)
{
	g_autofree char *type = user_data;

	if (error)
		nfc_error("tethering %s could not be restored (PersistentTetheringMode): %s; "
			  "the Tethering flag stays", type, error->message);
	else
		nfc_info("tethering %s restored (PersistentTetheringMode)", type);
}

static gboolean on_restore_idle(gpointer data)
{
	g_autofree char *type = data;
	NfcTechnology *t = nfc_technology_lookup(type);

	if (!t)
		return G_SOURCE_REMOVE;
	t->restore_queued = false;
	if (t->tethering || t->op || !t->powered || !t->driver || !t->driver->set_tethering)
		return G_SOURCE_REMOVE;
	nfc_info("technology %s: restoring tethering (PersistentTetheringMode)", type);
	tether_start(tether_op_new(t, true, false, on_restored, g_strdup(type)));
	return G_SOURCE_REMOVE;
}

static void on_ready_restore(void *user_data)
{
	/* after the idle sources of the first dumps: every device is known */
	g_idle_add(on_restore_idle, user_data);
}

/* PersistentTetheringMode: back on at start, on power and on leaving
 * offline mode when the saved flag says it was on. */
static void maybe_restore_tethering(NfcTechnology *t)
{
	const NfcConfig *c = nfc_config_active();

	if (!c->persistent_tethering_mode || t->tethering || t->op || t->restore_queued ||
	    !t->powered || !g_strv_contains((const char *const *)c->tethering_technologies, t->type) ||
	    !load_tethering(t->type))
		return;
	t->restore_queued = true;
	nfc_rtnl_when_ready(on_ready_restore, g_strdup(t->type));
}

static void on_ports_back(int error, void *user_data)
{
	TetherOp *op = user_data;

	if (error < 0)
		nfc_warn("tethering went down: giving the ports back: %s", g_strerror(-error));
	tether_finish(op, 0, NULL);
}

/* The shared part went down by itself (dnsmasq gave up): the ports come
 * back and the property follows. */
static void on_tethering_status(const char *reason, void *user_data)
{
	if (nfc_tethering_is_up())
		return;
	for (GList *l = technologies; l; l = l->next) {
		NfcTechnology *t = l->data;
		TetherOp *op;
		int r;

		if (!t->tethering || t->op)
			continue;
		nfc_error("technology %s: tethering went down", t->type);
		t->tethering = false;
		/* the reference went with it: no release */
		op = tether_op_new(t, false, false, NULL, NULL);
		r = t->driver->set_tethering(false, 0, on_ports_back, op);
		if (r < 0)
			on_ports_back(r, op);
		notify(t, "Tethering");
	}
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

	static const NfcTetheringWatch tw = {
		.status_changed = on_tethering_status,
	};

	drivers = g_hash_table_new(g_str_hash, g_str_equal);
	service_watch = nfc_service_watch_add(&sw, NULL);
	manager_watch = nfc_manager_watch_add(&mw, NULL);
	tethering_watch = nfc_tethering_watch_add(&tw, NULL);
}

static void technology_free(NfcTechnology *t)
{
	if (t->op) {
		/* the answer still comes, to an op without a technology */
		if (t->op->acquire) {
			nfc_tethering_cancel(t->op->acquire);
			t->op->acquire = 0;
			tether_finish(t->op, NFC_ERROR_OPERATION_ABORTED,
				      "the technology went away (its last device was removed)");
		} else {
			t->op->tech = NULL;
		}
	}
	if (t->tethering)
		nfc_tethering_release();
	g_free(t->type);
	g_free(t->path);
	g_free(t);
}

void nfc_technology_cleanup(void)
{
	nfc_tethering_watch_remove(tethering_watch);
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
	maybe_restore_tethering(t);
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
bool nfc_technology_get_tethering(NfcTechnology *t) { return t->tethering; }

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
	r = save_wanted(t);
	if (powered)
		maybe_restore_tethering(t);
	return r;
}

void nfc_technology_set_tethering(NfcTechnology *t, bool on,
				  void (*done)(const GError *error, void *user_data),
				  void *user_data)
{
	const NfcConfig *c = nfc_config_active();
	g_autoptr(GError) error = NULL;

	/* spec tethering §1, in ConnMan's order; InProgress before "already":
	 * while a change is under way the state is neither */
	if (!g_strv_contains((const char *const *)c->tethering_technologies, t->type))
		error = g_error_new(NFC_ERROR, NFC_ERROR_NOT_SUPPORTED,
				    "tethering of %s is not enabled: add it to TetheringTechnologies "
				    "in main.conf", t->type);
	else if (t->op)
		error = g_error_new(NFC_ERROR, NFC_ERROR_IN_PROGRESS,
				    "tethering of %s is being turned %s", t->type,
				    t->op->on ? "on" : "off");
	else if (on == t->tethering)
		error = g_error_new(NFC_ERROR, on ? NFC_ERROR_ALREADY_ENABLED : NFC_ERROR_ALREADY_DISABLED,
				    "tethering of %s is %s already", t->type, on ? "on" : "off");
	else if (on && !t->powered)
		error = g_error_new(NFC_ERROR, NFC_ERROR_PERMISSION_DENIED,
				    "%s is not powered", t->type);
	else if (!t->driver || !t->driver->set_tethering)
		error = g_error_new(NFC_ERROR, NFC_ERROR_NOT_SUPPORTED,
				    "the %s driver cannot tether", t->type);
	if (error) {
		done(error, user_data);
		return;
	}
	nfc_info("technology %s: tethering %s requested", t->type, on ? "on" : "off");
	tether_start(tether_op_new(t, on, true, done, user_data));
}

char **nfc_technology_get_tether_ports(NfcTechnology *t)
{
	if (!t->driver || !t->driver->get_tether_ports)
		return NULL;
	return t->driver->get_tether_ports();
}
