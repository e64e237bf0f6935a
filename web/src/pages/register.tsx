import { useEffect, useState } from 'preact/hooks';
import { ApiError, post, type FieldError } from '../api';
import { labelOf, useI18n, type Key } from '../i18n';
import { Link } from '../router';
import { clearDraft, loadDraft, saveDraft, useSession } from '../session';
import { CodeChecks, CodeSelect, Field, FormErrors, TextInput, useCodelist } from '../ui';

// Registration: person -> screening -> case -> first assistance, in one
// sitting with an interpreter. Everything typed is kept as a draft (this
// tab's sessionStorage) at every keystroke; records are created at the end
// in order, and the ids of those already created are kept so that a retry
// after a network drop or a new sign-in never creates a record twice.

interface Draft {
  step: number;
  person: Record<string, any>;
  screening: { scr_InterviewLanguage?: string; scr_InterpreterName?: string; scr_InterpreterLanguage?: string; yes: string[] };
  kase: { cas_OpenedOn: string; consent_services: boolean; consent_referral: boolean; exploitation?: string[]; imm_BorderCrossing?: string; imm_DocumentStatus?: string };
  assistance: { ast_Date: string; ast_ServiceType: string; ast_Notes: string };
  created: { person?: string; case?: string; screening?: string; consents?: boolean; immigration?: string; assistance?: string };
}

const today = () => new Date().toISOString().slice(0, 10);
const fresh = (): Draft => ({
  step: 0,
  person: { prs_FirstName: '', prs_SecondName: '', latin: '', prs_Sex: '', prs_Birthdate: '', age: '', prs_Citizenship: '', prs_PrimaryLanguage: '' },
  screening: { yes: [] },
  kase: { cas_OpenedOn: today(), consent_services: true, consent_referral: false },
  assistance: { ast_Date: today(), ast_ServiceType: '', ast_Notes: '' },
  created: {},
});

const STEPS: Key[] = ['step_person', 'step_screening', 'step_case', 'step_assistance'];
// The fields each step shows (other field errors are listed in the summary).
const SHOWN: string[][] = [
  ['prs_FirstName', 'prs_SecondName', 'prs_LatinNames', 'prs_Sex', 'prs_Birthdate', 'prs_EstimatedAge', 'prs_Citizenship', 'prs_PrimaryLanguage', 'prs_IdentityDocuments'],
  ['scr_InterviewLanguage', 'scr_InterpreterName', 'scr_InterpreterLanguage', 'scr_Indicators'],
  ['cas_OpenedOn', 'vic_TypeOfExploitation', 'imm_BorderCrossing', 'imm_DocumentStatus'],
  ['ast_Date', 'ast_ServiceType', 'ast_Notes'],
];

