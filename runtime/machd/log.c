/* machd logging: stderr lines prefixed "machd: ", or syslog. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static bool log_to_syslog;
static bool log_verbose;

void machd_log_init(bool use_syslog, bool verbose) {
    log_to_syslog = use_syslog;
    log_verbose = verbose;
    if (use_syslog)
        openlog("machd", LOG_PID, LOG_DAEMON);
}

void machd_log(int priority, const char *fmt, ...) {
    if (priority >= LOG_INFO && !log_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (log_to_syslog) {
        vsyslog(priority, fmt, ap);
    } else {
        fputs("machd: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}
