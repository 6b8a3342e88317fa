// SPDX-License-Identifier: GPL-2.0-or-later
/* How long session changes took to take effect, kept in rings of the last
 * ENGINE_APPLY_SAMPLES, summed up on demand (sorting a copy: the summary
 * is asked for rarely, a sample is recorded on every change). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void engine_apply_record(EngineApplyRing *ring, gint64 us)
{
	ring->us[ring->next] = (guint32)CLAMP(us, 0, G_MAXUINT32);
	ring->next = (ring->next + 1) % ENGINE_APPLY_SAMPLES;
	if (ring->n < ENGINE_APPLY_SAMPLES)
		ring->n++;
	ring->total++;
}

static int cmp_u32(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

void engine_apply_summary(const EngineApplyRing *ring, NfcApplyTimes *out)
{
	g_autofree guint32 *v = NULL;

	memset(out, 0, sizeof(*out));
	out->total = ring->total;
	out->samples = ring->n;
	if (!ring->n)
		return;
	v = g_memdup2(ring->us, ring->n * sizeof(guint32));
	qsort(v, ring->n, sizeof(guint32), cmp_u32);
	out->p50_us = v[(ring->n - 1) / 2];
	out->p99_us = v[(ring->n - 1) * 99 / 100];
	out->max_us = v[ring->n - 1];
}

void engine_apply_reset(EngineApplyRing *ring)
{
	memset(ring, 0, sizeof(*ring));
}
