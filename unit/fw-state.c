// SPDX-License-Identifier: GPL-2.0-or-later
#include "fw-state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both families, every table loaded; no stderr (a table never loaded in
 * this namespace is "not there", not an error). */
#define IPT_SAVE "{ iptables-legacy-save; ip6tables-legacy-save; } 2>/dev/null"
/* Our rules: in our chains, and the one jump into them from a built-in */
#define IPT_OURS IPT_SAVE " | grep -E '^-A .*NFCONN'"

FwBackend fw_backend(void)
{
	const char *env = g_getenv("NFCONN_TEST_FIREWALL");

	if (!env || !*env || g_str_equal(env, "nftables"))
		return FW_NFTABLES;
	if (g_str_equal(env, "iptables"))
		return FW_IPTABLES;
	g_error("NFCONN_TEST_FIREWALL=%s: neither nftables nor iptables", env);
}

const char *fw_backend_name(void)
{
	return fw_backend() == FW_IPTABLES ? "iptables" : "nftables";
}

const char *fw_conf_line(void)
{
	const char *env = g_getenv("NFCONN_TEST_FIREWALL");

	if (!env || !*env)
		return "";
	return fw_backend() == FW_IPTABLES ? "FirewallBackend=iptables\n"
					   : "FirewallBackend=nftables\n";
}

void fw_require_backend(void)
{
	/* in a throwaway namespace: the machine's own tables stay as they are */
	static const char ipt_probe[] =
		"unshare -n sh -c 'iptables-legacy -w -t mangle -A OUTPUT -m owner --uid-owner 0 "
		"-j ACCEPT && ip6tables-legacy -w -t mangle -A OUTPUT -m owner --uid-owner 0 "
		"-j ACCEPT && iptables-legacy -w -t nat -L -n' >/dev/null 2>&1";
	static const char nft_probe[] =
		"unshare -n nft add table inet nfcprobe >/dev/null 2>&1";
	const char *argv[] = { "sh", "-c", NULL, NULL };
	int status = -1;

	if (!g_getenv("NFCONN_TEST_FIREWALL"))
		return;
	argv[2] = fw_backend() == FW_IPTABLES ? ipt_probe : nft_probe;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
			  &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL)) {
		g_print("1..0 # SKIP the %s backend does not work here\n", fw_backend_name());
		exit(77);
	}
}

static char *ipt_owner_cond(const char *what, unsigned int id, const uint32_t *mark)
{
	g_autofree char *with_mark = mark ? g_strdup_printf(" | grep -qiE '0x0*%x(/| |$)'", *mark)
					  : NULL;

	return g_strdup_printf(IPT_OURS " | grep -%sE -- '--%s-owner %u( |$)'%s",
			       mark ? "" : "q", what, id, mark ? with_mark : "");
}

static char *nft_map_cond(const char *map, unsigned int id, const uint32_t *mark)
{
	if (mark)
		return g_strdup_printf("nft list map inet nfconn %s | grep -q '%u : 0x%08x'", map, id,
				       *mark);
	return g_strdup_printf("nft list map inet nfconn %s | grep -q '%u : 0x'", map, id);
}

char *fw_cond_uid(unsigned int uid)
{
	if (fw_backend() == FW_IPTABLES)
		return ipt_owner_cond("uid", uid, NULL);
	return nft_map_cond("uid_mark", uid, NULL);
}

char *fw_cond_uid_mark(unsigned int uid, uint32_t mark)
{
	if (fw_backend() == FW_IPTABLES)
		return ipt_owner_cond("uid", uid, &mark);
	return nft_map_cond("uid_mark", uid, &mark);
}

char *fw_cond_gid(unsigned int gid)
{
	if (fw_backend() == FW_IPTABLES)
		return ipt_owner_cond("gid", gid, NULL);
	return nft_map_cond("gid_mark", gid, NULL);
}

char *fw_cond_gid_mark(unsigned int gid, uint32_t mark)
{
	if (fw_backend() == FW_IPTABLES)
		return ipt_owner_cond("gid", gid, &mark);
	return nft_map_cond("gid_mark", gid, &mark);
}

char *fw_cond_cgroup(const char *path)
{
	const char *rel = path + strspn(path, "/");
	unsigned int level = 1;

	if (fw_backend() == FW_IPTABLES)
		/* iptables-save quotes the path */
		return g_strdup_printf(IPT_OURS " | grep -qE -- '--path \"?/?%s/?\"?( |$)'", rel);
	/* nft keys cgroups by id, one map per level: the path's depth */
	for (const char *p = rel; (p = strchr(p, '/')) && p[1]; p++)
		level++;
	return g_strdup_printf("nft list map inet nfconn cgroup_mark_L%u 2>/dev/null | "
			       "grep -q elements", level);
}

const char *fw_cond_present(void)
{
	if (fw_backend() == FW_IPTABLES)
		return IPT_SAVE " | grep -q '^:NFCONN'";
	return "nft list table inet nfconn >/dev/null 2>&1";
}

uint32_t fw_uid_mark(NfcLab *lab, const char *ns, unsigned int uid)
{
	g_autofree char *out = NULL;

	if (fw_backend() == FW_IPTABLES)
		out = nfc_lab_sh_output(lab, ns, "iptables-legacy-save -t mangle 2>/dev/null | "
					"sed -n 's/^-A NFCONN-UID .*--uid-owner %u -j MARK "
					"--set-xmark \\(0x[0-9a-f]*\\).*/\\1/p'", uid);
	else
		out = nfc_lab_sh_output(lab, ns, "nft list map inet nfconn uid_mark 2>/dev/null | "
					"sed -n 's/.*[^0-9]%u : \\(0x[0-9a-f]*\\).*/\\1/p'", uid);
	return (uint32_t)g_ascii_strtoull(out, NULL, 16);
}

