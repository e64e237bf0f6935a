import { useState } from 'preact/hooks';
import { ApiError, get, patch, post, type FieldError } from '../api';
import { agencies, agencyName } from '../data';
import { LANGS, useI18n, type Key } from '../i18n';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';
import { ErrorBox, FormErrors, Loading, Select, TextInput, useAsync } from '../ui';

const TABS: { path: string; label: Key }[] = [
  { path: '/admin', label: 'admin_users' },
  { path: '/admin/roles', label: 'admin_roles' },
  { path: '/admin/agencies', label: 'admin_agencies' },
  { path: '/admin/codelists', label: 'admin_codelists' },
];

export function Admin() {
  const { t } = useI18n();
  const { path } = useLocation();
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_admin')}</h1>
      <nav class="tabs" aria-label={t('nav_admin')}>
        {TABS.map((tab) => (
          <a
            key={tab.path}
            href={tab.path}
            class={path === tab.path ? 'tab current' : 'tab'}
            aria-current={path === tab.path ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(tab.path);
            }}
          >
            {t(tab.label)}
          </a>
        ))}
      </nav>
      {path === '/admin' && <Users />}
      {path === '/admin/roles' && <Roles />}
      {path === '/admin/agencies' && <Agencies />}
      {path === '/admin/codelists' && <CodeLists />}
    </section>
  );
}

function Users() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const users = useAsync(() => get('/users?limit=200'), []);
  const orgs = useAsync(agencies, []);
  const roles = useAsync(() => get('/roles'), []);
  const [v, setV] = useState<Record<string, string>>({ username: '', display_name: '', agency: '', role: '', password: '' });
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [rowError, setRowError] = useState<ApiError | null>(null);
  const change = async (u: any, body: Record<string, any>) => {
    setRowError(null);
    try {
      await patch(`/users/${u.id}`, { version: u.version, ...body });
    } catch (e) {
      setRowError(e as ApiError);
    }
    users.reload();
  };
  const roleName = (code: string) => {
    const r = roles.data?.items?.find((x: any) => x.code === code);
    return r ? (lang === 'lo' ? r.name_lo : r.name_en) : code;
  };
  return (
    <>
      <h2>{t('admin_users')}</h2>
      {users.loading && <Loading />}
      <ErrorBox error={users.error} onRetry={users.reload} />
      <FormErrors error={rowError} shown={[]} />
      {users.data && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('username')}</th>
              <th scope="col">{t('display_name')}</th>
              <th scope="col">{t('role')}</th>
              <th scope="col">{t('agency')}</th>
              <th scope="col">{t('f_status')}</th>
              {can('users', 'manage_users') && <th scope="col">{t('actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {users.data.items.map((u: any) => (
              <tr key={u.id}>
                <td lang="en">{u.username}</td>
                <td>{u.display_name}</td>
                <td>{roleName(u.role)}</td>
                <td>{agencyName(orgs.data, u.agency_id, lang)}</td>
                <td>{u.disabled ? t('disabled') : u.locked ? t('locked') : t('active')}</td>
                {can('users', 'manage_users') && (
                  <td>
                    <button type="button" class="link" onClick={() => change(u, { disabled: !u.disabled })}>
                      {u.disabled ? t('enable') : t('disable')}
                    </button>
                    {u.totp_enrolled && (
                      <button type="button" class="link" onClick={() => confirm(t('reset_totp_confirm')) && change(u, { reset_totp: true })}>
                        {t('reset_totp')}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can('users', 'manage_users') && (
        <form
          class="card"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            setErrors([]);
            setError(null);
            try {
              await post('/users', v);
              setV({ username: '', display_name: '', agency: '', role: '', password: '' });
              users.reload();
            } catch (err) {
              setErrors((err as ApiError).fields);
              setError(err as ApiError);
            }
          }}
        >
          <h3>{t('add_user')}</h3>
          <TextInput label={t('username')} name="username" value={v.username} onInput={(x) => setV({ ...v, username: x })} errors={errors} required />
          <TextInput label={t('display_name')} name="display_name" value={v.display_name} onInput={(x) => setV({ ...v, display_name: x })} errors={errors} required />
          <Select
            label={t('agency')}
            name="agency"
            value={v.agency}
            options={(orgs.data ?? []).map((a) => ({ value: a.org_Code, label: agencyName(orgs.data, a.id, lang) }))}
            onChange={(x) => setV({ ...v, agency: x })}
            errors={errors}
            required
          />
          <Select
            label={t('role')}
            name="role"
            value={v.role}
            options={(roles.data?.items ?? []).map((r: any) => ({ value: r.code, label: roleName(r.code) }))}
            onChange={(x) => setV({ ...v, role: x })}
            errors={errors}
            required
          />
          <TextInput label={t('password')} name="password" type="password" value={v.password} onInput={(x) => setV({ ...v, password: x })} errors={errors} autoComplete="new-password" required />
          <FormErrors error={error} shown={['username', 'display_name', 'agency', 'role', 'password']} />
          <button type="submit">{t('save')}</button>
        </form>
      )}
    </>
  );
}

function Roles() {
  const { t, lang } = useI18n();
  const roles = useAsync(() => get('/roles'), []);
  return (
    <>
      <h2>{t('admin_roles')}</h2>
      {roles.loading && <Loading />}
      <ErrorBox error={roles.error} onRetry={roles.reload} />
      <ul class="cards">
        {roles.data?.items?.map((r: any) => (
          <li key={r.code} class="card">
            <h3>{lang === 'lo' ? r.name_lo : r.name_en}</h3>
            <p class="muted" lang="en">
              {r.code} · {r.scope}
              {r.requires_totp ? ' · TOTP' : ''}
            </p>
            <p lang="en" class="small">
              {(r.permissions ?? []).map((p: any) => `${p.resource}: ${p.actions.join(', ')}`).join(' · ')}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}

function Agencies() {
  const { t } = useI18n();
  const orgs = useAsync(agencies, []);
  return (
    <>
      <h2>{t('admin_agencies')}</h2>
      {orgs.loading && <Loading />}
      <ErrorBox error={orgs.error} onRetry={orgs.reload} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t('code')}</th>
            <th scope="col">ລາວ</th>
            <th scope="col">English</th>
          </tr>
        </thead>
        <tbody>
          {orgs.data?.map((a) => (
            <tr key={a.id}>
              <td lang="en">{a.org_Code}</td>
              <td lang="lo">{a.org_NameLo}</td>
              <td lang="en">{a.org_NameEn}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function CodeLists() {
  const { t } = useI18n();
  const index = useAsync(() => get('/codelists'), []);
  const [name, setName] = useState('');
  const list = useAsync(() => (name ? get('/codelists/' + name) : Promise.resolve(null)), [name]);
  return (
    <>
      <h2>{t('admin_codelists')}</h2>
      {index.loading && <Loading />}
      <Select
        label={t('admin_codelists')}
        name="codelist"
        value={name}
        options={(index.data?.items ?? []).map((l: any) => ({ value: l.name, label: `${l.name} (${l.count})` }))}
        onChange={setName}
      />
      {list.data && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{t('code')}</th>
              {LANGS.map((l) => (
                <th key={l.code} scope="col" lang={l.code}>
                  {l.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((i: any) => (
              <tr key={i.code}>
                <td lang="en">{i.code}</td>
                {LANGS.map((l) => (
                  <td key={l.code} lang={l.code}>
                    {i.labels[l.code]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
