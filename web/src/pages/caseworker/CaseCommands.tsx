import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Api } from '../../api/client';
import type { CaseHistory, CaseView } from '../../api/types';
import { useI18n } from '../../i18n';
import { formatDate, formatMonth } from '../../format';
import {
  addMonths, commandFieldErrors, describedBy, Field, FormFoot, formatRupiahExact, parseRupiah, provinceMonth, provinceToday, useCommand
} from './commands';
import { paidMonths } from './PaymentMonths';

type Props = { api: Api; view: CaseView; history?: CaseHistory; onDone: () => void; onStale: () => void };
type Stage = CaseView['stage'];

const channels = ['visit', 'phone', 'whatsapp', 'sms', 'community_event'] as const;
const outcomes = ['reached', 'unreachable', 'refused', 'wrong_contact'] as const;
const reasons = ['declined', 'ineligible', 'unreachable', 'duplicate', 'deceased', 'moved_away', 'wage_earner'] as const;

/** Which commands a stage takes (the API decides; this only spares people a refusal they can foresee). */
const commands: { name: string; title: 'contactForm' | 'enrolForm' | 'subsidyForm' | 'paymentForm' | 'closureForm' | 'reopenForm' | 'correctionForm';
  allowed: (stage: Stage) => boolean; why: 'contactNeedsOpen' | 'enrolNeedsContacted' | 'subsidyNeedsEnrolled' | 'paymentNeedsMember' | 'closureNeedsOpen' | 'reopenNeedsClosed' | null;
  next: Stage[]; Form: (props: Props) => preact.JSX.Element }[] = [
  { name: 'contact', title: 'contactForm', allowed: s => s !== 'closed', why: 'contactNeedsOpen', next: ['identified'], Form: ContactForm },
  { name: 'enrolment', title: 'enrolForm', allowed: s => s === 'contacted', why: 'enrolNeedsContacted', next: ['contacted'], Form: EnrolForm },
  { name: 'subsidy', title: 'subsidyForm', allowed: s => s === 'enrolled', why: 'subsidyNeedsEnrolled', next: ['enrolled'], Form: SubsidyForm },
  { name: 'payment', title: 'paymentForm', allowed: s => s === 'enrolled' || s === 'subsidized' || s === 'lapsed', why: 'paymentNeedsMember', next: ['subsidized', 'lapsed'], Form: PaymentForm },
  { name: 'correction', title: 'correctionForm', allowed: () => true, why: null, next: [], Form: CorrectionForm },
  { name: 'closure', title: 'closureForm', allowed: s => s !== 'closed', why: 'closureNeedsOpen', next: [], Form: ClosureForm },
  { name: 'reopening', title: 'reopenForm', allowed: s => s === 'closed', why: 'reopenNeedsClosed', next: ['closed'], Form: ReopenForm }
];

/** Every command on a case as a form; the stage's next step open, those the stage refuses listed with the reason. */
export function CaseCommands({ onSaved, ...rest }: Omit<Props, 'onDone' | 'onStale'> & { onSaved: () => Promise<void> }) {
  const { t } = useI18n();
  // Each success starts the forms afresh (new defaults from the reloaded case, new keys); a conflict only reloads.
  const [round, setRound] = useState(0);
  const [saved, setSaved] = useState(false);
  const props: Props = { ...rest, onDone: () => { void onSaved().then(() => { setRound(r => r + 1); setSaved(true); }); }, onStale: () => { void onSaved(); } };
  const stage = props.view.stage;
  const open = commands.filter(c => c.allowed(stage));
  const closed = commands.filter(c => !c.allowed(stage));
  return (
    <section aria-labelledby="actions-title" class="actions" data-testid="case-actions">
      <h2 id="actions-title">{t.actions}</h2>
      <p role="status" class="saved">{saved ? t.caseSaved : ''}</p>
      {open.map(c => (
        <details key={`${c.name}-${round}`} class="command" data-command={c.name} open={c.next.includes(stage)}>
          <summary>{t[c.title]}</summary>
          <c.Form {...props} />
        </details>
      ))}
      {closed.length > 0 && (
        <ul class="unavailable" aria-label={t.actionsHelp}>
          {closed.map(c => <li key={c.name} data-command={c.name}><strong>{t[c.title]}</strong>: {c.why ? t[c.why] : t.notAtStage(t.stages[stage] ?? stage)}</li>)}
        </ul>
      )}
    </section>
  );
}

