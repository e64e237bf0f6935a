import { useState } from 'preact/hooks';
import { ApiError, api, get, listAll, patch, post, type FieldError } from '../api';
import { agencies, agencyName, forgetAgencies } from '../data';
import { LANGS, useI18n, type Key } from '../i18n';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';
import { Code, CodeSelect, DataTable, ErrorBox, FormErrors, Loading, Select, SubForm, TextInput, useAsync } from '../ui';

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
        <DataTable
          caption={t('admin_users')}
          rows={users.data.items}
          rowKey={(u: any) => u.id}
          columns={[
            { header: t('username'), cell: (u: any) => <span lang="en">{u.username}</span>, sortKey: (u: any) => u.username },
            { header: t('display_name'), cell: (u: any) => u.display_name, sortKey: (u: any) => u.display_name },
            { header: t('role'), cell: (u: any) => roleName(u.role), sortKey: (u: any) => roleName(u.role) },
            { header: t('agency'), cell: (u: any) => agencyName(orgs.data, u.agency_id, lang), sortKey: (u: any) => agencyName(orgs.data, u.agency_id, lang) },
            { header: t('f_status'), cell: (u: any) => (u.disabled ? t('disabled') : u.locked ? t('locked') : t('active')) },
            ...(can('users', 'manage_users')
              ? [
                  {
                    header: t('actions'),
                    cell: (u: any) => (
                      <>
                        <button type="button" class="link" onClick={() => change(u, { disabled: !u.disabled })}>
                          {u.disabled ? t('enable') : t('disable')}
                        </button>
                        {u.totp_enrolled && (
                          <button type="button" class="link" onClick={() => confirm(t('reset_totp_confirm')) && change(u, { reset_totp: true })}>
                            {t('reset_totp')}
                          </button>
                        )}
                      </>
                    ),
                  },
                ]
              : []),
          ]}
        />
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

const SCOPES = ['own', 'agency', 'jurisdiction', 'all'];
const GROUPS = ['general', 'identity', 'contact', 'health', 'narrative', 'investigation'];
const BASIC_ACTIONS = ['read', 'list', 'create', 'update', 'delete', 'history'];

