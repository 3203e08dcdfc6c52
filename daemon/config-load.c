/* SPDX-License-Identifier: MIT */
/*
 * Loading: libinih splits the file; a line counting reader around it gives every error its
 * line number, because Debian's libinih is built without INI_HANDLER_LINENO. Every key goes
 * through its row in the key tables; what no single key can see is checked after (config-check.c).
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config-check.h"
#include "config-parse.h"
#include "config-sensor-source.h"
#include "macro.h"

void config_report(struct load_state *s, unsigned line, const char *fmt, ...) {
        va_list ap;

        if (line > 0)
                fprintf(s->err, "%s:%u: ", s->name, line);
        else
                fprintf(s->err, "%s: ", s->name);
        va_start(ap, fmt);
        vfprintf(s->err, fmt, ap);
        va_end(ap);
        fputc('\n', s->err);
        s->n_errors++;
}

const struct config_key *config_find_key(const char *section, const char *name, size_t *index) {
        for (size_t i = 0; i < config_keys_n; i++)
                if (strcmp(config_keys[i].section, section) == 0 &&
                    strcmp(config_keys[i].name, name) == 0) {
                        *index = i;
                        return &config_keys[i];
                }
        return NULL;
}

/*
 * Debian's libinih is built with INI_INLINE_COMMENT_PREFIXES ";" (ini.h): ';' after a space
 * starts a comment and inih has cut it off already, but '#' does so only at the start of a line,
 * and "path # note" would silently become the path "path # note". A '#' after a space in a value
 * is therefore an error. The key counts as set, so that no "required" error follows.
 */
static bool report_inline_hash(struct load_state *s, const char *name, const char *value) {
        if (!strstr(value, " #") && !strstr(value, "\t#"))
                return false;
        config_report(s, s->line, "'#' after a space in the value of %s: a comment is a line of "
                      "its own starting with '#' or ';', or follows a value after \" ;\"", name);
        return true;
}

/* "unknown key" with the closest key of the section as a hint, if one is close. */
static void report_unknown_key(struct load_state *s, const struct config_key *keys, size_t n_keys,
                               const char *table_section, const char *section, const char *name) {
        const char *hint = config_suggest_key(keys, n_keys, table_section, name);

        if (hint)
                config_report(s, s->line, "unknown key \"%s\" in [%s] (did you mean \"%s\"?)",
                              name, section, hint);
        else
                config_report(s, s->line, "unknown key \"%s\" in [%s]", name, section);
}

/* An unknown section is one error, at its header, not one per key in it. The range of a
 * numbered section is named when the name has the prefix of one (last = -1: no range). */
static void report_unknown_section(struct load_state *s, const char *section, const char *prefix,
                                   const char *what, int last) {
        if (s->unknown_section_line == s->section_line)
                return;
        s->unknown_section_line = s->section_line;
        if (last < 0)
                config_report(s, s->section_line, "unknown section [%s]", section);
        else
                config_report(s, s->section_line, "unknown section [%s] (%s are [%s.0] to [%s.%d])",
                              section, what, prefix, prefix, last);
}

void config_report_unknown_section_text(struct load_state *s, const char *section,
                                        const char *what) {
        if (s->unknown_section_line == s->section_line)
                return;
        s->unknown_section_line = s->section_line;
        config_report(s, s->section_line, "unknown section [%s] (%s)", section, what);
}

static bool section_known(const char *section) {
        for (size_t i = 0; i < config_keys_n; i++)
                if (strcmp(config_keys[i].section, section) == 0)
                        return true;
        return false;
}

/* "fru.N" -> N; -1 for another section; -2 for a "fru." section with a bad index. */
static int fru_section_index(const char *section) {
        if (strncmp(section, "fru.", 4) != 0)
                return -1;
        if (section[4] < '0' || section[4] >= '0' + CONFIG_FRU_MAX || section[5] != '\0')
                return -2;
        return section[4] - '0';
}