/** The form's state with a setter per field that also tells the command a new request is being written. */
function useForm<T extends Record<string, unknown>>(initial: T, changed: () => void) {
  const [values, setValues] = useState(initial);
  const set = <K extends keyof T>(name: K) => (value: T[K]) => { changed(); setValues(v => ({ ...v, [name]: value })); };
  return { values, set, setValues };
}

const text = (e: Event) => (e.target as HTMLInputElement).value;

function Form({ name, onSubmit, children }: { name: string; onSubmit: () => void; children: ComponentChildren }) {
  return (
    <form class="command-form" data-testid={`${name}-form`} noValidate onSubmit={e => { e.preventDefault(); onSubmit(); }}>
      {children}
    </form>
  );
}

function ContactForm({ api, view, onDone, onStale }: Props) {
  const { t } = useI18n();
  const command = useCommand(Number(view.version), onDone, onStale);
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const { values, set } = useForm({ channel: 'visit', outcome: 'reached', occurredAt: now, note: '' }, command.changed);
  const errors = commandFieldErrors(command.problem, t);
  const id = (f: string) => `contact-${f}`;
  return (
    <Form name="contact" onSubmit={() => command.submit(({ key, version, headers }) => api.POST('/api/cases/{id}/contact-attempts', {
      params: { path: { id: view.id }, header: { 'Idempotency-Key': key } }, headers,
      body: {
        channel: values.channel as never, outcome: values.outcome as never, note: values.note.trim() || null,
        occurredAt: values.occurredAt ? new Date(values.occurredAt).toISOString() : null, expectedVersion: version
      }
    }))}>
      <Field id={id('channel')} label={t.channel} error={errors.channel}>
        <select {...describedBy(id('channel'), errors.channel)} value={values.channel} onChange={e => set('channel')(text(e))}>
          {channels.map(c => <option key={c} value={c}>{t.channels[c]}</option>)}
        </select>
      </Field>
      <Field id={id('outcome')} label={t.outcome} error={errors.outcome}>
        <select {...describedBy(id('outcome'), errors.outcome)} value={values.outcome} onChange={e => set('outcome')(text(e))}>
          {outcomes.map(c => <option key={c} value={c}>{t.outcomes[c]}</option>)}
        </select>
      </Field>
      <Field id={id('occurredAt')} label={t.occurredAt} error={errors.occurredAt}>
        <input type="datetime-local" {...describedBy(id('occurredAt'), errors.occurredAt)} value={values.occurredAt} onInput={e => set('occurredAt')(text(e))} />
      </Field>
      <Field id={id('note')} label={`${t.note} ${t.optional}`} error={errors.note}>
        <textarea {...describedBy(id('note'), errors.note)} rows={2} maxLength={2000} value={values.note} onInput={e => set('note')(text(e))} />
      </Field>
      <FormFoot {...command} testId="contact-send" />
    </Form>
  );
}

/** A money field: digits as people type them ("2.500.000"), with the amount read back as Rupiah. */
function MoneyInput({ id, value, error, onInput }: { id: string; value: string; error?: string; onInput: (value: string) => void }) {
  const { t, lang } = useI18n();
  const amount = parseRupiah(value);
  return (
    <>
      <input type="text" inputMode="numeric" autocomplete="off" {...describedBy(id, error, true)} value={value} onInput={e => onInput(text(e))} />
      <p class="help" id={`${id}-help`}>{t.amountIs}: {amount === undefined ? '—' : formatRupiahExact(amount, lang)}</p>
    </>
  );
}

/** A day or month field read back as Indonesians write it ("29 Nov 2026", "Jan 2027"): the browser shows its own format. */
function ReadBack({ id, value, month }: { id: string; value: string; month?: boolean }) {
  const { t, lang } = useI18n();
  const valid = month ? /^\d{4}-\d{2}$/.test(value) : /^\d{4}-\d{2}-\d{2}$/.test(value);
  return <p class="help" id={`${id}-help`}>{t.amountIs}: {valid ? (month ? formatMonth(value, lang) : formatDate(value, lang)) : '—'}</p>;
}

