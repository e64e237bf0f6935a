// The JSON API client: same origin, the session cookie (HttpOnly, set by the
// server), the CSRF token echoed on every state-changing request, one error
// shape. Network failures and 503 are retried; a 401 tells the app the
// session ended (it asks to sign in again on top of the page, so nothing
// typed is lost) and the request can be sent again.

export interface FieldError {
  path: string;
  rule: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public fields: FieldError[] = [],
    public allowedActions: string[] = [],
  ) {
    super(message);
  }
  get offline(): boolean {
    return this.status === 0 || this.status === 503;
  }
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type Rec = Record<string, any> & { id: string; version: number };

let csrf = '';
export function setCsrf(token: string): void {
  csrf = token;
}

type Listener = () => void;
const expiredListeners = new Set<Listener>();
export function onSessionExpired(f: Listener): () => void {
  expiredListeners.add(f);
  return () => expiredListeners.delete(f);
}

// After signing in again over the page, the page reloads what it shows
// (some of it may have failed while the session was gone); forms keep their
// content.
const renewedListeners = new Set<Listener>();
export function onSessionRenewed(f: Listener): () => void {
  renewedListeners.add(f);
  return () => renewedListeners.delete(f);
}
export function sessionRenewed(): void {
  renewedListeners.forEach((f) => f());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  opts: { retries?: number; quiet401?: boolean; blob?: boolean } = {},
): Promise<T> {
  const retries = opts.retries ?? (method === 'GET' ? 2 : 3);
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      const headers: Record<string, string> = { Accept: opts.blob ? '*/*' : 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
      res = await fetch('/api/v1' + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      if (attempt < retries) {
        await sleep(800 * 2 ** attempt);
        continue;
      }
      throw new ApiError(0, 'network', 'network');
    }
    if (res.status === 503 && attempt < retries) {
      await sleep(800 * 2 ** attempt);
      continue;
    }
    if (res.status === 204) return undefined as T;
    // A file (an export): the body as it came; errors are still JSON.
    if (res.ok && opts.blob) return (await res.blob()) as T;
    let data: any = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.ok) return data as T;
    const e = data?.error ?? {};
    const err = new ApiError(res.status, e.code ?? 'http_error', e.message ?? String(res.status), e.fields ?? [],
      e.allowed_actions ?? []);
    if (res.status === 401 && !opts.quiet401) expiredListeners.forEach((f) => f());
    throw err;
  }
}

export const get = <T = any>(path: string) => api<T>('GET', path);
export const post = <T = any>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T = any>(path: string, body: unknown) => api<T>('PATCH', path, body);

export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}

// Every item of a list, following cursors (bounded).
export async function listAll<T = Rec>(path: string, params: Record<string, any> = {}, max = 500): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await get(path + query({ ...params, limit: 100, cursor }));
    if (path.includes('?')) throw new Error('listAll: pass parameters in params');
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

export interface Session {
  user: { id: string; username: string; display_name: string; agency_id: string };
  role: { code: string; permissions?: any; [k: string]: any };
  csrf_token: string;
  second_factor_done?: boolean;
  totp_enrolment_required?: boolean;
  second_factor_required?: boolean;
}
