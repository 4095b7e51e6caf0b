import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, ApiProblem, type Api } from '../../api/client';
import type { components } from '../../api/schema';
import type { CaseView } from '../../api/types';
import type { Problem } from '../../problems';
import { formatDate, formatMonth, formatNumber } from '../../format';
import { navigate } from '../../router';
import { ProblemNotice } from '../../components/ProblemNotice';
import './caseworker.css';

type LapseRisk = components['schemas']['LapseRisk'];
const choices = [7, 14, 30, 60, 90];
const pageSize = 20;

/**
 * The members who lapse soon unless paid, soonest first (GET /api/lapse-risk: the payer and whether its budget can pay),
 * named by reading exactly the cases of the page shown (GET /api/cases/{id}, at most a page of them, in parallel): the
 * names no longer depend on which cases a worklist page happens to hold, and only the shown people are read.
 */
export function LapsingSoonPage({ api, query }: { api: Api; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const within = choices.includes(Number(query.get('within'))) ? Number(query.get('within')) : 30;
  const page = Math.max(1, Number(query.get('page')) || 1);
  const [risk, setRisk] = useState<LapseRisk>();
  const [names, setNames] = useState<Map<string, CaseView>>(new Map());
  const [problem, setProblem] = useState<Problem>();

  useEffect(() => {
    let current = true;
    setRisk(undefined);
    answer(api.GET('/api/lapse-risk', { params: { query: { withinDays: within, page, pageSize } } })).then(async r => {
      const list = r as LapseRisk;
      // A case that cannot be read (erased, moved out of reach) keeps its row, without a name.
      const cases = await Promise.all(list.items.map(item =>
        answer(api.GET('/api/cases/{id}', { params: { path: { id: item.caseId } }, cache: 'no-store' })).then(c => c as CaseView, () => undefined)));
      if (!current) return;
      setRisk(list);
      setNames(new Map(cases.filter((c): c is CaseView => !!c).map(c => [c.id, c])));
      setProblem(undefined);
    }).catch(e => { if (current) setProblem(e instanceof ApiProblem ? e.problem : { title: String(e) }); });
    return () => { current = false; };
  }, [api, within, page]);

  const go = (next: { within?: number; page?: number }) => {
    const values = { within, page: 1, ...next };
    const params = new URLSearchParams({ within: String(values.within) });
    if (values.page > 1) params.set('page', String(values.page));
    navigate(`/cases/lapsing?${params}`);
  };
  const pages = risk ? Math.max(1, Math.ceil(Number(risk.total) / pageSize)) : 1;

  return (
    <section aria-labelledby="lapsing-title">
      <p><a href="/cases">← {t.backToWorklist}</a></p>
      <h1 id="lapsing-title">{t.lapsingTitle}</h1>
      <p class="help">{t.lapsingIntro}</p>
      <div class="controls">
        <div class="field">
          <label for="within">{t.withinDays}</label>
          <select id="within" value={within} onChange={e => go({ within: Number((e.target as HTMLSelectElement).value) })}>
            {choices.map(d => <option key={d} value={d}>{t.days(d)}</option>)}
          </select>
        </div>
      </div>
      <ProblemNotice problem={problem} />
      {!risk && !problem && <p>{t.loading}</p>}
      {risk && (risk.items.length === 0 ? <p>{t.noLapsing}</p> : (
        <>
          <ul class="cards" data-testid="lapsing">
            {risk.items.map(item => {
              const known = names.get(item.caseId);
              return (
                <li key={item.caseId} class="card">
                  <a href={`/cases/${item.caseId}`} class="card-link">
                    <span class="card-title">{known?.fullName ?? t.lapsingNameMissing}</span>
                    <span class={`stage stage-${item.stage}`}>{t.stages[item.stage] ?? item.stage}</span>
                  </a>
                  {known && <span class="card-meta">{[known.village, known.district].filter(Boolean).join(', ')}</span>}
                  <span class="card-meta"><strong>{t.lapsesOn} {formatDate(item.lapsesOn, lang)}</strong> · {t.firstUnpaidMonth} {formatMonth(item.firstUnpaidMonth, lang)}</span>
                  <span class="card-meta">
                    {item.payer ? <>{t.subsidyPayers[item.payer] ?? item.payer} · <span class={item.budgetCanPay ? 'can-pay' : 'cannot-pay'}>
                      {item.budgetCanPay ? t.budgetCanPay : t.budgetCannotPay}</span></> : t.workerPays}
                  </span>
                </li>
              );
            })}
          </ul>
          <nav class="pager" aria-label={t.pageOf(page, pages, formatNumber(Number(risk.total), lang))}>
            <button type="button" class="secondary" disabled={page <= 1} onClick={() => go({ page: page - 1 })}>{t.previous}</button>
            <span>{t.pageOf(page, pages, formatNumber(Number(risk.total), lang))}</span>
            <button type="button" class="secondary" disabled={page >= pages} onClick={() => go({ page: page + 1 })}>{t.next}</button>
          </nav>
        </>
      ))}
    </section>
  );
}
