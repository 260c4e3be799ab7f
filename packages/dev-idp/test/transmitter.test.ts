import { ssfEventTypes } from '@gatehouse/policy';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevIdp, type DevIdp } from '../src/index.js';

describe('the Shared Signals transmitter', () => {
  let idp: DevIdp;
  beforeAll(async () => {
    idp = await createDevIdp({ port: 0 });
  });
  afterAll(() => idp.close());

  it('publishes its SSF configuration and signs SETs a receiver verifies with its published keys, after a rotation too', async () => {
    const configuration = (await (await fetch(`${idp.issuer}/.well-known/ssf-configuration`)).json()) as {
      jwks_uri: string;
    };
    expect(configuration).toEqual({
      spec_version: '1_0',
      issuer: idp.issuer,
      jwks_uri: `${idp.issuer}/jwks`,
      delivery_methods_supported: ['urn:ietf:rfc:8935'],
      default_subjects: 'NONE',
    });
    const event = {
      type: ssfEventTypes.credentialChange,
      subject: idp.transmitter.subject('user_alice', 'sid-1'),
      members: { change_type: 'update', credential_type: 'password' },
    };
    for (const round of [1, 2]) {
      if (round === 2) await idp.rotateSigningKeys();
      // A receiver that fetches the keys now (jose waits 30 s before it fetches again for an unknown kid).
      const keys = createRemoteJWKSet(new URL(configuration.jwks_uri));
      const set = await idp.transmitter.sign({ audience: 'gatehouse-bff' }, event);
      const { payload, protectedHeader } = await jwtVerify(set, keys, {
        issuer: idp.issuer,
        audience: 'gatehouse-bff',
        typ: 'secevent+jwt',
      });
      expect(protectedHeader.alg).toBe('RS256');
      expect(payload.sub_id).toEqual({
        format: 'complex',
        user: { format: 'iss_sub', iss: idp.issuer, sub: 'user_alice' },
        session: { format: 'opaque', id: 'sid-1' },
      });
      expect(payload.events).toEqual({
        [ssfEventTypes.credentialChange]: {
          event_timestamp: expect.any(Number),
          change_type: 'update',
          credential_type: 'password',
        },
      });
      expect(typeof payload.jti).toBe('string');
    }
    expect(idp.transmitter.subject('user_bob')).toEqual({
      format: 'iss_sub',
      iss: idp.issuer,
      sub: 'user_bob',
    });
  });
});
