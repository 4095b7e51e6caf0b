import { provinceTimeZone } from '../../format';

// Values the caseworker's forms work with: days and months in the province, Rupiah as typed, keys, polling.

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; a LAN address over http is not one). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function' && globalThis.isSecureContext) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

/** Today in the province (YYYY-MM-DD), wherever the browser's clock is set. */
export function provinceToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: provinceTimeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** This month in the province (YYYY-MM). */
export const provinceMonth = (now = new Date()) => provinceToday(now).slice(0, 7);

/** A month YYYY-MM moved by n months. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  const index = y * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** A day YYYY-MM-DD moved by n days. */
export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

/** Rupiah as typed by people ("16.800", "Rp 2.500.000", "16800"): the digits, or undefined when there are none. */
export function parseRupiah(text: string): number | undefined {
  const digits = text.replace(/[^\d]/g, '');
  return digits ? Number(digits) : undefined;
}

/** Rupiah in full, as on a receipt: "Rp 16.800", "Rp 2.500.000". */
export function formatRupiahExact(amount: number, lang: 'id' | 'en'): string {
  return `Rp ${new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'id-ID', { maximumFractionDigits: 0 }).format(amount)}`;
}

/** Waits before the next look at a running import: 0.5 s, then half as long again each time, at most 5 s. */
export function nextPoll(previousMs: number | undefined): number {
  return previousMs === undefined ? 500 : Math.min(5000, Math.round(previousMs * 1.5));
}

