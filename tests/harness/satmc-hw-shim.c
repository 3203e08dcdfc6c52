/* SPDX-License-Identifier: MIT */
/*
 * satmc-hw-shim.so: board hardware for an unmodified satmcd, by LD_PRELOAD, so the integration
 * tests run the daemon's real I2C and GPIO code paths without the hardware.
 *
 * SATMC_HW_SHIM_DIR names a directory the test owns:
 *
 *   DIR/i2c-N          an I2C adapter: satmcd's open("/dev/i2c-N") opens this file, and the
 *                      I2C_SLAVE and I2C_SMBUS ioctls on that fd are answered from its text,
 *                      read again at every transaction, so the test changes a register by
 *                      writing the file anew (write a copy, rename it over).
 *   DIR/gpio/CHIP/L    line L of GPIO chip CHIP: the file holds the physical level, 0 or 1.
 *                      libgpiod's calls (v1 or v2 API, whichever satmcd is built with) are
 *                      answered from it (satmc-hw-shim-gpiod1.c, satmc-hw-shim-gpiod2.c); an
 *                      output line's level is written to it. A line requested for edge events
 *                      (a handle switch) gets one event each time the test writes its file (a
 *                      copy renamed over it): the event fd is an inotify watch on the chip
 *                      directory, readable when any file there changes, and the events read
 *                      from it are those that name the line, typed by the level then.
 *   DIR/gpio/CHIP/label  the chip's label (one line; CHIP where there is none): a
 *                      configuration may name the chip by it, and scandir("/dev") lists the
 *                      chips (DIR/gpio's directories) for libgpiod 2's back end to look in.
 *
 * SATMC_HW_SHIM_GPIO_LOG, if set, names a file to which every output line's request, change of
 * logical value and release is appended as one line, "<CLOCK_MONOTONIC ns> <chip> <offset>
 * <what>" (what: "req V" plus " active-low" for a request, "0" or "1" for a change, "rel" for a
 * release), with one write() so lines never interleave: a test sees when each level was driven
 * (an LED's blink), which the line file alone, overwritten, cannot tell.
 *
 * The adapter file, one directive a line ('#' starts a comment):
 *
 *   device ADDR [pages=N] [pec]     a PMBus/SMBus device at 7-bit ADDR (N pages, default 1)
 *   nak ADDR                        a device that NAKs its address (-ENXIO)
 *   reg ADDR PAGE CMD VALUE         a register's word (a byte read gets the low byte)
 *
 * The device behaves as a PMBus device does: PAGE (0x00) is the only writable command, a
 * page it does not have is NAKed, a register it does not have is NAKed (-EREMOTEIO); with
 * pec it checks the PEC of a PAGE write and sends one after the data of an I2C Block Read
 * (protocol/pmbus.c computes it). Whatever the shim does not understand fails the call with
 * -EIO and a line on stderr, so a wrong script is seen, not read as a device that is absent.
 */
/* Both open and open64 (and openat, openat64) are defined below, under their own names: with
 * _FILE_OFFSET_BITS=64 glibc's headers would give open the symbol open64. */
#undef _FILE_OFFSET_BITS
/* glibc allows _TIME_BITS=64 (meson.build, 32-bit targets) only with _FILE_OFFSET_BITS=64. */
#undef _TIME_BITS
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/pmbus.h"
#include "satmc-hw-shim.h"

#define MAX_DEVICES     16
#define MAX_REGS        128
#define MAX_FDS         4096
#define SCRIPT_MAX      16384

struct shim_reg {
        uint8_t addr7, page, cmd;
        uint16_t value;
};

struct shim_device {
        uint8_t addr7;
        bool nak, pec;
        unsigned pages;
};

struct shim_script {
        struct shim_device devices[MAX_DEVICES];
        size_t ndevices;
        struct shim_reg regs[MAX_REGS];
        size_t nregs;
};

