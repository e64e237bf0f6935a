import { get } from './api';
import type { Lang } from './i18n';

// Agencies by id, for names in lists (cached for the session).
let agencyCache: Promise<Record<string, any>[]> | null = null;
export function agencies(): Promise<Record<string, any>[]> {
  if (!agencyCache) {
    agencyCache = get<{ items: any[] }>('/agencies?limit=200').then((r) => r.items);
    agencyCache.catch(() => (agencyCache = null));
  }
  return agencyCache;
}
// After an agency is added or changed.
export function forgetAgencies(): void {
  agencyCache = null;
}
export function agencyName(list: Record<string, any>[] | undefined, id: string | undefined, lang: Lang): string {
  const a = list?.find((x) => x.id === id);
  if (!a) return id ?? '';
  return lang === 'lo' ? a.org_NameLo : a.org_NameEn;
}
