import type { Api } from '../../api/client';
import { TimelinePage } from './Timeline';
import { BudgetsPage } from './Budgets';
import { ForecastPage } from './Forecast';
import { CaseAuditPage, CaseLookupPage } from './CaseAudit';
import { SubjectAccessPage } from './SubjectAccess';
import { AccessLogPage } from './AccessLog';
import { ReconciliationPage, ReconciliationUploadPage } from './Reconciliation';
import { LapseRiskDailyPage } from './LapseRiskDaily';
import { sessionFrom } from '../../auth/session';
import './planaudit.css';

/** The planners' and auditors' pages beyond coverage and the chain, each with the roles whose menu shows it. */
export const planAuditPages = [
  { path: '/timeline', roles: ['planner', 'caseworker', 'auditor', 'admin'], label: 'navTimeline', menu: false },
  { path: '/budgets', roles: ['planner', 'caseworker', 'auditor', 'admin'], label: 'navBudgets', menu: true },
  { path: '/forecast', roles: ['planner', 'caseworker', 'auditor', 'admin'], label: 'navForecast', menu: true },
  { path: '/reconciliations', roles: ['planner'], label: 'navReconciliations', menu: true },
  { path: '/history', roles: ['auditor'], label: 'navHistory', menu: true },
  { path: '/subject-access', roles: ['auditor'], label: 'navSubjectAccess', menu: true },
  { path: '/access-log', roles: ['auditor'], label: 'navAccessLog', menu: true },
  { path: '/lapse-risk', roles: ['planner', 'auditor'], label: 'navLapseRisk', menu: true }
] as const;

export const isPlanAuditPage = (path: string) => planAuditPages.some(p => p.path === path);

export function PlanAuditPage({ api, url, token, roles }: { api: Api; url: URL; token: string; roles: string[] }) {
  const [, section, rest] = url.pathname.match(/^\/([^/]+)\/?(.*)$/) ?? [];
  const id = decodeURIComponent(rest ?? '');
  const query = url.searchParams;
  switch (section) {
    case 'timeline': return <TimelinePage api={api} code={id || '17'} query={query} canPlan={roles.includes('planner')} />;
    case 'budgets': return <BudgetsPage api={api} query={query} canPlan={roles.includes('planner')} />;
    case 'forecast': return <ForecastPage api={api} query={query} />;
    case 'reconciliations': return id ? <ReconciliationPage api={api} id={id} query={query} /> : <ReconciliationUploadPage token={token} />;
    case 'history': return id ? <CaseAuditPage api={api} id={id} query={query} /> : <CaseLookupPage />;
    case 'subject-access': return <SubjectAccessPage api={api} />;
    case 'lapse-risk': return <LapseRiskDailyPage api={api} query={query} regencies={roles.includes('auditor') ? [] : sessionFrom(token)?.regencies ?? []}
                                                  canOpenCases={roles.includes('caseworker') || roles.includes('auditor')} />;
    default: return <AccessLogPage api={api} query={query} />;
  }
}