/* "sensor.N" -> N; -1 for another section; -2 for a "sensor." section with a bad index. */
static int sensor_section_index(const char *section) {
        unsigned long v;

        if (strncmp(section, "sensor.", 7) != 0)
                return -1;
        /* config_parse_number() would take "0x1"; a section is named in decimal only. */
        if (section[7] < '0' || section[7] > '9' || (section[7] == '0' && section[8] != '\0') ||
            config_parse_number(section + 7, &v) < 0 || v >= CONFIG_SENSOR_MAX)
                return -2;
        return (int) v;
}

/* "PREFIX.N" -> N (decimal, below max); -1 for another section; -2 for a bad index. */
static int numbered_section_index(const char *section, const char *prefix, unsigned max) {
        size_t n = strlen(prefix);
        const char *d = section + n;
        unsigned long v;

        if (strncmp(section, prefix, n) != 0)
                return -1;
        if (d[0] < '0' || d[0] > '9' || (d[0] == '0' && d[1] != '\0') ||
            config_parse_number(d, &v) < 0 || v >= max)
                return -2;
        return (int) v;
}

/* Every key of a table that has a default gets it, through the same parser as the file's
 * text. Returns 0 or -ENOMEM. */
static int apply_key_defaults(const struct config_key *keys, size_t n_keys, void *base) {
        for (size_t i = 0; i < n_keys; i++) {
                const struct config_key *k = &keys[i];
                char reason[REASON_MAX];

                if (!k->default_value)
                        continue;
                if (k->parse(k, k->default_value, (uint8_t *) base + k->offset, reason) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A pattern row ("state.*") matching name ("state.failure"): a copy in *copy, its index in
 * *index; NULL if none matches. */
static const struct config_key *pattern_row(const struct indexed_section *x, const char *name,
                                            size_t *index, struct config_key *copy) {
        for (size_t i = 0; i < x->n_keys; i++) {
                size_t n = strlen(x->keys[i].name);

                if (n < 2 || strcmp(x->keys[i].name + n - 2, ".*") != 0 ||
                    strncmp(name, x->keys[i].name, n - 1) != 0 || name[n - 1] == '\0')
                        continue;
                *copy = x->keys[i];
                *index = i;
                return copy;
        }
        return NULL;
}

/* A key in [fru.N] or [sensor.N]: the slot comes to life with its defaults at its first key. */
void config_on_indexed_key(struct load_state *s, const struct indexed_section *x,
                           const char *section, const char *name, const char *value) {
        const struct config_key *k = NULL;
        const char *written = name;
        struct config_key pattern;
        char reason[REASON_MAX] = "";
        size_t i;
        int r;

        for (size_t a = 0; x->aliases && x->aliases[a]; a += 2)
                if (strcmp(x->aliases[a], name) == 0)
                        name = x->aliases[a + 1];
        for (i = 0; i < x->n_keys; i++)
                if (strcmp(x->keys[i].name, name) == 0) {
                        k = &x->keys[i];
                        break;
                }
        if (!k)
                k = pattern_row(x, name, &i, &pattern);
        if (!k) {
                report_unknown_key(s, x->keys, x->n_keys, NULL, section, name);
                return;
        }
        if (k == &pattern) {
                /* Many keys of one row: the parser sees each key's name and line (min) and
                 * refuses a repeated one itself. */
                pattern.name = name;
                pattern.min = s->line;
                if (!x->seen_line[i])
                        x->seen_line[i] = s->line;
        } else if (x->seen_line[i] && written != name) {
                config_report(s, s->line, "%s (another name of %s) is already set on line %u",
                              written, name, x->seen_line[i]);
                return;
        } else if (x->seen_line[i]) {
                config_report(s, s->line, "%s is already set on line %u", name, x->seen_line[i]);
                return;
        }
        x->seen_line[i] = s->line;
        if (!*x->present) {
                if (apply_key_defaults(x->keys, x->n_keys, x->base) < 0) {
                        s->oom = true;
                        return;
                }
                *x->present = true;
                *x->first_line = s->line;
        }
        if (report_inline_hash(s, name, value))
                return;
        r = k->parse(k, value, (uint8_t *) x->base + k->offset, reason);
        if (r == -ENOMEM)
                s->oom = true;
        if (r < 0) {
                config_report(s, s->line, "%s", reason);
                if (x->failed)
                        x->failed[i] = true;
        }
}

static void on_fru_key(struct load_state *s, int index, const char *section, const char *name,
                       const char *value) {
        struct fru_config *f = &s->config->fru[index];

        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_fru_keys, .n_keys = config_fru_keys_n, .base = f,
                .present = &f->present, .first_line = &f->line,
                .seen_line = s->fru_seen_line[index],
        }, section, name, value);
}

static void on_sensor_key(struct load_state *s, int index, const char *section, const char *name,
                          const char *value) {
        struct sensor_config *sc = &s->config->sensor[index];

        if ((unsigned) index >= s->sensor_end)
                s->sensor_end = (unsigned) index + 1;
        if (!s->sensor_seen_line[index]) {
                s->sensor_seen_line[index] = calloc(CONFIG_SENSOR_KEYS_MAX,
                                                    sizeof(*s->sensor_seen_line[index]));
                s->sensor_failed[index] = calloc(CONFIG_SENSOR_KEYS_MAX,
                                                 sizeof(*s->sensor_failed[index]));
                if (!s->sensor_seen_line[index] || !s->sensor_failed[index]) {
                        s->oom = true;
                        return;
                }
        }

        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_sensor_keys, .n_keys = config_sensor_keys_n, .base = sc,
                .present = &sc->present, .first_line = &sc->line,
                .seen_line = s->sensor_seen_line[index], .failed = s->sensor_failed[index],
                .aliases = config_sensor_key_aliases,
        }, section, name, value);
}

