/* SPDX-License-Identifier: MIT */
#pragma once
/* Placeholder: being written. */