function EnrolForm({ api, view, onDone, onStale }: Props) {
  const { t } = useI18n();
  const command = useCommand(Number(view.version), onDone, onStale);
  const { values, set } = useForm({ membershipNumber: '', programmes: ['JKK', 'JKM'] as string[], income: '', effectiveDate: provinceToday() }, command.changed);
  const errors = commandFieldErrors(command.problem, t);
  const id = (f: string) => `enrol-${f}`;
  const toggle = (p: string, on: boolean) => set('programmes')(on ? [...values.programmes, p] : values.programmes.filter(x => x !== p));
  return (
    <Form name="enrolment" onSubmit={() => command.submit(({ key, version, headers }) => api.POST('/api/cases/{id}/enrolment', {
      params: { path: { id: view.id }, header: { 'Idempotency-Key': key } }, headers,
      body: {
        membershipNumber: values.membershipNumber.trim(), programmes: values.programmes as never,
        declaredMonthlyIncome: parseRupiah(values.income) ?? (null as never), effectiveDate: values.effectiveDate, expectedVersion: version
      }
    }))}>
      <Field id={id('membershipNumber')} label={t.membershipNumber} error={errors.membershipNumber}>
        <input type="text" inputMode="numeric" maxLength={11} autocomplete="off" {...describedBy(id('membershipNumber'), errors.membershipNumber)}
               value={values.membershipNumber} onInput={e => set('membershipNumber')(text(e))} />
      </Field>
      <fieldset class="field" aria-describedby={[`${id('programmes')}-help`, errors.programmes ? `${id('programmes')}-error` : ''].filter(Boolean).join(' ')}>
        <legend>{t.programmes}</legend>
        <div class="checks">
          {['JKK', 'JKM', 'JHT'].map(p => (
            <label key={p} class="check">
              <input type="checkbox" name={id('programmes')} value={p} checked={values.programmes.includes(p)}
                     onChange={e => toggle(p, (e.target as HTMLInputElement).checked)} /> {p}
            </label>
          ))}
        </div>
        <p class="help" id={`${id('programmes')}-help`}>{t.programmesHelp}</p>
        {errors.programmes && <p class="field-error" id={`${id('programmes')}-error`}>{errors.programmes}</p>}
      </fieldset>
      <Field id={id('declaredMonthlyIncome')} label={t.declaredMonthlyIncome} error={errors.declaredMonthlyIncome}>
        <MoneyInput id={id('declaredMonthlyIncome')} value={values.income} error={errors.declaredMonthlyIncome} onInput={set('income')} />
      </Field>
      <Field id={id('effectiveDate')} label={t.effectiveDate} error={errors.effectiveDate}>
        <input type="date" {...describedBy(id('effectiveDate'), errors.effectiveDate, true)} value={values.effectiveDate} onInput={e => set('effectiveDate')(text(e))} />
        <ReadBack id={id('effectiveDate')} value={values.effectiveDate} />
      </Field>
      <FormFoot {...command} testId="enrolment-send" />
    </Form>
  );
}

function SubsidyForm({ api, view, onDone, onStale }: Props) {
  const { t } = useI18n();
  const command = useCommand(Number(view.version), onDone, onStale);
  const month = provinceMonth();
  const { values, set, setValues } = useForm({
    payer: 'APBD_REGENCY', budgetYear: month.slice(0, 4), startMonth: month, months: String(12 - Number(month.slice(5)) + 1)
  }, command.changed);
  const errors = commandFieldErrors(command.problem, t);
  const id = (f: string) => `subsidy-${f}`;
  // Another budget year: start in its January for the whole year, unless the start month already lies in it.
  const year = (value: string) => {
    command.changed();
    setValues(v => v.startMonth.startsWith(`${value}-`) || !/^\d{4}$/.test(value) ? { ...v, budgetYear: value }
      : { ...v, budgetYear: value, startMonth: `${value}-01`, months: '12' });
  };
  const start = (value: string) => {
    command.changed();
    setValues(v => ({ ...v, startMonth: value, months: /^\d{4}-\d{2}$/.test(value) ? String(12 - Number(value.slice(5)) + 1) : v.months }));
  };
  return (
    <Form name="subsidy" onSubmit={() => command.submit(({ key, version, headers }) => api.POST('/api/cases/{id}/subsidy', {
      params: { path: { id: view.id }, header: { 'Idempotency-Key': key } }, headers,
      body: {
        payer: values.payer as never, budgetYear: Number(values.budgetYear) || (null as never), startMonth: values.startMonth,
        months: Number(values.months) || (null as never), expectedVersion: version
      }
    }))}>
      <Field id={id('payer')} label={t.payer} error={errors.payer}>
        <select {...describedBy(id('payer'), errors.payer)} value={values.payer} onChange={e => set('payer')(text(e))}>
          {['APBD_REGENCY', 'APBD_PROVINCE'].map(p => <option key={p} value={p}>{t.subsidyPayers[p]}</option>)}
        </select>
      </Field>
      <div class="pair">
        <Field id={id('budgetYear')} label={t.budgetYear} error={errors.budgetYear}>
          <input type="number" inputMode="numeric" min={2000} max={2100} {...describedBy(id('budgetYear'), errors.budgetYear)}
                 value={values.budgetYear} onInput={e => year(text(e))} />
        </Field>
        <Field id={id('months')} label={t.months} error={errors.months}>
          <input type="number" inputMode="numeric" min={1} max={12} {...describedBy(id('months'), errors.months)}
                 value={values.months} onInput={e => set('months')(text(e))} />
        </Field>
      </div>
      <Field id={id('startMonth')} label={t.startMonth} error={errors.startMonth}>
        <input type="month" {...describedBy(id('startMonth'), errors.startMonth, true)} value={values.startMonth} onInput={e => start(text(e))} />
        <ReadBack id={id('startMonth')} value={values.startMonth} month />
      </Field>
      <FormFoot {...command} testId="subsidy-send" />
    </Form>
  );
}

