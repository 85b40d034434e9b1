/**
 * The openrds SDK client: one typed method per action (lowerCamelCase of its name), generated
 * from the action contracts (src/contract/), each returning the answer's typed `Data` (plus
 * `TaskId` for asynchronous actions). Works against openrds and any CDS MySQL endpoint.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatTimestamp, type SignatureMethod } from '../api/signature.js';
import { unknownParams } from '../contract/check-params.js';
import { CONTRACT_LIST, contractOf, type Contracts } from '../contract/index.js';
import type { DataOf, ParamsOf } from '../contract/types.js';
import { CLIENT_CODES, OpenRDSError } from './errors.js';
import { buildRequest, type SignedRequest } from './request.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';
import { isCertificateError, nodeTransport, type Transport } from './transport.js';
import { waitForAction, waitForTask, waitUntilDeleted, waitUntilRunning, type WaitOptions } from './waiters.js';

export interface OpenRDSOptions {
  /** `http://127.0.0.1:8080`, `https://host:8443`. */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signatureMethod?: SignatureMethod;
  /** GET flattens parameters into the signed query; POST (default) sends a JSON body. */
  method?: 'GET' | 'POST';
  /** For an https endpoint: a PEM file of one more CA to trust beside Node's roots (e.g. `<home>/tls/ca.pem`). */
  caFile?: string;
  /** Per request; default 60 s. */
  timeoutMs?: number;
  /** Retries of network errors and 5xx (src/sdk/retry.ts says which); `{ maxAttempts: 1 }` turns them off. */
  retry?: Partial<RetryPolicy>;
}

/** The whole answer of a call. */
export interface Envelope<T = unknown> {
  Code: string;
  Message: string;
  Data: T;
  TaskId: string;
  RequestId: string;
}

type Async<C> = C extends { wait: string } ? { TaskId: string } : unknown;
/** What a method returns: the typed Data, with the TaskId for asynchronous actions. */
export type ResultOf<C extends { response: unknown }> = DataOf<C['response']> & Async<C>;
type MethodName<N extends string> = Uncapitalize<N>;
export type ActionMethods = {
  [N in keyof Contracts as MethodName<N & string>]: {} extends ParamsOf<Contracts[N]['params']>
    ? (params?: ParamsOf<Contracts[N]['params']>) => Promise<ResultOf<Contracts[N]>>
    : (params: ParamsOf<Contracts[N]['params']>) => Promise<ResultOf<Contracts[N]>>;
};

export function methodName(action: string): string {
  return action[0]!.toLowerCase() + action.slice(1);
}

export interface OpenRDS extends ActionMethods {}

export class OpenRDS {
  private readonly send: Transport;
  private readonly policy: RetryPolicy;

  constructor(private readonly o: OpenRDSOptions) {
    if (!o.endpoint || !o.accessKeyId || !o.accessKeySecret) throw new TypeError('OpenRDS needs endpoint, accessKeyId and accessKeySecret');
    let ca: Buffer | undefined;
    if (o.caFile) {
      try {
        ca = readFileSync(o.caFile);
      } catch (e) {
        throw new OpenRDSError(CLIENT_CODES.network, `CA file ${o.caFile} cannot be read: ${(e as Error).message}`, { cause: e });
      }
    }
    this.send = nodeTransport({ ca, timeoutMs: o.timeoutMs });
    this.policy = { ...DEFAULT_RETRY, ...o.retry };
  }

  /** The signed request of a call, without sending it (the CLI's --dry-run). */
  sign(action: string, params: Record<string, unknown> = {}, method = this.o.method ?? 'POST'): SignedRequest {
    return buildRequest({
      endpoint: this.o.endpoint, method, action, params, accessKeyId: this.o.accessKeyId, accessKeySecret: this.o.accessKeySecret,
      signatureMethod: this.o.signatureMethod, nonce: randomUUID(), timestamp: formatTimestamp(new Date()),
    });
  }

