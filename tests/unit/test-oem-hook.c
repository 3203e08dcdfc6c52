/* SPDX-License-Identifier: MIT */
/*
 * daemon/oem-hook.c with small programs written to a temporary directory: routing by
 * (netFn, cmd, LUN, IANA), the request on stdin and in the environment (and nothing else of
 * ours there), fixed arguments, stdout as the response, the exit status as the completion
 * code, output that is not hex or too long, one run per section, the timeout's kill and 0xC3,
 * and the kill at free.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/oem-hook.h"
#include "protocol/ipmi.h"
#include "temp-dir.h"

struct answer {
        int calls;
        uint8_t cc;
        uint8_t data[300];
        size_t len;
};

static void on_done(void *userdata, uint8_t cc, const uint8_t *data, size_t len) {
        struct answer *a = userdata;

        a->calls++;
        a->cc = cc;
        a->len = len;
        if (len)
                memcpy(a->data, data, len);
}

struct rig {
        char dir[64];
        sd_event *event;
        struct satmc_config *config;
        struct oem_table *oem;
};

static void write_script(const struct rig *g, const char *name, const char *body) {
        char path[160];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", g->dir, name);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\n%s\n", body);
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
}

/* Sections: "[oem.N]\nnetfn = ...\n..." with @ standing for the temporary directory. */
static void rig_setup(struct rig *g, const char *sections) {
        char text[4096], *o = text;
        FILE *in;
        int r;

        memset(g, 0, sizeof(*g));
        strcpy(g->dir, "/tmp/satmc-oem-XXXXXX");
        assert_non_null(mkdtemp(g->dir));
        o += sprintf(o, "[mc]\naddress = 0x72\n[identity]\nfirmware-version = 1.00\n"
                     "manufacturer-id = 1\nproduct-id = 1\n"
                     "guid = 01234567-89ab-cdef-0011-223344556677\n");
        for (const char *p = sections; *p; p++)
                o += *p == '@' ? sprintf(o, "%s", g->dir) : sprintf(o, "%c", *p);
        in = fmemopen(text, strlen(text), "r");
        assert_non_null(in);
        r = config_load_from_file(in, "oem.ini", stderr, &g->config);
        fclose(in);
        assert_int_equal(r, 0);
        assert_int_equal(sd_event_new(&g->event), 0);
        assert_int_equal(oem_table_new(g->event, g->config, &g->oem), 0);
}

static void rig_teardown(struct rig *g) {
        oem_table_free(g->oem);
        sd_event_unref(g->event);
        config_free(g->config);
        remove_temp_dir(g->dir);
}

/* Run the loop until the answer came. The limit only stops a broken test from hanging: the
 * programs answer at once or are killed by their own timeout. */
static void wait_answer(struct rig *g, struct answer *a) {
        for (int i = 0; i < 10000 && a->calls == 0; i++)
                assert_true(sd_event_run(g->event, 1000000) >= 0);
        assert_int_equal(a->calls, 1);
}

/* Run until the section is free again (its program reaped). */
static void wait_free(struct rig *g, int index) {
        for (int i = 0; i < 10000 && oem_table_busy(g->oem, index, NULL); i++)
                assert_true(sd_event_run(g->event, 1000000) >= 0);
        assert_false(oem_table_busy(g->oem, index, NULL));
}

static int run(struct rig *g, int index, uint8_t netfn, uint8_t cmd, const uint8_t *data,
               size_t len, size_t cap, struct answer *a) {
        return oem_table_run(g->oem, index, &(const struct oem_request) {
                        .netfn = netfn, .cmd = cmd, .lun = 0, .rq_sa = 0x20,
                        .data = data, .len = len,
                }, cap, on_done, a);
}

static void test_none_configured(void **state) {
        struct satmc_config c = { 0 };
        struct oem_table *t = (void *) 1;

        (void) state;
        assert_int_equal(oem_table_new(NULL, &c, &t), 0);
        assert_null(t);
        assert_int_equal(oem_table_count(t), 0);
}

