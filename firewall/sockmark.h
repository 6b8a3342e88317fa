/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The socket-mark fast path, user side: loads firewall/sockmark.bpf.c for
 * the caller's network namespace, attaches it to the cgroup2 root through
 * a BPF link (other programs there keep running) and keeps its identity
 * maps. Nothing is pinned: the program goes with the last fd, when
 * nfc_sockmark_free() runs or the process dies. Built only with the meson
 * option bpf (NFC_HAVE_BPF). */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "firewall.h"

typedef struct NfcSockmark NfcSockmark;

/* Load and attach. Fails (with a message that says why: no BPF, no
 * privilege, no cgroup2) when the kernel cannot run it. */
NfcSockmark *nfc_sockmark_new(const NfcMarkLayout *layout, GError **error);
void nfc_sockmark_free(NfcSockmark *sm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcSockmark, nfc_sockmark_free)

/* New sockets of identity get mark (0: the element goes). Synchronous.
 * 0 or negative errno (-ERANGE: a cgroup level beyond what the program
 * looks up; -E2BIG: a map is full). */
int nfc_sockmark_set(NfcSockmark *sm, const NfcFirewallIdentity *identity, uint32_t mark);

/* The kernel's id of the attached program (bpftool prog show id N). */
uint32_t nfc_sockmark_prog_id(NfcSockmark *sm);