  /**
   * Any action by name; answers the whole envelope, Success or not (no throw on an API error).
   * Throws OpenRDSError for an unknown parameter of a known action, and when no answer came.
   */
  async call<T = unknown>(action: string, params: Record<string, unknown> = {}, method = this.o.method ?? 'POST'): Promise<{ httpStatus: number; body: Envelope<T> }> {
    const c = contractOf(action);
    if (c) {
      const bad = unknownParams(c, params);
      if (bad.length) throw new OpenRDSError(CLIENT_CODES.unknownParameter, `${action}: ${bad.map((b) => b.message).join('; ')}`);
    }
    const idempotent = c?.idempotent === true;
    for (let attempt = 1; ; attempt++) {
      const req = this.sign(action, params, method);
      let res;
      try {
        res = await this.send(req.url, req.method, req.body);
      } catch (e) {
        const errno = String((e as NodeJS.ErrnoException)?.code ?? '');
        // An untrusted certificate stays untrusted: never retried.
        const delay = isCertificateError(e) ? undefined : retryDelay({ kind: 'network', errno }, idempotent, attempt, this.policy);
        if (delay !== undefined) {
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        const host = new URL(req.url).host;
        if (isCertificateError(e)) {
          throw new OpenRDSError(CLIENT_CODES.network, `the certificate of ${host} is not trusted (${(e as Error).message}); `
            + 'for an openrds with a local CA pass its <home>/tls/ca.pem (--ca-file, OPENRDS_CA_FILE) or caFile in the SDK', { cause: e });
        }
        throw new OpenRDSError(CLIENT_CODES.network, `cannot reach ${this.o.endpoint} (${errno || (e as Error).message})`, { cause: e });
      }
      let body: Envelope<T>;
      try {
        body = JSON.parse(res.text) as Envelope<T>;
        if (typeof body?.Code !== 'string') throw new Error('no Code');
      } catch {
        throw new OpenRDSError(CLIENT_CODES.invalidResponse, `HTTP ${res.status} from ${this.o.endpoint} is not an API answer: ${res.text.slice(0, 200)}`, { httpStatus: res.status });
      }
      if (res.status >= 500) {
        const delay = retryDelay({ kind: 'http', status: res.status, code: body.Code }, idempotent, attempt, this.policy);
        if (delay !== undefined) {
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
      }
      return { httpStatus: res.status, body };
    }
  }

  /** Like call(), but throws OpenRDSError unless Success; answers Data (with TaskId for async actions). */
  async request(action: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const { httpStatus, body } = await this.call(action, params);
    if (body.Code !== 'Success') throw new OpenRDSError(body.Code, body.Message ?? body.Code, { requestId: body.RequestId, httpStatus });
    if (contractOf(action)?.wait) {
      const data = body.Data && typeof body.Data === 'object' && !Array.isArray(body.Data) ? body.Data : {};
      return { ...data, TaskId: body.TaskId ?? '' };
    }
    return body.Data;
  }

  waitForTask(taskId: string, o?: WaitOptions) {
    return waitForTask(this, taskId, o);
  }

  /** Resolves with the instance once RUNNING; fails if it goes to ERROR or disappears. */
  waitUntilRunning(instanceUuid: string, o?: WaitOptions) {
    return waitUntilRunning(this, instanceUuid, o);
  }

  waitUntilDeleted(instanceUuid: string, o?: WaitOptions) {
    return waitUntilDeleted(this, instanceUuid, o);
  }

  /** Waits for what an asynchronous action's answer started (its contract's `wait`). */
  waitForAction(action: string, params: Record<string, unknown>, answer: { TaskId: string; Data: unknown }, o?: WaitOptions) {
    const kind = contractOf(action)?.wait;
    if (!kind) throw new TypeError(`${action} is not asynchronous: there is nothing to wait for`);
    return waitForAction(this, kind, params, answer, o);
  }
}

for (const c of CONTRACT_LIST) {
  Object.defineProperty(OpenRDS.prototype, methodName(c.name), {
    value: function (this: OpenRDS, params: Record<string, unknown> = {}) {
      return this.request(c.name, params);
    },
    writable: true, configurable: true,
  });
}
