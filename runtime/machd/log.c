/* machd logging: stderr lines prefixed "machd: " (with a journal priority prefix under systemd),
 * or syslog when /dev/log answers. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static bool log_to_syslog;
static bool log_journal_prefix;
static int log_level = LOG_NOTICE;

static const char *const level_names[] = {
    [LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
    [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int machd_log_level_parse(const char *name) {
    for (int i = 0; i < (int)(sizeof level_names / sizeof level_names[0]); i++)
        if (level_names[i] && strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

/* Whether a syslog daemon listens at /dev/log (what syslog(3) writes to). Without one, syslog(3)
 * drops every message silently. */
static bool syslog_available(void) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
    static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
    for (int i = 0; i < 2; i++) {
        int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        bool ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
        close(fd);
        if (ok)
            return true;
    }
    return false;
}

/* systemd sets JOURNAL_STREAM=<dev>:<ino> of the stream it connected to stderr. */
static bool stderr_is_journal(void) {
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool machd_log_init(bool use_syslog, int level) {
    log_level = level;
    log_journal_prefix = stderr_is_journal();
    if (log_to_syslog && !use_syslog)
        closelog();
    log_to_syslog = false;
    if (!use_syslog)
        return true;
    if (!syslog_available()) {
        machd_log(LOG_WARNING, "syslog is unavailable (nothing answers at /dev/log): logging to stderr");
        return false;
    }
    openlog("machd", LOG_PID, LOG_DAEMON);
    log_to_syslog = true;
    return true;
}

bool machd_log_enabled(int priority) { return priority <= log_level; }

void machd_log(int priority, const char *fmt, ...) {
    if (!machd_log_enabled(priority))
        return;
    va_list ap;
    va_start(ap, fmt);
    if (log_to_syslog) {
        vsyslog(priority, fmt, ap);
    } else {
        /* One write per line, so lines of concurrent writers do not interleave. */
        char line[1024];
        int n = log_journal_prefix ? snprintf(line, sizeof line, "<%d>machd: ", priority)
                                   : snprintf(line, sizeof line, "machd: ");
        size_t room = sizeof line - (size_t)n - 1; /* one byte kept for the newline */
        int m = vsnprintf(line + n, room, fmt, ap);
        size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m < room ? (size_t)m : room - 1);
        line[len++] = '\n';
        if (write(STDERR_FILENO, line, len) < 0) {
            /* Nowhere left to say it. */
        }
    }
    va_end(ap);
}