export function Register() {
  const { t, lang } = useI18n();
  const { session } = useSession();
  const key = 'register.' + session.user.id;
  const [d, setD] = useState<Draft>(() => loadDraft<Draft>(key) ?? fresh());
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => saveDraft(key, d), [d]);
  const indicators = useCodelist('screening_indicator');

  const set = <K extends keyof Draft>(part: K, v: Partial<Draft[K]>) => setD((x) => ({ ...x, [part]: { ...(x[part] as any), ...v } }));
  const go = (step: number) => {
    setD((x) => ({ ...x, step }));
    setTimeout(() => (document.querySelector('main h2') as HTMLElement | null)?.focus(), 0);
  };

  const personBody = () => {
    const p = d.person;
    const body: Record<string, any> = {};
    for (const k of ['prs_FirstName', 'prs_SecondName', 'prs_Sex', 'prs_Birthdate', 'prs_PrimaryLanguage']) if (p[k]) body[k] = p[k].trim?.() ?? p[k];
    const latin = String(p.latin ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (latin.length) body.prs_LatinNames = latin;
    if (p.prs_Citizenship) body.prs_Citizenship = [p.prs_Citizenship];
    if (p.doc_Type) {
      const doc: Record<string, string> = { doc_Type: p.doc_Type };
      if (p.doc_Number?.trim()) doc.doc_Number = p.doc_Number.trim();
      if (p.doc_Status) doc.doc_Status = p.doc_Status;
      body.prs_IdentityDocuments = [doc];
    }
    if (p.age !== '' && p.age != null) {
      body.prs_EstimatedAge = Number(p.age);
      body.prs_AgeEstimatedOn = today();
    }
    return body;
  };

  // Creates what is not created yet; on a field error, goes back to its step.
  const submit = async () => {
    setBusy(true);
    setErrors([]);
    setError(null);
    const created = { ...d.created };
    const keep = () => setD((x) => ({ ...x, created: { ...created } }));
    let stage = 0;
    try {
      if (!created.person) created.person = (await post('/persons', personBody())).id;
      keep();
      stage = 2;
      if (!created.case) {
        const body: Record<string, any> = { person_id: created.person, owner_agency_id: session.user.agency_id, cas_OpenedOn: d.kase.cas_OpenedOn };
        if (d.kase.exploitation?.length) body.vic_TypeOfExploitation = d.kase.exploitation;
        created.case = (await post('/cases', body)).id;
      }
      keep();
      if (!created.immigration && d.kase.imm_BorderCrossing) {
        const body: Record<string, any> = { case_id: created.case, imm_BorderCrossing: d.kase.imm_BorderCrossing };
        if (d.kase.imm_DocumentStatus) body.imm_DocumentStatus = d.kase.imm_DocumentStatus;
        created.immigration = (await post('/immigration-statuses', body)).id;
        keep();
      }
      if (!created.consents) {
        if (d.kase.consent_services) await post('/consents', { case_id: created.case, cns_Purpose: 'Services', cns_Status: 'Given' });
        if (d.kase.consent_referral) await post('/consents', { case_id: created.case, cns_Purpose: 'Referral', cns_Status: 'Given' });
        created.consents = true;
        keep();
      }
      stage = 1;
      if (!created.screening) {
        const s = d.screening;
        const body: Record<string, any> = { case_id: created.case };
        if (s.scr_InterviewLanguage) body.scr_InterviewLanguage = s.scr_InterviewLanguage;
        if (s.scr_InterpreterName) body.scr_InterpreterName = s.scr_InterpreterName;
        if (s.scr_InterpreterLanguage) body.scr_InterpreterLanguage = s.scr_InterpreterLanguage;
        if (s.yes.length) body.scr_Indicators = s.yes.map((c) => ({ ind_Code: c, ind_Answer: 'Yes' }));
        created.screening = (await post('/screenings', body)).id;
        keep();
      }
      stage = 3;
      if (!created.assistance && d.assistance.ast_ServiceType) {
        const a = d.assistance;
        const body: Record<string, any> = { case_id: created.case, agency_id: session.user.agency_id, ast_Date: a.ast_Date, ast_ServiceType: a.ast_ServiceType };
        if (a.ast_Notes) body.ast_Notes = a.ast_Notes;
        created.assistance = (await post('/assistance', body)).id;
        keep();
      }
      clearDraft(key);
      setDone(created.case!);
      setD(fresh());
    } catch (err) {
      const e2 = err as ApiError;
      setError(e2);
      setErrors(e2.fields);
      if (e2.status === 400 || e2.status === 403) go(stage);
    } finally {
      setBusy(false);
    }
  };

  if (done)
    return (
      <section>
        <h1 tabIndex={-1}>{t('nav_register')}</h1>
        <p role="status" class="ok">
          {t('registered')}
        </p>
        <p>
          <Link href={`/cases/${done}`}>{t('open_case')}</Link>
        </p>
        <button type="button" class="secondary" onClick={() => setDone(null)}>
          {t('register_another')}
        </button>
      </section>
    );

  const p = d.person;
  return (
    <section>
      <h1 tabIndex={-1}>{t('nav_register')}</h1>
      <ol class="steps" aria-label={t('steps')}>
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === d.step ? 'step' : undefined} class={i === d.step ? 'current' : i < d.step ? 'done' : ''}>
            <button type="button" class="link" onClick={() => go(i)}>
              {i + 1}. {t(s)}
            </button>
          </li>
        ))}
      </ol>
      <p class="muted">{t('draft_kept')}</p>
      <form
        class="card wizard"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (d.step < STEPS.length - 1) go(d.step + 1);
          else submit();
        }}
      >
        <h2 tabIndex={-1}>{t(STEPS[d.step])}</h2>
        {((d.step === 0 && d.created.person) || (d.step === 1 && d.created.screening) || (d.step === 2 && d.created.case) || (d.step === 3 && d.created.assistance)) && (
          <p class="muted" role="note">
            {t('already_saved')}
          </p>
        )}
        {d.step === 0 && (
          <>
            <TextInput label={t('f_first_name')} name="prs_FirstName" value={p.prs_FirstName} onInput={(v) => set('person', { prs_FirstName: v })} errors={errors} hint={t('hint_as_written')} />
            <TextInput label={t('f_second_name')} name="prs_SecondName" value={p.prs_SecondName} onInput={(v) => set('person', { prs_SecondName: v })} errors={errors} />
            <TextInput label={t('f_latin_names')} name="prs_LatinNames" value={p.latin} onInput={(v) => set('person', { latin: v })} errors={errors} hint={t('hint_latin')} />
            <CodeSelect label={t('f_sex')} name="prs_Sex" list="sex" value={p.prs_Sex} onChange={(v) => set('person', { prs_Sex: v })} errors={errors} />
            <TextInput label={t('f_birthdate')} name="prs_Birthdate" type="date" value={p.prs_Birthdate} onInput={(v) => set('person', { prs_Birthdate: v })} errors={errors} />
            <TextInput label={t('f_estimated_age')} name="prs_EstimatedAge" type="number" inputMode="numeric" value={p.age} onInput={(v) => set('person', { age: v })} errors={errors} />
            <CodeSelect label={t('f_citizenship')} name="prs_Citizenship" list="country" value={p.prs_Citizenship} onChange={(v) => set('person', { prs_Citizenship: v })} errors={errors} sort />
            <CodeSelect label={t('f_language')} name="prs_PrimaryLanguage" list="language" value={p.prs_PrimaryLanguage} onChange={(v) => set('person', { prs_PrimaryLanguage: v })} errors={errors} sort />
            <fieldset>
              <legend>{t('f_document')}</legend>
              <CodeSelect label={t('f_document_type')} name="prs_IdentityDocuments[0].doc_Type" list="identity_document_type" value={p.doc_Type} onChange={(v) => set('person', { doc_Type: v })} errors={errors} />
              <TextInput label={t('f_document_number')} name="prs_IdentityDocuments[0].doc_Number" value={p.doc_Number} onInput={(v) => set('person', { doc_Number: v })} errors={errors} />
              <CodeSelect label={t('f_document_status')} name="prs_IdentityDocuments[0].doc_Status" list="identity_document_status" value={p.doc_Status} onChange={(v) => set('person', { doc_Status: v })} errors={errors} />
            </fieldset>
          </>
        )}
        {d.step === 1 && (
          <>
            <CodeSelect label={t('f_interview_language')} name="scr_InterviewLanguage" list="language" value={d.screening.scr_InterviewLanguage} onChange={(v) => set('screening', { scr_InterviewLanguage: v })} errors={errors} sort />
            <TextInput label={t('f_interpreter')} name="scr_InterpreterName" value={d.screening.scr_InterpreterName} onInput={(v) => set('screening', { scr_InterpreterName: v })} errors={errors} />
            <CodeSelect label={t('f_interpreter_language')} name="scr_InterpreterLanguage" list="language" value={d.screening.scr_InterpreterLanguage} onChange={(v) => set('screening', { scr_InterpreterLanguage: v })} errors={errors} sort />
            <Field label={t('f_indicators')} name="scr_Indicators" errors={errors} hint={t('hint_indicators')}>
              {(id, described) => (
                <div class="checks indicators" id={id} role="group" aria-describedby={described}>
                  {indicators?.map((i) => (
                    <label key={i.code} class="check">
                      <input
                        type="checkbox"
                        name="indicator"
                        value={i.code}
                        checked={d.screening.yes.includes(i.code)}
                        onChange={(e) => {
                          const on = (e.target as HTMLInputElement).checked;
                          set('screening', { yes: on ? [...d.screening.yes, i.code] : d.screening.yes.filter((x) => x !== i.code) });
                        }}
                      />{' '}
                      {labelOf(indicators, i.code, lang)}
                    </label>
                  ))}
                </div>
              )}
            </Field>
          </>
        )}
        {d.step === 2 && (
          <>
            <TextInput label={t('opened_on')} name="cas_OpenedOn" type="date" value={d.kase.cas_OpenedOn} onInput={(v) => set('kase', { cas_OpenedOn: v })} errors={errors} />
            <CodeChecks label={t('f_exploitation')} name="vic_TypeOfExploitation" list="exploitation_type" value={d.kase.exploitation ?? []} onChange={(v) => set('kase', { exploitation: v })} errors={errors} />
            <CodeSelect label={t('f_border_crossing_how')} name="imm_BorderCrossing" list="border_crossing" value={d.kase.imm_BorderCrossing} onChange={(v) => set('kase', { imm_BorderCrossing: v })} errors={errors} />
            <CodeSelect label={t('f_documents')} name="imm_DocumentStatus" list="immigration_document_status" value={d.kase.imm_DocumentStatus} onChange={(v) => set('kase', { imm_DocumentStatus: v })} errors={errors} />
            <fieldset>
              <legend>{t('consents')}</legend>
              <label class="check">
                <input type="checkbox" name="consent_services" checked={d.kase.consent_services} onChange={(e) => set('kase', { consent_services: (e.target as HTMLInputElement).checked })} />{' '}
                {t('consent_services_given')}
              </label>
              <label class="check">
                <input type="checkbox" name="consent_referral" checked={d.kase.consent_referral} onChange={(e) => set('kase', { consent_referral: (e.target as HTMLInputElement).checked })} />{' '}
                {t('consent_referral_given')}
              </label>
            </fieldset>
          </>
        )}
        {d.step === 3 && (
          <>
            <TextInput label={t('f_date')} name="ast_Date" type="date" value={d.assistance.ast_Date} onInput={(v) => set('assistance', { ast_Date: v })} errors={errors} />
            <CodeSelect label={t('f_service')} name="ast_ServiceType" list="service_type" value={d.assistance.ast_ServiceType} onChange={(v) => set('assistance', { ast_ServiceType: v })} errors={errors} />
            <TextInput label={t('f_notes')} name="ast_Notes" value={d.assistance.ast_Notes} onInput={(v) => set('assistance', { ast_Notes: v })} errors={errors} multiline />
          </>
        )}
        <FormErrors error={error} shown={SHOWN[d.step]} onRetry={error?.offline ? submit : undefined} />
        <div class="actions">
          {d.step > 0 && (
            <button type="button" class="secondary" onClick={() => go(d.step - 1)}>
              {t('back')}
            </button>
          )}
          <button type="submit" disabled={busy}>
            {d.step < STEPS.length - 1 ? t('next') : t('save_registration')}
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              if (confirm(t('discard_confirm'))) {
                clearDraft(key);
                setD(fresh());
                setErrors([]);
                setError(null);
              }
            }}
          >
            {t('discard')}
          </button>
        </div>
      </form>
    </section>
  );
}
