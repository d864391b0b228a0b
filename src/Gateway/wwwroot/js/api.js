// Calls to this server's API with the key kept in the browser's local storage.

const keyItem = 'gateway.apiKey';

export const apiKey = {
  get: () => localStorage.getItem(keyItem) ?? '',
  set: (key) => key ? localStorage.setItem(keyItem, key) : localStorage.removeItem(keyItem),
};

/** A non-2xx answer, with the message of the server's error envelope. */
export class ApiError extends Error {
  constructor(status, message, param) {
    super(message);
    this.status = status;
    this.param = param;
  }
}

function headers(extra) {
  const result = new Headers(extra);
  const key = apiKey.get();
  if (key) result.set('Authorization', `Bearer ${key}`);
  return result;
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  let param = null;
  try {
    const body = await response.json();
    if (body?.error?.message) ({ message, param } = body.error);
  } catch { /* not the error envelope */ }
  return new ApiError(response.status, message, param);
}

/** fetch() with the key; throws ApiError for an error answer, returns the parsed JSON otherwise. */
export async function request(path, { method = 'GET', json, form, headers: extra, signal } = {}) {
  const init = { method, headers: headers(extra), signal };
  if (json !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

/**
 * Server-Sent Events over fetch() (EventSource cannot send the Authorization header): yields {id, event, data}
 * with data parsed as JSON, until the server closes the stream or the signal aborts it.
 */
export async function* events(path, signal) {
  const response = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { id: null, event: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (event.data.length > 0) yield { id: event.id, event: event.event, data: JSON.parse(event.data.join('\n')) };
        event = { id: null, event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') event.data.push(text);
      else if (field === 'event') event.event = text;
      else if (field === 'id') event.id = text;
    }
  }
}
