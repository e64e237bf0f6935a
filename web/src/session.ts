import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './api';

export interface SessionCtx {
  session: Session;
  can: (resource: string, action: string) => boolean;
  signOut: () => void;
}
export const SessionContext = createContext<SessionCtx>(null as any);
export const useSession = () => useContext(SessionContext);

export function permissionsOf(session: Session): (resource: string, action: string) => boolean {
  const perms: { resource: string; actions: string[] }[] = session.role?.permissions ?? [];
  return (resource, action) => perms.some((p) => p.resource === resource && p.actions.includes(action));
}

// Drafts of forms (the registration wizard) live in sessionStorage: they
// survive a reload, a network drop and a session that expired, and go when
// the tab closes or the user signs out (victim data never stays on a shared
// computer).
export function loadDraft<T>(key: string): T | null {
  try {
    const s = sessionStorage.getItem('ctims.draft.' + key);
    return s ? (JSON.parse(s) as T) : null;
  } catch {
    return null;
  }
}
export function saveDraft(key: string, value: unknown): void {
  try {
    sessionStorage.setItem('ctims.draft.' + key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the form keeps its state in memory */
  }
}
export function clearDraft(key: string): void {
  sessionStorage.removeItem('ctims.draft.' + key);
}
export function clearAllDrafts(): void {
  for (const k of Object.keys(sessionStorage)) if (k.startsWith('ctims.draft.')) sessionStorage.removeItem(k);
}