static void test_routing(void **state) {
        struct rig g;
        const uint8_t iana[] = { 0xD9, 0x7E, 0x00, 0x05 }, other[] = { 0xD9, 0x7E, 0x01 };

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x01\nexec = @/a\n"
                      "[oem.3]\nnetfn = 0x30\ncmd = 0x01\nlun = 2\nexec = @/b\n"
                      "[oem.4]\nnetfn = 0x2E\ncmd = 0x01\niana = 0x007ED9\nexec = @/c\n");
        assert_int_equal(oem_table_count(g.oem), 3);
        assert_int_equal(oem_table_find(g.oem, 0x30, 0x01, 0, NULL, 0), 0);
        assert_int_equal(oem_table_find(g.oem, 0x30, 0x01, 2, NULL, 0), 1);
        assert_int_equal(oem_table_find(g.oem, 0x30, 0x01, 1, NULL, 0), -1);
        assert_int_equal(oem_table_find(g.oem, 0x30, 0x02, 0, NULL, 0), -1);
        assert_int_equal(oem_table_find(g.oem, 0x32, 0x01, 0, NULL, 0), -1);
        assert_int_equal(oem_table_find(g.oem, 0x2E, 0x01, 0, iana, sizeof(iana)), 2);
        assert_int_equal(oem_table_find(g.oem, 0x2E, 0x01, 0, iana, 3), 2);
        assert_int_equal(oem_table_find(g.oem, 0x2E, 0x01, 0, iana, 2), -1);   /* short */
        assert_int_equal(oem_table_find(g.oem, 0x2E, 0x01, 0, other, 3), -1);  /* not ours */
        rig_teardown(&g);
}

static bool file_has(const char *path, const char *line) {
        char buf[4096];
        FILE *f = fopen(path, "r");
        size_t n;

        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return strstr(buf, line) != NULL;
}

/* stdin in, stdout out; the environment and the fixed arguments as documented. */
static void test_contract(void **state) {
        const uint8_t req[] = { 0x01, 0xAB, 0xFF };
        struct answer a = { 0 };
        char path[160];
        struct rig g;

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x05\nexec = @/echo\n"
                      "args = @/env.txt two;words $HOME\n");
        write_script(&g, "echo", "env > \"$1\"; printf '%s\\n' \"$2\" \"$3\" >> \"$1\"\n"
                     "read line; echo \"$line 5a\"");
        setenv("SATMC_TEST_LEAK", "1", 1);
        assert_int_equal(run(&g, 0, 0x30, 0x05, req, sizeof(req), 64, &a), 0);
        assert_true(oem_table_busy(g.oem, 0, NULL));
        wait_answer(&g, &a);
        assert_int_equal(a.cc, IPMI_CC_OK);
        assert_int_equal(a.len, 4);
        assert_memory_equal(a.data, "\x01\xab\xff\x5a", 4);

        snprintf(path, sizeof(path), "%s/env.txt", g.dir);
        assert_true(file_has(path, "SATMC_NETFN=0x30\n"));
        assert_true(file_has(path, "SATMC_CMD=0x05\n"));
        assert_true(file_has(path, "SATMC_LUN=0\n"));
        assert_true(file_has(path, "SATMC_REQUESTER=0x20\n"));
        assert_true(file_has(path, "SATMC_REQUEST_DATA=01 ab ff\n"));
        assert_true(file_has(path, "SATMC_OEM_SECTION=oem.0\n"));
        /* Nothing of ours leaks into its environment. */
        assert_false(file_has(path, "SATMC_TEST_LEAK"));
        /* Arguments as written, nothing expanded. */
        assert_true(file_has(path, "\ntwo;words\n$HOME\n"));
        wait_free(&g, 0);
        rig_teardown(&g);
        unsetenv("SATMC_TEST_LEAK");
}

static void test_iana(void **state) {
        const uint8_t req[] = { 0xD9, 0x7E, 0x00, 0x11, 0x22 };
        struct answer a = { 0 };
        struct rig g;

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x2E\ncmd = 0x40\niana = 0x007ED9\nexec = @/p\n");
        /* The program sees the data after the IANA and answers the data after it. */
        write_script(&g, "p", "read line; [ \"$line\" = \"11 22\" ] || exit 1;\n"
                     "[ \"$SATMC_IANA\" = 32473 ] || exit 2; echo 33");
        assert_int_equal(run(&g, 0, 0x2E, 0x40, req, sizeof(req), 64, &a), 0);
        wait_answer(&g, &a);
        assert_int_equal(a.cc, IPMI_CC_OK);
        assert_int_equal(a.len, 4);
        assert_memory_equal(a.data, "\xd9\x7e\x00\x33", 4);
        rig_teardown(&g);
}

static uint8_t answer_of(const char *body, size_t cap) {
        struct answer a = { 0 };
        struct rig g;

        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x01\nexec = @/p\ntimeout-ms = 60000\n");
        write_script(&g, "p", body);
        assert_int_equal(run(&g, 0, 0x30, 0x01, NULL, 0, cap, &a), 0);
        wait_answer(&g, &a);
        if (a.cc != IPMI_CC_OK)
                assert_int_equal(a.len, 0);
        wait_free(&g, 0);
        rig_teardown(&g);
        return a.cc;
}

