import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, post, type FieldError, type Session } from '../api';
import { useI18n } from '../i18n';
import { TextInput } from '../ui';
import { LanguageSwitch } from '../app';

export function SignIn(props: { onDone: (s: Session) => void; again?: boolean; username?: string }) {
  const { t } = useI18n();
  const [username, setUsername] = useState(props.username ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMessage('');
    setErrors([]);
    try {
      const body: Record<string, string> = { username, password };
      if (needCode) body.totp_code = code.replace(/\s/g, '');
      const s = await api<Session>('POST', '/session', body, { quiet401: true, retries: 1 });
      setPassword('');
      props.onDone(s);
    } catch (err) {
      const e2 = err as ApiError;
      const totp = e2.fields.find((f) => f.path === 'totp_code');
      if (e2.status === 401 && totp?.rule === 'required') {
        setNeedCode(true);
      } else if (e2.status === 401 && totp) {
        setErrors([{ path: 'totp_code', rule: 'totp_invalid', message: totp.message }]);
      } else if (e2.status === 401) {
        setMessage(t('signin_failed'));
      } else {
        setMessage(e2.status === 0 ? t('err_network') : e2.message);
      }
    } finally {
      setBusy(false);
    }
  };

  // In the dialog over the page, the password field takes the focus.
  useEffect(() => {
    if (props.again) (document.querySelector('.overlay input[name=password]') as HTMLInputElement | null)?.focus();
  }, []);
  const Heading = props.again ? 'h2' : 'h1';
  const Wrapper = props.again ? 'div' : 'main';
  return (
    <Wrapper class={props.again ? '' : 'signin-page'}>
      {!props.again && (
        <header class="signin-head">
          <span class="brand">ctims</span>
          <LanguageSwitch />
        </header>
      )}
      <form class="card signin" onSubmit={submit} noValidate>
        <Heading id={props.again ? 'reauth-title' : undefined} tabIndex={-1}>
          {props.again ? t('session_expired') : t('sign_in_title')}
        </Heading>
        {props.again && <p>{t('session_expired_help')}</p>}
        {!props.again && <p class="muted">{t('app_name')}</p>}
        <TextInput label={t('username')} name="username" value={username} onInput={setUsername} autoComplete="username" required />
        <TextInput
          label={t('password')}
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          autoComplete="current-password"
          required
        />
        {needCode && (
          <TextInput
            label={t('totp_code')}
            name="totp_code"
            value={code}
            onInput={setCode}
            errors={errors}
            hint={t('totp_hint')}
            autoComplete="one-time-code"
            inputMode="numeric"
            required
          />
        )}
        {message && (
          <p class="error" role="alert">
            {message}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('sign_in')}
        </button>
      </form>
    </Wrapper>
  );
}

export function TotpEnrolment(props: { onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [secret, setSecret] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [message, setMessage] = useState('');
  const begin = async () => {
    setMessage('');
    try {
      setSecret(await post('/session/totp', {}));
    } catch (e) {
      setMessage((e as ApiError).message);
    }
  };
  const confirm = async (e: Event) => {
    e.preventDefault();
    setErrors([]);
    try {
      await post('/session/totp/confirm', { code: code.replace(/\s/g, '') });
      props.onDone();
    } catch (err) {
      const e2 = err as ApiError;
      setErrors(e2.fields.length ? e2.fields.map((f) => ({ ...f, path: 'code' })) : [{ path: 'code', rule: 'totp_invalid', message: e2.message }]);
    }
  };
  return (
    <main class="signin-page">
      <form class="card signin" onSubmit={confirm} noValidate>
        <h1 tabIndex={-1}>{t('totp_enrol_title')}</h1>
        <p>{t('totp_enrol_help')}</p>
        {!secret ? (
          <button type="button" onClick={begin}>
            {t('totp_enrol_start')}
          </button>
        ) : (
          <>
            <p>{t('totp_enrol_scan')}</p>
            <TotpQr uri={secret.otpauth_uri} label={t('totp_enrol_scan')} />
            <p>{t('totp_enrol_secret')}</p>
            <p class="secret" lang="en">
              <code>{secret.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
            </p>
            <TextInput label={t('totp_code')} name="code" value={code} onInput={setCode} errors={errors} inputMode="numeric" autoComplete="one-time-code" required />
            <button type="submit">{t('totp_enrol_confirm')}</button>
          </>
        )}
        {message && (
          <p class="error" role="alert">
            {message}
          </p>
        )}
        <button type="button" class="secondary" onClick={props.onCancel}>
          {t('sign_out')}
        </button>
      </form>
    </main>
  );
}

// The otpauth:// URI as a QR code for the authenticator app, drawn as SVG
// rectangles (no markup strings, nothing the CSP would have to allow). The
// encoder is loaded only here, at enrolment.
function TotpQr({ uri, label }: { uri: string; label: string }) {
  const [cells, setCells] = useState<boolean[][] | null>(null);
  useEffect(() => {
    let live = true;
    import('qrcode-generator').then(({ default: qrcode }) => {
      const qr = qrcode(0, 'M');
      qr.addData(uri);
      qr.make();
      const n = qr.getModuleCount();
      const rows = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
      if (live) setCells(rows);
    });
    return () => {
      live = false;
    };
  }, [uri]);
  if (!cells) return null;
  const n = cells.length;
  const path = cells.map((row, r) => row.map((dark, c) => (dark ? `M${c + 4} ${r + 4}h1v1h-1z` : '')).join('')).join('');
  return (
    <svg class="totp-qr" viewBox={`0 0 ${n + 8} ${n + 8}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={n + 8} height={n + 8} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
