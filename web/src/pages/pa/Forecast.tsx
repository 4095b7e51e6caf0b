import { useMemo, useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { ForecastRow, SubsidyForecast } from '../../api/types';
import { formatMonth, formatNumber, formatPercent, formatRupiah } from '../../format';
import { download, toCsv } from '../../csv';
import { navigate } from '../../router';
import { SeriesChart } from '../../components/SeriesChart';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { currentYear, described, paFieldErrors, useLoad } from './common';

const total = (b: { regency: number; province: number }) => b.regency + b.province;

export function forecastCsv(f: SubsidyForecast): string {
  return toCsv(
    ['year', 'targetCoverage', 'provinceShare', 'code', 'name', 'subsidizedRegency', 'subsidizedProvince', 'monthlyCostRegency', 'monthlyCostProvince',
      'yearlyCostRegency', 'yearlyCostProvince', 'regencyAllocated', 'provinceAllocated', 'runsOutRegency', 'runsOutProvince', 'covered', 'eligibleWorkers',
      'workersNeeded', 'neededYearlyCostRegency', 'neededYearlyCostProvince', 'gapRegency', 'gapProvince'],
    [f.province, ...f.regencies].map(r => [
      f.year, f.targetCoverage, f.provinceShare, r.code, r.name, r.subsidizedWorkers.regency, r.subsidizedWorkers.province,
      r.monthlyCost.regency, r.monthlyCost.province, r.yearlyCost.regency, r.yearlyCost.province,
      r.regencyAllocation?.allocated ?? '', r.provinceAllocation?.allocated ?? '', r.runsOut.regency ?? '', r.runsOut.province ?? '',
      r.covered, r.eligibleWorkers ?? '', r.workersNeeded ?? '', r.neededYearlyCost?.regency ?? '', r.neededYearlyCost?.province ?? '',
      r.gap.regency ?? '', r.gap.province ?? ''
    ]));
}

/** A percentage typed by a person ("39", "39,5") as a fraction; the raw text when it is no number, for the API to refuse. */
function fraction(text: string): string {
  const value = Number(text.trim().replace(',', '.'));
  return text.trim() !== '' && Number.isFinite(value) ? String(Math.round(value * 100) / 10000) : text;
}

/**
 * The subsidy forecast: what the subsidised cohort costs each payer this year, the month each allocation runs out,
 * and what reaching the target coverage (an input) would cost on top, with the gap to the allocations.
 */
export function ForecastPage({ api, query }: { api: Api; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const year = Number(query.get('year')) || currentYear();
  const target = query.get('target') ?? '39';
  const share = query.get('share') ?? '30';
  const [targetText, setTargetText] = useState(target);
  const { data, problem, loading } = useLoad(
    () => answer(api.GET('/api/subsidy-forecast', { params: { query: { year, targetCoverage: fraction(target), provinceShare: fraction(share) } as never } })) as Promise<SubsidyForecast>,
    [api, year, target, share]);

  const choose = (next: Record<string, string>) => {
    const params = new URLSearchParams({ year: String(year), target, share, ...next });
    navigate(`/forecast?${params}`, true);
  };

  // Largest bar first (the cohort's cost plus what reaching the target would cost), in the chart and the table alike.
  const rows = useMemo(() => [...(data?.regencies ?? [])].sort((a, b) => barTotal(b) - barTotal(a) || a.code.localeCompare(b.code)), [data]);
  const rupiah = useMemo(() => (v: number) => formatRupiah(v, lang), [lang]);
  const series = useMemo(() => [
    { name: t.cohortCost, values: rows.map(r => total(r.yearlyCost)), color: '#1d5fa8', stack: 'a' },
    { name: t.neededCost, values: rows.map(r => r.neededYearlyCost ? total(r.neededYearlyCost) : 0), color: '#e8a33d', stack: 'a' }
  ], [rows, t]);
  const errors = paFieldErrors(problem, t);
  const runsOut = (month?: string | null) => month ? formatMonth(month, lang) : t.lasts;
  const p = data?.province;

  return (
    <section aria-labelledby="forecast-title">
      <h1 id="forecast-title">{t.forecastTitle}</h1>
      <form class="controls" onSubmit={e => { e.preventDefault(); choose({ target: targetText }); }}>
        <div class="field">
          <label for="year">{t.year}</label>
          <input key={year} type="number" inputMode="numeric" min="2000" max="2100" defaultValue={String(year)} {...described('year', errors.year)}
                 onChange={e => choose({ year: (e.target as HTMLInputElement).value })} />
          <FieldError id="year-error" message={errors.year} />
        </div>
        <div class="field">
          <label for="targetCoverage">{t.targetCoverage}</label>
          <input type="text" inputMode="decimal" value={targetText} {...described('targetCoverage', errors.targetCoverage, true)}
                 onInput={e => setTargetText((e.target as HTMLInputElement).value)}
                 onChange={e => choose({ target: (e.target as HTMLInputElement).value })} />
          <p class="help" id="targetCoverage-help">{t.targetCoverageHelp}</p>
          <FieldError id="targetCoverage-error" message={errors.targetCoverage} />
        </div>
        <div class="field">
          <label for="provinceShare">{t.provinceShare}</label>
          <input type="text" inputMode="decimal" value={share} {...described('provinceShare', errors.provinceShare)}
                 onChange={e => choose({ share: (e.target as HTMLInputElement).value })} />
          <FieldError id="provinceShare-error" message={errors.provinceShare} />
        </div>
        <button type="submit" class="secondary">{t.recalculate}</button>
      </form>
      <ProblemNotice problem={problem} />
      {loading && !data && <p aria-live="polite">{t.loading}</p>}
      {data && p && (
        <div aria-busy={loading}>
          <dl class="pa-summary" data-testid="forecast-summary">
            <div><dt>{t.subsidizedWorkers}</dt><dd>{formatNumber(total(p.subsidizedWorkers), lang)}</dd></div>
            <div><dt>{t.cohortCost} ({t.payers.APBD_REGENCY})</dt><dd data-testid="cohort-regency">{formatRupiah(p.yearlyCost.regency, lang)}</dd></div>
            <div><dt>{t.cohortCost} ({t.payers.APBD_PROVINCE})</dt><dd data-testid="cohort-province">{formatRupiah(p.yearlyCost.province, lang)}</dd></div>
            <div><dt>{t.runsOutProvince}</dt><dd data-testid="runs-out-province">{runsOut(p.runsOut.province)}</dd></div>
            <div><dt>{t.workersNeeded} ({formatPercent(data.targetCoverage, lang)})</dt><dd data-testid="workers-needed">{formatNumber(p.workersNeeded ?? 0, lang)}</dd></div>
            <div><dt>{t.neededCost}</dt><dd data-testid="needed-cost">{formatRupiah(p.neededYearlyCost ? total(p.neededYearlyCost) : 0, lang)}</dd></div>
            <div><dt>{t.gapProvince}</dt><dd>{p.gap.province != null ? formatRupiah(p.gap.province, lang) : '–'}</dd></div>
          </dl>
          <figure>
            <SeriesChart kind="bars" categories={rows.map(r => r.name)} series={series} format={rupiah} label={t.forecastCaption} />
            <figcaption class="help">{t.forecastCaption} {t.forecastOrder}</figcaption>
          </figure>
          <button type="button" class="secondary" onClick={() => download(`subsidy-forecast-${data.year}.csv`, forecastCsv(data))}>{t.downloadCsv}</button>
          <div class="table-scroll" tabIndex={0}>
            <table data-testid="forecast-table">
              <caption>{t.forecastTitle} {data.year}</caption>
              <thead>
                <tr><th scope="col">{t.regency}</th><th scope="col" class="num">{t.subsidizedWorkers}</th><th scope="col" class="num">{t.cohortCost}</th>
                  <th scope="col">{t.runsOutRegency}</th><th scope="col" class="num">{t.workersNeeded}</th><th scope="col" class="num">{t.neededCost}</th>
                  <th scope="col" class="num">{t.gapRegency}</th></tr>
              </thead>
              <tbody>{rows.map(r => <Row key={r.code} row={r} runsOut={runsOut} />)}</tbody>
            </table>
          </div>
          <p class="help">{data.assumptions}</p>
        </div>
      )}
    </section>
  );
}

function Row({ row: r, runsOut }: { row: ForecastRow; runsOut: (m?: string | null) => string }) {
  const { lang } = useI18n();
  return (
    <tr data-code={r.code}>
      <th scope="row">{r.name}</th>
      <td class="num">{formatNumber(total(r.subsidizedWorkers), lang)}</td>
      <td class="num">{formatRupiah(total(r.yearlyCost), lang)}</td>
      <td>{runsOut(r.runsOut.regency)}</td>
      <td class="num">{r.workersNeeded != null ? formatNumber(r.workersNeeded, lang) : '–'}</td>
      <td class="num">{r.neededYearlyCost ? formatRupiah(total(r.neededYearlyCost), lang) : '–'}</td>
      <td class="num">{r.gap.regency != null ? formatRupiah(r.gap.regency, lang) : '–'}</td>
    </tr>
  );
}

/** The height of a regency's bar: the cohort's yearly cost and, stacked on it, the cost of reaching the target. */
function barTotal(r: ForecastRow): number {
  return total(r.yearlyCost) + (r.neededYearlyCost ? total(r.neededYearlyCost) : 0);
}
