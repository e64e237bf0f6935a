// Fixed strings in six languages (Lao first), code-list labels from the
// server, dates through Intl in the reader's language. Switching language
// re-renders without a reload.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, type Key } from './strings/en';
import { lo } from './strings/lo';
import { th } from './strings/th';
import { zh } from './strings/zh';
import { vi } from './strings/vi';
import { my } from './strings/my';
import { get } from './api';

export type Lang = 'lo' | 'en' | 'th' | 'zh' | 'vi' | 'my';
export const LANGS: { code: Lang; name: string; tag: string }[] = [
  { code: 'lo', name: 'ລາວ', tag: 'lo-LA' },
  { code: 'en', name: 'English', tag: 'en-GB' },
  { code: 'th', name: 'ไทย', tag: 'th-TH' },
  { code: 'zh', name: '中文', tag: 'zh-CN' },
  { code: 'vi', name: 'Tiếng Việt', tag: 'vi-VN' },
  { code: 'my', name: 'မြန်မာ', tag: 'my-MM' },
];
const DICTS: Record<Lang, Record<Key, string>> = { lo, en, th, zh, vi, my };

export type { Key };
export type T = (key: Key, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  const dict = DICTS[lang] ?? lo;
  return (key, vars) => {
    let s = dict[key] ?? en[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
    return s;
  };
}

export function initialLang(): Lang {
  const saved = localStorage.getItem('ctims.lang') as Lang | null;
  return saved && saved in DICTS ? saved : 'lo';
}

export function tagOf(lang: Lang): string {
  return LANGS.find((l) => l.code === lang)?.tag ?? 'lo-LA';
}

// A date ("2025-06-15") or timestamp in the reader's language.
export function formatDate(lang: Lang, value: string | undefined | null, withTime = false): string {
  if (!value) return '';
  const d = new Date(value.length === 10 ? value + 'T00:00:00Z' : value);
  if (isNaN(d.getTime())) return value;
  const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' };
  if (withTime) {
    opts.hour = '2-digit';
    opts.minute = '2-digit';
    delete opts.timeZone;
  }
  try {
    const text = new Intl.DateTimeFormat(tagOf(lang), opts).format(d);
    // Browsers without the locale's month names fall back to "2026 M11 28".
    if (lang === 'lo' || /\bM\d{1,2}\b/.test(text)) return laoDate(d, withTime, lang);
    return text;
  } catch {
    return value;
  }
}

const LAO_MONTHS = ['ມັງກອນ', 'ກຸມພາ', 'ມີນາ', 'ເມສາ', 'ພຶດສະພາ', 'ມິຖຸນາ', 'ກໍລະກົດ', 'ສິງຫາ', 'ກັນຍາ', 'ຕຸລາ', 'ພະຈິກ', 'ທັນວາ'];
// "28 ພະຈິກ 2026" (and the time, local): Lao month names do not depend on
// the browser's locale data; other languages fall back to numbers.
function laoDate(d: Date, withTime: boolean, lang: Lang): string {
  const day = withTime ? d.getDate() : d.getUTCDate();
  const month = withTime ? d.getMonth() : d.getUTCMonth();
  const year = withTime ? d.getFullYear() : d.getUTCFullYear();
  const m = lang === 'lo' ? LAO_MONTHS[month] : String(month + 1).padStart(2, '0');
  let s = lang === 'lo' ? `${day} ${m} ${year}` : `${year}-${m}-${String(day).padStart(2, '0')}`;
  if (withTime) s += ` ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return s;
}

// ---- code lists ---------------------------------------------------------

export interface CodeItem {
  code: string;
  labels: Partial<Record<Lang, string>>;
}
const lists = new Map<string, Promise<CodeItem[]>>();
export function codelist(name: string): Promise<CodeItem[]> {
  let p = lists.get(name);
  if (!p) {
    p = get<{ items: CodeItem[] }>('/codelists/' + name).then((r) => r.items);
    p.catch(() => lists.delete(name));
    lists.set(name, p);
  }
  return p;
}
export function labelOf(items: CodeItem[] | undefined, code: string | undefined, lang: Lang): string {
  if (!code) return '';
  const item = items?.find((i) => i.code === code);
  return item?.labels[lang] ?? item?.labels.en ?? code;
}

// ---- context ------------------------------------------------------------

export interface LangContext {
  lang: Lang;
  t: T;
  setLang: (l: Lang) => void;
}
export const I18n = createContext<LangContext>({ lang: 'lo', t: translator('lo'), setLang: () => {} });
export const useI18n = () => useContext(I18n);
