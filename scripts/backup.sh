#!/bin/sh
# Back up this Pincer installation (config, sessions, token, stores, agent workspace) and delete
# archives older than KEEP_DAYS. Cron-friendly: it prints the archive's path and size, writes
# warnings to stderr, and exits with `pincer backup create`'s code (0 ok, 1 failure).
#
# A crontab line (daily at 03:17, keep 30 days, archives outside the state directory):
#
#   17 3 * * * BACKUP_DIR=$HOME/pincer-backups KEEP_DAYS=30 /opt/pincer/scripts/backup.sh >>$HOME/pincer-backup.log 2>&1
#
# Environment:
#   BACKUP_DIR  where archives go (default: pincer's own <state dir>/backups)
#   KEEP_DAYS   delete pincer-backup-*.tar.gz there older than this many days (default 30)
#   PINCER      the pincer binary (default: `pincer` on PATH)
#   PINCER_HOME, PINCER_CONFIG, PINCER_STATE_DIR select the installation, as for pincer itself.
# Extra arguments are passed on, e.g. `backup.sh --no-workspace`.
# Check an archive with `pincer backup verify FILE`; restore with `pincer backup restore FILE`.
set -eu

PINCER="${PINCER:-pincer}"
KEEP_DAYS="${KEEP_DAYS:-30}"

if [ -n "${BACKUP_DIR:-}" ]; then
    exec "$PINCER" backup create --keep-days "$KEEP_DAYS" --out "$BACKUP_DIR" "$@"
fi
exec "$PINCER" backup create --keep-days "$KEEP_DAYS" "$@"
