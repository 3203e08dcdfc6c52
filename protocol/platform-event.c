/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "protocol/platform-event.h"

void platform_event_threshold(uint8_t sensor_type, uint8_t sensor_number, unsigned threshold,
                              bool deassertion, uint8_t reading, uint8_t threshold_raw,
                              struct platform_event *ret) {
        *ret = (struct platform_event) {
                .sensor_type = sensor_type,
                .sensor_number = sensor_number,
                .event_type = EVENT_TYPE_THRESHOLD,
                .deassertion = deassertion,
                .offset = platform_event_threshold_offset(threshold),
                .data2_kind = PLATFORM_EVENT_DATA_TRIGGER,
                .data3_kind = PLATFORM_EVENT_DATA_TRIGGER,
                .data2 = reading,
                .data3 = threshold_raw,
        };
}

int platform_event_encode(const struct platform_event *ev, uint8_t *buf, size_t cap) {
        size_t len = 5;

        if (ev->event_type > 0x7F || ev->offset > PLATFORM_EVENT_OFFSET_MAX ||
            (unsigned) ev->data2_kind > 3 || (unsigned) ev->data3_kind > 3)
                return -EINVAL;
        /* Event data 3 needs data 2 in front of it, unspecified (0xFF) if need be. */
        if (ev->data3_kind != PLATFORM_EVENT_DATA_UNSPECIFIED)
                len = 7;
        else if (ev->data2_kind != PLATFORM_EVENT_DATA_UNSPECIFIED)
                len = 6;
        if (cap < len)
                return -EMSGSIZE;

        buf[0] = PLATFORM_EVENT_EVMREV;
        buf[1] = ev->sensor_type;
        buf[2] = ev->sensor_number;
        buf[3] = (uint8_t) ((ev->deassertion ? 0x80 : 0x00) | ev->event_type);
        buf[4] = (uint8_t) (ev->data2_kind << 6 | ev->data3_kind << 4 | ev->offset);
        if (len >= 6)
                buf[5] = ev->data2_kind != PLATFORM_EVENT_DATA_UNSPECIFIED ? ev->data2 : 0xFF;
        if (len == 7)
                buf[6] = ev->data3;
        return (int) len;
}
