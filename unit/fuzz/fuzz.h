/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one entry point every fuzz target defines: libFuzzer's, so the same
 * file links against libFuzzer (-Dfuzz=enabled, clang) or against
 * driver.c, which replays a corpus in the normal test suite. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
