import { useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { Problem } from '../../problems';
import { FieldError, ProblemNotice } from '../../components/ProblemNotice';
import { described, paFieldErrors, parseWhole, payers, problemOf, useSubmissionKey, type PayerCode } from './common';

interface Regency { code: string; name: string }

/** Submitting, the refusal and the success note, shared by the three forms. */
function useSubmit(onDone: () => void) {
  const key = useSubmissionKey();
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const submit = async (send: (idempotencyKey: string) => Promise<unknown>, local?: Problem) => {
    setDone(false);
    if (local) { setProblem(local); return; }
    setBusy(true);
    try {
      await send(key.current());
      key.renew();
      setProblem(undefined);
      setDone(true);
      onDone();
    } catch (e) {
      setProblem(problemOf(e));
    } finally {
      setBusy(false);
    }
  };
  // Any edit is a new submission: a new key, so the API never mistakes it for a resend.
  const edited = () => { key.renew(); setDone(false); };
  return { problem, busy, done, submit, edited };
}

/** A field the form checked before sending, shaped like the API's validation problem so it shows the same way. */
function localProblem(errors: Record<string, string[]>): Problem | undefined {
  return Object.keys(errors).length ? { type: 'validation', status: 400, errors } : undefined;
}

function PayerFields({ prefix, payer, setPayer, regency, setRegency, regencies, errors }: {
  prefix: string; payer: PayerCode; setPayer: (p: PayerCode) => void; regency: string; setRegency: (r: string) => void;
  regencies: Regency[]; errors: Record<string, string>;
}) {
  const { t } = useI18n();
  return (
    <>
      <div class="field">
        <label for={`${prefix}-payer`}>{t.payer}</label>
        <select value={payer} {...described(`${prefix}-payer`, errors.payer)} onChange={e => setPayer((e.target as HTMLSelectElement).value as PayerCode)}>
          {payers.map(p => <option key={p} value={p}>{t.payers[p]}</option>)}
        </select>
        <FieldError id={`${prefix}-payer-error`} message={errors.payer} />
      </div>
      {payer === 'APBD_REGENCY' && (
        <div class="field">
          <label for={`${prefix}-regencyCode`}>{t.regency}</label>
          <select value={regency} {...described(`${prefix}-regencyCode`, errors.regencyCode)} onChange={e => setRegency((e.target as HTMLSelectElement).value)}>
            {regencies.map(r => <option key={r.code} value={r.code}>{r.name}</option>)}
          </select>
          <FieldError id={`${prefix}-regencyCode-error`} message={errors.regencyCode} />
        </div>
      )}
    </>
  );
}

function YearField({ prefix, year, setYear, errors }: { prefix: string; year: string; setYear: (y: string) => void; errors: Record<string, string> }) {
  const { t } = useI18n();
  return (
    <div class="field">
      <label for={`${prefix}-year`}>{t.year}</label>
      <input type="number" inputMode="numeric" min="2000" max="2100" value={year} {...described(`${prefix}-year`, errors.year)}
             onInput={e => setYear((e.target as HTMLInputElement).value)} />
      <FieldError id={`${prefix}-year-error`} message={errors.year} />
    </div>
  );
}

/** POST /api/budgets: an allocation (APBD) or a mid-year top-up (APBD-P). */
export function AllocationForm({ api, regencies, onDone, initialYear }: { api: Api; regencies: Regency[]; onDone: () => void; initialYear: number }) {
  const { t } = useI18n();
  const [payer, setPayer] = useState<PayerCode>('APBD_REGENCY');
  const [regency, setRegency] = useState(regencies[0]?.code ?? '');
  const [year, setYear] = useState(String(initialYear));
  const [amount, setAmount] = useState('');
  const [kind, setKind] = useState<'APBD' | 'APBD_P'>('APBD');
  const [note, setNote] = useState('');
  const { problem, busy, done, submit, edited } = useSubmit(onDone);
  const errors = paFieldErrors(problem, t);
  const p = 'allocation';

  const send = (e: Event) => {
    e.preventDefault();
    const value = parseWhole(amount);
    submit(key => answer(api.POST('/api/budgets', {
      params: { header: { 'Idempotency-Key': key } },
      body: { payer, regencyCode: payer === 'APBD_REGENCY' ? (regency || regencies[0]?.code) : undefined, year: Number(year), amount: value!, kind, note: note || null } as never
    })), value === undefined ? localProblem({ amount: ['must be a positive amount in rupiah'] }) : undefined);
  };

  return (
    <form class="pa-form" aria-labelledby={`${p}-title`} onSubmit={send} onInput={edited} data-testid="allocation-form" noValidate>
      <h2 id={`${p}-title`}>{t.recordAllocation}</h2>
      <PayerFields prefix={p} payer={payer} setPayer={setPayer} regency={regency || regencies[0]?.code || ''} setRegency={setRegency} regencies={regencies} errors={errors} />
      <YearField prefix={p} year={year} setYear={setYear} errors={errors} />
      <AmountField prefix={p} label={t.amountRupiah} help={t.amountHelp} amount={amount} setAmount={setAmount} error={errors.amount} />
      <div class="field">
        <label for={`${p}-kind`}>{t.kind}</label>
        <select value={kind} {...described(`${p}-kind`, errors.kind)} onChange={e => setKind((e.target as HTMLSelectElement).value as 'APBD' | 'APBD_P')}>
          <option value="APBD">{t.kinds.APBD}</option>
          <option value="APBD_P">{t.kinds.APBD_P}</option>
        </select>
        <FieldError id={`${p}-kind-error`} message={errors.kind} />
      </div>
      <div class="field">
        <label for={`${p}-note`}>{t.noteOptional}</label>
        <textarea rows={2} value={note} {...described(`${p}-note`, errors.note)} onInput={e => setNote((e.target as HTMLTextAreaElement).value)} />
        <FieldError id={`${p}-note-error`} message={errors.note} />
      </div>
      <ProblemNotice problem={problem} />
      {done && <p class="success" role="status">{t.saved}</p>}
      <button type="submit" disabled={busy}>{busy ? t.saving : t.recordAllocation}</button>
    </form>
  );
}

/** POST /api/budgets/adjustments: corrects an allocation, with a reason; never below what is committed. */
export function AdjustmentForm({ api, regencies, onDone, initialYear }: { api: Api; regencies: Regency[]; onDone: () => void; initialYear: number }) {
  const { t } = useI18n();
  const [payer, setPayer] = useState<PayerCode>('APBD_REGENCY');
  const [regency, setRegency] = useState(regencies[0]?.code ?? '');
  const [year, setYear] = useState(String(initialYear));
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const { problem, busy, done, submit, edited } = useSubmit(onDone);
  const errors = paFieldErrors(problem, t);
  const p = 'adjustment';

  const send = (e: Event) => {
    e.preventDefault();
    const value = parseWhole(amount);
    submit(key => answer(api.POST('/api/budgets/adjustments', {
      params: { header: { 'Idempotency-Key': key } },
      body: { payer, regencyCode: payer === 'APBD_REGENCY' ? (regency || regencies[0]?.code) : undefined, year: Number(year), amount: value!, reason } as never
    })), value === undefined || value === 0 ? localProblem({ amount: ['must be a non-zero amount in rupiah'] }) : undefined);
  };

  return (
    <form class="pa-form" aria-labelledby={`${p}-title`} onSubmit={send} onInput={edited} data-testid="adjustment-form" noValidate>
      <h2 id={`${p}-title`}>{t.recordAdjustment}</h2>
      <PayerFields prefix={p} payer={payer} setPayer={setPayer} regency={regency || regencies[0]?.code || ''} setRegency={setRegency} regencies={regencies} errors={errors} />
      <YearField prefix={p} year={year} setYear={setYear} errors={errors} />
      <AmountField prefix={p} label={t.adjustmentAmount} help={t.adjustmentHelp} amount={amount} setAmount={setAmount} error={errors.amount} />
      <div class="field">
        <label for={`${p}-reason`}>{t.reason}</label>
        <textarea rows={2} value={reason} {...described(`${p}-reason`, errors.reason)} onInput={e => setReason((e.target as HTMLTextAreaElement).value)} />
        <FieldError id={`${p}-reason-error`} message={errors.reason} />
      </div>
      <ProblemNotice problem={problem} />
      {done && <p class="success" role="status">{t.saved}</p>}
      <button type="submit" disabled={busy}>{busy ? t.saving : t.recordAdjustment}</button>
    </form>
  );
}

/** PUT /api/regencies/{code}/targets/{year}: the number of eligible workers coverage is measured against. */
export function TargetForm({ api, code, onDone, initialYear }: { api: Api; code: string; onDone: () => void; initialYear: number }) {
  const { t } = useI18n();
  const [year, setYear] = useState(String(initialYear));
  const [eligible, setEligible] = useState('');
  const [source, setSource] = useState('');
  const [note, setNote] = useState('');
  const { problem, busy, done, submit, edited } = useSubmit(onDone);
  const errors = paFieldErrors(problem, t);
  const p = 'target';

  const send = (e: Event) => {
    e.preventDefault();
    const value = parseWhole(eligible);
    submit(key => answer(api.PUT('/api/regencies/{code}/targets/{year}', {
      params: { path: { code, year: Number(year) }, header: { 'Idempotency-Key': key } },
      body: { eligibleWorkers: value!, source, note: note || null }
    })), value === undefined ? localProblem({ eligibleWorkers: ['must be a positive number of workers'] }) : undefined);
  };

  return (
    <form class="pa-form" aria-labelledby={`${p}-title`} onSubmit={send} onInput={edited} data-testid="target-form" noValidate>
      <h2 id={`${p}-title`}>{t.setTarget}</h2>
      <YearField prefix={p} year={year} setYear={setYear} errors={errors} />
      <div class="field">
        <label for={`${p}-eligibleWorkers`}>{t.target}</label>
        <input type="text" inputMode="numeric" autoComplete="off" value={eligible} {...described(`${p}-eligibleWorkers`, errors.eligibleWorkers)}
               onInput={e => setEligible((e.target as HTMLInputElement).value)} />
        <FieldError id={`${p}-eligibleWorkers-error`} message={errors.eligibleWorkers} />
      </div>
      <div class="field">
        <label for={`${p}-source`}>{t.targetSource}</label>
        <input type="text" value={source} {...described(`${p}-source`, errors.source)} onInput={e => setSource((e.target as HTMLInputElement).value)} />
        <FieldError id={`${p}-source-error`} message={errors.source} />
      </div>
      <div class="field">
        <label for={`${p}-note`}>{t.noteOptional}</label>
        <textarea rows={2} value={note} {...described(`${p}-note`, errors.note)} onInput={e => setNote((e.target as HTMLTextAreaElement).value)} />
        <FieldError id={`${p}-note-error`} message={errors.note} />
      </div>
      <ProblemNotice problem={problem} />
      {done && <p class="success" role="status">{t.saved}</p>}
      <button type="submit" disabled={busy}>{busy ? t.saving : t.setTarget}</button>
    </form>
  );
}

/** A rupiah amount typed as text (thousands separators allowed), with its help and its error beside it. */
function AmountField({ prefix, label, help, amount, setAmount, error }:
  { prefix: string; label: string; help: string; amount: string; setAmount: (v: string) => void; error?: string }) {
  return (
    <div class="field">
      <label for={`${prefix}-amount`}>{label}</label>
      <input type="text" inputMode="numeric" autoComplete="off" value={amount} {...described(`${prefix}-amount`, error, true)}
             onInput={e => setAmount((e.target as HTMLInputElement).value)} />
      <p class="help" id={`${prefix}-amount-help`}>{help}</p>
      <FieldError id={`${prefix}-amount-error`} message={error} />
    </div>
  );
}
