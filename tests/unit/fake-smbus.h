/* SPDX-License-Identifier: MIT */
/*
 * A fake SMBus device behind daemon/i2c-smbus.h's seam, for the unit tests of what reads
 * through it (Master Write-Read's SMBus helper, SMBus sensor sources): it answers `answer` and
 * records what it was asked. Pass &fake_smbus_ops with &fake as its userdata.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon/i2c-smbus.h"

struct fake_smbus {
        int32_t answer;                 /* value or -errno */
        unsigned bus;
        uint8_t addr7, reg;
        bool word;
        unsigned calls;
};

static inline int32_t fake_smbus_read(void *userdata, unsigned bus, uint8_t addr7, uint8_t reg,
                                      bool word) {
        struct fake_smbus *f = userdata;

        f->calls++;
        f->bus = bus;
        f->addr7 = addr7;
        f->reg = reg;
        f->word = word;
        return f->answer;
}

static const struct smbus_ops fake_smbus_ops = { .read = fake_smbus_read };
