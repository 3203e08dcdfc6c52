/* SPDX-License-Identifier: MIT */
/* Removing the flat temporary directory a unit test made with mkdtemp() (state directories:
 * files only, no subdirectories). */
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

static inline void remove_temp_dir(const char *path) {
        DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        (void) rmdir(path);
}
