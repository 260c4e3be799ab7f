import { useApi, useIdentity } from '@gatehouse/react';
import { ApiError } from '@gatehouse/remote';
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';

/** What {@link useApiData} holds: loading, the data, or the error the API client threw. */
export type ApiData<T> =
  | { readonly status: 'loading'; readonly data?: undefined; readonly error?: undefined }
  | { readonly status: 'ok'; readonly data: T; readonly error?: undefined }
  | { readonly status: 'error'; readonly data?: undefined; readonly error: unknown };

/**
 * `GET path` through the remote's API client, again whenever `path`, `deps` or the user change; what it
 * held is dropped at once when the user changes (sign-out, another account), so nothing of the previous
 * user stays on screen. `path` `null` asks nothing.
 *
 * @example
 * const orders = useApiData<OrderSummary[]>('/api/orders');
 */
export function useApiData<T>(
  path: string | null,
  deps: DependencyList = [],
): ApiData<T> & { reload(): void; set(data: T): void } {
  const api = useApi();
  const identity = useIdentity();
  const user = identity.isAuthenticated ? identity.user.id : '';
  const [state, setState] = useState<ApiData<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's
  useEffect(() => {
    const ticket = ++latest.current;
    if (path === null) return;
    setState({ status: 'loading' });
    api.get<T>(path).then(
      (data) => ticket === latest.current && setState({ status: 'ok', data }),
      (error: unknown) => ticket === latest.current && setState({ status: 'error', error }),
    );
  }, [api, path, user, round, ...deps]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const set = useCallback((data: T) => setState({ status: 'ok', data }), []);
  return { ...state, reload, set };
}

/** A readable message for an error the API client threw (problem+json `detail`, else a generic one). */
export function problemText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'The shop could not be reached. Check your connection and try again.';
    const detail = (error.problem as { detail?: unknown } | undefined)?.detail;
    if (typeof detail === 'string' && detail) return detail;
    return error.message || 'Something went wrong.';
  }
  return 'Something went wrong.';
}
