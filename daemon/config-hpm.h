/* SPDX-License-Identifier: MIT */
/*
 * [hpm] and [hpm.component.0] .. [hpm.component.7]: the firmware components a shelf manager or
 * BMC may upgrade with PICMG HPM.1 (daemon/hpm*.c, docs/configuration.md). HPM.1 is off unless a
 * component is configured.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/hpm.h"

#define CONFIG_HPM_COMPONENTS HPM_COMPONENTS_MAX
#define CONFIG_HPM_REQUESTERS_MAX 16

enum hpm_activate_kind {
        HPM_ACTIVATE_RENAME,            /* the upload is renamed over path */
        HPM_ACTIVATE_SLOT,              /* the upload goes to the idle slot; the marker switches */
        HPM_ACTIVATE_COMMAND,           /* a configured program installs the upload */
};

/* A fixed struct (compared byte for byte by reload): the version, when set. */
struct hpm_config_version {
        bool set;
        struct hpm_version v;
};

struct hpm_requesters {
        uint8_t n;
        uint8_t address[CONFIG_HPM_REQUESTERS_MAX];     /* 8-bit IPMB addresses */
};

struct hpm_component_config {
        bool present;
        unsigned line;                  /* of the section's first key */
        char name[HPM_DESCRIPTION_LEN + 1];
        struct hpm_config_version version;
        char *version_file;             /* NULL = none; else read first, version the fallback */
        enum hpm_activate_kind activate;
        /* rename: the component file; slot: the marker naming the active slot ("a" or "b");
         * command: the destination given to the installer */
        char *path;
        char *slot_a, *slot_b;          /* slot: the two copies (files or block devices) */
        char *command;                  /* command: the installer, given the staged file */
        uint32_t command_timeout_ms;
        bool rollback;                  /* keep the previous version for Initiate Manual Rollback */
        bool cold_reset;                /* HPM.1: payload cold reset required after activation */
        uint32_t max_size;              /* bytes an upload may take */
};

struct hpm_config {
        bool present;                   /* an [hpm] section was in the file */
        unsigned line;
        bool enable;
        struct hpm_requesters requesters;
        bool local_trusted;             /* the local ipmitool socket may upgrade */
        uint32_t upgrade_timeout_s, self_test_timeout_s, rollback_timeout_s;
        uint32_t inaccessibility_timeout_s;
        struct hpm_component_config component[CONFIG_HPM_COMPONENTS];
};

/* Whether any component is configured and [hpm] enable is on. */
bool hpm_config_enabled(const struct hpm_config *h);

/* ---- inside the configuration module ---- */
struct config_key;
struct load_state;

/* A key of [hpm] or [hpm.component.N]: true when section is one of them (handled, errors
 * reported), false for any other section. */
bool config_hpm_key(struct load_state *s, const char *section, const char *name,
                    const char *value);
/* After parsing: the keys each activation kind needs, defaults of an absent [hpm]. */
void config_hpm_check(struct load_state *s);
void config_hpm_free(struct hpm_config *h);