uint64_t fw_steered_masquerades(NfcLab *lab, const char *ns)
{
	g_autofree char *out = NULL;

	if (fw_backend() == FW_IPTABLES)
		out = nfc_lab_sh_output(lab, ns, "{ iptables-legacy-save -c -t nat; "
					"ip6tables-legacy-save -c -t nat; } 2>/dev/null | "
					"sed -n 's/^\\[\\([0-9]*\\):.*-A NFCONN-POST -m mark ! "
					"--mark [^ ]* -j MASQUERADE$/\\1/p' | "
					"awk '{ s += $1 } END { print s + 0 }'");
	else
		out = nfc_lab_sh_output(lab, ns, "nft list chain inet nfconn nat_postrouting | "
					"sed -n 's/.*type != local counter packets \\([0-9]*\\).*/\\1/p'");
	return g_ascii_strtoull(out, NULL, 10);
}

char *fw_dump(NfcLab *lab, const char *ns)
{
	if (fw_backend() == FW_IPTABLES)
		/* our chains and rules, each after its table's name (a table
		 * the kernel loaded meanwhile with nothing of ours in it is no
		 * change of ours); chain counters out */
		return nfc_lab_sh_output(lab, ns,
			IPT_SAVE " | awk '/^\\*/ { t = $0 } /^(:NFCONN|-A .*NFCONN)/ { print t, $0 }' | "
			"sed 's/\\[[0-9]*:[0-9]*\\]/[]/'");
	return nfc_lab_sh_output(lab, ns,
		"nft list table inet nfconn | sed 's/packets [0-9]* bytes [0-9]*/packets bytes/'");
}

unsigned int fw_count_rules(NfcLab *lab, const char *ns)
{
	g_autofree char *out = NULL;

	if (fw_backend() == FW_IPTABLES)
		out = nfc_lab_sh_output(lab, ns, IPT_OURS " | wc -l");
	else
		out = nfc_lab_sh_output(lab, ns, "nft -a list table inet nfconn | grep -c '# handle'");
	return (unsigned int)atoi(out);
}

unsigned int fw_count_uid_entries(NfcLab *lab, const char *ns, unsigned int uid)
{
	g_autofree char *out = NULL;

	if (fw_backend() == FW_IPTABLES)
		out = nfc_lab_sh_output(lab, ns, IPT_OURS " | grep -cE -- '--uid-owner %u( |$)'",
					uid);
	else
		out = nfc_lab_sh_output(lab, ns,
			"nft list map inet nfconn uid_mark | grep -o '[{ ,]%u : 0x' | wc -l", uid);
	return (unsigned int)atoi(out);
}

static void assert_nft_clean(NfcLab *lab, const char *ns)
{
	g_autofree char *rs = nfc_lab_sh_output(lab, ns, "nft list ruleset");

	if (strstr(rs, "nfconn"))
		g_error("nft has state of ours while %s is in use:\n%s", fw_backend_name(), rs);
}

static void assert_ipt_clean(NfcLab *lab, const char *ns)
{
	g_autofree char *rs = nfc_lab_sh_output(lab, ns, IPT_SAVE);

	if (strstr(rs, "NFCONN"))
		g_error("iptables-legacy has state of ours while %s is in use:\n%s",
			fw_backend_name(), rs);
}

void fw_assert_other_clean(NfcLab *lab, const char *ns)
{
	if (fw_backend() == FW_IPTABLES)
		assert_nft_clean(lab, ns);
	else
		assert_ipt_clean(lab, ns);
}

void fw_assert_none(NfcLab *lab, const char *ns)
{
	g_autofree char *rs = nfc_lab_sh_output(lab, ns, "nft list ruleset; " IPT_SAVE);

	if (strstr(rs, "nfconn") || strstr(rs, "NFCONN"))
		g_error("state of ours where none should be (%s):\n%s", fw_backend_name(), rs);
}

bool fw_tamper(NfcLab *lab, const char *ns)
{
	if (fw_backend() == FW_IPTABLES) {
		/* the jumps first (a referenced chain can still be flushed,
		 * but this is what a careless "iptables -F" script leaves) */
		nfc_lab_sh(lab, ns,
			"for x in iptables-legacy ip6tables-legacy; do "
			"  for t in raw mangle nat filter; do "
			"    $x-save -t $t 2>/dev/null | grep -E '^-A [A-Z]+ .*-j NFCONN' | "
			"      grep -v '^-A NFCONN' | sed 's/^-A /-D /' | "
			"      while read -r r; do eval \"$x -w -t $t $r\"; done; "
			"    $x-save -t $t 2>/dev/null | sed -n 's/^:\\(NFCONN[^ ]*\\).*/\\1/p' | "
			"      while read -r c; do $x -w -t $t -F $c; done; "
			"  done; "
			"done");
		return true;
	}
	nfc_lab_sh_status(lab, ns, NULL, "nft flush ruleset 2>&1");
	return nfc_lab_sh_status(lab, ns, NULL, "nft delete table inet nfconn 2>&1") == 0;
}
