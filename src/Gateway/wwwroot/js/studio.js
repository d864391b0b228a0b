// The studio page: one form, the APIs it calls per mode, live progress, results and the key's history.
//
// Which API each mode calls (all send a client-chosen X-Job-Id, so GET /jobs/{id}/events streams their progress and
// DELETE /jobs/{id} cancels them):
//   text-to-image, image-to-image, ControlNet: Hyperbolic POST /v1/image/generation (it takes every setting of the
//     form: steps, guidance, sampler, n, LoRAs, image and strength, ControlNet) with response_format "url", so the
//     images are stored in the key's history;
//   inpainting (a mask is painted): OpenAI POST /v1/images/edits, multipart with image and mask, response_format "url"
//     (its own strength default, 1: the masked area is drawn anew; the form's steps, guidance, sampler and LoRAs are
//     not fields of that API).

import { apiKey, ApiError, events, request } from './api.js';
import { StartImage } from './mask.js';
import { Gallery } from './gallery.js';

const $ = (id) => document.getElementById(id);
const form = $('generate-form');
const fields = {
  prompt: $('prompt'), negative: $('negative-prompt'), model: $('model'), aspect: $('aspect'), width: $('width'),
  height: $('height'), steps: $('steps'), guidance: $('guidance'), sampler: $('sampler'), seed: $('seed'), count: $('count'),
  strength: $('strength'), controlnet: $('controlnet'), controlnetImage: $('controlnet-image'), controlnetScale: $('controlnet-scale'),
};
const startImage = new StartImage($('init-canvas'), $('mask-canvas'));
let models = [];
let loras = [];
let controlnets = [];
let running = null;

// ---- status and progress

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function setProgress(percent) {
  const bar = $('progress');
  bar.classList.toggle('indeterminate', percent === null);
  if (percent === null) {
    bar.removeAttribute('aria-valuenow');
    return;
  }
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  bar.setAttribute('aria-valuenow', String(value));
  bar.setAttribute('aria-valuetext', `${value} %`);
  $('progress-fill').style.width = `${value}%`;
}

function describe(error) {
  if (error instanceof ApiError && error.status === 401) return `${error.message} Enter the API key above.`;
  if (error instanceof ApiError && error.param) return `${error.message} (${error.param})`;
  return error.message ?? String(error);
}

// ---- the catalog: models, samplers, LoRAs, ControlNets

async function loadCatalog() {
  try {
    models = (await request('/v1/models')).data;
  } catch (error) {
    setStatus(describe(error), true);
    return;
  }
  const chosen = fields.model.value;
  fields.model.replaceChildren(...models.map((m) => new Option(m.ready ? m.id : `${m.id} (not ready)`, m.id)));
  if (models.some((m) => m.id === chosen)) fields.model.value = chosen;
  else applyModelDefaults();

  const samplers = await request('/v1/image/samplers').then((r) => r.samplers).catch(() => []);
  const sampler = fields.sampler.value;
  fields.sampler.replaceChildren(new Option('Model default', ''), ...samplers.map((s) => new Option(s.name, s.name)));
  fields.sampler.value = sampler;

  loras = await request('/v1/image/loras').then((r) => r.loras).catch(() => []);
  renderLoras();

  // ControlNets are listed only by servers that have them; without the endpoint the section stays hidden.
  controlnets = await request('/v1/image/controlnets').then((r) => r.controlnets ?? []).catch(() => []);
  renderControlNets();
  setStatus('Ready.');
}

function renderControlNets() {
  const usable = controlnets.filter((c) => c.models?.includes(fields.model.value));
  const chosen = fields.controlnet.value;
  fields.controlnet.replaceChildren(new Option('None', ''), ...usable.map((c) => new Option(c.name, c.name)));
  if (usable.some((c) => c.name === chosen)) fields.controlnet.value = chosen;
  $('controlnet-section').hidden = usable.length === 0;
}

function currentModel() { return models.find((m) => m.id === fields.model.value); }

function applyModelDefaults() {
  const model = currentModel();
  if (!model) return;
  const [width, height] = model.native_size.split('x').map(Number);
  fields.width.value = width;
  fields.height.value = height;
  fields.aspect.value = '';
  fields.steps.value = model.default_steps;
  fields.guidance.value = model.default_guidance;
  renderLoras();
  renderControlNets();
}

function applyAspect() {
  const model = currentModel();
  if (!model || !fields.aspect.value) return;
  const [a, b] = fields.aspect.value.split(':').map(Number);
  const [nativeWidth, nativeHeight] = model.native_size.split('x').map(Number);
  const area = nativeWidth * nativeHeight;
  // The model's native area in the chosen shape, in multiples of 64 as trained sizes are.
  fields.width.value = Math.max(64, Math.round(Math.sqrt(area * a / b) / 64) * 64);
  fields.height.value = Math.max(64, Math.round(Math.sqrt(area * b / a) / 64) * 64);
}