static void on_fan_key(struct load_state *s, int index, const char *section, const char *name,
                       const char *value) {
        struct fan_config *f = &s->config->fan[index];

        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_fan_keys, .n_keys = config_fan_keys_n, .base = f,
                .present = &f->present, .first_line = &f->line,
                .seen_line = s->fan_seen_line[index],
        }, section, name, value);
}

static void on_oem_key(struct load_state *s, int index, const char *section, const char *name,
                       const char *value) {
        struct oem_config *o = &s->config->oem[index];

        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_oem_keys, .n_keys = config_oem_keys_n, .base = o,
                .present = &o->present, .first_line = &o->line,
                .seen_line = s->oem_seen_line[index],
        }, section, name, value);
}

static void on_picmg_power_key(struct load_state *s, int index, const char *section,
                               const char *name, const char *value) {
        struct picmg_power_config *p = &s->config->picmg_power[index];

        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_picmg_power_keys, .n_keys = config_picmg_power_keys_n, .base = p,
                .present = &p->present, .first_line = &p->line,
                .seen_line = s->picmg_power_seen_line[index],
        }, section, name, value);
}

static void on_picmg_link_key(struct load_state *s, int index, const char *section,
                              const char *name, const char *value) {
        struct picmg_link_config *l = &s->config->picmg_link[index];

        if ((unsigned) index >= s->picmg_link_end)
                s->picmg_link_end = (unsigned) index + 1;
        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_picmg_link_keys, .n_keys = config_picmg_link_keys_n, .base = l,
                .present = &l->present, .first_line = &l->line,
                .seen_line = s->picmg_link_seen_line[index],
        }, section, name, value);
}

/* [picmg-power.N] and [picmg-link.N] (config-picmg-power.h): true when section is one. */
static bool on_picmg_key(struct load_state *s, const char *section, const char *name,
                         const char *value) {
        int r;

        r = numbered_section_index(section, "picmg-power.", CONFIG_FRU_MAX);
        if (r == -2)
                report_unknown_section(s, section, "picmg-power", "FRU devices",
                                       CONFIG_FRU_MAX - 1);
        else if (r >= 0)
                on_picmg_power_key(s, r, section, name, value);
        if (r != -1)
                return true;
        r = numbered_section_index(section, "picmg-link.", CONFIG_PICMG_LINK_MAX);
        if (r == -2)
                report_unknown_section(s, section, "picmg-link", "PICMG links",
                                       CONFIG_PICMG_LINK_MAX - 1);
        else if (r >= 0)
                on_picmg_link_key(s, r, section, name, value);
        return r != -1;
}

