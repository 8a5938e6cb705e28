/**
 * How every message states sizes, durations and counts, so that one report never says "40.0 MB"
 * in one finding and "40 MiB" in the next.
 */

const BYTE_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1073741824 → "1 GiB", 50331648 → "48 MiB", 2867 → "2.8 KiB": binary units, as PostgreSQL's own size settings count. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = unit === 0 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${rounded} ${BYTE_UNITS[unit]}`;
}

/** A duration in the unit a reader thinks in: "0.4 ms", "301 ms", "1.2 s", "3 min", "2.5 h". */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/** 300000 → "300 thousand", 2000000 → "2.0 million": production row counts are estimates, said as such. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} billion`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} million`;
  return n >= 1e4 ? `${Math.round(n / 1e3)} thousand` : String(n);
}