function renderLoras(weights = null) {
  const model = fields.model.value;
  const usable = loras.filter((l) => l.models.includes(model));
  const previous = weights ?? chosenLoras() ?? {};
  $('lora-section').hidden = usable.length === 0;
  $('lora-list').replaceChildren(...usable.map((lora, index) => {
    const item = document.createElement('li');
    const check = Object.assign(document.createElement('input'), { type: 'checkbox', id: `lora-${index}`, value: lora.name });
    check.checked = lora.name in previous;
    const label = Object.assign(document.createElement('label'), { htmlFor: check.id, textContent: lora.name, title: lora.description });
    const weight = Object.assign(document.createElement('input'), {
      type: 'number', min: -2, max: 2, step: 0.05, value: previous[lora.name] ?? lora.default_weight, className: 'lora-weight',
    });
    weight.setAttribute('aria-label', `${lora.name} weight`);
    item.append(check, label, weight);
    return item;
  }));
}

function chosenLoras() {
  const chosen = {};
  for (const item of $('lora-list').children) {
    const check = item.querySelector('input[type="checkbox"]');
    if (check.checked) chosen[check.value] = Number(item.querySelector('.lora-weight').value);
  }
  return Object.keys(chosen).length > 0 ? chosen : null;
}

// ---- generating

