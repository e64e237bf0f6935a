import { useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { api, onSessionExpired, sessionRenewed, setCsrf, type Session } from './api';
import { I18n, LANGS, initialLang, translator, useI18n, type Lang, type Key } from './i18n';
import { Link, match, navigate, useLocation } from './router';
import { SessionContext, clearAllDrafts, permissionsOf, useSession } from './session';
import { LazyPage, Loading } from './ui';
import { SignIn, TotpEnrolment } from './pages/signin';
import { Dashboard } from './pages/dashboard';
import { DuplicateQueue, PersonList, PersonView } from './pages/persons';
import { CaseList, CaseView } from './pages/cases';
import { Register } from './pages/register';
import { Referrals } from './pages/referrals';
import { Repatriations } from './pages/repatriations';
import { InvestigationList, InvestigationView } from './pages/investigations';
import { Admin } from './pages/admin';
import { tfNav } from './strings/taskforce_nav';

// issue 7: the taskforce and directive pages load on demand (first-load
// budget, web/scripts/check-size.mjs).
type TaskforcePages = typeof import('./pages/taskforce');
function LazyTaskforce({ render }: { render: (m: TaskforcePages) => any }) {
  const [mod, setMod] = useState<TaskforcePages | null>(null);
  useEffect(() => {
    import('./pages/taskforce').then(setMod);
  }, []);
  return mod ? render(mod) : <Loading />;
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang());
  const i18n = useMemo(
    () => ({
      lang,
      t: translator(lang),
      setLang: (l: Lang) => {
        localStorage.setItem('ctims.lang', l);
        // Screen readers pick the voice from <html lang>; set it with the
        // text, not an effect later, so the two never disagree.
        document.documentElement.lang = l;
        setLangState(l);
      },
    }),
    [lang],
  );
  useLayoutEffect(() => {
    document.documentElement.lang = lang;
    document.title = 'ctims · ' + i18n.t('app_name');
  }, [lang]);

  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const load = () =>
    api<Session>('GET', '/session', undefined, { quiet401: true }).then(
      (s) => {
        setCsrf(s.csrf_token);
        setSession(s);
      },
      () => setSession(null),
    );
  useEffect(() => {
    load();
  }, []);
  useEffect(() => onSessionExpired(() => setSession((s) => (s ? (setExpired(true), s) : s))), []);

  const signOut = async () => {
    try {
      await api('DELETE', '/session', undefined, { quiet401: true });
    } catch {
      /* signed out anyway */
    }
    clearAllDrafts();
    setCsrf('');
    setSession(null);
    navigate('/', true);
  };

  let body;
  if (session === undefined) body = <Loading />;
  else if (session === null)
    body = (
      <SignIn
        onDone={(s) => {
          setCsrf(s.csrf_token);
          if (s.totp_enrolment_required) setSession({ ...s, totp_enrolment_required: true });
          else load();
        }}
      />
    );
  else if (session.totp_enrolment_required) body = <TotpEnrolment onDone={load} onCancel={signOut} />;
  else
    body = (
      <SessionContext.Provider value={{ session, can: permissionsOf(session), signOut }}>
        <div inert={expired || undefined}>
          <Shell />
        </div>
        {expired && (
          <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="reauth-title">
            <div class="dialog">
              <SignIn
                again
                username={session.user.username}
                onDone={(s) => {
                  setCsrf(s.csrf_token);
                  setExpired(false);
                  // Someone else signed in: nothing of the previous user stays.
                  if (s.user.id !== session.user.id) {
                    clearAllDrafts();
                    navigate('/', true);
                    load();
                  } else {
                    sessionRenewed();
                  }
                }}
              />
            </div>
          </div>
        )}
      </SessionContext.Provider>
    );
  return <I18n.Provider value={i18n}>{body}</I18n.Provider>;
}

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label class="lang-switch">
      <span class="sr-only">{t('language')}</span>
      <select value={lang} onChange={(e) => setLang((e.target as HTMLSelectElement).value as Lang)} aria-label={t('language')}>
        {LANGS.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </label>
  );
}

interface NavItem {
  href: string;
  label: Key;
  show: boolean;
  text?: string; // issue 7: a label from strings/taskforce_nav
}

