import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { SubjectAccessReport } from '../../api/types';
import type { Problem } from '../../problems';
import { formatDateTime } from '../../format';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { described, paFieldErrors, problemOf, randomKey } from './common';
import { CaseHistoryList } from './CaseAudit';

/**
 * POST /api/audit/subject-access {nik}: everything held about a person. The answer carries personal data: it lives
 * in this page's memory only (no localStorage, no URL, no cache) and is dropped when the page is left.
 */
export function SubjectAccessPage({ api }: { api: Api }) {
  const { t, lang } = useI18n();
  const [nik, setNik] = useState('');
  const [report, setReport] = useState<SubjectAccessReport>();
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  useEffect(() => () => setReport(undefined), []);
  const errors = paFieldErrors(problem, t);

  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setReport(undefined);
    try {
      setReport(await answer(api.POST('/api/audit/subject-access', {
        params: { header: { 'Idempotency-Key': randomKey() } }, body: { nik: nik.trim() }, cache: 'no-store'
      })) as SubjectAccessReport);
      setProblem(undefined);
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="subject-title">
      <h1 id="subject-title">{t.subjectAccessTitle}</h1>
      <p>{t.subjectAccessIntro}</p>
      <form class="controls" onSubmit={run} autoComplete="off">
        <div class="field">
          <label for="nik">{t.nik}</label>
          <input type="text" inputMode="numeric" autoComplete="off" maxLength={16} value={nik} {...described('nik', errors.nik)}
                 onInput={e => setNik((e.target as HTMLInputElement).value)} />
          <FieldError id="nik-error" message={errors.nik} />
        </div>
        <button type="submit" disabled={busy}>{busy ? t.loading : t.runSubjectAccess}</button>
      </form>
      <ProblemNotice problem={problem} />
      {report && (
        <div data-testid="subject-report">
          <p class="help">{t.producedAt} {formatDateTime(report.producedAt, lang)} · {report.producedBy}</p>
          <dl class="pa-summary">
            <div><dt>{t.casesHeld}</dt><dd data-testid="subject-cases">{report.cases.length}</dd></div>
            <div><dt>{t.importRowsHeld}</dt><dd>{report.importRows.length}</dd></div>
            <div><dt>{t.reconciliationRowsHeld}</dt><dd>{report.reconciliationRows.length}</dd></div>
            <div><dt>{t.accessesHeld}</dt><dd>{report.accesses.length}{report.accessesTruncated ? '+' : ''}</dd></div>
          </dl>
          {report.cases.map(c => (
            <article key={c.case.id} class="pa-card">
              <h2><a href={`/history/${c.case.id}`}>{c.case.erased ? t.erased : c.case.fullName}</a> · {t.stages[c.case.stage] ?? c.case.stage}</h2>
              <p class="help">{t.nik} {c.case.erased ? t.erased : c.case.nik} · {c.case.village} · <code>{c.case.id}</code></p>
              <CaseHistoryList history={c.history} caseId={c.case.id} />
            </article>
          ))}
          {report.accesses.length > 0 && (
            <div class="table-scroll" tabIndex={0}>
              <table>
                <caption>{t.accessesHeld}</caption>
                <thead><tr><th scope="col">{t.readAt}</th><th scope="col">{t.reader}</th><th scope="col">{t.route}</th></tr></thead>
                <tbody>{report.accesses.map(a => <tr key={a.id}><td>{formatDateTime(a.readAt ?? '', lang)}</td><td>{a.userName ?? a.userId}</td><td><code>{a.route}</code></td></tr>)}</tbody>
              </table>
            </div>
          )}
          <p class="help">{report.note}</p>
        </div>
      )}
    </section>
  );
}