function Roles() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const roles = useAsync(() => get('/roles'), []);
  // The role being edited, or a copy being made into a new one.
  const [editing, setEditing] = useState<{ role: any; copy: boolean } | null>(null);
  const manage = can('roles', 'manage_roles');
  const done = () => {
    setEditing(null);
    roles.reload();
  };
  return (
    <>
      <h2>{t('admin_roles')}</h2>
      {roles.loading && <Loading />}
      <ErrorBox error={roles.error} onRetry={roles.reload} />
      {manage && roles.data && (
        <RoleForm
          key={editing ? editing.role.code + (editing.copy ? '+copy' : '') : 'new'}
          all={roles.data.items}
          base={editing?.role}
          copy={editing?.copy ?? true}
          onDone={done}
          onCancel={() => setEditing(null)}
        />
      )}
      <ul class="cards">
        {roles.data?.items?.map((r: any) => (
          <li key={r.code} class="card">
            <h3>{lang === 'lo' ? r.name_lo : r.name_en}</h3>
            <p class="muted" lang="en">
              {r.code} · {r.scope}
              {r.requires_totp ? ' · TOTP' : ''}
              {r.builtin ? '' : ' · ' + t('role_custom')}
            </p>
            <p lang="en" class="small">
              {(r.permissions ?? []).map((p: any) => `${p.resource}: ${p.actions.join(', ')}`).join(' · ')}
            </p>
            {manage && (
              <p>
                {!r.builtin && (
                  <button type="button" class="link" onClick={() => setEditing({ role: r, copy: false })}>
                    {t('edit')}
                  </button>
                )}{' '}
                <button type="button" class="link" onClick={() => setEditing({ role: r, copy: true })}>
                  {t('role_copy')}
                </button>
              </p>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

// A custom role: new, copied from another (built-in roles are a good
// start), or a custom one changed. Built-in roles are read-only.
function RoleForm(props: { all: any[]; base?: any; copy: boolean; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const b = props.base;
  // Every resource and action some role names, plus the basic record actions.
  const universe = new Map<string, Set<string>>();
  for (const r of props.all)
    for (const p of r.permissions ?? []) {
      if (p.resource === '*') continue;
      const set = universe.get(p.resource) ?? new Set(p.resource === 'statistics' || p.resource === 'users' || p.resource === 'roles' || p.resource === 'audit' ? [] : BASIC_ACTIONS);
      for (const a of p.actions) set.add(a);
      universe.set(p.resource, set);
    }
  const initial = () => ({
    code: b && !props.copy ? b.code : '',
    name_lo: b ? b.name_lo : '',
    name_en: b ? (props.copy ? `${b.name_en} (copy)` : b.name_en) : '',
    scope: b?.scope ?? 'agency',
    requires_totp: !!b?.requires_totp,
    aggregate_only: !!b?.aggregate_only,
    read_groups: [...(b?.read_groups ?? ['general'])] as string[],
    write_groups: [...(b?.write_groups ?? ['general'])] as string[],
    perms: Object.fromEntries((b?.permissions ?? []).map((p: any) => [p.resource, [...p.actions]])) as Record<string, string[]>,
  });
  const [v, setV] = useState(initial);
  const toggle = (list: string[], x: string) => (list.includes(x) ? list.filter((y) => y !== x) : [...list, x]);
  const submit = () => {
    const permissions = Object.entries(v.perms)
      .filter(([, actions]) => actions.length)
      .map(([resource, actions]) => ({ resource, actions }));
    const body = {
      code: v.code,
      name_lo: v.name_lo,
      name_en: v.name_en,
      scope: v.scope,
      permissions,
      read_groups: v.read_groups,
      write_groups: v.write_groups,
      requires_totp: v.requires_totp,
      aggregate_only: v.aggregate_only,
    };
    return api('PUT', '/roles/' + encodeURIComponent(v.code || '-'), body);
  };
  const resources = [...universe.keys()].sort();
  return (
    <SubForm
      label={b && !props.copy ? `${t('edit')}: ${b.code}` : t('role_new')}
      titleId="role-form"
      shown={['code', 'name_lo', 'name_en', 'scope', 'permissions', 'read_groups', 'write_groups']}
      initiallyOpen={!!b}
      onOpen={() => setV(initial())}
      onCancel={props.onCancel}
      submit={submit}
      onDone={props.onDone}
    >
      {(errors) => (
        <>
          <TextInput label={t('code')} name="code" value={v.code} onInput={(x) => setV({ ...v, code: x.toLowerCase() })} errors={errors} hint={t('role_code_hint')} required />
          <TextInput label={t('f_name_lo')} name="name_lo" value={v.name_lo} onInput={(x) => setV({ ...v, name_lo: x })} errors={errors} required />
          <TextInput label={t('f_name_en')} name="name_en" value={v.name_en} onInput={(x) => setV({ ...v, name_en: x })} errors={errors} required />
          <Select label={t('role_scope')} name="scope" value={v.scope} options={SCOPES.map((x) => ({ value: x, label: x }))} onChange={(x) => setV({ ...v, scope: x })} errors={errors} required />
          <label class="check">
            <input type="checkbox" name="requires_totp" checked={v.requires_totp} onChange={() => setV({ ...v, requires_totp: !v.requires_totp })} /> {t('role_requires_totp')}
          </label>
          <label class="check">
            <input type="checkbox" name="aggregate_only" checked={v.aggregate_only} onChange={() => setV({ ...v, aggregate_only: !v.aggregate_only })} /> {t('role_aggregate_only')}
          </label>
          {(['read_groups', 'write_groups'] as const).map((g) => (
            <fieldset key={g} class="checks">
              <legend>{t(g === 'read_groups' ? 'role_read_groups' : 'role_write_groups')}</legend>
              {GROUPS.map((x) => (
                <label key={x} class="check" lang="en">
                  <input type="checkbox" name={`${g}.${x}`} checked={v[g].includes(x)} onChange={() => setV({ ...v, [g]: toggle(v[g], x) })} /> {x}
                </label>
              ))}
            </fieldset>
          ))}
          <table class="list perms">
            <caption>{t('role_permissions')}</caption>
            <tbody>
              {resources.map((res) => (
                <tr key={res}>
                  <th scope="row" lang="en">
                    {res}
                  </th>
                  <td>
                    {[...(universe.get(res) ?? [])].sort().map((a) => (
                      <label key={a} class="check inline" lang="en">
                        <input
                          type="checkbox"
                          name={`${res}.${a}`}
                          checked={(v.perms[res] ?? []).includes(a)}
                          onChange={() => setV({ ...v, perms: { ...v.perms, [res]: toggle(v.perms[res] ?? [], a) } })}
                        />{' '}
                        {a}
                      </label>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </SubForm>
  );
}

function Agencies() {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const orgs = useAsync(agencies, []);
  const [editing, setEditing] = useState<any>(null);
  const done = () => {
    setEditing(null);
    forgetAgencies();
    orgs.reload();
  };
  return (
    <>
      <h2>{t('admin_agencies')}</h2>
      {orgs.loading && <Loading />}
      <ErrorBox error={orgs.error} onRetry={orgs.reload} />
      {editing ? (
        <AgencyForm key={editing.id} a={editing} onDone={done} onCancel={() => setEditing(null)} />
      ) : (
        can('agencies', 'create') && <AgencyForm onDone={done} />
      )}
      <DataTable
        caption={t('admin_agencies')}
        rows={orgs.data ?? []}
        rowKey={(a) => a.id}
        columns={[
          { header: t('code'), cell: (a) => <span lang="en">{a.org_Code}</span>, sortKey: (a) => a.org_Code },
          { header: <span lang="lo">ລາວ</span>, cell: (a) => <span lang="lo">{a.org_NameLo}</span>, sortKey: (a) => a.org_NameLo },
          { header: 'English', cell: (a) => <span lang="en">{a.org_NameEn}</span>, sortKey: (a) => a.org_NameEn },
          { header: t('f_agency_type'), cell: (a) => <Code list="org_type" code={a.org_Type} /> },
          { header: t('f_agency_level'), cell: (a) => <Code list="agency_level" code={a.org_Level} /> },
          { header: t('f_parent_agency'), cell: (a) => (a.parent_id ? agencyName(orgs.data, a.parent_id, lang) : '') },
          ...(can('agencies', 'update')
            ? [
                {
                  header: t('edit'),
                  cell: (a: any) => (
                    <button type="button" class="link" onClick={() => setEditing(a)}>
                      {t('edit')}
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
    </>
  );
}

// A new agency, or corrections to one (merge patch with the version read).
function AgencyForm({ a, onDone, onCancel }: { a?: any; onDone: () => void; onCancel?: () => void }) {
  const { t, lang } = useI18n();
  const orgs = useAsync(agencies, []);
  const places = useAsync(() => listAll('/locations', {}, 2000), []);
  const fields = ['org_Code', 'org_NameLo', 'org_NameEn', 'org_Type', 'org_Level', 'location_id', 'parent_id', 'org_Phone', 'org_Email'];
  const initial = () => Object.fromEntries(fields.map((f) => [f, a?.[f] ?? ''])) as Record<string, string>;
  const [v, setV] = useState(initial);
  const submit = () => {
    if (!a) {
      const body: Record<string, string> = {};
      for (const f of fields) if (v[f].trim()) body[f] = v[f].trim();
      return post('/agencies', body);
    }
    const body: Record<string, any> = { version: a.version };
    for (const f of fields) if ((a[f] ?? '') !== v[f]) body[f] = v[f].trim() || null;
    return patch(`/agencies/${a.id}`, body);
  };
  const placeOptions = (places.data ?? [])
    .filter((l: any) => l.loc_Level !== 'village')
    .map((l: any) => ({ value: l.id, label: `${lang === 'lo' ? l.loc_NameLo : l.loc_NameEn} (${l.loc_Code})` }))
    .sort((x, y) => x.label.localeCompare(y.label, lang));
  const parentOptions = (orgs.data ?? []).filter((o) => o.id !== a?.id).map((o) => ({ value: o.id, label: agencyName(orgs.data, o.id, lang) }));
  return (
    <SubForm
      label={a ? `${t('edit')}: ${a.org_Code}` : t('add_agency')}
      titleId={a ? 'agency-edit' : 'agency-new'}
      shown={fields}
      initiallyOpen={!!a}
      onCancel={onCancel}
      onOpen={() => setV(initial())}
      submit={submit}
      onDone={onDone}
    >
      {(errors) => (
        <>
          <TextInput label={t('code')} name="org_Code" value={v.org_Code} onInput={(x) => setV({ ...v, org_Code: x.toUpperCase() })} errors={errors} required />
          <TextInput label={t('f_name_lo')} name="org_NameLo" value={v.org_NameLo} onInput={(x) => setV({ ...v, org_NameLo: x })} errors={errors} required />
          <TextInput label={t('f_name_en')} name="org_NameEn" value={v.org_NameEn} onInput={(x) => setV({ ...v, org_NameEn: x })} errors={errors} required />
          <CodeSelect label={t('f_agency_type')} name="org_Type" list="org_type" value={v.org_Type} onChange={(x) => setV({ ...v, org_Type: x })} errors={errors} required />
          <CodeSelect label={t('f_agency_level')} name="org_Level" list="agency_level" value={v.org_Level} onChange={(x) => setV({ ...v, org_Level: x })} errors={errors} required />
          <Select label={t('f_location')} name="location_id" value={v.location_id} options={placeOptions} onChange={(x) => setV({ ...v, location_id: x })} errors={errors} />
          <Select label={t('f_parent_agency')} name="parent_id" value={v.parent_id} options={parentOptions} onChange={(x) => setV({ ...v, parent_id: x })} errors={errors} />
          <TextInput label={t('f_phone')} name="org_Phone" value={v.org_Phone} onInput={(x) => setV({ ...v, org_Phone: x })} errors={errors} />
          <TextInput label={t('f_email')} name="org_Email" value={v.org_Email} onInput={(x) => setV({ ...v, org_Email: x })} errors={errors} />
        </>
      )}
    </SubForm>
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
