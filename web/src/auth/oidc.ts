/**
 * Sign-in with the identity provider (Auth:Authority): the authorization-code flow with PKCE (RFC 7636) for a
 * public client. The verifier and state wait in sessionStorage for the provider to send the browser back to
 * /callback, where the code is exchanged for tokens at the token endpoint; the access token is the bearer token.
 */
export interface OidcSettings {
  authority: string;
  clientId: string;
  scope: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

interface Pending {
  verifier: string;
  state: string;
  redirectUri: string;
  returnTo: string;
}

const pendingKey = 'enrolment-cases.oidc';

export function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes: a verifier of 43 characters from the unreserved set. */
export function randomVerifier(random: (bytes: Uint8Array) => Uint8Array = b => crypto.getRandomValues(b)): string {
  return base64Url(random(new Uint8Array(32)));
}

/** The S256 challenge: BASE64URL(SHA-256(ASCII(verifier))). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

export async function discover(authority: string, fetcher: typeof fetch = fetch): Promise<Discovery> {
  const response = await fetcher(`${authority.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  const document = (await response.json()) as Partial<Discovery>;
  if (!document.authorization_endpoint || !document.token_endpoint) throw new Error('discovery lacks the endpoints');
  return document as Discovery;
}

export function authorizationUrl(endpoint: string, settings: OidcSettings, redirectUri: string, challenge: string, state: string): string {
  const url = new URL(endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', settings.scope);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  return url.toString();
}

/** Step 1: remember the verifier and state, then the URL to send the browser to. */
export async function beginSignIn(settings: OidcSettings, origin: string, returnTo: string,
  storage: Pick<Storage, 'setItem'> = sessionStorage, fetcher: typeof fetch = fetch): Promise<string> {
  const { authorization_endpoint } = await discover(settings.authority, fetcher);
  const pending: Pending = { verifier: randomVerifier(), state: randomVerifier(), redirectUri: `${origin}/callback`, returnTo };
  storage.setItem(pendingKey, JSON.stringify(pending));
  return authorizationUrl(authorization_endpoint, settings, pending.redirectUri, await challengeOf(pending.verifier), pending.state);
}

/** Step 2, on /callback: check the state, exchange the code with the verifier; the access token and where to go. */
export async function completeSignIn(settings: OidcSettings, callbackUrl: string,
  storage: Pick<Storage, 'getItem' | 'removeItem'> = sessionStorage, fetcher: typeof fetch = fetch): Promise<{ accessToken: string; returnTo: string }> {
  const params = new URL(callbackUrl).searchParams;
  const stored = storage.getItem(pendingKey);
  storage.removeItem(pendingKey);
  if (params.get('error')) throw new Error(`the provider refused: ${params.get('error')}`);
  if (!stored) throw new Error('no sign-in was started in this tab');
  const pending = JSON.parse(stored) as Pending;
  const code = params.get('code');
  if (!code || params.get('state') !== pending.state) throw new Error('the answer does not belong to the sign-in started here');

  const { token_endpoint } = await discover(settings.authority, fetcher);
  const response = await fetcher(token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri,
      client_id: settings.clientId, code_verifier: pending.verifier
    }).toString()
  });
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as { access_token?: string };
  if (!tokens.access_token) throw new Error('the token endpoint gave no access token');
  return { accessToken: tokens.access_token, returnTo: pending.returnTo };
}
