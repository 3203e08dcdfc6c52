/* SPDX-License-Identifier: MIT */
/*
 * satmc-mkhpm: build a PICMG HPM.1 upgrade image (.hpm) from component files, for
 * `ipmitool hpm upgrade` and python-ipmi; or check and describe one (--show).
 *
 * The layout is protocol/hpm-image.c's; this file reads files, computes the MD5 digest (GnuTLS)
 * and writes the image through a temporary file renamed into place, so a refused or failed run
 * never leaves a partial image under the output name. `satmc-mkhpm --help` and satmc-mkhpm(1)
 * document the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/hpm-image.h"

#define PROG "satmc-mkhpm"
/* Timeouts are bytes of 5-second units in the image. */
#define TIMEOUT_MAX_SECONDS (255 * 5)

struct component_arg {
        uint8_t id;
        const char *path;
        uint8_t version[HPM_IMAGE_VERSION_LEN];
        char description[HPM_IMAGE_DESC_LEN + 1];
        uint8_t *data;
        size_t len;
};

struct options {
        const char *output;
        const char *show;
        bool have_device, have_manufacturer, have_product, have_revision, have_components;
        struct hpm_image img;
        struct hpm_target target;
        uint8_t backup, prepare;
        struct component_arg comps[HPM_IMAGE_COMPONENTS];
        size_t n_comps;
        uint8_t oem[1024];
};

static void usage(FILE *f) {
        fputs("Usage:\n"
              "  " PROG " -o IMAGE --device-id ID --manufacturer ID --product ID\n"
              "              -c N:FILE:VERSION[:DESCRIPTION]... [OPTION]...\n"
              "  " PROG " --show IMAGE [--device-id ID --manufacturer ID --product ID\n"
              "              [--revision REV] [--components LIST]]\n"
              "\n"
              "Builds a PICMG HPM.1 upgrade image for `ipmitool hpm upgrade IMAGE` (or checks one).\n"
              "\n"
              "  -o, --output IMAGE            write the image here (replaced only when complete)\n"
              "  -c, --component N:FILE:VERSION[:DESCRIPTION]\n"
              "                                component N (0-7) is FILE's bytes, at VERSION\n"
              "                                (MAJOR.MINOR[.AUX]: MAJOR 0-127, MINOR two digits,\n"
              "                                AUX 8 hex digits), described by up to 20 characters\n"
              "                                (default: FILE's name); once per component\n"
              "      --device-id ID            target's Get Device ID device ID (0-255)\n"
              "      --manufacturer ID         target's IANA manufacturer ID (0-0xFFFFF)\n"
              "      --product ID              target's product ID (0-0xFFFF)\n"
              "      --earliest REV            oldest target firmware (Get Device ID's revision,\n"
              "                                MAJOR.MINOR) the image may upgrade (default 0.00)\n"
              "      --revision REV            the image's firmware revision (default: the\n"
              "                                version of the lowest component)\n"
              "      --backup LIST|all         a Backup Components action first, for LIST\n"
              "                                (comma-separated component numbers)\n"
              "      --prepare LIST|all        a Prepare Components action before the uploads\n"
              "      --self-test-timeout SEC   how long the target's self-test may take\n"
              "      --rollback-timeout SEC    how long a rollback may take\n"
              "      --inaccessibility-timeout SEC\n"
              "                                how long the target may not answer on activation\n"
              "                                (timeouts: 0-1275, rounded up to 5 s; default 0:\n"
              "                                the target's own)\n"
              "      --self-test, --auto-rollback, --manual-rollback, --service-affected\n"
              "                                image capabilities (--service-affected makes\n"
              "                                ipmitool ask the operator before it upgrades)\n"
              "      --oem-data HEX            OEM data bytes in the header (up to 1024)\n"
              "      --time SECONDS            creation time (default $SOURCE_DATE_EPOCH or now)\n"
              "      --show IMAGE              validate IMAGE and describe it; with the target's\n"
              "                                identity, also make ipmitool's checks against it\n"
              "      --components LIST         (--show) the components the target has\n"
              "  -h, --help                    this text\n"
              "\n"
              "Exit status: 0 on success, 1 when the input or the image is refused, 2 on usage.\n",
              f);
}

