import type { CaseHistory, CaseView } from '../../api/types';
import { addMonths } from './values';

export interface PaidMonth { amount: number; paidOn: string; byBudget: boolean }

/** The months paid, from the history's premium_paid events (month YYYY-MM -> payment), in month order. */
export function paidMonths(history: CaseHistory | undefined): Map<string, PaidMonth> {
  const paid: [string, PaidMonth][] = [];
  for (const event of history?.events ?? []) {
    if (event.type !== 'premium_paid' || typeof event.data !== 'object' || event.data === null) continue;
    const data = event.data as { month?: string; amount?: number; paidOn?: string; budgetId?: string | null };
    if (data.month) paid.push([data.month, { amount: Number(data.amount ?? 0), paidOn: data.paidOn ?? '', byBudget: !!data.budgetId }]);
  }
  return new Map(paid.sort(([a], [b]) => a.localeCompare(b)));
}

export type MonthState = 'paid' | 'due' | 'unpaid' | 'scheduled';

/**
 * Each month from the first that fell due (the subsidy's start, else the enrolment's effective month) to this month,
 * or to the subsidy's last month: paid, due (this month, unpaid), unpaid (an earlier month) or scheduled (a later
 * month the subsidy reserved). Pure, for the page and its tests; the last `limit` months only.
 */
export function monthStates(view: Pick<CaseView, 'subsidy' | 'enrolmentEffectiveDate'>, paid: Map<string, PaidMonth>,
  thisMonth: string, limit = 24): { month: string; state: MonthState; payment?: PaidMonth }[] {
  const dueFrom = view.subsidy?.startMonth ?? view.enrolmentEffectiveDate?.slice(0, 7);
  if (!dueFrom) return [];
  const subsidyEnd = view.subsidy ? addMonths(view.subsidy.startMonth, Number(view.subsidy.months) - 1) : undefined;
  const firstPaid = [...paid.keys()][0];
  const lastPaid = [...paid.keys()].at(-1);
  const from = firstPaid && firstPaid < dueFrom ? firstPaid : dueFrom;
  const to = [thisMonth, subsidyEnd, lastPaid].filter((m): m is string => !!m).sort().at(-1)!;
  const months: { month: string; state: MonthState; payment?: PaidMonth }[] = [];
  for (let m = from; m <= to; m = addMonths(m, 1)) {
    const payment = paid.get(m);
    if (payment) months.push({ month: m, state: 'paid', payment });
    else if (m < dueFrom) continue;
    else if (m < thisMonth) months.push({ month: m, state: 'unpaid' });
    else if (m === thisMonth) months.push({ month: m, state: 'due' });
    else if (subsidyEnd && m <= subsidyEnd) months.push({ month: m, state: 'scheduled' });
  }
  return months.slice(-limit);
}

