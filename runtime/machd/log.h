/* machd logging: one call for every message, to stderr or syslog, filtered by a level. */
#ifndef MACHD_LOG_H
#define MACHD_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Chooses the destination and the most verbose priority shown (LOG_ERR ... LOG_DEBUG; the
 * default is LOG_NOTICE). With use_syslog, messages go to syslog (facility LOG_DAEMON, ident
 * "machd") when /dev/log answers; otherwise they go to stderr, after one warning saying so, and
 * machd_log_init returns false. On stderr, a line is "machd: <message>", or "<N>machd: ..." with
 * the syslog priority N when stderr is the systemd journal ($JOURNAL_STREAM), so the journal
 * keeps priorities. May be called again (the daemon switches to syslog once detached). */
bool machd_log_init(bool use_syslog, int level);

/* LOG_ERR ... LOG_DEBUG for "error", "warning", "notice", "info", "debug"; -1 otherwise. */
int machd_log_level_parse(const char *name);

/* Whether messages of this priority are shown. */
bool machd_log_enabled(int priority);

/* Logs one line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG). */
void machd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