static void test_exit_status_and_output(void **state) {
        (void) state;
        assert_int_equal(answer_of("echo 01 02; exit 204", 64), 0xCC);
        assert_int_equal(answer_of("exit 1", 64), 0x01);
        assert_int_equal(answer_of("echo zz", 64), IPMI_CC_UNSPECIFIED);
        assert_int_equal(answer_of("echo 0", 64), IPMI_CC_UNSPECIFIED);
        assert_int_equal(answer_of("echo 01 02 03", 2), IPMI_CC_UNSPECIFIED);
        assert_int_equal(answer_of("echo 01 02", 2), IPMI_CC_OK);
        assert_int_equal(answer_of("i=0; while [ $i -lt 400 ]; do printf '00 '; i=$((i+1)); done",
                                   255), IPMI_CC_UNSPECIFIED);
        assert_int_equal(answer_of("kill -TERM $$", 64), IPMI_CC_UNSPECIFIED);
        assert_int_equal(answer_of("true", 64), IPMI_CC_OK);
}

/* Running, not a zombie: an orphan is reaped by whoever adopted it, maybe never (a container
 * whose PID 1 does not reap); dead is what counts here. */
static bool pid_alive(const char *pidfile) {
        FILE *f = fopen(pidfile, "r");
        char stat[64], state = 'X';
        int pid = 0;

        if (!f)
                return false;
        assert_int_equal(fscanf(f, "%d", &pid), 1);
        fclose(f);
        snprintf(stat, sizeof(stat), "/proc/%d/stat", pid);
        f = fopen(stat, "r");
        if (!f)
                return false;
        if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
                state = 'X';
        fclose(f);
        return state != 'Z' && state != 'X';
}

/* A program past its timeout: killed with its process group, answered 0xC3; the section is
 * busy until it is reaped, and a second run meanwhile is refused. */
static void test_timeout(void **state) {
        struct answer a = { 0 }, b = { 0 };
        char pidfile[160];
        struct rig g;

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x01\nexec = @/slow\ntimeout-ms = 200\n");
        snprintf(pidfile, sizeof(pidfile), "%s/sleep.pid", g.dir);
        /* "$0.pid" is <dir>/slow.pid: the sleep, a grandchild in the same process group,
         * written whole (renamed into place); no stderr of ours, so that a failed test does
         * not leave it holding the test runner's pipe. */
        write_script(&g, "slow", "sleep 60 2>/dev/null & echo $! > \"$0.tmp\"; "
                     "mv \"$0.tmp\" \"$0.pid\"; wait");
        snprintf(pidfile, sizeof(pidfile), "%s/slow.pid", g.dir);
        assert_int_equal(run(&g, 0, 0x30, 0x01, NULL, 0, 64, &a), 0);
        assert_int_equal(run(&g, 0, 0x30, 0x01, NULL, 0, 64, &b), -EBUSY);
        wait_answer(&g, &a);
        assert_int_equal(a.cc, IPMI_CC_TIMEOUT);
        wait_free(&g, 0);
        assert_int_equal(b.calls, 0);
        /* The grandchild went with the group (give the kernel its moment to reap it: it is
         * init's child now). */
        for (int i = 0; i < 10000 && pid_alive(pidfile); i++)
                usleep(1000);
        assert_false(pid_alive(pidfile));
        rig_teardown(&g);
}

static void test_free_kills(void **state) {
        struct answer a = { 0 };
        char pidfile[160];
        struct rig g;

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x01\nexec = @/slow\ntimeout-ms = 60000\n");
        write_script(&g, "slow", "echo $$ > \"$0.tmp\"; mv \"$0.tmp\" \"$0.pid\"; "
                     "exec sleep 60 2>/dev/null");
        snprintf(pidfile, sizeof(pidfile), "%s/slow.pid", g.dir);
        assert_int_equal(run(&g, 0, 0x30, 0x01, NULL, 0, 64, &a), 0);
        for (int i = 0; i < 10000 && access(pidfile, F_OK) < 0; i++)
                assert_true(sd_event_run(g.event, 1000) >= 0);
        assert_true(pid_alive(pidfile));
        g.oem = oem_table_free(g.oem);
        assert_false(pid_alive(pidfile));       /* killed and reaped */
        assert_int_equal(a.calls, 0);
        rig_teardown(&g);
}

