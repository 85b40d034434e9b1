/**
 * The one registry of API error codes. Codes of the CDS API (spec §2.3) plus the
 * authentication codes openrds chose (spec §1.6 leaves them to the server).
 * docs/errors.md is checked against this table by test/unit/errors.test.ts.
 */
export const ERROR_CODES = {
  ArgMissing: { status: 400, doc: 'A required parameter is missing.' },
  InvalidParameter: { status: 400, doc: 'A parameter has the wrong type, format or value.' },
  BadArgs: { status: 400, doc: 'A parameter is invalid (second documented code; openrds answers InvalidParameter).' },
  UnsupportedOperation: { status: 400, doc: 'The operation is not supported for this resource.' },
  ResourceNotFound: { status: 404, doc: 'The resource does not exist, or belongs to another tenant.' },
  ResourceInUse: { status: 409, doc: 'The resource is busy with another task; retry when its Status is RUNNING.' },
  InternalError: { status: 500, doc: 'Internal error; the request id is in the logs.' },
  CreateOrderExcept: { status: 500, doc: 'Placing the order failed (kept for compatibility; openrds does not use it).' },
  'InvalidTaskID.Malformed': { status: 400, doc: 'DescribeTask only: the TaskId is malformed.' },
  InvalidAction: { status: 400, doc: 'The Action is missing or unknown.' },
  IncompleteSignature: { status: 400, doc: 'A signing parameter (AccessKeyId, Signature, SignatureMethod, SignatureNonce, Timestamp) is missing.' },
  UnsupportedSignatureMethod: { status: 400, doc: 'SignatureMethod is neither HMAC-SHA1 nor HmacSHA256.' },
  InvalidTimestamp: { status: 400, doc: 'Timestamp is not in the form YYYY-MM-DDTHH:MM:SSZ.' },
  RequestExpired: { status: 403, doc: 'Timestamp is outside the allowed clock skew (default ±15 min); check the client clock.' },
  SignatureNonceUsed: { status: 403, doc: 'The SignatureNonce was already used inside the replay window; send a fresh random nonce.' },
  InvalidAccessKeyId: { status: 403, doc: 'The AccessKeyId is unknown or disabled.' },
  SignatureDoesNotMatch: { status: 403, doc: 'The Signature does not match the request; check the secret and the canonicalisation (spec §1.5).' },
  InvalidSignedUrl: { status: 403, doc: 'A signed download URL is expired, tampered or not valid for this resource.' },
  // HTTP-level refusals: answered in the envelope too, before any action runs.
  MethodNotAllowed: { status: 405, doc: 'The API paths take only GET and POST; other routes answer it for a method they do not take.' },
  RequestTimeout: { status: 408, doc: 'The request was not received in time.' },
  RequestTooLarge: { status: 413, doc: 'The request body is larger than the limit (1 MiB).' },
  // The store out of reach (docs/cluster.md): the one 5xx besides InternalError.
  ServiceUnavailable: { status: 503, doc: 'This serve node cannot reach the metadata store right now (PostgreSQL down or restarting); nothing was done. Retry in a few seconds, or through another node.' },
  RequestHeaderTooLarge: { status: 431, doc: 'The request line and headers are larger than the limit (16 KiB); send large parameters in a POST body.' },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected API failure: carries its registry code; the HTTP status comes from the registry. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ApiError';
  }
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const argMissing = (name: string) =>
  new ApiError('ArgMissing', `missing required parameter ${name}`);
export const invalidParam = (name: string, why: string) =>
  new ApiError('InvalidParameter', `invalid parameter ${name}: ${why}`);
export const notFound = (what: string, id: string) =>
  new ApiError('ResourceNotFound', `${what} ${id} does not exist`);
export const inUse = (what: string) => new ApiError('ResourceInUse', what);
export const unsupported = (what: string) => new ApiError('UnsupportedOperation', what);
