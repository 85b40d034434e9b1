/**
 * The console's API client: every call is a signed POST to /mysql/ (DescribeTask: /ccs/) of the
 * same origin, business parameters in the JSON body (lists and objects need no flattening).
 * The key pair lives in sessionStorage: gone when the tab closes, never sent anywhere but as
 * a signature.
 */
import { formatTimestamp, signedQuery } from './sign.js';

export interface Creds {
  accessKeyId: string;
  secret: string;
}

/** An answer whose Code is not Success, with what the API said. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly requestId: string, readonly httpStatus: number) {
    super(message);
  }
  /** The parameter an InvalidParameter/ArgMissing message names (`invalid parameter Password: …`), if any. */
  get param(): string | undefined {
    const m = /(?:invalid parameter|missing required parameter|parameter) ([A-Za-z][\w.]*)/i.exec(this.message);
    return m?.[1];
  }
}

const KEY = 'openrds.console.creds';

export function loadCreds(): Creds | undefined {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return v && typeof v.accessKeyId === 'string' && typeof v.secret === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
export function saveCreds(c: Creds): void {
  sessionStorage.setItem(KEY, JSON.stringify(c));
}
export function clearCreds(): void {
  sessionStorage.removeItem(KEY);
}

export interface Answer<T> {
  data: T;
  taskId: string;
  requestId: string;
}

export class Api {
  constructor(private readonly creds: Creds, private readonly base = '') {}

  async call<T = any>(action: string, params: Record<string, unknown> = {}): Promise<Answer<T>> {
    const qs = await signedQuery({
      method: 'POST', action, accessKeyId: this.creds.accessKeyId, secret: this.creds.secret,
      nonce: crypto.randomUUID(), timestamp: formatTimestamp(new Date()),
    });
    const path = action === 'DescribeTask' ? '/ccs/' : '/mysql/';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}?${qs}`, {
        method: 'POST', body: JSON.stringify(params), headers: { 'content-type': 'application/json' }, credentials: 'omit', cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError('NetworkError', `openrds cannot be reached (${(e as Error).message}); is serve running?`, '', 0);
    }
    let body: any;
    try {
      body = await res.json();
    } catch {
      throw new ApiError('InternalError', `HTTP ${res.status}: the answer is not JSON`, '', res.status);
    }
    if (body?.Code !== 'Success') throw new ApiError(String(body?.Code ?? 'InternalError'), String(body?.Message ?? ''), String(body?.RequestId ?? ''), res.status);
    return { data: body.Data as T, taskId: String(body.TaskId ?? ''), requestId: String(body.RequestId ?? '') };
  }
}
