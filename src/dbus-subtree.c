// SPDX-License-Identifier: GPL-2.0-or-later
#include "dbus-subtree.h"

#include <stdbool.h>
#include <string.h>

/* GDBus hands a subtree registration only the calls for its own path and
 * its direct children (distribute_method_call() looks up the called path
 * and the path without its last element), while our objects sit at any
 * depth: /sessions/_1_42/net/connman/connmanctl7. So there is one
 * registration per distinct parent of the objects' paths, counted by the
 * objects below it: one per client for sessions (a client's notifiers are
 * siblings), nothing per object. */

typedef struct {
	NfcDbusSubtree *tree; /* a reference: GDBus may call us after the tree is freed */
	guint id;
	guint objects;
	char path[];          /* the parent */
} Parent;

struct NfcDbusSubtree {
	GDBusConnection *conn;
	GDBusInterfaceInfo **infos;
	const NfcDbusSubtreeOps *ops;
	GHashTable *parents; /* path → Parent (owned by its registration) */
};

static void tree_clear(gpointer data)
{
	NfcDbusSubtree *tree = data;

	for (GDBusInterfaceInfo **i = tree->infos; *i; i++)
		g_dbus_interface_info_unref(*i);
	g_free(tree->infos);
	g_hash_table_unref(tree->parents);
	g_object_unref(tree->conn);
}

static void parent_free(gpointer data)
{
	Parent *p = data;

	g_rc_box_release_full(p->tree, tree_clear);
	g_free(p);
}

/* the object at a registration's child node, or at its own path */
static gboolean object_at(const Parent *p, const char *node)
{
	g_autofree char *path = NULL;

	if (!node)
		return p->tree->ops->exists(p->path);
	path = g_strconcat(p->path, "/", node, NULL);
	return p->tree->ops->exists(path);
}

static bool registered_at_or_below(NfcDbusSubtree *tree, const char *path)
{
	size_t n = strlen(path);
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, tree->parents);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const char *p = key;

		if (strncmp(p, path, n) == 0 && (p[n] == '\0' || p[n] == '/'))
			return true;
	}
	return false;
}

typedef struct {
	const Parent *parent;
	GPtrArray *nodes;
} Children;

static void add_child(const char *path, gpointer data)
{
	Children *c = data;
	const char *last = strrchr(path, '/');
	size_t n = strlen(c->parent->path);

	/* GDBus itself lists the nodes that lead to other registrations */
	if (last - path == (ptrdiff_t)n && strncmp(path, c->parent->path, n) == 0 &&
	    !registered_at_or_below(c->parent->tree, path))
		g_ptr_array_add(c->nodes, g_strdup(last + 1));
}

/* Only introspection asks: with DISPATCH_TO_UNENUMERATED_NODES a call is
 * not preceded by a walk over every object, introspect() answers instead. */
static char **subtree_enumerate(GDBusConnection *conn, const char *sender, const char *path,
				gpointer user_data)
{
	Children c = { user_data, g_ptr_array_new() };

	c.parent->tree->ops->foreach(add_child, &c);
	g_ptr_array_add(c.nodes, NULL);
	return (char **)g_ptr_array_free(c.nodes, FALSE);
}

static GDBusInterfaceInfo **subtree_introspect(GDBusConnection *conn, const char *sender,
					       const char *path, const char *node,
					       gpointer user_data)
{
	const Parent *p = user_data;
	GDBusInterfaceInfo **infos;
	guint n = 0;

	/* (path is the registration's for Introspect, the called one for
	 * other calls: the parent knows its own) */
	if (!object_at(p, node))
		return NULL;
	while (p->tree->infos[n])
		n++;
	infos = g_new(GDBusInterfaceInfo *, n + 1);
	for (guint i = 0; i <= n; i++)
		infos[i] = p->tree->infos[i] ? g_dbus_interface_info_ref(p->tree->infos[i]) : NULL;
	return infos;
}

static const GDBusInterfaceVTable *subtree_dispatch(GDBusConnection *conn, const char *sender,
						    const char *path, const char *iface,
						    const char *node, gpointer *out_user_data,
						    gpointer user_data)
{
	const Parent *p = user_data;

	return &p->tree->ops->vtable;
}

static const GDBusSubtreeVTable subtree_vtable = {
	subtree_enumerate, subtree_introspect, subtree_dispatch, { 0 }
};

NfcDbusSubtree *nfc_dbus_subtree_new(GDBusConnection *conn, GDBusInterfaceInfo *const *infos,
				     const NfcDbusSubtreeOps *ops)
{
	NfcDbusSubtree *tree = g_rc_box_new0(NfcDbusSubtree);
	guint n = 0;

	while (infos[n])
		n++;
	tree->conn = g_object_ref(conn);
	tree->infos = g_new0(GDBusInterfaceInfo *, n + 1);
	for (guint i = 0; i < n; i++)
		tree->infos[i] = g_dbus_interface_info_ref(infos[i]);
	tree->ops = ops;
	tree->parents = g_hash_table_new(g_str_hash, g_str_equal);
	return tree;
}

static void unregister(Parent *p)
{
	/* GDBus frees p (parent_free) once no call of it is in flight */
	g_dbus_connection_unregister_subtree(p->tree->conn, p->id);
}

void nfc_dbus_subtree_free(NfcDbusSubtree *tree)
{
	GHashTableIter it;
	gpointer value;

	if (!tree)
		return;
	g_hash_table_iter_init(&it, tree->parents);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		g_hash_table_iter_steal(&it);
		unregister(value);
	}
	g_rc_box_release_full(tree, tree_clear);
}

static char *parent_of(const char *path)
{
	return g_strndup(path, strrchr(path, '/') - path);
}

gboolean nfc_dbus_subtree_add(NfcDbusSubtree *tree, const char *path, GError **error)
{
	g_autofree char *parent = parent_of(path);
	Parent *p = g_hash_table_lookup(tree->parents, parent);
	size_t len = strlen(parent) + 1;

	if (p) {
		p->objects++;
		return TRUE;
	}
	p = g_malloc(sizeof(*p) + len);
	memcpy(p->path, parent, len);
	p->objects = 1;
	p->tree = g_rc_box_acquire(tree);
	p->id = g_dbus_connection_register_subtree(tree->conn, p->path, &subtree_vtable,
						   G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
						   p, parent_free, error);
	if (!p->id) {
		parent_free(p);
		return FALSE;
	}
	g_hash_table_insert(tree->parents, p->path, p);
	return TRUE;
}

void nfc_dbus_subtree_remove(NfcDbusSubtree *tree, const char *path)
{
	g_autofree char *parent = parent_of(path);
	Parent *p = g_hash_table_lookup(tree->parents, parent);

	if (!p || --p->objects > 0)
		return;
	g_hash_table_remove(tree->parents, p->path);
	unregister(p);
}
