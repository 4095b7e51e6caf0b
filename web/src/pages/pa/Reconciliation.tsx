import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { ReconciliationView, RegencyView } from '../../api/types';
import type { Problem } from '../../problems';
import { formatDate, formatNumber } from '../../format';
import { navigate } from '../../router';
import { ProblemNotice } from '../../components/ProblemNotice';
import { randomKey, useLoad } from './common';

const findingKinds = ['inSync', 'drift', 'olderThanShown', 'alreadyRecorded', 'unknown', 'conflict', 'invalid'];

/**
 * Sends a file as multipart/form-data with the bearer token, reporting upload progress (fetch cannot): the answer's
 * JSON, or its problem details.
 */
function upload(url: string, file: File, token: string, key: string, progress: (fraction: number) => void): Promise<{ id: string }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.setRequestHeader('Authorization', `Bearer ${token}`);
    request.setRequestHeader('Idempotency-Key', key);
    request.upload.onprogress = e => { if (e.lengthComputable) progress(e.loaded / e.total); };
    request.onload = () => {
      let body: unknown;
      try { body = JSON.parse(request.responseText); } catch { body = { status: request.status }; }
      if (request.status >= 200 && request.status < 300) resolve(body as { id: string });
      else reject(body as Problem);
    };
    request.onerror = () => reject({ type: 'network', title: 'network' } as Problem);
    const form = new FormData();
    form.append('file', file, file.name);
    request.send(form);
  });
}

