/** Writes the parameter tables of docs/api.md from the action contracts (src/contract/render-docs.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import { CONTRACT_LIST } from '../src/contract/index.js';
import { renderParamTables, withParamTables } from '../src/contract/render-docs.js';

const file = new URL('../docs/api.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withParamTables(before, renderParamTables(CONTRACT_LIST));
if (after !== before) writeFileSync(file, after);
process.stdout.write(`${after === before ? 'unchanged' : 'updated'}: docs/api.md\n`);
