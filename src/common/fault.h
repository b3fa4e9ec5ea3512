/*
 * fault.h - I/O fault injection for tests (docs/fault-tolerance.md, "Disk full and
 * I/O errors"), compiled in the same builds as the crash points (crash.h).
 *
 * The write path of the checkpoint, the state store and the file sink (atomic file
 * creation, mkdir -p, directory fsync and removal in src/checkpoint/fs.c, and the
 * checkpoint lock in checkpoint.c) calls the file system through these wrappers
 * and their reader (sp_fs_read_all: offsets, commits, metadata, logs, state files):
 *
 *   sp_io_open   open(2)       op "open"    (files and directories opened for writing/syncing)
 *   sp_io_write  write(2)      op "write"
 *   sp_io_fsync  fsync(2)      op "fsync"   (files and directories)
 *   sp_io_close  close(2)      op "close"   (of a file that was written)
 *   sp_io_rename rename(2) / renameat2(RENAME_NOREPLACE)   op "rename"
 *   sp_io_mkdir  mkdir(2)      op "mkdir"
 *   sp_io_unlink unlink(2)     op "unlink"
 *   sp_io_read   read(2)       op "read"    (checkpoint, log and state files read back)
 *
 * A process started with
 *   SPATE_FAULT_AT=<op>:<nth>[+][:<action>][,<op>:<nth>[+][:<action>]...]   (at most 4 specs)
 * counts the calls of each op (all threads together) and makes the nth call (with
 * "+": the nth and every later call) fail without doing anything: it returns -1
 * with errno set to <action>, an errno name: ENOSPC, EDQUOT, EIO, EROFS, EFBIG,
 * EACCES, EPERM, ENOMEM, EMFILE, ENFILE, ENOENT, EEXIST, EBADF (default EIO).
 * For op "write" the action may also be "short": the call writes only the first
 * half of its bytes (at least one) and returns that short count, as a write(2) that
 * runs into a full disk does; combined with a following spec
 * (write:3:short,write:4:ENOSPC) it is the kernel's disk-full sequence.
 * Each injection writes "spate: injected fault <op>:<n> <action>" to stderr.
 * A malformed value is reported on stderr once and disarms the injection.
 *
 * When SPATE_CRASH_POINTS is off the wrappers are the plain system calls.
 */
#ifndef SPATE_COMMON_FAULT_H
#define SPATE_COMMON_FAULT_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef SPATE_CRASH_POINTS
int sp_io_open(const char *path, int flags, mode_t mode);
ssize_t sp_io_write(int fd, const void *buf, size_t n);
int sp_io_fsync(int fd);
int sp_io_close(int fd);
/* noreplace: renameat2(RENAME_NOREPLACE) (fails with EEXIST when `to` exists). */
int sp_io_rename(const char *from, const char *to, int noreplace);
int sp_io_mkdir(const char *path, mode_t mode);
int sp_io_unlink(const char *path);
ssize_t sp_io_read(int fd, void *buf, size_t n);
#else
static inline int sp_io_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }
static inline ssize_t sp_io_write(int fd, const void *buf, size_t n) { return write(fd, buf, n); }
static inline int sp_io_fsync(int fd) { return fsync(fd); }
static inline int sp_io_close(int fd) { return close(fd); }
static inline int sp_io_rename(const char *from, const char *to, int noreplace) {
  return noreplace ? renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) : rename(from, to);
}
static inline int sp_io_mkdir(const char *path, mode_t mode) { return mkdir(path, mode); }
static inline int sp_io_unlink(const char *path) { return unlink(path); }
static inline ssize_t sp_io_read(int fd, void *buf, size_t n) { return read(fd, buf, n); }
#endif

#endif
