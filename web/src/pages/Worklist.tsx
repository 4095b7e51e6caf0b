import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { answer, ApiProblem, type Api } from '../api/client';
import type { WorklistPage } from '../api/types';
import { fieldErrors, type Problem } from '../problems';
import { formatDate } from '../format';
import { pagerOf } from './pager';
import { navigate } from '../router';
import { FieldError, ProblemNotice } from '../components/ProblemNotice';

export const stages = ['identified', 'contacted', 'enrolled', 'subsidized', 'lapsed', 'closed'] as const;
const pageSize = 20;

/** Caseworkers' main page: their worklist, newest first, by stage, searched by name, village or NIK (q=). */
export function WorklistPage({ api, query, canIdentify = false }: { api: Api; query: URLSearchParams; canIdentify?: boolean }) {
  const { t, lang } = useI18n();
  const q = query.get('q') ?? '';
  const stage = query.get('stage') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const [result, setResult] = useState<WorklistPage>();
  const [problem, setProblem] = useState<Problem>();
  const [search, setSearch] = useState(q);

  useEffect(() => setSearch(q), [q]);
  useEffect(() => {
    let current = true;
    answer(api.GET('/api/cases', { params: { query: { q: q || undefined, stage: stage || undefined, page, pageSize } } }))
      .then(r => { if (current) { setResult(r as WorklistPage); setProblem(undefined); } })
      .catch(e => { if (current) setProblem(e instanceof ApiProblem ? e.problem : { title: String(e) }); });
    return () => { current = false; };
  }, [api, q, stage, page]);

  const go = (next: { q?: string; stage?: string; page?: number }) => {
    const params = new URLSearchParams();
    const values = { q, stage, page: 1, ...next };
    if (values.q) params.set('q', values.q);
    if (values.stage) params.set('stage', values.stage);
    if (values.page > 1) params.set('page', String(values.page));
    navigate(`/cases${params.size ? `?${params}` : ''}`);
  };
  const errors = fieldErrors(problem, t);
  const pager = result ? pagerOf(result, page, pageSize, lang) : undefined;

  return (
    <section aria-labelledby="worklist-title">
      <h1 id="worklist-title">{t.worklistTitle}</h1>
      <p class="worklist-links"><a href="/cases/lapsing" data-testid="lapsing-link">{t.lapsingLink}</a>
        {canIdentify && <a href="/cases/new" data-testid="identify-link">{t.identifyLink}</a>}</p>
      <form class="controls" role="search" onSubmit={e => { e.preventDefault(); go({ q: search.trim() }); }}>
        <div class="field grow">
          <label for="q">{t.search}</label>
          <div class="inline">
            <input id="q" name="q" type="search" value={search} maxLength={100} autocomplete="off"
                   aria-describedby={errors.q ? 'q-error' : undefined} aria-invalid={errors.q ? true : undefined}
                   onInput={e => setSearch((e.target as HTMLInputElement).value)} />
            <button type="submit">{t.searchButton}</button>
          </div>
          <FieldError id="q-error" message={errors.q} />
        </div>
        <div class="field">
          <label for="stage">{t.stage}</label>
          <select id="stage" name="stage" value={stage} onChange={e => go({ stage: (e.target as HTMLSelectElement).value })}>
            <option value="">{t.allStages}</option>
            {stages.map(s => <option key={s} value={s}>{t.stages[s]}</option>)}
          </select>
        </div>
      </form>
      <ProblemNotice problem={problem} />
      {!result && !problem && <p>{t.loading}</p>}
      {result && (result.items.length === 0 ? <p>{t.noCases}</p> : (
        <>
          <ul class="cards" data-testid="worklist">
            {result.items.map(c => (
              <li key={c.id} class="card">
                <a href={`/cases/${c.id}`} class="card-link">
                  <span class="card-title">{c.fullName ?? '—'}</span>
                  <span class={`stage stage-${c.stage}`}>{t.stages[c.stage] ?? c.stage}</span>
                </a>
                <span class="card-meta">{[c.village, c.district].filter(Boolean).join(', ')}</span>
                <span class="card-meta">{t.updatedAt} {formatDate(c.updatedAt, lang)}{c.lapsesOn ? ` · ${t.lapsesOn} ${formatDate(c.lapsesOn, lang)}` : ''}</span>
              </li>
            ))}
          </ul>
          <nav class="pager" aria-label={t.pageOf(page, pager!.pages, pager!.counted)}>
            <button type="button" class="secondary" disabled={page <= 1} onClick={() => go({ page: page - 1 })}>{t.previous}</button>
            <span>{t.pageOf(page, pager!.pages, pager!.counted)}</span>
            <button type="button" class="secondary" disabled={!pager!.hasNext} onClick={() => go({ page: page + 1 })}>{t.next}</button>
          </nav>
        </>
      ))}
    </section>
  );
}
