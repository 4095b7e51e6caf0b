import { useMemo } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { BudgetYear, RegencyView } from '../../api/types';
import { formatRupiah } from '../../format';
import { download, downloadBlob, toCsv } from '../../csv';
import { navigate } from '../../router';
import { SeriesChart } from '../../components/SeriesChart';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { currentYear, described, paFieldErrors, problemOf, useLoad } from './common';
import { AdjustmentForm, AllocationForm } from './Forms';
import { useState } from 'preact/hooks';
import type { Problem } from '../../problems';

export function budgetsCsv(budgets: BudgetYear): string {
  return toCsv(['year', 'payer', 'regencyCode', 'allocated', 'committed', 'paid', 'remaining'],
    budgets.items.map(b => [budgets.year, b.payer, b.regencyCode ?? '', b.allocated, b.committed, b.paid, b.remaining]));
}

/** Planners' budgets for a year: allocated, committed, paid and remaining per payer and regency, with the forms that change them. */
export function BudgetsPage({ api, query, canPlan }: { api: Api; query: URLSearchParams; canPlan: boolean }) {
  const { t, lang } = useI18n();
  const year = Number(query.get('year')) || currentYear();
  const budgets = useLoad(() => answer(api.GET('/api/budgets', { params: { query: { year } } })) as Promise<BudgetYear>, [api, year]);
  const regencies = useLoad(() => answer(api.GET('/api/regencies')) as Promise<RegencyView[]>, [api]);
  const [xlsxProblem, setXlsxProblem] = useState<Problem>();
  const names = useMemo(() => new Map((regencies.data ?? []).map(r => [r.code, r.name])), [regencies.data]);
  const lineName = (b: { payer: string; regencyCode?: string | null }) =>
    b.regencyCode ? `${names.get(b.regencyCode) ?? b.regencyCode}` : t.payers.APBD_PROVINCE;
  const items = budgets.data?.items ?? [];
  const rupiah = useMemo(() => (v: number) => formatRupiah(v, lang), [lang]);
  const series = useMemo(() => [
    { name: t.paid, values: items.map(b => b.paid), color: '#1d5fa8', stack: 'a' },
    { name: t.committedUnpaid, values: items.map(b => Math.max(0, b.committed - b.paid)), color: '#7aa7d9', stack: 'a' },
    { name: t.remainingBudget, values: items.map(b => b.remaining), color: '#c9d6e3', stack: 'a' }
  ], [items, t]);
  const errors = paFieldErrors(budgets.problem, t);

  const workbook = async () => {
    setXlsxProblem(undefined);
    try {
      const blob = await answer(api.GET('/api/budgets.xlsx', { params: { query: { year } }, parseAs: 'blob' })) as Blob;
      downloadBlob(`budgets-${year}.xlsx`, blob);
    } catch (e) {
      setXlsxProblem(problemOf(e));
    }
  };

  return (
    <section aria-labelledby="budgets-title">
      <h1 id="budgets-title">{t.budgetsTitle}</h1>
      <form class="controls" onSubmit={e => e.preventDefault()}>
        <div class="field">
          <label for="year">{t.year}</label>
          {/* Keyed by the year and not controlled: a re-render while the budgets reload must not undo what the person is typing. */}
          <input key={year} type="number" inputMode="numeric" min="2000" max="2100" defaultValue={String(year)} {...described('year', errors.year)}
                 onChange={e => navigate(`/budgets?year=${encodeURIComponent((e.target as HTMLInputElement).value)}`, true)} />
          <FieldError id="year-error" message={errors.year} />
        </div>
      </form>
      <ProblemNotice problem={budgets.problem} />
      {budgets.loading && !budgets.data && <p aria-live="polite">{t.loading}</p>}
      {budgets.data && (
        <div aria-busy={budgets.loading} data-testid="budgets-data">
          {items.length === 0 ? <p data-testid="no-budgets">{t.noBudgets}</p> : (
            <figure>
              <SeriesChart kind="bars" categories={items.map(lineName)} series={series} format={rupiah} label={t.budgetsCaption} />
              <figcaption class="help">{t.budgetsCaption}</figcaption>
            </figure>
          )}
          <div class="pa-actions">
            <button type="button" class="secondary" onClick={() => download(`budgets-${year}.csv`, budgetsCsv(budgets.data!))}>{t.downloadCsv}</button>
            <button type="button" class="secondary" onClick={workbook}>{t.downloadXlsx}</button>
          </div>
          <ProblemNotice problem={xlsxProblem} />
          <div class="table-scroll" tabIndex={0}>
            <table data-testid="budgets-table">
              <caption>{t.budgetsTitle} {year}</caption>
              <thead>
                <tr><th scope="col">{t.budgetLine}</th><th scope="col" class="num">{t.allocated}</th><th scope="col" class="num">{t.committed}</th>
                  <th scope="col" class="num">{t.paid}</th><th scope="col" class="num">{t.remainingBudget}</th></tr>
              </thead>
              <tbody>
                {items.map(b => (
                  <tr key={`${b.payer}-${b.regencyCode ?? ''}`} data-payer={b.payer} data-code={b.regencyCode ?? ''}>
                    <th scope="row">{lineName(b)}</th>
                    <td class="num">{formatRupiah(b.allocated, lang)}</td>
                    <td class="num">{formatRupiah(b.committed, lang)}</td>
                    <td class="num">{formatRupiah(b.paid, lang)}</td>
                    <td class="num">{formatRupiah(b.remaining, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {canPlan && regencies.data && (
        <div class="pa-forms">
          <AllocationForm api={api} regencies={regencies.data} onDone={budgets.reload} initialYear={year} />
          <AdjustmentForm api={api} regencies={regencies.data} onDone={budgets.reload} initialYear={year} />
        </div>
      )}
    </section>
  );
}
