/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <strings.h>

#include "pmbus.h"

#define ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* PMBus 1.3 Part II Table 31: the commands a sensor reads, with their data format. */
static const struct pmbus_command commands[] = {
        { PMBUS_PAGE, "PAGE", PMBUS_FORMAT_BYTE },
        { PMBUS_VOUT_MODE, "VOUT_MODE", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_BYTE, "STATUS_BYTE", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_WORD, "STATUS_WORD", PMBUS_FORMAT_WORD },
        { PMBUS_STATUS_VOUT, "STATUS_VOUT", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_IOUT, "STATUS_IOUT", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_INPUT, "STATUS_INPUT", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_TEMPERATURE, "STATUS_TEMPERATURE", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_CML, "STATUS_CML", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_OTHER, "STATUS_OTHER", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_MFR_SPECIFIC, "STATUS_MFR_SPECIFIC", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_FANS_1_2, "STATUS_FANS_1_2", PMBUS_FORMAT_BYTE },
        { PMBUS_STATUS_FANS_3_4, "STATUS_FANS_3_4", PMBUS_FORMAT_BYTE },
        { PMBUS_READ_VIN, "READ_VIN", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_IIN, "READ_IIN", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_VCAP, "READ_VCAP", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_VOUT, "READ_VOUT", PMBUS_FORMAT_LINEAR16 },
        { PMBUS_READ_IOUT, "READ_IOUT", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_TEMPERATURE_1, "READ_TEMPERATURE_1", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_TEMPERATURE_2, "READ_TEMPERATURE_2", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_TEMPERATURE_3, "READ_TEMPERATURE_3", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_FAN_SPEED_1, "READ_FAN_SPEED_1", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_FAN_SPEED_2, "READ_FAN_SPEED_2", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_FAN_SPEED_3, "READ_FAN_SPEED_3", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_FAN_SPEED_4, "READ_FAN_SPEED_4", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_DUTY_CYCLE, "READ_DUTY_CYCLE", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_FREQUENCY, "READ_FREQUENCY", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_POUT, "READ_POUT", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_READ_PIN, "READ_PIN", PMBUS_FORMAT_LINEAR11 },
        { PMBUS_REVISION, "PMBUS_REVISION", PMBUS_FORMAT_BYTE },
};

/* PMBus 1.3 Part II 17.2: STATUS_WORD, low byte = STATUS_BYTE. */
static const char *const status_word_bits[16] = {
        "NONE_OF_THE_ABOVE", "CML", "TEMPERATURE", "VIN_UV", "IOUT_OC", "VOUT_OV", "OFF", "BUSY",
        "UNKNOWN", "OTHER", "FANS", "POWER_GOOD#", "MFR_SPECIFIC", "INPUT", "IOUT/POUT", "VOUT",
};

/* name against a specification name, case-insensitive, '-' matching '_'. */
static bool name_matches(const char *name, const char *spec) {
        for (; *name && *spec; name++, spec++) {
                char c = *name == '-' ? '_' : *name;

                if (c >= 'a' && c <= 'z')
                        c = (char) (c - 'a' + 'A');
                if (c != *spec)
                        return false;
        }
        return *name == *spec;
}

const struct pmbus_command *pmbus_command_by_name(const char *name) {
        for (size_t i = 0; i < ELEMENTS(commands); i++)
                if (name_matches(name, commands[i].name))
                        return &commands[i];
        return NULL;
}

const struct pmbus_command *pmbus_command_by_code(uint8_t code) {
        for (size_t i = 0; i < ELEMENTS(commands); i++)
                if (commands[i].code == code)
                        return &commands[i];
        return NULL;
}

bool pmbus_format_is_word(enum pmbus_format format) {
        return format != PMBUS_FORMAT_BYTE;
}

const char *pmbus_format_name(enum pmbus_format format) {
        switch (format) {
        case PMBUS_FORMAT_BYTE:
                return "byte";
        case PMBUS_FORMAT_WORD:
                return "word";
        case PMBUS_FORMAT_LINEAR11:
                return "linear11";
        case PMBUS_FORMAT_LINEAR16:
                return "linear16";
        case PMBUS_FORMAT_DIRECT:
                return "direct";
        default:
                return "?";
        }
}

/* The low bits of v as a two's complement number of that many bits. */
static int sign_extend(unsigned v, unsigned bits) {
        unsigned sign = 1u << (bits - 1);

        v &= (1u << bits) - 1;
        return (int) (v ^ sign) - (int) sign;
}

double pmbus_linear11_decode(uint16_t word) {
        int exponent = sign_extend(word >> 11, 5);
        int mantissa = sign_extend(word, 11);

        return ldexp(mantissa, exponent);
}

int pmbus_vout_mode_exponent(uint8_t vout_mode, int *exponent, unsigned *mode) {
        unsigned m = vout_mode >> 5;

        if (mode)
                *mode = m;
        if (m != PMBUS_VOUT_MODE_LINEAR)
                return -EOPNOTSUPP;
        *exponent = sign_extend(vout_mode, 5);
        return 0;
}

double pmbus_linear16_decode(uint16_t word, int exponent) {
        return ldexp(word, exponent);
}

int pmbus_direct_decode(uint16_t word, const struct pmbus_direct *c, double *value) {
        if (c->m == 0 || c->m < PMBUS_DIRECT_MB_MIN || c->m > PMBUS_DIRECT_MB_MAX ||
            c->b < PMBUS_DIRECT_MB_MIN || c->b > PMBUS_DIRECT_MB_MAX ||
            c->r < PMBUS_DIRECT_R_MIN || c->r > PMBUS_DIRECT_R_MAX)
                return -EINVAL;
        *value = (sign_extend(word, 16) * pow(10, -c->r) - c->b) / c->m;
        return 0;
}

uint8_t pmbus_crc8(uint8_t crc, const uint8_t *data, size_t len) {
        for (size_t i = 0; i < len; i++) {
                crc ^= data[i];
                for (unsigned bit = 0; bit < 8; bit++)
                        crc = (uint8_t) (crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
        }
        return crc;
}

uint8_t pmbus_pec(uint8_t addr7, uint8_t command, bool read, const uint8_t *data, size_t len) {
        uint8_t head[3] = { (uint8_t) (addr7 << 1), command, (uint8_t) (addr7 << 1 | 1) };

        return pmbus_crc8(pmbus_crc8(0, head, read ? 3 : 2), data, len);
}

const char *pmbus_status_word_bit_name(unsigned bit) {
        return bit < ELEMENTS(status_word_bits) ? status_word_bits[bit] : NULL;
}
