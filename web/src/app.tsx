import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { I18nContext, initialLang, messages, rememberLang, type Lang } from './i18n';
import { answer, apiClient } from './api/client';
import type { AppConfig } from './api/types';
import { homeOf, storedSession, storeSession, type Session } from './auth/session';
import { followLink, navigate, useLocation } from './router';
import { SignInPage } from './pages/SignIn';
import { CallbackPage } from './pages/Callback';
import { CoveragePage } from './pages/Coverage';
import { AuditVerifyPage } from './pages/AuditVerify';
import { WorklistPage } from './pages/Worklist';
import { CasePage } from './pages/CaseView';
import { isPlanAuditPage, PlanAuditPage, planAuditPages } from './pages/pa';
import { LapsingSoonPage } from './pages/caseworker/LapsingSoon';
import { ImportsPage } from './pages/caseworker/Imports';
import { IdentifyWorkerPage } from './pages/caseworker/IdentifyWorker';

/** The pages, each with the roles that open it (the API decides what they may read; this only picks the menu). */
const pages = [
  { path: '/coverage', roles: ['planner', 'caseworker', 'auditor', 'admin'], label: 'navCoverage' },
  { path: '/cases', roles: ['caseworker', 'auditor'], label: 'navWorklist' },
  { path: '/imports', roles: ['caseworker'], label: 'navImports' },
  { path: '/audit', roles: ['auditor', 'admin'], label: 'navAudit' },
  ...planAuditPages
] as const;

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const t = messages(lang);
  const setLang = useCallback((next: Lang) => { rememberLang(next); setLangState(next); }, []);
  const i18n = useMemo(() => ({ lang, t, setLang }), [lang, t, setLang]);

  const [session, setSession] = useState<Session | null>(() => storedSession());
  const [notice, setNotice] = useState<string>();
  const [config, setConfig] = useState<AppConfig>();
  const url = useLocation();

  const signIn = useCallback((next: Session) => {
    storeSession(next);
    setSession(next);
    setNotice(undefined);
    if (location.pathname === '/' || location.pathname === '/sign-in') navigate(homeOf(next), true);
  }, []);
  const signOut = useCallback((expired = false) => {
    storeSession(null);
    setSession(null);
    setNotice(expired ? messages(initialLang()).sessionExpired : undefined);
  }, []);

  const api = useMemo(() => apiClient(() => session?.token, () => signOut(true)), [session, signOut]);

  useEffect(() => { document.documentElement.lang = lang; document.title = t.appName; }, [lang, t]);
  useEffect(() => { answer(api.GET('/api/app-config')).then(c => setConfig(c as AppConfig)).catch(() => setConfig(undefined)); }, []);
  useEffect(() => {
    if (session && (url.pathname === '/' || url.pathname === '/sign-in')) navigate(homeOf(session), true);
  }, [session, url.pathname]);

  let main;
  if (url.pathname === '/callback') main = <CallbackPage config={config} onSignedIn={signIn} />;
  else if (!session) main = <SignInPage config={config} onSignedIn={signIn} notice={notice} />;
  else {
    const page = pages.find(p => url.pathname === p.path || url.pathname.startsWith(`${p.path}/`));
    if (!page) main = <p>{t.notFoundPage}</p>;
    else if (!page.roles.some(r => session.roles.includes(r))) main = <p role="alert">{t.noAccess}</p>;
    else if (page.path === '/coverage') main = <CoveragePage api={api} query={url.searchParams} />;
    else if (page.path === '/audit') main = <AuditVerifyPage api={api} />;
    else if (isPlanAuditPage(page.path)) main = <PlanAuditPage api={api} url={url} token={session.token} roles={session.roles} />;
    else if (page.path === '/imports') main = <ImportsPage api={api} query={url.searchParams} />;
    else if (url.pathname === '/cases/lapsing') main = <LapsingSoonPage api={api} query={url.searchParams} />;
    else if (url.pathname === '/cases/new') main = session.roles.includes('caseworker') ? <IdentifyWorkerPage api={api} regencies={session.regencies} /> : <p role="alert">{t.noAccess}</p>;
    else if (url.pathname === '/cases') main = <WorklistPage api={api} query={url.searchParams} canIdentify={session.roles.includes('caseworker')} />;
    else main = <CasePage api={api} id={decodeURIComponent(url.pathname.slice('/cases/'.length))} />;
  }

  return (
    <I18nContext.Provider value={i18n}>
      <div class="app" onClick={e => followLink(e as unknown as MouseEvent)}>
        <header class="top">
          <div class="brand">
            <a href={session ? homeOf(session) : '/'} class="brand-name">{t.appName}</a>
            <span class="brand-sub">{t.appSubtitle}</span>
          </div>
          <div class="top-actions">
            <label class="lang">
              <span>{t.language}</span>
              <select value={lang} onChange={e => setLang((e.target as HTMLSelectElement).value as Lang)}>
                <option value="id">Bahasa Indonesia</option>
                <option value="en">English</option>
              </select>
            </label>
            {session && <button type="button" class="secondary" onClick={() => { signOut(); navigate('/', true); }}>{t.signOut}</button>}
          </div>
        </header>
        {session && (
          <nav class="main-nav" aria-label={t.mainNav}>
            <ul>
              {pages.filter(p => p.roles.some(r => session.roles.includes(r)) && !('menu' in p && !p.menu)).map(p => (
                <li key={p.path}><a href={p.path} aria-current={url.pathname.startsWith(p.path) ? 'page' : undefined}>{t[p.label]}</a></li>
              ))}
            </ul>
            <span class="who">{t.signedInAs} {session.name} · {session.roles.map(r => t.roles[r] ?? r).join(', ')}</span>
          </nav>
        )}
        <main id="main">{main}</main>
      </div>
    </I18nContext.Provider>
  );
}