function jobId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `studio-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const numberOrNull = (input) => input.value.trim() === '' ? null : Number(input.value);

async function hyperbolicBody() {
  const body = {
    model_name: fields.model.value,
    prompt: fields.prompt.value,
    width: Number(fields.width.value),
    height: Number(fields.height.value),
    steps: Number(fields.steps.value),
    cfg_scale: Number(fields.guidance.value),
    n: Number(fields.count.value),
    response_format: 'url',
  };
  if (fields.negative.value) body.negative_prompt = fields.negative.value;
  if (fields.sampler.value) body.sampler = fields.sampler.value;
  const seed = numberOrNull(fields.seed);
  if (seed !== null) body.seed = seed;
  const chosen = chosenLoras();
  if (chosen) body.loras = chosen;
  if (startImage.loaded) {
    body.image = await startImage.imageBase64();
    body.strength = Number(fields.strength.value);
  }
  if (fields.controlnet.value) {
    body.controlnet_name = fields.controlnet.value;
    const file = fields.controlnetImage.files[0];
    if (file) body.controlnet_image = await fileBase64(file);
    body.controlnet_conditioning_scale = Number(fields.controlnetScale.value);
  }
  return body;
}

async function fileBase64(file) {
  const data = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  return data.slice(data.indexOf(',') + 1);
}

async function editsForm() {
  const body = new FormData();
  body.append('model', fields.model.value);
  body.append('prompt', fields.prompt.value);
  if (fields.negative.value) body.append('negative_prompt', fields.negative.value);
  body.append('n', fields.count.value);
  body.append('response_format', 'url');
  const seed = numberOrNull(fields.seed);
  if (seed !== null) body.append('seed', String(seed));
  body.append('image', await startImage.imagePng(), 'image.png');
  body.append('mask', await startImage.maskPng(), 'mask.png');
  return body;
}

async function generate() {
  if (running) return;
  if (!fields.prompt.value.trim()) {
    setStatus('Write a prompt first.', true);
    fields.prompt.focus();
    return;
  }
  const id = jobId();
  const controller = new AbortController();
  running = { id, controller, cancelled: false };
  $('generate').disabled = true;
  $('cancel').disabled = false;
  $('preview').hidden = true;
  setProgress(0);
  setStatus('Sending…');

  const inpaint = startImage.loaded && startImage.painted;
  const watching = watch(id, controller.signal);
  try {
    const headers = { 'X-Job-Id': id };
    const images = inpaint
      ? (await request('/v1/images/edits', { method: 'POST', form: await editsForm(), headers, signal: controller.signal }))
        .data.map((d) => ({ src: d.url ?? `data:image/png;base64,${d.b64_json}`, seed: d.seed }))
      : (await request('/v1/image/generation', { method: 'POST', json: await hyperbolicBody(), headers, signal: controller.signal }))
        .images.map((i) => ({ src: i.url ?? `data:image/png;base64,${i.image}`, seed: i.random_seed }));
    setProgress(100);
    $('preview').hidden = true;
    setStatus(`Done: ${images.length} image${images.length === 1 ? '' : 's'}.`);
    showResults(images);
    gallery.refresh();
  } catch (error) {
    if (running.cancelled) {
      setStatus('Cancelled.');
    } else {
      setProgress(0);
      setStatus(describe(error), true);
    }
  } finally {
    controller.abort();
    await watching;
    running = null;
    $('generate').disabled = false;
    $('cancel').disabled = true;
  }
}

/** Follows the job's progress events until the stream ends or the generation is over. */
async function watch(id, signal) {
  try {
    for await (const { data } of events(`/jobs/${encodeURIComponent(id)}/events?preview=true`, signal)) {
      if (data.type === 'queued') setStatus(`Queued (position ${data.position}).`);
      else if (data.type === 'started') setStatus('Running…');
      else if (data.type === 'step') {
        setProgress(100 * data.step / data.steps);
        setStatus(`Step ${data.step} of ${data.steps}.`);
        if (data.preview) {
          $('preview').src = data.preview;
          $('preview').hidden = false;
        }
      } else if (data.type === 'finished') setProgress(100);
    }
  } catch (error) {
    // No event stream (a server without it, or the request ended first): the bar shows activity, not steps.
    if (!signal.aborted) setProgress(null);
  }
}

async function cancel() {
  if (!running) return;
  running.cancelled = true;
  setStatus('Cancelling…');
  try {
    await request(`/jobs/${encodeURIComponent(running.id)}`, { method: 'DELETE' });
  } catch { /* not started yet, or already over: dropping the request below cancels it too */ }
  running?.controller.abort();
}

function showResults(images) {
  $('results').replaceChildren(...images.map((image, index) => {
    const figure = document.createElement('figure');
    const img = Object.assign(document.createElement('img'), { src: image.src, alt: `Result ${index + 1}: ${fields.prompt.value}` });
    const caption = document.createElement('figcaption');
    caption.textContent = `Seed ${image.seed}`;
    const reuse = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Reuse seed' });
    reuse.addEventListener('click', () => { fields.seed.value = image.seed; });
    caption.append(reuse);
    figure.append(img, caption);
    return figure;
  }));
}

// ---- reuse

function reuse(parameters) {
  if (!parameters) return;
  if (models.some((m) => m.id === parameters.model)) fields.model.value = parameters.model;
  fields.prompt.value = parameters.prompt;
  fields.negative.value = parameters.negative_prompt ?? '';
  fields.aspect.value = '';
  fields.width.value = parameters.width;
  fields.height.value = parameters.height;
  fields.steps.value = parameters.steps;
  fields.guidance.value = parameters.guidance;
  if (![...fields.sampler.options].some((o) => o.value === parameters.sampler)) fields.sampler.add(new Option(parameters.sampler, parameters.sampler));
  fields.sampler.value = parameters.sampler;
  fields.seed.value = parameters.seed;
  if (parameters.strength != null) {
    fields.strength.value = parameters.strength;
    $('strength-value').textContent = fields.strength.value;
  }
  renderLoras(parameters.loras ?? {});
  fields.prompt.focus();
  setStatus('Parameters loaded from the history.');
}

const gallery = new Gallery({
  list: $('gallery'), more: $('gallery-more'), dialog: $('viewer'), image: $('viewer-image'),
  parameters: $('viewer-parameters'), download: $('viewer-download'), reuseButton: $('viewer-reuse'),
  onReuse: reuse, onError: (error) => setStatus(describe(error), true),
});

// ---- wiring

$('api-key').value = apiKey.get();
$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  apiKey.set($('api-key').value.trim());
  setStatus('Key saved in this browser.');
  loadCatalog();
  gallery.refresh();
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  generate();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    generate();
  } else if (event.key === 'Escape' && running) {
    cancel();
  }
});
$('cancel').addEventListener('click', cancel);
$('dice').addEventListener('click', () => { fields.seed.value = crypto.getRandomValues(new Uint32Array(1))[0]; });
fields.model.addEventListener('change', applyModelDefaults);
fields.aspect.addEventListener('change', applyAspect);
for (const side of [fields.width, fields.height]) side.addEventListener('input', () => { fields.aspect.value = ''; });
fields.strength.addEventListener('input', () => { $('strength-value').textContent = fields.strength.value; });

$('init-image').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const { width, height } = await startImage.load(file);
    fields.width.value = width;
    fields.height.value = height;
    fields.aspect.value = '';
    $('init-tools').hidden = false;
  } catch {
    setStatus('That file could not be read as an image.', true);
  }
});
$('init-remove').addEventListener('click', () => {
  startImage.unload();
  $('init-image').value = '';
  $('init-tools').hidden = true;
  $('mask-mode').checked = false;
  $('mask-tools').hidden = true;
});
$('mask-mode').addEventListener('change', (event) => {
  $('mask-tools').hidden = !event.target.checked;
  $('mask-canvas').hidden = !event.target.checked;
  if (!event.target.checked) startImage.clearMask();
});
$('mask-canvas').hidden = true;
$('brush').addEventListener('input', (event) => { startImage.brush = Number(event.target.value); });
$('mask-clear').addEventListener('click', () => startImage.clearMask());
$('gallery-refresh').addEventListener('click', () => gallery.refresh());

loadCatalog();
gallery.refresh();
