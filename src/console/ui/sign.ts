/**
 * Request signing in the browser: the server's canonical string (src/api/signature-canonical.ts,
 * the same module) with an HMAC from WebCrypto. The secret is used only as an HMAC key here; it is
 * never put in a request. WebCrypto exists only in a secure context (HTTPS, or http://127.0.0.1 /
 * localhost), which is why the console refuses to sign in elsewhere.
 */
import { signedQueryString, signingParams, stringToSign, type SignatureMethod, type SignInput } from '../../api/signature-canonical.js';

export { formatTimestamp, type SignatureMethod, type SignInput } from '../../api/signature-canonical.js';

function base64(bytes: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

/** Standard base64 of HMAC-SHA1 / HMAC-SHA256 over the UTF-8 string to sign (spec §1.5 steps 5–6). */
export async function computeSignature(method: string, params: ReadonlyArray<readonly [string, string]>, secret: string, signatureMethod: SignatureMethod): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is not available: open the console over HTTPS or on http://127.0.0.1 / http://localhost');
  const enc = new TextEncoder();
  const key = await subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: signatureMethod === 'HmacSHA256' ? 'SHA-256' : 'SHA-1' }, false, ['sign']);
  return base64(await subtle.sign('HMAC', key, enc.encode(stringToSign(method, params))));
}

/** The full signed query string, as the SDK sends it (src/api/signature.ts signedQuery). */
export async function signedQuery(input: SignInput): Promise<string> {
  const sm = input.signatureMethod ?? 'HmacSHA256';
  const params = signingParams(input, sm);
  return signedQueryString(params, await computeSignature(input.method, params, input.secret, sm));
}
