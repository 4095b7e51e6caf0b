import { useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { CaseHistory, CaseView } from '../../api/types';
import { formatDate, formatDateTime, formatMonth, formatRupiah } from '../../format';
import { navigate } from '../../router';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { described, paFieldErrors, useLoad } from './common';

type Entry = CaseHistory['events'][number];

/** Why an event happened, as far as its data says: a reason, a note, an outcome or what the insurer said. */
function why(entry: Entry): string | undefined {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  for (const key of ['reason', 'note', 'legalBasis', 'outcome', 'finding'])
    if (typeof data[key] === 'string' && data[key]) return data[key] as string;
  return undefined;
}

/** A case's history as a timeline (who, when, why) for auditors. Personal data: never cached, never stored. */
export function CaseHistoryList({ history, caseId, selected }: { history: CaseHistory; caseId: string; selected?: number }) {
  const { t, lang } = useI18n();
  return (
    <ol class="pa-timeline" data-testid="audit-timeline">
      {history.events.map(e => (
        <li key={e.sequence} data-version={e.version} aria-current={selected === e.version ? 'step' : undefined}>
          <p class="pa-event"><strong>{t.events[e.type] ?? e.type}</strong> · {t.version} {e.version}</p>
          <p class="help">
            {formatDateTime(e.timestamp, lang)} {t.recordedBy} <span data-testid="event-user">{e.userName || e.user}</span>
            {e.effectiveAt && e.effectiveAt !== e.timestamp ? <> · {t.effective} {formatDate(e.effectiveAt, lang)}</> : null}
          </p>
          {why(e) && <p>{t.why}: {why(e)}</p>}
          <details>
            <summary>{t.eventData}</summary>
            <pre>{JSON.stringify(e.data, null, 2)}</pre>
            <p class="help">{t.correlation}: <code>{e.correlationId}</code> · {t.hash}: <code>{e.hash.slice(0, 16)}…</code></p>
          </details>
          <a href={`/history/${caseId}?version=${e.version}`}>{t.caseAtVersion} {e.version}</a>
        </li>
      ))}
    </ol>
  );
}

function CaseFacts({ view }: { view: CaseView }) {
  const { t, lang } = useI18n();
  return (
    <dl class="pa-facts" data-testid="case-as-of">
      <div><dt>{t.version}</dt><dd data-testid="as-of-version">{view.version}</dd></div>
      <div><dt>{t.stage}</dt><dd data-testid="as-of-stage">{t.stages[view.stage] ?? view.stage}</dd></div>
      <div><dt>{t.name}</dt><dd>{view.erased ? t.erased : view.fullName}</dd></div>
      <div><dt>{t.nik}</dt><dd>{view.erased ? t.erased : view.nik}</dd></div>
      <div><dt>{t.updatedAt}</dt><dd>{formatDateTime(view.updatedAt, lang)}</dd></div>
      <div><dt>{t.contactAttempts}</dt><dd>{view.contactAttempts ?? 0}</dd></div>
      {view.membershipNumber && <div><dt>{t.membershipNumber}</dt><dd>{view.membershipNumber}</dd></div>}
      {view.paidThrough && <div><dt>{t.paidThrough}</dt><dd>{formatMonth(String(view.paidThrough), lang)}</dd></div>}
      {view.subsidy && <div><dt>{t.subsidy}</dt><dd>{t.payers[view.subsidy.payer as string] ?? view.subsidy.payer} · {formatRupiah(view.subsidy.monthlyPremium, lang)}</dd></div>}
    </dl>
  );
}

/** GET /api/cases/{id}/history and the case as of a version or an instant (?version= / ?asOf=). */
export function CaseAuditPage({ api, id, query }: { api: Api; id: string; query: URLSearchParams }) {
  const { t } = useI18n();
  const version = query.get('version') ?? '';
  const asOf = query.get('asOf') ?? '';
  const [versionText, setVersionText] = useState(version);
  const [dateText, setDateText] = useState(asOf ? asOf.slice(0, 10) : '');
  const history = useLoad(() => answer(api.GET('/api/cases/{id}/history', { params: { path: { id } }, cache: 'no-store' })) as Promise<CaseHistory>, [api, id]);
  const view = useLoad(() => answer(api.GET('/api/cases/{id}', {
    params: { path: { id }, query: { version: version ? version as never : undefined, asOf: asOf || undefined } }, cache: 'no-store'
  })) as Promise<CaseView>, [api, id, version, asOf]);
  const errors = paFieldErrors(view.problem, t);

  const go = (next: { version?: string; asOf?: string }) => {
    const params = new URLSearchParams();
    if (next.version) params.set('version', next.version);
    // A day means its end in the province (UTC+7): everything recorded that day counts.
    if (next.asOf) params.set('asOf', `${next.asOf}T23:59:59+07:00`);
    const search = params.toString();
    navigate(`/history/${id}${search ? `?${search}` : ''}`, true);
  };

  return (
    <section aria-labelledby="case-audit-title">
      <h1 id="case-audit-title">{t.caseHistoryTitle}</h1>
      <p class="help"><code>{id}</code></p>
      <form class="controls" onSubmit={e => { e.preventDefault(); go({ version: versionText, asOf: versionText ? '' : dateText }); }}>
        <div class="field">
          <label for="version">{t.asOfVersion}</label>
          <input type="number" inputMode="numeric" min="1" value={versionText} {...described('version', errors.version)}
                 onInput={e => setVersionText((e.target as HTMLInputElement).value)} />
          <FieldError id="version-error" message={errors.version} />
        </div>
        <div class="field">
          <label for="asOfDay">{t.asOfDate}</label>
          <input type="date" max="9999-12-31" value={dateText} {...described('asOfDay', errors.asOf)}
                 onInput={e => setDateText((e.target as HTMLInputElement).value)} />
          <FieldError id="asOfDay-error" message={errors.asOf} />
        </div>
        <button type="submit">{t.show}</button>
        <button type="button" class="secondary" onClick={() => { setVersionText(''); setDateText(''); go({}); }}>{t.now}</button>
      </form>
      <h2>{version ? `${t.caseAtVersion} ${version}` : asOf ? `${t.caseAsOf} ${asOf.slice(0, 10)}` : t.caseNow}</h2>
      <ProblemNotice problem={view.problem} />
      {view.data && <CaseFacts view={view.data} />}
      <h2>{t.history}</h2>
      <ProblemNotice problem={history.problem} />
      {history.loading && !history.data && <p aria-live="polite">{t.loading}</p>}
      {history.data && <CaseHistoryList history={history.data} caseId={id} selected={version ? Number(version) : undefined} />}
    </section>
  );
}

/** Auditors open a case's history by its id (from the worklist, subject access or the access log). */
export function CaseLookupPage() {
  const { t } = useI18n();
  const [id, setId] = useState('');
  const valid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id.trim());
  return (
    <section aria-labelledby="lookup-title">
      <h1 id="lookup-title">{t.caseHistoryTitle}</h1>
      <form class="controls" onSubmit={e => { e.preventDefault(); if (valid) navigate(`/history/${id.trim()}`); }}>
        <div class="field">
          <label for="caseId">{t.caseId}</label>
          <input type="text" autoComplete="off" value={id} {...described('caseId')} onInput={e => setId((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" disabled={!valid}>{t.show}</button>
      </form>
    </section>
  );
}