/* The page each (adapter, address) has selected: state of the emulated devices. */
struct shim_page {
        unsigned bus;
        uint8_t addr7, page;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_page pages[64];
static size_t npages;
static uint8_t slave_of_fd[MAX_FDS];

const char *shim_dir(void) {
        const char *d = getenv("SATMC_HW_SHIM_DIR");

        return d && *d ? d : NULL;
}

void shim_complain(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("satmc-hw-shim: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* "/dev/i2c-N" -> "DIR/i2c-N" in buf; false for any other path. */
static bool i2c_path(const char *path, char *buf, size_t size) {
        const char *dir = shim_dir();

        if (!dir || strncmp(path, "/dev/i2c-", 9) != 0)
                return false;
        return (size_t) snprintf(buf, size, "%s/%s", dir, path + 5) < size;
}

int real_openat(int dirfd, const char *path, int flags, mode_t mode) {
        static int (*next)(int, const char *, int, ...);

        if (!next)
                next = (int (*)(int, const char *, int, ...)) dlsym(RTLD_NEXT, "openat64");
        if (!next)
                next = (int (*)(int, const char *, int, ...)) dlsym(RTLD_NEXT, "openat");
        return next(dirfd, path, flags, mode);
}

static int shim_open(int dirfd, const char *path, int flags, mode_t mode) {
        char mapped[PATH_MAX];

        if (path && i2c_path(path, mapped, sizeof(mapped)))
                return real_openat(AT_FDCWD, mapped, flags & ~O_CREAT, 0);
        return real_openat(dirfd, path, flags, mode);
}

#define MODE_ARG(flags, mode)                                                   \
        do {                                                                    \
                va_list ap;                                                     \
                va_start(ap, flags);                                            \
                if ((flags) & (O_CREAT | __O_TMPFILE))                          \
                        mode = (mode_t) va_arg(ap, int);                        \
                va_end(ap);                                                     \
        } while (0)

int open(const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return shim_open(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return shim_open(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return shim_open(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
        mode_t mode = 0;

        MODE_ARG(flags, mode);
        return shim_open(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE's entry points for an open() whose flags are not a constant. */
int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags) {
        return shim_open(AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags) {
        return shim_open(AT_FDCWD, path, flags, 0);
}

/* The adapter number when fd is one of our adapter files, else -1. */
static long adapter_of_fd(int fd) {
        const char *dir = shim_dir();
        char link[64], target[PATH_MAX];
        size_t dl;
        ssize_t n;
        char *end;
        long bus;

        if (!dir || fd < 0)
                return -1;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return -1;
        target[n] = '\0';
        dl = strlen(dir);
        if (strncmp(target, dir, dl) != 0 || strncmp(target + dl, "/i2c-", 5) != 0)
                return -1;
        errno = 0;
        bus = strtol(target + dl + 5, &end, 10);
        return errno || *end || bus < 0 ? -1 : bus;
}

/* The script of the adapter open as fd. Returns 0 or -EIO (complained about). */
static int script_load(int fd, struct shim_script *s) {
        char text[SCRIPT_MAX + 1], *line, *save = NULL;
        unsigned lineno = 0;
        ssize_t n;

        memset(s, 0, sizeof(*s));
        n = pread(fd, text, SCRIPT_MAX, 0);
        if (n < 0 || n == SCRIPT_MAX) {
                shim_complain("cannot read the adapter file (or it is over %d bytes)", SCRIPT_MAX);
                return -EIO;
        }
        text[n] = '\0';
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned a, p, c, v;
                char word[16], opt1[16] = "", opt2[16] = "";
                int k;

                lineno++;
                *strchrnul(line, '#') = '\0';
                if (sscanf(line, "%15s", word) != 1)
                        continue;
                if (strcmp(word, "reg") == 0 &&
                    sscanf(line, "reg %i %i %i %i", &a, &p, &c, &v) == 4 && a <= 0x7f &&
                    p <= 0xff && c <= 0xff && v <= 0xffff && s->nregs < MAX_REGS) {
                        s->regs[s->nregs++] = (struct shim_reg) {
                                .addr7 = (uint8_t) a, .page = (uint8_t) p, .cmd = (uint8_t) c,
                                .value = (uint16_t) v,
                        };
                        continue;
                }
                if ((strcmp(word, "device") == 0 || strcmp(word, "nak") == 0) &&
                    (k = sscanf(line, "%*s %i %15s %15s", &a, opt1, opt2)) >= 1 && a <= 0x7f &&
                    s->ndevices < MAX_DEVICES) {
                        struct shim_device *d = &s->devices[s->ndevices++];
                        const char *opts[2] = { opt1, opt2 };

                        *d = (struct shim_device) { .addr7 = (uint8_t) a, .pages = 1,
                                                    .nak = word[0] == 'n' };
                        for (int i = 0; i < 2 && i < k - 1; i++) {
                                if (strcmp(opts[i], "pec") == 0)
                                        d->pec = true;
                                else if (sscanf(opts[i], "pages=%u", &d->pages) != 1 ||
                                         d->pages < 1 || d->pages > 255) {
                                        shim_complain("line %u: bad option \"%s\"", lineno,
                                                      opts[i]);
                                        return -EIO;
                                }
                        }
                        continue;
                }
                shim_complain("line %u: cannot parse \"%s\"", lineno, line);
                return -EIO;
        }
        return 0;
}

static const struct shim_device *device_find(const struct shim_script *s, uint8_t addr7) {
        for (size_t i = 0; i < s->ndevices; i++)
                if (s->devices[i].addr7 == addr7)
                        return &s->devices[i];
        return NULL;
}

static const struct shim_reg *reg_find(const struct shim_script *s, uint8_t addr7, uint8_t page,
                                       uint8_t cmd) {
        for (size_t i = 0; i < s->nregs; i++)
                if (s->regs[i].addr7 == addr7 && s->regs[i].page == page && s->regs[i].cmd == cmd)
                        return &s->regs[i];
        return NULL;
}

/* Under lock: the selected page of (bus, addr7), created at 0. */
static uint8_t *page_of(unsigned bus, uint8_t addr7) {
        for (size_t i = 0; i < npages; i++)
                if (pages[i].bus == bus && pages[i].addr7 == addr7)
                        return &pages[i].page;
        if (npages == sizeof(pages) / sizeof(pages[0]))
                return NULL;
        pages[npages] = (struct shim_page) { .bus = bus, .addr7 = addr7 };
        return &pages[npages++].page;
}

/* One SMBus transaction against the script; 0 or -errno. */
static int smbus_transaction(const struct shim_script *s, unsigned bus, uint8_t addr7,
                             struct i2c_smbus_ioctl_data *a) {
        const struct shim_device *d = device_find(s, addr7);
        union i2c_smbus_data *data = a->data;
        const struct shim_reg *r;
        uint8_t *page, buf[3];
        size_t n;

        if (!d || d->nak)
                return -ENXIO;
        page = page_of(bus, addr7);
        if (!page)
                return -EIO;
        if (a->read_write == I2C_SMBUS_WRITE) {
                bool word = a->size == I2C_SMBUS_WORD_DATA;

                if (a->size != I2C_SMBUS_BYTE_DATA && !word)
                        return -EOPNOTSUPP;
                buf[0] = word ? (uint8_t) data->word : data->byte;
                buf[1] = (uint8_t) (data->word >> 8);
                if (a->command != 0x00)
                        return -EREMOTEIO;      /* PAGE is all this device lets you write */
                if (word && (!d->pec || pmbus_pec(addr7, 0x00, false, buf, 1) != buf[1]))
                        return -EREMOTEIO;      /* a PEC it cannot check, or a wrong one */
                if (buf[0] >= d->pages)
                        return -EREMOTEIO;
                *page = buf[0];
                return 0;
        }
        r = reg_find(s, addr7, *page, a->command);
        if (!r)
                return -EREMOTEIO;
        switch (a->size) {
        case I2C_SMBUS_BYTE_DATA:
                data->byte = (uint8_t) r->value;
                return 0;
        case I2C_SMBUS_WORD_DATA:
                data->word = r->value;
                return 0;
        case I2C_SMBUS_I2C_BLOCK_DATA:
                /* The length asked for is in block[0]: data bytes, then the PEC if any. */
                n = data->block[0];
                if (n < 1 || n > 3)
                        return -EOPNOTSUPP;
                buf[0] = (uint8_t) r->value;
                buf[1] = (uint8_t) (r->value >> 8);
                buf[n - 1] = d->pec ? pmbus_pec(addr7, a->command, true, buf, n - 1) : 0xFF;
                memcpy(data->block + 1, buf, n);
                return 0;
        default:
                return -EOPNOTSUPP;
        }
}

static int fail(int r) {
        errno = -r;
        return -1;
}

static int real_ioctl(int fd, unsigned long request, void *arg) {
        static int (*next)(int, unsigned long, ...);

        if (!next)
                next = (int (*)(int, unsigned long, ...)) dlsym(RTLD_NEXT, "ioctl");
        return next(fd, request, arg);
}

static int shim_ioctl(int fd, unsigned long request, void *arg) {
        struct shim_script script;
        long bus;
        int r;

        if (request != I2C_SLAVE && request != I2C_SLAVE_FORCE && request != I2C_SMBUS)
                return real_ioctl(fd, request, arg);
        bus = adapter_of_fd(fd);
        if (bus < 0 || fd >= MAX_FDS)
                return real_ioctl(fd, request, arg);
        if (request != I2C_SMBUS) {
                if ((unsigned long) arg > 0x7f)
                        return fail(-EINVAL);
                slave_of_fd[fd] = (uint8_t) (unsigned long) arg;
                return 0;
        }
        if (script_load(fd, &script) < 0)
                return fail(-EIO);
        pthread_mutex_lock(&lock);
        r = smbus_transaction(&script, (unsigned) bus, slave_of_fd[fd], arg);
        pthread_mutex_unlock(&lock);
        return r < 0 ? fail(r) : 0;
}

int ioctl(int fd, unsigned long request, ...) {
        va_list ap;
        void *arg;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        return shim_ioctl(fd, request, arg);
}

#if __TIMESIZE == 32
/* 64-bit time_t on a 32-bit ABI: satmcd calls __ioctl_time64, Debian's libi2c plain ioctl. */
int __ioctl_time64(int fd, unsigned long request, ...);
int __ioctl_time64(int fd, unsigned long request, ...) {
        va_list ap;
        void *arg;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        return shim_ioctl(fd, request, arg);
}
#endif

/*
 * The GPIO file model, the same for either libgpiod API: the halves that fake its calls
 * (satmc-hw-shim-gpiod1.c, -gpiod2.c) keep their own structs and come here for the files.
 */
int64_t shim_gpio_now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void shim_gpio_log(const char *chip, unsigned offset, int64_t ns, const char *what) {
        const char *path = getenv("SATMC_HW_SHIM_GPIO_LOG");
        char buf[160];
        int fd, n;

        if (!path || !*path)
                return;
        n = snprintf(buf, sizeof(buf), "%lld %s %u %s\n", (long long) ns, chip, offset, what);
        fd = real_openat(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                shim_complain("cannot open the GPIO log %s: %s", path, strerror(errno));
                return;
        }
        if (n > 0)
                (void) !write(fd, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
        close(fd);
}

void shim_gpio_chip_label(const char *chip, char *buf, size_t size) {
        const char *dir = shim_dir();
        char path[PATH_MAX];
        ssize_t n = -1;
        int fd;

        if (dir && (size_t) snprintf(path, sizeof(path), "%s/gpio/%s/label", dir, chip) <
                   sizeof(path)) {
                fd = real_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
                if (fd >= 0) {
                        n = read(fd, buf, size - 1);
                        close(fd);
                }
        }
        if (n <= 0) {
                snprintf(buf, size, "%s", chip);
                return;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

int shim_gpio_chip_by_label(const char *label, char *chip, size_t size) {
        const char *top = shim_dir();
        char path[PATH_MAX];
        struct dirent *d;
        DIR *dir;

        errno = ENOENT;
        if (!top || (size_t) snprintf(path, sizeof(path), "%s/gpio", top) >= sizeof(path))
                return -1;
        dir = opendir(path);
        if (!dir)
                return -1;
        while ((d = readdir(dir))) {
                char l[64];

                if (d->d_name[0] == '.')
                        continue;
                shim_gpio_chip_label(d->d_name, l, sizeof(l));
                if (strcmp(l, label) == 0 && (size_t) snprintf(chip, size, "%s", d->d_name) < size) {
                        closedir(dir);
                        return 0;
                }
        }
        closedir(dir);
        errno = ENOENT;
        return -1;
}

/* scandir("/dev") lists the shim's chips, the directories of DIR/gpio, as if they were the
 * machine's /dev/gpiochipN: satmcd's libgpiod 2 back end looks there for a chip named by its
 * label. Every other directory is the real one. scandir64 too: a 32-bit build with
 * _FILE_OFFSET_BITS=64 calls that one. */
static const char *scandir_path(const char *path, char *buf, size_t size) {
        const char *top = shim_dir();

        if (top && strcmp(path, "/dev") == 0 && (size_t) snprintf(buf, size, "%s/gpio", top) < size)
                return buf;
        return path;
}

int scandir(const char *path, struct dirent ***namelist, int (*filter)(const struct dirent *),
            int (*compar)(const struct dirent **, const struct dirent **)) {
        static int (*next)(const char *, struct dirent ***, int (*)(const struct dirent *),
                           int (*)(const struct dirent **, const struct dirent **));
        char buf[PATH_MAX];

        if (!next)
                next = (__typeof__(next)) dlsym(RTLD_NEXT, "scandir");
        return next(scandir_path(path, buf, sizeof(buf)), namelist, filter, compar);
}

int scandir64(const char *path, struct dirent64 ***namelist,
              int (*filter)(const struct dirent64 *),
              int (*compar)(const struct dirent64 **, const struct dirent64 **)) {
        static int (*next)(const char *, struct dirent64 ***, int (*)(const struct dirent64 *),
                           int (*)(const struct dirent64 **, const struct dirent64 **));
        char buf[PATH_MAX];

        if (!next)
                next = (__typeof__(next)) dlsym(RTLD_NEXT, "scandir64");
        return next(scandir_path(path, buf, sizeof(buf)), namelist, filter, compar);
}

bool shim_gpio_line_exists(const char *chip_dir, unsigned offset) {
        char path[PATH_MAX + 16];

        snprintf(path, sizeof(path), "%s/%u", chip_dir, offset);
        return access(path, F_OK) == 0;
}

int shim_gpio_level(const char *chip_dir, unsigned offset) {
        char path[PATH_MAX + 16], buf[8] = "";
        FILE *f;

        snprintf(path, sizeof(path), "%s/%u", chip_dir, offset);
        f = fopen(path, "re");
        if (!f)
                return -1;
        if (!fgets(buf, sizeof(buf), f) || (buf[0] != '0' && buf[0] != '1')) {
                fclose(f);
                errno = EIO;
                return -1;
        }
        fclose(f);
        return buf[0] == '1';
}

int shim_gpio_drive(const char *chip_dir, unsigned offset, int level) {
        char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%u", chip_dir, offset);
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        f = fopen(tmp, "we");
        if (!f)
                return -1;
        fprintf(f, "%d\n", level != 0);
        if (fclose(f) != 0 || rename(tmp, path) < 0)
                return -1;
        return 0;
}

int shim_gpio_watch(const char *chip_dir) {
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

        if (fd < 0)
                return -1;
        /* A copy renamed over the line's file (the tests' way) or a write in place. */
        if (inotify_add_watch(fd, chip_dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
                int e = errno;

                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

int shim_gpio_take_writes(int fd, const unsigned *offsets, unsigned *writes, size_t n) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t got;

        while ((got = read(fd, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + got;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;

                        for (size_t i = 0; ev->len > 0 && i < n; i++) {
                                char name[16];

                                snprintf(name, sizeof(name), "%u", offsets[i]);
                                if (strcmp(ev->name, name) == 0)
                                        writes[i]++;
                        }
                        p += sizeof(*ev) + ev->len;
                }
        return got < 0 && errno != EAGAIN ? -1 : 0;
}
