import { describe, expect, it } from 'vitest';
import { describe as explain, fieldErrors, slugOf } from '../src/problems';
import { en, id } from '../src/i18n/messages';
import { csvCell, toCsv } from '../src/csv';
import { sessionFrom } from '../src/auth/session';

describe('problem details in the person\'s language', () => {
  const budget = { type: 'https://enrolment-cases.example/problems/budget-exceeded', status: 409, title: 'Budget exceeded', remaining: 100 };

  it('maps every slug of the contract to an Indonesian and an English message', () => {
    const slugs = ['validation', 'not-found', 'duplicate-case', 'invalid-transition', 'concurrency-conflict', 'budget-exceeded',
      'payload-too-large', 'unsupported-media-type', 'rate-limited', 'idempotency-key-reused', 'job-running', 'service-unavailable', 'server-error'];
    for (const slug of slugs) {
      expect(id.problems[slug], slug).toBeTruthy();
      expect(en.problems[slug], slug).toBeTruthy();
    }
    expect(slugOf(budget)).toBe('budget-exceeded');
    expect(explain(budget, id).message).toBe('Anggaran pembayar tidak mencukupi untuk subsidi ini.');
  });

  it('puts field errors under the form\'s field names, in Indonesian where the app knows the field', () => {
    const problem = { type: '.../validation', errors: { asOf: ['must be a date'], MembershipNumber: ['must be 11 digits'] } };
    expect(fieldErrors(problem, id)).toEqual({ asOf: id.fields.asOf, membershipNumber: 'must be 11 digits' });
  });
});

describe('CSV downloads', () => {
  it('quotes what needs quoting and never starts a formula', () => {
    expect(csvCell('Kota Bengkulu')).toBe('Kota Bengkulu');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell(0.3702)).toBe('0.3702');
    expect(toCsv(['code', 'ratio'], [['17.04', 0.75]])).toBe('code,ratio\r\n17.04,0.75\r\n');
  });
});

describe('the session a token stands for', () => {
  const token = (claims: object) => `e30.${btoa(JSON.stringify(claims)).replace(/=+$/, '')}.sig`;

  it('reads the name, every role and regency', () => {
    const session = sessionFrom(token({ name: 'Ani', role: ['caseworker', 'auditor'], regency: '17.04', exp: 4_000_000_000 }));
    expect(session).toMatchObject({ name: 'Ani', roles: ['caseworker', 'auditor'], regencies: ['17.04'] });
  });

  it('refuses what is no token, and an expired one', () => {
    expect(sessionFrom('not a token')).toBeNull();
    expect(sessionFrom(token({ role: 'planner', exp: 1 }))).toBeNull();
  });
});
