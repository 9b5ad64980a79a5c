/**
 * The database's time windows, in one place (UTC): the RDS automated-backup window, the RDS maintenance
 * window and the AWS Backup schedules, with the rule that keeps them apart:
 * - RDS: the backup window cannot overlap the maintenance window (RDS User Guide, "Managing automated
 *   backups": "The backup window can't overlap with the weekly maintenance window");
 * - AWS Backup does not start a backup of a database service one hour before or during its maintenance
 *   window (AWS Backup Developer Guide, "Backup plan options and configuration"): a job whose start window
 *   touches that band is skipped or delayed, silently on the week it happens.
 * `windowConflicts()` checks every schedule against both windows; a test keeps it empty.
 */

/** RDS automated backups (PITR base), daily. */
export const DB_BACKUP_WINDOW = { start: "02:00", end: "03:00" };
/** RDS maintenance (minor version upgrades), weekly. */
export const DB_MAINTENANCE_WINDOW = { day: "sun", start: "03:30", end: "04:30" };

/** AWS Backup rules: when each starts (cron) and how long a job may take to start and to complete. */
export const BACKUP_SCHEDULES = {
  daily: { cron: "cron(0 5 * * ? *)", days: "*", hour: 5, startWindowMinutes: 60, completionWindowMinutes: 240 },
  weekly: { cron: "cron(0 6 ? * SUN *)", days: "sun", hour: 6, startWindowMinutes: 60, completionWindowMinutes: 240 },
  monthly: { cron: "cron(0 7 1 * ? *)", days: "1st", hour: 7, startWindowMinutes: 60, completionWindowMinutes: 240 },
} as const;

export function rdsMaintenanceWindow(): string {
  const w = DB_MAINTENANCE_WINDOW;
  return `${w.day}:${w.start}-${w.day}:${w.end}`;
}

export function rdsBackupWindow(): string {
  return `${DB_BACKUP_WINDOW.start}-${DB_BACKUP_WINDOW.end}`;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

/** Every way the windows collide (empty: none). A schedule may run on a Sunday unless it is monthly-only. */
export function windowConflicts(
  w: {
    backup: { start: string; end: string };
    maintenance: { start: string; end: string };
    schedules: Record<string, { hour: number; startWindowMinutes: number }>;
  } = { backup: DB_BACKUP_WINDOW, maintenance: DB_MAINTENANCE_WINDOW, schedules: BACKUP_SCHEDULES },
): string[] {
  const out: string[] = [];
  const maintenance: [number, number] = [minutes(w.maintenance.start), minutes(w.maintenance.end)];
  const backup: [number, number] = [minutes(w.backup.start), minutes(w.backup.end)];
  if (overlaps(backup, maintenance)) out.push("the RDS backup window overlaps the maintenance window");
  for (const [name, s] of Object.entries(w.schedules)) {
    const start: [number, number] = [s.hour * 60, s.hour * 60 + s.startWindowMinutes];
    // "1st" can fall on a Sunday too: every schedule is checked against the Sunday band.
    if (overlaps(start, [maintenance[0] - 60, maintenance[1]]))
      out.push(`AWS Backup ${name} may start within an hour before or during the RDS maintenance window`);
    if (overlaps(start, backup)) out.push(`AWS Backup ${name} may start during the RDS backup window`);
  }
  return out;
}
