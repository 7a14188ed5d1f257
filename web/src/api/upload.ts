import { createSwitchboardClient } from '@switchboard/client';
import { session } from './client.ts';
import { createHttp } from './http.ts';

/** How far an upload is: bytes sent of the total. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

function headersOf(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/\r?\n/)) {
    const cut = line.indexOf(':');
    if (cut > 0) headers.append(line.slice(0, cut).trim(), line.slice(cut + 1).trim());
  }
  return headers;
}

/**
 * A fetch over XMLHttpRequest, for the one thing fetch cannot do in a browser: tell how much of a
 * request body has gone (streamed request bodies need HTTP/2, which the server does not speak). The
 * typed client takes any fetch, so uploads keep its types, its token and its error handling.
 */
export function progressFetch(onProgress: (p: UploadProgress) => void): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.blob();
    return new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      xhr.responseType = 'blob';
      for (const [name, value] of request.headers) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) =>
        onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
      xhr.onload = () =>
        resolve(
          new Response(xhr.status === 204 || xhr.status === 304 ? null : (xhr.response as Blob), {
            status: xhr.status,
            statusText: xhr.statusText,
            headers: headersOf(xhr.getAllResponseHeaders()),
          }),
        );
      xhr.onerror = () => reject(new TypeError('the upload failed on the network'));
      xhr.onabort = () => reject(request.signal.reason ?? new DOMException('aborted', 'AbortError'));
      request.signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(body);
    });
  };
}

/** The typed client for one upload: the session's token and refresh, progress reported, no early timeout. */
export function uploadClient(onProgress: (p: UploadProgress) => void) {
  return createSwitchboardClient({
    baseUrl: window.location.origin,
    fetch: createHttp({
      fetch: progressFetch(onProgress),
      timeoutMs: 10 * 60_000,
      retries: 0,
      getToken: () => session.accessToken(),
      onUnauthorized: (failed) => session.refresh(failed),
    }),
  });
}
