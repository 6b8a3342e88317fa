/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon-level system tests run against either firewall backend: this
 * says which one (env NFCONN_TEST_FIREWALL=nftables|iptables, meson's
 * second run of each test sets it) and reads nfconnd's firewall state the
 * way that backend keeps it (nft's table "inet nfconn", or the NFCONN-*
 * chains of iptables-legacy), so that a test asserts the same thing on
 * both: an identity marked, our state present, gone, tampered with. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lab.h"

typedef enum {
	FW_NFTABLES,
	FW_IPTABLES,
} FwBackend;

FwBackend fw_backend(void);
const char *fw_backend_name(void);
/* What main.conf's [General] gets: "FirewallBackend=<name>\n", or ""
 * when the environment names none (the daemon's default). */
const char *fw_conf_line(void);
/* Exit 77 (skip) when the backend the environment asks for cannot work
 * here (no nf_tables; no iptables-legacy, ip_tables or xt_owner), probed
 * in a namespace of its own. */
void fw_require_backend(void);

/* Shell conditions for nfc_lab_wait_sh() and nfc_lab_sh_status(), run in
 * nfconnd's namespace; each holds while our state has it. */
/* uid (gid) is marked; with a mark: with that mark (our bits) */
char *fw_cond_uid(unsigned int uid);
char *fw_cond_uid_mark(unsigned int uid, uint32_t mark);
char *fw_cond_gid(unsigned int gid);
char *fw_cond_gid_mark(unsigned int gid, uint32_t mark);
/* a cgroup, by its path below the cgroup2 root ("/a/b") */
char *fw_cond_cgroup(const char *path);
/* any state of ours at all, in the backend in use */
const char *fw_cond_present(void);

/* Our state as text, counter figures, handles and comments out: what
 * must read the same before and after something that must not touch it. */
char *fw_dump(NfcLab *lab, const char *ns);
/* Rules of ours (nft: statements with a handle; iptables: -A lines of
 * NFCONN chains and the jumps into them, both families). */
unsigned int fw_count_rules(NfcLab *lab, const char *ns);
/* Entries that mark uid: map elements (nft, one), or rules matching its
 * owner (iptables, one per family and hook that looks at it). */
unsigned int fw_count_uid_entries(NfcLab *lab, const char *ns, unsigned int uid);

/* uid's mark (our bits) as the firewall has it; 0: not marked */
uint32_t fw_uid_mark(NfcLab *lab, const char *ns, unsigned int uid);
/* Flows the rule that masquerades steered packets rewrote, both families
 * (nft: the rule of nat_postrouting after the "source not on the outgoing
 * interface" test; iptables: NFCONN-POST's MASQUERADE by mark). */
uint64_t fw_steered_masquerades(NfcLab *lab, const char *ns);

/* Nothing of ours in the backend NOT in use (nft list ruleset while
 * iptables is used, iptables-legacy-save/ip6tables-legacy-save while nft
 * is): fails the test otherwise. */
void fw_assert_other_clean(NfcLab *lab, const char *ns);
/* Nothing of ours in either backend (after an orderly stop, or while
 * nfconnd is idle: no session, no tether). */
void fw_assert_none(NfcLab *lab, const char *ns);

/* Take our state apart from outside the way an administrator's script
 * would: nft: flush the ruleset and try to delete our table; iptables:
 * flush our chains and delete the jumps into them. Returns whether the
 * kernel let it happen (the nft table is owned: false there). */
bool fw_tamper(NfcLab *lab, const char *ns);
