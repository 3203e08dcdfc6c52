/* SPDX-License-Identifier: MIT */
/*
 * The power-cut shim's log (tests/powercut/powercut-shim.c, read by powercut_replay.py): one
 * record per filesystem mutation under the watched directory, in the order the calls returned.
 * A record is this header, then name, name2 and data (no terminators, no padding). Everything
 * is in host byte order; the replay tool reads it on the machine that wrote it.
 *
 * Files are named by inode number, not by path: paths change (rename, link, O_TMPFILE), inodes
 * do not, and the replay tool needs to know which data an fsync made durable. A number can be
 * reused after an unlink; the replay tool treats every "created" record as a new file.
 */
#pragma once

#include <stdint.h>

enum pc_op {
        PC_OP_OPEN = 1,         /* fd, ino, dir/name, arg = open flags; PC_F_CREATED, PC_F_TMPFILE */
        PC_OP_WRITE,            /* ino, off, data (write, pwrite, writev, pwritev) */
        PC_OP_TRUNCATE,         /* ino, off = new length (ftruncate) */
        PC_OP_FSYNC,            /* ino (file or directory) */
        PC_OP_FDATASYNC,        /* ino */
        PC_OP_SYNCFS,           /* ino of the fd it was given: the whole filesystem */
        PC_OP_SYNC,             /* everything */
        PC_OP_CLOSE,            /* fd, ino */
        PC_OP_RENAME,           /* ino moved from dir/name to dir2/name2, ino2 it replaced (0 if
                                 * none), arg = renameat2 flags */
        PC_OP_LINK,             /* ino gets the new name dir2/name2, arg = linkat flags */
        PC_OP_UNLINK,           /* dir/name (naming ino) removed; arg = AT_REMOVEDIR for rmdir */
        PC_OP_MKDIR,            /* directory ino created as dir/name */
        PC_OP_UNSUPPORTED,      /* a mutation the shim cannot follow (stdio opened for writing):
                                 * name says which; the replay tool refuses the log */
};

enum {
        PC_F_CREATED = 1 << 0,  /* OPEN: O_CREAT made a new file */
        PC_F_TMPFILE = 1 << 1,  /* OPEN: O_TMPFILE, a file without a name in dir */
};

struct pc_record {
        uint32_t size;          /* the whole record: header, name, name2, data */
        uint16_t op;            /* enum pc_op */
        uint16_t flags;         /* PC_F_* */
        uint64_t time_ns;       /* CLOCK_MONOTONIC when the call had returned */
        int32_t fd;
        int32_t arg;
        uint64_t ino;
        uint64_t ino2;
        uint64_t dir;           /* inode of the directory holding name */
        uint64_t dir2;          /* inode of the directory holding name2 */
        int64_t off;
        uint32_t name_len;
        uint32_t name2_len;
        uint64_t data_len;
        uint32_t tid;
        uint32_t reserved;
};

_Static_assert(sizeof(struct pc_record) == 88, "the replay tool reads 88-byte headers");