function Shell() {
  const { t, lang } = useI18n();
  const { session, can, signOut } = useSession();
  const { path } = useLocation();
  const [menu, setMenu] = useState(false);
  const admin = can('users', 'manage_users') || can('agencies', 'create');
  const nav: NavItem[] = [
    { href: '/', label: 'nav_dashboard', show: true },
    { href: '/persons', label: 'nav_persons', show: can('persons', 'list') },
    { href: '/duplicates', label: 'nav_duplicates', show: can('persons', 'list') && can('cases', 'list') },
    { href: '/cases', label: 'nav_cases', show: can('cases', 'list') },
    { href: '/register', label: 'nav_register', show: can('persons', 'create') && can('cases', 'create') },
    { href: '/referrals', label: 'nav_referrals', show: can('referrals', 'list') },
    { href: '/repatriations', label: 'nav_repatriations', show: can('repatriations', 'list') },
    { href: '/investigations', label: 'nav_investigations', show: can('investigations', 'list') },
    { href: '/statistics', label: 'nav_statistics', show: can('statistics', 'report') },
    { href: '/taskforces', label: 'nav_dashboard', text: tfNav(lang, 'nav_taskforces'), show: can('taskforces', 'list') },
    { href: '/directives', label: 'nav_dashboard', text: tfNav(lang, 'nav_directives'), show: can('directives', 'list') },
    { href: '/admin', label: 'nav_admin', show: admin },
  ];
  useEffect(() => setMenu(false), [path]);
  useEffect(() => {
    // Moves focus to the page heading on navigation (screen readers, keyboard).
    const h = document.querySelector('main h1') as HTMLElement | null;
    h?.focus();
  }, [path]);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        {t('skip_to_content')}
      </a>
      <header class="topbar">
        <button type="button" class="menu-button" aria-expanded={menu} aria-controls="nav" onClick={() => setMenu(!menu)}>
          ☰ <span class="sr-only">{t('menu')}</span>
        </button>
        <span class="brand">ctims</span>
        <span class="who" title={session.user.username}>
          {session.user.display_name || session.user.username}
        </span>
        <LanguageSwitch />
        <button type="button" class="secondary" onClick={signOut}>
          {t('sign_out')}
        </button>
      </header>
      <nav id="nav" class={menu ? 'open' : ''} aria-label={t('menu')}>
        <ul>
          {nav
            .filter((n) => n.show)
            .map((n) => (
              <li key={n.href}>
                <Link href={n.href} current={n.href === '/' ? path === '/' : path.startsWith(n.href)}>
                  {n.text ?? t(n.label)}
                </Link>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main">
        <Routes path={path} />
      </main>
    </div>
  );
}

function Routes({ path }: { path: string }) {
  const { t } = useI18n();
  let m;
  if (match('/', path)) return <Dashboard />;
  if (match('/persons', path)) return <PersonList />;
  if ((m = match('/persons/:id', path))) return <PersonView id={m.id} />;
  if (match('/duplicates', path)) return <DuplicateQueue />;
  if (match('/cases', path)) return <CaseList />;
  if ((m = match('/cases/:id', path))) return <CaseView id={m.id} />;
  if (match('/register', path)) return <Register />;
  if (match('/referrals', path)) return <Referrals />;
  if (match('/repatriations', path)) return <Repatriations />;
  if (match('/investigations', path)) return <InvestigationList />;
  if ((m = match('/investigations/:id', path))) return <InvestigationView id={m.id} />;
  if (match('/statistics', path)) return <LazyPage load={() => import('./pages/statistics').then((m) => m.Statistics)} />;
  if (path.startsWith('/admin')) return <Admin />;
  if (match('/taskforces', path)) return <LazyTaskforce render={(m) => <m.TaskforceList />} />;
  if ((m = match('/taskforces/:id', path))) {
    const id = m.id;
    return <LazyTaskforce render={(x) => <x.PlanView id={id} />} />;
  }
  if (match('/directives', path)) return <LazyTaskforce render={(m) => <m.Directives />} />;
  return (
    <section>
      <h1 tabIndex={-1}>{t('err_not_found')}</h1>
      <Link href="/">{t('nav_dashboard')}</Link>
    </section>
  );
}


