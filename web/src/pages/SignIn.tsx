import { useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import type { AppConfig } from '../api/types';
import { sessionFrom, type Session } from '../auth/session';
import { beginSignIn } from '../auth/oidc';
import { FieldError } from '../components/ProblemNotice';

/** A pasted development token where the API accepts them; the identity provider's sign-in where one is configured. */
export function SignInPage({ config, onSignedIn, notice }: { config?: AppConfig; onSignedIn: (s: Session) => void; notice?: string }) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [redirecting, setRedirecting] = useState(false);

  const submit = (event: Event) => {
    event.preventDefault();
    const session = sessionFrom(token);
    if (!session) setError(t.tokenInvalid);
    else onSignedIn(session);
  };

  const provider = async () => {
    if (!config?.oidc) return;
    setRedirecting(true);
    try {
      location.assign(await beginSignIn(config.oidc, location.origin, '/'));
    } catch (e) {
      setRedirecting(false);
      setError(String(e));
    }
  };

  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t.signInTitle}</h1>
      {notice && <p class="problem" role="alert">{notice}</p>}
      {config?.oidc && <button type="button" onClick={provider} disabled={redirecting}>{redirecting ? t.signingIn : t.signInWithProvider}</button>}
      {config?.developmentTokens && (
        <form onSubmit={submit}>
          <div class="field">
            <label for="token">{t.token}</label>
            <textarea id="token" name="token" rows={4} spellcheck={false} autocomplete="off" value={token}
                      aria-describedby={error ? 'token-help token-error' : 'token-help'} aria-invalid={error ? true : undefined}
                      onInput={e => setToken((e.target as HTMLTextAreaElement).value)} />
            <p class="help" id="token-help">{t.tokenHelp}</p>
            <FieldError id="token-error" message={error} />
          </div>
          <button type="submit">{t.signIn}</button>
        </form>
      )}
      {config && !config.oidc && !config.developmentTokens && <p>{t.signInUnavailable}</p>}
    </section>
  );
}