static int parse_uint(const char *what, const char *s, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 0);
        if (errno || end == s || *end || *s == '-' || v > max) {
                fprintf(stderr, PROG ": %s \"%s\" is not a number from 0 to %lu (0x%lX)\n",
                        what, s, max, max);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int parse_timeout(const char *what, const char *s, uint8_t *ret) {
        unsigned long v;

        if (parse_uint(what, s, TIMEOUT_MAX_SECONDS, &v) < 0)
                return -EINVAL;
        *ret = (uint8_t) ((v + 4) / 5);
        return 0;
}

static int parse_mask(const char *what, const char *s, uint8_t *ret) {
        uint8_t mask = 0;
        const char *p = s;

        if (strcmp(s, "all") == 0) {
                *ret = 0xFF;
                return 0;
        }
        for (;;) {
                if (*p < '0' || *p > '7' || (p[1] != ',' && p[1] != '\0')) {
                        fprintf(stderr, PROG ": %s \"%s\" is not \"all\" or a list of component "
                                "numbers 0-7 separated by commas\n", what, s);
                        return -EINVAL;
                }
                mask |= (uint8_t) (1u << (*p - '0'));
                if (p[1] == '\0')
                        break;
                p += 2;
        }
        *ret = mask;
        return 0;
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, uint16_t *len) {
        size_t n = strlen(s);

        if (n % 2 || n / 2 > cap) {
                fprintf(stderr, PROG ": --oem-data wants an even number of hex digits, at most "
                        "%zu bytes\n", cap);
                return -EINVAL;
        }
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;

                if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
                    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]) || !s[2 * i + 1]) {
                        fprintf(stderr, PROG ": --oem-data \"%s\" is not hex\n", s);
                        return -EINVAL;
                }
                out[i] = (uint8_t) v;
        }
        *len = (uint16_t) (n / 2);
        return 0;
}

static bool printable(const char *s) {
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7E)
                        return false;
        return true;
}

/* N:FILE:VERSION[:DESCRIPTION]; FILE may hold colons only if DESCRIPTION is given. */
static int parse_component(const char *arg, struct options *o) {
        struct component_arg *c;
        char *copy, *version, *desc = NULL, *path, *p;
        const char *base;
        int r = -EINVAL;

        if (o->n_comps == HPM_IMAGE_COMPONENTS) {
                fprintf(stderr, PROG ": at most %d components\n", HPM_IMAGE_COMPONENTS);
                return -EINVAL;
        }
        c = &o->comps[o->n_comps];
        copy = strdup(arg);
        if (!copy)
                return -ENOMEM;
        if (copy[0] < '0' || copy[0] > '7' || copy[1] != ':') {
                fprintf(stderr, PROG ": component \"%s\": wants N:FILE:VERSION[:DESCRIPTION] "
                        "with N from 0 to 7\n", arg);
                goto out;
        }
        c->id = (uint8_t) (copy[0] - '0');
        path = copy + 2;
        /* VERSION has no colon; DESCRIPTION may not either. Split from the right: with four
         * fields the last is DESCRIPTION when what precedes it is a valid version. */
        p = strrchr(path, ':');
        if (!p) {
                fprintf(stderr, PROG ": component \"%s\": no VERSION\n", arg);
                goto out;
        }
        *p = '\0';
        version = p + 1;
        if (hpm_version_from_string(version, c->version) < 0) {
                char *q = strrchr(path, ':');

                if (!q || hpm_version_from_string(q + 1, c->version) < 0) {
                        fprintf(stderr, PROG ": component %u: \"%s\" is not a version "
                                "(MAJOR.MINOR[.AUX]: e.g. 1.05 or 2.10.0000002A)\n", c->id, version);
                        goto out;
                }
                *q = '\0';
                desc = version;
        }
        for (size_t i = 0; i < o->n_comps; i++)
                if (o->comps[i].id == c->id) {
                        fprintf(stderr, PROG ": component %u given twice\n", c->id);
                        goto out;
                }
        if (!*path) {
                fprintf(stderr, PROG ": component %u: no FILE\n", c->id);
                goto out;
        }
        base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        if (!desc)
                desc = (char *) base;
        if (strlen(desc) > HPM_IMAGE_DESC_LEN - 1 || !printable(desc) || !*desc) {
                fprintf(stderr, PROG ": component %u: description \"%s\" must be 1 to %d printable "
                        "ASCII characters%s\n", c->id, desc, HPM_IMAGE_DESC_LEN - 1,
                        desc == base ? " (it defaults to the file's name: give one)" : "");
                goto out;
        }
        snprintf(c->description, sizeof(c->description), "%s", desc);
        c->path = strdup(path);
        if (!c->path) {
                r = -ENOMEM;
                goto out;
        }
        o->n_comps++;
        r = 0;
out:
        free(copy);
        return r;
}

