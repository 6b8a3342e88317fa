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
	/* last element of each object's path → how often it was added: the
	 * index that lets Introspect list one parent's children without a
	 * walk over every object of the tree (anyone may introspect) */
	GHashTable *children;
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
	g_hash_table_unref(p->children);
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

/* The first elements below p of the other registrations under it: GDBus
 * lists the nodes that lead to those itself. */
static GHashTable *nodes_to_registrations(const Parent *p)
{
	GHashTable *nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	size_t n = strlen(p->path);
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, p->tree->parents);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const char *other = key, *end;

		/* the root "/" is no parent of objects: every path is at least
		 * two elements deep there */
		if (strncmp(other, p->path, n) != 0 || other[n] != '/')
			continue;
		end = strchr(other + n + 1, '/');
		g_hash_table_add(nodes, end ? g_strndup(other + n + 1, end - other - n - 1) :
					      g_strdup(other + n + 1));
	}
	return nodes;
}

/* Only introspection asks: with DISPATCH_TO_UNENUMERATED_NODES a call is
 * not preceded by a walk over every object, introspect() answers instead.
 * The cost is this parent's children and the tree's registrations, never
 * the objects of other parents. */
static char **subtree_enumerate(GDBusConnection *conn, const char *sender, const char *path,
				gpointer user_data)
{
	const Parent *p = user_data;
	g_autoptr(GHashTable) skip = nodes_to_registrations(p);
	GPtrArray *nodes = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, p->children);
	while (g_hash_table_iter_next(&it, &key, NULL))
		if (!g_hash_table_contains(skip, key))
			g_ptr_array_add(nodes, g_strdup(key));
	g_ptr_array_add(nodes, NULL);
	return (char **)g_ptr_array_free(nodes, FALSE);
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

static void child_add(Parent *p, const char *path)
{
	const char *node = strrchr(path, '/') + 1;
	gpointer key, value;

	if (g_hash_table_lookup_extended(p->children, node, &key, &value))
		g_hash_table_insert(p->children, key, GUINT_TO_POINTER(GPOINTER_TO_UINT(value) + 1));
	else
		g_hash_table_insert(p->children, g_strdup(node), GUINT_TO_POINTER(1));
}

/* Returns whether the parent has no children left. */
static bool child_remove(Parent *p, const char *path)
{
	const char *node = strrchr(path, '/') + 1;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(p->children, node));

	if (n > 1) {
		gpointer key;

		g_hash_table_lookup_extended(p->children, node, &key, NULL);
		g_hash_table_insert(p->children, key, GUINT_TO_POINTER(n - 1));
	} else {
		g_hash_table_remove(p->children, node);
	}
	return g_hash_table_size(p->children) == 0;
}

gboolean nfc_dbus_subtree_add(NfcDbusSubtree *tree, const char *path, GError **error)
{
	g_autofree char *parent = parent_of(path);
	Parent *p = g_hash_table_lookup(tree->parents, parent);
	size_t len = strlen(parent) + 1;

	if (p) {
		child_add(p, path);
		return TRUE;
	}
	p = g_malloc(sizeof(*p) + len);
	memcpy(p->path, parent, len);
	p->children = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	child_add(p, path);
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

	if (!p || !child_remove(p, path))
		return;
	g_hash_table_remove(tree->parents, p->path);
	unregister(p);
}