function PaymentForm({ api, view, history, onDone, onStale }: Props) {
  const { t, lang } = useI18n();
  const command = useCommand(Number(view.version), onDone, onStale);
  const paid = paidMonths(history);
  const subsidy = view.subsidy;
  const covers = (m: string) => !!subsidy && m >= subsidy.startMonth && m <= addMonths(subsidy.startMonth, Number(subsidy.months) - 1);
  // The month after the last one paid, else the first that fell due.
  const firstDue = subsidy?.startMonth ?? view.enrolmentEffectiveDate?.slice(0, 7) ?? provinceMonth();
  const nextMonth = view.paidThrough && view.paidThrough >= firstDue ? addMonths(view.paidThrough, 1) : firstDue;
  // The subsidised premium where the API gives it, else what was paid last time.
  const lastPaid = [...paid.values()].at(-1)?.amount;
  const premiumFor = (m: string) => covers(m) ? Number(subsidy!.monthlyPremium) : lastPaid;
  const { values, set, setValues } = useForm({ month: nextMonth, amount: premiumFor(nextMonth)?.toString() ?? '', paidOn: provinceToday() }, command.changed);
  const errors = commandFieldErrors(command.problem, t);
  const id = (f: string) => `payment-${f}`;
  const month = (value: string) => {
    command.changed();
    setValues(v => ({ ...v, month: value, amount: covers(value) ? String(subsidy!.monthlyPremium) : v.amount }));
  };
  return (
    <Form name="payment" onSubmit={() => command.submit(({ key, version, headers }) => api.POST('/api/cases/{id}/premium-payments', {
      params: { path: { id: view.id }, header: { 'Idempotency-Key': key } }, headers,
      body: { month: values.month, amount: parseRupiah(values.amount) ?? (null as never), paidOn: values.paidOn, expectedVersion: version }
    }))}>
      <Field id={id('month')} label={t.premiumMonth} error={errors.month}>
        <input type="month" {...describedBy(id('month'), errors.month, true)} value={values.month} onInput={e => month(text(e))} />
        <ReadBack id={id('month')} value={values.month} month />
      </Field>
      <Field id={id('amount')} label={t.amount} error={errors.amount}>
        <MoneyInput id={id('amount')} value={values.amount} error={errors.amount} onInput={set('amount')} />
      </Field>
      {covers(values.month) && <p class="help">{t.premiumHint(formatRupiahExact(Number(subsidy!.monthlyPremium), lang))}</p>}
      <Field id={id('paidOn')} label={t.paidOn} error={errors.paidOn}>
        <input type="date" max={provinceToday()} {...describedBy(id('paidOn'), errors.paidOn, true)} value={values.paidOn} onInput={e => set('paidOn')(text(e))} />
        <ReadBack id={id('paidOn')} value={values.paidOn} />
      </Field>
      <FormFoot {...command} testId="payment-send" />
    </Form>
  );
}

