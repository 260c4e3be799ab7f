import type { ReactNode } from 'react';
import type { Address } from './types.js';

/** A blank Indian delivery address. */
export const EMPTY_ADDRESS: Address = {
  name: '',
  line1: '',
  line2: '',
  city: '',
  state: '',
  postalCode: '',
  country: 'IN',
  phone: '',
};

/** The same rules the checkout API applies to a delivery address; the API decides, this only guides. */
export function addressProblems(address: Address): Partial<Record<keyof Address, string>> {
  const problems: Partial<Record<keyof Address, string>> = {};
  if (!address.name.trim()) problems.name = 'Who receives the parcel?';
  if (!address.line1.trim()) problems.line1 = 'House number and street';
  if (!address.city.trim()) problems.city = 'City';
  if (address.state.trim().length < 2) problems.state = 'State';
  if (!/^[1-9][0-9]{5}$/.test(address.postalCode)) problems.postalCode = 'A six-digit PIN code';
  if (!/^(\+91[ -]?)?[6-9][0-9]{4}[ -]?[0-9]{5}$/.test(address.phone))
    problems.phone = 'A 10-digit mobile number';
  return problems;
}

/** The delivery address fields, with the API's rules shown once `showProblems` is set. */
export function AddressForm({
  address,
  onChange,
  showProblems,
}: {
  address: Address;
  onChange(address: Address): void;
  showProblems: boolean;
}): ReactNode {
  const problems = addressProblems(address);
  const field = (key: keyof Address, label: string, props: Record<string, unknown> = {}) => (
    <div className={`field${key === 'line1' || key === 'line2' ? ' field--wide' : ''}`}>
      <label htmlFor={`address-${key}`}>{label}</label>
      <input
        id={`address-${key}`}
        name={key}
        className="input"
        value={address[key] ?? ''}
        aria-invalid={showProblems && Boolean(problems[key])}
        onChange={(event) => onChange({ ...address, [key]: event.target.value })}
        {...props}
      />
      {showProblems && problems[key] && <span className="note note--error">{problems[key]}</span>}
    </div>
  );
  return (
    <div className="form-grid">
      {field('name', 'Full name', { autoComplete: 'name' })}
      {field('phone', 'Mobile number', { autoComplete: 'tel', inputMode: 'tel', placeholder: '98450 12345' })}
      {field('line1', 'Address', { autoComplete: 'address-line1', placeholder: 'House number, street' })}
      {field('line2', 'Area, landmark (optional)', { autoComplete: 'address-line2' })}
      {field('city', 'City', { autoComplete: 'address-level2' })}
      {field('state', 'State', { autoComplete: 'address-level1' })}
      {field('postalCode', 'PIN code', { autoComplete: 'postal-code', inputMode: 'numeric', maxLength: 6 })}
      <div className="field">
        <span className="field__label">Country</span>
        <input className="input" value="India" readOnly aria-label="Country" />
      </div>
    </div>
  );
}
