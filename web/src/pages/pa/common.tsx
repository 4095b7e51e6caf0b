import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem } from '../../api/client';
import { fieldErrors, type Problem } from '../../problems';
import type { Messages } from '../../i18n/messages';

/** What a refusal or a thrown error becomes on a page. */
export function problemOf(error: unknown): Problem {
  return error instanceof ApiProblem ? error.problem : { title: String(error) };
}

/** Loads when the inputs change; a late answer to an older request is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T>();
  const [problem, setProblem] = useState<Problem>();
  const [loading, setLoading] = useState(true);
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then(d => { if (current) { setData(d); setProblem(undefined); } })
      .catch(e => { if (current) setProblem(problemOf(e)); })
      .finally(() => { if (current) setLoading(false); });
    return () => { current = false; };
  }, [...deps, reloads]);
  return { data, problem, loading, reload: () => setReloads(r => r + 1) };
}

/** 128 random bits as hex: an Idempotency-Key (visible ASCII, 32 characters). */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One Idempotency-Key per submission: a resend of the same form after a lost answer repeats the key (the API answers
 * as the first time and writes nothing), an edit or a success starts a new submission with a new key.
 */
export function useSubmissionKey() {
  const key = useRef(randomKey());
  return { current: () => key.current, renew: () => { key.current = randomKey(); } };
}

/** Field errors in the person's language, knowing the fields of the planner and auditor pages too. */
export function paFieldErrors(problem: Problem | undefined, t: Messages): Record<string, string> {
  return fieldErrors(problem, { ...t, fields: { ...t.fields, ...t.paFields } });
}

/** The attributes tying an input to its help and its error (aria-describedby, aria-invalid). */
export function described(id: string, error?: string, help = false) {
  const ids = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { id, name: id, 'aria-describedby': ids || undefined, 'aria-invalid': error ? true : undefined };
}

/** The province's current year (Asia/Jakarta). */
export function currentYear(): number {
  return Number(new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone: 'Asia/Jakarta' }).format(new Date()));
}

/** A whole number typed by a person ("1.500.000", "1500000"): digits with optional dots or spaces as thousands separators. */
export function parseWhole(text: string): number | undefined {
  const cleaned = text.trim().replace(/[.\s]/g, '');
  return /^-?\d{1,19}$/.test(cleaned) ? Number(cleaned) : undefined;
}

export const payers = ['APBD_REGENCY', 'APBD_PROVINCE'] as const;
export type PayerCode = typeof payers[number];
