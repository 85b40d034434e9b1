/**
 * The server's validation from the action contract (src/contract/): every declared parameter
 * is read, in declaration order, with the ParamReader rules (ArgMissing when a required one is
 * absent, InvalidParameter naming it when wrong). Names the contract does not declare are
 * ignored: CDS clients send extra ones and expect them to be (the CLI and the SDK refuse them).
 *
 * Converting an action written with `p.str('X', {...})` reads (e.g. one merged from another
 * branch) to the contract is mechanical:
 * 1. declare it with defineAction() in the group's file of src/contract/ (the rules of each
 *    `p.str/int/text/...` call become the parameter's fields; add desc and example) and list
 *    it in CONTRACTS (src/contract/index.ts);
 * 2. in its module: `export const x = implement(Contract, async (ctx, a) => …)` and replace each
 *    `p.str('X', …)` by `a.X` (dynamic checks, e.g. against the catalog, stay in the handler);
 * 3. `npm run gen:api-docs` refreshes the tables of docs/api.md.
 */
import type { ActionContract, ParamSpec, ParamsOf } from '../contract/types.js';
import type { ActionContext, ActionDef, ActionResult } from './action.js';
import type { ParamReader } from './validate.js';

type Specs = Readonly<Record<string, ParamSpec>>;

function readOne(p: ParamReader, name: string, s: ParamSpec): unknown {
  const required = s.required === true;
  switch (s.type) {
    case 'string':
      return p.str(name, { required: required as false, minLen: s.minLen, maxLen: s.maxLen, pattern: s.pattern, patternHint: s.patternHint, oneOf: s.oneOf, engineName: s.engineName });
    case 'text':
      return p.text(name, { required: required as false, minLen: s.minLen, maxLen: s.maxLen });
    case 'integer':
      return p.int(name, { required: required as false, min: s.min, max: s.max });
    case 'boolean':
      return p.bool(name, { required });
    case 'string[]':
      return p.strList(name, { required, item: s.item, maxItems: s.maxItems });
    case 'object': {
      const r = p.obj(name, { required });
      return r === undefined ? undefined : readParams(s.fields, r);
    }
    case 'object[]':
      return p.objList(name, { required, maxItems: s.maxItems })?.map((r) => readParams(s.fields, r));
  }
}

/** Reads and checks every declared parameter; absent optional ones are left out. */
export function readParams<P extends Specs>(specs: P, p: ParamReader): ParamsOf<P> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(specs)) {
    const v = readOne(p, name, s);
    if (v !== undefined) out[name] = v;
  }
  return out as ParamsOf<P>;
}

/**
 * An action module from its contract: the handler gets the parameters already read and checked
 * (`a`), plus the raw reader for the rare rule that needs it.
 */
export function implement<P extends Specs>(
  contract: ActionContract<P>,
  handler: (ctx: ActionContext, a: ParamsOf<P>, p: ParamReader) => Promise<ActionResult>,
): ActionDef {
  return {
    name: contract.name,
    contract,
    handler: (ctx, p) => handler(ctx, readParams(contract.params, p), p),
  };
}
