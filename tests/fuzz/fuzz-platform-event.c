/* SPDX-License-Identifier: MIT */
/*
 * Platform Event Message bodies as an event receiver (satmc-ipmb-bridge) gets them, any bytes.
 * A body that decodes re-encodes: the encoder accepts every event the decoder produces, the
 * result is no longer than the input (unspecified bytes may be dropped), and it decodes back to
 * the same event. Its description for a person is always a terminated string within its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/platform-event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct platform_event ev, back;
        uint8_t buf[PLATFORM_EVENT_MAX_LEN];
        char text[48];
        int n;

        if (platform_event_decode(data, size, &ev) < 0)
                return 0;
        platform_event_describe(&ev, text, sizeof(text));
        if (strnlen(text, sizeof(text)) >= sizeof(text))
                abort();
        n = platform_event_encode(&ev, buf, sizeof(buf));
        if (n < 5 || (size_t) n > size)
                abort();
        if (platform_event_decode(buf, (size_t) n, &back) < 0)
                abort();
        if (back.sensor_type != ev.sensor_type || back.sensor_number != ev.sensor_number ||
            back.event_type != ev.event_type || back.deassertion != ev.deassertion ||
            back.offset != ev.offset || back.data2_kind != ev.data2_kind ||
            back.data3_kind != ev.data3_kind ||
            (ev.data2_kind && back.data2 != ev.data2) || (ev.data3_kind && back.data3 != ev.data3))
                abort();
        return 0;
}
