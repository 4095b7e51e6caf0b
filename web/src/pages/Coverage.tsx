import { useEffect, useMemo, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { answer, ApiProblem, type Api } from '../api/client';
import type { CoverageReport, CoverageRow } from '../api/types';
import { fieldErrors, type Problem } from '../problems';
import { formatDate, formatNumber, formatPercent } from '../format';
import { download, toCsv } from '../csv';
import { navigate } from '../router';
import { RatioBars } from '../components/BarChart';
import { FieldError, ProblemNotice } from '../components/ProblemNotice';
import { Cartogram } from './Cartogram';

/** The national coverage the article compares Bengkulu with (November 2024). */
export const nationalReference = 0.39;

const ratio = (row: CoverageRow) => row.coverage.ratio ?? null;

/** Highest coverage first; regencies without a target last, by name. */
export function byCoverage(rows: CoverageRow[]): CoverageRow[] {
  return [...rows].sort((a, b) => (ratio(b) ?? -1) - (ratio(a) ?? -1) || a.name.localeCompare(b.name));
}

export function coverageCsv(report: CoverageReport): string {
  return toCsv(
    ['code', 'name', 'identified', 'contacted', 'enrolled', 'subsidized', 'lapsed', 'closed', 'covered', 'eligibleWorkers', 'ratio', 'asOf', 'basis'],
    [report.province, ...byCoverage(report.regencies)].map(r => [
      r.code, r.name, r.identified, r.contacted, r.enrolled, r.subsidized, r.lapsed, r.closed, r.covered,
      r.target?.eligibleWorkers ?? '', r.coverage.ratio ?? '', report.asOf, report.basis
    ]));
}

/** Planners' main page: coverage against target per regency, now or as of a day, on either basis. */
export function CoveragePage({ api, query }: { api: Api; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const asOf = query.get('asOf') ?? '';
  const basis = query.get('basis') === 'effective' ? 'effective' : 'recorded';
  const [report, setReport] = useState<CoverageReport>();
  const [problem, setProblem] = useState<Problem>();
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let current = true;
    setLoading(true);
    answer(api.GET('/api/coverage', { params: { query: { asOf: asOf || undefined, basis } } }))
      .then(r => { if (current) { setReport(r as CoverageReport); setProblem(undefined); } })
      .catch(e => { if (current) setProblem(e instanceof ApiProblem ? e.problem : { title: String(e) }); })
      .finally(() => { if (current) setLoading(false); });
    return () => { current = false; };
  }, [api, asOf, basis]);

  const choose = (next: { asOf?: string; basis?: string }) => {
    const params = new URLSearchParams({ asOf, basis, ...next });
    if (!params.get('asOf')) params.delete('asOf');
    if (params.get('basis') === 'recorded') params.delete('basis');
    const search = params.toString();
    navigate(`/coverage${search ? `?${search}` : ''}`, true);
  };

  const rows = useMemo(() => report ? byCoverage(report.regencies) : [], [report]);
  const percent = useMemo(() => (v: number) => formatPercent(v, lang), [lang]);
  const lines = useMemo(() => [
    ...(report?.province.coverage.ratio != null ? [{ label: `${t.province} ${percent(report.province.coverage.ratio)}`, value: report.province.coverage.ratio, color: '#b3261e' }] : []),
    { label: t.nationalReference, value: nationalReference, color: '#3d4852' }
  ], [report, t, percent]);
  const errors = fieldErrors(problem, t);

  return (
    <section aria-labelledby="coverage-title">
      <h1 id="coverage-title">{t.coverageTitle}</h1>
      <form class="controls" onSubmit={e => e.preventDefault()}>
        <div class="field">
          <label for="asOf">{t.asOf}</label>
          <input id="asOf" name="asOf" type="date" value={asOf} max="9999-12-31"
                 aria-describedby={errors.asOf ? 'asOf-help asOf-error' : 'asOf-help'} aria-invalid={errors.asOf ? true : undefined}
                 onChange={e => choose({ asOf: (e.target as HTMLInputElement).value })} />
          <p class="help" id="asOf-help">{t.asOfHelp}</p>
          <FieldError id="asOf-error" message={errors.asOf} />
        </div>
        <div class="field">
          <label for="basis">{t.basis}</label>
          <select id="basis" name="basis" value={basis} onChange={e => choose({ basis: (e.target as HTMLSelectElement).value })}>
            <option value="recorded">{t.basisRecorded}</option>
            <option value="effective">{t.basisEffective}</option>
          </select>
          <FieldError id="basis-error" message={errors.basis} />
        </div>
      </form>
      <ProblemNotice problem={problem} />
      {loading && !report && <p aria-live="polite">{t.loading}</p>}
      {report && (
        <div aria-busy={loading}>
          <p class="as-of" data-testid="as-of">{t.figuresAsOf} {formatDate(report.asOf, lang)} · {basis === 'recorded' ? t.basisRecorded : t.basisEffective}</p>
          <p class="headline">
            <span>{t.province} {report.province.name}</span>{' '}
            <strong data-testid="province-coverage">{formatPercent(ratio(report.province), lang)}</strong>{' '}
            <span class="help">({t.national} {formatPercent(nationalReference, lang)})</span>
          </p>
          <figure>
            <RatioBars labels={rows.map(r => r.name)} values={rows.map(ratio)} lines={lines} format={percent} label={t.chartCaption} />
            <figcaption class="help">{t.chartCaption}</figcaption>
          </figure>
          <button type="button" class="secondary"
                  onClick={() => download(`coverage-${report.asOf.slice(0, 10)}-${report.basis}.csv`, coverageCsv(report))}>
            {t.downloadCsv}
          </button>
          <div class="table-scroll">
            <table data-testid="coverage-table">
              <caption>{t.coverageTitle}</caption>
              <thead>
                <tr><th scope="col">{t.regency}</th><th scope="col" class="num">{t.covered}</th><th scope="col" class="num">{t.target}</th><th scope="col" class="num">{t.coverage}</th></tr>
              </thead>
              <tbody>
                {rows.map(r => (
                  <tr key={r.code} data-code={r.code}>
                    <th scope="row"><a href={`/timeline/${r.code}`}>{r.name}</a></th>
                    <td class="num">{formatNumber(r.covered, lang)}</td>
                    <td class="num">{r.target ? formatNumber(r.target.eligibleWorkers, lang) : t.noTarget}</td>
                    <td class="num">{formatPercent(ratio(r), lang)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr data-code={report.province.code}>
                  <th scope="row"><a href={`/timeline/${report.province.code}`}>{t.province} {report.province.name}</a></th>
                  <td class="num">{formatNumber(report.province.covered, lang)}</td>
                  <td class="num">{report.province.target ? formatNumber(report.province.target.eligibleWorkers, lang) : t.noTarget}</td>
                  <td class="num">{formatPercent(ratio(report.province), lang)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
          <Cartogram rows={report.regencies.map(r => ({ code: r.code, name: r.name, ratio: ratio(r) }))} />
        </div>
      )}
    </section>
  );
}
