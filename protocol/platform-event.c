/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "protocol/ipmi.h"
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

int platform_event_decode(const uint8_t *buf, size_t len, struct platform_event *ret) {
        struct platform_event ev = { 0 };

        if (len < 5 || len > PLATFORM_EVENT_MAX_LEN || buf[0] != PLATFORM_EVENT_EVMREV)
                return -EBADMSG;
        ev.sensor_type = buf[1];
        ev.sensor_number = buf[2];
        ev.deassertion = buf[3] & 0x80;
        ev.event_type = buf[3] & 0x7F;
        ev.offset = buf[4] & 0x0F;
        if (ev.offset > PLATFORM_EVENT_OFFSET_MAX)
                return -EBADMSG;
        /* Threshold and discrete events alike (tables 29-6): bits 7:6 and 5:4 say what event
         * data 2 and 3 hold, and a byte the flags announce must be there. */
        ev.data2_kind = (enum platform_event_data) (buf[4] >> 6);
        ev.data3_kind = (enum platform_event_data) (buf[4] >> 4 & 3);
        if ((ev.data2_kind && len < 6) || (ev.data3_kind && len < 7))
                return -EBADMSG;
        if (len >= 6)
                ev.data2 = buf[5];
        if (len >= 7)
                ev.data3 = buf[6];
        *ret = ev;
        return 0;
}

/* Append to buf[cap] at *len; once it is full, nothing more (snprintf cut it). */
__attribute__((format(printf, 4, 5)))
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
        va_list ap;
        int n;

        if (*len + 1 >= cap)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf + *len, cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        *len = (size_t) n >= cap - *len ? cap - 1 : *len + (size_t) n;
}

static void append_data(char *buf, size_t cap, size_t *len, const struct platform_event *ev,
                        enum platform_event_data kind, uint8_t value, const char *trigger_name,
                        unsigned byte) {
        if (kind == PLATFORM_EVENT_DATA_UNSPECIFIED)
                return;
        if (kind == PLATFORM_EVENT_DATA_TRIGGER && ev->event_type == EVENT_TYPE_THRESHOLD)
                append(buf, cap, len, ", %s 0x%02x", trigger_name, value);
        else
                append(buf, cap, len, ", event data %u 0x%02x", byte, value);
}

void platform_event_describe(const struct platform_event *ev, char *buf, size_t cap) {
        const char *type = ipmi_sensor_type_name(ev->sensor_type);
        const char *offset = ipmi_event_offset_name(ev->event_type, ev->sensor_type, ev->offset);
        size_t len = 0;

        if (cap == 0)
                return;
        buf[0] = '\0';
        if (type)
                append(buf, cap, &len, "%s", type);
        else
                append(buf, cap, &len, "sensor type 0x%02x%s", ev->sensor_type,
                       ev->sensor_type >= 0xC0 ? " (OEM)" : "");
        if (offset)
                append(buf, cap, &len, ", %s", offset);
        else
                append(buf, cap, &len, ", event type 0x%02x offset %u", ev->event_type, ev->offset);
        append(buf, cap, &len, " %s", ev->deassertion ? "deasserted" : "asserted");
        append_data(buf, cap, &len, ev, ev->data2_kind, ev->data2, "reading", 2);
        append_data(buf, cap, &len, ev, ev->data3_kind, ev->data3, "threshold", 3);
}
