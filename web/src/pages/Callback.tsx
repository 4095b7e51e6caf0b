import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import type { AppConfig } from '../api/types';
import { completeSignIn } from '../auth/oidc';
import { sessionFrom, type Session } from '../auth/session';
import { navigate } from '../router';

/** Where the identity provider sends the browser back: the code becomes the session. */
export function CallbackPage({ config, onSignedIn }: { config?: AppConfig; onSignedIn: (s: Session) => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!config?.oidc) return;
    completeSignIn(config.oidc, location.href)
      .then(({ accessToken, returnTo }) => {
        const session = sessionFrom(accessToken);
        if (!session) throw new Error(t.tokenInvalid);
        onSignedIn(session);
        navigate(returnTo, true);
      })
      .catch(e => setError(String(e)));
  }, [config]);
  return <section><h1>{t.signIn}</h1>{error ? <p class="problem" role="alert">{error}</p> : <p>{t.signingIn}</p>}</section>;
}
