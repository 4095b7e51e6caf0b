import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { components } from '../../api/schema';
import type { RegencyView } from '../../api/types';
import { formatDate, formatDateTime, formatMonth, formatNumber } from '../../format';
import { navigate } from '../../router';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { described, paFieldErrors, useLoad } from './common';
import { provinceToday } from '../caseworker/commands';

type DailyList = components['schemas']['DailyLapseRiskList'];
const pageSize = 50;

/**
 * The lapse-risk list the daily job recorded for a regency on a day (GET /api/lapse-risk/daily), for the regency's planners
 * and auditors: counts by payer and whether the budget could pay, and the cases by id (the list carries no personal data).
 * A day without a recorded list (404) says so; case ids link to the case page only for a role that may open it.
 */
export function LapseRiskDailyPage({ api, query, regencies: own, canOpenCases }:
  { api: Api; query: URLSearchParams; regencies: string[]; canOpenCases: boolean }) {
  const { t, lang } = useI18n();
  const units = useLoad(() => answer(api.GET('/api/regencies')) as Promise<RegencyView[]>, [api]);
  // A planner with regency claims picks among them; without claims (or an auditor), among all of the province's.
  const choices = (units.data ?? []).filter(r => own.length === 0 || own.includes(r.code));
  const regency = query.get('regency') ?? (own[0] ?? '17.01');
  const on = query.get('on') ?? provinceToday();
  const page = Math.max(1, Number(query.get('page')) || 1);
  const list = useLoad(() => answer(api.GET('/api/lapse-risk/daily', { params: { query: { regency, on, page, pageSize } } })) as Promise<DailyList>,
    [api, regency, on, page]);
  const notRecorded = list.problem?.status === 404;
  const errors = paFieldErrors(list.problem, t);
  const name = (code: string) => units.data?.find(r => r.code === code)?.name ?? code;
  const go = (next: { regency?: string; on?: string; page?: number }) => {
    const params = new URLSearchParams({ regency: next.regency ?? regency, on: next.on ?? on });
    if ((next.page ?? 1) > 1) params.set('page', String(next.page));
    navigate(`/lapse-risk?${params}`, true);
  };
  const data = list.data;
  const pages = data ? Math.max(1, Math.ceil(Number(data.total) / pageSize)) : 1;

  return (
    <section aria-labelledby="daily-risk-title">
      <h1 id="daily-risk-title">{t.dailyRiskTitle}</h1>
      <p class="help">{t.dailyRiskIntro}</p>
      <form class="controls" onSubmit={e => e.preventDefault()}>
        <div class="field">
          <label for="regency">{t.regency}</label>
          <select {...described('regency', errors.regency)} value={regency} onChange={e => go({ regency: (e.target as HTMLSelectElement).value })}>
            {!choices.some(r => r.code === regency) && <option value={regency}>{regency}</option>}
            {choices.map(r => <option key={r.code} value={r.code}>{r.name}</option>)}
          </select>
          <FieldError id="regency-error" message={errors.regency} />
        </div>
        <div class="field">
          <label for="on">{t.dailyRiskDay}</label>
          <input key={on} type="date" defaultValue={on} {...described('on', errors.on)}
                 onChange={e => { const v = (e.target as HTMLInputElement).value; if (v) go({ on: v }); }} />
          <FieldError id="on-error" message={errors.on} />
        </div>
      </form>
      {notRecorded
        ? <p role="status" data-testid="daily-risk-none">{t.dailyRiskNotRecorded(name(regency), formatDate(on, lang))}</p>
        : <ProblemNotice problem={list.problem} />}
      {list.loading && !data && !list.problem && <p aria-live="polite">{t.loading}</p>}
      {data && !list.problem && (
        <div aria-busy={list.loading} data-testid="daily-risk">
          <p class="help">{t.dailyRiskRecorded(name(data.regencyCode), formatDate(data.on, lang), formatDateTime(data.recordedAt, lang), data.withinDays)}</p>
          <dl class="pa-summary" data-testid="daily-risk-counts">
            <div><dt>{t.dailyRiskCases}</dt><dd data-testid="daily-risk-cases">{formatNumber(data.counts.cases, lang)}</dd></div>
            <div><dt>{t.workerPays}</dt><dd>{formatNumber(data.counts.workerPays, lang)}</dd></div>
            <div><dt>{t.dailyRiskSubsidised}</dt><dd>{formatNumber(data.counts.subsidised, lang)}</dd></div>
            <div><dt>{t.budgetCanPay}</dt><dd>{formatNumber(data.counts.budgetCanPay, lang)}</dd></div>
            <div><dt>{t.budgetCannotPay}</dt><dd>{formatNumber(data.counts.budgetCannotPay, lang)}</dd></div>
          </dl>
          {data.items.length === 0 ? <p role="status" data-testid="daily-risk-empty">{t.dailyRiskEmpty(name(data.regencyCode), formatDate(data.on, lang))}</p> : (
            <>
              <div class="table-scroll" tabIndex={0}>
                <table data-testid="daily-risk-table">
                  <caption>{t.dailyRiskTitle} · {name(data.regencyCode)} · {formatDate(data.on, lang)}</caption>
                  <thead><tr><th scope="col">{t.dailyRiskCase}</th><th scope="col">{t.stage}</th><th scope="col">{t.lapsesOn}</th>
                    <th scope="col">{t.firstUnpaidMonth}</th><th scope="col">{t.payer}</th></tr></thead>
                  <tbody>{data.items.map(item => (
                    <tr key={item.caseId} data-case={item.caseId}>
                      <th scope="row" class="case-id">{canOpenCases ? <a href={`/cases/${item.caseId}`}>{item.caseId}</a> : item.caseId}</th>
                      <td>{t.stages[item.stage] ?? item.stage}</td>
                      <td>{formatDate(item.lapsesOn, lang)}</td>
                      <td>{formatMonth(item.firstUnpaidMonth, lang)}</td>
                      <td>{item.payer ? <>{t.payers[item.payer] ?? item.payer} · {item.budgetCanPay ? t.budgetCanPay : t.budgetCannotPay}</> : t.workerPays}</td>
                    </tr>
                  ))}</tbody>
                </table>
              </div>
              <nav class="pager" aria-label={t.pageOf(page, pages, formatNumber(Number(data.total), lang))}>
                <button type="button" class="secondary" disabled={page <= 1} onClick={() => go({ page: page - 1 })}>{t.previous}</button>
                <span>{t.pageOf(page, pages, formatNumber(Number(data.total), lang))}</span>
                <button type="button" class="secondary" disabled={page >= pages} onClick={() => go({ page: page + 1 })}>{t.next}</button>
              </nav>
            </>
          )}
        </div>
      )}
    </section>
  );
}
