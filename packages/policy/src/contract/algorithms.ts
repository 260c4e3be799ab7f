/**
 * Asymmetric JWS algorithms Gatehouse accepts from an issuer (access, ID and logout tokens). `none` and the
 * HMAC algorithms never: an issuer's public key must not double as a shared secret.
 */
export const asymmetricJwsAlgorithms = /* @__PURE__ */ Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const);
