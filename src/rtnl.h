/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtnetlink: the only module that talks NETLINK_ROUTE. Every request
 * completes through a callback with 0 or a negative errno. */
#pragma once

#include <stdbool.h>

typedef void (*NfcRtnlDoneFunc)(int error, void *user_data);

int nfc_rtnl_init(void);
void nfc_rtnl_cleanup(void);

/* Set IFF_UP on (up) or off a link. Returns 0 when the request is on its
 * way (done will be called), or a negative errno when it could not be sent
 * (done will not be called). */
int nfc_rtnl_link_set_up(int ifindex, bool up, NfcRtnlDoneFunc done, void *user_data);

/* Forget the callbacks of requests still in flight for user_data: the
 * caller is going away. */
void nfc_rtnl_cancel(void *user_data);