function ClosureForm({ api, view, onDone, onStale }: Props) {
  const { t } = useI18n();
  const command = useCommand(Number(view.version), onDone, onStale);
  const { values, set } = useForm({ reason: '', note: '' }, command.changed);
  const errors = commandFieldErrors(command.problem, t);
  const id = (f: string) => `closure-${f}`;
  return (
    <Form name="closure" onSubmit={() => command.submit(({ key, version, headers }) => api.POST('/api/cases/{id}/closure', {
      params: { path: { id: view.id }, header: { 'Idempotency-Key': key } }, headers,
      body: { reason: (values.reason || null) as never, note: values.note.trim() || null, expectedVersion: version }
    }))}>
      <Field id={id('reason')} label={t.reason} error={errors.reason}>
        <select {...describedBy(id('reason'), errors.reason)} value={values.reason} onChange={e => set('reason')(text(e))}>
          <option value="">—</option>
          {reasons.map(r => <option key={r} value={r}>{t.reasons[r]}</option>)}
        </select>
      </Field>
      <Field id={id('note')} label={`${t.note} ${t.optional}`} error={errors.note}>
        <textarea {...describedBy(id('note'), errors.note)} rows={2} maxLength={2000} value={values.note} onInput={e => set('note')(text(e))} />
      </Field>
      <FormFoot {...command} testId="closure-send" />
    </Form>
  );
}

function ReopenForm({ api, view, onDone, onStale }: Props) {
  const { t } = useI18n();
  const command = useCommand(Number(view.version), onDone, onStale);
  const { values, set } = useForm({ note: '' }, command.changed);
  const errors = commandFieldErrors(command.problem, t);
  return (
    <Form name="reopening" onSubmit={() => command.submit(({ key, version, headers }) => api.POST('/api/cases/{id}/reopening', {
      params: { path: { id: view.id }, header: { 'Idempotency-Key': key } }, headers,
      body: { note: values.note.trim(), expectedVersion: version }
    }))}>
      <Field id="reopening-note" label={t.note} error={errors.note}>
        <textarea {...describedBy('reopening-note', errors.note)} rows={2} maxLength={2000} value={values.note} onInput={e => set('note')(text(e))} />
      </Field>
      <FormFoot {...command} testId="reopening-send" />
    </Form>
  );
}

function CorrectionForm({ api, view, onDone, onStale }: Props) {
  const { t } = useI18n();
  const command = useCommand(Number(view.version), onDone, onStale);
  const { values, set } = useForm({ fullName: '', phone: '', district: '', village: '', occupation: '', reason: '' }, command.changed);
  const errors = commandFieldErrors(command.problem, t);
  const id = (f: string) => `correction-${f}`;
  const given = (v: string) => v.trim() || null;
  const fields = [
    ['fullName', t.fullName, view.fullName], ['phone', t.phone, view.phone], ['district', t.district, view.district],
    ['village', t.village, view.village], ['occupation', t.occupation, view.occupation]
  ] as const;
  return (
    <Form name="correction" onSubmit={() => command.submit(({ key, version, headers }) => api.POST('/api/cases/{id}/corrections', {
      params: { path: { id: view.id }, header: { 'Idempotency-Key': key } }, headers,
      body: {
        fullName: given(values.fullName), phone: given(values.phone), district: given(values.district), village: given(values.village),
        occupation: given(values.occupation), reason: values.reason.trim() || null, expectedVersion: version
      }
    }))}>
      <p class="help">{t.correctionHelp}</p>
      {errors.body && <p class="field-error">{errors.body}</p>}
      {fields.map(([name, label, current]) => (
        <Field key={name} id={id(name)} label={`${label} ${t.optional}`} error={errors[name]}>
          <input type="text" inputMode={name === 'phone' ? 'tel' : 'text'} placeholder={current ?? ''} maxLength={200} autocomplete="off"
                 {...describedBy(id(name), errors[name])} value={values[name]} onInput={e => set(name)(text(e))} />
        </Field>
      ))}
      <Field id={id('reason')} label={t.correctionReason} error={errors.reason}>
        <textarea {...describedBy(id('reason'), errors.reason)} rows={2} maxLength={2000} value={values.reason} onInput={e => set('reason')(text(e))} />
      </Field>
      <FormFoot {...command} testId="correction-send" />
    </Form>
  );
}
