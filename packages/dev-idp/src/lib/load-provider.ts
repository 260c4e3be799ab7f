type OidcProviderModule = typeof import('oidc-provider');

let loading: Promise<OidcProviderModule> | undefined;

const UNSUPPORTED_RUNTIME = 'oidc-provider WARNING: Unsupported runtime';

/**
 * Imports oidc-provider once. On Node.js 20 its entry module prints "Unsupported runtime" at import time
 * (it asks for Node.js 22 LTS); Gatehouse targets Node.js 20.19+, and this package's tests run the provider on
 * it, so that single line is dropped to keep tests and `npm start` quiet. Every other console output passes.
 */
export function loadOidcProvider(): Promise<OidcProviderModule> {
  loading ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes(UNSUPPORTED_RUNTIME)) return;
      warn.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return loading;
}
