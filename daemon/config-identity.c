/* SPDX-License-Identifier: MIT */
/*
 * [identity]: the Get Device ID fields that are not plain numbers, and the GUID text form
 * (guid.h) that the guid key and satmcd's messages use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-parse.h"
#include "guid.h"
#include "macro.h"

/* "MAJOR.MM": major 0..127 (7 bits), minor exactly two decimal digits, sent as BCD. */
int config_parse_firmware_version(const struct config_key *k, const char *value, void *dest,
                                  char *reason) {
        /* The row's destination is fw_major, followed by fw_minor. */
        struct satmc_identity *id = (void *) ((uint8_t *) dest -
                                              offsetof(struct satmc_identity, fw_major));
        const char *dot = strchr(value, '.');
        unsigned long major;
        char buf[8];

        if (!dot || (size_t) (dot - value) >= sizeof(buf) || strlen(dot + 1) != 2 ||
            dot[1] < '0' || dot[1] > '9' || dot[2] < '0' || dot[2] > '9')
                goto bad;
        memcpy(buf, value, (size_t) (dot - value));
        buf[dot - value] = '\0';
        if (config_parse_number(buf, &major) < 0 || major > 127)
                goto bad;
        id->fw_major = (uint8_t) major;
        id->fw_minor = (uint8_t) ((dot[1] - '0') * 10 + (dot[2] - '0'));
        return 0;
bad:
        snprintf(reason, REASON_MAX, "firmware-version \"%s\" must be MAJOR.MM (major 0..127, two "
                 "minor digits, e.g. 1.05)", value);
        return -EINVAL;
}

int config_parse_ipmi_version(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        /* Get Device ID byte 5: BCD, major in the low nibble, minor in the high nibble. */
        if (strcmp(value, "1.0") == 0)
                *(uint8_t *) dest = 0x01;
        else if (strcmp(value, "1.5") == 0)
                *(uint8_t *) dest = 0x51;
        else if (strcmp(value, "2.0") == 0)
                *(uint8_t *) dest = 0x02;
        else {
                snprintf(reason, REASON_MAX, "ipmi-version \"%s\" must be 1.0, 1.5 or 2.0", value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_guid(const struct config_key *k, const char *value, void *dest, char *reason) {
        if (guid_from_string(value, dest) < 0) {
                snprintf(reason, REASON_MAX, "guid \"%s\" must look like "
                         "01234567-89ab-cdef-0123-456789abcdef", value);
                return -EINVAL;
        }
        return 0;
}

static const char *const device_support_names[8] = {
        "sensor", "sdr-repository", "sel", "fru-inventory",
        "event-receiver", "event-generator", "bridge", "chassis",
};

/* A list of capability names separated by spaces or commas; "none" or empty for no bits. */
int config_parse_device_support(const struct config_key *k, const char *value, void *dest,
                                char *reason) {
        _cleanup_(freep) char *copy = strdup(value);
        uint8_t bits = 0;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save)) {
                size_t i;

                if (strcmp(w, "none") == 0)
                        continue;
                for (i = 0; i < ELEMENTSOF(device_support_names); i++)
                        if (strcmp(w, device_support_names[i]) == 0)
                                break;
                if (i == ELEMENTSOF(device_support_names)) {
                        snprintf(reason, REASON_MAX, "unknown device-support \"%s\" (sensor, "
                                 "sdr-repository, sel, fru-inventory, event-receiver, "
                                 "event-generator, bridge, chassis)", w);
                        return -EINVAL;
                }
                bits |= (uint8_t) (1u << i);
        }
        *(uint8_t *) dest = bits;
        return 0;
}

/* 0xAABBCCDD, sent as four bytes in that order (Get Device ID bytes 12..15); "none" omits them. */
int config_parse_aux_firmware(const struct config_key *k, const char *value, void *dest,
                              char *reason) {
        /* The row's destination is has_aux_fw_rev, followed by aux_fw_rev. */
        struct satmc_identity *id = (void *) ((uint8_t *) dest -
                                              offsetof(struct satmc_identity, has_aux_fw_rev));
        unsigned long v;

        if (strcmp(value, "none") == 0) {
                id->has_aux_fw_rev = false;
                return 0;
        }
        if (config_parse_number(value, &v) < 0 || v > 0xFFFFFFFFul) {
                snprintf(reason, REASON_MAX, "aux-firmware-revision \"%s\" must be a 32-bit number "
                         "such as 0x01020304, or none", value);
                return -EINVAL;
        }
        id->has_aux_fw_rev = true;
        id->aux_fw_rev[0] = (uint8_t) (v >> 24);
        id->aux_fw_rev[1] = (uint8_t) (v >> 16);
        id->aux_fw_rev[2] = (uint8_t) (v >> 8);
        id->aux_fw_rev[3] = (uint8_t) v;
        return 0;
}


/*
 * The text form is the usual 8-4-4-4-12; IPMI sends the 16 bytes least significant first
 * (IPMI v2.0 section 20.8 with the SMBIOS byte order), i.e. the text's bytes reversed.
 */
int guid_from_string(const char *s, uint8_t wire[16]) {
        static const int dash_at[] = { 8, 13, 18, 23 };
        uint8_t bytes[16];
        size_t n = 0, d = 0;

        if (strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36;) {
                if (d < ELEMENTSOF(dash_at) && (int) i == dash_at[d]) {
                        if (s[i] != '-')
                                return -EINVAL;
                        d++;
                        i++;
                        continue;
                }
                int hi = config_parse_hex_digit(s[i]), lo = config_parse_hex_digit(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                bytes[n++] = (uint8_t) (hi << 4 | lo);
                i += 2;
        }
        for (size_t i = 0; i < 16; i++)
                wire[i] = bytes[15 - i];
        return 0;
}

void guid_to_string(const uint8_t wire[16], char buf[37]) {
        uint8_t b[16];

        for (size_t i = 0; i < 16; i++)
                b[i] = wire[15 - i];
        snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}
