import { describe, expect, it } from 'vitest';
import { authorizationUrl, beginSignIn, challengeOf, completeSignIn } from '../src/auth/oidc';

const settings = { authority: 'https://login.example.go.id/realms/bengkulu', clientId: 'enrolment-web', scope: 'openid profile' };

/** The provider's discovery document and token endpoint, answering as a real one would; records what it was sent. */
function provider() {
  const sent: { url: string; body?: string }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    sent.push({ url, body: init?.body as string | undefined });
    if (url.endsWith('/.well-known/openid-configuration'))
      return Response.json({ authorization_endpoint: `${settings.authority}/protocol/openid-connect/auth`, token_endpoint: `${settings.authority}/protocol/openid-connect/token` });
    if (url.endsWith('/token')) return Response.json({ access_token: 'header.payload.signature', token_type: 'Bearer' });
    return new Response(null, { status: 404 });
  }) as typeof fetch;
  return { fetcher, sent };
}

function memoryStorage() {
  const items = new Map<string, string>();
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
}

describe('sign-in with the identity provider (authorization code + PKCE)', () => {
  it('computes the S256 challenge of RFC 7636, appendix B', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('sends the browser to the authorization endpoint with the challenge, never the verifier', async () => {
    const { fetcher } = provider();
    const storage = memoryStorage();
    const url = new URL(await beginSignIn(settings, 'https://kasus.bengkuluprov.go.id', '/coverage', storage, fetcher));
    expect(url.origin + url.pathname).toBe(`${settings.authority}/protocol/openid-connect/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code', client_id: 'enrolment-web', scope: 'openid profile',
      redirect_uri: 'https://kasus.bengkuluprov.go.id/callback', code_challenge_method: 'S256'
    });
    const pending = JSON.parse(storage.getItem('enrolment-cases.oidc')!);
    expect(url.searchParams.get('code_challenge')).toBe(await challengeOf(pending.verifier));
    expect(url.searchParams.get('state')).toBe(pending.state);
    expect(url.toString()).not.toContain(pending.verifier);
  });

  it('exchanges the code with the verifier at the token endpoint and returns the access token', async () => {
    const { fetcher, sent } = provider();
    const storage = memoryStorage();
    const start = new URL(await beginSignIn(settings, 'https://kasus.example', '/audit', storage, fetcher));
    const { verifier } = JSON.parse(storage.getItem('enrolment-cases.oidc')!);

    const result = await completeSignIn(settings, `https://kasus.example/callback?code=abc&state=${start.searchParams.get('state')}`, storage, fetcher);

    expect(result).toEqual({ accessToken: 'header.payload.signature', returnTo: '/audit' });
    const exchange = new URLSearchParams(sent.at(-1)!.body);
    expect(Object.fromEntries(exchange)).toEqual({
      grant_type: 'authorization_code', code: 'abc', redirect_uri: 'https://kasus.example/callback', client_id: 'enrolment-web', code_verifier: verifier
    });
    expect(storage.getItem('enrolment-cases.oidc')).toBeNull();
  });

  it('refuses an answer whose state is not the one it sent', async () => {
    const { fetcher, sent } = provider();
    const storage = memoryStorage();
    await beginSignIn(settings, 'https://kasus.example', '/', storage, fetcher);
    await expect(completeSignIn(settings, 'https://kasus.example/callback?code=abc&state=forged', storage, fetcher)).rejects.toThrow(/does not belong/);
    expect(sent.some(s => s.url.endsWith('/token'))).toBe(false);
  });

  it('builds the authorization URL from the parts it is given', () => {
    const url = new URL(authorizationUrl('https://idp.example/auth?kc=1', settings, 'https://app/callback', 'challenge', 'state'));
    expect(url.searchParams.get('kc')).toBe('1');
    expect(url.searchParams.get('code_challenge')).toBe('challenge');
  });
});
