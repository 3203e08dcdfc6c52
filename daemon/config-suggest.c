/* SPDX-License-Identifier: MIT */
/*
 * "Did you mean": the key of a section closest to a misspelt one, by edit distance
 * (insertions, deletions and substitutions, one each), so that "loglevel" points at "log-level".
 */
#include <string.h>

#include "config-parse.h"
#include "macro.h"

/* Key names are short (the longest is under 40 characters); a longer name matches nothing. */
#define SUGGEST_NAME_MAX 64

static size_t edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        size_t row[SUGGEST_NAME_MAX + 1];

        if (la > SUGGEST_NAME_MAX || lb > SUGGEST_NAME_MAX)
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diagonal = row[0];

                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t above = row[j];
                        size_t best = diagonal + (a[i - 1] != b[j - 1]);

                        if (above + 1 < best)
                                best = above + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diagonal = above;
                }
        }
        return row[lb];
}

const char *config_suggest_key(const struct config_key *keys, size_t n_keys, const char *section,
                               const char *name) {
        const char *best = NULL;
        size_t best_distance = SIZE_MAX;
        /* At most a third of the name wrong: "bogus" suggests nothing rather than "mode". */
        size_t limit = strlen(name) / 3 > 0 ? strlen(name) / 3 : 1;

        for (size_t i = 0; i < n_keys; i++) {
                size_t d;

                if (section && strcmp(keys[i].section, section) != 0)
                        continue;
                d = edit_distance(name, keys[i].name);
                if (d <= limit && d < best_distance) {
                        best = keys[i].name;
                        best_distance = d;
                }
        }
        return best;
}
