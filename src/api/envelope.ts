/**
 * The response envelope of spec §2.1, for every answer on the API paths, including the ones
 * the framework or Node's HTTP parser produce (unknown path, wrong method, body or headers too
 * large, malformed request). One shape, one place: docs/errors.md "The envelope".
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { ERROR_CODES, type ErrorCode } from './errors.js';

export interface Envelope {
  Code: string;
  Message: string;
  Data: unknown;
  TaskId: string;
  RequestId: string;
}

export const newRequestId = (): string => randomUUID();

export function errorEnvelope(code: ErrorCode, message: string, requestId: string): Envelope {
  return { Code: code, Message: message, Data: null, TaskId: '', RequestId: requestId };
}

/** Which registry code answers a framework error (fastify's FST_ERR_* carry an HTTP statusCode). */
export function frameworkErrorCode(e: { code?: string; statusCode?: number }): ErrorCode {
  if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'RequestTooLarge';
  if (e.statusCode === 408) return 'RequestTimeout';
  if (e.statusCode === 431) return 'RequestHeaderTooLarge';
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return 'InvalidParameter';
  return 'InternalError';
}

/**
 * What Node's HTTP server answers when it cannot parse a request at all (it never reaches
 * fastify): header block over maxHeaderSize (a long query string), a NUL or other forbidden byte
 * in a header, an unknown method token, a timeout. Pure: the raw HTTP/1.1 response, or undefined
 * when nothing should be written (the peer is gone).
 */
export function clientErrorResponse(err: { code?: string }, requestId: string): string | undefined {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return undefined;
  let code: ErrorCode;
  let message: string;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    code = 'RequestHeaderTooLarge';
    message = 'the request line and headers exceed 16 KiB; send large parameters in a POST body (spec §1.3)';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    code = 'RequestTimeout';
    message = 'the request was not received in time';
  } else {
    code = 'InvalidParameter';
    message = `malformed HTTP request (${err.code ?? 'parse error'}): check the request line and the header values (no control characters)`;
  }
  const body = JSON.stringify(errorEnvelope(code, message, requestId));
  const status = ERROR_CODES[code].status;
  return `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * The `clientError` handler for every HTTP server that carries the API (fastify's
 * clientErrorHandler option; an extra listener can attach it with `server.on('clientError', …)`).
 * The connection is closed afterwards: after a parse error the byte stream cannot be trusted.
 */
export function onClientError(this: unknown, err: Error & { code?: string }, socket: Socket): void {
  // A response already under way on this socket cannot be followed by another one.
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  const raw = socket.destroyed || started ? undefined : clientErrorResponse(err, newRequestId());
  if (raw === undefined || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(raw);
  // A peer that keeps the connection open after the answer does not keep the socket.
  setTimeout(() => socket.destroy(), 5000).unref();
}
