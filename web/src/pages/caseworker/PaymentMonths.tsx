import type { CaseHistory, CaseView } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatDate, formatMonth } from '../../format';
import { formatRupiahExact, provinceMonth } from './commands';
import { monthStates, paidMonths } from './months';

export { paidMonths } from './months';

/** The payment months of an enrolled worker, the subsidy's terms, and when the membership lapses unless paid. */
export function PaymentMonths({ view, history }: { view: CaseView; history?: CaseHistory }) {
  const { t, lang } = useI18n();
  const months = monthStates(view, paidMonths(history), provinceMonth());
  if (!view.enrolmentEffectiveDate && !view.subsidy && months.length === 0) return null;
  return (
    <section aria-labelledby="months-title">
      <h2 id="months-title">{t.paymentMonths}</h2>
      {view.subsidy && <dl class="facts">
        {view.subsidy && <><dt>{t.subsidy}</dt><dd>{t.subsidyTerms(t.subsidyPayers[view.subsidy.payer] ?? view.subsidy.payer,
          formatMonth(view.subsidy.startMonth, lang), Number(view.subsidy.months), formatRupiahExact(Number(view.subsidy.monthlyPremium), lang))}</dd></>}
      </dl>}
      {months.length === 0 ? <p>{t.noPaymentMonths}</p> : (
        <ol class="months" data-testid="payment-months">
          {months.map(m => (
            <li key={m.month} class={`month month-${m.state}`} data-month={m.month} data-state={m.state}>
              <span class="month-name">{formatMonth(m.month, lang)}</span>
              <span class="month-state">{t.paymentStates[m.state]}</span>
              {m.payment && <span class="month-amount">{formatRupiahExact(m.payment.amount, lang)} · {t.paidBy[m.payment.byBudget ? 'budget' : 'worker']}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** What BPJS Ketenagakerjaan last reported on the membership, and where it disagrees with the case. */
export function InsurerFinding({ view }: { view: CaseView }) {
  const { t, lang } = useI18n();
  const insurer = view.insurer;
  if (!insurer) return null;
  return (
    <section aria-labelledby="insurer-title" data-testid="insurer-finding">
      <h2 id="insurer-title">{t.insurerFinding}</h2>
      <dl class="facts">
        <dt>{t.insurerStatus}</dt><dd>{t.memberStatus[insurer.status] ?? insurer.status}</dd>
        <dt>{t.insurerPaidThrough}</dt><dd>{insurer.paidThrough ? formatMonth(insurer.paidThrough, lang) : '—'}</dd>
        <dt>{t.insurerReportedOn}</dt><dd>{formatDate(insurer.reportedOn, lang)}</dd>
        <dt>{t.drift}</dt>
        <dd class={insurer.drift.length ? 'drifting' : undefined}>
          {insurer.drift.length ? insurer.drift.map(d => t.drifts[d] ?? d).join('; ') : t.noDrift}
        </dd>
      </dl>
    </section>
  );
}
