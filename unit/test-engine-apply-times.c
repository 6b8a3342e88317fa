// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the apply-time ring: percentiles, wrap-around, reset. */
#include "internal.h"

static void test_empty(void)
{
	g_autofree EngineApplyRing *ring = g_new0(EngineApplyRing, 1);
	NfcApplyTimes t = { 1, 1, 1, 1, 1 };

	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.total, ==, 0);
	g_assert_cmpuint(t.samples, ==, 0);
	g_assert_cmpuint(t.p50_us, ==, 0);
	g_assert_cmpuint(t.max_us, ==, 0);
}

static void test_percentiles(void)
{
	g_autofree EngineApplyRing *ring = g_new0(EngineApplyRing, 1);
	NfcApplyTimes t;

	/* 1..100 in a shuffled order: the summary sorts */
	for (int i = 0; i < 100; i++)
		engine_apply_record(ring, 1 + (i * 37) % 100);
	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.total, ==, 100);
	g_assert_cmpuint(t.samples, ==, 100);
	g_assert_cmpuint(t.p50_us, ==, 50);
	g_assert_cmpuint(t.p99_us, ==, 99);
	g_assert_cmpuint(t.max_us, ==, 100);

	/* one sample is its own p50, p99 and max */
	engine_apply_reset(ring);
	engine_apply_record(ring, 42);
	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.samples, ==, 1);
	g_assert_cmpuint(t.p50_us, ==, 42);
	g_assert_cmpuint(t.p99_us, ==, 42);
	g_assert_cmpuint(t.max_us, ==, 42);

	/* out of range values are clamped, not wrapped */
	engine_apply_record(ring, -5);
	engine_apply_record(ring, (gint64)G_MAXUINT32 + 10);
	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.max_us, ==, G_MAXUINT32);
	g_assert_cmpuint(ring->us[1], ==, 0);
}

static void test_wrap_and_reset(void)
{
	g_autofree EngineApplyRing *ring = g_new0(EngineApplyRing, 1);
	NfcApplyTimes t;

	/* a slow past ... */
	for (int i = 0; i < ENGINE_APPLY_SAMPLES; i++)
		engine_apply_record(ring, 1000);
	for (int i = 0; i < 10; i++)
		engine_apply_record(ring, 5);
	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.total, ==, ENGINE_APPLY_SAMPLES + 10);
	g_assert_cmpuint(t.samples, ==, ENGINE_APPLY_SAMPLES);
	g_assert_cmpuint(t.max_us, ==, 1000);
	g_assert_cmpuint(t.p50_us, ==, 1000);
	g_assert_cmpuint(ring->next, ==, 10);
	/* ... is forgotten once a whole ring of newer samples came in */
	for (int i = 0; i < ENGINE_APPLY_SAMPLES - 10; i++)
		engine_apply_record(ring, 7);
	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.max_us, ==, 7);
	g_assert_cmpuint(t.p50_us, ==, 7);
	g_assert_cmpuint(t.total, ==, 2 * ENGINE_APPLY_SAMPLES);

	engine_apply_reset(ring);
	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.total, ==, 0);
	g_assert_cmpuint(t.samples, ==, 0);
	engine_apply_record(ring, 3);
	engine_apply_summary(ring, &t);
	g_assert_cmpuint(t.total, ==, 1);
	g_assert_cmpuint(t.max_us, ==, 3);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/engine/apply-times/empty", test_empty);
	g_test_add_func("/engine/apply-times/percentiles", test_percentiles);
	g_test_add_func("/engine/apply-times/wrap-and-reset", test_wrap_and_reset);
	return g_test_run();
}
