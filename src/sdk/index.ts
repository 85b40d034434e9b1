/** The public surface of the `openrds-sdk` package (npm run pack:sdk). */
export { OpenRDS, methodName, type OpenRDSOptions, type Envelope, type ResultOf, type ActionMethods } from './openrds.js';
export { OpenRDSError, CLIENT_CODES } from './errors.js';
export { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';
export type { WaitOptions, WaitProgress } from './waiters.js';
export { buildRequest, flatten, type SignedRequest } from './request.js';
export { CONTRACTS, CONTRACT_LIST, GROUPS, plainContracts, type ActionName, type Contracts } from '../contract/index.js';
export type { ParamsOf, DataOf, ActionContract, ParamSpec, Shape } from '../contract/types.js';