/* [fan.N] and [oem.N] (config-actuators.h): true when section is one of them (handled). */
static bool on_actuator_key(struct load_state *s, const char *section, const char *name,
                            const char *value) {
        int r;

        r = numbered_section_index(section, "fan.", CONFIG_FAN_MAX);
        if (r == -2)
                report_unknown_section(s, section, "fan", "fans", CONFIG_FAN_MAX - 1);
        else if (r >= 0)
                on_fan_key(s, r, section, name, value);
        if (r != -1)
                return true;
        r = numbered_section_index(section, "oem.", CONFIG_OEM_MAX);
        if (r == -2)
                report_unknown_section(s, section, "oem", "OEM commands", CONFIG_OEM_MAX - 1);
        else if (r >= 0)
                on_oem_key(s, r, section, name, value);
        return r != -1;
}

/* [picmg-led.N] (config-picmg-led.h): true when section is one of them (handled). */
static bool on_picmg_led_key(struct load_state *s, const char *section, const char *name,
                             const char *value) {
        struct picmg_led_config *l;
        int r = numbered_section_index(section, "picmg-led.", CONFIG_PICMG_LED_MAX);

        if (r == -2)
                report_unknown_section(s, section, "picmg-led", "PICMG LEDs",
                                       CONFIG_PICMG_LED_MAX - 1);
        if (r < 0)
                return r != -1;
        l = &s->config->picmg_led[r];
        config_on_indexed_key(s, &(const struct indexed_section) {
                .keys = config_picmg_led_keys, .n_keys = config_picmg_led_keys_n, .base = l,
                .present = &l->present, .first_line = &l->line,
                .seen_line = s->picmg_led_seen_line[r],
        }, section, name, value);
        return true;
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
        struct load_state *s = user;
        const struct config_key *k;
        char reason[REASON_MAX] = "";
        size_t i;
        int r;

        /* A line inih could not make sense of was reported by the reader already. */
        if (s->line == s->last_syntax_error_line)
                return 1;

        if (!name)
                return 1;       /* a section header on its own: checked with its first key */
        if (section[0] == '\0') {
                config_report(s, s->line, "\"%s\" is outside any [section]", name);
                return 1;
        }
        if (config_fru_record_key(s, section, name, value) == 0)
                return 1;
        if (config_hpm_key(s, section, name, value))
                return 1;
        r = fru_section_index(section);
        if (r == -2) {
                report_unknown_section(s, section, "fru", "FRU devices", CONFIG_FRU_MAX - 1);
                return 1;
        }
        if (r >= 0) {
                on_fru_key(s, r, section, name, value);
                return 1;
        }
        r = sensor_section_index(section);
        if (r == -2) {
                report_unknown_section(s, section, "sensor", "sensors", CONFIG_SENSOR_MAX - 1);
                return 1;
        }
        if (r >= 0) {
                on_sensor_key(s, r, section, name, value);
                return 1;
        }
        if (on_actuator_key(s, section, name, value))
                return 1;
        if (on_picmg_led_key(s, section, name, value))
                return 1;
        if (on_picmg_key(s, section, name, value))
                return 1;
        if (!section_known(section)) {
                report_unknown_section(s, section, NULL, NULL, -1);
                return 1;
        }
        k = config_find_key(section, name, &i);
        if (!k) {
                report_unknown_key(s, config_keys, config_keys_n, section, section, name);
                return 1;
        }
        if (s->seen_line[i]) {
                config_report(s, s->line, "%s is already set on line %u", name, s->seen_line[i]);
                return 1;
        }
        s->seen_line[i] = s->line;
        if (report_inline_hash(s, name, value))
                return 1;

        r = k->parse(k, value, (uint8_t *) s->config + k->offset, reason);
        if (r == -ENOMEM)
                s->oom = true;
        if (r < 0)
                config_report(s, s->line, "%s", reason);
        return 1;       /* keep going: every error is reported, not just the first */
}

/*
 * inih reads the file through this, one line per call, which is how we know which line a key
 * came from. Lines inih would reject are reported here, all of them (inih returns only the
 * first): anything not blank, not a comment, not a [section] and without '='.
 */
