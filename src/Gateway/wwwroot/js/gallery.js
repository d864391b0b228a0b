// The key's stored images (GET /v1/images/history), newest first, paged; each opens with its parameters and a reuse button.

import { request } from './api.js';

const pageSize = 24;

export class Gallery {
  constructor(parts) {
    this.parts = parts;
    this.lastId = null;
    this.current = null;
    parts.more.addEventListener('click', () => this.#load(false));
    parts.reuseButton.addEventListener('click', () => {
      parts.onReuse(this.current?.parameters);
      parts.dialog.close();
    });
  }

  refresh() { return this.#load(true); }

  async #load(fromStart) {
    const after = fromStart ? '' : `&after=${encodeURIComponent(this.lastId)}`;
    let page;
    try {
      page = await request(`/v1/images/history?limit=${pageSize}${after}`);
    } catch (error) {
      if (error.status !== 401) this.parts.onError(error);
      return;
    }
    const items = page.data.map((entry) => this.#thumb(entry));
    if (fromStart) this.parts.list.replaceChildren(...items);
    else this.parts.list.append(...items);
    this.lastId = page.last_id;
    this.parts.more.hidden = !page.has_more;
  }

  #thumb(entry) {
    const item = document.createElement('li');
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'thumb' });
    const prompt = entry.parameters?.prompt ?? 'Stored image';
    button.setAttribute('aria-label', `Open: ${prompt}`);
    const img = Object.assign(document.createElement('img'), { src: entry.url, alt: '', loading: 'lazy' });
    button.append(img);
    button.addEventListener('click', () => this.#open(entry));
    item.append(button);
    return item;
  }

  #open(entry) {
    const { dialog, image, parameters, download, reuseButton } = this.parts;
    this.current = entry;
    image.src = entry.url;
    image.alt = entry.parameters?.prompt ?? 'Stored image';
    parameters.textContent = entry.infotext ?? 'No parameters were kept for this image.';
    download.href = entry.url;
    reuseButton.disabled = !entry.parameters;
    dialog.showModal();
  }
}
