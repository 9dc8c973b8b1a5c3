// Writes trusted-documents.json, the manifest of the console's operations:
// { "<sha256 hex of the document text>": "<document text>" }, one entry per operation in
// documents/*.graphql. A document's text is the operation as graphql-js prints it,
// followed by the fragments it uses (by name), separated by blank lines: what the typed
// client sends (print() of the generated document). With --check, fails instead when
// the committed manifest differs from the documents.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, print, visit } from 'graphql';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = join(root, 'documents');
const operations = new Map();
const fragments = new Map();
for (const file of readdirSync(folder).filter((f) => f.endsWith('.graphql')).sort()) {
  const document = parse(readFileSync(join(folder, file), 'utf8'));
  for (const definition of document.definitions) {
    const name = definition.name?.value;
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      if (fragments.has(name)) throw new Error(`fragment ${name} is defined twice (${file})`);
      fragments.set(name, definition);
    } else if (definition.kind === Kind.OPERATION_DEFINITION) {
      if (!name) throw new Error(`an operation in ${file} has no name`);
      if (operations.has(name)) throw new Error(`operation ${name} is defined twice (${file})`);
      operations.set(name, definition);
    }
  }
}

/** The fragments `node` spreads, directly or through other fragments. */
function used(node, found = new Set()) {
  visit(node, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      if (found.has(name)) return;
      if (!fragments.has(name)) throw new Error(`unknown fragment ${name}`);
      found.add(name);
      used(fragments.get(name), found);
    },
  });
  return found;
}

const entries = [...operations.values()].map((operation) => {
  const text = [operation, ...[...used(operation)].sort().map((n) => fragments.get(n))]
    .map(print)
    .join('\n\n');
  return [createHash('sha256').update(text, 'utf8').digest('hex'), text];
});
entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const manifest = `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`;
const target = join(root, 'trusted-documents.json');

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {}
  if (committed !== manifest) {
    console.error('clients/trusted-documents.json is out of date: run `npm run trusted-documents` in clients/');
    process.exit(1);
  }
  console.log(`trusted-documents.json is up to date (${entries.length} operations)`);
} else {
  writeFileSync(target, manifest);
  console.log(`wrote trusted-documents.json (${entries.length} operations)`);
}
