import { useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { AccessLogPage } from '../../api/types';
import { formatDateTime, formatNumber } from '../../format';
import { navigate } from '../../router';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { described, paFieldErrors, useLoad } from './common';

/** GET /api/audit/access-log: who read which cases' personal data, when, filtered by case, user and period. */
export function AccessLogPage({ api, query }: { api: Api; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const filters = { caseId: query.get('caseId') ?? '', user: query.get('user') ?? '', from: query.get('from') ?? '', to: query.get('to') ?? '' };
  const page = Number(query.get('page')) || 1;
  const [form, setForm] = useState(filters);
  const { data, problem, loading } = useLoad(() => answer(api.GET('/api/audit/access-log', {
    params: { query: {
      caseId: filters.caseId || undefined, user: filters.user || undefined,
      from: filters.from ? `${filters.from}T00:00:00+07:00` : undefined, to: filters.to ? `${filters.to}T23:59:59+07:00` : undefined, page
    } }, cache: 'no-store'
  })) as Promise<AccessLogPage>, [api, filters.caseId, filters.user, filters.from, filters.to, page]);
  const errors = paFieldErrors(problem, t);

  const go = (next: typeof filters, nextPage = 1) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(next)) if (v) params.set(k, v.trim());
    if (nextPage > 1) params.set('page', String(nextPage));
    const search = params.toString();
    navigate(`/access-log${search ? `?${search}` : ''}`, true);
  };
  const field = (key: keyof typeof filters, label: string, type: 'text' | 'date') => (
    <div class="field">
      <label for={`log-${key}`}>{label}</label>
      {type === 'date'
        ? <input type="date" max="9999-12-31" value={form[key]} {...described(`log-${key}`, errors[key])}
                 onInput={e => setForm({ ...form, [key]: (e.target as HTMLInputElement).value })} />
        : <input type="text" autoComplete="off" value={form[key]} {...described(`log-${key}`, errors[key])}
                 onInput={e => setForm({ ...form, [key]: (e.target as HTMLInputElement).value })} />}
      <FieldError id={`log-${key}-error`} message={errors[key]} />
    </div>
  );
  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;

  return (
    <section aria-labelledby="access-log-title">
      <h1 id="access-log-title">{t.accessLogTitle}</h1>
      <form class="controls" onSubmit={e => { e.preventDefault(); go(form); }}>
        {field('caseId', t.caseId, 'text')}
        {field('user', t.reader, 'text')}
        {field('from', t.fromDate, 'date')}
        {field('to', t.toDate, 'date')}
        <button type="submit">{t.show}</button>
      </form>
      <ProblemNotice problem={problem} />
      {loading && !data && <p aria-live="polite">{t.loading}</p>}
      {data && (
        <div aria-busy={loading}>
          <p>{t.pageOf(data.page, pages, formatNumber(data.total, lang))}</p>
          <div class="table-scroll" tabIndex={0}>
            <table data-testid="access-log">
              <caption>{t.accessLogTitle}</caption>
              <thead><tr><th scope="col">{t.readAt}</th><th scope="col">{t.reader}</th><th scope="col">{t.route}</th><th scope="col">{t.casesRead}</th></tr></thead>
              <tbody>
                {data.items.map(a => (
                  <tr key={a.id}>
                    <td>{formatDateTime(a.readAt ?? '', lang)}</td>
                    <td>{a.userName ?? a.userId} <span class="help">({(a.roles ?? []).map(r => t.roles[r] ?? r).join(', ')})</span></td>
                    <td><code>{a.route}</code>{a.reason ? <> · {a.reason}</> : null}</td>
                    <td>{(a.caseIds ?? []).length === 1
                      ? <a href={`/history/${a.caseIds![0]}`}>{a.caseIds![0].slice(0, 8)}…</a>
                      : formatNumber((a.caseIds ?? []).length, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pa-actions">
            <button type="button" class="secondary" disabled={data.page <= 1} onClick={() => go(filters, data.page - 1)}>{t.previous}</button>
            <button type="button" class="secondary" disabled={data.page >= pages} onClick={() => go(filters, data.page + 1)}>{t.next}</button>
          </div>
        </div>
      )}
    </section>
  );
}