static void test_cannot_start(void **state) {
        struct answer a = { 0 };
        struct rig g;

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x01\nexec = @/missing\n");
        assert_int_equal(run(&g, 0, 0x30, 0x01, NULL, 0, 64, &a), -ENOENT);
        assert_false(oem_table_busy(g.oem, 0, NULL));
        assert_int_equal(a.calls, 0);
        rig_teardown(&g);
}

/* The counters of a section: every outcome in its own column, nothing counted twice, and the
 * printed line says the same; a wrong index is -ENOENT and leaves *ret alone. */
static void test_counters(void **state) {
        struct answer a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
        struct oem_counters k = { .runs = 77 };
        char *text = NULL;
        size_t size = 0;
        struct rig g;
        FILE *f;

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x01\nexec = @/p\ntimeout-ms = 300\n"
                  "[oem.1]\nnetfn = 0x30\ncmd = 0x02\nexec = @/missing\n");
        write_script(&g, "p", "read line; case \"$line\" in 01*) echo 0a;; 02*) exit 204;; "
                     "*) exec sleep 60 2>/dev/null;; esac");
        assert_int_equal(oem_table_get_counters(g.oem, 2, &k), -ENOENT);
        assert_int_equal(k.runs, 77);
        assert_int_equal(run(&g, 0, 0x30, 0x01, (const uint8_t[]) { 0x01 }, 1, 64, &a), 0);
        wait_answer(&g, &a);
        wait_free(&g, 0);
        assert_int_equal(run(&g, 0, 0x30, 0x01, (const uint8_t[]) { 0x02 }, 1, 64, &b), 0);
        wait_answer(&g, &b);
        wait_free(&g, 0);
        assert_int_equal(run(&g, 0, 0x30, 0x01, (const uint8_t[]) { 0x03 }, 1, 64, &c), 0);
        oem_table_count_busy(g.oem, 0);         /* the caller answered another request 0xC0 */
        wait_answer(&g, &c);
        wait_free(&g, 0);
        assert_int_equal(run(&g, 1, 0x30, 0x02, NULL, 0, 64, &d), -ENOENT);
        assert_int_equal(a.cc, IPMI_CC_OK);
        assert_int_equal(b.cc, 0xCC);
        assert_int_equal(c.cc, IPMI_CC_TIMEOUT);

        assert_int_equal(oem_table_get_counters(g.oem, 0, &k), 0);
        assert_int_equal(k.runs, 3);
        assert_int_equal(k.ok, 1);
        assert_int_equal(k.failed, 1);
        assert_int_equal(k.timed_out, 1);
        assert_int_equal(k.busy, 1);
        assert_int_equal(k.not_started, 0);
        assert_int_equal(oem_table_get_counters(g.oem, 1, &k), 0);
        assert_int_equal(k.runs, 0);
        assert_int_equal(k.not_started, 1);

        f = open_memstream(&text, &size);
        assert_non_null(f);
        oem_table_print_counters(g.oem, f);
        fclose(f);
        assert_string_equal(text, "oem.0 netfn=0x30 cmd=0x01 lun=0 runs=3 ok=1 failed=1 "
                            "timed-out=1 busy=1 not-started=0\n"
                            "oem.1 netfn=0x30 cmd=0x02 lun=0 runs=0 ok=0 failed=0 "
                            "timed-out=0 busy=0 not-started=1\n");
        free(text);
        rig_teardown(&g);
}

/* --list-commands' lines for the configured sections, in the dispatch table's columns. */
static void test_list_commands(void **state) {
        char *text = NULL;
        size_t size = 0;
        struct rig g;
        FILE *f;

        (void) state;
        rig_setup(&g, "[oem.0]\nnetfn = 0x30\ncmd = 0x01\nexec = /usr/bin/true\n"
                  "[oem.3]\nnetfn = 0x2E\ncmd = 0x10\nlun = 1\niana = 0x007ED9\n"
                  "exec = /usr/bin/false\n");
        f = open_memstream(&text, &size);
        assert_non_null(f);
        oem_list_commands(g.config, f);
        fclose(f);
        assert_string_equal(text,
                            "0x30 oem       0x01   0-255      [oem.0] LUN 0: /usr/bin/true\n"
                            "0x2e oem-group 0x10   3-255      [oem.3] LUN 1, IANA 0x007ED9: "
                            "/usr/bin/false\n");
        free(text);
        rig_teardown(&g);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counters),
                cmocka_unit_test(test_list_commands),
                cmocka_unit_test(test_none_configured),
                cmocka_unit_test(test_routing),
                cmocka_unit_test(test_contract),
                cmocka_unit_test(test_iana),
                cmocka_unit_test(test_exit_status_and_output),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_free_kills),
                cmocka_unit_test(test_cannot_start),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
