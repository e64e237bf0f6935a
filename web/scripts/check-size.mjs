// Measures what the browser loads first (index.html's scripts and styles,
// and the modules they import statically) compressed with gzip, and fails
// the build above the budget (DESIGN.md §8: 200 KB; fonts excluded).
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'web');
const budget = Number(process.env.CTIMS_WEB_BUDGET_KB || 200) * 1024;
const html = readFileSync(join(out, 'index.html'), 'utf8');
const first = new Set();
for (const m of html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)) first.add(m[1]);
// Static imports of the entry chunks load before the app starts.
const queue = [...first].filter((f) => f.endsWith('.js'));
while (queue.length) {
  const code = readFileSync(join(out, queue.pop()), 'utf8');
  for (const m of code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) {
    const f = 'assets/' + m[1];
    if (!first.has(f)) { first.add(f); queue.push(f); }
  }
}
let total = 0;
const rows = [];
for (const f of [...first].sort()) {
  const gz = gzipSync(readFileSync(join(out, f)), { level: 9 }).length;
  total += gz;
  rows.push(`  ${f}  ${(gz / 1024).toFixed(1)} KB`);
}
const all = readdirSync(join(out, 'assets')).filter((f) => /\.(js|css)$/.test(f)).length;
console.log(`web first load (gzip): ${(total / 1024).toFixed(1)} KB of ${budget / 1024} KB budget, ${first.size} files (${all} JS/CSS chunks built)`);
console.log(rows.join('\n'));
if (total > budget) {
  console.error(`web: first load ${(total / 1024).toFixed(1)} KB is over the ${budget / 1024} KB budget`);
  process.exit(1);
}
