/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A list of watchers, each a table of optional callbacks plus user_data,
 * that survives its watchers adding and removing watchers while it calls
 * them. Every "watch" of the core (services, sessions, technologies, the
 * manager, rtnl) is one of these.
 *
 * The rules, which the unit test holds it to:
 * - add returns an id > 0, never reused within a run (per list);
 * - a watcher removed during a notify is never called again, not even
 *   later in the same notify; its destroy function runs at once, once;
 * - a watcher added during a notify is not called by that notify (it did
 *   not exist when the event happened), only by the next one;
 * - notifies may nest (a callback may cause another event);
 * - clearing the list during a notify is allowed: nobody is called after.
 *
 * A zero-initialised NfcWatchList is an empty list, ready to use. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	GPtrArray *items;          /* created with the first watcher */
	unsigned int next_id;
	unsigned int depth;        /* notifies running */
	bool stale;                /* removed items wait for depth 0 */
} NfcWatchList;

/* Copies the table (size bytes: the watchers' table type). destroy, if
 * set, is called with user_data when the watcher is removed or the list
 * is cleared. */
unsigned int nfc_watch_list_add(NfcWatchList *list, const void *table, size_t size,
				void *user_data, GDestroyNotify destroy);
/* false if there is no such watcher (never was, or removed already). */
bool nfc_watch_list_remove(NfcWatchList *list, unsigned int id);
/* The table of a live watcher (and its user_data), or NULL: for callers
 * that talk to one watcher alone, e.g. to replay state to a new one. */
const void *nfc_watch_list_find(NfcWatchList *list, unsigned int id, void **user_data);
/* Removes every watcher (calling their destroy functions). */
void nfc_watch_list_clear(NfcWatchList *list);
unsigned int nfc_watch_list_count(const NfcWatchList *list);

/* Walking the list, as NFC_WATCH_LIST_NOTIFY does. */
typedef struct {
	NfcWatchList *list;
	unsigned int i, n;
} NfcWatchIter;

void nfc_watch_iter_begin(NfcWatchIter *it, NfcWatchList *list);
/* The next live watcher that existed at begin: false at the end. */
bool nfc_watch_iter_next(NfcWatchIter *it, const void **table, void **user_data);
void nfc_watch_iter_end(NfcWatchIter *it);

/* Calls table->member(args..., user_data) of every watcher whose table
 * (of type Type) sets member. The _NO_ARGS form is for callbacks that take
 * only user_data. */
#define NFC_WATCH_LIST_NOTIFY(list, Type, member, ...)                          \
	do {                                                                    \
		NfcWatchIter it_;                                               \
		const void *t_;                                                 \
		void *ud_;                                                      \
		nfc_watch_iter_begin(&it_, (list));                             \
		while (nfc_watch_iter_next(&it_, &t_, &ud_))                    \
			if (((const Type *)t_)->member)                         \
				((const Type *)t_)->member(__VA_ARGS__, ud_);   \
		nfc_watch_iter_end(&it_);                                       \
	} while (0)

#define NFC_WATCH_LIST_NOTIFY_NO_ARGS(list, Type, member)                       \
	do {                                                                    \
		NfcWatchIter it_;                                               \
		const void *t_;                                                 \
		void *ud_;                                                      \
		nfc_watch_iter_begin(&it_, (list));                             \
		while (nfc_watch_iter_next(&it_, &t_, &ud_))                    \
			if (((const Type *)t_)->member)                         \
				((const Type *)t_)->member(ud_);                \
		nfc_watch_iter_end(&it_);                                       \
	} while (0)
