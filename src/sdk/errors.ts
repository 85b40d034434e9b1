/** The one error the SDK throws: an API error answer, or a failure to get one. */

/** Codes the SDK itself uses when there is no API answer (the API's own are in docs/errors.md). */
export const CLIENT_CODES = {
  /** No connection, reset, timeout: `cause` has the Node error. */
  network: 'NetworkError',
  /** The server answered something that is not the API's JSON envelope. */
  invalidResponse: 'InvalidResponse',
  /** A parameter name the action does not declare (checked before sending). */
  unknownParameter: 'UnknownParameter',
  /** A waiter's deadline passed. */
  timeout: 'WaitTimeout',
  /** A waiter saw the task or instance fail, or the resource disappear. */
  waitFailed: 'WaitFailed',
} as const;

export class OpenRDSError extends Error {
  override readonly name = 'OpenRDSError';
  /** The API's error code (InvalidParameter, ResourceNotFound, …) or one of CLIENT_CODES. */
  readonly code: string;
  /** The server's RequestId; '' when no answer came. */
  readonly requestId: string;
  /** The HTTP status of the answer; 0 when no answer came. */
  readonly httpStatus: number;

  constructor(code: string, message: string, o: { requestId?: string; httpStatus?: number; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.code = code;
    this.requestId = o.requestId ?? '';
    this.httpStatus = o.httpStatus ?? 0;
  }
}
