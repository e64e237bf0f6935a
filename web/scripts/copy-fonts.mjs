// Copies the Noto fonts the app ships from Debian's fonts-noto-core
// (installed by scripts/install-deps) into build/web/fonts. No CDN: the app
// works without internet. Fonts are outside the size budget. Chinese uses
// the reader's system CJK font (see web/README.md).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = process.env.CTIMS_NOTO_DIR || '/usr/share/fonts/truetype/noto';
const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'web', 'fonts');
const files = ['Lao', 'Thai', 'Myanmar', 'Khmer', ''].flatMap((s) =>
  ['Regular', 'Bold'].map((w) => `NotoSans${s}-${w}.ttf`),
);
mkdirSync(out, { recursive: true });
let missing = 0;
for (const f of files) {
  if (existsSync(join(src, f))) copyFileSync(join(src, f), join(out, f));
  else { missing++; console.warn(`web: font ${f} not found in ${src} (apt-get install fonts-noto-core)`); }
}
if (missing === files.length) process.exit(1);
console.log(`web: ${files.length - missing} fonts copied to build/web/fonts`);
