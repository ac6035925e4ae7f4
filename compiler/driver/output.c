// All-or-nothing writing of the generated files: temporaries next to each destination, then
// renames once every temporary is complete. An existing destination is first compared with the
// output as it is produced; its temporary is only made (with the equal part copied into it) at
// the first difference, and a destination that turns out the same is kept: creating a file and
// deleting the old one is most of the kernel's work in compiling a small interface (on ext4,
// allocating an inode skips every one freed in the last minutes).
#define _GNU_SOURCE // renameat2 (Linux); POSIX otherwise
#include "driver/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool output_is_discarded(const char *path) {
    return strcmp(path, "/dev/null") == 0;
}

static char *copy_bytes(const char *data, size_t len) {
    char *copy = malloc(len + 1);
    if (copy) {
        if (len)
            memcpy(copy, data, len);
        copy[len] = '\0';
    }
    return copy;
}

static bool write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

// Creates the temporary "<dir>/.<base>.tmp<pid>.<k>.<attempt>" next to f->path and opens it in
// f->fd. Returns 0 or an errno value.
static int create_temporary(struct output_file *f) {
    const char *slash = strrchr(f->path, '/');
    size_t dir_len = slash ? (size_t)(slash - f->path) + 1 : 0;
    const char *base = f->path + dir_len;
    size_t cap = strlen(f->path) + 64;
    f->temp = malloc(cap);
    if (!f->temp)
        return ENOMEM;
    for (unsigned attempt = 0;; attempt++) {
        snprintf(f->temp, cap, "%.*s.%s.tmp%ld.%zu.%u", (int)dir_len, f->path, base,
                 (long)getpid(), f->index, attempt);
        f->fd = open(f->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (f->fd < 0 && errno == EEXIST && attempt < 100)
            continue;
        if (f->fd < 0) {
            int err = errno;
            free(f->temp);
            f->temp = NULL;
            return err;
        }
        return 0;
    }
}

// Prepares f->path: a regular file that exists and can be read is compared with the output as it
// is produced (f->old_fd); a missing one gets its temporary at once; a non-regular one is marked
// direct (kept in memory). Returns 0 or an errno value.
static int open_output(struct output_file *f) {
    struct stat st;
    bool exists = stat(f->path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return EISDIR;
    f->direct = strcmp(f->path, "-") == 0 || (exists && !S_ISREG(st.st_mode));
    if (f->direct)
        return 0;
    f->existed = exists;
    if (exists) {
        f->old_fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (f->old_fd >= 0) {
            f->old_size = (size_t)st.st_size;
            return 0;
        }
    }
    return create_temporary(f);
}

// While comparing: true when the `len` bytes at `data` are the destination's next ones.
static bool same_as_old(const struct output_file *f, const char *data, size_t len) {
    if (len > f->old_size - f->same)
        return false;
    char buf[16384];
    for (size_t done = 0; done < len;) {
        size_t want = len - done < sizeof buf ? len - done : sizeof buf;
        ssize_t got = pread(f->old_fd, buf, want, (off_t)(f->same + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || memcmp(buf, data + done, (size_t)got) != 0)
            return false;
        done += (size_t)got;
    }
    return true;
}

// Stops comparing: creates the temporary and copies the destination's first f->same bytes (the
// output so far) into it. Returns 0 or an errno value.
static int stop_comparing(struct output_file *f) {
    int old = f->old_fd;
    f->old_fd = -1;
    int err = create_temporary(f);
    char buf[16384];
    for (size_t done = 0; !err && done < f->same;) {
        size_t want = f->same - done < sizeof buf ? f->same - done : sizeof buf;
        ssize_t got = pread(old, buf, want, (off_t)done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            err = got < 0 ? errno : EIO; // the destination shrank under us
        else if (!write_all(f->fd, buf, (size_t)got))
            err = errno ? errno : EIO;
        else
            done += (size_t)got;
    }
    close(old);
    return err;
}

size_t output_begin(struct output_set *set, const char *path) {
    if (output_is_discarded(path))
        return OUTPUT_DISCARDED;
    struct output_file *grown = realloc(set->files, (set->count + 1) * sizeof *grown);
    if (!grown)
        abort();
    set->files = grown;
    size_t index = set->count++;
    struct output_file *f = &set->files[index];
    *f = (struct output_file){.fd = -1, .old_fd = -1, .index = index};
    f->path = copy_bytes(path, strlen(path));
    if (!f->path)
        abort();
    f->error = open_output(f);
    return index;
}

void output_write(struct output_set *set, size_t index, const char *data, size_t len) {
    if (index == OUTPUT_DISCARDED || len == 0)
        return;
    struct output_file *f = &set->files[index];
    if (f->error)
        return;
    if (f->old_fd >= 0) {
        if (same_as_old(f, data, len)) {
            f->same += len;
            return;
        }
        f->error = stop_comparing(f);
        if (f->error)
            return;
    }
    if (!f->direct) {
        if (!write_all(f->fd, data, len))
            f->error = errno ? errno : EIO;
        return;
    }
    char *grown = realloc(f->data, f->len + len + 1);
    if (!grown)
        abort();
    memcpy(grown + f->len, data, len);
    f->len += len;
    grown[f->len] = '\0';
    f->data = grown;
}

void output_stream_write(void *ctx, const char *data, size_t len) {
    struct output_stream *stream = ctx;
    output_write(stream->set, stream->index, data, len);
}

void output_end(struct output_set *set, size_t index) {
    if (index == OUTPUT_DISCARDED)
        return;
    struct output_file *f = &set->files[index];
    if (f->old_fd >= 0 && f->same != f->old_size && !f->error)
        f->error = stop_comparing(f); // the output is shorter than the destination
    if (f->fd >= 0) {
        if (close(f->fd) != 0 && !f->error)
            f->error = errno;
        f->fd = -1;
    }
}

bool output_add(struct output_set *set, const char *path, const char *data, size_t len) {
    size_t index = output_begin(set, path);
    output_write(set, index, data, len);
    output_end(set, index);
    return true;
}

// Writes a non-regular destination (device, FIFO, "-" = stdout) directly. Returns 0 or errno.
static int write_in_place(const struct output_file *f) {
    bool to_stdout = strcmp(f->path, "-") == 0;
    int fd = to_stdout ? STDOUT_FILENO : open(f->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return errno;
    bool ok = write_all(fd, f->data, f->len);
    int err = ok ? 0 : errno ? errno : EIO;
    if (!to_stdout && close(fd) != 0 && ok)
        err = errno;
    return err;
}

static void remove_temporaries(struct output_set *set) {
    for (size_t i = 0; i < set->count; i++) {
        struct output_file *f = &set->files[i];
        if (f->fd >= 0) {
            close(f->fd);
            f->fd = -1;
        }
        if (f->old_fd >= 0) {
            close(f->old_fd);
            f->old_fd = -1;
        }
        if (f->temp) {
            unlink(f->temp);
            free(f->temp);
            f->temp = NULL;
        }
    }
}

// Puts the complete temporary `temp` in place of `path`, atomically (a reader sees the old file
// or the new one, never neither). Where the kernel can, the two names are exchanged and the old
// file is then unlinked, rather than renamed over: ext4 (auto_da_alloc) writes the new file's
// data out at once, synchronously, when a rename replaces a file, which was a fifth of the CPU
// time of compiling a small interface again over its previous outputs. A destination that did not
// exist (`existed` false) is renamed to at once. Returns 0 or an errno.
static int replace_file(const char *temp, const char *path, bool existed) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
    if (existed && renameat2(AT_FDCWD, temp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
        (void)unlink(temp); // now the previous output
        return 0;
    }
    // ENOENT: no previous output; EINVAL, ENOSYS...: not supported here. A plain rename does.
#else
    (void)existed;
#endif
    return rename(temp, path) == 0 ? 0 : errno;
}

// Completes an output equal to its destination: the destination stays, with its times set to now
// (as a rewrite would); where that is not allowed, it is copied to a temporary and replaced as
// usual. Returns 0 or an errno value.
static int keep_unchanged(struct output_file *f) {
    if (futimens(f->old_fd, NULL) == 0) {
        close(f->old_fd);
        f->old_fd = -1;
        return 0;
    }
    int err = stop_comparing(f);
    if (!err && close(f->fd) != 0)
        err = errno;
    f->fd = -1;
    return err ? err : replace_file(f->temp, f->path, true);
}

bool output_commit(struct output_set *set, const char **failed_path, int *error) {
    for (size_t i = 0; i < set->count; i++) {
        output_end(set, i);
        int err = set->files[i].error;
        if (err) {
            remove_temporaries(set);
            *failed_path = set->files[i].path;
            *error = err;
            return false;
        }
    }
    for (size_t i = 0; i < set->count; i++) {
        struct output_file *f = &set->files[i];
        if (f->direct) {
            int err = write_in_place(f);
            if (err) {
                *failed_path = f->path;
                *error = err;
                remove_temporaries(set);
                return false;
            }
            continue;
        }
        int err = f->old_fd >= 0 ? keep_unchanged(f) : replace_file(f->temp, f->path, f->existed);
        if (err) {
            // Only if the destination changed under us (or an unchanged one could be neither
            // touched nor copied); earlier renames stand.
            *failed_path = f->path;
            *error = err;
            remove_temporaries(set);
            return false;
        }
        free(f->temp);
        f->temp = NULL;
    }
    return true;
}

void output_free(struct output_set *set) {
    remove_temporaries(set);
    for (size_t i = 0; i < set->count; i++) {
        free(set->files[i].path);
        free(set->files[i].data);
    }
    free(set->files);
    set->files = NULL;
    set->count = 0;
}
