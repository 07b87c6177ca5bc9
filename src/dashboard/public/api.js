/* global document, window -- a browser module (eslint.config.js sets Node's globals only) */
// Herald's public report API, called from this origin only, with the key the user pasted.

/** An answer other than 2xx, carrying the API's own error code and message (API §2). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * GET `path` (relative, e.g. `v1/reports/summary`) with `params` as the query string.
 * Relative to the page's URL, so a proxy that mounts Herald under a prefix keeps working; never another origin.
 */
export async function getReport(path, params, key, signal) {
  const url = new URL(path, document.baseURI);
  if (url.origin !== window.location.origin) throw new Error(`refusing to send the key to ${url.origin}`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  let response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', `Herald could not be reached (${error.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a proxy's error page; described by the status below.
  }
  if (!response.ok) {
    const error = body && typeof body === 'object' ? body.error : null;
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? `${response.status} ${response.statusText}`.trim(),
    );
  }
  if (!body || !Array.isArray(body.rows)) throw new ApiError(response.status, 'BAD_ANSWER', `${path} sent no rows`);
  return body.rows;
}