static char *read_line(char *str, int num, void *stream) {
        struct load_state *s = stream;
        const char *start, *p;

        if (!fgets(str, num, s->in)) {
                if (ferror(s->in))
                        s->read_errno = errno > 0 ? errno : EIO;
                return NULL;
        }
        s->line++;

        if (!strchr(str, '\n') && !feof(s->in)) {
                int c;

                config_report(s, s->line, "line too long (at most %d characters)", num - 2);
                while ((c = fgetc(s->in)) != EOF && c != '\n')
                        ;
                s->last_syntax_error_line = s->line;
                str[0] = '\0';  /* hand inih an empty line instead */
                return str;
        }

        /* inih skips a UTF-8 byte order mark at the start of the file, and so must we. */
        start = str;
        if (s->line == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
                start += 3;
        for (p = start; *p == ' ' || *p == '\t' || *p == '\r'; p++)
                ;
        if (*p == '\0' || *p == '\n' || *p == ';' || *p == '#')
                return str;
        if (*p == '[') {
                if (!strchr(p, ']')) {
                        config_report(s, s->line, "section header without ']'");
                        s->last_syntax_error_line = s->line;
                        str[0] = '\0';
                } else
                        s->section_line = s->line;
                return str;
        }
        if (p != start || !strchr(p, '=')) {
                /* Indented lines would be taken as continuations of the previous value. */
                config_report(s, s->line, p != start ? "indented line (values do not continue over lines)"
                                              : "expected \"key = value\" or \"[section]\"");
                s->last_syntax_error_line = s->line;
                str[0] = '\0';
        }
        return str;
}

static int apply_defaults(struct satmc_config *c) {
        /* The defaults are in the table as text and go through the same parsers. */
        return apply_key_defaults(config_keys, config_keys_n, c);
}

/* The parser's bookkeeping (which key was set on which line, 35 KiB) lives in a mapping of its
 * own for the length of one load: on the stack it would leave that much of the main thread's
 * stack resident for the daemon's life, in the heap a hole the next allocations fragment. */
static struct load_state *load_state_new(void) {
        void *p = mmap(NULL, sizeof(struct load_state), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        return p == MAP_FAILED ? NULL : p;
}

static void load_state_freep(struct load_state **sp) {
        struct load_state *s = *sp;

        if (!s)
                return;
        for (size_t i = 0; i < CONFIG_SENSOR_MAX; i++) {
                free(s->sensor_seen_line[i]);
                free(s->sensor_failed[i]);
        }
        (void) munmap(s, sizeof(*s));
}

int config_load_from_file(FILE *in, const char *name, FILE *err, struct satmc_config **ret) {
        _cleanup_(config_freep) struct satmc_config *c = NULL;
        _cleanup_(load_state_freep) struct load_state *s = load_state_new();
        int r;

        if (!s)
                return -ENOMEM;
        s->name = name;
        s->err = err ? err : stderr;
        s->in = in;
        c = config_new();
        if (!c)
                return -ENOMEM;
        c->path = strdup(name);
        if (!c->path)
                return -ENOMEM;
        r = apply_defaults(c);
        if (r < 0)
                return r;

        s->config = c;
        r = ini_parse_stream(read_line, s, on_key, s);
        if (s->read_errno)
                return -s->read_errno;  /* not a configuration error: no "required" noise */
        if (r < 0)
                return -ENOMEM;
        if (s->oom)
                return -ENOMEM;
        if (r > 0 && s->n_errors == 0)
                config_report(s, (unsigned) r, "cannot parse this line");
        c->sensor_end = s->sensor_end;
        c->picmg_link_end = s->picmg_link_end;

        config_check(s);

        if (s->n_errors > 0)
                return -EINVAL;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, FILE *err, struct satmc_config **ret) {
        FILE *f;
        int r;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        r = config_load_from_file(f, path, err, ret);
        fclose(f);
        return r;
}

/* One anonymous mapping holds the configuration and, after it, its [sensor.N] slots. The
 * structure is about 85 KiB (eight [fru.N], the PICMG LED and link tables) and the 255 slots
 * about 72 KiB, nearly all of it zero on a real board: calloc() would clear it, and so make it
 * resident, and keep it in the heap after a reload frees it; the mapping's pages are zero
 * already and become resident only where a key is written (a board with 64 sensors and one FRU
 * touches about a quarter of them), and munmap() gives them back whole. */
#define CONFIG_HEAD_SIZE \
        ((sizeof(struct satmc_config) + _Alignof(struct sensor_config) - 1) / \
         _Alignof(struct sensor_config) * _Alignof(struct sensor_config))
#define CONFIG_MAPPING_SIZE (CONFIG_HEAD_SIZE + CONFIG_SENSOR_MAX * sizeof(struct sensor_config))

struct satmc_config *config_new(void) {
        struct satmc_config *c;
        void *p;

        p = mmap(NULL, CONFIG_MAPPING_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        c = p;
        c->sensor = (struct sensor_config *) ((uint8_t *) p + CONFIG_HEAD_SIZE);
        c->sensor_end = CONFIG_SENSOR_MAX;
        c->picmg_link_end = CONFIG_PICMG_LINK_MAX;
        return c;
}

struct satmc_config *config_free(struct satmc_config *c) {
        if (!c)
                return NULL;
        free(c->path);
        free(c->device);
        free(c->bus_socket);
        free(c->device_b);
        free(c->bus_socket_b);
        free(c->hw_address_chip);
        free(c->ipmitool_socket);
        free(c->nbd_socket);
        free(c->nbd_tcp);
        free(c->nbd_tls_psk_file);
        free(c->nbd_tls_certificate);
        free(c->nbd_tls_key);
        free(c->nbd_tls_ca);
        free(c->nbd_tls_public_exports);
        free(c->state_directory);
        for (size_t i = 0; i < CONFIG_FRU_MAX; i++) {
                struct fru_config *f = &c->fru[i];

                free(f->file);
                free(f->chassis_part_number);
                free(f->chassis_serial_number);
                config_fru_custom_clear(&f->chassis_custom);
                free(f->multirecord);
                free(f->multirecord_file);
                free(f->file_records);
                free(f->board_manufacturer);
                free(f->board_product_name);
                free(f->board_serial_number);
                free(f->board_part_number);
                free(f->board_file_id);
                config_fru_custom_clear(&f->board_custom);
                free(f->product_manufacturer);
                free(f->product_name);
                free(f->product_part_number);
                free(f->product_version);
                free(f->product_serial_number);
                free(f->product_asset_tag);
                free(f->product_file_id);
                config_fru_custom_clear(&f->product_custom);
                for (size_t t = 0; t < ELEMENTSOF(f->management.text); t++)
                        free(f->management.text[t]);
        }
        for (size_t i = 0; c->sensor && i < c->sensor_end; i++) {
                free(c->sensor[i].name);
                sensor_source_config_clear(&c->sensor[i].source);
                sensor_states_config_free(c->sensor[i].states);
                free(c->sensor[i].assertions);
                free(c->sensor[i].deassertions);
        }
        for (size_t i = 0; i < CONFIG_OEM_MAX; i++) {
                free(c->oem[i].exec);
        }
        config_hpm_free(&c->hpm);
        (void) munmap(c, CONFIG_MAPPING_SIZE);
        return NULL;
}

static bool page_is_zero(const uint8_t *p, size_t len) {
        const uint64_t *w = (const uint64_t *) p;      /* page-aligned */

        for (size_t i = 0; i < len / sizeof(*w); i++)
                if (w[i])
                        return false;
        return true;
}

size_t config_drop_zero_pages(struct satmc_config *c) {
        long page_size = sysconf(_SC_PAGESIZE);
        size_t page = page_size > 0 ? (size_t) page_size : 4096;
        size_t n_pages = (CONFIG_MAPPING_SIZE + page - 1) / page, dropped = 0;
        uint8_t *base = (uint8_t *) c;
        unsigned char resident[128];

        /* Pages are looked at in batches whose residency mincore() reports: a page never
         * touched is not read here, which on such a kernel would make it resident. */
        for (size_t first = 0; first < n_pages; first += sizeof(resident)) {
                size_t n = n_pages - first < sizeof(resident) ? n_pages - first : sizeof(resident);

                if (mincore(base + first * page, n * page, resident) < 0)
                        return dropped;
                for (size_t i = 0; i < n; i++) {
                        uint8_t *p = base + (first + i) * page;

                        if ((resident[i] & 1) && page_is_zero(p, page) &&
                            madvise(p, page, MADV_DONTNEED) == 0)
                                dropped++;
                }
        }
        return dropped;
}
