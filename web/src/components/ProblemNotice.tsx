import { useI18n } from '../i18n';
import { describe, type Problem } from '../problems';
import { formatRupiah } from '../format';

/** A refusal in the person's language, with the figures the API gave (remaining budget, current version). */
export function ProblemNotice({ problem }: { problem?: Problem }) {
  const { t, lang } = useI18n();
  if (!problem) return null;
  const { message, detail } = describe(problem, t);
  return (
    <div class="problem" role="alert">
      <p><strong>{message}</strong>{detail ? <> <code>{detail}</code></> : null}</p>
      {typeof problem.remaining === 'number' && <p>{t.remaining}: {formatRupiah(problem.remaining, lang)}</p>}
      {typeof problem.currentVersion === 'number' && <p>{t.currentVersion}: {problem.currentVersion}</p>}
    </div>
  );
}

/** A field's error, tied to its input by id (aria-describedby) so a screen reader reads it with the field. */
export function FieldError({ id, message }: { id: string; message?: string }) {
  return message ? <p class="field-error" id={id}>{message}</p> : null;
}
