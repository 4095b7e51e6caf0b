import { useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { answer, ApiProblem, type Api } from '../api/client';
import type { ChainReport } from '../api/types';
import type { Problem } from '../problems';
import { formatDateTime, formatNumber } from '../format';
import { ProblemNotice } from '../components/ProblemNotice';

/** Auditors' main page: recompute the tamper-evidence chain (GET /api/audit/verify) and show what was found. */
export function AuditVerifyPage({ api }: { api: Api }) {
  const { t, lang } = useI18n();
  const [report, setReport] = useState<ChainReport>();
  const [checkedAt, setCheckedAt] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [running, setRunning] = useState(false);

  const verify = async () => {
    setRunning(true);
    setProblem(undefined);
    try {
      setReport(await answer(api.GET('/api/audit/verify')) as ChainReport);
      setCheckedAt(new Date().toISOString());
    } catch (e) {
      setProblem(e instanceof ApiProblem ? e.problem : { title: String(e) });
    } finally {
      setRunning(false);
    }
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t.auditTitle}</h1>
      <p>{t.auditIntro}</p>
      <button type="button" onClick={verify} disabled={running}>{running ? t.verifying : t.verifyChain}</button>
      <ProblemNotice problem={problem} />
      <div aria-live="polite">
        {report && (
          <div class={report.valid ? 'verdict valid' : 'verdict invalid'} data-testid="chain-verdict">
            <h2>{report.valid ? t.chainValid : t.chainInvalid}</h2>
            <dl>
              <dt>{t.eventsChecked}</dt><dd data-testid="events-checked">{formatNumber(report.eventsChecked, lang)}</dd>
              {report.firstInvalidSequence != null && <><dt>{t.firstInvalidSequence}</dt><dd>{report.firstInvalidSequence}</dd></>}
              {checkedAt && <><dt>{t.checkedAt}</dt><dd>{formatDateTime(checkedAt, lang)}</dd></>}
            </dl>
            {report.breaks.length > 0 && (
              <table>
                <caption>{t.breaks}</caption>
                <thead><tr><th scope="col">{t.sequence}</th><th scope="col">{t.problem}</th></tr></thead>
                <tbody>{report.breaks.map(b => <tr key={b.sequence}><td>{b.sequence}</td><td>{b.problem}</td></tr>)}</tbody>
              </table>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