static int read_file(const char *path, uint8_t **ret, size_t *len) {
        struct stat st;
        uint8_t *buf;
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                fprintf(stderr, PROG ": cannot open %s: %s\n", path, strerror(errno));
                return -errno;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                fprintf(stderr, PROG ": %s is not a regular file\n", path);
                close(fd);
                return -EINVAL;
        }
        if ((uint64_t) st.st_size > UINT32_MAX) {
                fprintf(stderr, PROG ": %s is larger than an HPM.1 component can be (4 GiB - 1)\n", path);
                close(fd);
                return -E2BIG;
        }
        buf = malloc(st.st_size ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t) st.st_size - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, PROG ": reading %s: %s\n", path, n < 0 ? strerror(errno) :
                                "file shrank while read");
                        free(buf);
                        close(fd);
                        return n < 0 ? -errno : -EIO;
                }
                got += (size_t) n;
        }
        close(fd);
        *ret = buf;
        *len = got;
        return 0;
}

static int md5(const uint8_t *buf, size_t len, uint8_t out[HPM_IMAGE_MD5_LEN]) {
        int r = gnutls_hash_fast(GNUTLS_DIG_MD5, buf, len, out);

        if (r < 0) {
                fprintf(stderr, PROG ": MD5 digest: %s\n", gnutls_strerror(r));
                return -EIO;
        }
        return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t len) {
        while (len) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Into a temporary file beside path, then renamed over it. */
static int write_image(const char *path, const uint8_t *buf, size_t len) {
        size_t n = strlen(path);
        char *tmp = malloc(n + sizeof(".XXXXXX"));
        int fd, r;

        if (!tmp)
                return -ENOMEM;
        memcpy(tmp, path, n);
        memcpy(tmp + n, ".XXXXXX", sizeof(".XXXXXX"));
        fd = mkstemp(tmp);
        if (fd < 0) {
                r = -errno;
                fprintf(stderr, PROG ": cannot create a file beside %s: %s\n", path, strerror(errno));
                free(tmp);
                return r;
        }
        r = write_all(fd, buf, len);
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                fprintf(stderr, PROG ": writing %s: %s\n", path, strerror(-r));
                (void) unlink(tmp);
        }
        free(tmp);
        return r;
}

static const char *action_name(uint8_t type) {
        switch (type) {
        case HPM_ACTION_BACKUP:
                return "backup";
        case HPM_ACTION_PREPARE:
                return "prepare";
        default:
                return "upload";
        }
}

static void print_mask(uint8_t mask) {
        const char *sep = "";

        for (unsigned i = 0; i < 8; i++)
                if (mask & (1u << i)) {
                        printf("%s%u", sep, i);
                        sep = ",";
                }
}

