/* SPDX-License-Identifier: MIT */
/*
 * Stand-in for libFuzzer's main(): feeds every file under the given directories (or the given
 * files) to LLVMFuzzerTestOneInput() once. Linked with each fuzz target in the normal build so
 * the corpora run as ordinary tests under gcc, valgrind and ASan alike. An empty corpus is an
 * error: a replay that runs nothing proves nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        FILE *f = fopen(path, "re");
        uint8_t *buf = NULL;
        long size;
        int r = 0;

        if (!f) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -errno;
        }
        if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
                r = -errno;
                goto out;
        }
        /* Exactly size bytes, so ASan catches a target reading one past the end. */
        buf = malloc(size > 0 ? (size_t) size : 1);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        if (size > 0 && fread(buf, 1, (size_t) size, f) != (size_t) size) {
                r = -EIO;
                goto out;
        }
        LLVMFuzzerTestOneInput(buf, (size_t) size);
out:
        if (r < 0)
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
        free(buf);
        fclose(f);
        return r;
}

static int replay_dir(const char *dir, unsigned *n) {
        struct dirent **entries;
        int count, r = 0;

        /* Sorted, so a failure is reported at the same input on every machine. */
        count = scandir(dir, &entries, NULL, alphasort);
        if (count < 0) {
                fprintf(stderr, "%s: %s\n", dir, strerror(errno));
                return -errno;
        }
        for (int i = 0; i < count; i++) {
                char path[4096];
                struct stat st;

                if (entries[i]->d_name[0] != '.' && r == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
                        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                                r = replay_file(path);
                                (*n)++;
                        }
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

int main(int argc, char **argv) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                        return EXIT_FAILURE;
                }
                if (S_ISDIR(st.st_mode))
                        r = replay_dir(argv[i], &n);
                else {
                        r = replay_file(argv[i]);
                        n++;
                }
                if (r < 0)
                        return EXIT_FAILURE;
        }
        if (n == 0) {
                fprintf(stderr, "no inputs to replay\n");
                return EXIT_FAILURE;
        }
        printf("replayed %u inputs\n", n);
        return EXIT_SUCCESS;
}
