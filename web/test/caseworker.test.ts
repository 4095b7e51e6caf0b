import { describe, expect, it } from 'vitest';
import {
  addDays, addMonths, formatRupiahExact, newIdempotencyKey, nextPoll, parseRupiah, provinceMonth, provinceToday
} from '../src/pages/caseworker/values';
import { monthStates, paidMonths } from '../src/pages/caseworker/months';
import type { CaseHistory } from '../src/api/types';

const plain = (text: string) => text.replace(/\u00a0/g, ' ');

describe('the caseworker forms\' values', () => {
  it('reads Rupiah as people type it and writes it back in full', () => {
    expect(parseRupiah('16.800')).toBe(16_800);
    expect(parseRupiah('Rp 2.500.000')).toBe(2_500_000);
    expect(parseRupiah('  ')).toBeUndefined();
    expect(plain(formatRupiahExact(2_500_000, 'id'))).toBe('Rp 2.500.000');
    expect(plain(formatRupiahExact(16_800, 'en'))).toBe('Rp 16,800');
  });

  it('takes today and this month in Bengkulu, whatever the browser\'s zone', () => {
    // 23:30 UTC on 30 November is already 1 December in Jakarta (UTC+7).
    const late = new Date('2026-11-30T23:30:00Z');
    expect(provinceToday(late)).toBe('2026-12-01');
    expect(provinceMonth(late)).toBe('2026-12');
  });

  it('moves months and days across years', () => {
    expect(addMonths('2026-11', 3)).toBe('2027-02');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });

  it('backs off while polling, to at most five seconds', () => {
    const delays: number[] = [];
    let delay: number | undefined;
    for (let i = 0; i < 10; i++) delays.push(delay = nextPoll(delay));
    expect(delays.slice(0, 3)).toEqual([500, 750, 1125]);
    expect(Math.max(...delays)).toBe(5000);
  });

  it('makes a new idempotency key each time, of visible ASCII within 100 characters', () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(/^[!-~]{1,100}$/);
    expect(newIdempotencyKey()).not.toBe(a);
  });
});

describe('payment months', () => {
  const history = (months: [string, boolean][]) => ({
    caseId: 'c', events: months.map(([month, budget], i) => ({
      sequence: i, version: i, type: 'premium_paid', timestamp: '', effectiveAt: '', user: '', userName: '', correlationId: '', causationId: '', hash: '',
      data: { month, amount: 16_800, paidOn: `${month}-05`, budgetId: budget ? 'b' : null }
    }))
  }) as unknown as CaseHistory;

  it('marks months paid, unpaid before this month, due this month', () => {
    const view = { subsidy: null, enrolmentEffectiveDate: '2026-07-15' };
    const states = monthStates(view, paidMonths(history([['2026-07', false], ['2026-09', false]])), '2026-11');
    expect(states.map(s => `${s.month} ${s.state}`)).toEqual([
      '2026-07 paid', '2026-08 unpaid', '2026-09 paid', '2026-10 unpaid', '2026-11 due'
    ]);
    expect(states[0].payment).toEqual({ amount: 16_800, paidOn: '2026-07-05', byBudget: false });
  });

  it('counts from the subsidy\'s start and shows its later months as scheduled', () => {
    const view = {
      enrolmentEffectiveDate: '2025-03-01',
      subsidy: { payer: 'APBD_REGENCY' as const, budgetYear: 2026, startMonth: '2026-10', months: 3, monthlyPremium: 16_800 }
    };
    const states = monthStates(view, paidMonths(history([['2026-10', true]])), '2026-11');
    expect(states.map(s => `${s.month} ${s.state}`)).toEqual(['2026-10 paid', '2026-11 due', '2026-12 scheduled']);
    expect(states[0].payment?.byBudget).toBe(true);
  });

  it('shows nothing before enrolment', () => {
    expect(monthStates({ subsidy: null, enrolmentEffectiveDate: null }, new Map(), '2026-11')).toEqual([]);
  });
});

describe('the caseworker\'s texts', () => {
  it('say the same under a key another part uses too, so that neither overrides the other in the shared tables', async () => {
    const { id, en } = await import('../src/i18n/messages');
    const { caseworkerId, caseworkerEn } = await import('../src/i18n/caseworker');
    const { planAuditId, planAuditEn } = await import('../src/i18n/planaudit');
    for (const [table, part] of [[id, caseworkerId], [en, caseworkerEn], [id, planAuditId], [en, planAuditEn]] as const)
      for (const [key, value] of Object.entries(part))
        expect((table as Record<string, unknown>)[key], key).toEqual(value);
  });
});
