import { defineReactRemote, useApi, useCan, useIdentity, useRemoteContext } from '@gatehouse/react';
import { UnauthenticatedError } from '@gatehouse/remote';
import { keepOnExpiry, resumeStepUp, withStepUp } from '@gatehouse/remote/step-up';
import { switchTenant } from '@gatehouse/remote/tenant';
import {
  type AuditLogEntry,
  type AuditLogPage,
  ErrorView,
  formatDate,
  type Organisation,
  type OrgBilling,
  type OrgMember,
  PageHeader,
  plural,
  problemText,
  Skeleton,
  StateView,
  useApiData,
} from '@gatehouse/shop-ui';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';

const TABS = [
  ['users', 'Users'],
  ['billing', 'Billing'],
  ['audit-logs', 'Audit log'],
] as const;
type Tab = (typeof TABS)[number][0];

function Users({ tenant }: { tenant: string }): ReactNode {
  const identity = useIdentity();
  const members = useApiData<OrgMember[]>(`/api/org/${encodeURIComponent(tenant)}/users`);
  if (members.status === 'loading') return <Skeleton kind="lines" count={5} />;
  if (members.status === 'error')
    return <ErrorView error={members.error} what="organisation" retry={members.reload} />;
  return (
    <div className="card table-wrap">
      <table className="table" data-testid="org-users">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Status</th>
            <th>Joined</th>
          </tr>
        </thead>
        <tbody>
          {members.data.map((member) => (
            <tr key={member.id} data-testid="org-user">
              <td>
                <strong>{member.displayName}</strong>
              </td>
              <td>{member.email}</td>
              <td>
                <span className="chip chip--tenant">
                  {member.role === 'org_admin' ? 'Org admin' : 'Member'}
                </span>
              </td>
              <td>
                <span className={`status status--${member.status}`}>{member.status}</span>
              </td>
              <td>{formatDate(member.joinedAt, identity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the billing form sends. */
interface BillingPatch {
  readonly email: string;
  readonly plan: OrgBilling['plan'];
  readonly seats: number;
}

function Billing({ tenant }: { tenant: string }): ReactNode {
  const api = useApi();
  const identity = useIdentity();
  const canEdit = useCan('billing:edit', { tenantId: tenant });
  const billing = useApiData<OrgBilling>(`/api/org/${encodeURIComponent(tenant)}/billing`);
  const [form, setForm] = useState<{ email: string; plan: OrgBilling['plan']; seats: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const data = billing.status === 'ok' ? billing.data : null;
  const context = useRemoteContext();
  // The form a step-up interrupted: shown again instead of the saved billing.
  const [restored, setRestored] = useState(false);
  const path = `/api/org/${encodeURIComponent(tenant)}/billing`;
  useEffect(() => {
    if (data && !restored) setForm({ email: data.email, plan: data.plan, seats: String(data.seats) });
  }, [data, restored]);
  // An edit not saved yet (the form differs from the billing as loaded): what an expiry keeps for the
  // admin's next sign-in, at the BFF.
  const draft = useRef<{ patch: BillingPatch } | undefined>(undefined);
  draft.current =
    form &&
    data &&
    canEdit &&
    (form.email !== data.email || form.plan !== data.plan || form.seats !== String(data.seats))
      ? { patch: { email: form.email, plan: form.plan, seats: Number(form.seats) } }
      : undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per mount, whatever the context does after
  useEffect(() => keepOnExpiry(context, 'billing-draft', () => draft.current), []);
  // Back from the second factor: the save that asked for it runs once more, with the form as it was. Back
  // from a sign-in after an expiry: the edit as it was, to save again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per mount, whatever the context does after
  useEffect(() => {
    void resumeStepUp<OrgBilling | undefined>(context, {
      'save-billing': (body) => api.patch<OrgBilling>(path, (body as { patch: BillingPatch }).patch),
      'billing-draft': async () => undefined,
    }).then((resumed) => {
      if (!resumed) return;
      const { patch } = resumed.data as { patch: BillingPatch };
      setRestored(true);
      setForm({ email: patch.email, plan: patch.plan, seats: String(patch.seats) });
      if (resumed.action === 'billing-draft')
        return setResult({
          ok: false,
          text: 'Your session had expired: here is your change, not saved yet.',
        });
      if (resumed.result) {
        billing.set(resumed.result);
        setResult({
          ok: true,
          text: 'Billing saved after your security code. The change is in the audit log.',
        });
      } else setResult({ ok: false, text: problemText(resumed.error) });
    });
  }, []);
  if (billing.status === 'loading' || !form) return <Skeleton kind="lines" count={5} />;
  if (billing.status === 'error')
    return <ErrorView error={billing.error} what="billing" retry={billing.reload} />;
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    const patch: BillingPatch = { email: form.email.trim(), plan: form.plan, seats: Number(form.seats) };
    try {
      // A save without a recent second factor is left at the BFF while the user signs in again with it.
      const saved = await withStepUp(context, 'save-billing', { patch }, () =>
        api.patch<OrgBilling>(path, patch),
      );
      billing.set(saved);
      setResult({ ok: true, text: 'Billing saved. The change is in the audit log.' });
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) setResult({ ok: false, text: problemText(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={save} data-testid="org-billing" aria-label="Billing">
      {!canEdit && (
        <p className="alert alert--info">
          You can see the billing of {tenant}; only an org admin can change it.
        </p>
      )}
      <div className="form-grid">
        <div className="field">
          <label htmlFor="billing-plan">Plan</label>
          <select
            id="billing-plan"
            className="select"
            disabled={!canEdit}
            value={form.plan}
            onChange={(event) => setForm({ ...form, plan: event.target.value as OrgBilling['plan'] })}
          >
            <option value="starter">Starter</option>
            <option value="business">Business</option>
            <option value="enterprise">Enterprise</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="billing-seats">Seats</label>
          <input
            id="billing-seats"
            className="input"
            type="number"
            min="1"
            max="10000"
            disabled={!canEdit}
            value={form.seats}
            onChange={(event) => setForm({ ...form, seats: event.target.value })}
          />
        </div>
        <div className="field field--wide">
          <label htmlFor="billing-email">Invoices go to</label>
          <input
            id="billing-email"
            className="input"
            type="email"
            disabled={!canEdit}
            value={form.email}
            onChange={(event) => setForm({ ...form, email: event.target.value })}
          />
        </div>
      </div>
      <p className="muted section">Last changed {formatDate(billing.data.updatedAt, identity, true)}</p>
      {result && (
        <p className={result.ok ? 'alert alert--ok' : 'alert alert--error'} role="status">
          {result.text}
        </p>
      )}
      {canEdit && (
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy} data-testid="billing-save">
            {busy ? 'Saving…' : 'Save billing'}
          </button>
        </div>
      )}
    </form>
  );
}

function AuditLog({ tenant }: { tenant: string }): ReactNode {
  const api = useApi();
  const identity = useIdentity();
  const first = useApiData<AuditLogPage>(`/api/org/${encodeURIComponent(tenant)}/audit-logs?limit=25`);
  const [more, setMore] = useState<AuditLogEntry[]>([]);
  const [next, setNext] = useState<number | null | undefined>(undefined);
  if (first.status === 'loading') return <Skeleton kind="lines" count={8} />;
  if (first.status === 'error')
    return <ErrorView error={first.error} what="audit log" retry={first.reload} />;
  const cursor = next === undefined ? first.data.next : next;
  const items = [...first.data.items, ...more];
  const loadMore = async () => {
    const page = await api.get<AuditLogPage>(
      `/api/org/${encodeURIComponent(tenant)}/audit-logs?limit=25&before=${cursor}`,
    );
    setMore([...more, ...page.items]);
    setNext(page.next);
  };
  return (
    <div className="card table-wrap">
      <table className="table" data-testid="org-audit">
        <thead>
          <tr>
            <th>When</th>
            <th>Action</th>
            <th>Outcome</th>
            <th>Who</th>
            <th>Resource</th>
            <th>Request</th>
          </tr>
        </thead>
        <tbody>
          {items.map((entry) => (
            <tr key={entry.id} data-testid="audit-entry" data-action={entry.action}>
              <td>{formatDate(entry.time, identity, true)}</td>
              <td className="mono">{entry.action}</td>
              <td>
                <span className={`status status--${entry.outcome}`}>{entry.outcome}</span>
              </td>
              <td className="mono">{entry.actor?.sub ?? '—'}</td>
              <td className="mono">
                {entry.resource ? `${entry.resource.type ?? ''} ${entry.resource.id ?? ''}`.trim() : '—'}
              </td>
              <td className="mono">
                {entry.method} {entry.route} · {entry.status}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor !== null && (
        <div className="pager">
          <button type="button" className="button" onClick={loadMore}>
            Load older entries
          </button>
        </div>
      )}
    </div>
  );
}

/**
 * An organisation the user is a member of but does not work in now: the APIs act only in the active tenant
 * (its tokens are scoped to it), so the page offers the switch instead of showing the other one's data.
 */
function SwitchPrompt({ tenant, active }: { tenant: string; active: string | undefined }): ReactNode {
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const switchNow = async () => {
    setBusy(true);
    try {
      await switchTenant(tenant);
      // The shell hears the switch (push channel) and gives this page the new identity: nothing more to do.
    } catch (error) {
      setProblem(problemText(error));
      setBusy(false);
    }
  };
  return (
    <div data-testid="org-switch-prompt">
      <PageHeader title={tenant} subtitle="Organisation" />
      <StateView
        kind="no-access"
        title={`You are working in ${active ?? 'no organisation'}`}
        action={
          <button
            type="button"
            className="button button--primary"
            disabled={busy}
            onClick={switchNow}
            data-testid="org-switch-now"
          >
            {busy ? 'Switching…' : `Switch to ${tenant}`}
          </button>
        }
      >
        Switch to {tenant} to see its members, billing and audit log. No new sign-in is needed.
      </StateView>
      {problem && (
        <p className="alert alert--error" role="status">
          {problem}
        </p>
      )}
    </div>
  );
}

/**
 * An organisation (`/org/:tenant/users|billing|audit-logs`): the tenant comes from the route, the API checks
 * it against the token, which acts in the user's active tenant. When the user switches (here or in another
 * tab), the page follows to the new tenant, and what it held for the old one (a billing draft) is dropped.
 */
function Org(): ReactNode {
  const { route, navigate } = useRemoteContext();
  const identity = useIdentity();
  const tenant = route.params.tenant ?? '';
  const active = identity.isAuthenticated ? identity.user.activeTenant : undefined;
  const shown = useRef(active);
  useEffect(() => {
    // The user switched while this page showed the tenant they worked in: follow them to the new one.
    if (shown.current === tenant && active !== undefined && active !== tenant)
      navigate(`/org/${encodeURIComponent(active)}/users`);
    shown.current = active;
  }, [active, tenant, navigate]);
  if (active !== tenant && identity.isAuthenticated && identity.user.tenants.some((t) => t.id === tenant))
    return <SwitchPrompt tenant={tenant} active={active} />;
  return <OrgPage key={tenant} tenant={tenant} />;
}

/** The pages of the tenant the user works in; keyed by tenant, so nothing of another one survives a switch. */
function OrgPage({ tenant }: { tenant: string }): ReactNode {
  const { route, navigate } = useRemoteContext();
  const identity = useIdentity();
  const tab = route.path.split('/')[3] as Tab | undefined;
  const allowed: Record<Tab, boolean> = {
    users: useCan('users:view', { tenantId: tenant }),
    billing: useCan('billing:view', { tenantId: tenant }),
    'audit-logs': useCan('audit:view', { tenantId: tenant }),
  };
  const org = useApiData<Organisation>(`/api/org/${encodeURIComponent(tenant)}`);
  useEffect(() => {
    if (!tab) navigate(`/org/${encodeURIComponent(tenant)}/users`);
  }, [tab, tenant, navigate]);
  if (!tab) return <Skeleton kind="lines" />;
  const membership = identity.isAuthenticated
    ? identity.user.tenants.find((t) => t.id === tenant)
    : undefined;
  return (
    <div data-testid="org">
      <PageHeader
        title={org.status === 'ok' ? org.data.name : tenant}
        subtitle={
          org.status === 'ok'
            ? `${plural(org.data.memberCount, 'member')} · you are ${membership?.roles.join(', ') ?? 'a member'}`
            : 'Organisation'
        }
      />
      <nav className="tabs" aria-label="Organisation">
        {TABS.map(([id, label]) => (
          <a
            key={id}
            href={`/org/${encodeURIComponent(tenant)}/${id}`}
            className={
              [id === tab ? 'is-active' : '', allowed[id] ? '' : 'is-disabled'].join(' ').trim() || undefined
            }
            aria-current={id === tab ? 'page' : undefined}
            aria-disabled={!allowed[id]}
          >
            {label}
          </a>
        ))}
      </nav>
      {!allowed[tab] ? (
        <StateView kind="no-access" title="Your role in this organisation does not include this page" />
      ) : tab === 'users' ? (
        <Users tenant={tenant} />
      ) : tab === 'billing' ? (
        <Billing tenant={tenant} />
      ) : (
        <AuditLog tenant={tenant} />
      )}
    </div>
  );
}

/** The org remote (a member of the route's tenant). Its code is served only to tenant members. */
export const remote = defineReactRemote(Org);
