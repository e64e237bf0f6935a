// Copies the Noto fonts the app ships from Debian's fonts-noto-core
// (installed by scripts/install-deps) into build/web/fonts. No CDN: the app
// works without internet. Fonts are outside the size budget.
//
// Chinese: Debian's Noto Sans CJK is a 20 MB collection; the app ships its
// Simplified Chinese face cut to the 6,763 characters of GB 2312 (which
// cover the names of the region) and CJK punctuation, as WOFF2, made once
// with fontTools (python3-fonttools) and cached in build/fonts-cache. The
// browser fetches it only when a page shows Chinese (unicode-range).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

const cjkSource = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const cache = join(out, '..', '..', 'fonts-cache');
const cjk = join(cache, 'NotoSansSC-GB2312.woff2');
if (!existsSync(cjk)) {
  if (!existsSync(cjkSource)) {
    console.warn(`web: ${cjkSource} not found (apt-get install fonts-noto-cjk): Chinese uses the system font`);
  } else {
    mkdirSync(cache, { recursive: true });
    // GB 2312 levels 1 and 2: rows 0xB0-0xF7, cells 0xA1-0xFE (0xD7FA-0xD7FE unused).
    const gbk = new TextDecoder('gbk');
    let text = '';
    for (let row = 0xb0; row <= 0xf7; row++)
      for (let cell = 0xa1; cell <= 0xfe; cell++) if (!(row === 0xd7 && cell > 0xf9)) text += gbk.decode(Uint8Array.of(row, cell));
    const textFile = join(cache, 'gb2312.txt');
    writeFileSync(textFile, text);
    // Face 2 of the collection is Simplified Chinese (JP, KR, SC, TC, HK).
    execFileSync('/usr/bin/python3', ['-m', 'fontTools.subset', cjkSource, '--font-number=2', `--text-file=${textFile}`,
      '--unicodes=U+3000-303F,U+FF00-FFEF', '--flavor=woff2', '--layout-features=*', `--output-file=${cjk}`], { stdio: 'inherit' });
    console.log(`web: Chinese font subset made (${text.length} characters)`);
  }
}
if (existsSync(cjk)) copyFileSync(cjk, join(out, 'NotoSansSC-GB2312.woff2'));
