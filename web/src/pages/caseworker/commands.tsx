import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { answer, ApiProblem } from '../../api/client';
import { useI18n } from '../../i18n';
import type { Messages } from '../../i18n/messages';
import { fieldErrors, slugOf, type Problem } from '../../problems';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { newIdempotencyKey } from './values';

export * from './values';

/** Field errors in the person's language, the caseworker's fields included. */
export function commandFieldErrors(problem: Problem | undefined, t: Messages): Record<string, string> {
  return fieldErrors(problem, { ...t, fields: { ...t.fields, ...t.cwFields } });
}

type Call = Promise<{ data?: unknown; error?: unknown; response: Response }>;

/**
 * One command form's sending: an Idempotency-Key per submission, kept for a retry after a lost connection (the API
 * answers the repeat with the first answer, so a payment is never recorded twice) and dropped once the API answered
 * or the person changed the form; the version the case was loaded at goes as expectedVersion and If-Match.
 */
export function useCommand(version: number, onDone: () => void, onStale: () => void) {
  const key = useRef<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [retry, setRetry] = useState(false);

  // A changed form is another request: a new key. Had the lost one been written after all, the version it
  // expected is gone, and the API refuses the new one (concurrency-conflict) instead of recording it twice.
  const changed = () => { key.current = undefined; setRetry(false); };

  async function submit(send: (request: { key: string; version: number; headers: Record<string, string> }) => Call) {
    if (busy) return;
    key.current ??= newIdempotencyKey();
    setBusy(true);
    setProblem(undefined);
    try {
      await answer(send({ key: key.current, version, headers: { 'If-Match': `"${version}"` } }));
      key.current = undefined;
      setRetry(false);
      onDone();
    } catch (e) {
      const refused = e instanceof ApiProblem ? e.problem : { title: String(e) };
      setProblem(refused);
      const slug = slugOf(refused);
      const unanswered = slug === 'network' || slug === 'service-unavailable' || slug === 'rate-limited' || (refused.status ?? 0) >= 500;
      setRetry(unanswered);
      if (!unanswered) key.current = undefined;
      // Someone else changed the case: load it again, so the next try expects the current version.
      if (slug === 'concurrency-conflict') onStale();
    } finally {
      setBusy(false);
    }
  }

  return { busy, problem, retry, submit, changed };
}

/** A form's field: label, control, the API's complaint about it tied to the control. */
export function Field({ id, label, error, help, children }: {
  id: string; label: string; error?: string; help?: ComponentChildren; children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {help && <p class="help" id={`${id}-help`}>{help}</p>}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

/** The attributes tying a control to its error (aria-describedby, aria-invalid). */
export function describedBy(id: string, error?: string, help?: boolean) {
  const ids = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { id, name: id, 'aria-describedby': ids || undefined, 'aria-invalid': error ? true : undefined } as const;
}

/** The form's foot: the refusal (with its figures), the retry hint, and the send button. */
export function FormFoot({ busy, problem, retry, testId }: { busy: boolean; problem?: Problem; retry: boolean; testId: string }) {
  const { t } = useI18n();
  return (
    <>
      <ProblemNotice problem={problem} />
      {retry && <p class="help">{t.retryHelp}</p>}
      <button type="submit" disabled={busy} data-testid={testId}>{busy ? t.sending : t.send}</button>
    </>
  );
}
