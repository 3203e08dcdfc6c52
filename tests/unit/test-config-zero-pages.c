/* SPDX-License-Identifier: MIT */
/*
 * config_drop_zero_pages(): a page of the configuration that holds only zeros goes back to the
 * kernel, a page that holds anything stays, and what the configuration says reads the same
 * after. Pages are made resident by writing (then clearing) them, so the test means the same
 * on a kernel with a shared zero page and on one without.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "page-resident.h"

static void test_drops_zero_pages_only(void **state) {
        struct satmc_config *c = config_new();
        struct picmg_link_config *last_link;
        struct fru_config *last_fru;
        bool observable = residency_observable();

        (void) state;
        assert_non_null(c);
        last_link = &c->picmg_link[CONFIG_PICMG_LINK_MAX - 1];
        last_fru = &c->fru[CONFIG_FRU_MAX - 1];
        c->sensor[0].present = true;
        c->sensor[0].sensor_type = 7;
        /* Written and cleared again: resident, all zeros, as a slot a check only looked at. */
        *(volatile bool *) &last_link->present = true;
        *(volatile bool *) &last_link->present = false;
        *(volatile bool *) &last_fru->present = true;
        *(volatile bool *) &last_fru->present = false;
        if (!observable) {
                printf("# under %s: values checked, residency not\n",
                       getenv("MESON_EXE_WRAPPER"));
                /* Whatever it does with the pages, what the configuration says stays. */
                (void) config_drop_zero_pages(c);
                assert_true(c->sensor[0].present);
                assert_int_equal(c->sensor[0].sensor_type, 7);
                config_free(c);
                return;
        }
        assert_true(page_resident(last_link));
        assert_true(page_resident(last_fru));
        assert_true(config_drop_zero_pages(c) >= 1);
        assert_true(page_resident(&c->sensor[0]));
        assert_false(page_resident(last_link));
        assert_true(c->sensor[0].present);
        assert_int_equal(c->sensor[0].sensor_type, 7);
        assert_false(last_link->present);       /* reads as zero again */
        assert_false(last_fru->present);

        /* Nothing left to drop but what the reads above brought back. */
        c->sensor[0].present = false;
        c->sensor[0].sensor_type = 0;
        assert_true(config_drop_zero_pages(c) >= 1);
        assert_false(page_resident(&c->sensor[0]));
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drops_zero_pages_only),
        };

        return cmocka_run_group_tests_name("config-zero-pages", tests, NULL, NULL);
}
