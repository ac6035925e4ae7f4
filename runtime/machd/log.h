/* machd logging: one call for every message, to stderr or syslog. */
#ifndef MACHD_LOG_H
#define MACHD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Chooses the destination (syslog, facility LOG_DAEMON, ident "machd"; else stderr) and whether
 * LOG_INFO and LOG_DEBUG messages are shown. Call once, before any machd_log. */
void machd_log_init(bool use_syslog, bool verbose);

/* Logs one line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
void machd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
