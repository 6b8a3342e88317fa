// SPDX-License-Identifier: GPL-2.0-or-later
/* The watch list, see watchlist.h. Items are never moved or freed while a
 * notify runs: removal marks an item, and the last notify to finish sweeps
 * the marked ones out. A notify walks the items that existed when it
 * began, by index, so additions (appended) are not called and nothing
 * after a removed item is skipped. */
#include "watchlist.h"

#include <string.h>

typedef struct {
	unsigned int id;
	bool removed;
	void *user_data;
	GDestroyNotify destroy;
	max_align_t table[];       /* the watcher's callbacks, copied */
} Item;

static Item *item_at(NfcWatchList *list, unsigned int i)
{
	return list->items->pdata[i];
}

/* Forget removed items, once no notify is walking them. */
static void sweep(NfcWatchList *list)
{
	if (list->depth > 0 || !list->stale)
		return;
	list->stale = false;
	for (unsigned int i = list->items->len; i > 0; i--)
		if (item_at(list, i - 1)->removed)
			g_ptr_array_remove_index(list->items, i - 1);
	if (list->items->len == 0)
		g_clear_pointer(&list->items, g_ptr_array_unref);
}

/* The watcher is gone for good: never called again, its data released. */
static void retire(NfcWatchList *list, Item *item)
{
	item->removed = true;
	list->stale = true;
	if (!item->destroy)
		return;
	/* as in a notify: whatever destroy does to the list, no item moves */
	list->depth++;
	item->destroy(item->user_data);
	list->depth--;
}

unsigned int nfc_watch_list_add(NfcWatchList *list, const void *table, size_t size,
				void *user_data, GDestroyNotify destroy)
{
	Item *item = g_malloc0(sizeof(Item) + size);

	if (++list->next_id == 0)
		list->next_id = 1;
	item->id = list->next_id;
	item->user_data = user_data;
	item->destroy = destroy;
	memcpy(item->table, table, size);
	if (!list->items)
		list->items = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(list->items, item);
	return item->id;
}

static Item *find_live(NfcWatchList *list, unsigned int id)
{
	/* newest first: a watcher just added (rtnl's replay) is found at once */
	for (unsigned int i = list->items ? list->items->len : 0; id && i > 0; i--) {
		Item *item = item_at(list, i - 1);

		if (item->id == id)
			return item->removed ? NULL : item;
	}
	return NULL;
}

bool nfc_watch_list_remove(NfcWatchList *list, unsigned int id)
{
	Item *item = find_live(list, id);

	if (!item)
		return false;
	retire(list, item);
	sweep(list);
	return true;
}

const void *nfc_watch_list_find(NfcWatchList *list, unsigned int id, void **user_data)
{
	Item *item = find_live(list, id);

	if (!item)
		return NULL;
	if (user_data)
		*user_data = item->user_data;
	return item->table;
}

void nfc_watch_list_clear(NfcWatchList *list)
{
	/* the watchers there are now; one a destroy function adds stays */
	unsigned int n = list->items ? list->items->len : 0;

	for (unsigned int i = 0; i < n; i++) {
		Item *item = item_at(list, i);

		if (!item->removed)
			retire(list, item);
	}
	if (list->items)
		sweep(list);
}

unsigned int nfc_watch_list_count(const NfcWatchList *list)
{
	unsigned int n = 0;

	for (unsigned int i = 0; list->items && i < list->items->len; i++)
		n += !((Item *)list->items->pdata[i])->removed;
	return n;
}

void nfc_watch_iter_begin(NfcWatchIter *it, NfcWatchList *list)
{
	it->list = list;
	it->i = 0;
	it->n = list->items ? list->items->len : 0;
	list->depth++;
}

bool nfc_watch_iter_next(NfcWatchIter *it, const void **table, void **user_data)
{
	/* while depth > 0 no item moves or goes: index i < n is the item
	 * it was at begin */
	while (it->i < it->n) {
		Item *item = item_at(it->list, it->i++);

		if (item->removed)
			continue;
		*table = item->table;
		*user_data = item->user_data;
		return true;
	}
	return false;
}

void nfc_watch_iter_end(NfcWatchIter *it)
{
	it->list->depth--;
	if (it->list->items)
		sweep(it->list);
}
