// The page's only way to the API: same-origin fetches with the caller's credentials.
// A token comes from the URL fragment (#token=…, never sent to the server in a URL) or the
// login form and stays in sessionStorage; HTTP Basic users are prompted by the browser.

const TOKEN_KEY = 'routemeter.token';

export function takeTokenFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    params.delete('token');
    history.replaceState(
      null,
      '',
      `${location.pathname}${location.search}${params.size ? `#${params}` : ''}`,
    );
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export class AuthRequired extends Error {}

/** GET a JSON endpoint; `onRequest` sees every URL asked for (the tests and the status line use it). */
export async function getJson(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { headers });
  if (response.status === 401) throw new AuthRequired('credentials required');
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}
