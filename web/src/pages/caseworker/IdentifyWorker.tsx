import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../../i18n';
import { answer, type Api } from '../../api/client';
import type { RegencyView } from '../../api/types';
import { navigate } from '../../router';
import { commandFieldErrors, describedBy, Field, FormFoot, useCommand } from './commands';
import './caseworker.css';

const sources = ['P3KE', 'DTSEN', 'VILLAGE_LIST', 'PARTNER_LIST', 'FIELD'] as const;
type Source = typeof sources[number];
const text = (e: Event) => (e.target as HTMLInputElement).value;

/**
 * Identifying a worker (POST /api/cases): every field of the contract, the API's problems under the fields they concern,
 * one Idempotency-Key per submission (kept for a resend after a lost answer, so a repeat opens no second case). On success
 * the new case opens; a duplicate-case refusal links the open case when the API names it.
 */
export function IdentifyWorkerPage({ api, regencies: own }: { api: Api; regencies: string[] }) {
  const { t } = useI18n();
  const [units, setUnits] = useState<RegencyView[]>();
  const created = useRef<string | undefined>(undefined);
  useEffect(() => { answer(api.GET('/api/regencies')).then(r => setUnits(r as RegencyView[])).catch(() => setUnits([])); }, [api]);
  const choices = (units ?? []).filter(r => own.length === 0 || own.includes(r.code));
  const command = useCommand(0, () => { if (created.current) navigate(`/cases/${created.current}`); }, () => undefined);
  const [values, setValues] = useState({
    nik: '', fullName: '', regencyCode: own[0] ?? '', district: '', village: '', occupation: '', phone: '', source: 'FIELD' as Source
  });
  const set = (name: keyof typeof values) => (value: string) => { command.changed(); setValues(v => ({ ...v, [name]: value })); };
  const errors = commandFieldErrors(command.problem, t);
  const existing = (command.problem as { existingCaseId?: string } | undefined)?.existingCaseId;
  const id = (f: string) => `identify-${f}`;
  const optional = (v: string) => v.trim() || null;

  const send = () => command.submit(({ key }) => {
    created.current = undefined;
    return api.POST('/api/cases', {
      params: { header: { 'Idempotency-Key': key } },
      body: {
        nik: values.nik.replace(/\s/g, ''), fullName: values.fullName.trim(), regencyCode: values.regencyCode,
        district: optional(values.district), village: optional(values.village), occupation: values.occupation.trim(),
        phone: optional(values.phone), source: values.source
      }
    }).then(r => { if (r.data) created.current = (r.data as { id: string }).id; return r; });
  });

  const input = (name: 'fullName' | 'district' | 'village' | 'occupation', label: string, required = true) => (
    <Field id={id(name)} label={required ? label : `${label} ${t.optional}`} error={errors[name]}>
      <input type="text" maxLength={200} autocomplete="off" required={required} {...describedBy(id(name), errors[name])}
             value={values[name]} onInput={e => set(name)(text(e))} />
    </Field>
  );

  return (
    <section aria-labelledby="identify-title">
      <p><a href="/cases">← {t.backToWorklist}</a></p>
      <h1 id="identify-title">{t.identifyTitle}</h1>
      <p class="help">{t.identifyIntro}</p>
      <form class="command-form" data-testid="identify-form" noValidate onSubmit={e => { e.preventDefault(); send(); }}>
        <Field id={id('nik')} label={t.nik} error={errors.nik} help={t.identifyNikHelp}>
          <input type="text" inputMode="numeric" autocomplete="off" maxLength={20} required {...describedBy(id('nik'), errors.nik, true)}
                 value={values.nik} onInput={e => set('nik')(text(e))} />
        </Field>
        {input('fullName', t.fullName)}
        <Field id={id('regencyCode')} label={t.regency} error={errors.regencyCode}>
          <select {...describedBy(id('regencyCode'), errors.regencyCode)} value={values.regencyCode} onChange={e => set('regencyCode')(text(e))}>
            <option value="">—</option>
            {choices.map(r => <option key={r.code} value={r.code}>{r.name}</option>)}
          </select>
        </Field>
        {input('district', t.district, false)}
        {input('village', t.village, false)}
        {input('occupation', t.occupation)}
        <Field id={id('phone')} label={`${t.phone} ${t.optional}`} error={errors.phone}>
          <input type="tel" inputMode="tel" autocomplete="off" maxLength={20} {...describedBy(id('phone'), errors.phone)}
                 value={values.phone} onInput={e => set('phone')(text(e))} />
        </Field>
        <Field id={id('source')} label={t.identifySource} error={errors.source}>
          <select {...describedBy(id('source'), errors.source)} value={values.source} onChange={e => set('source')(text(e))}>
            {sources.map(s => <option key={s} value={s}>{t.identifySources[s]}</option>)}
          </select>
        </Field>
        {existing && <p data-testid="existing-case"><a href={`/cases/${existing}`}>{t.openExistingCase}</a></p>}
        <FormFoot {...command} testId="identify-send" />
      </form>
    </section>
  );
}
