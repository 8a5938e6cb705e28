import { formatBytes, formatCount, formatDuration } from './format.js';

describe('format', () => {
  it('states sizes in binary units, a decimal only where it says something', () => {
    expect(formatBytes(1024 ** 3)).toBe('1 GiB');
    expect(formatBytes(48 * 1024 ** 2)).toBe('48 MiB');
    expect(formatBytes(1.5 * 1024)).toBe('1.5 KiB');
    expect(formatBytes(2867)).toBe('2.8 KiB');
    expect(formatBytes(40 * 1024 ** 2 + 10)).toBe('40 MiB');
    expect(formatBytes(100)).toBe('100 bytes');
  });

  it('states durations in the unit a reader thinks in', () => {
    expect(formatDuration(0.42)).toBe('0.4 ms');
    expect(formatDuration(301.2)).toBe('301 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(95_000)).toBe('95 s');
    expect(formatDuration(180_000)).toBe('3 min');
    expect(formatDuration(9_000_000)).toBe('2.5 h');
  });

  it('states row counts as the estimates they are', () => {
    expect([formatCount(200), formatCount(300_000), formatCount(2_000_000), formatCount(3e9)]).toEqual(['200', '300 thousand', '2.0 million', '3.0 billion']);
  });
});
