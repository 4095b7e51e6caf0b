import { useMemo } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { CoverageTimeline } from '../../api/types';
import { formatMonth, formatNumber, formatPercent } from '../../format';
import { download, toCsv } from '../../csv';
import { navigate } from '../../router';
import { nationalReference } from '../Coverage';
import { SeriesChart } from '../../components/SeriesChart';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { currentYear, described, paFieldErrors, useLoad } from './common';
import { TargetForm } from './Forms';

export function timelineCsv(timeline: CoverageTimeline): string {
  return toCsv(
    ['month', 'code', 'name', 'identified', 'contacted', 'enrolled', 'subsidized', 'lapsed', 'closed', 'covered', 'eligibleWorkers', 'ratio', 'basis'],
    timeline.months.map(r => [
      r.month, r.code, r.name, r.identified, r.contacted, r.enrolled, r.subsidized, r.lapsed, r.closed, r.covered,
      r.target?.eligibleWorkers ?? '', r.coverage.ratio ?? '', timeline.basis
    ]));
}

/** A regency's (or the province's) coverage at each month's end: the ratio as a line, the counts in a table. */
export function TimelinePage({ api, code, query, canPlan }: { api: Api; code: string; query: URLSearchParams; canPlan: boolean }) {
  const { t, lang } = useI18n();
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  const basis = query.get('basis') === 'effective' ? 'effective' : 'recorded';
  const { data, problem, loading, reload } = useLoad(
    () => answer(api.GET('/api/coverage/{code}/timeline', { params: { path: { code }, query: { from: from || undefined, to: to || undefined, basis } } })) as Promise<CoverageTimeline>,
    [api, code, from, to, basis]);

  const choose = (next: Record<string, string>) => {
    const params = new URLSearchParams({ from, to, basis, ...next });
    for (const [k, v] of [...params]) if (!v || (k === 'basis' && v === 'recorded')) params.delete(k);
    const search = params.toString();
    navigate(`/timeline/${encodeURIComponent(code)}${search ? `?${search}` : ''}`, true);
  };

  const months = data?.months ?? [];
  const name = months[0]?.name ?? code;
  const percent = useMemo(() => (v: number) => formatPercent(v, lang), [lang]);
  const series = useMemo(() => [{ name: t.coverage, values: months.map(m => m.coverage.ratio ?? null), color: '#1d5fa8' }], [months, t]);
  const lines = useMemo(() => [{ label: t.nationalReference, value: nationalReference, color: '#3d4852' }], [t]);
  const errors = paFieldErrors(problem, t);

  return (
    <section aria-labelledby="timeline-title">
      <p><a href="/coverage">{t.backToCoverage}</a></p>
      <h1 id="timeline-title">{t.timelineTitle} · {name}</h1>
      <form class="controls" onSubmit={e => e.preventDefault()}>
        <div class="field">
          <label for="from">{t.fromMonth}</label>
          <input type="month" value={from} {...described('from', errors.from)} onChange={e => choose({ from: (e.target as HTMLInputElement).value })} />
          <FieldError id="from-error" message={errors.from} />
        </div>
        <div class="field">
          <label for="to">{t.toMonth}</label>
          <input type="month" value={to} {...described('to', errors.to)} onChange={e => choose({ to: (e.target as HTMLInputElement).value })} />
          <FieldError id="to-error" message={errors.to} />
        </div>
        <div class="field">
          <label for="basis">{t.basis}</label>
          <select id="basis" name="basis" value={basis} onChange={e => choose({ basis: (e.target as HTMLSelectElement).value })}>
            <option value="recorded">{t.basisRecorded}</option>
            <option value="effective">{t.basisEffective}</option>
          </select>
        </div>
      </form>
      <ProblemNotice problem={problem} />
      {loading && !data && <p aria-live="polite">{t.loading}</p>}
      {data && (
        <div aria-busy={loading}>
          <figure>
            <SeriesChart kind="line" categories={months.map(m => formatMonth(m.month ?? '', lang))} series={series} lines={lines}
                         format={percent} label={t.timelineCaption} />
            <figcaption class="help">{t.timelineCaption}</figcaption>
          </figure>
          <button type="button" class="secondary" onClick={() => download(`coverage-timeline-${code}-${data.basis}.csv`, timelineCsv(data))}>
            {t.downloadCsv}
          </button>
          <div class="table-scroll" tabIndex={0}>
            <table data-testid="timeline-table">
              <caption>{t.timelineTitle} · {name}</caption>
              <thead>
                <tr><th scope="col">{t.month}</th><th scope="col" class="num">{t.stages.enrolled}</th><th scope="col" class="num">{t.stages.subsidized}</th>
                  <th scope="col" class="num">{t.covered}</th><th scope="col" class="num">{t.target}</th><th scope="col" class="num">{t.coverage}</th></tr>
              </thead>
              <tbody>
                {months.map(m => (
                  <tr key={m.month} data-month={m.month}>
                    <th scope="row">{formatMonth(m.month ?? '', lang)}</th>
                    <td class="num">{formatNumber(m.enrolled, lang)}</td>
                    <td class="num">{formatNumber(m.subsidized, lang)}</td>
                    <td class="num">{formatNumber(m.covered, lang)}</td>
                    <td class="num">{m.target ? formatNumber(m.target.eligibleWorkers, lang) : t.noTarget}</td>
                    <td class="num">{formatPercent(m.coverage.ratio, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {canPlan && code.includes('.') && <TargetForm api={api} code={code} onDone={reload} initialYear={currentYear()} />}
    </section>
  );
}
