import { useCallback, useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { answer, ApiProblem, type Api } from '../api/client';
import type { CaseHistory, CaseView } from '../api/types';
import type { Problem } from '../problems';
import { formatDate, formatDateTime, formatMonth } from '../format';
import { ProblemNotice } from '../components/ProblemNotice';
import { CaseCommands } from './caseworker/CaseCommands';
import { InsurerFinding, PaymentMonths } from './caseworker/PaymentMonths';
import './caseworker/caseworker.css';
import { storedSession } from '../auth/session';

/** Splits an event type such as "ContactAttemptRecorded" into words for people who read the timeline. */
export function eventLabel(type: string): string {
  const name = type.slice(type.lastIndexOf('.') + 1).replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return name.charAt(0) + name.slice(1).toLowerCase();
}

/** A case: where it stands, and its history as a timeline (GET /api/cases/{id} and /history). */
export function CasePage({ api, id }: { api: Api; id: string }) {
  const { t, lang } = useI18n();
  const [view, setView] = useState<CaseView>();
  const [history, setHistory] = useState<CaseHistory>();
  const [problem, setProblem] = useState<Problem>();

  // Loads the case and its history; again after a command, keeping what is shown until the new answer arrives.
  const load = useCallback((current: () => boolean = () => true) => {
    const path = { params: { path: { id } } };
    return Promise.all([answer(api.GET('/api/cases/{id}', path as never)), answer(api.GET('/api/cases/{id}/history', path as never))])
      .then(([v, h]) => { if (current()) { setView(v as CaseView); setHistory(h as CaseHistory); setProblem(undefined); } })
      .catch(e => { if (current()) setProblem(e instanceof ApiProblem ? e.problem : { title: String(e) }); });
  }, [api, id]);

  useEffect(() => {
    let current = true;
    void load(() => current);
    return () => { current = false; };
  }, [load]);

  return (
    <section aria-labelledby="case-title">
      <p><a href="/cases">← {t.backToWorklist}</a></p>
      <h1 id="case-title">{view?.fullName ?? t.caseTitle}</h1>
      <ProblemNotice problem={problem} />
      {!view && !problem && <p>{t.loading}</p>}
      {view && (
        <>
          <p><span class={`stage stage-${view.stage}`} data-testid="case-stage">{t.stages[view.stage] ?? view.stage}</span></p>
          <dl class="facts">
            <dt>{t.nik}</dt><dd>{view.nik ?? '—'}</dd>
            <dt>{t.village}</dt><dd>{[view.village, view.district].filter(Boolean).join(', ') || '—'}</dd>
            <dt>{t.occupation}</dt><dd>{view.occupation ?? '—'}</dd>
            <dt>{t.contactAttempts}</dt><dd>{view.contactAttempts}</dd>
            {view.membershipNumber && <><dt>{t.membershipNumber}</dt><dd>{view.membershipNumber}</dd></>}
            {view.paidThrough && <><dt>{t.paidThrough}</dt><dd>{formatMonth(view.paidThrough, lang)}</dd></>}
            {view.lapsesOn && <><dt>{t.lapsesOn}</dt><dd>{formatDate(view.lapsesOn, lang)}</dd></>}
            <dt>{t.openedAt}</dt><dd>{formatDate(view.openedAt, lang)}</dd>
            {view.closedReason && <><dt>{t.closedReason}</dt><dd>{t.reasons[view.closedReason] ?? view.closedReason}</dd></>}
            <dt>{t.version}</dt><dd data-testid="case-version">{view.version}</dd>
          </dl>
          <PaymentMonths view={view} history={history} />
          <InsurerFinding view={view} />
          {/* Commands are the caseworker's; an auditor reads the same page without them. */}
          {storedSession()?.roles.includes('caseworker') && <CaseCommands api={api} view={view} history={history} onSaved={() => load()} />}
        </>
      )}
      {history && (
        <>
          <h2>{t.history}</h2>
          <ol class="timeline" data-testid="timeline">
            {history.events.map(e => (
              <li key={e.sequence}>
                <time dateTime={e.timestamp}>{formatDateTime(e.timestamp, lang)}</time>
                <span class="event">{t.caseEvents[e.type] ?? eventLabel(e.type)}</span>
                {e.user && <span class="help"> {t.recordedBy} {e.user}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