/** Planners post BPJS Ketenagakerjaan's status file; the report opens when it is accepted. */
export function ReconciliationUploadPage({ token }: { token: string }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File>();
  const [progress, setProgress] = useState<number>();
  const [problem, setProblem] = useState<Problem>();
  const [openId, setOpenId] = useState('');

  const send = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setProblem(undefined);
    setProgress(0);
    try {
      const accepted = await upload(`/api/reconciliations?fileName=${encodeURIComponent(file.name)}`, file, token, randomKey(), setProgress);
      navigate(`/reconciliations/${accepted.id}`);
    } catch (error) {
      setProblem(error as Problem);
      setProgress(undefined);
    }
  };

  return (
    <section aria-labelledby="recon-title">
      <h1 id="recon-title">{t.reconciliationTitle}</h1>
      <p>{t.reconciliationIntro}</p>
      <form class="controls" onSubmit={send}>
        <div class="field">
          <label for="statusFile">{t.statusFile}</label>
          <input id="statusFile" name="statusFile" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                 onChange={e => setFile((e.target as HTMLInputElement).files?.[0])} />
        </div>
        <button type="submit" disabled={!file || progress !== undefined}>{t.sendFile}</button>
      </form>
      {progress !== undefined && <p><label for="upload-progress">{t.uploading}</label> <progress id="upload-progress" max={1} value={progress} /></p>}
      <ProblemNotice problem={problem} />
      <form class="controls" onSubmit={e => { e.preventDefault(); if (openId.trim()) navigate(`/reconciliations/${openId.trim()}`); }}>
        <div class="field">
          <label for="reconciliationId">{t.reconciliationId}</label>
          <input id="reconciliationId" name="reconciliationId" type="text" autoComplete="off" value={openId} onInput={e => setOpenId((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="secondary">{t.show}</button>
      </form>
    </section>
  );
}

/** GET /api/reconciliations/{id}: progress, counts, drift per regency and the rows, a page at a time. */
export function ReconciliationPage({ api, id, query }: { api: Api; id: string; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const page = Number(query.get('page')) || 1;
  const finding = query.get('finding') ?? '';
  const { data, problem, reload } = useLoad(() => answer(api.GET('/api/reconciliations/{id}', {
    params: { path: { id }, query: { page, finding: finding || undefined } }
  })) as Promise<ReconciliationView>, [api, id, page, finding]);
  // Regencies by name, from the same reference the other pages use (the code where a name is not known).
  const units = useLoad(() => answer(api.GET('/api/regencies')) as Promise<RegencyView[]>, [api]);
  const regencyName = (code?: string | null) => (code && units.data?.find(r => r.code === code)?.name) || code || '';
  // Follows a running reconciliation until it is done.
  useEffect(() => {
    if (!data || data.status === 'completed' || data.status === 'failed') return;
    const timer = setTimeout(reload, 1000);
    return () => clearTimeout(timer);
  }, [data]);
  const go = (next: { page?: number; finding?: string }) => {
    const params = new URLSearchParams();
    const f = next.finding ?? finding;
    if (f) params.set('finding', f);
    if ((next.page ?? 1) > 1) params.set('page', String(next.page));
    const search = params.toString();
    navigate(`/reconciliations/${id}${search ? `?${search}` : ''}`, true);
  };
  const pages = data ? Math.max(1, Math.ceil(data.rows.total / data.rows.pageSize)) : 1;

  return (
    <section aria-labelledby="recon-report-title">
      <p><a href="/reconciliations">{t.reconciliationTitle}</a></p>
      <h1 id="recon-report-title">{t.reconciliationReport}</h1>
      <ProblemNotice problem={problem} />
      {data && (
        <div>
          <p class="help">{data.fileName} · {t.reportedOn} {formatDate(data.reportedOn, lang)} · <span data-testid="recon-status">{t.jobStatus[data.status] ?? data.status}</span>
            {' '}({formatNumber(data.done, lang)}/{formatNumber(data.total, lang)})</p>
          {data.status !== 'completed' && data.status !== 'failed' && <progress max={Math.max(1, data.total)} value={data.done} aria-label={t.uploading} />}
          {data.failure && <p role="alert">{data.failure}</p>}
          <dl class="pa-summary" data-testid="recon-counts">
            <div><dt>{t.findings.matched}</dt><dd>{formatNumber(data.counts.matched ?? 0, lang)}</dd></div>
            <div><dt>{t.findings.drift}</dt><dd>{formatNumber(data.counts.drift ?? 0, lang)}</dd></div>
            <div><dt>{t.findings.unknown}</dt><dd>{formatNumber(data.counts.unknown ?? 0, lang)}</dd></div>
            <div><dt>{t.findings.invalid}</dt><dd>{formatNumber(data.counts.invalid ?? 0, lang)}</dd></div>
          </dl>
          <div class="table-scroll" tabIndex={0}>
            <table data-testid="recon-regencies">
              <caption>{t.driftPerRegency}</caption>
              <thead><tr><th scope="col">{t.regency}</th><th scope="col" class="num">{t.activeHereInactiveThere}</th>
                <th scope="col" class="num">{t.inactiveHereActiveThere}</th><th scope="col" class="num">{t.paidThroughDiffers}</th></tr></thead>
              <tbody>{data.regencies.map(r => (
                <tr key={r.code} data-code={r.code}><th scope="row">{regencyName(r.code)}</th><td class="num">{r.activeHereInactiveThere}</td><td class="num">{r.inactiveHereActiveThere}</td><td class="num">{r.paidThroughDiffers}</td></tr>
              ))}</tbody>
            </table>
          </div>
          <div class="field">
            <label for="finding">{t.finding}</label>
            <select id="finding" name="finding" value={finding} onChange={e => go({ finding: (e.target as HTMLSelectElement).value })}>
              <option value="">{t.allFindings}</option>
              {findingKinds.map(k => <option key={k} value={k}>{t.findings[k]}</option>)}
            </select>
          </div>
          <div class="table-scroll" tabIndex={0}>
            <table data-testid="recon-rows">
              <caption>{t.rows} · {t.pageOf(data.rows.page, pages, formatNumber(data.rows.total, lang))}</caption>
              <thead><tr><th scope="col">{t.row}</th><th scope="col">{t.finding}</th><th scope="col">KPJ</th><th scope="col">{t.nik}</th><th scope="col">{t.regency}</th><th scope="col">{t.notes}</th></tr></thead>
              <tbody>{data.rows.items.map(r => (
                <tr key={r.row}>
                  <td>{r.row}</td><td>{t.findings[r.finding ?? ''] ?? r.finding}</td><td>{r.kpj}</td><td>{r.maskedNik}</td><td>{regencyName(r.regencyCode)}</td>
                  <td>{[...(r.drift ?? []).map(String), ...(r.reasons ?? [])].join('; ')}</td>
                </tr>
              ))}</tbody>
            </table>
          </div>
          <div class="pa-actions">
            <button type="button" class="secondary" disabled={data.rows.page <= 1} onClick={() => go({ page: data.rows.page - 1 })}>{t.previous}</button>
            <button type="button" class="secondary" disabled={data.rows.page >= pages} onClick={() => go({ page: data.rows.page + 1 })}>{t.next}</button>
          </div>
        </div>
      )}
    </section>
  );
}
