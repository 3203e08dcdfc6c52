/* SPDX-License-Identifier: MIT */
/*
 * [oem.N]: one vendor command, (netFn, cmd, LUN[, IANA]), routed to a configured program
 * (daemon/oem-hook.c). Only the configured pairs are routed: everything else in the OEM netFns
 * keeps its 0xC1. The program is an absolute path and its arguments are fixed here: nothing
 * from the request ever becomes part of a command line (docs/actuators.md).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config-check.h"
#include "config-parse.h"
#include "macro.h"
#include "protocol/ipmi.h"

#define RESTART CONFIG_RELOAD_RESTART

/* IPMI v2.0 table 5-1: 2Eh/2Fh OEM/Group (the request begins with an IANA number), 30h..3Fh
 * controller-specific OEM/Group. Requests are the even values. */
int config_parse_oem_netfn(const struct config_key *k, const char *value, void *dest,
                           char *reason) {
        unsigned long v;

        if (config_parse_ranged(k, value, &v, reason) < 0)
                return -EINVAL;
        if (v & 1) {
                snprintf(reason, REASON_MAX, "netfn 0x%02lx is a response netFn; give the "
                         "request's (even) value", v);
                return -EINVAL;
        }
        *(uint8_t *) dest = (uint8_t) v;
        return 0;
}

/* Fixed arguments, or none; kept in a fixed-size field (compared with memcmp()). */
int config_parse_oem_args(const struct config_key *k, const char *value, void *dest,
                          char *reason) {
        char *args = dest;

        memset(args, 0, k->size);
        if (strcmp(value, "none") == 0)
                return 0;
        if (strlen(value) >= k->size) {
                snprintf(reason, REASON_MAX, "args: at most %zu characters", k->size - 1);
                return -EINVAL;
        }
        strcpy(args, value);
        return 0;
}

#define O(field) offsetof(struct oem_config, field), sizeof(((struct oem_config *) 0)->field)

const struct config_key config_oem_keys[] = {
        { "oem.0", "netfn", config_parse_oem_netfn, O(netfn), NULL, 0x2E, 0x3E,
          "request netFn, 0x2E (OEM/Group, with iana) or 0x30..0x3E "
          "(controller-specific OEM), even",
          RESTART },
        { "oem.0", "cmd", config_parse_u8, O(cmd), NULL, 0, 255,
          "command number",
          RESTART },
        { "oem.0", "lun", config_parse_u8, O(lun), "0", 0, 3,
          "responder LUN the command is addressed to",
          RESTART },
        { "oem.0", "iana", config_parse_int_or_none, O(iana), "none", 0, 0xFFFFFF,
          "netFn 0x2E: the IANA enterprise number the request begins with (3 bytes, least "
          "significant first), echoed at the start of the response; none for other netFns",
          RESTART },
        { "oem.0", "exec", config_parse_absolute_path, O(exec), NULL, 0, 0,
          "absolute path of the program run for each request, without a shell; "
          "request data on stdin as hex, response data from stdout as hex, exit status = "
          "completion code",
          RESTART },
        { "oem.0", "args", config_parse_oem_args, O(args), "none", 0, 0,
          "fixed arguments after the path, separated by blanks (no quoting, no expansion), or "
          "none",
          RESTART },
        { "oem.0", "timeout-ms", config_parse_u32, O(timeout_ms), "1000", 10, 60000,
          "the program is killed (with its process group) after this long and the request "
          "answered 0xC3 (timeout); keep it below what the requester waits in all",
          RESTART },
};

#undef O

const size_t config_oem_keys_n = ELEMENTSOF(config_oem_keys);
_Static_assert(ELEMENTSOF(config_oem_keys) <= CONFIG_OEM_KEYS_MAX,
               "raise CONFIG_OEM_KEYS_MAX in config-check.h");