static void describe(const char *path, const struct hpm_image *img, size_t len) {
        char v[32];
        time_t t = (time_t) img->time;
        struct tm tm;
        char when[32] = "?";

        if (gmtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        printf("%s: HPM.1 upgrade image, %zu bytes, MD5 correct\n", path, len);
        printf("  device ID 0x%02X, manufacturer 0x%06X, product 0x%04X\n", img->device_id,
               img->manufacturer_id, img->product_id);
        printf("  created %s\n", when);
        printf("  components ");
        print_mask(img->components);
        printf("\n  capabilities 0x%02X%s%s%s%s\n", img->capabilities,
               img->capabilities & HPM_IMAGE_CAP_SELF_TEST ? " self-test" : "",
               img->capabilities & HPM_IMAGE_CAP_AUTO_ROLLBACK ? " auto-rollback" : "",
               img->capabilities & HPM_IMAGE_CAP_MANUAL_ROLLBACK ? " manual-rollback" : "",
               img->capabilities & HPM_IMAGE_CAP_SERVICE_AFFECTED ? " service-affected" : "");
        printf("  timeouts: self-test %u s, rollback %u s, inaccessibility %u s\n",
               img->selftest_timeout * 5u, img->rollback_timeout * 5u, img->inaccess_timeout * 5u);
        hpm_version_to_string(img->firmware_revision, v, sizeof(v));
        printf("  earliest compatible revision %u.%02x, firmware revision %s\n",
               img->earliest_compatible[0], img->earliest_compatible[1], v);
        printf("  OEM data %u bytes\n", img->oem_len);
        for (size_t i = 0; i < img->n_actions; i++) {
                const struct hpm_action *a = &img->actions[i];

                printf("  action %zu: %s ", i, action_name(a->type));
                print_mask(a->components);
                if (a->type == HPM_ACTION_UPLOAD) {
                        hpm_version_to_string(a->version, v, sizeof(v));
                        printf(" \"%s\" version %s, %u bytes", a->description, v, a->length);
                }
                printf("\n");
        }
}

static int show(struct options *o) {
        struct hpm_image img;
        uint8_t digest[HPM_IMAGE_MD5_LEN];
        uint8_t *buf;
        size_t len, where = 0;
        int r;

        r = read_file(o->show, &buf, &len);
        if (r < 0)
                return r;
        if (len >= HPM_IMAGE_MIN_LEN && md5(buf, hpm_image_digest_len(len), digest) < 0) {
                free(buf);
                return -EIO;
        }
        r = hpm_image_parse(buf, len, digest, &img, &where);
        if (r != HPM_IMAGE_OK) {
                fprintf(stderr, PROG ": %s: %s (byte %zu)\n", o->show, hpm_image_error_to_string(r), where);
                free(buf);
                return -EINVAL;
        }
        describe(o->show, &img, len);
        if (o->have_device || o->have_manufacturer || o->have_product) {
                uint8_t comp = 0;

                if (!o->have_device || !o->have_manufacturer || !o->have_product) {
                        fprintf(stderr, PROG ": checking against a target needs --device-id, "
                                "--manufacturer and --product\n");
                        free(buf);
                        return -EINVAL;
                }
                o->target.device_id = o->img.device_id;
                o->target.manufacturer_id = o->img.manufacturer_id;
                o->target.product_id = o->img.product_id;
                o->target.fw_major = o->have_revision ? o->img.firmware_revision[0] : 0x7F;
                o->target.fw_minor = o->have_revision ? o->img.firmware_revision[1] : 0x99;
                o->target.components = o->have_components ? o->target.components : 0xFF;
                r = hpm_image_check_target(&img, &o->target, &comp);
                if (r != HPM_IMAGE_OK) {
                        if (r == HPM_IMAGE_UNKNOWN_COMPONENT)
                                fprintf(stderr, PROG ": %s: component %u: %s\n", o->show, comp,
                                        hpm_image_error_to_string(r));
                        else
                                fprintf(stderr, PROG ": %s: %s\n", o->show, hpm_image_error_to_string(r));
                        free(buf);
                        return -EINVAL;
                }
                printf("  matches the target\n");
        }
        free(buf);
        return 0;
}

static int build(struct options *o) {
        struct hpm_image *img = &o->img;
        uint8_t lowest = 8, mask = 0;
        uint8_t *buf = NULL;
        ssize_t len;
        int r;

        if (!o->have_device || !o->have_manufacturer || !o->have_product) {
                fprintf(stderr, PROG ": --device-id, --manufacturer and --product are required: "
                        "the target's Get Device ID answer (ipmitool mc info)\n");
                return -EINVAL;
        }
        if (o->n_comps == 0) {
                fprintf(stderr, PROG ": no components (-c N:FILE:VERSION)\n");
                return -EINVAL;
        }
        for (size_t i = 0; i < o->n_comps; i++) {
                mask |= (uint8_t) (1u << o->comps[i].id);
                if (o->comps[i].id < lowest)
                        lowest = o->comps[i].id;
        }
        if (o->backup == 0xFF)
                o->backup = mask;
        if (o->prepare == 0xFF)
                o->prepare = mask;
        if ((o->backup | o->prepare) & ~mask) {
                fprintf(stderr, PROG ": --backup/--prepare name a component with no -c\n");
                return -EINVAL;
        }
        img->components = mask;
        img->n_actions = 0;
        if (o->backup)
                img->actions[img->n_actions++] = (struct hpm_action) {
                        .type = HPM_ACTION_BACKUP, .components = o->backup };
        if (o->prepare)
                img->actions[img->n_actions++] = (struct hpm_action) {
                        .type = HPM_ACTION_PREPARE, .components = o->prepare };
        /* Uploads in component order: ipmitool uploads them in image order. */
        for (uint8_t id = 0; id < HPM_IMAGE_COMPONENTS; id++)
                for (size_t i = 0; i < o->n_comps; i++) {
                        struct component_arg *c = &o->comps[i];
                        struct hpm_action *a;

                        if (c->id != id)
                                continue;
                        r = read_file(c->path, &c->data, &c->len);
                        if (r < 0)
                                return r;
                        if (c->len == 0) {
                                fprintf(stderr, PROG ": component %u: %s is empty\n", id, c->path);
                                return -EINVAL;
                        }
                        a = &img->actions[img->n_actions++];
                        *a = (struct hpm_action) { .type = HPM_ACTION_UPLOAD,
                                                   .components = (uint8_t) (1u << id),
                                                   .length = (uint32_t) c->len, .data = c->data };
                        memcpy(a->version, c->version, sizeof(a->version));
                        memcpy(a->description, c->description, sizeof(a->description));
                        if (!o->have_revision && id == lowest)
                                memcpy(img->firmware_revision, c->version, HPM_IMAGE_VERSION_LEN);
                }
        len = hpm_image_encoded_len(img);
        if (len < 0) {
                fprintf(stderr, PROG ": the image would be %s\n", len == -E2BIG ? "too large" : "invalid");
                return (int) len;
        }
        buf = malloc((size_t) len);
        if (!buf) {
                fprintf(stderr, PROG ": out of memory for a %zd-byte image\n", len);
                return -ENOMEM;
        }
        r = (int) hpm_image_encode(img, buf, (size_t) len);
        if (r >= 0)
                r = md5(buf, hpm_image_digest_len((size_t) len), buf + len - HPM_IMAGE_MD5_LEN);
        /* What ipmitool and python-ipmi will read: parse our own output before writing it. */
        if (r >= 0 && hpm_image_parse(buf, (size_t) len, buf + len - HPM_IMAGE_MD5_LEN, NULL, NULL) != HPM_IMAGE_OK) {
                fprintf(stderr, PROG ": internal error: the encoded image does not validate\n");
                r = -EIO;
        }
        if (r >= 0)
                r = write_image(o->output, buf, (size_t) len);
        free(buf);
        return r < 0 ? r : 0;
}

enum {
        OPT_DEVICE = 0x100, OPT_MANUFACTURER, OPT_PRODUCT, OPT_EARLIEST, OPT_REVISION, OPT_BACKUP,
        OPT_PREPARE, OPT_SELFTEST_TIMEOUT, OPT_ROLLBACK_TIMEOUT, OPT_INACCESS_TIMEOUT,
        OPT_SELF_TEST, OPT_AUTO_ROLLBACK, OPT_MANUAL_ROLLBACK, OPT_SERVICE_AFFECTED, OPT_OEM,
        OPT_TIME, OPT_SHOW, OPT_COMPONENTS,
};

static int parse_args(int argc, char **argv, struct options *o) {
        static const struct option longopts[] = {
                { "output", required_argument, NULL, 'o' },
                { "component", required_argument, NULL, 'c' },
                { "device-id", required_argument, NULL, OPT_DEVICE },
                { "manufacturer", required_argument, NULL, OPT_MANUFACTURER },
                { "product", required_argument, NULL, OPT_PRODUCT },
                { "earliest", required_argument, NULL, OPT_EARLIEST },
                { "revision", required_argument, NULL, OPT_REVISION },
                { "backup", required_argument, NULL, OPT_BACKUP },
                { "prepare", required_argument, NULL, OPT_PREPARE },
                { "self-test-timeout", required_argument, NULL, OPT_SELFTEST_TIMEOUT },
                { "rollback-timeout", required_argument, NULL, OPT_ROLLBACK_TIMEOUT },
                { "inaccessibility-timeout", required_argument, NULL, OPT_INACCESS_TIMEOUT },
                { "self-test", no_argument, NULL, OPT_SELF_TEST },
                { "auto-rollback", no_argument, NULL, OPT_AUTO_ROLLBACK },
                { "manual-rollback", no_argument, NULL, OPT_MANUAL_ROLLBACK },
                { "service-affected", no_argument, NULL, OPT_SERVICE_AFFECTED },
                { "oem-data", required_argument, NULL, OPT_OEM },
                { "time", required_argument, NULL, OPT_TIME },
                { "show", required_argument, NULL, OPT_SHOW },
                { "components", required_argument, NULL, OPT_COMPONENTS },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        const char *epoch = getenv("SOURCE_DATE_EPOCH");
        unsigned long v;
        uint8_t rev[HPM_IMAGE_VERSION_LEN];
        int c;

        o->img.time = (uint32_t) time(NULL);
        if (epoch && *epoch) {
                if (parse_uint("SOURCE_DATE_EPOCH", epoch, UINT32_MAX, &v) < 0)
                        return -EINVAL;
                o->img.time = (uint32_t) v;
        }
        while ((c = getopt_long(argc, argv, "o:c:h", longopts, NULL)) >= 0) {
                int r = 0;

                switch (c) {
                case 'o':
                        o->output = optarg;
                        break;
                case 'c':
                        r = parse_component(optarg, o);
                        break;
                case OPT_DEVICE:
                        r = parse_uint("--device-id", optarg, 0xFF, &v);
                        o->img.device_id = (uint8_t) v;
                        o->have_device = true;
                        break;
                case OPT_MANUFACTURER:
                        r = parse_uint("--manufacturer", optarg, 0xFFFFF, &v);
                        o->img.manufacturer_id = (uint32_t) v;
                        o->have_manufacturer = true;
                        break;
                case OPT_PRODUCT:
                        r = parse_uint("--product", optarg, 0xFFFF, &v);
                        o->img.product_id = (uint16_t) v;
                        o->have_product = true;
                        break;
                case OPT_EARLIEST:
                case OPT_REVISION:
                        r = hpm_version_from_string(optarg, rev);
                        if (r < 0) {
                                fprintf(stderr, PROG ": %s \"%s\" is not a revision (MAJOR.MINOR%s)\n",
                                        c == OPT_EARLIEST ? "--earliest" : "--revision", optarg,
                                        c == OPT_EARLIEST ? "" : "[.AUX]");
                                break;
                        }
                        if (c == OPT_EARLIEST) {
                                if (rev[2] | rev[3] | rev[4] | rev[5]) {
                                        fprintf(stderr, PROG ": --earliest takes MAJOR.MINOR only\n");
                                        r = -EINVAL;
                                }
                                memcpy(o->img.earliest_compatible, rev, 2);
                        } else {
                                memcpy(o->img.firmware_revision, rev, sizeof(rev));
                                o->have_revision = true;
                        }
                        break;
                case OPT_BACKUP:
                        r = parse_mask("--backup", optarg, &o->backup);
                        break;
                case OPT_PREPARE:
                        r = parse_mask("--prepare", optarg, &o->prepare);
                        break;
                case OPT_SELFTEST_TIMEOUT:
                        r = parse_timeout("--self-test-timeout", optarg, &o->img.selftest_timeout);
                        break;
                case OPT_ROLLBACK_TIMEOUT:
                        r = parse_timeout("--rollback-timeout", optarg, &o->img.rollback_timeout);
                        break;
                case OPT_INACCESS_TIMEOUT:
                        r = parse_timeout("--inaccessibility-timeout", optarg, &o->img.inaccess_timeout);
                        break;
                case OPT_SELF_TEST:
                        o->img.capabilities |= HPM_IMAGE_CAP_SELF_TEST;
                        break;
                case OPT_AUTO_ROLLBACK:
                        o->img.capabilities |= HPM_IMAGE_CAP_AUTO_ROLLBACK;
                        break;
                case OPT_MANUAL_ROLLBACK:
                        o->img.capabilities |= HPM_IMAGE_CAP_MANUAL_ROLLBACK;
                        break;
                case OPT_SERVICE_AFFECTED:
                        o->img.capabilities |= HPM_IMAGE_CAP_SERVICE_AFFECTED;
                        break;
                case OPT_OEM:
                        r = parse_hex(optarg, o->oem, sizeof(o->oem), &o->img.oem_len);
                        o->img.oem_data = o->oem;
                        break;
                case OPT_TIME:
                        r = parse_uint("--time", optarg, UINT32_MAX, &v);
                        o->img.time = (uint32_t) v;
                        break;
                case OPT_SHOW:
                        o->show = optarg;
                        break;
                case OPT_COMPONENTS:
                        r = parse_mask("--components", optarg, &o->target.components);
                        o->have_components = true;
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_SUCCESS);
                default:
                        usage(stderr);
                        exit(2);
                }
                if (r < 0)
                        return r;
        }
        if (optind < argc) {
                fprintf(stderr, PROG ": unexpected argument \"%s\"\n", argv[optind]);
                usage(stderr);
                exit(2);
        }
        if (!o->show == !o->output) {
                fprintf(stderr, PROG ": give either -o IMAGE (build) or --show IMAGE\n");
                usage(stderr);
                exit(2);
        }
        return 0;
}

int main(int argc, char **argv) {
        static struct options o;
        int r = parse_args(argc, argv, &o);

        if (r == 0)
                r = o.show ? show(&o) : build(&o);
        for (size_t i = 0; i < o.n_comps; i++) {
                free(o.comps[i].data);
                free((char *) o.comps[i].path);
        }
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
