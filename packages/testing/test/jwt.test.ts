import { randomBytes } from 'node:crypto';
import { CompactEncrypt, generateSecret, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { findJwts } from '../src/jwt.js';

describe('findJwts', () => {
  it('finds a signed and an encrypted JWT anywhere in a text, and a token cut after its header', async () => {
    const key = await generateSecret('HS256');
    const jws = await new SignJWT({ sub: 'user_1' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(randomBytes(32));
    const header = jws.slice(0, jws.indexOf('.') + 1);
    expect(findJwts(`{"a":"${jws}","b":"Bearer ${jwe}"} ${header}`)).toEqual([jws, jwe, header]);
  });

  it('does not take a random value holding eyJ and a dot (a signed cookie) for a JWT', () => {
    expect(findJwts('__Host-Http-gatehouse-login=q8eyJ4kTmR2wzA91bXc.Zx1aQ9Lm0pP')).toEqual([]);
    expect(findJwts('eyJhbGciOiJub25lIn0 has no dot, eyJ. has no body')).toEqual([]);
  });
});
