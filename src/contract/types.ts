/**
 * The shape of an action contract: pure data, no server imports, so the SDK package, the CLI,
 * the web console and the docs generator can load it without the server.
 *
 * One declaration per action gives (issue 14 §1):
 * - the server's validation: src/api/contract-params.ts reads every declared parameter in
 *   declaration order with these rules (unknown names are ignored, as CDS clients expect);
 * - the SDK's types (ParamsOf / DataOf below) and methods (src/sdk/openrds.ts);
 * - the CLI's flags, help and did-you-mean (src/cli/call-command.ts);
 * - the parameter tables of docs/api.md (scripts/gen-api-docs.ts, checked by test/unit/contract-docs.test.ts).
 *
 * Rules that depend on the configuration (the catalog's disk types and their ranges, regions,
 * specs) are not data: the contract says them in `range` words, the handler checks them.
 */

interface ParamBase {
  /** One line: what it is. */
  desc: string;
  /** A value a user could send (docs, CLI help). */
  example: string;
  required?: boolean;
  /** Words for a rule the data below cannot say (e.g. "DiskMin–DiskMax of the DiskType"). */
  range?: string;
}

export interface StringRules {
  minLen?: number;
  maxLen?: number;
  pattern?: RegExp;
  patternHint?: string;
  oneOf?: readonly string[];
  /** A name the engine stores (database, account): engineNameProblem() applies. */
  engineName?: boolean;
}

export interface StringParam extends ParamBase, StringRules { type: 'string' }
/** Free text (freeTextProblem in src/api/validate.ts): lengths in code points. */
export interface TextParam extends ParamBase { type: 'text'; minLen?: number; maxLen: number }
export interface IntegerParam extends ParamBase { type: 'integer'; min?: number; max?: number }
export interface BooleanParam extends ParamBase { type: 'boolean' }
export interface StringListParam extends ParamBase { type: 'string[]'; item?: StringRules & { oneOf?: readonly string[] }; maxItems?: number }
export interface ObjectParam extends ParamBase { type: 'object'; fields: Readonly<Record<string, ParamSpec>> }
export interface ObjectListParam extends ParamBase { type: 'object[]'; fields: Readonly<Record<string, ParamSpec>>; maxItems?: number }

export type ParamSpec = StringParam | TextParam | IntegerParam | BooleanParam | StringListParam | ObjectParam | ObjectListParam;
export type ParamType = ParamSpec['type'];

/**
 * A response shape: 'string' | 'number' | 'boolean' (a trailing `?`: the key may be absent,
 * `|null`: may be null), 'unknown', `[Shape]` for a list, an object of shapes.
 */
export type Scalar = 'string' | 'number' | 'boolean' | 'unknown';
export type ShapeLeaf = Scalar | `${Scalar}?` | `${Scalar}|null` | `${Scalar}|null?`;
export type Shape = ShapeLeaf | readonly [Shape] | { readonly [k: string]: Shape } | { readonly nullable: Shape };

/** What `--wait` and the SDK waiters wait for after an asynchronous action (it has a TaskId). */
export type WaitKind =
  /** the task, then every instance of Data.InstancesUuid to be RUNNING */
  | 'instances-running'
  /** the task, then the InstanceUuid parameter's instance to be RUNNING */
  | 'instance-running'
  /** the task, then the InstanceUuid parameter's instance to be gone */
  | 'instance-deleted'
  /** the task only (backups: its resource is the backup) */
  | 'task';

export type ActionGroup = 'catalog' | 'instances' | 'read-only' | 'accounts' | 'parameters' | 'specs' | 'backups' | 'recovery' | 'monitoring' | 'tasks';

export interface ActionContract<P extends Readonly<Record<string, ParamSpec>> = Readonly<Record<string, ParamSpec>>, R extends Shape = Shape> {
  name: string;
  group: ActionGroup;
  /** One line for `call --help` and the docs. */
  summary: string;
  /** The spec section it implements. */
  spec?: string;
  /** Set for asynchronous actions: they answer with a TaskId. */
  wait?: WaitKind;
  /** Reads only: safe to retry when the outcome of a request is unknown (SDK retries). */
  idempotent?: boolean;
  params: P;
  response: R;
}

/** Declares a contract, keeping its literal types (the SDK's types come from them). */
export function defineAction<const C extends ActionContract>(c: C): C {
  return c;
}

// --- types derived from a declaration ------------------------------------------------------------

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The value a parameter takes once read (the server's view; the SDK accepts the same). */
export type ValueOf<P> =
  P extends { type: 'string'; oneOf: readonly (infer U)[] } ? U
  : P extends { type: 'string' | 'text' } ? string
  : P extends { type: 'integer' } ? number
  : P extends { type: 'boolean' } ? boolean
  : P extends { type: 'string[]'; item: { oneOf: readonly (infer U)[] } } ? U[]
  : P extends { type: 'string[]' } ? string[]
  : P extends { type: 'object'; fields: infer F } ? ParamsOf<F>
  : P extends { type: 'object[]'; fields: infer F } ? ParamsOf<F>[]
  : never;

type RequiredKeys<Ps> = { [K in keyof Ps]: Ps[K] extends { required: true } ? K : never }[keyof Ps];
type OptionalKeys<Ps> = Exclude<keyof Ps, RequiredKeys<Ps>>;

/** The parameters object of an action: required ones required, the rest optional. */
export type ParamsOf<Ps> = Simplify<{ [K in RequiredKeys<Ps>]: ValueOf<Ps[K]> } & { [K in OptionalKeys<Ps>]?: ValueOf<Ps[K]> }>;

type ScalarType<S> = S extends 'string' ? string : S extends 'number' ? number : S extends 'boolean' ? boolean : unknown;
type LeafType<S> =
  S extends `${infer B}|null?` ? ScalarType<B> | null
  : S extends `${infer B}|null` ? ScalarType<B> | null
  : S extends `${infer B}?` ? ScalarType<B>
  : ScalarType<S>;
type OptKeys<S> = { [K in keyof S]: S[K] extends `${string}?` ? K : never }[keyof S];

/** The TypeScript type of a response shape. */
export type DataOf<S> =
  S extends string ? LeafType<S>
  : S extends readonly [infer I] ? DataOf<I>[]
  : S extends { readonly nullable: infer I } ? DataOf<I> | null
  : S extends object ? Simplify<{ -readonly [K in Exclude<keyof S, OptKeys<S>>]: DataOf<S[K]> } & { -readonly [K in OptKeys<S>]?: DataOf<S[K]> }>
  : unknown;
