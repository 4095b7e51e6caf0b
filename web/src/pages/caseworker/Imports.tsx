import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, ApiProblem, type Api } from '../../api/client';
import type { components } from '../../api/schema';
import { slugOf, type Problem } from '../../problems';
import { formatDateTime, formatNumber } from '../../format';
import { downloadBlob } from '../../csv';
import { navigate } from '../../router';
import { ProblemNotice } from '../../components/ProblemNotice';
import { commandFieldErrors, describedBy, Field, newIdempotencyKey, nextPoll } from './commands';
import './caseworker.css';

type ImportView = components['schemas']['ImportView'];
const rowsPageSize = 20;

/**
 * Fetches a file the API serves only with the bearer token (a plain link would go without it) and offers it for
 * saving through an object URL.
 */
export async function downloadWithToken(call: Promise<{ data?: unknown; error?: unknown; response: Response }>, fileName: string) {
  downloadBlob(fileName, await answer(call) as Blob);
}

/** List uploads: a CSV or .xlsx worker list, its progress, counts and per-row outcomes (paged), and their downloads. */
export function ImportsPage({ api, query }: { api: Api; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const id = query.get('id') ?? undefined;
  const rowsPage = Math.max(1, Number(query.get('rows')) || 1);
  const [file, setFile] = useState<File>();
  const [listSource, setListSource] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [view, setView] = useState<ImportView>();
  const [viewProblem, setViewProblem] = useState<Problem>();
  const key = useRef<string | undefined>(undefined);

  // Follows the import until it completed or failed, backing off while it runs; a lost connection only delays the next look.
  useEffect(() => {
    if (!id) { setView(undefined); return; }
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay: number | undefined;
    const look = () => answer(api.GET('/api/imports/{id}', { params: { path: { id }, query: { rowsPage, rowsPageSize } } }))
      .then(v => {
        if (!current) return;
        const next = v as ImportView;
        setView(next);
        setViewProblem(undefined);
        if (next.status === 'queued' || next.status === 'running') { delay = nextPoll(delay); timer = setTimeout(look, delay); }
      })
      .catch(e => {
        if (!current) return;
        const refused = e instanceof ApiProblem ? e.problem : { title: String(e) };
        setViewProblem(refused);
        if (slugOf(refused) === 'network' || slugOf(refused) === 'service-unavailable') { delay = nextPoll(delay); timer = setTimeout(look, delay); }
      });
    void look();
    return () => { current = false; if (timer) clearTimeout(timer); };
  }, [api, id, rowsPage]);

  const upload = async () => {
    if (!file) { setProblem({ type: 'validation', errors: { file: [t.chooseFile] } }); return; }
    key.current ??= newIdempotencyKey();
    setBusy(true);
    setProblem(undefined);
    try {
      const body = new FormData();
      body.append('file', file, file.name);
      const accepted = await answer(api.POST('/api/imports', {
        params: { query: { fileName: file.name, listSource: listSource.trim() || undefined }, header: { 'Idempotency-Key': key.current } },
        body: body as never, bodySerializer: (b: unknown) => b as FormData
      } as never)) as { id: string };
      key.current = undefined;
      navigate(`/imports?id=${accepted.id}`);
    } catch (e) {
      const refused = e instanceof ApiProblem ? e.problem : { title: String(e) };
      setProblem(refused);
      // Only an unanswered upload keeps its key, so that sending it again cannot start it twice.
      if (slugOf(refused) !== 'network' && slugOf(refused) !== 'service-unavailable') key.current = undefined;
    } finally {
      setBusy(false);
    }
  };

  const errors = commandFieldErrors(problem, t);
  // What is wrong with the columns, in the API's words (which columns are missing or unknown).
  const headerErrors = problem?.errors?.header;
  const download = (what: 'template' | 'csv' | 'xlsx') => {
    const call = what === 'template' ? api.GET('/api/imports/template.xlsx', { parseAs: 'blob' })
      : api.GET(what === 'csv' ? '/api/imports/{id}/outcomes.csv' : '/api/imports/{id}/outcomes.xlsx', { params: { path: { id: id! } }, parseAs: 'blob' });
    const name = what === 'template' ? 'daftar-pekerja-templat.xlsx' : `hasil-impor-${id}.${what}`;
    downloadWithToken(call, name).catch(e => setViewProblem(e instanceof ApiProblem ? e.problem : { title: String(e) }));
  };
  const rowPages = view ? Math.max(1, Math.ceil(Number(view.total) / rowsPageSize)) : 1;
  const goRows = (page: number) => navigate(`/imports?id=${id}${page > 1 ? `&rows=${page}` : ''}`);

  return (
    <section aria-labelledby="imports-title">
      <h1 id="imports-title">{t.importsTitle}</h1>
      <p class="help">{t.importsIntro}</p>
      <p><button type="button" class="secondary" onClick={() => download('template')}>{t.downloadTemplate}</button></p>
      <form class="command-form upload" data-testid="import-form" noValidate onSubmit={e => { e.preventDefault(); void upload(); }}>
        <Field id="import-file" label={t.importFile} error={errors.file ?? errors.header}>
          <input type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                 {...describedBy('import-file', errors.file ?? errors.header)}
                 onChange={e => { key.current = undefined; setFile((e.target as HTMLInputElement).files?.[0]); }} />
        </Field>
        {headerErrors && <ul class="reasons">{headerErrors.map(r => <li key={r}>{r}</li>)}</ul>}
        <Field id="import-listSource" label={`${t.listSource} ${t.optional}`} error={errors.listSource}>
          <input type="text" maxLength={200} {...describedBy('import-listSource', errors.listSource)} value={listSource}
                 onInput={e => { key.current = undefined; setListSource((e.target as HTMLInputElement).value); }} />
        </Field>
        <ProblemNotice problem={problem} />
        <button type="submit" disabled={busy} data-testid="import-send">{busy ? t.uploadingList : t.upload}</button>
      </form>

      <ProblemNotice problem={viewProblem} />
      {view && (
        <section aria-labelledby="import-title" data-testid="import-view" class="import-view">
          <h2 id="import-title">{view.fileName}</h2>
          <p>
            <span class={`status status-${view.status}`} data-testid="import-status">{t.importStatus[view.status] ?? view.status}</span>
            {' '}{formatDateTime(view.createdAt, lang)}
          </p>
          <label for="import-progress">{t.importProgress(formatNumber(Number(view.done), lang), formatNumber(Number(view.total), lang))}</label>
          <progress id="import-progress" max={Math.max(1, Number(view.total))} value={Number(view.done)} />
          {view.status === 'failed' && <p class="problem" role="alert"><strong>{t.importFailed}</strong>: {view.failure}</p>}
          <dl class="facts counts" data-testid="import-counts">
            {(['created', 'duplicate', 'invalid'] as const).map(k => <Fragment key={k}><dt>{t.rowOutcomes[k]}</dt><dd data-count={k}>{formatNumber(Number(view.counts[k] ?? 0), lang)}</dd></Fragment>)}
          </dl>
          {view.status === 'completed' && (
            <p class="downloads">
              <button type="button" class="secondary" onClick={() => download('csv')}>{t.downloadOutcomesCsv}</button>
              <button type="button" class="secondary" onClick={() => download('xlsx')}>{t.downloadOutcomesXlsx}</button>
            </p>
          )}
          {view.rows.length > 0 && (
            <>
              <ul class="cards" data-testid="import-rows">
                {view.rows.map(r => (
                  <li key={r.row} class="card" data-outcome={r.outcome}>
                    <span class="row-head">
                      <span>{t.row} {formatNumber(Number(r.row), lang)}</span>
                      <span class={`outcome outcome-${r.outcome}`}>{t.rowOutcomes[r.outcome ?? ''] ?? r.outcome}</span>
                    </span>
                    {r.reasons && r.reasons.length > 0 && <span class="card-meta">{r.reasons.join('; ')}</span>}
                    {r.caseId && <a href={`/cases/${r.caseId}`} class="card-meta">{t.openCase}</a>}
                  </li>
                ))}
              </ul>
              {rowPages > 1 && (
                <nav class="pager" aria-label={`${t.row} · ${rowsPage}/${rowPages}`}>
                  <button type="button" class="secondary" disabled={rowsPage <= 1} onClick={() => goRows(rowsPage - 1)}>{t.previous}</button>
                  <span>{rowsPage} / {rowPages}</span>
                  <button type="button" class="secondary" disabled={rowsPage >= rowPages} onClick={() => goRows(rowsPage + 1)}>{t.next}</button>
                </nav>
              )}
            </>
          )}
        </section>
      )}
    </section>
  );
}
