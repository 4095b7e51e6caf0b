import { describe, expect, it } from 'vitest';
import { formatDate, formatMonth, formatPercent, formatRupiah } from '../src/format';

const plain = (text: string) => text.replace(/\u00a0/g, ' ');

describe('Indonesian formatting', () => {
  it('writes large Rupiah sums in words as Indonesians do', () => {
    expect(plain(formatRupiah(1_700_000_000, 'id'))).toBe('Rp 1,7 miliar');
    expect(plain(formatRupiah(250_000_000, 'id'))).toBe('Rp 250 juta');
    expect(plain(formatRupiah(16_800, 'id'))).toBe('Rp 16.800');
    expect(plain(formatRupiah(-2_500_000, 'id'))).toBe('−Rp 2,5 juta');
  });

  it('writes them in English on request', () => {
    expect(plain(formatRupiah(1_700_000_000, 'en'))).toBe('Rp 1.7 billion');
  });

  it('writes days as "28 Nov 2026", an instant as its day in Bengkulu', () => {
    expect(formatDate('2026-11-28', 'id')).toBe('28 Nov 2026');
    expect(formatDate('2026-08-17', 'id')).toBe('17 Agu 2026');
    // 20:00 UTC is 03:00 the next day in Asia/Jakarta.
    expect(formatDate('2026-11-27T20:00:00Z', 'id')).toBe('28 Nov 2026');
    expect(formatMonth('2026-05', 'id')).toBe('Mei 2026');
  });

  it('writes coverage as whole percentages, and none without a target', () => {
    expect(formatPercent(0.3702, 'id')).toBe('37%');
    expect(formatPercent(0.7499, 'id')).toBe('75%');
    expect(formatPercent(null, 'id')).toBe('–');
  });
});
