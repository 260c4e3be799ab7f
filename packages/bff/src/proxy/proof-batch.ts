/** One proof to sign, and what to do with the signed headers (or the error). */
interface Job {
  readonly sign: () => string[];
  readonly send: (headers: string[]) => void;
  readonly fail: (error: unknown) => void;
}

/**
 * Signs the DPoP proofs of the requests read in one turn of the event loop together, back to back, once that
 * turn's I/O callbacks are done (`setImmediate`), then sends them.
 *
 * Why: an ES256 signature costs about 27 µs when OpenSSL's code and precomputed tables are in the CPU's caches
 * and about twice that when the proxy's other work between two signatures has evicted them (measured: bench
 * `signature-cost.ts`, and 1-4 MB touched between signatures). Under load several requests arrive per turn;
 * signed together, all but the first find the caches warm. A request waits no longer than the rest of the
 * turn it was read in, which it would spend queued behind the others anyway.
 */
export class ProofBatch {
  #jobs: Job[] = [];

  add(job: Job): void {
    if (this.#jobs.push(job) === 1) setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    const jobs = this.#jobs;
    this.#jobs = [];
    const signed: (string[] | undefined)[] = new Array(jobs.length);
    for (let i = 0; i < jobs.length; i++) {
      try {
        signed[i] = (jobs[i] as Job).sign();
      } catch (error) {
        (jobs[i] as Job).fail(error);
      }
    }
    for (let i = 0; i < jobs.length; i++) {
      const headers = signed[i];
      if (headers === undefined) continue;
      // One request that cannot be sent (its pool closing) must not keep the others of the batch from theirs.
      try {
        (jobs[i] as Job).send(headers);
      } catch (error) {
        (jobs[i] as Job).fail(error);
      }
    }
  };
}
