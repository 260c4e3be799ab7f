import { defineReactRemote, useApi, useCan, useIdentity } from '@gatehouse/react';
import { UnauthenticatedError } from '@gatehouse/remote';
import { endOtherSessions, endSession, listSessions, type SessionSummary } from '@gatehouse/remote/sessions';
import {
  type Address,
  AddressForm,
  addressProblems,
  EMPTY_ADDRESS,
  ErrorView,
  formatDate,
  formatMoney,
  Icon,
  PageHeader,
  type Profile,
  problemText,
  Skeleton,
  StateView,
  useApiData,
  type WishlistItem,
} from '@gatehouse/shop-ui';
import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react';

const LOCALES = [
  ['en-IN', 'English (India)'],
  ['hi-IN', 'हिन्दी (भारत)'],
  ['en-US', 'English (United States)'],
  ['en-GB', 'English (United Kingdom)'],
  ['de-DE', 'Deutsch'],
  ['fr-FR', 'Français'],
  ['ja-JP', '日本語'],
] as const;
const CURRENCIES = ['INR', 'USD', 'GBP', 'EUR', 'JPY'] as const;

function ProfileView({ profile }: { profile: Profile }): ReactNode {
  const identity = useIdentity();
  const a = profile.defaultAddress;
  return (
    <div className="summary" data-testid="profile-view">
      <dl>
        <dt>Name</dt>
        <dd data-testid="profile-name">{profile.displayName}</dd>
        <dt>Email</dt>
        <dd>{profile.email}</dd>
        <dt>Mobile</dt>
        <dd>{profile.phone || '—'}</dd>
        <dt>Language</dt>
        <dd>{LOCALES.find(([id]) => id === profile.locale)?.[1] ?? profile.locale}</dd>
        <dt>Currency</dt>
        <dd>{profile.currency}</dd>
        <dt>Offers by email</dt>
        <dd>{profile.marketingOptIn ? 'Yes' : 'No'}</dd>
        <dt>Delivery address</dt>
        <dd>{a ? `${a.line1}, ${a.city} ${a.postalCode}` : '—'}</dd>
        {profile.updatedAt && (
          <>
            <dt>Last changed</dt>
            <dd>{formatDate(profile.updatedAt, identity, true)}</dd>
          </>
        )}
      </dl>
    </div>
  );
}

