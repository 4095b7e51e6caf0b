import type { Lang } from './i18n';

// Numbers, money and dates as people write them: "Rp 1,7 miliar", "28 Nov 2026", "37%" in Indonesian.
const locales: Record<Lang, string> = { id: 'id-ID', en: 'en-GB' };

/** The province's time zone: a date is the day in Bengkulu, wherever the browser is. */
export const provinceTimeZone = 'Asia/Jakarta';

export function formatNumber(value: number, lang: Lang): string {
  return new Intl.NumberFormat(locales[lang]).format(value);
}

/** A ratio 0-1 as a whole percentage; null (no target) as an en dash. */
export function formatPercent(ratio: number | null | undefined, lang: Lang): string {
  if (ratio === null || ratio === undefined) return '–';
  return new Intl.NumberFormat(locales[lang], { style: 'percent', maximumFractionDigits: 0 }).format(ratio);
}

/** Rupiah in words for large sums (Rp 1,7 miliar; Rp 250 juta), in full below a million (Rp 16.800). */
export function formatRupiah(amount: number, lang: Lang): string {
  const abs = Math.abs(amount);
  const text = abs >= 1_000_000
    ? new Intl.NumberFormat(locales[lang], { notation: 'compact', compactDisplay: 'long', maximumFractionDigits: 1 }).format(abs)
    : new Intl.NumberFormat(locales[lang], { maximumFractionDigits: 0 }).format(abs);
  return `${amount < 0 ? '−' : ''}Rp ${text}`;
}

/** A calendar day (YYYY-MM-DD) or an instant, as "28 Nov 2026" (the day in the province for an instant). */
export function formatDate(value: string, lang: Lang): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const date = new Date(dateOnly ? `${value}T12:00:00Z` : value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locales[lang], {
    day: 'numeric', month: 'short', year: 'numeric', timeZone: dateOnly ? 'UTC' : provinceTimeZone
  }).format(date);
}

/** An instant with its time of day in the province: "28 Nov 2026 14.05". */
export function formatDateTime(value: string, lang: Lang): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locales[lang], {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: provinceTimeZone
  }).format(date);
}

/** A month written YYYY-MM as "Nov 2026". */
export function formatMonth(value: string, lang: Lang): string {
  const date = new Date(`${value}-15T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(locales[lang], { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(date);
}