function ProfileForm({ profile, onSaved }: { profile: Profile; onSaved(profile: Profile): void }): ReactNode {
  const api = useApi();
  const [form, setForm] = useState({
    displayName: profile.displayName,
    phone: profile.phone,
    locale: profile.locale,
    currency: profile.currency,
    marketingOptIn: profile.marketingOptIn,
  });
  const [withAddress, setWithAddress] = useState(profile.defaultAddress !== null);
  const [address, setAddress] = useState<Address>({ ...EMPTY_ADDRESS, ...profile.defaultAddress });
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (withAddress && Object.keys(addressProblems(address)).length) return;
    setBusy(true);
    setResult(null);
    try {
      const line2 = address.line2?.trim();
      const saved = await api.patch<Profile>('/api/profile', {
        displayName: form.displayName.trim(),
        phone: form.phone.trim(),
        locale: form.locale,
        currency: form.currency,
        marketingOptIn: form.marketingOptIn,
        defaultAddress: withAddress ? { ...address, line2: line2 || undefined } : null,
      });
      onSaved(saved);
      setResult({ ok: true, text: 'Your profile is saved.' });
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) setResult({ ok: false, text: problemText(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={save} aria-label="Edit your profile" data-testid="profile-form">
      <div className="form-grid">
        <div className="field">
          <label htmlFor="profile-name">Name</label>
          <input
            id="profile-name"
            className="input"
            required
            maxLength={80}
            value={form.displayName}
            onChange={(event) => setForm({ ...form, displayName: event.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="profile-email">Email</label>
          <input id="profile-email" className="input" value={profile.email} readOnly aria-readonly="true" />
          <span className="field__hint">Managed by your sign-in account.</span>
        </div>
        <div className="field">
          <label htmlFor="profile-phone">Mobile number</label>
          <input
            id="profile-phone"
            className="input"
            inputMode="tel"
            value={form.phone}
            onChange={(event) => setForm({ ...form, phone: event.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="profile-locale">Language</label>
          <select
            id="profile-locale"
            className="select"
            value={form.locale}
            onChange={(event) => setForm({ ...form, locale: event.target.value })}
          >
            {LOCALES.map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="profile-currency">Preferred currency</label>
          <select
            id="profile-currency"
            className="select"
            value={form.currency}
            onChange={(event) => setForm({ ...form, currency: event.target.value })}
          >
            {CURRENCIES.map((currency) => (
              <option key={currency}>{currency}</option>
            ))}
          </select>
        </div>
        <label className="checkbox field--wide">
          <input
            type="checkbox"
            checked={form.marketingOptIn}
            onChange={(event) => setForm({ ...form, marketingOptIn: event.target.checked })}
          />
          Send me offers and new arrivals by email
        </label>
      </div>
      <h2 className="card__title section">Default delivery address</h2>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={withAddress}
          onChange={(event) => setWithAddress(event.target.checked)}
        />
        Save an address for checkout
      </label>
      {withAddress && (
        <div className="section">
          <AddressForm address={address} onChange={setAddress} showProblems={touched} />
        </div>
      )}
      {result && (
        <p className={result.ok ? 'alert alert--ok section' : 'alert alert--error section'} role="status">
          {result.text}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={busy} data-testid="profile-save">
          {busy ? 'Saving…' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}

function Wishlist(): ReactNode {
  const api = useApi();
  const identity = useIdentity();
  const wishlist = useApiData<WishlistItem[]>('/api/profile/wishlist');
  const remove = async (productId: string) => {
    try {
      wishlist.set(
        await api.delete<WishlistItem[]>(`/api/profile/wishlist/${encodeURIComponent(productId)}`),
      );
    } catch {
      wishlist.reload();
    }
  };
  return (
    <section className="card" aria-labelledby="wishlist-title" data-testid="wishlist">
      <h2 className="card__title" id="wishlist-title">
        <Icon name="heart" /> Your wishlist
      </h2>
      {wishlist.status === 'loading' && <Skeleton kind="lines" count={3} />}
      {wishlist.status === 'error' && (
        <ErrorView error={wishlist.error} what="wishlist" retry={wishlist.reload} />
      )}
      {wishlist.status === 'ok' && !wishlist.data.length && (
        <p className="muted">Nothing saved yet. Use “Add to wishlist” on a product page.</p>
      )}
      {wishlist.status === 'ok' && wishlist.data.length > 0 && (
        <div className="cart-lines">
          {wishlist.data.map((item) => (
            <div className="cart-line" key={item.productId}>
              {item.product ? <img src={item.product.image} alt="" width="96" height="72" /> : <span />}
              <div>
                <a className="cart-line__name" href={`/product/${encodeURIComponent(item.productId)}`}>
                  {item.product?.name ?? 'No longer sold'}
                </a>
                <div className="muted">Saved {formatDate(item.addedAt, identity)}</div>
              </div>
              <div className="cart-line__total">
                {item.product &&
                  formatMoney(item.product.memberPriceMinor ?? item.product.priceMinor, identity)}
                <div>
                  <button type="button" className="link-button" onClick={() => remove(item.productId)}>
                    Remove
                  </button>
                </div>
              </div>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

/** The user's sessions (this browser's marked), each of which they can end, or every other one at once. */
function Sessions(): ReactNode {
  const identity = useIdentity();
  const [sessions, setSessions] = useState<readonly SessionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    listSessions().then(setSessions, (caught: unknown) => setError(problemText(caught)));
  }, []);
  useEffect(load, [load]);
  const act = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(problemText(caught));
    }
    load();
  };
  const others = sessions?.filter((session) => !session.current).length ?? 0;
  return (
    <section className="card" aria-labelledby="sessions-title" data-testid="sessions">
      <h2 className="card__title" id="sessions-title">
        Where you are signed in
      </h2>
      {error && (
        <p className="alert alert--error" role="alert">
          {error}
        </p>
      )}
      {!sessions && !error && <Skeleton kind="lines" count={2} />}
      {sessions && (
        <ul className="checks">
          {sessions.map((session) => (
            <li key={session.handle} data-testid="session-row" data-current={session.current}>
              <span>
                <strong>{session.device}</strong>
                {session.current && ' · this browser'}
                <span className="muted">
                  {' '}
                  · signed in {formatDate(session.createdAt, identity, true)} · last seen{' '}
                  {formatDate(session.lastSeenAt, identity, true)}
                </span>
              </span>{' '}
              {!session.current && (
                <button
                  type="button"
                  className="link-button"
                  onClick={() => act(() => endSession(session.handle))}
                >
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {others > 0 && (
        <button
          type="button"
          className="button"
          onClick={() => act(endOtherSessions)}
          data-testid="sign-out-others"
        >
          Sign out everywhere else
        </button>
      )}
    </section>
  );
}

/** The profile: shown to every signed-in user, editable only with `profile:edit` (the API checks it too). */
function ProfilePage(): ReactNode {
  const identity = useIdentity();
  const canEdit = useCan('profile:edit');
  const profile = useApiData<Profile>('/api/profile');
  if (profile.status === 'loading') return <Skeleton kind="lines" count={8} />;
  if (profile.status === 'error')
    return <ErrorView error={profile.error} what="profile" retry={profile.reload} />;
  if (!identity.isAuthenticated) return <StateView kind="sign-in" title="Please sign in" />;
  return (
    <div data-testid="profile">
      <PageHeader title="Your profile" subtitle={`Signed in as ${identity.user.displayName}`} />
      <div className="two-col">
        <div>
          <section className="card">
            {canEdit ? (
              <ProfileForm profile={profile.data} onSaved={(saved) => profile.set(saved)} />
            ) : (
              <>
                <p className="alert alert--info readonly-banner" data-testid="profile-readonly">
                  <Icon name="lock" /> Your role can see this profile but not change it.
                </p>
                <ProfileView profile={profile.data} />
              </>
            )}
          </section>
          <Wishlist />
          <Sessions />
        </div>
        <aside className="card">
          <h2 className="card__title">Your account</h2>
          <p>
            <strong>{identity.user.displayName}</strong>
          </p>
          <div className="chips">
            {identity.user.roles.map((role) => (
              <span className="chip" key={role}>
                {role}
              </span>
            ))}
          </div>
          <p className="muted section">
            Prices show in your language’s format. Sign-in details are managed by the identity provider; this
            shop never sees your password or any token.
          </p>
          <p>
            <a href="/orders">Your orders →</a>
          </p>
        </aside>
      </div>
    </div>
  );
}

/** The profile remote. */
export const remote = defineReactRemote(ProfilePage);
